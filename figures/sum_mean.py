"""Figures of the "Sum or mean?" lesson: the batch-size × learning-rate map with the theory on
top, the gradient-noise cloud, the L2 norms, and loss curves against steps, epochs or examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from figures.common import compact, finish, log_axis, panel_axes, typed_array
from figures.style import INK, OKABE_ITO, Style, series_style
from i18n import N_, _, number

REDUCTIONS = ("mean", "sum")
# What a legend, a panel and a marker call each reduction (translated where drawn).
REDUCTION_NAMES = {"mean": N_("mean"), "sum": N_("sum")}
# The full gradient is neither run: its own Okabe–Ito colour (runs A and B take the first two),
# its own dash and a diamond at its foot, so it does not depend on colour either.
FULL_GRADIENT = {"color": OKABE_ITO[2], "dash": "longdash", "symbol": "diamond"}
# Plotly's default SI suffixes write 6e11 as "600B" — B for billion, on a page about batch
# size B. Powers of ten instead.
NO_SI = {"exponentformat": "power"}


def lr_map_figure(
    batch_sizes: ArrayLike,
    lrs: ArrayLike,
    final_loss: ArrayLike,
    best_lr: ArrayLike,
    optimum: ArrayLike,
    wall: ArrayLike,
    loss_floor: float | None,
    style: Style,
    *,
    momentum: float = 0.0,
    current: Sequence[tuple[int, float, str]] | None = None,
) -> go.Figure:
    """Two panels (mean | sum): each cell a (batch size, lr) run of SGD with momentum μ coloured
    by its final loss above the minimum (log scale; the loss itself when ``loss_floor`` is None),
    crosses where it diverged; lines for the measured best lr, the one-step optimum at the
    start (``optimum``) and the full-batch stability wall (``wall``), each named for what it is.

    ``current``: ``(batch size, lr, reduction)`` of runs A and B, marked in their run's symbol
    and colour on the panel of their reduction (at the map's edge, pointing out, when their lr
    is off the map)."""
    sizes = np.asarray(batch_sizes, dtype=np.float64)
    grid_lrs = np.asarray(lrs, dtype=np.float64)
    loss = np.asarray(final_loss, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if loss_floor is None:  # no minimum to subtract: the loss itself
            excess = np.log10(np.maximum(loss, 1e-300))
        else:
            excess = np.log10(np.maximum(loss - loss_floor, 1e-12))
    colour_title = (
        _("log₁₀(final loss − min)") if loss_floor is not None else _("log₁₀(final loss)")
    )
    mu = number(momentum, "g")
    best_name, scaling_name = _("measured best lr"), _("linear scaling γ₁·B")
    wall_name = _("full-batch stability wall")
    if momentum:
        optimum_name = _("theory: one-step optimum at the start × (1 − μ)")
        optimum_hover = _(
            "ε_opt(B) = ε_max / (1 + (B_noise/B)·(N − B)/(N − 1)): the best single step at the "
            "start point; a whole run's best lr differs (B_noise grows as the loss falls); "
            "× (1 − μ) = {factor}: the effective lr γ/(1 − μ) equals it"
        ).format(factor=number(1 - momentum, ".3g"))
        wall_hover = _(
            "(2 + 2μ)/λmax, μ = {momentum}, of the full-batch curvature at the start; ÷ B under "
            "sum. With mini-batches the real wall moves (measured on the linear regression: "
            "0.9–0.97× of it at B = 1, 1.05× at B = 4)"
        ).format(momentum=mu)
    else:
        optimum_name = _("theory: one-step optimum at the start")
        optimum_hover = _(
            "ε_opt(B) = ε_max / (1 + (B_noise/B)·(N − B)/(N − 1)): the best single step at the "
            "start point; a whole run's best lr differs (B_noise grows as the loss falls)"
        )
        wall_hover = _(
            "2/λmax of the full-batch curvature at the start; ÷ B under sum. With mini-batches "
            "the real wall moves (measured on the linear regression: 0.9–0.97× of it at B = 1, "
            "1.05× at B = 4)"
        )
    hovers = {
        best_name: _("the lr of the lowest final loss in this column"),
        optimum_name: optimum_hover,
        wall_name: wall_hover,
        scaling_name: _("Goyal et al.: the measured best lr at B = 1, times B"),
    }
    finite = excess[np.isfinite(excess)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    data: list[dict[str, Any]] = []
    for panel, reduction in enumerate(REDUCTIONS):
        axes = panel_axes(panel + 1)
        bb, ll = np.meshgrid(sizes, grid_lrs[panel], indexing="ij")
        ok = np.isfinite(excess[panel])
        data.append({
            "type": "scatter", "mode": "markers", **axes,
            "x": compact(bb[ok]), "y": compact(ll[ok]),
            "marker": {"symbol": "square", "size": style.marker + 6,
                       "color": compact(excess[panel][ok]), "cmin": low, "cmax": high,
                       "colorscale": "Viridis", "showscale": panel == 1,
                       "colorbar": {"title": {"text": colour_title},
                                    "tickfont": {"size": style.tick_font}}},
            "name": _("{reduction}: final loss").format(reduction=_(REDUCTION_NAMES[reduction])),
            "showlegend": False,
            "hovertemplate": "B=%{x}, lr=%{y:.3g}<extra></extra>",
        })  # fmt: skip
        data.append({
            "type": "scatter", "mode": "markers", **axes,
            "x": compact(bb[~ok]), "y": compact(ll[~ok]),
            "marker": {"symbol": "x-thin", "size": style.marker, "color": INK,
                       "line": {"width": 2, "color": INK}},
            "name": _("diverged"), "showlegend": panel == 0,
        })  # fmt: skip
        # Goyal et al.'s linear scaling from the measured best lr at B = 1 (mean only).
        best = np.asarray(best_lr, dtype=np.float64)
        scaling = best[0, 0] * sizes
        scaling = np.where(scaling <= 1.5 * grid_lrs[0].max(), scaling, np.nan)  # stay on the map
        lines = [(best_lr, best_name, "solid"), (optimum, optimum_name, "dash"),
                 (wall, wall_name, "dot")]  # fmt: skip
        if panel == 0:
            lines.append((np.stack([scaling, scaling]), scaling_name, "dashdot"))
        for i, (values, name, dash) in enumerate(lines):
            s = series_style(i + 1)
            data.append({
                "type": "scatter", "mode": "lines+markers", **axes,
                "x": compact(sizes), "y": compact(np.asarray(values)[panel]),
                "line": {"color": s.color, "width": style.line, "dash": dash},
                "marker": {"symbol": s.symbol, "size": style.marker},
                "name": name, "showlegend": panel == 0,
                "hovertemplate": f"B=%{{x}}: lr %{{y:.3g}}<br>{hovers[name]}<extra>{name}</extra>",
            })  # fmt: skip
    data += _current_markers(current or (), grid_lrs, style)
    # Decades only on the log axes: the 2s and 5s between them crowd a projected chart.
    axis_common = {"type": "log", "title": {"text": _("batch size B")}, "dtick": 1}
    y_common = {"type": "log", "exponentformat": "power", "dtick": 1}
    if momentum:
        title = _("Loss after {steps} steps of SGD, momentum {momentum}, averaged (left) vs "
                  "summed (right)").format(steps=150, momentum=mu)  # fmt: skip
    else:
        title = _("Loss after {steps} steps of SGD, averaged (left) vs summed (right)").format(
            steps=150
        )
    layout = {
        "title": {"text": title},
        "xaxis": {**axis_common, "domain": [0.0, 0.42]},
        "xaxis2": {**axis_common, "domain": [0.56, 0.98]},
        "yaxis": {**y_common, "title": {"text": _("learning rate")}},
        "yaxis2": {**y_common, "anchor": "x2"},
        "legend": {"orientation": "h", "y": -0.22},
        "annotations": [
            {"text": f"<b>{_(REDUCTION_NAMES['mean'])}</b>", "xref": "paper", "yref": "paper",
             "x": 0.21, "y": 1.0, "showarrow": False, "yanchor": "bottom",
             "font": {"size": style.font}},
            {"text": f"<b>{_(REDUCTION_NAMES['sum'])}</b>", "xref": "paper", "yref": "paper",
             "x": 0.77, "y": 1.0, "showarrow": False, "yanchor": "bottom",
             "font": {"size": style.font}},
        ],
    }  # fmt: skip
    return finish({"data": data, "layout": layout}, style)


def _current_markers(
    current: Sequence[tuple[int, float, str]], grid_lrs: np.ndarray, style: Style
) -> list[dict[str, Any]]:
    """Runs A and B as big markers on their reduction's panel; an lr off the map sits at its
    edge as a triangle pointing the way out."""
    data = []
    for k, (batch, lr, reduction) in enumerate(current):
        panel = REDUCTIONS.index(reduction)
        low, high = float(grid_lrs[panel].min()) / 1.3, float(grid_lrs[panel].max()) * 1.3
        s = series_style(k)
        values = {"run": "AB"[k], "batch": batch, "lr": number(lr, ".3g"),
                  "reduction": _(REDUCTION_NAMES[reduction])}  # fmt: skip
        if low <= lr <= high:
            symbol = s.symbol
            name = _("run {run}: B = {batch}, lr {lr} ({reduction})").format(**values)
        else:
            symbol = "triangle-up" if lr > high else "triangle-down"
            name = _("run {run}: B = {batch}, lr {lr} ({reduction}) — off the map").format(**values)
        data.append({
            "type": "scatter", "mode": "markers", **panel_axes(panel + 1),
            "x": [float(batch)], "y": [min(max(lr, low), high)],
            "marker": {"symbol": symbol, "size": style.marker + 8, "color": s.color,
                       "line": {"color": "white", "width": 2}},
            "name": name, "hovertemplate": f"{name}<extra></extra>",
        })  # fmt: skip
    return data


def ellipse(center: ArrayLike, covariance: ArrayLike, n_sigma: float = 2.0) -> np.ndarray:
    """Points ``(65, 2)`` of the n-σ ellipse of a 2-D Gaussian."""
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=np.float64))
    t = np.linspace(0, 2 * np.pi, 65)
    circle = np.stack([np.cos(t), np.sin(t)], axis=-1)
    return np.asarray(center) + n_sigma * (circle * np.sqrt(np.maximum(values, 0))) @ vectors.T


def _square_range(points: np.ndarray) -> tuple[list[float], list[float]]:
    """x and y ranges of equal length around the finite ``points (n, 2)``, 10 % padded."""
    finite = points[np.all(np.isfinite(points), axis=-1)]
    if len(finite) == 0:
        return [-1.0, 1.0], [-1.0, 1.0]
    low, high = finite.min(axis=0), finite.max(axis=0)
    centre = (low + high) / 2
    half = 0.55 * max(float(np.max(high - low)), 1e-12 * max(1.0, float(np.abs(centre).max())))
    return [float(centre[0] - half), float(centre[0] + half)], [
        float(centre[1] - half), float(centre[1] + half)]  # fmt: skip


def noise_cloud_figure(clouds: Sequence[Any], titles: Sequence[str], style: Style) -> go.Figure:
    """Side-by-side panels in gradient space: sampled mini-batch gradients, the full gradient
    (arrow from 0, in a colour and dash of its own) and the 2σ covariance ellipse of the
    mini-batch gradient. Each panel has its own scale, fitted to its cloud and its arrow — the
    tick labels say how the two compare."""
    data: list[dict[str, Any]] = []
    annotations = []
    ranges = []
    for panel, (cloud, title) in enumerate(zip(clouds, titles, strict=True)):
        axes = panel_axes(panel + 1)
        s = series_style(panel)
        ring = ellipse(cloud.full_grad, cloud.covariance)
        ranges.append(_square_range(np.concatenate([cloud.samples, ring, np.zeros((1, 2)),
                                                    cloud.full_grad[None]])))  # fmt: skip
        spread = float(np.sqrt(max(np.trace(cloud.covariance), 0.0)))
        data += [
            {"type": "scatter", "mode": "markers", **axes, "x": compact(cloud.samples[:, 0], 4),
             "y": compact(cloud.samples[:, 1], 4), "name": _("mini-batch gradients"),
             "marker": {"size": 5, "color": s.color, "opacity": 0.45, "symbol": s.symbol},
             "showlegend": panel == 0},
            {"type": "scatter", "mode": "lines", **axes, "x": compact(ring[:, 0]),
             "y": compact(ring[:, 1]), "name": _("2σ ellipse (exact)"),
             "line": {"color": INK, "width": style.line}, "showlegend": panel == 0,
             "hovertemplate": _("2σ ellipse: √tr Σ_B = {spread}").format(
                 spread=number(spread, ".3g")) + "<extra></extra>"},
            {"type": "scatter", "mode": "lines+markers", **axes,
             "x": [0.0, float(cloud.full_grad[0])], "y": [0.0, float(cloud.full_grad[1])],
             "name": _("full gradient"),
             "line": {"color": FULL_GRADIENT["color"], "width": style.line + 1,
                      "dash": FULL_GRADIENT["dash"]},
             "marker": {"symbol": [FULL_GRADIENT["symbol"], "arrow"], "angleref": "previous",
                        "size": style.marker + 4, "color": FULL_GRADIENT["color"]},
             "showlegend": panel == 0},
        ]  # fmt: skip
        annotations.append({"text": f"<b>{title}</b>", "xref": "paper", "yref": "paper",
                            "x": 0.22 + 0.54 * panel, "y": 1.0, "yanchor": "bottom",
                            "showarrow": False, "font": {"size": style.font}})  # fmt: skip
    (x1, y1), (x2, y2) = ranges
    layout = {
        "xaxis": {"domain": [0.0, 0.44], "range": x1, "title": {"text": "∂L/∂θ₁"}, **NO_SI},
        "yaxis": {"range": y1, "title": {"text": "∂L/∂θ₂"}, "scaleanchor": "x", **NO_SI},
        "xaxis2": {"domain": [0.54, 0.98], "range": x2, "title": {"text": "∂L/∂θ₁"}, **NO_SI},
        "yaxis2": {"range": y2, "anchor": "x2", "scaleanchor": "x2", **NO_SI},
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
            "y": compact(np.asarray(norms)[i]), "name": _(REDUCTION_NAMES[reduction]),
            "line": {"color": s.color, "dash": s.dash, "width": style.line},
            "marker": {"symbol": s.symbol, "size": style.marker},
        })  # fmt: skip
    layout = {
        "title": {
            "text": _("‖θ‖ at equilibrium, with L2 λ = {l2} added once per batch").format(
                l2=number(l2, "g")
            )
        },
        "xaxis": {**log_axis(batch_sizes), "title": {"text": _("batch size B")}},
        "yaxis": {"title": {"text": _("‖θ‖, averaged over the run's second half")}},
    }
    return finish({"data": data, "layout": layout}, style.with_height(style.height - 100))


def curves_figure(
    x: ArrayLike, loss: ArrayLike, labels: Sequence[str], x_title: str, floor: float | None,
    style: Style,
) -> go.Figure:  # fmt: skip
    """Full-data loss above its minimum (log) of K runs ``loss (T+1, K)`` against x — steps,
    epochs or examples seen — shared ``(T+1,)`` or per run ``(T+1, K)``. Each run is drawn up
    to its last finite value with at most 400 points (a run may end long before another).
    ``floor`` None (a problem without a minimum): the loss itself, and the titles say so."""
    values = np.asarray(loss, dtype=np.float64) - (0.0 if floor is None else floor)
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
    title, y_title = _("Full-data loss above its minimum"), _("loss − minimum")
    if floor is None:
        title = _("Full-data loss (this loss has no minimum: it falls for ever)")
        y_title = _("loss")
    layout = {
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {**log_axis(*shown), "title": {"text": y_title}},
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
         "name": _("B_simple along run A"), "line": {"color": "#0072B2", "width": style.line},
         "marker": {"size": max(4, style.marker - 4)}},
        {"type": "scatter", "mode": "lines", "x": [xs[0], xs[-1]], "y": [batch, batch],
         "name": _("your batch size ({batch})").format(batch=batch),
         "line": {"color": "#D55E00", "width": style.line, "dash": "dash"}},
    ]  # fmt: skip
    layout = {
        "title": {"text": _("The noise scale grows as the loss falls")},
        "xaxis": {"title": {"text": _("optimizer step")}},
        # A symbol, but a word to the pseudo-language check: through the catalogue like any text.
        "yaxis": {**log_axis(b_simple, [batch]), "title": {"text": _("B_simple")}},
        "legend": {"orientation": "h", "y": -0.3},
    }
    return finish({"data": data, "layout": layout}, style.with_height(style.height - 140))
