"""The stage of the "What is training?" lesson: one or two networks learning, frame by frame.

``training_stage_figure(result, data, labels, ...)`` draws, for K runs trained on the same
batches, one plane per run — the network's prediction over the plane, the training points
(filled) and test points (hollow), a cross on every point the network gets wrong — and the
loss and accuracy curves with a marker at the current frame. Two runs: the planes side by
side on top (about 65 % of the height), the curves below; one run: the plane on the left, the
curves stacked beside it. One row of legend above it all; the planes keep their aspect.
Regression draws the prediction curve through the points instead, and the loss only.

Each plane's prediction is a layout image under the traces, one per frame
(``figures.training_planes``): a frame's ``layout.images`` swaps the image with no redraw, and
the playback animates without one (plotly.js drops heatmaps while it animates). The crosses
are the network's own decisions (``TrainResult.train_predicted``), so at every frame they
number exactly what the accuracy misses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike, NDArray

from engine.datasets import Dataset
from engine.training import TrainResult
from figures.animation import add_playback, frame_rows
from figures.common import compact, finish, log_axis, typed_array
from figures.style import INK, OKABE_ITO, SYMBOLS, Style, series_style
from figures.training_planes import plane_images, u1_array
from i18n import N_, _

Array = NDArray[np.float64]

STAGE_PICKER_TRACE = 0  # index of the invisible click grid on run A's plane (picker=True)
PICKER_POINTS = 30  # per axis: a click lands within half a cell (1/60 of the plane) of a point
MAX_FRAMES = 120
X_AXES = {"steps": ("frame_steps", N_("optimizer step")), "epochs": ("frame_epochs", N_("epoch")),
          "examples": ("frame_examples", N_("examples seen"))}  # fmt: skip
GLYPHS = {"circle": "●", "square": "■", "diamond": "◆", "triangle-up": "▲", "cross": "✚",
          "star": "★", "hexagon": "⬢"}  # fmt: skip
PLANE_SHARE = 0.65  # of the two rows' height, the planes' (two runs)


def _class_marker(c: int, style: Style, hollow: bool) -> dict[str, Any]:
    """Class c's colour and symbol (circle, square, diamond); test points hollow: white inside
    a thick ring of the colour, which reads on the class's own region too."""
    colour, symbol = OKABE_ITO[c % len(OKABE_ITO)], SYMBOLS[c % 3]
    if hollow:
        return {"symbol": symbol, "size": style.marker - 1, "color": "white",
                "line": {"width": max(1.5, 0.7 * style.line), "color": colour}}  # fmt: skip
    return {"symbol": symbol, "size": style.marker - 2, "color": colour,
            "line": {"width": 0.8, "color": INK}}  # fmt: skip


def _scatter(X: Array, y: Array, axes: dict[str, str], **props: Any) -> dict[str, Any]:
    """Points of a plane (x₁, x₂) or, for 1-D inputs, of the regression (x, target)."""
    return {"type": "scatter", "mode": "markers", **axes, "x": typed_array(X[:, 0]),
            "y": typed_array(X[:, 1] if X.shape[1] > 1 else y), **props}  # fmt: skip


def _plane(
    k: int,
    result: TrainResult,
    data: Dataset,
    output: Array,
    rows: NDArray[np.intp],
    axes: dict[str, str],
    style: Style,
    *,
    labels: Sequence[str],
    discretize: bool,
    extra: tuple[Array, Array] | None,
    picker: bool,
) -> tuple[list[dict[str, Any]], list[tuple[int, list[dict[str, Any]]]]]:
    """Run k's plane: its traces, and (offset in them, update per frame) of the moving ones."""
    regression, multi = data.task == "regression", output.ndim == 5
    first, s = k == 0, series_style(k)
    grid_axes = result.grid_axes
    traces: list[dict[str, Any]] = []
    moving: list[tuple[int, list[dict[str, Any]]]] = []
    if regression:
        traces.append({"type": "scatter", "mode": "lines", **axes, "x": typed_array(grid_axes[0]),
                       "name": _("{run}: prediction").format(run=labels[k]), "hoverinfo": "skip",
                       "showlegend": False,  # the plane's title has the run's colour
                       "line": {"color": s.color, "width": style.line + 1,
                                "dash": s.dash}})  # fmt: skip
        moving.append((0, [{"y": typed_array(row[k])} for row in output]))
    n_classes = 1 if regression else (output.shape[-1] if multi else 2)
    for X, y, hollow in ((data.X_train, data.y_train, False), (data.X_test, data.y_test, True)):
        X, y = np.asarray(X), np.asarray(y)
        for c in range(n_classes):
            mine = np.ones(len(y), bool) if regression else y == c
            marker = _class_marker(c, style, hollow)
            if regression:  # one kind of point: ink, filled or hollow
                marker = {**marker, "color": "white" if hollow else INK,
                          "line": {"width": 1.5 if hollow else 0.5,
                                   "color": INK if hollow else "white"}}  # fmt: skip
            name = _("test points") if hollow else (
                _("training points") if regression else _("class {c}").format(c=c))  # fmt: skip
            if regression:
                point = _("test") if hollow else _("train")
            else:
                point = (_("test, class {c}") if hollow else _("train, class {c}")).format(c=c)
            hover = {"hoverinfo": "skip"} if picker else {
                "hovertemplate": f"{point}: (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"}  # fmt: skip
            traces.append(_scatter(X[mine], y[mine], axes, name=name, marker=marker,
                                   legendgroup=name, showlegend=first and (not hollow or c == 0),
                                   **hover))  # fmt: skip
    if extra is not None:
        X, y = extra
        kinds = [0] * len(y) if regression else [int(v) for v in y]
        traces.append(_scatter(X, y, axes, name=_("your points"), legendgroup="your points",
                               showlegend=first, hoverinfo="skip",
                               marker={"size": style.marker + 5, "line": {"width": 3, "color": INK},
                                       "symbol": [SYMBOLS[i % 3] for i in kinds],
                                       "color": [OKABE_ITO[i % 7] for i in kinds]}))  # fmt: skip
    if regression:
        return traces, moving
    marker = {"symbol": "x-thin", "size": style.marker + 1, "color": INK,
              "line": {"width": max(1.5, 0.5 * style.line), "color": INK}}  # fmt: skip
    mark = {"type": "scatter", "mode": "markers", **axes, "name": _("misclassified"),
            "legendgroup": "misclassified", "hoverinfo": "skip"}  # fmt: skip
    if first:  # plotly.js drops a trace from the legend in a frame where it is empty
        traces.append({**mark, "x": [None], "y": [None], "marker": marker, "showlegend": True})
    sets = ((data.X_train, data.y_train, result.train_predicted, _("misclassified (train)")),
            (data.X_test, data.y_test, result.test_predicted,
             _("misclassified (test)")))  # fmt: skip
    for X, y, predicted, part in sets:
        # A cross on every point, shown (opacity 1) where the network's class is not the
        # label: a frame sends one byte a point instead of the wrong points' coordinates.
        X = np.asarray(X)
        traces.append({**mark, "name": part, "x": typed_array(X[:, 0]),
                       "y": typed_array(X[:, 1]), "marker": dict(marker),
                       "showlegend": False})  # fmt: skip
        classes = np.asarray(predicted)[rows, k]  # (F, n), −1 where the output is not finite
        wrong = ((classes >= 0) & (classes != np.asarray(y))).astype(np.uint8)
        moving.append((len(traces) - 1, [{"marker": {"opacity": u1_array(w)}} for w in wrong]))
    return traces, moving


def _curves(
    p: int,
    n: int,
    name: str,
    values: Array,
    xs: Array,
    labels: Sequence[str],
    style: Style,
    x_title: str,
    domain: tuple[float, float],
) -> tuple[list[dict[str, Any]], list[tuple[int, list[dict[str, Any]]]], dict[str, Any]]:
    """Panel p of the curves (axes x{n}, y{n}, vertical ``domain``): train (solid) and test
    (dashed) ``values (2, F, K)`` of every run against ``xs (F, K)``, a dotted line at run A's
    current x and a marker on each curve. Returns its traces, moving ones and y axis."""
    K = xs.shape[1]
    ax = {"xaxis": f"x{n}", "yaxis": f"y{n}"}
    positive = values[np.isfinite(values) & (values > 0)]
    log = name == "loss" and positive.size > 0 and positive.max() > 100 * positive.min()
    if log:
        low, high = np.log10(positive.min()), np.log10(positive.max())
        y_range = [float(low - 0.06 * (high - low)), float(high + 0.06 * (high - low))]
        y_axis = {**log_axis(values), "range": y_range}
    elif name == "accuracy":
        finite = values[np.isfinite(values)]
        low = min(0.5, float(np.floor(10 * finite.min()) / 10)) if finite.size else 0.0
        y_axis = {"range": [low, 1.0 + 0.03 * (1 - low)], "tickformat": ".0%", "nticks": 4}
    else:
        high = float(positive.max()) if positive.size else 1.0
        y_axis = {"range": [0.0, 1.05 * high], "nticks": 4}
    y_axis.update(domain=list(domain), anchor=f"x{n}", autorange=False)
    traces: list[dict[str, Any]] = []
    if p == 0:  # the key to the lines, in ink (a run is its colour and symbol): legend2
        for name_, dash, fill in ((_("train"), "solid", INK), (_("test"), "dash", "white")):
            traces.append({"type": "scatter", "mode": "lines+markers", **ax, "x": [None],
                           "y": [None], "name": name_, "legend": "legend2",
                           "line": {"color": INK, "width": style.line, "dash": dash},
                           "marker": {"symbol": "circle", "size": style.marker - 2,
                                      "color": fill, "line": {"width": 1.5, "color": INK}},
                           "hoverinfo": "skip"})  # fmt: skip
    hovers = {  # (test?, loss?) → what a point of a curve says
        (False, True): _("{run}, train loss {y}<br>{x_title} {x}"),
        (True, True): _("{run}, test loss {y}<br>{x_title} {x}"),
        (False, False): _("{run}, train accuracy {y}<br>{x_title} {x}"),
        (True, False): _("{run}, test accuracy {y}<br>{x_title} {x}"),
    }
    for k in range(K):
        s = series_style(k)
        for which in (0, 1):
            curve = (_("{run}: test") if which else _("{run}: train")).format(run=labels[k])
            hover = hovers[bool(which), name == "loss"].format(
                run=labels[k], y="%{y:.4g}", x_title=x_title, x="%{x:.4g}"
            )
            traces.append({
                "type": "scatter", "mode": "lines+markers", **ax, "x": typed_array(xs[:, k]),
                "y": typed_array(values[which, :, k]), "name": curve,
                "showlegend": False,  # the titles say which run and which line is which
                "line": {"color": s.color, "width": style.line,
                         "dash": "dash" if which else "solid"},
                "marker": {"symbol": f"{s.symbol}-open" if which else s.symbol,
                           "size": style.marker - 2, "maxdisplayed": 8, "color": s.color},
                "hovertemplate": hover + "<extra></extra>",
            })  # fmt: skip
    y0, y1 = y_axis["range"]
    traces.append({"type": "scatter", "mode": "lines", **ax, "name": _("now"),
                   "y": [10**y0, 10**y1] if log else [y0, y1], "showlegend": False,
                   "hoverinfo": "skip",
                   "line": {"color": INK, "width": max(1.0, style.line / 2),
                            "dash": "dot"}})  # fmt: skip
    colours = [series_style(k).color for k in range(K) for _twice in range(2)]
    symbols = [series_style(k).symbol + end for k in range(K) for end in ("", "-open")]
    traces.append({"type": "scatter", "mode": "markers", **ax, "name": _("current value"),
                   "showlegend": False, "hoverinfo": "skip",
                   "marker": {"symbol": symbols, "size": style.marker + 2, "color": colours,
                              "line": {"width": 2, "color": colours}}})  # fmt: skip
    line = [{"x": compact([x, x])} for x in xs[:, 0]]
    marks = [{"x": typed_array(np.repeat(x, 2)), "y": typed_array(v.T.ravel())}
             for x, v in zip(xs, np.moveaxis(values, 1, 0), strict=True)]  # fmt: skip
    return traces, [(len(traces) - 2, line), (len(traces) - 1, marks)], y_axis


class _Rows(NamedTuple):
    """The stage's vertical layout in pixels, from its fonts (see ``_rows``)."""

    legend: int  # the legend's row, above the plane titles
    title: int  # a row of panel titles
    ticks: int  # tick labels under an x axis
    x_title: int  # an x axis's title
    note: int  # the line under the planes that says what their colours mean
    controls: int  # the playback buttons (with the slider's "Step n" beside them) and slider


def _rows(style: Style) -> _Rows:
    f, t = style.font, style.tick_font
    return _Rows(legend=round(1.9 * f), title=round(1.8 * f), ticks=round(1.6 * t) + 6,
                 x_title=round(1.6 * f), note=round(1.5 * t) + 2,
                 controls=round(2.6 * f + 1.6 * t) + 26)  # fmt: skip


class _Layout(NamedTuple):
    """Where everything goes: domains in the plot area's fractions, sizes in pixels."""

    height: int  # the whole figure: ``style.height`` plus the playback controls
    margin: dict[str, int]
    planes_x: list[tuple[float, float]]  # per run
    planes_y: tuple[float, float]
    curves: list[tuple[tuple[float, float], tuple[float, float]]]  # per panel: (x, y) domains
    line_key: dict[str, Any]  # where the key to the lines (legend2) goes
    plot_px: int  # the plot area's height


def _layout(K: int, n_panels: int, regression: bool, note: bool, style: Style) -> _Layout:
    """Two runs: planes in a row on top (``PLANE_SHARE`` of the rows), curves side by side
    below. One run: the plane on the left, the curves stacked on the right. ``note``: leave a
    line under the planes."""
    r = _rows(style)
    note_px = r.note if note else 0
    top = r.legend + r.title
    bottom = r.ticks + r.x_title + r.controls
    height = style.height + r.controls
    plot_px = height - top - bottom
    if K == 1:
        inner = (r.title + 8) / plot_px  # between two stacked panels: the lower one's title
        each = (1.0 - inner * (n_panels - 1)) / n_panels
        curves = [((0.64, 1.0), (1.0 - each - i * (each + inner), 1.0 - i * (each + inner)))
                  for i in range(n_panels)]  # fmt: skip
        # inside a corner the curves leave empty: the accuracy's lower right (it rises), or
        # the loss's upper right (it falls)
        corner = {"y": 0.0, "yanchor": "bottom"} if n_panels > 1 else {"y": 1.0, "yanchor": "top"}
        key = {"x": 1.0, "xanchor": "right", **corner, "bgcolor": "rgba(255,255,255,0.8)"}
        return _Layout(height, {"t": top, "b": bottom}, [(0.0, 0.54)], (note_px / plot_px, 1.0),
                       curves, key, plot_px)  # fmt: skip
    gap = ((r.ticks if regression else 6) + note_px + r.title) / plot_px
    curve_top = (1.0 - gap) * (1.0 - PLANE_SHARE)
    between = 0.05 if regression else 0.03  # regression planes have tick labels
    planes_x = [(k / K + (between / 2 if k else 0.0), (k + 1) / K - (between / 2 if k < K - 1
                 else 0.0)) for k in range(K)]  # fmt: skip
    width = 1.0 / n_panels
    curves = [((p * width + (0.05 if p else 0.0), (p + 1) * width - (0.05 if p < n_panels - 1
                else 0.0)), (0.0, curve_top)) for p in range(n_panels)]  # fmt: skip
    # on the curves' title row, at the right (the last title, "accuracy" or "loss", is short)
    key = {"x": 1.0, "xanchor": "right", "y": curve_top, "yanchor": "bottom",
           "bgcolor": "rgba(255,255,255,0)"}  # fmt: skip
    return _Layout(height, {"t": top, "b": bottom}, planes_x, (curve_top + gap, 1.0), curves,
                   key, plot_px)  # fmt: skip


def _place_playback(layout: dict[str, Any], where: _Layout, style: Style) -> None:
    """The buttons right under the curves' x-axis title with the slider's "Step n" on their
    row (at the right), the slider's rail under them: inside ``where.height``."""
    r = _rows(style)
    below = (r.ticks + r.x_title) / where.plot_px
    layout["height"] = where.height
    layout["margin"]["b"] = where.margin["b"]
    menu = layout["updatemenus"][0]
    menu.update(y=-below, yanchor="top", x=0.0, xanchor="left", pad={"r": 10, "t": 0})
    slider = layout["sliders"][0]
    slider.update(y=-below, yanchor="top", x=0.0, len=1.0, pad={"t": 0, "b": 0})
    # the rail under the buttons: "Step n" and its offset as tall as a button
    slider["currentvalue"].update(xanchor="right", offset=round(0.9 * style.font))


def training_stage_figure(
    result: TrainResult,
    data: Dataset,
    labels: Sequence[str],
    *,
    x_axis: str = "steps",
    discretize: bool = False,
    extra_points: tuple[ArrayLike, ArrayLike] | None = None,
    picker: bool = False,
    style: Style,
) -> go.Figure:
    """The animated stage: each run's prediction over the plane, and the curves.

    Args:
        result: K runs (1 or 2) from ``engine.training.train``; every frame is drawn (≤ 120).
        data: the dataset they trained on (its points are drawn; classes or regression).
        labels: a title per run.
        x_axis: the curves' x: "steps" (``frame_steps``), "epochs" or "examples".
        discretize: draw only the predicted class (the decision regions), not its confidence.
        extra_points: ``(X (n, 2), y (n,))`` points the learner added (they are in the
            training set too), drawn larger and outlined.
        picker: add trace ``STAGE_PICKER_TRACE``: invisible points over run A's plane; a click
            selects the one under it, whose x and y are the plane's coordinates there
            (standardised inputs; for regression, x and target).
        style: sizes; ``style.height`` is the figure without its playback controls, which add
            ``_rows(style).controls`` (laptop 470 + 87 px, projector 640 + 124 px).

    Returns:
        Frames named by run A's step; each updates only the predictions (``layout.images``:
        every plane's image, in the order of the planes; for regression the prediction
        curves), the misclassified marks and the curves' markers.

    Raises:
        ValueError: an unknown ``x_axis`` or a label count that is not K.
    """
    if x_axis not in X_AXES:
        raise ValueError(f"x_axis must be one of {sorted(X_AXES)}, got {x_axis!r}")
    F, K = result.frame_steps.shape
    if len(labels) != K:
        raise ValueError(f"{K} runs need {K} labels, got {len(labels)}")
    rows = frame_rows(F, MAX_FRAMES)
    regression = data.task == "regression"
    steps = result.frame_steps[rows]  # (F, K)
    dead = (result.diverged_at >= 0) & (steps >= result.diverged_at)  # (F, K)
    output = np.array(result.grid_output[rows], dtype=np.float64)
    output[dead] = np.nan
    if output.ndim == 5 and output.shape[-1] == 2:
        output = output[..., 1]  # a two-class softmax: P(class 1)
    grid_axes = [np.asarray(a, dtype=np.float64) for a in result.grid_axes]
    x_range = [float(grid_axes[0][0]), float(grid_axes[0][-1])]
    if regression:
        targets = np.concatenate([data.y_train, data.y_test])
        low, high = float(targets.min()), float(targets.max())
        pad = 0.2 * max(high - low, 1e-9)
        y_range = [low - pad, high + pad]
    else:
        y_range = [float(grid_axes[1][0]), float(grid_axes[1][-1])]
    planes = [{"xaxis": f"x{k + 1}", "yaxis": f"y{k + 1}"} for k in range(K)]
    planes[0] = {"xaxis": "x", "yaxis": "y"}
    data_list: list[dict[str, Any]] = []
    if picker:  # first, so that its index is STAGE_PICKER_TRACE whatever else is drawn
        gx, gy = np.meshgrid(np.linspace(x_range[0], x_range[1], PICKER_POINTS),
                             np.linspace(y_range[0], y_range[1], PICKER_POINTS))  # fmt: skip
        hidden = {"marker": {"opacity": 0}}
        # hoverinfo "none", not "skip": no label, but clicks still select a point
        data_list.append({"type": "scatter", "mode": "markers", **planes[0], "name": _("picker"),
                          "x": typed_array(gx.ravel()), "y": typed_array(gy.ravel()),
                          "marker": {"size": 14, "opacity": 0, "color": INK},
                          "selected": hidden, "unselected": hidden, "hoverinfo": "none",
                          "showlegend": False})  # fmt: skip
    extra = None
    if extra_points is not None and len(np.asarray(extra_points[1])):
        y_extra = np.asarray(extra_points[1], dtype=np.float64)
        X_extra = np.asarray(extra_points[0], dtype=np.float64).reshape(len(y_extra), -1)
        extra = (X_extra, y_extra)
    moving: list[tuple[int, list[dict[str, Any]]]] = []
    for k in range(K):
        traces, updates = _plane(k, result, data, output, rows, planes[k], style, labels=labels,
                                 discretize=discretize, extra=extra, picker=picker)  # fmt: skip
        moving += [(len(data_list) + i, u) for i, u in updates]
        data_list += traces
    images = [] if regression else [
        plane_images(k, output, grid_axes, planes[k], _("{run}: prediction").format(run=labels[k]),
                     discretize)
        for k in range(K)]  # fmt: skip
    field, x_key = X_AXES[x_axis]
    x_title = _(x_key)
    xs = np.asarray(getattr(result, field), dtype=np.float64)[rows]  # (F, K)
    panels = [("loss", result.train_loss, result.test_loss)]
    if not regression:
        panels.append(("accuracy", result.train_accuracy, result.test_accuracy))
    note = "" if regression else (_("shade: how sure, darker = surer") if output.ndim == 5 else
                                  _("white line: decision boundary, P(class 1) = ½"))  # fmt: skip
    where = _layout(K, len(panels), regression, bool(note), style)
    x_max = float(np.nanmax(xs)) if np.isfinite(xs).any() and np.nanmax(xs) > 0 else 1.0
    layout: dict[str, Any] = {}
    annotations = []
    for p, (name, train_values, test_values) in enumerate(panels):
        n = K + p + 1
        values = np.stack([train_values[rows], test_values[rows]]).astype(np.float64)
        values[:, dead] = np.nan  # (2, F, K): a diverged run's curves stop
        x_domain, y_domain = where.curves[p]
        traces, updates, y_axis = _curves(p, n, name, values, xs, labels, style, x_title,
                                          y_domain)  # fmt: skip
        moving += [(len(data_list) + i, u) for i, u in updates]
        data_list += traces
        lowest = y_domain[0] == 0.0  # stacked panels: only the lowest labels the shared x
        layout[f"xaxis{n}"] = {"title": {"text": x_title if lowest else ""}, "anchor": f"y{n}",
                               "domain": list(x_domain), "range": [0.0, 1.02 * x_max],
                               "autorange": False, "showticklabels": lowest,
                               "title_standoff": 4}  # fmt: skip
        layout[f"yaxis{n}"] = y_axis
        # named above the panel, not beside it: a y title takes the width the panels need
        if y_axis.get("type") == "log":  # only the loss goes on a log scale
            heading = _("<b>loss</b> (log scale)")
        else:
            heading = "<b>" + (_("loss") if name == "loss" else _("accuracy")) + "</b>"
        annotations.append({"text": heading, "xref": f"x{n} domain",
                            "yref": f"y{n} domain", "x": 0.0, "xanchor": "left", "y": 1.0,
                            "yanchor": "bottom", "showarrow": False,
                            "font": {"size": style.font, "color": INK}})  # fmt: skip
    plain = {"showticklabels": False, "ticks": "", "mirror": True}  # a plane: a frame, no ticks
    for k in range(K):
        n = "" if k == 0 else str(k + 1)
        layout[f"xaxis{n}"] = {"domain": list(where.planes_x[k]), "range": x_range,
                               "autorange": False, "constrain": "domain", "anchor": f"y{n}",
                               **({} if regression else plain)}  # fmt: skip
        layout[f"yaxis{n}"] = {"domain": list(where.planes_y), "range": y_range,
                               "autorange": False, "constrain": "domain", "anchor": f"x{n}",
                               "constraintoward": "top",
                               **({} if regression else plain)}  # fmt: skip
        if regression and k:  # one target scale for every plane, labelled once
            layout[f"yaxis{n}"]["showticklabels"] = False
        if not regression:  # the plane undistorted: a circle stays a circle
            layout[f"yaxis{n}"]["scaleanchor"] = f"x{n}"
        # the run's colour and symbol, as its curves are drawn (not the legend's width)
        s = series_style(k)
        heading = labels[k]
        if result.diverged_at[k] >= 0:
            heading = _("{run} — diverged at step {step}").format(
                run=labels[k], step=int(result.diverged_at[k]))  # fmt: skip
        glyph = GLYPHS.get(s.symbol, "●")
        title = f'<span style="color:{s.color}">{glyph}</span> {heading}'
        annotations.append({"text": f"<b>{title}</b>", "xref": f"x{n} domain",
                            "yref": f"y{n} domain", "x": 0.5, "y": 1.0, "yanchor": "bottom",
                            "showarrow": False,
                            "font": {"size": style.font, "color": INK}})  # fmt: skip
    r = _rows(style)
    legend_y = 1.0 + r.title / where.plot_px
    if note and not (discretize and output.ndim == 5):  # right under the planes, centred
        middle = (where.planes_x[0][0] + where.planes_x[-1][1]) / 2
        # "y domain": the plane as drawn, shorter than its domain when the width limits it
        annotations.append({"text": note, "xref": "paper", "yref": "y domain", "x": middle,
                            "xanchor": "center", "y": 0.0, "yanchor": "top", "showarrow": False,
                            "font": {"size": style.tick_font, "color": INK}})  # fmt: skip
    legend_font = {"size": style.font, "color": INK}
    layout.update(annotations=annotations, showlegend=True,
                  legend={"orientation": "h", "x": 0.0, "xanchor": "left", "y": legend_y,
                          "yanchor": "bottom", "tracegroupgap": 0, "itemsizing": "constant",
                          "itemwidth": 30, "bgcolor": "rgba(255,255,255,0)"},
                  legend2={"orientation": "h", "itemwidth": 40, "font": legend_font,
                           **where.line_key},
                  margin={"l": 10 + round(3.2 * style.tick_font), "r": 10,
                          **where.margin})  # fmt: skip
    names = [int(s) for s in steps[:, 0]]
    # Every trace is listed in every frame, the static ones with an empty update: playback
    # without redraw redraws only the listed traces, and a trace left out loses its drawn
    # points — plotly.js then fails on the next click (the click grid took no more clicks
    # after Play and Pause).
    per_trace = dict(moving)
    indices = list(range(len(data_list)))
    frames: list[dict[str, Any]] = [
        {"name": str(name), "traces": indices,
         "data": [per_trace[i][f] if i in per_trace else {} for i in indices]}
        for f, name in enumerate(names)]  # fmt: skip
    if images:  # every plane's image in every frame, in one order: a frame replaces the list
        for f, frame in enumerate(frames):
            frame["layout"] = {"images": [per_run[f] for per_run in images]}
        layout["images"] = [per_run[0] for per_run in images]
    for i, per_frame in moving:
        _merge(data_list[i], per_frame[0])
    fig = {"data": data_list, "layout": layout, "frames": frames}
    add_playback(fig, names, style)
    _place_playback(layout, where, style)
    return finish(fig, style)


def _merge(trace: dict[str, Any], update: dict[str, Any]) -> None:
    """Apply a frame's update to a trace as plotly.js does: nested objects merged, not replaced."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(trace.get(key), dict) and "bdata" not in value:
            _merge(trace[key], value)
        else:
            trace[key] = value
