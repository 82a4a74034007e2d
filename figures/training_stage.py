"""The stage of the "What is training?" lesson: one or two networks learning, frame by frame.

``training_stage_figure(result, data, labels, ...)`` draws, for K runs trained on the same
batches, one plane per run — the network's prediction over the plane, the training points
(filled) and test points (hollow), a cross on every point the network gets wrong — and the
loss and accuracy curves with a marker at the current frame. Two runs: the planes side by
side on top (about 65 % of the height), the curves below; one run: the plane on the left, the
curves stacked beside it. One row of legend above it all; the planes keep their aspect.
Regression draws the prediction curve through the points instead, and the loss only.

Each plane's prediction is a layout image under the traces, one per frame: plotly.js drops
heatmap and contour traces while it animates scatter traces (plotly.js #4491; see
figures/raster.py), so the planes went white during playback; a frame's ``layout.images``
swaps the image with no redraw, and the playback animates without one. The image has a pixel
for each point of the grid and one between two (the prediction interpolated bilinearly,
``UPSAMPLE``), coloured from a palette of a few dozen shades (``plane_palette``) and encoded
as a palette PNG of about 1 KB (``figures.raster.indexed_pngs``); the browser's smoothing
blends the pixels. Two classes: blue ↔ vermillion as sure as the network is, white at P = ½,
and a thin white line, the decision boundary (``_whiteness``); C classes: the argmax class's
colour as sure as it is; a diverged network: grey. The crosses are the network's own
decisions (``TrainResult.train_predicted``), so at every frame they number exactly what the
accuracy misses.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike, NDArray

from engine.datasets import Dataset
from engine.training import TrainResult
from figures.animation import add_playback, frame_rows
from figures.common import compact, finish, log_axis, typed_array
from figures.raster import indexed_pngs, png_uri
from figures.style import INK, OKABE_ITO, SYMBOLS, Style, series_style

Array = NDArray[np.float64]

STAGE_PICKER_TRACE = 0  # index of the invisible click grid on run A's plane (picker=True)
PICKER_POINTS = 30  # per axis: a click lands within half a cell (1/60 of the plane) of a point
MAX_FRAMES = 120
# The network's thumbnails (figures/training_panels.py) are uint8 heatmaps: P ∈ [0, 1] →
# 0 … LEVELS, and GREY for a diverged (NaN) network. A flat region of value b is base64 of
# b, b, b, …; plotly's to_json writes every "/" in it as \u002f (six characters), so GREY is
# 250, not 255 (whose run holds a "/").
LEVELS = 248
GREY = 250
GREY_COLOUR = "#c8c8c8"
# Share of a class's colour in the plane at confidence d = |2P − 1|: HEAT · d^CURVE. Sure
# regions are clearly coloured, yet lighter than the points drawn on them in the full colour
# with a dark outline; the square root makes P = 0.8 already half as strong as P = 1.
HEAT = 0.6
CURVE = 0.5
SHADES = 16  # confidence steps per class in a plane's image: faint bands, ~1 KB a PNG
# Pixels per grid cell and axis in a plane's image: the boundary at half a cell's detail.
# A 40 × 40 grid as 79 × 79 pixels: ~1 KB a PNG (one pixel a point: ~0.45 KB, too coarse
# for a thin line; three: ~1.4 KB).
UPSAMPLE = 2
LINE = 1.5  # the white decision boundary's width in image pixels (see _whiteness)
X_AXES = {"steps": ("frame_steps", "optimizer step"), "epochs": ("frame_epochs", "epoch"),
          "examples": ("frame_examples", "examples seen")}  # fmt: skip
GLYPHS = {"circle": "●", "square": "■", "diamond": "◆", "triangle-up": "▲", "cross": "✚",
          "star": "★", "hexagon": "⬢"}  # fmt: skip
PLANE_SHARE = 0.65  # of the two rows' height, the planes' (two runs)


def _mixed(colour: str, share: float) -> tuple[int, int, int]:
    r, g, b = (round(255 - share * (255 - int(colour[i : i + 2], 16))) for i in (1, 3, 5))
    return r, g, b


def mix(colour: str, share: float) -> str:
    """``colour`` (#rrggbb) mixed with white, ``share`` of the colour kept."""
    return "rgb({},{},{})".format(*_mixed(colour, share))


def u1_grid(levels: NDArray[np.uint8]) -> dict[str, str]:
    """Plotly's typed-array form of a 2-D uint8 array (what plotly.py writes for one)."""
    rows, cols = levels.shape
    encoded = base64.b64encode(np.ascontiguousarray(levels, dtype=np.uint8).tobytes())
    return {"dtype": "u1", "bdata": encoded.decode("ascii"), "shape": f"{rows}, {cols}"}


def u1_array(values: NDArray[np.uint8]) -> dict[str, str]:
    """Plotly's typed-array form of a 1-D uint8 array."""
    encoded = base64.b64encode(np.ascontiguousarray(values, dtype=np.uint8).tobytes())
    return {"dtype": "u1", "bdata": encoded.decode("ascii")}


def shades_per_class(n_classes: int) -> int:
    """Confidence steps per class in a plane's palette: ``SHADES``, fewer when C · steps + 1
    (the grey) would pass the 256 colours of a palette PNG (more than 15 classes)."""
    return max(2, min(SHADES, 255 // n_classes))


def plane_palette(n_classes: int) -> NDArray[np.uint8]:
    """The colours of a plane's image, ``(N, 3)``; ``GREY_COLOUR`` is the last.

    Two classes, index i = Q + v for v in −Q … Q (Q = ``SHADES``): white at v = 0, then
    blue (v < 0, class 0) or vermillion (class 1) with a share HEAT · |v| / Q of the colour —
    in P's order, so that a smooth P gives small steps between neighbours (a small PNG).
    C classes, index c · Q + b (Q = ``shades_per_class(C)``): class c's Okabe–Ito colour,
    from a share 0.06 (b = 0) to HEAT (b = Q − 1), as sure as the network is.
    """
    grey = _mixed(GREY_COLOUR, 1.0)
    if n_classes == 2:
        side = [HEAT * v / SHADES for v in range(SHADES, 0, -1)]
        colours = [_mixed(OKABE_ITO[0], a) for a in side]
        colours += [(255, 255, 255)] + [_mixed(OKABE_ITO[1], a) for a in side[::-1]]
    else:
        Q = shades_per_class(n_classes)
        colours = [_mixed(OKABE_ITO[c % len(OKABE_ITO)], 0.06 + (HEAT - 0.06) * b / (Q - 1))
                   for c in range(n_classes) for b in range(Q)]  # fmt: skip
    return np.array([*colours, grey], dtype=np.uint8)


def _whiteness(p: NDArray[np.floating]) -> NDArray[np.floating]:
    """``(..., H, W)`` P(class 1) → how white each pixel is, 0 … 1: the decision boundary
    P = ½ drawn as a line ``LINE`` pixels wide with anti-aliased edges (white to ``LINE / 2``
    from it, fading out over the next pixel), from each pixel's distance to it, |P − ½| / |∇P|
    to first order (∇P per pixel). From the distance, not from |P − ½| alone: the line is as
    wide where P jumps across ½ as where it creeps, with no gaps, and no beads where the
    boundary runs diagonally (as marking the cells next to a sign change gives). Only pixels
    within two pixels (a 5 × 5 square) of the other side, or at P = ½ itself, count: where P
    flattens out just off ½, the first-order distance would be far too short. Computed in
    ``p``'s precision (float32 for the stage: a colour needs no more)."""
    dy, dx = np.gradient(p, axis=(-2, -1))
    slope = np.sqrt(dx * dx + dy * dy)  # |∇P| (np.hypot guards overflow, at twice the cost)
    distance = np.abs(p - 0.5) / np.maximum(slope, 1e-12)
    above, below = p > 0.5, p < 0.5
    near = (above & _dilate(~above, 2)) | (below & _dilate(~below, 2)) | ~(above | below)
    return np.where(near, np.clip(LINE / 2 + 0.5 - distance, 0.0, 1.0), 0.0).astype(p.dtype)


def _dilate(mask: NDArray[np.bool_], reach: int) -> NDArray[np.bool_]:
    """Whether any pixel of a square of 2 · reach + 1 pixels around each pixel of ``(..., H,
    W)`` is set (the square clipped at the edges), a row then a column."""
    out = mask
    for axis in (-1, -2):
        grown = out.copy()
        n = out.shape[axis]
        for shift in range(1, min(reach, n - 1) + 1):
            ahead = [slice(None)] * out.ndim
            behind = [slice(None)] * out.ndim
            ahead[axis], behind[axis] = slice(shift, None), slice(None, n - shift)
            grown[tuple(ahead)] |= out[tuple(behind)]
            grown[tuple(behind)] |= out[tuple(ahead)]
        out = grown
    return out


def plane_indices(output: ArrayLike, multi: bool, discretize: bool) -> NDArray[np.uint8]:
    """Grid predictions → indices into ``plane_palette(C)``; NaN (a diverged network) → the
    grey, its last.

    Two classes, ``(..., H, W)`` P(class 1): index Q + v, v = sign(P − ½) · round(Q ·
    |2P − 1|^CURVE · (1 − w)) with w the boundary's whiteness (``_whiteness``): a shade mixed
    with white is a lighter shade of the palette. ``discretize``: v = ±round(Q · (1 − w)),
    the class's colour, mixed with white on the boundary only.
    C classes, ``(..., H, W, C)``: index c · Q + b, the argmax class c, and its confidence
    max P from 1/C → 1 in Q steps b; the middle step when ``discretize``. Computed in the
    output's precision (float32 or float64; integers as float64).
    """
    out = np.asarray(output)
    out = out if out.dtype in (np.float32, np.float64) else out.astype(np.float64)
    if not multi:
        finite = np.isfinite(out)
        p = np.clip(np.where(finite, out, 0.5), 0.0, 1.0)
        white = _whiteness(p)
        sure = np.ones_like(p) if discretize else np.abs(2 * p - 1) ** CURVE
        # a shade mixed with white is a lighter shade of the palette: share · (1 − white)
        v = np.sign(p - 0.5) * np.round(SHADES * sure * (1 - white))
        index, grey = v + SHADES, 2 * SHADES + 1
    else:
        C = out.shape[-1]
        Q = shades_per_class(C)
        finite = np.all(np.isfinite(out), axis=-1)
        probs = np.where(finite[..., None], out, 0.0)
        step = np.round((probs.max(axis=-1) - 1 / C) / (1 - 1 / C) * (Q - 1))
        step = np.full_like(step, (Q - 1) // 2) if discretize else np.clip(step, 0, Q - 1)
        index, grey = probs.argmax(axis=-1) * Q + step, C * Q
    return np.where(finite, index, grey).astype(np.uint8)


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


def _finer(values: Array, factor: int, multi: bool) -> Array:
    """``(F, Gy, Gx[, C])`` grid values bilinearly interpolated to ``(F, Sy, Sx[, C])``, S =
    factor · (G − 1) + 1: the grid's points kept and ``factor − 1`` new ones between two."""

    def weights(G: int) -> Array:  # (S, G): row s interpolates point s / factor
        t = np.arange(factor * (G - 1) + 1) / factor
        left = np.minimum(np.floor(t).astype(int), max(G - 2, 0))
        w = np.zeros((len(t), G), dtype=values.dtype)
        w[np.arange(len(t)), left] = 1 - (t - left)
        w[np.arange(len(t)), np.minimum(left + 1, G - 1)] += t - left
        return w

    grids = np.moveaxis(values, -1, 1) if multi else values  # (F[, C], Gy, Gx)
    fine = weights(grids.shape[-2]) @ grids @ weights(grids.shape[-1]).T
    return np.moveaxis(fine, 1, -1) if multi else fine


def _plane_images(
    k: int, output: Array, grid_axes: Sequence[Array], axes: dict[str, str], name: str,
    discretize: bool,
) -> list[dict[str, Any]]:  # fmt: skip
    """Run k's prediction over the plane, a layout image per frame: a palette PNG of the grid
    refined ``UPSAMPLE`` times (``plane_indices``, ``plane_palette``), each pixel centred on
    its point — the image reaches half a pixel past the grid, which the plane's axes clip —
    under the traces, where the browser's smoothing blends the pixels."""
    multi = output.ndim == 5
    fine = _finer(output[:, k].astype(np.float32), UPSAMPLE, multi)  # (F, S, S[, C]), float32
    indices = plane_indices(fine, multi, discretize)  # (F, S, S), row 0 at y[0]
    palette = plane_palette(output.shape[-1] if multi else 2)
    (x0, x1), (y0, y1) = ((float(a[0]), float(a[-1])) for a in grid_axes)
    half_x, half_y = (x1 - x0) / (2 * (fine.shape[2] - 1)), (y1 - y0) / (2 * (fine.shape[1] - 1))
    place = {"name": name, "xref": axes["xaxis"], "yref": axes["yaxis"], "x": x0 - half_x,
             "y": y1 + half_y, "sizex": x1 - x0 + 2 * half_x, "sizey": y1 - y0 + 2 * half_y,
             "xanchor": "left", "yanchor": "top", "sizing": "stretch",
             "layer": "below"}  # fmt: skip
    top_down = indices[:, ::-1]  # image rows from the top
    first: dict[bytes, int] = {}  # a diverged run's grey frames: one image, encoded once
    which: list[int] = []
    unique: list[NDArray[np.uint8]] = []
    for frame in top_down:
        key = frame.tobytes()
        if key not in first:
            first[key] = len(unique)
            unique.append(frame)
        which.append(first[key])
    sources = [png_uri(png) for png in indexed_pngs(np.array(unique), palette)]
    images = [{"source": sources[i], **place} for i in which]
    return images


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
                       "name": f"{labels[k]}: prediction", "hoverinfo": "skip",
                       "showlegend": False,  # the plane's title has the run's colour
                       "line": {"color": s.color, "width": style.line + 1,
                                "dash": s.dash}})  # fmt: skip
        moving.append((0, [{"y": typed_array(row[k])} for row in output]))
    n_classes = 1 if regression else (output.shape[-1] if multi else 2)
    for X, y, hollow in ((data.X_train, data.y_train, False), (data.X_test, data.y_test, True)):
        X, y = np.asarray(X), np.asarray(y)
        what = "test" if hollow else "train"
        for c in range(n_classes):
            mine = np.ones(len(y), bool) if regression else y == c
            marker = _class_marker(c, style, hollow)
            if regression:  # one kind of point: ink, filled or hollow
                marker = {**marker, "color": "white" if hollow else INK,
                          "line": {"width": 1.5 if hollow else 0.5,
                                   "color": INK if hollow else "white"}}  # fmt: skip
            name = "test points" if hollow else (
                "training points" if regression else f"class {c}")  # fmt: skip
            point = what if regression else f"{what}, class {c}"
            hover = {"hoverinfo": "skip"} if picker else {
                "hovertemplate": f"{point}: (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"}  # fmt: skip
            traces.append(_scatter(X[mine], y[mine], axes, name=name, marker=marker,
                                   legendgroup=name, showlegend=first and (not hollow or c == 0),
                                   **hover))  # fmt: skip
    if extra is not None:
        X, y = extra
        kinds = [0] * len(y) if regression else [int(v) for v in y]
        traces.append(_scatter(X, y, axes, name="your points", legendgroup="your points",
                               showlegend=first, hoverinfo="skip",
                               marker={"size": style.marker + 5, "line": {"width": 3, "color": INK},
                                       "symbol": [SYMBOLS[i % 3] for i in kinds],
                                       "color": [OKABE_ITO[i % 7] for i in kinds]}))  # fmt: skip
    if regression:
        return traces, moving
    marker = {"symbol": "x-thin", "size": style.marker + 1, "color": INK,
              "line": {"width": max(1.5, 0.5 * style.line), "color": INK}}  # fmt: skip
    mark = {"type": "scatter", "mode": "markers", **axes, "name": "misclassified",
            "legendgroup": "misclassified", "hoverinfo": "skip"}  # fmt: skip
    if first:  # plotly.js drops a trace from the legend in a frame where it is empty
        traces.append({**mark, "x": [None], "y": [None], "marker": marker, "showlegend": True})
    sets = ((data.X_train, data.y_train, result.train_predicted, "train"),
            (data.X_test, data.y_test, result.test_predicted, "test"))  # fmt: skip
    for X, y, predicted, part in sets:
        # A cross on every point, shown (opacity 1) where the network's class is not the
        # label: a frame sends one byte a point instead of the wrong points' coordinates.
        X = np.asarray(X)
        traces.append({**mark, "name": f"misclassified ({part})", "x": typed_array(X[:, 0]),
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
        for name_, dash, fill in (("train", "solid", INK), ("test", "dash", "white")):
            traces.append({"type": "scatter", "mode": "lines+markers", **ax, "x": [None],
                           "y": [None], "name": name_, "legend": "legend2",
                           "line": {"color": INK, "width": style.line, "dash": dash},
                           "marker": {"symbol": "circle", "size": style.marker - 2,
                                      "color": fill, "line": {"width": 1.5, "color": INK}},
                           "hoverinfo": "skip"})  # fmt: skip
    for k in range(K):
        s = series_style(k)
        for which, part in enumerate(("train", "test")):
            traces.append({
                "type": "scatter", "mode": "lines+markers", **ax, "x": typed_array(xs[:, k]),
                "y": typed_array(values[which, :, k]), "name": f"{labels[k]}: {part}",
                "showlegend": False,  # the titles say which run and which line is which
                "line": {"color": s.color, "width": style.line,
                         "dash": "dash" if which else "solid"},
                "marker": {"symbol": f"{s.symbol}-open" if which else s.symbol,
                           "size": style.marker - 2, "maxdisplayed": 8, "color": s.color},
                "hovertemplate": f"{labels[k]}, {part} {name} %{{y:.4g}}<br>{x_title} "
                                 "%{x:.4g}<extra></extra>",
            })  # fmt: skip
    y0, y1 = y_axis["range"]
    traces.append({"type": "scatter", "mode": "lines", **ax, "name": "now",
                   "y": [10**y0, 10**y1] if log else [y0, y1], "showlegend": False,
                   "hoverinfo": "skip",
                   "line": {"color": INK, "width": max(1.0, style.line / 2),
                            "dash": "dot"}})  # fmt: skip
    colours = [series_style(k).color for k in range(K) for _ in range(2)]
    symbols = [series_style(k).symbol + end for k in range(K) for end in ("", "-open")]
    traces.append({"type": "scatter", "mode": "markers", **ax, "name": "current value",
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
        data_list.append({"type": "scatter", "mode": "markers", **planes[0], "name": "picker",
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
        _plane_images(k, output, grid_axes, planes[k], f"{labels[k]}: prediction", discretize)
        for k in range(K)]  # fmt: skip
    field, x_title = X_AXES[x_axis]
    xs = np.asarray(getattr(result, field), dtype=np.float64)[rows]  # (F, K)
    panels = [("loss", result.train_loss, result.test_loss)]
    if not regression:
        panels.append(("accuracy", result.train_accuracy, result.test_accuracy))
    note = "" if regression else ("shade: how sure, darker = surer" if output.ndim == 5 else
                                  "white line: decision boundary, P(class 1) = ½")  # fmt: skip
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
        scale = " (log scale)" if y_axis.get("type") == "log" else ""
        annotations.append({"text": f"<b>{name}</b>{scale}", "xref": f"x{n} domain",
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
        title = f'<span style="color:{s.color}">{GLYPHS.get(s.symbol, "●")}</span> {labels[k]}'
        if result.diverged_at[k] >= 0:
            title += f" — diverged at step {int(result.diverged_at[k])}"
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
