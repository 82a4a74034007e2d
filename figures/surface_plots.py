"""Static layers of the surface lessons: the values of a 2-D surface on a grid, the curve of a
1-D one, their minima, and loss-over-steps curves.

Every function returns plain trace/figure dicts (fast to build, deterministic); ``finish``
turns a figure dict into a ``go.Figure``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from engine.surfaces import Surface
from figures.common import compact, finish
from figures.style import INK, Style, series_style

CONTOUR_RESOLUTION = 90


def surface_grid(surface: Surface, n: int = CONTOUR_RESOLUTION) -> tuple[Any, Any, Any, bool]:
    """Axes and values of ``surface`` over its bounds, and whether they are log-scaled.

    On a log colour scale the values are log₁₀(f − f_min + δ), δ a small fraction of the range,
    so the valleys of Rosenbrock or Goldstein–Price stay visible.
    """
    xs = np.linspace(*surface.bounds[0], n)
    ys = np.linspace(*surface.bounds[1], n)
    grid = np.stack(np.meshgrid(xs, ys, indexing="xy"), axis=-1)  # rows are y
    with np.errstate(all="ignore"):
        z = surface.value(grid)
        if surface.log_color:
            floor = min(float(np.nanmin(z)), *surface.minima_values.tolist())
            delta = 1e-4 * max(float(np.nanmax(z)) - floor, 1e-12)
            z = np.log10(z - floor + delta)
    return xs, ys, z, surface.log_color


def minima_trace(
    points: ArrayLike, values: ArrayLike, style: Style, dim: int = 2
) -> dict[str, Any]:
    """White stars with black edges at the known minima (visible on any colour)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, dim)
    x = pts[:, 0]
    y = pts[:, 1] if dim == 2 else np.asarray(values, dtype=np.float64)
    return {
        "type": "scatter",
        "mode": "markers",
        "x": compact(x),
        "y": compact(y),
        "marker": {
            "symbol": "star",
            "size": style.marker + 8,
            "color": "white",
            "line": {"color": INK, "width": 2},
        },
        "name": "minimum",
        "hovertemplate": "minimum (%{x:.4g}, %{y:.4g})<extra></extra>",
    }


def curve_trace(surface: Surface, style: Style, n: int = 400) -> dict[str, Any]:
    """The 1-D loss curve f(x) over the surface's bounds."""
    xs = np.linspace(*surface.bounds[0], n)
    return {
        "type": "scatter",
        "mode": "lines",
        "x": compact(xs),
        "y": compact(surface.value(xs[:, None])),
        "line": {"color": INK, "width": style.line},
        "name": "loss f(w)",
        "hoverinfo": "skip",
    }


def loss_figure(
    labels: Sequence[str],
    steps: ArrayLike,
    loss: ArrayLike,
    style: Style,
    *,
    floor: float | None,
    max_points: int = 400,
    title: str = "Loss over steps",
) -> go.Figure:
    """Loss curves of K runs (``loss (T, K)`` at ``steps (T,)``).

    With a known minimum value ``floor`` the y-axis shows loss − floor on a log scale (how many
    digits of the minimum each run has found); otherwise the loss itself, linearly.
    """
    steps_arr = np.asarray(steps)
    values = np.asarray(loss, dtype=np.float64)
    keep = np.unique(np.round(np.linspace(0, len(steps_arr) - 1, max_points)).astype(int))
    log = floor is not None
    with np.errstate(invalid="ignore"):
        shown = values[keep] - floor if log else values[keep]
        if log:
            shown = np.where(shown > 0, shown, np.nan)
    data = []
    for k, label in enumerate(labels):
        s = series_style(k)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": steps_arr[keep].tolist(),
                "y": compact(shown[:, k]),
                "name": label,
                "line": {"color": s.color, "dash": s.dash, "width": style.line},
            }
        )
    layout = {
        "title": {"text": title},
        "xaxis": {"title": {"text": "optimizer step"}},
        "yaxis": {
            "title": {"text": "loss − minimum (log scale)" if log else "loss"},
            "type": "log" if log else "linear",
            "exponentformat": "power",
        },
        "legend": {"orientation": "h", "y": -0.25},
    }
    return finish({"data": data, "layout": layout}, style.with_height(style.height - 80))
