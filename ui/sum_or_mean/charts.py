"""The "Sum or mean?" lesson's charts, each cached by what it shows.

``ui.kept.kept`` hands back the same figure object for the same inputs, so an identical
rerun sends byte-identical charts (the browser keeps them and no animation restarts) and a
changed control rebuilds only the charts that depend on it. The runs they draw come from
``compute``. Every chart takes the ``Style``, which carries the language of its texts, so a
chart is cached per language too.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from engine.problems import loss_table
from figures.style import Style
from figures.sum_mean import (
    curves_figure,
    lr_map_figure,
    noise_cloud_figure,
    noise_scale_figure,
    norm_figure,
)
from figures.trajectories import race_figure
from i18n import _
from ui.kept import kept
from ui.sum_or_mean.compute import (
    Cloud,
    Setup,
    ab_runs,
    batch_lr_map,
    l2_norms,
    loss_curves,
    noise_cloud,
    noise_scale_along,
)
from ui.sum_or_mean.params import X_AXIS_NAMES


@kept()
def paths_chart(setup: Setup, labels: tuple[str, str], style: Style) -> go.Figure:
    """Runs A and B animated on the contour of the full-data loss (built once per setting,
    so a rerun that changes nothing else — the inspected step — keeps the same figure)."""
    problem = setup.problem
    # The contour from a coarse exact table (loss_table): the image's 180 × 180 points over
    # N = 4096 logistic examples took 4 s; the table's 50 × 50 take 25 ms.
    return race_figure(loss_table(problem), ab_runs(setup), list(labels), style,
                       show_state=False, axis_titles=problem.param_names)  # fmt: skip


Current = tuple[tuple[int, float, str], ...]


@kept()
def map_chart(
    kind: str,
    n: int,
    noise: float,
    seed: int,
    momentum: float,
    style: Style,
    current: Current | None = None,
) -> go.Figure:
    """The map's figure with the learner's runs marked on it.

    Args:
        kind, n, noise, seed, momentum: what the map runs (``batch_lr_map``, cached apart, so a
            new ``current`` rebuilds only the figure, ~10 ms).
        style: sizes and projector mode.
        current: ``((batch_a, lr_a, reduction_a), (batch_b, lr_b, reduction_b))`` — runs A and
            B, each marked on its reduction's panel; None marks nothing.
    """
    m = batch_lr_map(kind, n, noise, seed, momentum)
    return lr_map_figure(m.batch_sizes, m.lrs, m.final_loss, m.best_lr, m.optimum, m.wall,
                         m.loss_floor, style, momentum=m.momentum, current=current)  # fmt: skip


@kept()
def l2_chart(kind: str, n: int, noise: float, seed: int, l2: float, style: Style) -> go.Figure:
    """The L2 figure (lr 0.1 under mean, 0.1/B under sum), built once per setting."""
    sizes, norms = l2_norms(kind, n, noise, seed, l2, 0.1)
    return norm_figure(sizes, norms, l2, style)


@kept()
def curves_chart(setup: Setup, labels: tuple[str, str], x_axis: str, style: Style) -> go.Figure:
    """The full-data loss of runs A and B against optimizer steps, epochs or examples seen."""
    x, loss = loss_curves(setup, ab_runs(setup), x_axis)
    return curves_figure(x, loss, list(labels), _(X_AXIS_NAMES[x_axis]), setup.problem.loss_floor,
                         style)  # fmt: skip


def clouds_at(setup: Setup, step: int) -> list[Cloud]:
    """The mini-batch gradient clouds of runs A and B at ``step`` (a run that has ended waits
    at its last point; one that blew up is looked at from the start)."""
    traj = ab_runs(setup)
    problem = setup.problem
    clouds = []
    for k, (reduction, batch) in enumerate(zip(setup.reductions, setup.batches, strict=True)):
        point = traj.params[step, k]
        if not np.all(np.isfinite(point)):
            point = problem.default_start
        clouds.append(noise_cloud(setup.kind, setup.n, setup.noise, setup.seed,
                                  tuple(point.tolist()), batch, reduction))  # fmt: skip
    return clouds


@kept()
def cloud_chart(
    setup: Setup, labels: tuple[str, str], step: int, style: Style
) -> tuple[go.Figure, float]:
    """The gradient clouds at ``step`` and B_simple = tr Σ / |G|² at run A's point there."""
    clouds = clouds_at(setup, step)
    return noise_cloud_figure(clouds, list(labels), style), clouds[0].b_simple


@kept()
def noise_scale_chart(setup: Setup, style: Style) -> go.Figure:
    """B_simple along run A against the batch size in use."""
    scale_steps, scales = noise_scale_along(setup)
    return noise_scale_figure(scale_steps, scales, setup.batch, style)
