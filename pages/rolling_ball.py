"""Lesson: the rolling ball — gradient descent and momentum on a 1-D loss curve."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.surfaces import SURFACES, SURFACES_1D
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
from ui.rolling_ball.params import DEFAULT_PRESET, DEFAULT_RUNS, MAX_BALLS, PARAMS, PRESETS, P
from ui.surface_lesson import MAX_STEPS, SurfaceRace, rolling_chart, simulate
from ui.url import share_link

settings = lesson_start(
    "The rolling ball",
    (
        "Training moves a weight downhill on the loss. **Gradient descent** takes a step "
        "against the slope: w ← w − γ·f′(w). A small step stops in the first valley it meets. "
        "**Momentum** keeps a running velocity, like a ball that builds up speed on the way "
        "down — enough, sometimes, to roll through a shallow valley and on to a deeper one."
    ),
    PARAMS,
    PRESETS,
    DEFAULT_PRESET,
    P,
)

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    surface_key = surface_picker(c1, "Loss curve", SURFACES_1D, P)
    surface = SURFACES[surface_key]
    w0 = c2.number_input("Start w", key=f"{P}w0", format="%.4g", bind="query-params")
    steps = c3.number_input("Steps", 1, MAX_STEPS, step=50, key=f"{P}steps", bind="query-params")
    n_balls = c4.number_input("Balls", 1, MAX_BALLS, key=f"{P}balls", bind="query-params")
describe_surface(surface)

runs = run_panels(P, int(n_balls), DEFAULT_RUNS, "Ball")
start = (float(w0),)
race = SurfaceRace(surface_key, start, int(steps), runs)
figure, loss = rolling_chart(race, settings.style)
animated_chart(figure, f"{P}chart", (f"{P}w0",),
               f"{len(runs)} balls rolling on {surface.name} from w = {w0:g}")  # fmt: skip
traj = simulate(race)
outcome(surface, traj, runs, "stopped")
st.caption(
    "The dashed line at each ball is the tangent: its slope is the derivative f′(w). "
    "Click anywhere on the plot to drop the balls at that w."
)
chart(loss, f"{P}loss", "Each ball's loss above the minimum against the optimizer step")

st.subheader("Nudge a weight and watch the loss")
w_probe = 0.3
probe = np.array([[w_probe - 0.05], [w_probe], [w_probe + 0.05]])
f_left, f_mid, f_right = (float(v) for v in surface.value(probe))
slope = float(surface.grad(np.array([w_probe]))[0])
m1, m2, m3 = st.columns(3)
m1.metric("loss at w = 0.25", f"{f_left:.4f}", f"{f_left - f_mid:+.4f}", delta_color="inverse")
m2.metric("loss at w = 0.30", f"{f_mid:.4f}")
m3.metric("loss at w = 0.35", f"{f_right:.4f}", f"{f_right - f_mid:+.4f}", delta_color="inverse")
downhill = "left (smaller w)" if slope > 0 else "right (larger w)"
st.markdown(
    f"Trying both nudges costs two extra evaluations of the loss — per weight, and a network "
    f"has millions. The derivative gives the same answer in one computation: "
    f"f′(0.30) = {slope:.4f}, so the loss falls to the **{downhill}**, and a step of "
    f"γ·f′(w) goes that way. Backpropagation computes this derivative for every weight at once."
)

update_rules(runs)
downloads(f"rolling_{surface_key}", runs, traj, ["w"], figure)
share_link()
