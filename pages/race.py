"""Lesson: the optimizer race on a 2-D loss surface."""

from __future__ import annotations

import streamlit as st

from engine.surfaces import SURFACES_2D
from ui.panels import (
    animated_chart,
    chart,
    describe_surface,
    downloads,
    lesson_start,
    outcome,
    run_panels,
    surface_picker,
    update_rules,
)
from ui.race.params import DEFAULT_PRESET, DEFAULT_RUNS, MAX_RUNS, PARAMS, PRESETS, P
from ui.surface_lesson import (
    MAX_STEPS,
    SurfaceRace,
    race_3d_chart,
    race_chart,
    simulate,
    surface_for,
)
from ui.url import share_link

settings = lesson_start(
    "The optimizer race",
    (
        "Pick a loss surface and a start (type it, or click anywhere on the map), give each "
        "runner an optimizer, and press **Play**. "
        "Every runner starts from the same point and sees the same surface, so the paths differ "
        "only because of the update rule."
    ),
    PARAMS,
    PRESETS,
    DEFAULT_PRESET,
    P,
)

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    surface_key = surface_picker(c1, "Loss surface", SURFACES_2D, P)
    x0 = c2.number_input("Start x", key=f"{P}x0", format="%.4g", bind="query-params")
    y0 = c3.number_input("Start y", key=f"{P}y0", format="%.4g", bind="query-params")
    steps = c4.number_input("Steps", 1, MAX_STEPS, step=50, key=f"{P}steps", bind="query-params")
    c5, c6, c7, c8 = st.columns([1, 1, 1, 1])
    n_runs = c5.number_input("Runners", 1, MAX_RUNS, key=f"{P}runs", bind="query-params")
    noise = c6.number_input(
        "Simulated gradient noise σ",
        0.0,
        100.0,
        step=0.1,
        key=f"{P}noise",
        bind="query-params",
        help="Adds Gaussian noise N(0, σ²) to every gradient — a stand-in for mini-batch noise "
        "(simulated, not from data; the Sum-or-mean lesson uses real mini-batches).",
    )
    condition = None
    if surface_key == "ill_conditioned":
        condition = float(
            c7.number_input("Condition number κ", 1.0, 1000.0, key=f"{P}kappa", bind="query-params")
        )
    st.session_state.setdefault(f"{P}state", True)
    show_state = c8.toggle(
        "Show optimizer state",
        key=f"{P}state",
        bind="query-params",
        help="Arrows for the gradient and the velocity, and the √v box of adaptive optimizers.",
    )

surface = surface_for(surface_key, condition)
describe_surface(surface)

runs = run_panels(P, int(n_runs), DEFAULT_RUNS, "Runner")
start = (float(x0), float(y0))
race = SurfaceRace(surface_key, start, int(steps), runs, condition, float(noise), settings.seed)
animation, loss = race_chart(race, settings.style, bool(show_state))
animated_chart(animation, f"{P}chart", (f"{P}x0", f"{P}y0"),
               f"Animated paths of {len(runs)} runners on {surface.name} from {start}")  # fmt: skip
if show_state:
    st.caption(
        "At each runner: solid arrow = −gradient, dashed arrow = velocity (momentum buffer b, "
        "or Adam's m), dotted box = √v, the per-coordinate scale adaptive optimizers divide "
        "by. Arrows share one scale, enlarged to be visible."
    )
if noise > 0:
    st.caption(f"Gradients carry simulated Gaussian noise, σ = {noise:g} (seed {settings.seed}).")

if st.toggle("Show the paths on a 3-D view of the surface", key=f"{P}3d", bind="query-params"):
    view = race_3d_chart(race, settings.style)
    chart(view, f"{P}view3d", f"The runners' whole paths on a 3-D view of {surface.name}")
traj = simulate(race)
outcome(surface, traj, runs, "ended")
chart(loss, f"{P}loss", "Each runner's loss above the minimum against the optimizer step")

update_rules(runs)
downloads(f"race_{surface_key}", runs, traj, ["x", "y"], animation)
share_link()
