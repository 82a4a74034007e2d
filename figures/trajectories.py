"""Animated trajectories: the 2-D optimizer race on a contour, and the 1-D rolling ball.

Both follow the same rules (see HOUSE_STYLE and the pitfalls in the brief):

* static layers (contour or curve, minima, each run's whole path drawn faintly) are in
  ``data`` once; frames update only the moving traces (``frame["traces"]``);
* at most 120 frames, chosen evenly from the recorded rows, each named by its optimizer step;
* fixed axis ranges, so nothing jumps while playing;
* numbers rounded to 5 significant digits, frames built as dicts: small, deterministic JSON.

The state drawn at the current frame (2-D): the gradient arrow (−∇L), the velocity / first
moment arrow (−b or −m, the direction the optimizer is carried), and for adaptive optimizers a
box whose half-widths are √v (the per-coordinate scale the step is divided by). Arrows of all
runs share one scale so their sizes compare; the legend says they are scaled.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike, NDArray

from engine.runner import Trajectories
from figures.animation import add_playback, frame_rows
from figures.common import as_list, finish, rounded, typed_array
from figures.raster import banded_rgb, png_data_uri
from figures.style import SeriesStyle, Style, series_style
from figures.surface_plots import (
    Landscape,
    curve_trace,
    landscape_name,
    minima_trace,
    start_picker_trace,
    surface_grid,
)
from i18n import _

MAX_FRAMES = 120
TRAIL = 6  # recorded frames of trail behind each moving marker
ARROW_FRACTION = 0.12  # the median gradient arrow is this fraction of the plot's width
ARROW_MAX = 0.3  # no arrow longer than this fraction (a huge early gradient stays on screen)
IMAGE_RESOLUTION = 180
REACH = 2.0  # the 1-D plot follows a path this many window widths beyond the window, no further
EDGE = 0.02  # a start or path point nearer an edge than this fraction of the window widens it
W_MARGIN = 0.05  # ... so that the point sits this fraction of the plotted width inside


def _arrows(
    starts: NDArray[np.float64], vectors: NDArray[np.float64], max_length: float
) -> NDArray[np.float64]:
    """Arrow polylines ``(..., 5, 2)``: start → end, then the two strokes of the head.

    Arrows longer than ``max_length`` are shortened to it; zero or non-finite ones are NaN.
    """
    length = np.linalg.norm(vectors, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        vectors = vectors * np.minimum(1.0, max_length / length)
        length = np.minimum(length, max_length)
        back = -0.25 * vectors
        normal = 0.12 * np.stack([-vectors[..., 1], vectors[..., 0]], axis=-1)
    end = starts + vectors
    points = np.stack([starts, end, end + back + normal, end, end + back - normal], axis=-2)
    bad = ~np.isfinite(length[..., 0]) | (length[..., 0] == 0)
    points[bad] = np.nan
    return points


def _xy(points: NDArray[np.float64]) -> dict[str, dict[str, str]]:
    """A frame's update of one scatter trace from points ``(n, 2)`` (typed arrays)."""
    return {"x": typed_array(points[:, 0]), "y": typed_array(points[:, 1])}


def _boxes(centres: NDArray[np.float64], halves: NDArray[np.float64]) -> NDArray[np.float64]:
    """Closed rectangles ``(..., 5, 2)`` around ``centres`` with half-widths ``halves``."""
    signs = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]], dtype=np.float64)
    return centres[..., None, :] + signs * halves[..., None, :]


def _scale(vectors: NDArray[np.float64], span: float) -> float:
    """One factor for all arrows: the median non-zero arrow becomes ARROW_FRACTION · span."""
    lengths = np.linalg.norm(vectors.reshape(-1, 2), axis=-1)
    lengths = lengths[np.isfinite(lengths) & (lengths > 0)]
    if len(lengths) == 0:
        return 0.0
    return ARROW_FRACTION * span / float(np.median(lengths))


def race_figure(
    surface: Landscape,
    traj: Trajectories,
    labels: Sequence[str],
    style: Style,
    *,
    show_state: bool = True,
    adaptive: Sequence[bool] = (),
    axis_titles: Sequence[str] = ("x", "y"),
    pick_start: bool = False,
) -> go.Figure:
    """Animated paths of K runs on the contour of a 2-D ``surface``.

    Args:
        surface: the 2-D surface the runs were made on.
        traj: the runner's result; every recorded row is a candidate frame.
        labels: a legend name per run.
        style: sizes and projector mode.
        show_state: draw the gradient and velocity arrows and the second-moment boxes.
        adaptive: per run, whether to draw its second-moment box.
        axis_titles: names of the two coordinates (a data problem's parameters, e.g. w, b).
        pick_start: add the invisible start picker as trace ``PICKER_TRACE``.
    """
    rows = frame_rows(len(traj.steps), MAX_FRAMES)
    params = traj.params[rows]  # (F, K, 2)
    K = params.shape[1]
    (x0, x1), (y0, y1) = surface.bounds
    span = float(max(x1 - x0, y1 - y0))
    data: list[dict[str, Any]] = [_colorbar_trace(surface, style)]
    if pick_start:
        data.append(start_picker_trace(surface))
    if len(surface.minima):
        data.append(minima_trace(surface.minima, surface.minima_values, style))
    for k, label in enumerate(labels):  # whole paths, faint: where each run will go
        s = series_style(k)
        data.append(  # a white halo keeps the path visible on the darkest valley
            {
                "type": "scatter",
                "mode": "lines",
                "x": typed_array(params[:, k, 0]),
                "y": typed_array(params[:, k, 1]),
                "line": {"color": "white", "width": style.line + 1},
                "opacity": 0.5,
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": typed_array(params[:, k, 0]),
                "y": typed_array(params[:, k, 1]),
                "line": {"color": s.color, "width": max(1.5, style.line * 0.6), "dash": "dot"},
                "opacity": 0.9,
                "name": _("{run} (path)").format(run=label),
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
    blown = _divergence_trace(traj, surface.bounds, style)
    if blown is not None:
        data.append(blown)
    grad_scale = _scale(-traj.grads[rows], span) if show_state else 0.0
    vel_scale = grad_scale
    box_scale = 0.0
    if show_state and any(adaptive):
        roots = np.sqrt(np.abs(traj.second_moment[rows][:, list(np.flatnonzero(adaptive))]))
        box_scale = _scale(roots, span) * 0.5
    moving: list[dict[str, Any]] = []  # the traces the frames update, in order
    for k, label in enumerate(labels):
        s = series_style(k)
        moving.append(_state_trace(s.color, style, s.dash, _("{run} trail").format(run=label)))
        moving.append(_marker_trace(s, style.marker + 4, label))
        if show_state:
            gradient, velocity = _("{run}: −gradient"), _("{run}: velocity")
            moving.append(_state_trace(s.color, style, "solid", gradient.format(run=label)))
            moving.append(_state_trace(s.color, style, "dash", velocity.format(run=label)))
            if k < len(adaptive) and adaptive[k]:
                box = _("{run}: √v box").format(run=label)
                moving.append(_state_trace(s.color, style, "dot", box))
    first_moving = len(data)
    # Everything the frames show, computed and rounded once for all frames and runs.
    P = params  # (F, K, 2)
    if show_state:
        limit = ARROW_MAX * span
        G = _arrows(params, -traj.grads[rows] * grad_scale, limit)  # (F, K, 5, 2)
        V = _arrows(params, -traj.velocity[rows] * vel_scale, limit)
        halves = np.sqrt(np.abs(traj.second_moment[rows])) * box_scale
        B = _boxes(params, halves)
    frames: list[dict[str, Any]] = []
    for f, row in enumerate(rows):
        frame_data: list[dict[str, Any]] = []
        lo = max(0, f - TRAIL)
        for k in range(K):
            frame_data += [_xy(P[lo : f + 1, k]), _xy(P[f : f + 1, k])]
            if show_state:
                frame_data += [_xy(G[f, k]), _xy(V[f, k])]
                if k < len(adaptive) and adaptive[k]:
                    frame_data.append(_xy(B[f, k]))
        frames.append(
            {
                "name": str(int(traj.steps[row])),
                "data": frame_data,
                "traces": list(range(first_moving, first_moving + len(moving))),
            }
        )
    for trace, first in zip(moving, frames[0]["data"], strict=True):
        trace.update(first)
    layout = {
        "images": [_surface_image(surface)],
        "xaxis": {
            "range": [float(x0), float(x1)],
            "autorange": False,
            "title": {"text": axis_titles[0]},
        },
        "yaxis": {
            "range": [float(y0), float(y1)],
            "autorange": False,
            "title": {"text": axis_titles[1]},
        },
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "margin": {"t": 90},
    }
    fig = {"data": data + moving, "layout": layout, "frames": frames}
    add_playback(fig, [int(traj.steps[r]) for r in rows], style)
    return finish(fig, style)


@functools.lru_cache(maxsize=32)
def _surface_png(surface: Landscape) -> str:
    """The banded PNG of a surface (cached per surface object: the registry's are permanent)."""
    _, _, z, _ = surface_grid(surface, IMAGE_RESOLUTION)
    return png_data_uri(banded_rgb(z[::-1]))  # image rows run from the top (y1) down


def _surface_image(surface: Landscape) -> dict[str, Any]:
    """The surface as a banded image under the axes (see figures/raster.py for why)."""
    (x0, x1), (y0, y1) = surface.bounds
    return {
        "source": _surface_png(surface),
        "xref": "x",
        "yref": "y",
        "x": float(x0),
        "y": float(y1),
        "sizex": float(x1 - x0),
        "sizey": float(y1 - y0),
        "sizing": "stretch",
        "layer": "below",
    }


@functools.lru_cache(maxsize=32)
def _value_range(surface: Landscape) -> tuple[float, float, bool]:
    _, _, z, log = surface_grid(surface, IMAGE_RESOLUTION)
    finite = z[np.isfinite(z)]
    return float(finite.min()), float(finite.max()), log


def _colorbar_trace(surface: Landscape, style: Style) -> dict[str, Any]:
    """An invisible trace that carries the image's colour bar (a scatter survives animation)."""
    low, high, log = _value_range(surface)
    return {
        "type": "scatter",
        "mode": "markers",
        "x": [None],
        "y": [None],
        "marker": {
            "color": [low, high],
            "colorscale": "Viridis",
            "showscale": not style.projector,
            "colorbar": {
                "title": {"text": _("log₁₀(loss − min)") if log else _("loss"), "side": "right"},
                "tickfont": {"size": style.tick_font},
                "thickness": 14,
            },
        },
        "name": landscape_name(surface),
        "showlegend": False,
        "hoverinfo": "skip",
    }


def _state_trace(color: str, style: Style, dash: str, name: str) -> dict[str, Any]:
    """A moving line (trail, arrow, box, tangent) of one run; not in the legend."""
    return {
        "type": "scatter",
        "mode": "lines",
        "line": {"color": color, "width": style.line, "dash": dash},
        "name": name,
        "showlegend": False,
        "hoverinfo": "skip",
    }


def _divergence_trace(
    traj: Trajectories, bounds: NDArray[np.float64], style: Style
) -> dict[str, Any] | None:
    """A black cross where each diverged run was last seen inside the plot window (None if no
    run diverged)."""
    points = []
    for k, step in enumerate(traj.diverged_at):
        if step < 0:
            continue
        path = traj.params[:, k]
        inside = np.all((path >= bounds[:, 0]) & (path <= bounds[:, 1]), axis=-1)
        seen = np.flatnonzero(inside)
        points.append(path[seen[-1]] if len(seen) else path[0])
    if not points:
        return None
    xy = rounded(np.array(points))
    return {
        "type": "scatter",
        "mode": "markers",
        "x": as_list(xy[:, 0]),
        "y": as_list(xy[:, 1]),
        "marker": {"symbol": "x", "size": style.marker + 6, "color": "black",
                   "line": {"color": "white", "width": 1}},
        "name": _("diverged (last seen here)"),
    }  # fmt: skip


def _marker_trace(s: SeriesStyle, size: int, name: str) -> dict[str, Any]:
    """A run's moving marker, white-edged so it stands out on any colour; in the legend."""
    return {
        "type": "scatter",
        "mode": "markers",
        "marker": {"symbol": s.symbol, "size": size, "color": s.color,
                   "line": {"color": "white", "width": 2}},
        "name": name,
    }  # fmt: skip


def w_range(bounds_row: ArrayLike, path: ArrayLike) -> tuple[float, float]:
    """The w range a 1-D plot shows: the surface's window, widened to hold the runs.

    Args:
        bounds_row: ``(2,)`` the surface's plotting window for w.
        path: ``(R, K)`` every recorded w of K runs, row 0 their starts (NaN after divergence).

    Returns:
        ``(low, high)``: the window, widened on a side where a start or a finite w of the paths
        lies beyond it or within ``EDGE`` of its edge, so that the farthest such point sits
        ``W_MARGIN`` of the plotted width inside. Points more than ``REACH`` window widths
        beyond the starts are left out: a diverging run flies off the chart instead of
        shrinking the curve to a line.
    """
    low, high = (float(v) for v in np.asarray(bounds_row, dtype=np.float64))
    w = np.asarray(path, dtype=np.float64)
    starts = w[:1][np.isfinite(w[:1])]
    lo, hi = float(np.min(starts, initial=low)), float(np.max(starts, initial=high))
    reach = REACH * (hi - lo)
    seen = w[np.isfinite(w) & (w >= lo - reach) & (w <= hi + reach)]
    p_lo, p_hi = float(np.min(seen, initial=np.inf)), float(np.max(seen, initial=-np.inf))
    edge = EDGE * (high - low)
    widen_low, widen_high = p_lo < low + edge, p_hi > high - edge
    span = max(high, p_hi) - min(low, p_lo)
    pad = W_MARGIN * span / (1 - W_MARGIN * (widen_low + widen_high))  # of the final width
    x0 = min(low, p_lo - pad) if widen_low else low
    x1 = max(high, p_hi + pad) if widen_high else high
    return x0, x1


def rolling_figure(
    surface: Landscape, traj: Trajectories, labels: Sequence[str], style: Style
) -> go.Figure:
    """Balls rolling on a 1-D loss curve, with the tangent line at each ball (slope f'(w)).

    The w axis is the surface's window widened to the start and the paths (``w_range``); the
    curve, the start picker and both axis ranges are fixed for every frame. Trace
    ``PICKER_TRACE`` is the start picker: a grid over the plot; a click picks its w.
    """
    rows = frame_rows(len(traj.steps), MAX_FRAMES)
    w = traj.params[rows][..., 0]  # (F, K)
    f = traj.loss[rows]
    slope = traj.grads[rows][..., 0]
    x0, x1 = w_range(surface.bounds[0], traj.params[..., 0])  # every recorded row, not frames
    with np.errstate(all="ignore"):
        curve = surface.value(np.linspace(x0, x1, 400)[:, None])
    y_low, y_high = float(np.nanmin(curve)), float(np.nanmax(curve))
    pad = 0.08 * (y_high - y_low)
    half = 0.12 * (x1 - x0)  # tangent segments span ±half around the ball
    y_range = (y_low - pad, y_high + pad)
    data: list[dict[str, Any]] = [
        curve_trace(surface, style, x_range=(x0, x1)),
        start_picker_trace(surface, y_range, x_range=(x0, x1)),
    ]
    if len(surface.minima):
        data.append(minima_trace(surface.minima, surface.minima_values, style, dim=1))
    moving: list[dict[str, Any]] = []
    for k, label in enumerate(labels):
        s = series_style(k)
        tangent_name = _("{run} tangent").format(run=label)
        moving.append(_state_trace(s.color, style, "dash", tangent_name))
        moving.append(_marker_trace(s, style.marker + 10, label))
    frames: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        frame_data: list[dict[str, Any]] = []
        for k in range(len(labels)):
            wk, fk, gk = w[i, k], f[i, k], slope[i, k]
            tangent = np.array([[wk - half, fk - gk * half], [wk + half, fk + gk * half]])
            frame_data += [_xy(tangent), _xy(np.array([[wk, fk]]))]
        frames.append(
            {
                "name": str(int(traj.steps[row])),
                "data": frame_data,
                "traces": list(range(len(data), len(data) + len(moving))),
            }
        )
    for trace, first in zip(moving, frames[0]["data"], strict=True):
        trace.update(first)
    layout = {
        "xaxis": {
            "range": [float(x0), float(x1)],
            "autorange": False,
            "title": {"text": _("weight w")},
        },
        "yaxis": {
            "range": list(y_range),
            "autorange": False,
            "title": {"text": _("loss f(w)")},
        },
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "margin": {"t": 90},
    }
    fig = {"data": data + moving, "layout": layout, "frames": frames}
    add_playback(fig, [int(traj.steps[r]) for r in rows], style)
    return finish(fig, style)
