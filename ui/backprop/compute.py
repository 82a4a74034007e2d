"""Computations of the "Backpropagation" lesson, from the page's values.

Everything here is a few tiny NumPy calls (a network of at most 15 parameters and 4 examples)
except the cost chart, which times real networks of up to 10⁶ weights: that is measured once
per server process and size (``cost_of``, with a progress bar the first time) and kept. The
figures are cached by value (``ui.kept.kept``, bounded in bytes), so an identical rerun sends
byte-identical charts and the browser's animation does not restart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine import backprop as bp
from engine import backprop_batch as bb
from engine.gradient_cost import GradientCosts, ProgressNote, measure_costs, short_spec
from engine.nn import MLPSpec
from figures.backprop_charts import fd_figure, lr_figure
from figures.backprop_cost import cost_figure
from figures.backprop_graph import graph_figure
from figures.style import Style
from i18n import _, number
from ui.backprop.params import MAX_BATCH, REF_OF, P, param_key, spec_of
from ui.kept import kept
from ui.panels import stage_style
from ui.settings import Settings

GRAPH_HEIGHT = 390  # px on a laptop: the graph, its playback and the step's title fit 768 px
LR_GRID = np.logspace(-4.0, 2.0, 49)  # the lr chart's learning rates, 8 per decade


@dataclass(frozen=True)
class Net:
    """The network and the example the graph shows (hashable: a cache key)."""

    spec: MLPSpec
    params: tuple[float, ...]
    x: tuple[float, ...]
    y: float

    @property
    def key(self) -> str:
        """What the cache hashes (the fields; not the cached graph)."""
        return repr((self.spec, self.params, self.x, self.y))

    @cached_property
    def graph(self) -> bp.Graph:
        return bp.graph(self.spec, np.array(self.params), np.array(self.x), self.y)

    @cached_property
    def steps(self) -> list[bp.Step]:
        return bp.backward_steps(self.graph)


@dataclass(frozen=True)
class Batch:
    """The batch: example 1 (the graph's) and the next ones, with the reduction."""

    net: Net
    X: tuple[tuple[float, ...], ...]
    y: tuple[float, ...]
    reduction: str

    @property
    def key(self) -> str:
        return repr((self.net.key, self.X, self.y, self.reduction))

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.X), np.array(self.y)


HASH: dict[str | type[Any], Callable[[Any], Any]] = {
    Net: lambda net: net.key,
    Batch: lambda batch: batch.key,
}


def net_from(values: Mapping[str, Any]) -> Net:
    """The network and first example the values describe."""
    spec = spec_of(dict(values))
    params = tuple(float(values[param_key(r)]) for r in bp.param_refs(spec))
    x = tuple(float(values[f"{P}x{i}"]) for i in range(1, spec.n_inputs + 1))
    return Net(spec, params, x, float(values[f"{P}y"]))


def batch_from(values: Mapping[str, Any], net: Net) -> Batch:
    """The first ``bp_batch`` examples (example 1 is the graph's)."""
    n_in = net.spec.n_inputs
    rows, targets = [net.x], [net.y]
    for e in range(2, min(int(values[f"{P}batch"]), MAX_BATCH) + 1):
        rows.append(tuple(float(values[f"{P}e{e}_x{i}"]) for i in range(1, n_in + 1)))
        targets.append(float(values[f"{P}e{e}_y"]))
    return Batch(net, tuple(rows), tuple(targets), str(values[f"{P}red"]))


def picked(values: Mapping[str, Any]) -> bp.Ref:
    """The parameter whose gradient the page follows."""
    return REF_OF[str(values[f"{P}pick"])]


def index_of(net: Net, ref: bp.Ref) -> int:
    return bp.param_index(net.spec, ref)


def graph_style(settings: Settings) -> Style:
    """The stage's style: shorter than other stages on a laptop (the graph is wide, not tall)."""
    style = stage_style(settings)
    return style if settings.projector else style.with_height(GRAPH_HEIGHT)


@kept(hash_funcs=HASH)
def graph_chart(net: Net, step: int, style: Style) -> go.Figure:
    """The stage: the graph at backward-pass ``step`` (frames for all steps)."""
    return graph_figure(net.graph, net.steps, step, style)


@kept(hash_funcs=HASH)
def fd_chart(net: Net, index: int, h: float, style: Style) -> tuple[go.Figure, bb.FDErrors]:
    """The finite-difference V of parameter ``index`` on the graph's example."""
    X, y = np.array([net.x]), np.array([net.y])
    errors = bb.fd_errors(net.spec, np.array(net.params), X, y, index)
    return fd_figure(errors, h, style), errors


def nudge_of(net: Net, index: int, h: float) -> bb.Nudge:
    """The selected parameter nudged by ±h on the graph's example."""
    return bb.nudge(net.spec, np.array(net.params), np.array([net.x]), np.array([net.y]), index, h)


def per_example(batch: Batch) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Each example's loss ``(B,)`` and gradient ``(B, P)``, and the batch's loss and gradient
    under the batch's reduction."""
    X, y = batch.arrays
    losses, grads = bb.example_grads(batch.net.spec, np.array(batch.net.params), X, y)
    loss, grad = bb.batch_grad(batch.net.spec, np.array(batch.net.params), X, y, batch.reduction)
    return losses, grads, loss, grad


def updates(batch: Batch, lr: float, reset: bool) -> bb.Updates:
    """Two SGD steps on the batch, with or without resetting the gradient in between."""
    X, y = batch.arrays
    return bb.sgd_steps(batch.net.spec, np.array(batch.net.params), X, y, lr, steps=2,
                        reset=reset, reduction=batch.reduction)  # fmt: skip


@kept(hash_funcs=HASH)
def lr_chart(batch: Batch, lr: float, style: Style) -> go.Figure:
    """The batch loss after one step, against the learning rate."""
    X, y = batch.arrays
    theta = np.array(batch.net.params)
    after = bb.loss_after_step(batch.net.spec, theta, X, y, LR_GRID, batch.reduction)
    before = float(bb.batch_losses(batch.net.spec, theta, X, y, batch.reduction)[0])
    return lr_figure(LR_GRID, after, lr, before, style)


class CostStore:
    """The cost measurements, one per network size, measured once per server process (every
    session shares them; the two sizes bound the store)."""

    def __init__(self) -> None:
        self._costs: dict[int, GradientCosts] = {}
        self._lock = threading.Lock()

    def get(self, max_params: int) -> GradientCosts | None:
        return self._costs.get(max_params)

    def measure(self, max_params: int, progress: Callable[[float, str], object]) -> GradientCosts:
        """Measure (one session at a time: two at once would time each other) and keep."""
        with self._lock:
            if max_params not in self._costs:
                self._costs[max_params] = measure_costs(max_params, progress=progress)
            return self._costs[max_params]


COSTS = CostStore()


def cost_of(max_params: int) -> GradientCosts:
    """The cost measurements for networks up to ``max_params``, with a progress bar the first
    time this server measures them."""
    known = COSTS.get(max_params)
    if known is not None:
        return known
    bar = st.progress(0.0, text=_("Timing finite differences and backprop…"))
    try:
        return COSTS.measure(
            max_params, lambda done, text: bar.progress(min(done, 1.0), text=progress_text(text))
        )
    finally:
        bar.empty()


def progress_text(text: str) -> str:
    """The measurement's progress message in the learner's language (``ProgressNote``)."""
    if not isinstance(text, ProgressNote):
        return text
    values = {"params": number(text.n_params, ","),
              "backprop": number(text.backprop_ms, short_spec(text.backprop_ms)),
              "fd": number(text.fd_s, short_spec(text.fd_s))}  # fmt: skip
    if text.estimated:
        return _("P = {params}: backprop {backprop} ms, finite differences {fd} s (estimated)"
                 ).format(**values)  # fmt: skip
    return _("P = {params}: backprop {backprop} ms, finite differences {fd} s").format(**values)


@kept()
def cost_chart(max_params: int, style: Style) -> go.Figure:
    """The cost chart of the measured sizes up to ``max_params`` (measure them first)."""
    costs = COSTS.get(max_params)
    if costs is None:
        raise ValueError(f"networks up to {max_params} parameters have not been measured")
    return cost_figure(costs, style)
