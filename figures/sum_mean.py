"""Figures of the "Sum or mean?" lesson: the batch-size × learning-rate map with the theory on
top, the gradient-noise cloud, the L2 norms, and loss curves against steps, epochs or examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from figures.common import compact, finish, log_axis, typed_array
from figures.style import INK, Style, series_style

REDUCTIONS = ("mean", "sum")


def lr_map_figure(
    batch_sizes: ArrayLike,
    lrs: ArrayLike,
    final_loss: ArrayLike,
    best_lr: ArrayLike,
    optimum: ArrayLike,
    wall: ArrayLike,
    loss_floor: float,
    style: Style,
) -> go.Figure:
    """Two panels (mean | sum): each cell a (batch size, lr) run coloured by its final loss above
    the minimum (log scale), crosses where it diverged; lines for the measured best lr, the
    theory's best lr ε_opt(B) and the stability wall."""
    sizes = np.asarray(batch_sizes, dtype=np.float64)
    grid_lrs = np.asarray(lrs, dtype=np.float64)
    loss = np.asarray(final_loss, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = np.log10(np.maximum(loss - loss_floor, 1e-12))
    finite = excess[np.isfinite(excess)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    data: list[dict[str, Any]] = []
    for panel, reduction in enumerate(REDUCTIONS):
        axes = {"xaxis": f"x{panel + 1}", "yaxis": f"y{panel + 1}"}
        bb, ll = np.meshgrid(sizes, grid_lrs[panel], indexing="ij")
        ok = np.isfinite(excess[panel])
        data.append({
            "type": "scatter", "mode": "markers", **axes,
            "x": compact(bb[ok]), "y": compact(ll[ok]),
            "marker": {"symbol": "square", "size": style.marker + 6,
                       "color": compact(excess[panel][ok]), "cmin": low, "cmax": high,
                       "colorscale": "Viridis", "showscale": panel == 1,
                       "colorbar": {"title": {"text": "log₁₀(final loss − min)"},
                                    "tickfont": {"size": style.tick_font}}},
            "name": f"{reduction}: final loss", "showlegend": False,
            "hovertemplate": "B=%{x}, lr=%{y:.3g}<extra></extra>",
        })  # fmt: skip
        data.append({
            "type": "scatter", "mode": "markers", **axes,
            "x": compact(bb[~ok]), "y": compact(ll[~ok]),
            "marker": {"symbol": "x-thin", "size": style.marker, "color": INK,
                       "line": {"width": 2, "color": INK}},
            "name": "diverged", "showlegend": panel == 0,
        })  # fmt: skip
        # Goyal et al.'s linear scaling from the measured best lr at B = 1 (mean only).
        best = np.asarray(best_lr, dtype=np.float64)
        scaling = best[0, 0] * sizes
        scaling = np.where(scaling <= 1.5 * grid_lrs[0].max(), scaling, np.nan)  # stay on the map
        lines = [(best_lr, "measured best lr", "solid"), (optimum, "theory: ε_opt(B)", "dash"),
                 (wall, "stability wall", "dot")]  # fmt: skip
        if panel == 0:
            lines.append((np.stack([scaling, scaling]), "linear scaling γ₁·B", "dashdot"))
        for i, (values, name, dash) in enumerate(lines):
            s = series_style(i + 1)
            data.append({
                "type": "scatter", "mode": "lines+markers", **axes,
                "x": compact(sizes), "y": compact(np.asarray(values)[panel]),
                "line": {"color": s.color, "width": style.line, "dash": dash},
                "marker": {"symbol": s.symbol, "size": style.marker},
                "name": name, "showlegend": panel == 0,
            })  # fmt: skip
    # Decades only on the log axes: the 2s and 5s between them crowd a projected chart.
    axis_common = {"type": "log", "title": {"text": "batch size B"}, "dtick": 1}
    y_common = {"type": "log", "exponentformat": "power", "dtick": 1}
    layout = {
        "title": {"text": "Loss after 150 steps, averaged (left) vs summed (right)"},
        "xaxis": {**axis_common, "domain": [0.0, 0.42]},
        "xaxis2": {**axis_common, "domain": [0.56, 0.98]},
        "yaxis": {**y_common, "title": {"text": "learning rate"}},
        "yaxis2": {**y_common, "anchor": "x2"},
        "legend": {"orientation": "h", "y": -0.22},
        "annotations": [
            {"text": "<b>mean</b>", "xref": "paper", "yref": "paper", "x": 0.21, "y": 1.0,
             "showarrow": False, "yanchor": "bottom", "font": {"size": style.font}},
            {"text": "<b>sum</b>", "xref": "paper", "yref": "paper", "x": 0.77, "y": 1.0,
             "showarrow": False, "yanchor": "bottom", "font": {"size": style.font}},
        ],
    }  # fmt: skip
    return finish({"data": data, "layout": layout}, style)


def ellipse(center: ArrayLike, covariance: ArrayLike, n_sigma: float = 2.0) -> np.ndarray:
    """Points ``(65, 2)`` of the n-σ ellipse of a 2-D Gaussian."""
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=np.float64))
    t = np.linspace(0, 2 * np.pi, 65)
    circle = np.stack([np.cos(t), np.sin(t)], axis=-1)
    return np.asarray(center) + n_sigma * (circle * np.sqrt(np.maximum(values, 0))) @ vectors.T


def noise_cloud_figure(clouds: Sequence[Any], titles: Sequence[str], style: Style) -> go.Figure:
    """Side-by-side panels in gradient space: sampled mini-batch gradients, the full gradient
    (arrow from 0) and the 2σ covariance ellipse of the mini-batch gradient."""
    data: list[dict[str, Any]] = []
    annotations = []
    extent = max(
        float(np.nanmax(np.abs(np.concatenate([c.samples, c.full_grad[None]])))) for c in clouds
    )
    for panel, (cloud, title) in enumerate(zip(clouds, titles, strict=True)):
        axes = {"xaxis": f"x{panel + 1}", "yaxis": f"y{panel + 1}"}
        s = series_style(panel)
        ring = ellipse(cloud.full_grad, cloud.covariance)
        data += [
            {"type": "scatter", "mode": "markers", **axes, "x": compact(cloud.samples[:, 0], 4),
             "y": compact(cloud.samples[:, 1], 4), "name": "mini-batch gradients",
             "marker": {"size": 5, "color": s.color, "opacity": 0.45, "symbol": s.symbol},
             "showlegend": panel == 0},
            {"type": "scatter", "mode": "lines", **axes, "x": compact(ring[:, 0]),
             "y": compact(ring[:, 1]), "name": "2σ ellipse (exact)",
             "line": {"color": INK, "width": style.line}, "showlegend": panel == 0},
            {"type": "scatter", "mode": "lines+markers", **axes,
             "x": [0.0, float(cloud.full_grad[0])], "y": [0.0, float(cloud.full_grad[1])],
             "name": "full gradient",
             "line": {"color": "#D55E00", "width": style.line + 1},
             "marker": {"symbol": ["circle", "arrow"], "angleref": "previous",
                        "size": style.marker + 4, "color": "#D55E00"},
             "showlegend": panel == 0},
        ]  # fmt: skip
        annotations.append({"text": f"<b>{title}</b>", "xref": "paper", "yref": "paper",
                            "x": 0.22 + 0.54 * panel, "y": 1.0, "yanchor": "bottom",
                            "showarrow": False, "font": {"size": style.font}})  # fmt: skip
    span = [-1.1 * extent, 1.1 * extent]
    layout = {
        "xaxis": {"domain": [0.0, 0.44], "range": span, "title": {"text": "∂L/∂θ₁"}},
        "yaxis": {"range": span, "title": {"text": "∂L/∂θ₂"}, "scaleanchor": "x"},
        "xaxis2": {"domain": [0.54, 0.98], "range": span, "title": {"text": "∂L/∂θ₁"}},
        "yaxis2": {"range": span, "anchor": "x2", "scaleanchor": "x2"},
        "annotations": annotations,
        "legend": {"orientation": "h", "y": -0.25},
    }
    return finish({"data": data, "layout": layout}, style)


def norm_figure(batch_sizes: ArrayLike, norms: ArrayLike, l2: float, style: Style) -> go.Figure:
    """Weight norm at equilibrium against the batch size with coupled L2, mean vs sum."""
    data = []
    for i, reduction in enumerate(REDUCTIONS):
        s = series_style(i)
        data.append({
            "type": "scatter", "mode": "lines+markers", "x": compact(batch_sizes),
            "y": compact(np.asarray(norms)[i]), "name": reduction,
            "line": {"color": s.color, "dash": s.dash, "width": style.line},
            "marker": {"symbol": s.symbol, "size": style.marker},
        })  # fmt: skip
    layout = {
        "title": {"text": f"‖θ‖ at equilibrium, with L2 λ = {l2:g} added once per batch"},
        "xaxis": {**log_axis(batch_sizes), "title": {"text": "batch size B"}},
        "yaxis": {"title": {"text": "‖θ‖, averaged over the run's second half"}},
    }
    return finish({"data": data, "layout": layout}, style.with_height(style.height - 100))


def curves_figure(
    x: ArrayLike, loss: ArrayLike, labels: Sequence[str], x_title: str, floor: float,
    style: Style,
) -> go.Figure:  # fmt: skip
    """Full-data loss above its minimum (log) of K runs ``loss (T+1, K)`` against x — steps,
    epochs or examples seen — shared ``(T+1,)`` or per run ``(T+1, K)``. Each run is drawn up
    to its last finite value with at most 400 points (a run may end long before another)."""
    values = np.asarray(loss, dtype=np.float64) - floor
    xs = np.asarray(x, dtype=np.float64)
    xs = np.repeat(xs[:, None], values.shape[1], axis=1) if xs.ndim == 1 else xs
    data, shown = [], []
    for k, label in enumerate(labels):
        s = series_style(k)
        finite = np.flatnonzero(np.isfinite(values[:, k]))
        last = int(finite[-1]) if finite.size else 0
        keep = np.unique(np.round(np.linspace(0, last, 400)).astype(int))
        with np.errstate(invalid="ignore"):
            y = np.where(values[keep, k] > 0, values[keep, k], np.nan)
        shown.append(y)
        data.append({"type": "scatter", "mode": "lines", "x": typed_array(xs[keep, k]),
                     "y": typed_array(y), "name": label,
                     "line": {"color": s.color, "dash": s.dash, "width": style.line}})  # fmt: skip
    layout = {
        "title": {"text": "Full-data loss above its minimum"},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {**log_axis(*shown), "title": {"text": "loss − minimum"}},
        "legend": {"orientation": "h", "y": -0.25},
    }
    return finish({"data": data, "layout": layout}, style.with_height(style.height - 80))


def noise_scale_figure(
    steps: ArrayLike, b_simple: ArrayLike, batch: int, style: Style
) -> go.Figure:
    """B_simple = tr Σ / |G|² along a run (log scale), with the batch size in use for scale."""
    xs = compact(steps)
    data = [
        {"type": "scatter", "mode": "lines+markers", "x": xs, "y": compact(b_simple),
         "name": "B_simple along run A", "line": {"color": "#0072B2", "width": style.line},
         "marker": {"size": max(4, style.marker - 4)}},
        {"type": "scatter", "mode": "lines", "x": [xs[0], xs[-1]], "y": [batch, batch],
         "name": f"your batch size ({batch})",
         "line": {"color": "#D55E00", "width": style.line, "dash": "dash"}},
    ]  # fmt: skip
    layout = {
        "title": {"text": "The noise scale grows as the loss falls"},
        "xaxis": {"title": {"text": "optimizer step"}},
        "yaxis": {**log_axis(b_simple, [batch]), "title": {"text": "B_simple"}},
        "legend": {"orientation": "h", "y": -0.3},
    }
    return finish({"data": data, "layout": layout}, style.with_height(style.height - 140))
