"""Computations of the "Uncrumpling the paper ball" lesson, cached by their configuration.

One network (or two, side by side: the same data and seed with the other activation, or with
3 units per layer) is trained once per setting with ``SNAPSHOTS`` moments of training kept
(``engine.geometry.train_snapshots``); moving the training-progress slider only recomputes the
stages of one kept network (a few small matrix products) and its figures. Everything is kept
with ``ui.kept.kept`` (shared by every session, never modified), within the process's budget
of bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go
from numpy.typing import NDArray

from engine import geometry
from engine.datasets import Dataset, dataset_from_points, make_dataset
from engine.nn import MLPSpec
from figures.geometry import boundary_figure, cut_figure, morph_figure, separability_figure
from figures.style import Style
from i18n import N_, _, ngettext
from ui.kept import kept
from ui.training.points import decode_points, points_arrays
from ui.uncrumpling.params import BATCH, OWN, SNAPSHOTS, P

Array = NDArray[np.float64]
GRID_LINES, GRID_SAMPLES = 11, 25  # the reference grid: 11 + 11 lines of 25 points
BOUNDARY_GRID = 80  # points per axis of the input plane's decision-boundary grid
MIN_OWN = 6  # points of one's own needed, of both classes


@dataclass(frozen=True)
class Net:
    """One network of the lesson and how it is trained (hashable: a cache key)."""

    data: str
    n: int
    noise: float
    data_seed: int
    points: str
    layers: int
    width: int
    activation: str
    epochs: int
    lr: float
    init_seed: int

    @property
    def spec(self) -> MLPSpec:
        return MLPSpec(n_inputs=2, hidden=(self.width,) * self.layers, n_outputs=1,
                       activation=self.activation, output="sigmoid_bce", init="glorot")  # fmt: skip


class Setup(NamedTuple):
    """The page's networks: A, and B when something is compared (B differs only in it).

    ``labels`` name them (empty for one network), marked for the catalogue but untranslated:
    the page translates them where it shows them, and keys its charts by them.
    """

    nets: tuple[Net, ...]
    labels: tuple[str, ...]


def setup_from(values: Mapping[str, Any]) -> Setup:
    """The networks the values describe."""
    a = Net(str(values[f"{P}data"]), int(values[f"{P}n"]), float(values[f"{P}noise"]),
            int(values[f"{P}data_seed"]), str(values[f"{P}pts"]), int(values[f"{P}layers"]),
            int(values[f"{P}width"]), str(values[f"{P}act"]), int(values[f"{P}epochs"]),
            float(values[f"{P}lr"]), int(values[f"{P}init_seed"]))  # fmt: skip
    compare = str(values[f"{P}compare"])
    if compare == "activation":
        other = "relu" if a.activation != "relu" else "tanh"
        b = replace(a, activation=other)
        first, second = sorted((a, b), key=lambda net: net.activation != "relu")
        return Setup((first, second), (activation_name(first), activation_name(second)))
    if compare == "width":
        two, three = replace(a, width=2), replace(a, width=3)
        return Setup((two, three), (N_("2 units per layer"), N_("3 units per layer")))
    return Setup((a,), ("",))


def activation_name(net: Net) -> str:
    """The activation's name as the menu shows it (marked, untranslated)."""
    return {"relu": "ReLU", "tanh": "tanh", "leaky_relu": "Leaky ReLU",
            "sigmoid": N_("Sigmoid")}[net.activation]  # fmt: skip


def own_points_missing(values: Mapping[str, Any]) -> str | None:
    """Why the learner's own points cannot be trained on yet, or None."""
    if values[f"{P}data"] != OWN:
        return None
    points = [p for p in decode_points(str(values[f"{P}pts"])) if p.label in (0, 1)]
    if len(points) < MIN_OWN or {p.label for p in points} != {0, 1}:
        return _("*My points* needs at least {least} points of classes 0 and 1: add them on the "
                 "plane of *{page}*, then press *Use my points* here. {count} so far.").format(
            least=MIN_OWN, page=_("What is training?"), count=len(points)
        )  # fmt: skip
    return None


def own_points_note(values: Mapping[str, Any]) -> str | None:
    """What is left out of the learner's points (this lesson separates two classes)."""
    if values[f"{P}data"] != OWN:
        return None
    third = sum(p.label not in (0, 1) for p in decode_points(str(values[f"{P}pts"])))
    if not third:
        return None
    return ngettext("{n} point of class 2 left out: this lesson separates two classes.",
                    "{n} points of class 2 left out: this lesson separates two classes.",
                    third).format(n=third)  # fmt: skip


@kept()
def dataset(net: Net) -> Dataset:
    """The examples (training set only: the lesson looks at the geometry of what is learnt)."""
    if net.data == OWN:
        X, y = points_arrays([p for p in decode_points(net.points) if p.label in (0, 1)])
        return dataset_from_points(X, y, test_fraction=0.0, seed=net.data_seed,
                                   standardize=False, key=OWN)  # fmt: skip
    return make_dataset(net.data, net.n, net.noise, net.data_seed, test_fraction=0.0)


@kept()
def snapshots(net: Net) -> tuple[Array, NDArray[np.intp]]:
    """The network at ``SNAPSHOTS`` moments of training: params ``(S, P)`` and their steps."""
    data = dataset(net)
    return geometry.train_snapshots(net.spec, data, epochs=net.epochs, lr=net.lr,
                                    batch_size=min(BATCH, len(data.X_train)),
                                    init_seed=net.init_seed, snapshots=SNAPSHOTS)  # fmt: skip


def snapshot_index(progress: int, kept: int = SNAPSHOTS) -> int:
    """Of ``kept`` moments (fewer than ``SNAPSHOTS`` for a run of few steps), the one nearest
    ``progress`` per cent."""
    return round(progress / 100 * (kept - 1))


def extent(data: Dataset) -> tuple[float, float, float, float]:
    """The input plane shown: the training points' box, padded, square."""
    X = np.asarray(data.X_train)
    low, high = X.min(axis=0), X.max(axis=0)
    centre, half = (low + high) / 2, float(np.max(high - low)) * 0.6 + 0.1
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


class View(NamedTuple):
    """One network at one moment: its stages, its cut and its decision boundary."""

    stages: list[geometry.Stage]
    cut: tuple[Array, float]
    axes: tuple[Array, Array]
    logits: Array
    step: int


@kept()
def view(net: Net, progress: int) -> View:
    """The stages of ``net`` at ``progress`` per cent of its training (the nearest kept)."""
    params, steps = snapshots(net)
    snapshot = snapshot_index(progress, len(params))
    data = dataset(net)
    box = extent(data)
    grid = geometry.input_grid(box, lines=GRID_LINES, samples=GRID_SAMPLES)
    theta = params[snapshot]
    stages = geometry.stages(net.spec, theta, np.asarray(data.X_train),
                             np.asarray(data.y_train), grid)  # fmt: skip
    axes = (np.linspace(box[0], box[1], BOUNDARY_GRID), np.linspace(box[2], box[3], BOUNDARY_GRID))
    logits = geometry.logit_grid(net.spec, theta, axes)
    return View(stages, geometry.output_cut(net.spec, theta), axes, logits, int(steps[snapshot]))


def stage_names(net: Net) -> list[str]:
    """The slider's stops: input (translated), then W₁, +b₁, tanh₁ … per layer."""
    sub = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    act = {"relu": "relu", "tanh": "tanh", "leaky_relu": "leaky", "sigmoid": "σ"}[net.activation]
    names = [_("input")]
    for layer in range(1, net.layers + 1):
        k = str(layer).translate(sub)
        names += [f"W{k}", f"+b{k}", f"{act}{k}"]
    return names


@kept()
def morph_chart(net: Net, progress: int, grid: bool, style: Style, narrow: bool) -> go.Figure:
    """The stage of ``net`` at ``progress`` per cent of its training."""
    v = view(net, progress)
    stages = v.stages if grid else [s._replace(grid=s.grid[:0]) for s in v.stages]
    return morph_figure(stages, dataset(net).y_train, v.cut, stage_names(net), style,
                        narrow=narrow)  # fmt: skip


@kept()
def boundary_chart(net: Net, progress: int, style: Style) -> go.Figure:
    """The input plane with the decision boundary."""
    v, data = view(net, progress), dataset(net)
    return boundary_figure(v.axes, v.logits, data.X_train, data.y_train, style)


@kept()
def cut_chart(net: Net, progress: int, style: Style) -> go.Figure:
    """The last hidden layer's output with the output's straight cut."""
    v = view(net, progress)
    return cut_figure(v.stages[-1], dataset(net).y_train, v.cut, style)


@kept()
def separability_chart(net: Net, progress: int, style: Style) -> go.Figure:
    """The best straight cut's accuracy at every stage."""
    v = view(net, progress)
    return separability_figure(stage_names(net), [s.separability for s in v.stages], style)


def check(net: Net) -> None:
    """ValueError when the network cannot be drawn this way (the engine's message)."""
    geometry.check_geometry_spec(net.spec)
