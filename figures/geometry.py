"""The uncrumpling lesson's figures: each layer of a narrow network as a movement of the plane.

* ``morph_figure(stages, labels, cut, names, style)`` — the stage: the data and a reference
  grid of the input plane, moved stage by stage (W, then +b, then the activation, per layer)
  by client-side frames that interpolate between consecutive stages; the last stage ends with
  the output unit's straight cut. Each stage has its own fixed axis ranges (interpolated during
  a morph, so nothing jitters); the slider stops at the stages, ▶ Play runs the whole sequence.
  Stages of 3-unit layers are drawn in a rotatable 3-D scene (the input plane at height 0).
* ``boundary_figure(axes, logits, X, y, style)`` — the input plane with the network's decision
  boundary: the output's straight cut pulled back through the layers, curved.
* ``cut_figure(stage, labels, cut, style)`` — the last hidden plane (or space) with the
  output's straight cut (a line, or a plane in 3-D).
* ``separability_figure(names, scores, style)`` — the accuracy of the best straight cut at
  every stage, in per cent.

Points are sub-sampled to ``MAX_POINTS`` and sent as typed arrays; every frame carries only
the four moving traces (grid, two classes, cut), so a 6-layer morph stays under 1 MB.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike, NDArray

from engine.geometry import Stage, cut_segment
from figures.animation import add_playback
from figures.common import compact, finish, typed_array
from figures.style import INK, OKABE_ITO, SYMBOLS, Style
from i18n import _, number

Array = NDArray[np.float64]
MAX_POINTS = 200
SUBSTEPS = 4  # frames per morph between two stages (the stage itself included)
PAD = 0.08  # of a stage's extent, around its points
GRID_COLOUR = "rgba(120,120,120,0.45)"
CUT_COLOUR = INK


def _class_marker(c: int, style: Style, three_d: bool = False) -> dict[str, Any]:
    size = style.marker * (0.55 if three_d else 0.9)
    return {"color": OKABE_ITO[c], "symbol": ("circle", "diamond")[c] if three_d else SYMBOLS[c],
            "size": size, "line": {"width": 0.6, "color": INK}}  # fmt: skip


def _class_name(c: int) -> str:
    """A class's name in the legend."""
    return _("class {c}").format(c=c)


def _padded(points: Array) -> Array:
    """``points`` in 3-D (a zero height for planar ones)."""
    if points.shape[-1] == 3:
        return points
    return np.concatenate([points, np.zeros((*points.shape[:-1], 1))], axis=-1)


def _ranges(points: Array) -> list[list[float]]:
    """Per axis [low, high] around the finite points, padded; a flat axis gets ±1."""
    finite = points[np.all(np.isfinite(points), axis=-1)]
    if finite.size == 0:
        return [[-1.0, 1.0]] * points.shape[-1]
    low, high = finite.min(axis=0), finite.max(axis=0)
    span = high - low
    centre = (low + high) / 2
    half = np.where(span > 1e-9, span * (0.5 + PAD), 1.0)  # a flat axis (the input's height): ±1
    return [[float(c - h), float(c + h)] for c, h in zip(centre, half, strict=True)]


def _square(ranges: list[list[float]]) -> list[list[float]]:
    """Ranges of equal length (the longest) around their centres: a plane keeps its angles."""
    half = max((r[1] - r[0]) / 2 for r in ranges)
    return [[(r[0] + r[1]) / 2 - half, (r[0] + r[1]) / 2 + half] for r in ranges]


def _grid_xyz(grid: Array) -> list[Array]:
    """The grid's polylines as coordinate lists with NaN (a break) between lines."""
    lines, _, d = grid.shape
    gap = np.full((lines, 1, d), np.nan)
    flat = np.concatenate([grid, gap], axis=1).reshape(-1, d)
    return [flat[:, i] for i in range(d)]


def _keep(n: int) -> NDArray[np.intp]:
    return np.arange(min(n, MAX_POINTS))


def morph_figure(stages: Sequence[Stage], labels: ArrayLike, cut: tuple[Array, float] | None,
                 names: Sequence[str], style: Style, *, substeps: int = SUBSTEPS,
                 narrow: bool = False) -> go.Figure:  # fmt: skip
    """The stages as one animation (see the module docstring).

    Args:
        stages: ``engine.geometry.stages`` of one network, input first.
        labels: ``(n,)`` the points' classes, 0 or 1.
        cut: the output unit's (w, b) on the last stage, drawn there; None for none.
        names: one label per stage (the slider's stops).
        style: sizes.
        substeps: frames per morph from one stage to the next.
        narrow: for a chart beside another: no legend, only ▶ Play and ‖ Pause.
    """
    y = np.asarray(labels).astype(int)
    keep = _keep(len(y))
    three_d = max(s.points.shape[-1] for s in stages) == 3
    # A 3-D frame weighs half as much again (lists, three coordinates), and two charts side
    # by side twice as much: fewer in-between frames keep the page under about a megabyte.
    substeps = max(2, substeps - three_d - narrow)
    lift = _padded if three_d else (lambda a: a)
    points = [lift(np.asarray(s.points, dtype=np.float64))[keep] for s in stages]
    grids = [lift(np.asarray(s.grid, dtype=np.float64)) for s in stages]
    ranges = [_ranges(p) if three_d else _square(_ranges(p)) for p in points]
    last_cut = _cut_trace_xyz(cut, ranges[-1], three_d) if cut is not None else None

    def state(a: int, b: int, t: float) -> tuple[list[dict[str, Any]], list[list[float]]]:
        """The four moving traces and the axis ranges, a fraction t from stage a to b."""
        pts = (1 - t) * points[a] + t * points[b]
        grid = (1 - t) * grids[a] + t * grids[b]
        rng = [[(1 - t) * ra[0] + t * rb[0], (1 - t) * ra[1] + t * rb[1]]
               for ra, rb in zip(ranges[a], ranges[b], strict=True)]  # fmt: skip
        traces = [_coords(_grid_xyz(grid), three_d)]
        traces += [_coords([pts[y[keep] == c][:, i] for i in range(pts.shape[1])], three_d)
                   for c in (0, 1)]  # fmt: skip
        at_end = b == len(stages) - 1 and t == 1.0
        traces.append(last_cut if (at_end and last_cut is not None) else _empty(three_d))
        return traces, rng

    kind = "scatter3d" if three_d else "scatter"
    frames: list[dict[str, Any]] = []
    keyframes: list[int] = []
    for s in range(len(stages)):
        steps = [(s, s, 1.0)] if s == 0 else [(s - 1, s, k / substeps)
                                              for k in range(1, substeps + 1)]  # fmt: skip
        for a, b, t in steps:
            traces, rng = state(a, b, t)
            caption = names[b] if t == 1.0 else None
            typed = [{"type": kind, **trace} for trace in traces]  # validation reads the type
            frames.append({"name": str(len(frames)), "traces": [0, 1, 2, 3], "data": typed,
                           "layout": _axes_layout(rng, three_d, caption)})  # fmt: skip
        keyframes.append(len(frames) - 1)
    first_traces, first_range = state(0, 0, 1.0)
    data = [_merge(_grid_style(style, three_d), first_traces[0])]
    for c in (0, 1):
        data.append(_merge({"type": "scatter3d" if three_d else "scatter", "mode": "markers",
                            "name": _class_name(c), "marker": _class_marker(c, style, three_d),
                            "hoverinfo": "skip"}, first_traces[1 + c]))  # fmt: skip
    data.append(_merge(_cut_style(style, three_d), first_traces[3]))
    layout: dict[str, Any] = {
        **_axes_layout(first_range, three_d, names[0], base=True),
        "legend": {"orientation": "h", "x": 0.0, "y": 1.02, "yanchor": "bottom"},
        "showlegend": not narrow,
        "margin": {"l": 50, "r": 20, "t": 30 if narrow else 50, "b": 40},
    }
    fig = add_playback({"data": data, "layout": layout, "frames": frames},
                       list(range(len(frames))), style, redraw=three_d, compact=narrow)  # fmt: skip
    slider = fig["layout"]["sliders"][0]
    slider["steps"] = [dict(slider["steps"][f], label=names[s]) for s, f in enumerate(keyframes)]
    slider["currentvalue"]["prefix"] = _("Stage:") + " "
    return finish(fig, style)


def _coords(columns: Sequence[Array], three_d: bool) -> dict[str, Any]:
    """Coordinates as typed arrays (2-D) or lists with None breaks (3-D: plotly.js's scatter3d
    draws no line at all from a typed array with NaN breaks)."""
    if three_d:
        return {k: compact(c) for k, c in zip(("x", "y", "z"), columns, strict=False)}
    return {k: typed_array(c) for k, c in zip(("x", "y"), columns, strict=False)}


def _empty(three_d: bool) -> dict[str, Any]:
    return {"x": [None], "y": [None], **({"z": [None]} if three_d else {})}


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    return {**base, **update}


def _grid_style(style: Style, three_d: bool) -> dict[str, Any]:
    # WebGL lines (3-D) take no transparency: an opaque grey of the same lightness.
    colour = "rgb(175,175,175)" if three_d else GRID_COLOUR
    return {"type": "scatter3d" if three_d else "scatter", "mode": "lines", "name": _("the grid"),
            "line": {"color": colour, "width": max(1.0, style.line * (0.8 if three_d else 0.45))},
            "hoverinfo": "skip", "connectgaps": False}  # fmt: skip


def _cut_style(style: Style, three_d: bool) -> dict[str, Any]:
    return {"type": "scatter3d" if three_d else "scatter", "mode": "lines",
            "name": _("the output's straight cut"),
            "line": {"color": CUT_COLOUR, "width": style.line * 1.4, "dash": "solid"},
            "hoverinfo": "skip"}  # fmt: skip


def _cut_trace_xyz(cut: tuple[Array, float], ranges: list[list[float]],
                   three_d: bool) -> dict[str, Any]:  # fmt: skip
    """The straight cut inside the last stage's ranges: a segment (2-D) or the outline of the
    plane's piece inside the box (3-D, as a closed polyline through its corners)."""
    w, b = np.asarray(cut[0], dtype=np.float64), float(cut[1])
    if not three_d:
        box = (ranges[0][0], ranges[0][1], ranges[1][0], ranges[1][1])
        segment = cut_segment(w, b, box)
        if segment is None:
            return _empty(False)
        return {"x": segment[:, 0].tolist(), "y": segment[:, 1].tolist()}
    outline = _plane_outline(w, b, ranges)
    if outline is None:
        return _empty(True)
    return {k: outline[:, i].tolist() for i, k in enumerate("xyz")}


def _plane_outline(w: Array, b: float, ranges: list[list[float]]) -> Array | None:
    """Where the plane h·w + b = 0 meets the box's edges, in order around the plane, closed."""
    corners = np.array([[ranges[0][i], ranges[1][j], ranges[2][k]]
                        for i in (0, 1) for j in (0, 1) for k in (0, 1)])  # fmt: skip
    values = corners @ w + b
    hits = []
    for i in range(8):
        for j in range(i + 1, 8):
            if bin(i ^ j).count("1") != 1:  # an edge joins corners differing in one axis
                continue
            if values[i] * values[j] < 0:
                t = values[i] / (values[i] - values[j])
                hits.append(corners[i] + t * (corners[j] - corners[i]))
    if len(hits) < 3:
        return None
    pts = np.array(hits)
    centre = pts.mean(axis=0)
    normal = w / np.linalg.norm(w)
    u = pts[0] - centre
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    angles = np.arctan2((pts - centre) @ v, (pts - centre) @ u)
    ordered = pts[np.argsort(angles)]
    return np.vstack([ordered, ordered[:1]])


def _axes_layout(ranges: list[list[float]], three_d: bool, name: str | None,
                 base: bool = False) -> dict[str, Any]:  # fmt: skip
    """The axis ranges of one frame (and, at a stage, the chart's caption of it)."""
    out: dict[str, Any] = {}
    if three_d:
        pairs = zip("xyz", ranges, strict=True)
        scene: dict[str, Any] = {f"{k}axis": {"range": r} for k, r in pairs}
        if base:
            for k in "xyz":
                scene[f"{k}axis"] |= {"title": {"text": f"h{'₁₂₃'['xyz'.index(k)]}"},
                                       "autorange": False, "showticklabels": False}  # fmt: skip
            scene |= {"aspectmode": "cube", "camera": {"eye": {"x": 1.5, "y": -1.6, "z": 1.0}}}
        out["scene"] = scene
    else:
        out["xaxis"] = {"range": ranges[0]}
        out["yaxis"] = {"range": ranges[1]}
        if base:
            out["xaxis"] |= {"autorange": False, "zeroline": False}
            out["yaxis"] |= {"autorange": False, "zeroline": False, "scaleanchor": "x",
                             "scaleratio": 1}  # fmt: skip
    if name is not None:
        out["annotations"] = [{"text": name, "xref": "paper", "yref": "paper", "x": 1.0,
                               "y": 1.0, "xanchor": "right", "yanchor": "bottom",
                               "showarrow": False}]  # fmt: skip
    return out


def boundary_figure(axes: tuple[ArrayLike, ArrayLike], logits: ArrayLike, X: ArrayLike,
                    y: ArrayLike, style: Style) -> go.Figure:  # fmt: skip
    """The input plane: the two classes' regions, the decision boundary (logit = 0) and the
    points."""
    xs, ys = (np.asarray(a, dtype=np.float64) for a in axes)
    z = np.asarray(logits, dtype=np.float64)
    points, labels = np.asarray(X, dtype=np.float64), np.asarray(y).astype(int)
    keep = _keep(len(labels))
    regions = np.where(np.isfinite(z), (z > 0).astype(np.float64), np.nan)
    data: list[dict[str, Any]] = [
        {"type": "heatmap", "x": typed_array(xs), "y": typed_array(ys),
         "z": np.where(np.isfinite(regions), regions, -1).astype(np.int8).tolist(),
         "showscale": False, "hoverinfo": "skip",
         "colorscale": [[0.0, "rgba(255,255,255,0)"], [0.5, "rgba(0,114,178,0.16)"],
                        [1.0, "rgba(213,94,0,0.16)"]],
         "zmin": -1.0, "zmax": 1.0},
        {"type": "contour", "x": typed_array(xs), "y": typed_array(ys),
         "z": [compact(row, 3) for row in z],
         "contours": {"start": 0.0, "end": 0.0, "size": 1.0, "coloring": "none"},
         "line": {"color": CUT_COLOUR, "width": style.line * 1.4}, "showscale": False,
         "hoverinfo": "skip", "name": _("the decision boundary"), "showlegend": True},
    ]  # fmt: skip
    for c in (0, 1):
        sel = points[keep][labels[keep] == c]
        data.append({"type": "scatter", "mode": "markers", "name": _class_name(c),
                     "x": typed_array(sel[:, 0]), "y": typed_array(sel[:, 1]),
                     "marker": _class_marker(c, style), "hoverinfo": "skip"})  # fmt: skip
    layout: dict[str, Any] = {
        "xaxis": {"range": [float(xs[0]), float(xs[-1])], "title": {"text": "x₁"}},
        "yaxis": {"range": [float(ys[0]), float(ys[-1])], "title": {"text": "x₂"},
                  "scaleanchor": "x", "scaleratio": 1},
        "legend": {"orientation": "h", "x": 0.0, "y": 1.02, "yanchor": "bottom"},
        "margin": {"l": 50, "r": 20, "t": 50, "b": 50},
    }  # fmt: skip
    return finish({"data": data, "layout": layout}, style)


def cut_figure(
    stage: Stage, labels: ArrayLike, cut: tuple[Array, float], style: Style
) -> go.Figure:
    """The last hidden plane (or space) with the output's straight cut."""
    y = np.asarray(labels).astype(int)
    keep = _keep(len(y))
    three_d = stage.points.shape[-1] == 3
    points = np.asarray(stage.points, dtype=np.float64)[keep]
    ranges = _ranges(points) if three_d else _square(_ranges(points))
    kind = "scatter3d" if three_d else "scatter"
    data = [
        _merge(_grid_style(style, three_d), _coords(_grid_xyz(np.asarray(stage.grid)), three_d))
    ]
    for c in (0, 1):
        sel = points[y[keep] == c]
        data.append({"type": kind, "mode": "markers", "name": _class_name(c),
                     "marker": _class_marker(c, style, three_d), "hoverinfo": "skip",
                     **_coords([sel[:, i] for i in range(sel.shape[1])], three_d)})  # fmt: skip
    data.append(_merge(_cut_style(style, three_d), _cut_trace_xyz(cut, ranges, three_d)))
    layout: dict[str, Any] = {
        **_axes_layout(ranges, three_d, None, base=True),
        "legend": {"orientation": "h", "x": 0.0, "y": 1.02, "yanchor": "bottom"},
        "margin": {"l": 50, "r": 20, "t": 50, "b": 50},
    }
    return finish({"data": data, "layout": layout}, style)


def separability_figure(names: Sequence[str], scores: ArrayLike, style: Style) -> go.Figure:
    """The best straight cut's accuracy at every stage, in per cent."""
    values = 100 * np.asarray(scores, dtype=np.float64)
    shown = [None if not np.isfinite(v) else round(float(v), 1) for v in values]
    data = [{"type": "bar", "x": list(names), "y": shown, "marker": {"color": OKABE_ITO[2]},
             "text": [("—" if v is None else _("{percent} %").format(percent=number(v, ".0f")))
                      for v in shown],
             "textposition": "outside", "textfont": {"size": style.font},
             "hovertemplate": "%{x}: %{y:.1f} %<extra></extra>",
             "name": _("straight cut")}]  # fmt: skip
    layout = {
        "yaxis": {"range": [40, 108], "title": {"text": _("best straight cut, % correct")},
                  "dtick": 10},
        "xaxis": {"title": {"text": _("stage")}, "tickangle": 0, "type": "category"},
        "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 100, "y1": 100,
                    "line": {"color": INK, "width": 1, "dash": "dot"}}],
        "margin": {"l": 70, "r": 20, "t": 30, "b": 60},
        "showlegend": False,
        "height": round(style.height * 0.6),
    }  # fmt: skip
    return finish({"data": data, "layout": layout}, style)
