"""Page sections both surface lessons share: the run panels, the outcome, the update rules and
the downloads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from engine.runner import Trajectories
from engine.surfaces import Surface
from figures.common import standalone_html, trajectories_csv
from figures.style import Style
from figures.surface_plots import PICKER_TRACE, landscape_name
from i18n import _, current_language, language, message
from ui.params import Lesson
from ui.runs import RunChoice, run_choice, run_controls
from ui.settings import SHARED, Settings, current
from ui.shell import open_page
from ui.surface_lesson import divergence_reasons, final_summary, surface_label
from ui.url import keep, publish, share_link, show_notices, values

CHART_CONFIG = {"displaylogo": False, "scrollZoom": False}


def chart(figure: go.Figure, key: str, alt: str) -> None:
    """A figure as the house draws it (our theme, no logo, no scroll zoom), with ``alt``: what
    it shows, in words, for screen readers."""
    st.plotly_chart(figure, key=key, config=CHART_CONFIG, theme=None, alt=alt)


def animated_chart(figure: go.Figure, key: str, start_keys: Sequence[str], alt: str) -> None:
    """A lesson's animation; clicking a point of its start picker moves the start there.

    The start picker (trace ``PICKER_TRACE``) is a set of invisible markers; a click selects
    one, and before the rerun this copies its coordinates (to 4 significant digits) into the
    start inputs ``start_keys`` (x, then y). Clicks on any other trace are ignored.
    """
    st.plotly_chart(figure, key=key, config=CHART_CONFIG, theme=None, alt=alt,
                    on_select=_take_clicked_start(key, start_keys),
                    selection_mode="points")  # fmt: skip


def _take_clicked_start(key: str, start_keys: Sequence[str]) -> Callable[[], None]:
    def take() -> None:
        event = st.session_state.get(key) or {}
        points = [p for p in event.get("selection", {}).get("points", [])
                  if p.get("curve_number") == PICKER_TRACE]  # fmt: skip
        if points:
            for state_key, axis in zip(start_keys, ("x", "y"), strict=False):
                st.session_state[state_key] = float(f"{float(points[-1][axis]):.4g}")

    return take


def run_panels(lesson: Lesson, prefix: str, count: int, title: str) -> tuple[RunChoice, ...]:
    """One folding panel of controls per run (the first two open), in the current column;
    stops the page with a message if a run's settings are invalid (the engine's own message,
    naming the run). ``title`` (translated) names run ``{n}`` and its ``{run}``, e.g.
    ``_("Ball {n}: {run}")``: the panel's title with the run's label, the message with the
    engine's reason."""
    choices = []
    for i in range(count):
        shown = run_choice(prefix, i, values(lesson))
        with st.expander(title.format(n=i + 1, run=shown.label), expanded=i < 2,
                         key=f"{prefix}{i}_panel"):  # fmt: skip
            choices.append(run_controls(lesson, prefix, i))
    problems = []
    for i, choice in enumerate(choices):
        try:
            choice.build()
        except ValueError as err:
            problems.append(title.format(n=i + 1, run=message(err)))
    if problems:
        st.error("\n\n".join(problems))
        st.stop()
    return tuple(choices)


def outcome(
    surface: Surface, traj: Trajectories, runs: Sequence[RunChoice], where: str, noise: float = 0.0
) -> None:
    """Why any run diverged (from the last point before its blow-up, or the simulated noise σ
    when it dominated the gradient there), and where the others ended: ``where`` (translated)
    is that sentence with the runs' ends as ``{summary}``, e.g.
    ``_("**Where they stopped** — {summary}.")``."""
    reasons = divergence_reasons(surface, traj, runs, noise=noise)
    if reasons:
        st.warning("\n\n".join(reasons), icon=":material/warning:")
    summary = final_summary(surface, traj, runs)
    if summary:
        st.markdown(where.format(summary="; ".join(summary)))


def update_rules(runs: Sequence[RunChoice]) -> None:
    """Each run's update rule, as the LaTeX the engine generates from the code that ran."""
    st.subheader(_("The update rules"))
    columns = st.columns(min(3, len(runs)))
    for i, choice in enumerate(runs):
        with columns[i % len(columns)]:
            st.markdown(f"**{choice.label}**")
            st.latex(choice.build().latex)
    st.caption(
        _(
            "γ: learning rate, μ: momentum, b: momentum buffer (velocity), v: running average "
            "of g², m: running average of g. The formulas are generated from the code that ran."
        )
    )


def downloads(
    stem: str,
    runs: Sequence[RunChoice],
    traj: Trajectories,
    names: Sequence[str],
    figure: go.Figure,
    title: str | None = None,
) -> None:
    """CSV of the trajectories and the animation as offline HTML (titled ``title``, already
    translated, if given), built only when clicked — in the language of the page that drew the
    buttons."""
    labels = [r.label for r in runs]
    lang = current_language()

    def csv_text() -> str:
        with language(lang):  # the click may be served outside this run
            return trajectories_csv(labels, traj.steps, traj.params, traj.loss, names)

    left, right = st.columns(2)
    left.download_button(
        _("Download trajectories (CSV)"),
        data=csv_text,
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
    )
    right.download_button(
        _("Download the animation (HTML, works offline)"),
        data=lambda: standalone_html(figure, title),
        file_name=f"{stem}.html",
        mime="text/html",
        on_click="ignore",
    )


def lesson_start(title: str, intro: str, lesson: Lesson) -> Settings:
    """The top of every lesson: bring its parameters in from the link (or the session), the
    title and a short introduction, and one box with every notice about the link."""
    notices = open_page(lesson)
    st.title(title)
    st.markdown(intro)
    show_notices(notices)
    return current()


def refresh_link(lesson: Lesson) -> None:
    """At the end of a fragment (``st.fragment``: a control that changes one chart reruns only
    that part of the page): its controls' values go into the link like any other."""
    keep(lesson)
    publish(SHARED, lesson)


def link_box(lesson: Lesson) -> None:
    """The end of every lesson: the link that reopens exactly this run."""
    share_link(SHARED, lesson)


STAGE_HEIGHT = 470  # px of a stage chart's plot on a laptop: with its playback it fits 768 px


def stage_style(settings: Settings) -> Style:
    """The style of a lesson's main chart: on a laptop a little shorter than other charts, so
    the chart and its Play button fit the first screen of 1366×768 (a projector has room)."""
    style = settings.style
    return style if settings.projector else style.with_height(STAGE_HEIGHT)


def stage(controls_width: float = 1.0, chart_width: float = 2.3) -> tuple[Any, Any]:
    """The two columns of a lesson's first screen: the controls that matter most on the left,
    the main animated chart and its playback on the right (both visible without scrolling on
    a laptop and on a projector)."""
    left, right = st.columns([controls_width, chart_width], gap="medium")
    return left, right


def surface_picker(lesson: Lesson, key: str, condition: float | None = None) -> str:
    """The lesson's surface menu, showing each surface by its name (and the κ in use), in the
    current language."""
    param = lesson.param(key)
    names = {k: surface_label(k, condition) for k in param.choices}
    chosen: str = st.selectbox(
        _(param.label), param.choices, key=key, format_func=names.__getitem__
    )
    return chosen


def describe_surface(surface: Surface) -> None:
    """What the chosen surface teaches, and its formula."""
    st.caption(
        _("**{name}** — {description}").format(
            name=landscape_name(surface), description=_(surface.description)
        )
    )
    st.latex(surface.formula)
