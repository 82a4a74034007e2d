"""Lesson: the rolling ball — gradient descent and momentum on a 1-D loss curve."""

from __future__ import annotations

import streamlit as st

from engine.surfaces import SURFACES
from ui.panels import (
    animated_chart,
    chart,
    describe_surface,
    downloads,
    lesson_start,
    link_box,
    outcome,
    run_panels,
    stage,
    stage_style,
    surface_picker,
    update_rules,
)
from ui.rolling_ball.nudge import nudge_panel
from ui.rolling_ball.params import LESSON, P
from ui.runs import preset_picker
from ui.surface_lesson import SurfaceRace, rolling_chart, simulate
from ui.widgets import draw

settings = lesson_start(
    "The rolling ball",
    "Gradient descent steps against the slope, w ← w − γ·f′(w), and stops in the first valley "
    "it meets. **Momentum** keeps a velocity, like a ball gathering speed downhill — sometimes "
    "enough to roll through a shallow valley to a deeper one.",
    LESSON,
)
param = LESSON.param
controls, main = stage()
with controls:
    preset_picker(LESSON)
    surface_key = surface_picker(LESSON, f"{P}surface")
    c1, c2, c3 = st.columns(3)
    w0 = draw(param(f"{P}w0"), c1)
    steps = draw(param(f"{P}steps"), c2)
    n_balls = draw(param(f"{P}balls"), c3)
    runs = run_panels(LESSON, P, int(n_balls), "Ball")

surface = SURFACES[surface_key]
start = (float(w0),)
race = SurfaceRace(surface_key, start, int(steps), runs)
figure, loss = rolling_chart(race, stage_style(settings))
traj = simulate(race)
with main:
    animated_chart(figure, f"{P}chart", (f"{P}w0",),
                   f"{len(runs)} balls rolling on {surface.name} from w = {w0:g}")  # fmt: skip
    st.caption(
        "The dashed line at each ball is the tangent: its slope is the derivative f′(w). "
        "Click anywhere on the plot to drop the balls at that w."
    )
    outcome(surface, traj, runs, "stopped")
describe_surface(surface)
chart(loss, f"{P}loss", "Each ball's loss above the minimum against the optimizer step")

nudge_panel(surface, float(w0))

update_rules(runs)
downloads(f"rolling_{surface_key}", runs, traj, ["w"], figure)
link_box(LESSON)
