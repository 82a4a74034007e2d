"""The "What is training?" lesson's charts, each cached by what it shows.

``ui.kept.kept`` hands back the same figure object for the same inputs, so an identical
rerun sends byte-identical charts (the browser keeps them and the animation does not restart),
and a control that changes one chart — the x-axis, the frame, the inspected step — rebuilds
only that one.
"""

from __future__ import annotations

import plotly.graph_objects as go

from engine.features import FEATURES
from engine.training import StepDetail
from figures.point_picker import blank_plane_figure
from figures.style import Style
from figures.training import network_figure, step_figure, training_stage_figure
from i18n import _
from ui.kept import kept
from ui.training.compute import HASH, Setup, dataset, network_of, neuron_maps, step_detail, training
from ui.training.points import decode_points, points_arrays


@kept(hash_funcs=HASH)
def stage_chart(setup: Setup, x_axis: str, discretize: bool, style: Style) -> go.Figure:
    """The animated stage: every run's boundary, the points and the curves."""
    data = dataset(setup.data)
    points = decode_points(setup.data.points)
    extra = None
    if points and data.n_inputs == 2:
        extra = points_arrays(points)
    elif points:  # a regression line: a point is (x, target)
        X, _labels = points_arrays(points)
        extra = (X[:, :1], X[:, 1])
    return training_stage_figure(training(setup), data, list(setup.labels), x_axis=x_axis,
                                 discretize=discretize, extra_points=extra, picker=True,
                                 style=style)  # fmt: skip


@kept()
def blank_chart(points: str, style: Style) -> go.Figure:
    """The blank plane for "Only my points" with the points placed so far."""
    return blank_plane_figure(points_arrays(decode_points(points)), style)


def frame_at(setup: Setup, progress: int) -> int:
    """The frame ``progress`` % of the way through training."""
    frames = training(setup).frame_steps.shape[0]
    return round(progress / 100 * (frames - 1))


@kept(hash_funcs=HASH)
def network_chart(setup: Setup, k: int, progress: int, style: Style) -> tuple[go.Figure, int]:
    """Every neuron of run k at ``progress`` % of training, and the step that frame shows."""
    frame = frame_at(setup, progress)
    maps, weights = neuron_maps(setup, k, frame)
    figure = network_figure(maps, weights,
                            feature_labels=[FEATURES[f].label for f in setup.features],
                            activation=network_of(setup, k).activation, style=style)  # fmt: skip
    return figure, int(training(setup).frame_steps[frame, k])


def layer_names(setup: Setup, k: int) -> list[str]:
    """ "layer 1", …, "output": the names of run k's layers of weights (in the page's
    language)."""
    depth = len(network_of(setup, k).hidden)
    return [_("layer {i}").format(i=i) for i in range(1, depth + 1)] + [_("output")]


@kept(hash_funcs=HASH)
def step_chart(setup: Setup, k: int, step: int, style: Style) -> tuple[go.Figure, StepDetail]:
    """One iteration of run k at ``step``: the figure and its numbers."""
    detail = step_detail(setup, k, step)
    figure = step_figure(detail, dataset(setup.data), layer_names=layer_names(setup, k),
                         style=style)  # fmt: skip
    return figure, detail
