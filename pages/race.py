"""Lesson: the optimizer race on a 2-D loss surface."""

from __future__ import annotations

import streamlit as st

from engine.runner import MAX_RUN_STEPS
from engine.surfaces import SURFACES, SURFACES_2D
from figures.common import standalone_html, trajectories_csv
from ui.lessons import (
    MAX_STEPS,
    divergence_reasons,
    final_summary,
    race_chart,
    simulate,
    surface_for,
)
from ui.runs import RunChoice, preset_picker, run_controls, run_params, run_preset_values
from ui.settings import current
from ui.url import Param, sanitize, show_notices

P = "race_"
MAX_RUNS = 6
CHART_CONFIG = {"displaylogo": False, "scrollZoom": False}

DEFAULT_RUNS = [
    RunChoice("sgd", 1e-3, 0.0, False),
    RunChoice("sgd", 1e-3, 0.9, False),
    RunChoice("rmsprop", 1e-2, 0.0, False),
    RunChoice("adam", 5e-2, 0.9, False),
    RunChoice("sgd", 1e-3, 0.9, True),
    RunChoice("adagrad", 0.5, 0.0, False),
]


def _start_values(key: str, x: float, y: float) -> dict[str, object]:
    return {f"{P}surface": key, f"{P}x0": x, f"{P}y0": y}


PRESETS: dict[str, dict[str, object]] = {
    "Rosenbrock: four optimizers (default)": {
        **_start_values("rosenbrock", -1.2, 1.0), f"{P}steps": 600, f"{P}runs": 4,
        f"{P}noise": 0.0, **run_preset_values(P, DEFAULT_RUNS[:4]),
    },
    "Beale race (after Alec Radford's animation)": {
        **_start_values("beale", 1.0, 1.5), f"{P}steps": 800, f"{P}runs": 6, f"{P}noise": 0.0,
        **run_preset_values(P, [
            RunChoice("sgd", 1e-3, 0.0, False), RunChoice("sgd", 1e-3, 0.9, False),
            RunChoice("sgd", 1e-3, 0.9, True), RunChoice("adagrad", 0.5, 0.0, False),
            RunChoice("rmsprop", 0.01, 0.0, False), RunChoice("adam", 0.05, 0.9, False),
        ]),
    },
    "Saddle escape": {
        **_start_values("saddle", -1.9, 0.01), f"{P}steps": 80, f"{P}runs": 3, f"{P}noise": 0.0,
        **run_preset_values(P, [
            RunChoice("sgd", 0.05, 0.0, False), RunChoice("sgd", 0.05, 0.9, False),
            RunChoice("adam", 0.05, 0.9, False),
        ]),
    },
    "Distill's banana: momentum overshoots the bend": {
        **_start_values("banana", -1.5, 1.2), f"{P}steps": 300, f"{P}runs": 3, f"{P}noise": 0.0,
        **run_preset_values(P, [
            RunChoice("sgd", 0.005, 0.0, False), RunChoice("sgd", 0.005, 0.9, False),
            RunChoice("sgd", 0.005, 0.99, False),
        ]),
    },
    "Ill-conditioned valley: GD zig-zags": {
        **_start_values("ill_conditioned", 3.46, 2.52), f"{P}steps": 150, f"{P}runs": 3,
        f"{P}noise": 0.0, f"{P}kappa": 25.0,
        **run_preset_values(P, [
            RunChoice("sgd", 1.9, 0.0, False), RunChoice("sgd", 0.5, 0.0, False),
            RunChoice("sgd", 1.2, 0.64, False),
        ]),
    },
    "Too large a step: watch it diverge": {
        **_start_values("ill_conditioned", 3.46, 2.52), f"{P}steps": 200, f"{P}runs": 2,
        f"{P}noise": 0.0, f"{P}kappa": 25.0,
        **run_preset_values(P, [
            RunChoice("sgd", 1.9, 0.0, False), RunChoice("sgd", 2.1, 0.0, False),
        ]),
    },
    "Noisy gradients help escape the saddle": {
        **_start_values("saddle", -1.9, 0.0), f"{P}steps": 80, f"{P}runs": 1, f"{P}noise": 0.5,
        **run_preset_values(P, [RunChoice("sgd", 0.05, 0.0, False)]),
    },
}  # fmt: skip

PARAMS = [
    Param(
        f"{P}surface",
        "choice",
        "rosenbrock",
        choices=SURFACES_2D,
        labels=tuple(SURFACES[k].name for k in SURFACES_2D),
    ),
    Param(f"{P}x0", "float", -1.2, -1e3, 1e3),
    Param(f"{P}y0", "float", 1.0, -1e3, 1e3),
    Param(f"{P}steps", "int", 600, 1, MAX_STEPS),
    Param(f"{P}runs", "int", 4, 1, MAX_RUNS),
    Param(f"{P}noise", "float", 0.0, 0.0, 100.0),
    Param(f"{P}kappa", "float", 25.0, 1.0, 1000.0),
    Param(f"{P}state", "bool", True),
    *run_params(P, MAX_RUNS),
]

settings = current()
notices = sanitize(PARAMS)
defaults = PRESETS["Rosenbrock: four optimizers (default)"]
for name, value in defaults.items():
    st.session_state.setdefault(name, value)

st.title("The optimizer race")
st.markdown(
    "Pick a loss surface and a start, give each runner an optimizer, and press **Play**. Every "
    "runner starts from the same point and sees the same surface, so the paths differ only "
    "because of the update rule."
)
show_notices(notices)
preset_picker(PRESETS, f"{P}preset")

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    surface_key = c1.selectbox(
        "Loss surface",
        SURFACES_2D,
        key=f"{P}surface",
        format_func=lambda k: SURFACES[k].name,
        bind="query-params",
    )
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
    show_state = c8.toggle(
        "Show optimizer state",
        key=f"{P}state",
        value=True,
        bind="query-params",
        help="Arrows for the gradient and the velocity, and the √v box of adaptive optimizers.",
    )

surface = surface_for(surface_key, condition)
st.caption(f"**{surface.name}** — {surface.description}")
st.latex(surface.formula)

run_columns = st.columns(int(n_runs))
choices = []
for i, col in enumerate(run_columns):
    with col, st.container(border=True):
        st.markdown(f"**Runner {i + 1}**")
        choices.append(run_controls(P, i, DEFAULT_RUNS[i]))

problems = []
for i, choice in enumerate(choices):
    try:
        choice.build()
    except ValueError as err:
        problems.append(f"Runner {i + 1}: {err}")
if problems:
    st.error("\n\n".join(problems))
    st.stop()
if int(steps) * len(choices) > MAX_RUN_STEPS:
    st.error("Too much work requested; use fewer steps.")
    st.stop()

runs = tuple(choices)
start = (float(x0), float(y0))
race, loss = race_chart(
    surface_key, condition, start, int(steps), runs, float(noise), settings.seed,
    settings.style, bool(show_state),
)  # fmt: skip
st.plotly_chart(race, key=f"{P}chart", config=CHART_CONFIG, theme=None)
if show_state:
    st.caption(
        "At each runner: solid arrow = −gradient, dashed arrow = velocity (momentum buffer b, "
        "or Adam's m), dotted box = √v, the per-coordinate scale adaptive optimizers divide "
        "by. Arrows share one scale, enlarged to be visible."
    )
if noise > 0:
    st.caption(f"Gradients carry simulated Gaussian noise, σ = {noise:g} (seed {settings.seed}).")

traj = simulate(surface_key, condition, start, int(steps), runs, float(noise), settings.seed)
reasons = divergence_reasons(surface, traj, runs)
if reasons:
    st.warning("\n\n".join(reasons), icon="💥")
summary = final_summary(surface, traj, runs)
if summary:
    st.markdown("**Where they ended** — " + "; ".join(summary) + ".")
st.plotly_chart(loss, key=f"{P}loss", config=CHART_CONFIG, theme=None)

st.subheader("The update rules")
rule_columns = st.columns(min(3, len(runs)))
for i, choice in enumerate(runs):
    with rule_columns[i % len(rule_columns)]:
        st.markdown(f"**{choice.label}**")
        st.latex(choice.build().latex)
st.caption(
    "γ: learning rate, μ: momentum, b: momentum buffer (velocity), v: running average of g², "
    "m: running average of g. The formulas are generated from the code that ran."
)

d1, d2 = st.columns(2)
d1.download_button(
    "Download trajectories (CSV)",
    data=lambda: trajectories_csv([r.label for r in runs], traj.steps, traj.params, traj.loss,
                                  ["x", "y"]),
    file_name=f"race_{surface_key}.csv",
    mime="text/csv",
    on_click="ignore",
)  # fmt: skip
d2.download_button(
    "Download the animation (HTML, works offline)",
    data=lambda: standalone_html(race),
    file_name=f"race_{surface_key}.html",
    mime="text/html",
    on_click="ignore",
)
