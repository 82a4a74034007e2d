"""Lesson: the rolling ball — gradient descent and momentum on a 1-D loss curve."""

from __future__ import annotations

import streamlit as st

from engine.surfaces import SURFACES
from figures.surface_plots import landscape_name
from i18n import _, ngettext, number
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
    _("The rolling ball"),
    _(
        "Gradient descent steps against the slope, w ← w − γ·f′(w), and stops in the first "
        "valley it meets. **Momentum** keeps a velocity, like a ball gathering speed downhill — "
        "sometimes enough to roll through a shallow valley to a deeper one."
    ),
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
    runs = run_panels(LESSON, P, int(n_balls), _("Ball {n}: {run}"))

surface = SURFACES[surface_key]
start = (float(w0),)
race = SurfaceRace(surface_key, start, int(steps), runs)
figure, loss = rolling_chart(race, stage_style(settings))
traj = simulate(race)
alt = ngettext(
    "{n} ball rolling on {surface} from w = {w0}",
    "{n} balls rolling on {surface} from w = {w0}",
    len(runs),
).format(n=len(runs), surface=landscape_name(surface), w0=number(float(w0), "g"))
with main:
    animated_chart(figure, f"{P}chart", (f"{P}w0",), alt)
    st.caption(
        _(
            "The dashed line at each ball is the tangent: its slope is the derivative f′(w). "
            "Click anywhere on the plot to drop the balls at that w."
        )
    )
    outcome(surface, traj, runs, _("**Where they stopped** — {summary}."))
describe_surface(surface)
chart(loss, f"{P}loss", _("Each ball's loss above the minimum against the optimizer step"))

nudge_panel(surface, float(w0))

update_rules(runs)
downloads(f"rolling_{surface_key}", runs, traj, ["w"], figure, alt)
link_box(LESSON)
