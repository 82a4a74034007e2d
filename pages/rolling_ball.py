"""Lesson: the rolling ball — gradient descent and momentum on a 1-D loss curve."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.surfaces import SURFACES, SURFACES_1D
from figures.common import standalone_html, trajectories_csv
from ui.lessons import MAX_STEPS, divergence_reasons, final_summary, rolling_chart, simulate
from ui.runs import RunChoice, preset_picker, run_controls, run_params, run_preset_values
from ui.settings import current
from ui.url import Param, sanitize, show_notices

P = "ball_"
MAX_BALLS = 4
CHART_CONFIG = {"displaylogo": False, "scrollZoom": False}
DEFAULT_RUNS = [
    RunChoice("sgd", 0.01, 0.0, False),
    RunChoice("sgd", 0.01, 0.9, False),
    RunChoice("adam", 0.05, 0.9, False),
    RunChoice("sgd", 0.01, 0.9, True),
]
PRESETS: dict[str, dict[str, object]] = {
    "Momentum rolls out of a local minimum (default)": {
        f"{P}surface": "asymmetric_double_well", f"{P}w0": 1.9, f"{P}steps": 300, f"{P}balls": 2,
        **run_preset_values(P, DEFAULT_RUNS[:2]),
    },
    "Step size: creep, oscillate, diverge": {
        f"{P}surface": "quadratic_1d", f"{P}w0": 2.5, f"{P}steps": 30, f"{P}balls": 4,
        **run_preset_values(P, [
            RunChoice("sgd", 0.3, 0.0, False), RunChoice("sgd", 1.0, 0.0, False),
            RunChoice("sgd", 1.8, 0.0, False), RunChoice("sgd", 2.05, 0.0, False),
        ]),
    },
    "A kink never settles (|w|)": {
        f"{P}surface": "abs_1d", f"{P}w0": 2.35, f"{P}steps": 60, f"{P}balls": 2,
        **run_preset_values(P, [
            RunChoice("sgd", 0.3, 0.0, False), RunChoice("adam", 0.3, 0.9, False),
        ]),
    },
    "Flat bottom: GD crawls, Adam keeps its pace": {
        f"{P}surface": "quartic_1d", f"{P}w0": 1.5, f"{P}steps": 200, f"{P}balls": 2,
        **run_preset_values(P, [
            RunChoice("sgd", 0.05, 0.0, False), RunChoice("adam", 0.05, 0.9, False),
        ]),
    },
    "Bumpy bowl: momentum hops over bumps": {
        f"{P}surface": "rastrigin_1d", f"{P}w0": 3.2, f"{P}steps": 200, f"{P}balls": 2,
        **run_preset_values(P, [
            RunChoice("sgd", 0.002, 0.0, False), RunChoice("sgd", 0.002, 0.95, False),
        ]),
    },
}  # fmt: skip
PARAMS = [
    Param(
        f"{P}surface",
        "choice",
        "asymmetric_double_well",
        choices=SURFACES_1D,
        labels=tuple(SURFACES[k].name for k in SURFACES_1D),
    ),
    Param(f"{P}w0", "float", 1.9, -1e3, 1e3),
    Param(f"{P}steps", "int", 300, 1, MAX_STEPS),
    Param(f"{P}balls", "int", 2, 1, MAX_BALLS),
    *run_params(P, MAX_BALLS),
]

settings = current()
notices = sanitize(PARAMS)
for name, value in PRESETS["Momentum rolls out of a local minimum (default)"].items():
    st.session_state.setdefault(name, value)

st.title("The rolling ball")
st.markdown(
    "Training moves a weight downhill on the loss. **Gradient descent** takes a step against "
    "the slope: w ← w − γ·f′(w). A small step stops in the first valley it meets. **Momentum** "
    "keeps a running velocity, like a ball that builds up speed on the way down — enough, "
    "sometimes, to roll through a shallow valley and on to a deeper one."
)
show_notices(notices)
preset_picker(PRESETS, f"{P}preset")

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    surface_key = c1.selectbox(
        "Loss curve",
        SURFACES_1D,
        key=f"{P}surface",
        format_func=lambda k: SURFACES[k].name,
        bind="query-params",
    )
    surface = SURFACES[surface_key]
    w0 = c2.number_input("Start w", key=f"{P}w0", format="%.4g", bind="query-params")
    steps = c3.number_input("Steps", 1, MAX_STEPS, step=50, key=f"{P}steps", bind="query-params")
    n_balls = c4.number_input("Balls", 1, MAX_BALLS, key=f"{P}balls", bind="query-params")
st.caption(f"**{surface.name}** — {surface.description}")
st.latex(surface.formula)

columns = st.columns(int(n_balls))
choices = []
for i, col in enumerate(columns):
    with col, st.container(border=True):
        st.markdown(f"**Ball {i + 1}**")
        choices.append(run_controls(P, i, DEFAULT_RUNS[i]))
problems = []
for i, choice in enumerate(choices):
    try:
        choice.build()
    except ValueError as err:
        problems.append(f"Ball {i + 1}: {err}")
if problems:
    st.error("\n\n".join(problems))
    st.stop()

runs = tuple(choices)
start = (float(w0),)
figure, loss = rolling_chart(surface_key, start, int(steps), runs, settings.style)
st.plotly_chart(figure, key=f"{P}chart", config=CHART_CONFIG, theme=None)
traj = simulate(surface_key, None, start, int(steps), runs, 0.0, 0)
reasons = divergence_reasons(surface, traj, runs)
if reasons:
    st.warning("\n\n".join(reasons), icon="💥")
summary = final_summary(surface, traj, runs)
if summary:
    st.markdown("**Where they stopped** — " + "; ".join(summary) + ".")
st.caption("The dashed line at each ball is the tangent: its slope is the derivative f′(w).")
st.plotly_chart(loss, key=f"{P}loss", config=CHART_CONFIG, theme=None)

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

st.subheader("The update rules")
rule_columns = st.columns(len(runs))
for col, choice in zip(rule_columns, runs, strict=True):
    with col:
        st.markdown(f"**{choice.label}**")
        st.latex(choice.build().latex)

st.download_button(
    "Download trajectories (CSV)",
    data=lambda: trajectories_csv([r.label for r in runs], traj.steps, traj.params, traj.loss,
                                  ["w"]),
    file_name=f"rolling_{surface_key}.csv",
    mime="text/csv",
    on_click="ignore",
)  # fmt: skip
st.download_button(
    "Download the animation (HTML, works offline)",
    data=lambda: standalone_html(figure),
    file_name=f"rolling_{surface_key}.html",
    mime="text/html",
    on_click="ignore",
)
