"""Lesson: the optimizer race on a 2-D loss surface."""

from __future__ import annotations

import streamlit as st

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
    refresh_link,
    run_panels,
    stage,
    stage_style,
    surface_picker,
    update_rules,
)
from ui.race.params import LESSON, P
from ui.runs import preset_picker
from ui.surface_lesson import (
    SurfaceRace,
    point_text,
    race_3d_chart,
    race_chart,
    simulate,
    surface_for,
)
from ui.widgets import draw

settings = lesson_start(
    _("The optimizer race"),
    _(
        "Every runner starts from the same point, so the paths differ only by the update rule. "
        "Click the map to move the start; press **Play**."
    ),
    LESSON,
)
param = LESSON.param
controls, main = stage()
with controls:
    preset_picker(LESSON)
    ill = st.session_state[f"{P}surface"] == "ill_conditioned"
    kappa = float(st.session_state[f"{P}kappa"])
    surface_key = surface_picker(LESSON, f"{P}surface", kappa)
    c1, c2 = st.columns(2)
    x0 = draw(param(f"{P}x0"), c1)
    y0 = draw(param(f"{P}y0"), c2)
    c3, c4 = st.columns(2)
    steps = draw(param(f"{P}steps"), c3)
    n_runs = draw(param(f"{P}runs"), c4)
    runs = run_panels(LESSON, P, int(n_runs), _("Runner {n}: {run}"))
    with st.expander(_("Noise, conditioning and what is drawn")):
        noise = draw(param(f"{P}noise"))
        condition = float(draw(param(f"{P}kappa"))) if ill else None
        show_state = draw(param(f"{P}state"))

surface = surface_for(surface_key, condition)
start = (float(x0), float(y0))
race = SurfaceRace(surface_key, start, int(steps), runs, condition, float(noise), settings.seed)
animation, loss = race_chart(race, stage_style(settings), bool(show_state))
traj = simulate(race)
name = landscape_name(surface)
alt = ngettext(
    "Animated paths of {n} runner on {surface} from {start}",
    "Animated paths of {n} runners on {surface} from {start}",
    len(runs),
).format(n=len(runs), surface=name, start=point_text(start))
with main:
    animated_chart(animation, f"{P}chart", (f"{P}x0", f"{P}y0"), alt)
    if show_state:
        st.caption(
            _(
                "At each runner: solid arrow = −gradient, dashed arrow = velocity (momentum "
                "buffer b, or Adam's m), dotted box = √v, the per-coordinate scale adaptive "
                "optimizers divide by. Arrows share one scale, enlarged to be visible."
            )
        )
    if noise > 0:
        st.caption(
            _("Gradients carry simulated Gaussian noise, σ = {noise} (seed {seed}).").format(
                noise=number(float(noise), "g"), seed=settings.seed
            )
        )
    outcome(surface, traj, runs, _("**Where they ended** — {summary}."), float(noise))

describe_surface(surface)
chart(loss, f"{P}loss", _("Each runner's loss above the minimum against the optimizer step"))


@st.fragment
def view_3d() -> None:
    """The 3-D view: its toggle reruns only this part of the page."""
    if draw(param(f"{P}3d")):
        view = race_3d_chart(race, settings.style)
        alt_3d = _("The runners' whole paths on a 3-D view of {surface}").format(surface=name)
        chart(view, f"{P}view3d", alt_3d)
    refresh_link(LESSON)


view_3d()

update_rules(runs)
downloads(f"race_{surface_key}", runs, traj, ["x", "y"], animation, alt)
link_box(LESSON)
