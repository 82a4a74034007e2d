"""Cached computations and figures of the surface lessons (shared by their pages).

Runs are cached by their full configuration (``st.cache_data``: a rerun with the same settings
costs nothing); figures by the same key plus the style (``ui.kept.kept``: the same object
comes back, so an identical rerun sends an identical chart and the animation is not restarted).
Both caches are bounded, so a class of 50 students cannot grow the server's memory without
limit. A figure's texts are in the style's language (``Style.lang``), so a figure is cached per
language; the sentences below are built in the current language on every run.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine import theory
from engine.runner import RunGroup, Trajectories, run
from engine.surfaces import SURFACES, Surface, ill_conditioned_quadratic
from figures.style import Style
from figures.surface_plots import landscape_name, loss_figure, surface_3d_figure
from figures.trajectories import race_figure, rolling_figure
from i18n import _, message, number
from ui.kept import kept
from ui.runs import RunChoice

MAX_STEPS = 2000
MODERATE = 10.0  # a loss within this factor of the start's (in size, or of 1) has not blown up


@functools.lru_cache(maxsize=64)  # the same κ gives the same object: figure caches keep hitting
def surface_for(key: str, condition: float | None = None) -> Surface:
    """The registry surface, or the ill-conditioned valley with the chosen condition number."""
    if key == "ill_conditioned" and condition is not None:
        return ill_conditioned_quadratic(condition=condition)
    return SURFACES[key]


def surface_label(key: str, condition: float | None = None) -> str:
    """The surface menu's label for ``key``: its name in the current language, with the κ in
    use for the ill-conditioned valley (the registry's entry says κ = 25 whatever the control
    is set to)."""
    return landscape_name(surface_for(key, condition))


def point_text(point: Sequence[float]) -> str:
    """A point as the sentences write it, to 3 significant digits: "(0.96)", "(1, 3)" (the
    numbers and the separator of a pair as the current language writes them)."""
    values = [number(float(v), ".3g") for v in point]
    if len(values) == 2:
        return _("({x}, {y})").format(x=values[0], y=values[1])
    return "(" + ", ".join(values) + ")"


@dataclass(frozen=True)
class SurfaceRace:
    """Everything that decides a lesson's runs on a surface (hashable: the cache key).

    ``condition`` is the ill-conditioned valley's κ (None for every other surface); ``noise``
    the σ of simulated gradient noise, seeded by ``seed``.
    """

    surface_key: str
    start: tuple[float, ...]
    steps: int
    runs: tuple[RunChoice, ...]
    condition: float | None = None
    noise: float = 0.0
    seed: int = 0

    @property
    def surface(self) -> Surface:
        return surface_for(self.surface_key, self.condition)

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.runs]


@st.cache_data(max_entries=128, show_spinner=False)
def simulate(race: SurfaceRace) -> Trajectories:
    """Every run from the same start for ``steps`` steps (simulated noise σ if ``noise``)."""
    groups = [
        RunGroup(r.build(), [list(race.start)], noise_std=race.noise, noise_batch_size=1)
        for r in race.runs
    ]
    return run(race.surface, groups, race.steps, seed=race.seed)


@kept()
def race_chart(race: SurfaceRace, style: Style, show_state: bool) -> tuple[go.Figure, go.Figure]:
    """The animated race and its loss curves."""
    traj = simulate(race)
    adaptive = [r.adaptive for r in race.runs]
    figure = race_figure(
        race.surface,
        traj,
        race.labels,
        style,
        show_state=show_state,
        adaptive=adaptive,
        pick_start=True,
    )
    return figure, _loss(race.surface, traj, race.labels, style)


@kept()
def rolling_chart(race: SurfaceRace, style: Style) -> tuple[go.Figure, go.Figure]:
    """The rolling balls on the 1-D curve and their loss curves."""
    traj = simulate(race)
    figure = rolling_figure(race.surface, traj, race.labels, style)
    return figure, _loss(race.surface, traj, race.labels, style)


@kept()
def race_3d_chart(race: SurfaceRace, style: Style) -> go.Figure:
    """The race's paths on a 3-D view of the surface (static)."""
    traj = simulate(race)
    return surface_3d_figure(race.surface, traj.params, traj.loss, race.labels, style)


def _loss(surface: Surface, traj: Trajectories, labels: Sequence[str], style: Style) -> go.Figure:
    floor = float(surface.minima_values.min()) if len(surface.minima_values) else None
    return loss_figure(labels, traj.steps, traj.loss, style, floor=floor)


def last_moderate_row(traj: Trajectories, k: int) -> int:
    """The last recorded row of run ``k`` before its blow-up: finite, recorded before the step
    it diverged at, and with |loss| ≤ ``MODERATE`` · max(|loss at the start|, 1) (row 0 if no
    row qualifies). For a run that did not diverge, its last row."""
    t = int(traj.diverged_at[k])
    before = np.flatnonzero(traj.steps < t) if t >= 0 else np.arange(len(traj.steps))
    if len(before) == 0:
        return 0
    loss = traj.loss[before, k]
    start = float(loss[0]) if np.isfinite(loss[0]) else 0.0
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(loss) & (np.abs(loss) <= MODERATE * max(abs(start), 1.0))
    ok &= np.all(np.isfinite(traj.params[before, k]), axis=-1)
    return int(before[np.flatnonzero(ok)[-1]]) if ok.any() else 0


def divergence_reasons(
    surface: Surface, traj: Trajectories, runs: Sequence[RunChoice], *, noise: float = 0.0
) -> list[str]:
    """A sentence per diverged run saying why, from the last point before its blow-up.

    There (``last_moderate_row``) the curvature is the one that made the steps grow, not the
    astronomical one of where the run had already flown. When the simulated gradient noise
    σ = ``noise`` exceeds the true gradient's norm there, the sentence blames the noise.
    """
    out = []
    for k, r in enumerate(runs):
        t = int(traj.diverged_at[k])
        if t < 0:
            continue
        row = last_moderate_row(traj, k)
        point = traj.params[row, k]
        if not np.all(np.isfinite(point)):  # unusable from the start: nothing to measure
            out.append(
                _("**{run}** diverged at step {step}: its start is already out of range.").format(
                    run=r.label, step=t
                )
            )
            continue
        eigs = theory.quadratic_eigs(surface.hessian(point))
        grad_norm = float(np.linalg.norm(surface.grad(point)))
        if r.optimizer in ("sgd", "keras_sgd") or (noise > grad_norm):
            reason = theory.divergence_reason(
                r.lr, float(eigs[-1]), r.momentum, float(eigs[0]), noise=noise, grad_norm=grad_norm
            )
            why = message(reason)
        else:
            why = _(
                "an adaptive optimizer's step is about lr per coordinate whatever the gradient, "
                "so with lr = {lr} it jumped off this steep ground."
            ).format(lr=number(r.lr, "g"))
        out.append(
            _(
                "**{run}** diverged at step {step}. At step {row}, the last point before the "
                "blow-up (at {point}, loss {loss}): {why}"
            ).format(
                run=r.label,
                step=t,
                row=int(traj.steps[row]),
                point=point_text(point),
                loss=number(float(traj.loss[row, k]), ".3g"),
                why=why,
            )
        )
    return out


def final_summary(surface: Surface, traj: Trajectories, runs: Sequence[RunChoice]) -> list[str]:
    """Where each run ended: its loss and, on a surface that knows its minima, the nearest one
    (a saddle knows none: the loss alone)."""
    lines = []
    for k, r in enumerate(runs):
        if traj.diverged_at[k] >= 0:
            continue
        end = traj.params[-1, k]
        loss = number(float(traj.loss[-1, k]), ".4g")
        if not len(surface.minima):
            lines.append(_("**{run}**: loss {loss}").format(run=r.label, loss=loss))
            continue
        distance = np.linalg.norm(surface.minima - end, axis=-1)
        i = int(np.argmin(distance))
        best = surface.minima_values[i] <= surface.minima_values.min() + 1e-9
        if best:
            text = _("**{run}**: loss {loss}, {distance} from the global minimum at {point}")
        else:
            text = _("**{run}**: loss {loss}, {distance} from a local minimum at {point}")
        lines.append(
            text.format(
                run=r.label,
                loss=loss,
                distance=number(float(distance[i]), ".2g"),
                point=point_text(surface.minima[i]),
            )
        )
    return lines
