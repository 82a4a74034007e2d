"""Two close-ups of the "What is training?" lesson: inside the network, and one step of the loop.

* ``network_figure(unit_maps, weights, ...)`` — TensorFlow Playground's picture of a network at
  one moment: the input features as labelled boxes on the left, one column per hidden layer,
  the output on the right; each unit a thumbnail of its output over the plane (a small line
  plot for 1-D data); the weights as lines between the columns, blue and solid where positive,
  vermillion and dashed where negative, as wide as |w| (normalised per layer).
* ``step_figure(detail, data, ...)`` — one iteration in four panels: the batch on the plane,
  the forward pass (each example's prediction against its target), the backward pass (the
  gradient's norm per layer) and the update (‖Δθ‖ per layer, and the batch loss before and
  after it). A diverged step says so in words instead of drawing NaN.

Thumbnails are uint8 heatmaps (one byte a cell) on a few shared colour axes, placed on one
hidden canvas; the weights are a few traces bucketed by width, not one trace a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike, NDArray

from engine.datasets import Dataset
from figures.common import finish, log_axis, typed_array
from figures.style import INK, OKABE_ITO, SYMBOLS, Style
from figures.training_planes import GREY, GREY_COLOUR, LEVELS, mix, u1_grid
from i18n import N_, _, ngettext, number

Array = NDArray[np.float64]
Rule = tuple[float, float] | str | None

THUMB = 0.56  # a thumbnail's side, in canvas units
PITCH = 0.68  # vertical distance between units
THUMB_HEAT = 0.8  # share of the colour at a scale's end: a thumbnail holds no points to read
WIDTH_LEVELS = 5  # weight lines come in this many widths per sign
MAX_DOTS = 64  # the forward pass draws a dot per example up to this batch size, then histograms
# A hidden layer's colour scale per activation: (low, high); None: symmetric around 0, as far
# as the values go; "max": 0 … the largest value.
SCALES: dict[str, Rule] = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "relu": "max",
                           "leaky_relu": None, "linear": None}  # fmt: skip
# The name under a hidden column's colour scale (the activation as the code calls it).
SCALE_NAMES = {"tanh": "tanh", "sigmoid": N_("sigmoid"), "relu": "relu",
               "leaky_relu": N_("leaky_relu"), "linear": N_("linear")}  # fmt: skip


def _diverging() -> list[list[Any]]:
    """Low blue → white in the middle → high vermillion, as on the stage; then GREY."""
    return [[0.0, mix(OKABE_ITO[0], THUMB_HEAT)], [LEVELS / 2 / GREY, "rgb(255,255,255)"],
            [LEVELS / GREY, mix(OKABE_ITO[1], THUMB_HEAT)], [1.0, GREY_COLOUR]]  # fmt: skip


def _ramp(colour: str) -> list[list[Any]]:
    """White (0) → ``colour`` (the top of the scale); then GREY."""
    return [[0.0, "rgb(255,255,255)"], [LEVELS / GREY, mix(colour, THUMB_HEAT)],
            [1.0, GREY_COLOUR]]  # fmt: skip


def _column_scale(
    values: Array, output: bool, activation: str
) -> tuple[float, float, list[list[list[Any]]], str]:
    """A column's (low, high), colour scale per unit (cycled) and its label under it."""
    finite = values[np.isfinite(values)]
    # 99th percentile, not the maximum: one unit's outlier would leave the others white
    top = float(np.percentile(np.abs(finite), 99)) if finite.size else 1.0
    top = top if top > 0 else 1.0
    if output and (finite.size == 0 or (finite.min() >= 0 and finite.max() <= 1)):
        if len(values) == 1:
            return 0.0, 1.0, [_diverging()], _("P(class 1)") + "<br>0 … 1"
        return (0.0, 1.0, [_ramp(c) for c in OKABE_ITO[: len(values)]],
                _("P(class c)") + "<br>0 … 1")  # fmt: skip
    rule: Rule = None if output else SCALES[activation]
    name = _("value") if output else _(SCALE_NAMES[activation])
    if rule is None:
        return -top, top, [_diverging()], f"{name}<br>±{number(top, '.3g')}"
    if rule == "max":
        return 0.0, top, [_ramp(OKABE_ITO[1])], f"{name}<br>0 … {number(top, '.3g')}"
    low, high = rule if isinstance(rule, tuple) else (-top, top)
    span = f"{number(low, 'g')} … {number(high, 'g')}".replace("-", "−")
    return low, high, [_diverging()], f"{name}<br>{span}"


def _levels(values: Array, low: float, high: float) -> NDArray[np.uint8]:
    """Values → 0 … LEVELS on [low, high] (clipped), NaN → GREY."""
    finite = np.isfinite(values)
    t = np.clip((np.where(finite, values, low) - low) / (high - low), 0.0, 1.0)
    return np.where(finite, np.round(t * LEVELS), GREY).astype(np.uint8)


def _boxes(cx: float, cys: Array, half_x: float, half_y: float) -> tuple[Array, Array]:
    """x and y of closed rectangles around (cx, cy) for each cy, NaN between them."""
    xs = np.array([-1, 1, 1, -1, -1, np.nan]) * half_x + cx
    ys = np.array([-1, -1, 1, 1, -1, np.nan]) * half_y
    return np.tile(xs, len(cys)), (ys[None, :] + np.asarray(cys)[:, None]).ravel()


def _weight_traces(
    ws: Sequence[Array], starts: Sequence[float], ends: Sequence[float],
    centres: Sequence[Array], style: Style,
) -> list[dict[str, Any]]:  # fmt: skip
    """The weights as lines from column l's right edge to column l+1's left edge: one trace
    per (layer, sign, width level); width ∝ |w| / max |W_l|, rounded up to a level. The legend
    shows each sign once, by an empty trace at a middle width and full opacity (the thinnest
    line, which came first, was too faint to see in it)."""
    traces: list[dict[str, Any]] = []
    signs: set[int] = set()
    names = {1: _("positive weight"), -1: _("negative weight (dashed)")}
    for gap, w in enumerate(ws):
        magnitude = np.abs(np.where(np.isfinite(w), w, 0.0))
        if magnitude.max(initial=0.0) == 0.0:
            continue
        level = np.ceil(magnitude / magnitude.max() * WIDTH_LEVELS)
        for sign, colour, dash in ((1, OKABE_ITO[0], "solid"), (-1, OKABE_ITO[1], "dash")):
            name = names[sign]
            for lv in range(1, WIDTH_LEVELS + 1):
                i, j = np.nonzero((level == lv) & (np.sign(w) == sign))
                if len(i) == 0:
                    continue
                xs = np.tile([starts[gap], ends[gap + 1], np.nan], len(i))
                ys = np.stack([centres[gap][i], centres[gap + 1][j], np.full(len(i), np.nan)], 1)
                traces.append({"type": "scatter", "mode": "lines", "x": typed_array(xs),
                               "y": typed_array(ys.ravel()), "hoverinfo": "skip", "name": name,
                               "legendgroup": name, "showlegend": False,
                               "opacity": 0.35 + 0.65 * lv / WIDTH_LEVELS,
                               "line": {"color": colour, "dash": dash,
                                        "width": 0.5 + 1.5 * style.line * lv / WIDTH_LEVELS},
                               })  # fmt: skip
                signs.add(sign)
    for sign, colour, dash in ((1, OKABE_ITO[0], "solid"), (-1, OKABE_ITO[1], "dash")):
        if sign in signs:
            name = names[sign]
            traces.append({"type": "scatter", "mode": "lines", "x": [None], "y": [None],
                           "name": name, "legendgroup": name, "hoverinfo": "skip",
                           "line": {"color": colour, "dash": dash,
                                    "width": 0.5 + 0.55 * style.line}})  # fmt: skip
    return traces


def network_figure(
    unit_maps: Sequence[ArrayLike],
    weights: Sequence[ArrayLike],
    *,
    feature_labels: Sequence[str],
    activation: str,
    style: Style,
) -> go.Figure:
    """Every unit of one network over the plane, with the weights between the layers.

    Args:
        unit_maps: per hidden layer, then the output, ``(units, G, G)`` (row = y) or
            ``(units, G)`` for 1-D data (``engine.training.unit_maps``). The output is
            P(class 1) ``(1, ...)`` or C class probabilities ``(C, ...)``; outside [0, 1] it
            is a regression value.
        weights: W_l ``(fan_in, fan_out)`` of every layer, input → first layer first.
        feature_labels: the input features' names (as many as ``weights[0]`` has rows).
        activation: of the hidden layers; sets their colour scale, labelled under each column
            (tanh −1 … 1, sigmoid 0 … 1, relu 0 … max, linear and leaky relu ±max).
        style: sizes (the height follows from the widest layer).

    Raises:
        ValueError: maps and weights that do not chain (the message gives the shapes), or an
            unknown activation.
    """
    maps = [np.asarray(m, dtype=np.float64) for m in unit_maps]
    ws = [np.asarray(w, dtype=np.float64) for w in weights]
    sizes = [len(feature_labels)] + [len(m) for m in maps]
    if len(ws) != len(maps) or any(
        w.shape != (a, b) for w, a, b in zip(ws, sizes[:-1], sizes[1:], strict=False)
    ):
        raise ValueError(f"weights {[w.shape for w in ws]} do not join layers of sizes {sizes}")
    if activation not in SCALES:
        raise ValueError(f"activation must be one of {sorted(SCALES)}, got {activation!r}")
    n_cols, tallest = len(sizes), max(sizes)
    thumb_px = 50 if style.projector else 38
    unit_px = thumb_px / THUMB
    # columns spread over a laptop's chart width, at least a label's width apart
    column_px = np.clip((1300 if style.projector else 900) / n_cols, *(
        (150, 340) if style.projector else (110, 260)))  # fmt: skip
    xs = np.arange(n_cols) * column_px / unit_px
    centres = [(np.arange(n, dtype=np.float64) - (n - 1) / 2) * -PITCH for n in sizes]  # top down
    half, top = THUMB / 2, tallest * PITCH / 2
    label_half = max(half, (0.32 * style.font * max(map(len, feature_labels)) + 10) / unit_px)
    starts = [xs[0] + label_half] + [x + half for x in xs[1:]]
    ends = [x - half for x in xs]
    data = _weight_traces(ws, starts, ends, centres, style)
    box_x, box_y = _boxes(float(xs[0]), centres[0], label_half, half)
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "fill": "toself",
            "x": typed_array(box_x),
            "y": typed_array(box_y),
            "fillcolor": "rgb(242,242,242)",
            "hoverinfo": "skip",
            "line": {"color": INK, "width": 1},
            "showlegend": False,
            "name": _("inputs"),
        }
    )
    data.append({"type": "scatter", "mode": "text", "x": [float(xs[0])] * sizes[0],
                 "y": [float(c) for c in centres[0]], "text": list(feature_labels),
                 "textfont": {"size": style.font, "color": INK}, "hoverinfo": "skip",
                 "showlegend": False, "name": _("features")})  # fmt: skip
    # two lines each, so that every column's title starts on the same line
    titles = [ngettext("inputs<br>{n} feature", "inputs<br>{n} features", sizes[0]).format(
        n=sizes[0])]  # fmt: skip
    titles += [ngettext("hidden {i}<br>{n} unit", "hidden {i}<br>{n} units", n).format(i=i, n=n)
               for i, n in enumerate(sizes[1:-1], 1)]  # fmt: skip
    titles.append(ngettext("output<br>{n} unit", "output<br>{n} units", sizes[-1]).format(
        n=sizes[-1]))  # fmt: skip
    notes = [""]
    coloraxes: list[list[list[Any]]] = []
    for col, values in enumerate(maps, start=1):
        low, high, scales, note = _column_scale(values, col == len(maps), activation)
        notes.append(note)
        keys = []
        for colours in scales:  # each scale once, as a layout colour axis
            if colours not in coloraxes:
                coloraxes.append(colours)
            n = coloraxes.index(colours) + 1
            keys.append("coloraxis" if n == 1 else f"coloraxis{n}")
        levels = _levels(values, low, high)
        left = float(xs[col]) - half
        name = titles[col].replace("<br>", ", ")
        if values.ndim == 3:  # thumbnails: heatmaps placed in their boxes
            step_y, step_x = THUMB / values.shape[1], THUMB / values.shape[2]
            for u, cy in enumerate(centres[col]):
                unit = _("{layer}: unit {unit}").format(layer=name, unit=u + 1)
                data.append({"type": "heatmap", "z": u1_grid(levels[u]), "x0": left + step_x / 2,
                             "dx": step_x, "y0": cy - half + step_y / 2, "dy": step_y,
                             "coloraxis": keys[u % len(keys)], "zsmooth": "best",
                             "name": unit, "hovertemplate": f"{unit}<extra></extra>"})  # fmt: skip
        else:  # 1-D data: each unit a small line plot in its box
            t = np.append(np.linspace(left, left + THUMB, values.shape[1]), np.nan)
            span = (np.clip(values, low, high) - low) / (high - low) - 0.5  # (units, G)
            ys = np.concatenate([np.append(cy + 0.9 * THUMB * span[u], np.nan)
                                 for u, cy in enumerate(centres[col])])  # fmt: skip
            data.append({"type": "scatter", "mode": "lines",
                         "x": typed_array(np.tile(t, len(values))),
                         "y": typed_array(ys), "line": {"color": INK, "width": 1.5},
                         "hoverinfo": "skip", "showlegend": False, "name": name})  # fmt: skip
        box_x, box_y = _boxes(float(xs[col]), centres[col], half, half)
        data.append({"type": "scatter", "mode": "lines", "x": typed_array(box_x),
                     "y": typed_array(box_y), "hoverinfo": "skip", "showlegend": False,
                     "line": {"color": INK, "width": 1},
                     "name": _("{layer} (outline)").format(layer=name)})  # fmt: skip
    annotations = []
    for x, title, note in zip(xs, titles, notes, strict=True):
        annotations.append({"text": f"<b>{title}</b>", "x": float(x), "y": top + 0.1, "xref": "x",
                            "yref": "y", "yanchor": "bottom", "showarrow": False,
                            "font": {"size": style.font, "color": INK}})  # fmt: skip
        if note:
            annotations.append({"text": note, "x": float(x), "y": -top - 0.05, "xref": "x",
                                "yref": "y", "yanchor": "top", "showarrow": False,
                                "font": {"size": style.tick_font, "color": INK}})  # fmt: skip
    hidden = {"visible": False, "fixedrange": True}
    y_range = [-top - 0.5 - 2.6 * style.tick_font / unit_px, top + 0.3 + 2.6 * style.font / unit_px]
    margin = {"l": 10, "r": 10, "t": 10, "b": 10 + 3 * style.font}
    layout: dict[str, Any] = {
        "xaxis": {**hidden, "range": [float(xs[0] - label_half - 0.2), float(xs[-1] + 0.6)]},
        "yaxis": {**hidden, "range": y_range, "scaleanchor": "x"},
        "annotations": annotations,
        "showlegend": True,
        "legend": {"orientation": "h", "x": 0.0, "y": 0.0, "yanchor": "top"},
        "margin": margin,
    }
    for n, colours in enumerate(coloraxes, start=1):
        layout["coloraxis" if n == 1 else f"coloraxis{n}"] = {
            "colorscale": colours, "cmin": 0, "cmax": GREY, "showscale": False}  # fmt: skip
    height = round((y_range[1] - y_range[0]) * unit_px) + margin["t"] + margin["b"]
    return finish({"data": data, "layout": layout}, style.with_height(height))


class StepDetailLike(Protocol):
    """The fields of ``engine.training.StepDetail`` that ``step_figure`` reads."""

    @property
    def step(self) -> int: ...
    @property
    def epoch(self) -> int: ...
    @property
    def batch_index(self) -> NDArray[Any]: ...
    @property
    def batch_inputs(self) -> NDArray[Any]: ...
    @property
    def batch_targets(self) -> NDArray[Any]: ...
    @property
    def outputs(self) -> NDArray[Any]: ...
    @property
    def batch_loss(self) -> float: ...
    @property
    def grad_norms(self) -> NDArray[Any]: ...
    @property
    def update_norms(self) -> NDArray[Any]: ...
    @property
    def batch_loss_after(self) -> float: ...
    @property
    def diverged(self) -> bool: ...


def _number(value: float) -> str:
    return number(value, ".3g") if np.isfinite(value) else _("not finite")


def _total(values: Array) -> str:
    return _number(float(np.sqrt(np.sum(values**2))))


def _not_finite(n: int, text: str, style: Style) -> dict[str, Any]:
    """The annotation panel n shows instead of NaN (``text``: what is not finite, translated)."""
    return {"text": text, "xref": f"x{n} domain",
            "yref": f"y{n} domain", "x": 0.5, "y": 0.5, "showarrow": False,
            "font": {"size": style.font, "color": INK}, "bordercolor": OKABE_ITO[1],
            "borderwidth": 2, "bgcolor": "white"}  # fmt: skip


def _class_colour(c: int, regression: bool) -> str:
    return INK if regression else OKABE_ITO[c % len(OKABE_ITO)]


def _forward(
    predicted: Array, wanted: Array, targets: Array, classes: list[int], what: str,
    regression: bool, style: Style,
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Panel 2: a dot per example (prediction filled, target hollow, joined by its error), or
    beyond ``MAX_DOTS`` examples histograms by class. Returns traces, x and y axes."""
    B, ax = len(targets), {"xaxis": "x2", "yaxis": "y2"}
    traces: list[dict[str, Any]] = []
    if B > MAX_DOTS:
        values = predicted - targets if regression else predicted
        low, high = (float(values.min()), float(values.max()) + 1e-12) if regression else (0, 1)
        edges = np.linspace(low, high, 21)
        for c in classes:
            counts, _edges = np.histogram(values[regression | (targets == c)], bins=edges)
            name = "ŷ − y" if regression else _("class {c}").format(c=c)
            traces.append({"type": "bar", **ax, "x": typed_array((edges[:-1] + edges[1:]) / 2),
                           "y": typed_array(counts), "width": float(edges[1] - edges[0]),
                           "name": name, "opacity": 0.6,
                           "marker": {"color": _class_colour(c, regression),
                                      "pattern": {"shape": ("", "/", "x")[c % 3]}},
                           "hovertemplate": _("{name}: {count} examples").format(
                               name=name, count="%{y}") + "<extra></extra>"})  # fmt: skip
        x_title = "ŷ − y" if regression else _("{what}, by class of the example").format(what=what)
        return traces, {"title": {"text": x_title}}, {"title": {"text": _("examples")}}
    idx = np.arange(1, B + 1, dtype=np.float64)
    gaps = np.full(B, np.nan)
    traces.append({"type": "scatter", "mode": "lines", **ax, "name": _("error"),
                   "x": typed_array(np.stack([idx, idx, gaps], 1).ravel()),
                   "y": typed_array(np.stack([predicted, wanted, gaps], 1).ravel()),
                   "hoverinfo": "skip", "line": {"color": INK, "width": 1}})  # fmt: skip
    for c in classes:
        mine = regression | (targets == c)
        colour, symbol = _class_colour(c, regression), SYMBOLS[c % 3]
        for values, hollow in ((wanted, True), (predicted, False)):
            label = _("target") if hollow else what
            traces.append({"type": "scatter", "mode": "markers", **ax, "name": label,
                           "x": typed_array(idx[mine]), "y": typed_array(values[mine]),
                           "marker": {"symbol": symbol + ("-open" if hollow else ""),
                                      "size": style.marker, "color": colour,
                                      "line": {"width": 2 if hollow else 0.8,
                                               "color": colour if hollow else INK}},
                           "hovertemplate": _("example {x}: {label} {y}").format(
                               x="%{x}", label=label, y="%{y:.3g}") + "<extra></extra>",
                           })  # fmt: skip
    y_axis: dict[str, Any] = {}  # the panel's title says what y is: no title in the way
    if not regression:
        y_axis["range"] = [-0.05, 1.05]
    return traces, {"title": {"text": _("example in the batch")}}, y_axis


def step_figure(
    detail: StepDetailLike, data: Dataset, *, layer_names: Sequence[str], style: Style
) -> go.Figure:
    """One iteration of the loop, in four panels left to right.

    1. the batch: every training point faint, the batch's examples large and outlined;
    2. forward pass: each example's prediction (filled) and target (hollow) — P(class 1) for
       two classes, P(its class) for more, ŷ for regression — or, beyond ``MAX_DOTS``
       examples, histograms of those predictions by class (of ŷ − y for regression);
    3. backward pass: ‖∂L/∂θ_l‖ per layer (W_l and b_l together);
    4. update: ‖Δθ_l‖ per layer, then the batch loss before and after the update.

    A panel whose numbers are not finite (a diverged step) says so instead.

    Args:
        detail: ``engine.training.StepDetail`` of the step (``replay_step``).
        data: the dataset (its training points drawn faint).
        layer_names: a name per layer, as many as ``detail.grad_norms``.
        style: sizes.

    Raises:
        ValueError: ``layer_names`` of another length than the per-layer norms.
    """
    grads = np.asarray(detail.grad_norms, dtype=np.float64)
    updates = np.asarray(detail.update_norms, dtype=np.float64)
    if not len(layer_names) == len(grads) == len(updates):
        raise ValueError(f"{len(layer_names)} layer names for {len(grads)} gradient and "
                         f"{len(updates)} update norms")  # fmt: skip
    regression = data.task == "regression"
    targets = np.asarray(detail.batch_targets, dtype=np.float64)
    B = len(targets)
    inputs = np.asarray(detail.batch_inputs, dtype=np.float64).reshape(B, -1)
    outputs = np.asarray(detail.outputs, dtype=np.float64)
    classes = [0] if regression else list(range(max(2, data.n_classes)))
    # the plane widest (it keeps its aspect); room for tick labels left of panels 2 to 4
    domains = [(0.0, 0.21), (0.27, 0.45), (0.52, 0.66), (0.73, 0.87), (0.90, 1.0)]
    traces: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    blank: list[int] = []  # panels whose numbers are not finite
    layout: dict[str, Any] = {}
    # 1. the batch on the plane (or on the x–target line for regression)
    X, y = np.asarray(data.X_train, dtype=np.float64), np.asarray(data.y_train, dtype=np.float64)
    traces.append({"type": "scatter", "mode": "markers", "x": typed_array(X[:, 0]),
                   "y": typed_array(y if regression else X[:, 1]), "name": _("training set"),
                   "hoverinfo": "skip",
                   "marker": {"size": max(4, style.marker - 4),
                              "color": "rgb(190,190,190)"}})  # fmt: skip
    batch_y = targets if regression else inputs[:, 1]
    for c in classes:
        mine = regression | (targets == c)
        traces.append({"type": "scatter", "mode": "markers", "x": typed_array(inputs[mine, 0]),
                       "y": typed_array(batch_y[mine]),
                       "name": _("in the batch") if regression else _("batch: class {c}").format(
                           c=c),
                       "marker": {"size": style.marker + 2, "symbol": SYMBOLS[c % 3],
                                  "color": _class_colour(c, regression),
                                  "line": {"width": 2, "color": INK}},
                       "hovertemplate": "(%{x:.2f}, %{y:.2f})<extra></extra>"})  # fmt: skip
    # 2. forward pass
    if outputs.ndim == 2 and not regression:  # C classes: the probability of its own class
        own = np.clip(targets.astype(int), 0, outputs.shape[1] - 1)
        predicted, wanted, what = outputs[np.arange(B), own], np.ones(B), _("P(its class)")
    else:
        predicted, wanted = outputs.reshape(B), targets
        what = _("prediction ŷ") if regression else _("P(class 1)")
    if np.isfinite(predicted).all():
        forward, layout["xaxis2"], layout["yaxis2"] = _forward(
            predicted, wanted, targets, classes, what, regression, style)  # fmt: skip
        traces += forward
    else:
        blank.append(2)
        notes.append(_not_finite(2, _("The prediction<br>is not finite:<br>the run diverged"),
                                 style))  # fmt: skip
    # 3. backward, 4. update; values over the bars while they fit at full size
    labels: dict[str, Any] = {}
    if len(layer_names) <= 4:
        labels = {"textposition": "outside", "constraintext": "none",
                  "textfont": {"size": style.tick_font, "color": INK}}  # fmt: skip
    for n, values, name, colour in ((3, grads, "‖∇‖", OKABE_ITO[4]),
                                    (4, updates, "‖Δθ‖", OKABE_ITO[2])):  # fmt: skip
        if not np.isfinite(values).all():
            blank.append(n)
            text = (_("The gradient<br>is not finite:<br>the run diverged") if n == 3 else
                    _("The update<br>is not finite:<br>the run diverged"))  # fmt: skip
            notes.append(_not_finite(n, text, style))
            continue
        traces.append({"type": "bar", "xaxis": f"x{n}", "yaxis": f"y{n}", "x": list(layer_names),
                       "y": typed_array(values), "name": name, "cliponaxis": False,
                       "marker": {"color": colour, "line": {"color": INK, "width": 1}},
                       "hovertemplate": f"%{{x}}: {name} = %{{y:.4g}}<extra></extra>",
                       **({"text": [number(v, ".2g") for v in values], **labels} if labels
                          else {}),
                       })  # fmt: skip
        positive = values[values > 0]
        if positive.size and positive.max() > 100 * positive.min():
            layout[f"yaxis{n}"] = log_axis(positive)
    # the batch loss before → after the update
    before, after = float(detail.batch_loss), float(detail.batch_loss_after)
    if np.isfinite(before) and np.isfinite(after):
        better = after <= before
        traces.append({"type": "bar", "xaxis": "x5", "yaxis": "y5",
                       "x": [_("before"), _("after")], "y": [before, after],
                       "name": _("batch loss"), "cliponaxis": False,
                       "text": [number(before, ".3g"), number(after, ".3g")],
                       "textposition": "outside",
                       "textfont": {"size": style.tick_font, "color": INK},
                       "constraintext": "none",
                       "marker": {"color": ["rgb(150,150,150)",
                                            OKABE_ITO[2] if better else OKABE_ITO[1]],
                                  "pattern": {"shape": ["", "/" if better else "x"]},
                                  "line": {"color": INK, "width": 1}},
                       "hovertemplate": _("batch loss {when} the update: {loss}").format(
                           when="%{x}", loss="%{y:.4g}") + "<extra></extra>"})  # fmt: skip
        loss_title = _("batch loss<br>{before} →<br>{after}").format(
            before=number(before, ".3g"), after=number(after, ".3g"))  # fmt: skip
    else:
        blank.append(5)
        notes.append(_not_finite(5, _("The loss<br>is not finite:<br>the run diverged"), style))
        loss_title = _("batch loss<br>not finite")
    titles = [  # three short lines each: they fit a laptop's and a projector's panel
        (
            _("1. The batch<br>B = {batch}, step {step}<br>epoch {epoch} — diverged")
            if detail.diverged
            else _("1. The batch<br>B = {batch}, step {step}<br>epoch {epoch}")
        ).format(batch=B, step=detail.step, epoch=detail.epoch),
        _("2. Forward pass<br>{what}: ● vs target ○<br>batch loss {loss}").format(
            what=what, loss=_number(before)
        ),
        _("3. Backward pass<br>‖∇‖ per layer<br>total {total}").format(total=_total(grads)),
        _("4. Update<br>‖Δθ‖ per layer<br>total {total}").format(total=_total(updates)),
        loss_title,
    ]
    for n, ((left, right), title) in enumerate(zip(domains, titles, strict=True), start=1):
        s = "" if n == 1 else str(n)
        layout.setdefault(f"xaxis{s}", {}).update(domain=[left, right], anchor=f"y{s}")
        layout.setdefault(f"yaxis{s}", {}).update(anchor=f"x{s}")
        notes.append({"text": title, "xref": f"x{s} domain", "yref": "paper", "x": 0.5,
                      "y": 1.0, "yanchor": "bottom", "showarrow": False,
                      "font": {"size": style.font, "color": INK}})  # fmt: skip
    if not regression:  # the plane undistorted, under its title
        layout["xaxis"].update(constrain="domain")
        layout["yaxis"].update(scaleanchor="x", constrain="domain", constraintoward="top")
    for n in blank:  # a panel that only says "not finite": an empty trace keeps its axes
        traces.append({"type": "scatter", "xaxis": f"x{n}", "yaxis": f"y{n}", "x": [None],
                       "y": [None], "hoverinfo": "skip", "name": _("not finite")})  # fmt: skip
        layout[f"xaxis{n}"].update(visible=False)
        layout[f"yaxis{n}"].update(visible=False)
    layout["xaxis5"].update(tickangle=0)
    layout["yaxis5"].update(showticklabels=False, rangemode="tozero")
    # "layer 1" as two lines: side by side, three names fill a panel's width
    ticks = [name.replace(" ", "<br>", 1) for name in layer_names]
    for n in (3, 4):
        layout[f"xaxis{n}"].update(type="category", tickangle=-45 if len(layer_names) > 4 else 0,
                                   tickvals=list(layer_names), ticktext=ticks)  # fmt: skip
    layout.update(annotations=notes, showlegend=False, barmode="overlay",
                  margin={"l": 10 + round(3 * style.tick_font), "r": 10,
                          "t": round(4.2 * style.font) + 10,
                          "b": round(3.4 * style.tick_font) + 10})  # fmt: skip
    return finish({"data": traces, "layout": layout}, style)
