"""Page sections both surface lessons share: the run panels, the outcome, the update rules and
the downloads."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from engine.runner import Trajectories
from engine.surfaces import SURFACES, Surface
from figures.common import standalone_html, trajectories_csv
from figures.surface_plots import PICKER_TRACE
from ui.runs import RunChoice, preset_picker, run_controls
from ui.settings import Settings, current
from ui.shell import ensure_shell
from ui.surface_lesson import divergence_reasons, final_summary
from ui.url import Param, sanitize, show_notices

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


def run_panels(
    prefix: str, count: int, defaults: Sequence[RunChoice], noun: str
) -> tuple[RunChoice, ...]:
    """One bordered column of controls per run; stops the page with a message if a run's
    settings are invalid (the engine's own message, naming the run)."""
    choices = []
    for i, col in enumerate(st.columns(count)):
        with col, st.container(border=True):
            st.markdown(f"**{noun} {i + 1}**")
            choices.append(run_controls(prefix, i, defaults[i]))
    problems = []
    for i, choice in enumerate(choices):
        try:
            choice.build()
        except ValueError as err:
            problems.append(f"{noun} {i + 1}: {err}")
    if problems:
        st.error("\n\n".join(problems))
        st.stop()
    return tuple(choices)


def outcome(surface: Surface, traj: Trajectories, runs: Sequence[RunChoice], verb: str) -> None:
    """Why any run diverged, and where the others ended."""
    reasons = divergence_reasons(surface, traj, runs)
    if reasons:
        st.warning("\n\n".join(reasons), icon=":material/warning:")
    summary = final_summary(surface, traj, runs)
    if summary:
        st.markdown(f"**Where they {verb}** — " + "; ".join(summary) + ".")


def update_rules(runs: Sequence[RunChoice]) -> None:
    """Each run's update rule, as the LaTeX the engine generates from the code that ran."""
    st.subheader("The update rules")
    columns = st.columns(min(3, len(runs)))
    for i, choice in enumerate(runs):
        with columns[i % len(columns)]:
            st.markdown(f"**{choice.label}**")
            st.latex(choice.build().latex)
    st.caption(
        "γ: learning rate, μ: momentum, b: momentum buffer (velocity), v: running average of "
        "g², m: running average of g. The formulas are generated from the code that ran."
    )


def downloads(
    stem: str,
    runs: Sequence[RunChoice],
    traj: Trajectories,
    names: Sequence[str],
    figure: go.Figure,
) -> None:
    """CSV of the trajectories and the animation as offline HTML, built only when clicked."""
    labels = [r.label for r in runs]
    left, right = st.columns(2)
    left.download_button(
        "Download trajectories (CSV)",
        data=lambda: trajectories_csv(labels, traj.steps, traj.params, traj.loss, names),
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
    )
    right.download_button(
        "Download the animation (HTML, works offline)",
        data=lambda: standalone_html(figure),
        file_name=f"{stem}.html",
        mime="text/html",
        on_click="ignore",
    )


def lesson_start(
    title: str,
    intro: str,
    params: Sequence[Param],
    presets: Mapping[str, Mapping[str, Any]],
    default_preset: str,
    prefix: str,
) -> Settings:
    """The top of every lesson: check the link's values, seed the controls with the default
    preset, the title and introduction, any notice about the link, and the preset menu."""
    ensure_shell()
    settings = current()
    notices = sanitize(params)
    for name, value in presets[default_preset].items():
        st.session_state.setdefault(name, value)
    st.title(title)
    st.markdown(intro)
    show_notices(notices)
    preset_picker(presets, f"{prefix}preset")
    return settings


def surface_picker(column: Any, label: str, keys: Sequence[str], prefix: str) -> str:
    """The lesson's surface menu (bound to the URL), showing each surface by its name."""
    key: str = column.selectbox(
        label, keys, key=f"{prefix}surface", format_func=lambda k: SURFACES[k].name,
        bind="query-params",
    )  # fmt: skip
    return key


def describe_surface(surface: Surface) -> None:
    """What the chosen surface teaches, and its formula."""
    st.caption(f"**{surface.name}** — {surface.description}")
    st.latex(surface.formula)
