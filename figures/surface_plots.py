"""Static layers of the surface lessons: the values of a 2-D surface on a grid, the curve of a
1-D one, their minima, and loss-over-steps curves.

Every function returns plain trace/figure dicts (fast to build, deterministic); ``finish``
turns a figure dict into a ``go.Figure``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike, NDArray

from figures.common import compact, finish, log_axis, typed_array
from figures.style import INK, Style, series_style
from i18n import _, number

CONTOUR_RESOLUTION = 90


class Landscape(Protocol):
    """What the figures read from a loss landscape: an analytic ``engine.surfaces.Surface``,
    or a data problem's full loss over its parameters (``engine.problems.DataProblem``)."""

    @property
    def name(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def bounds(self) -> NDArray[np.float64]: ...  # (dim, 2) plotting window
    @property
    def minima(self) -> NDArray[np.float64]: ...  # (m, dim)
    @property
    def minima_values(self) -> NDArray[np.float64]: ...  # (m,)
    @property
    def log_color(self) -> bool: ...
    def value(self, p: ArrayLike) -> NDArray[np.float64]: ...
    def __hash__(self) -> int: ...  # figures cache a landscape's image by the object


def landscape_name(surface: Landscape) -> str:
    """``surface``'s name in the current language: a registry's name is a catalogue text; a
    name that holds a number (the ill-conditioned valley's κ, ``Surface.name_template``) is
    translated as a template and the number written as the language writes it."""
    template = getattr(surface, "name_template", None)
    if template:
        values = getattr(surface, "name_values", {})
        return _(template).format(**{k: number(v, "g") for k, v in values.items()})
    return _(surface.name)


def axis_points(bounds_row: ArrayLike, n: int) -> NDArray[np.float64]:
    """``n`` evenly spaced values from low to high of one ``bounds`` row."""
    low, high = (float(v) for v in np.asarray(bounds_row, dtype=np.float64))
    return np.linspace(low, high, n)


PICKER_TRACE = 1  # index of the start picker in the race and rolling figures (see below)
PICKER_POINTS_2D = 41  # per axis: a start every 1/40 of the plot's width and height
PICKER_POINTS_1D = 161
PICKER_ROWS_1D = 16  # rows of the 1-D picker, up the loss axis (≤ 30 px apart on screen)
_SYMBOLS_3D = ("circle", "square", "diamond", "cross", "x", "circle-open", "square-open")


def value_floor(values: ArrayLike, minima_values: ArrayLike) -> float:
    """The lowest of ``values`` (NaN ignored) and of the known minimum values, if any.

    A surface may know no minimum (a saddle, a data problem without a closed form): then the
    floor is the lowest value seen.
    """
    floor = float(np.nanmin(np.asarray(values, dtype=np.float64)))
    known = np.asarray(minima_values, dtype=np.float64).ravel()
    return min(floor, float(known.min())) if known.size else floor


def surface_grid(surface: Landscape, n: int = CONTOUR_RESOLUTION) -> tuple[Any, Any, Any, bool]:
    """Axes and values of ``surface`` over its bounds, and whether they are log-scaled.

    On a log colour scale the values are log₁₀(f − f_min + δ), δ a small fraction of the range,
    so the valleys of Rosenbrock or Goldstein–Price stay visible.
    """
    xs = axis_points(surface.bounds[0], n)
    ys = axis_points(surface.bounds[1], n)
    grid = np.stack(np.meshgrid(xs, ys, indexing="xy"), axis=-1)  # rows are y
    with np.errstate(all="ignore"):
        z = surface.value(grid)
        if surface.log_color:
            floor = value_floor(z, surface.minima_values)
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
        "name": _("minimum"),
        "hovertemplate": _("minimum ({x}, {y})").format(x="%{x:.4g}", y="%{y:.4g}")
        + "<extra></extra>",
    }


def curve_trace(
    surface: Landscape,
    style: Style,
    n: int = 400,
    x_range: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """The 1-D loss curve f(x) over ``x_range`` (default: the surface's bounds)."""
    xs = axis_points(surface.bounds[0] if x_range is None else x_range, n)
    return {
        "type": "scatter",
        "mode": "lines",
        "x": typed_array(xs),
        "y": typed_array(surface.value(xs[:, None])),
        "line": {"color": INK, "width": style.line},
        "name": _("loss f(w)"),
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
    title: str | None = None,
) -> go.Figure:
    """Loss curves of K runs (``loss (T, K)`` at ``steps (T,)``), titled ``title`` (default
    "Loss over steps", in the current language).

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
                "x": typed_array(steps_arr[keep]),
                "y": typed_array(shown[:, k]),
                "name": label,
                "line": {"color": s.color, "dash": s.dash, "width": style.line},
            }
        )
    layout = {
        "title": {"text": _("Loss over steps") if title is None else title},
        "xaxis": {"title": {"text": _("optimizer step")}},
        "yaxis": {
            "title": {"text": _("loss − minimum (log scale)") if log else _("loss")},
            **(log_axis(shown) if log else {"type": "linear"}),
        },
        "legend": {"orientation": "h", "y": -0.25},
    }
    return finish({"data": data, "layout": layout}, style.with_height(style.height - 80))


def surface_3d_figure(
    surface: Landscape, params: ArrayLike, loss: ArrayLike, labels: Sequence[str], style: Style
) -> go.Figure:
    """A static 3-D view: the surface and every run's whole path lying on it.

    ``params (R, K, 2)`` and ``loss (R, K)`` are the recorded rows. Heights are log₁₀(f − f_min
    + δ) where the contour uses a log scale, so paths and surface share one transform; f_min is
    the lowest known minimum or, on a surface without one (a saddle), the lowest value drawn.

    Raises:
        ValueError: when ``surface`` is not 2-D.
    """
    if surface.dim != 2:
        raise ValueError(f"a 3-D view needs a 2-D surface; {surface.name} has dim {surface.dim}")
    n = 70
    xs = axis_points(surface.bounds[0], n)
    ys = axis_points(surface.bounds[1], n)
    grid = np.stack(np.meshgrid(xs, ys, indexing="xy"), axis=-1)
    with np.errstate(all="ignore"):
        z = surface.value(grid)
        floor = value_floor(z, surface.minima_values)
        delta = 1e-4 * max(float(np.nanmax(z)) - floor, 1e-12)

        def height(v: Any) -> Any:
            values = np.asarray(v, dtype=np.float64)
            return np.log10(values - floor + delta) if surface.log_color else values

        path_xy = np.asarray(params, dtype=np.float64)
        zs = height(z)
        lift = 0.02 * float(np.nanmax(zs) - np.nanmin(zs))  # paths float just above the surface
        path_z = height(loss) + lift
    keep = np.unique(np.round(np.linspace(0, len(path_xy) - 1, 300)).astype(int))
    data: list[dict[str, Any]] = [
        {"type": "surface", "x": compact(xs, 4), "y": compact(ys, 4),
         "z": [compact(row, 4) for row in zs], "colorscale": "Viridis", "showscale": False,
         "opacity": 0.75, "name": landscape_name(surface), "hoverinfo": "skip"},
    ]  # fmt: skip
    for k, label in enumerate(labels):
        s = series_style(k)
        inside = np.all(
            (path_xy[keep, k] >= surface.bounds[:, 0]) & (path_xy[keep, k] <= surface.bounds[:, 1]),
            axis=-1,
        )
        rows = keep[inside]
        data.append({
            "type": "scatter3d", "mode": "lines", "name": label,
            "x": compact(path_xy[rows, k, 0]), "y": compact(path_xy[rows, k, 1]),
            "z": compact(path_z[rows, k]),
            "line": {"color": s.color, "width": style.line * 3},
        })  # fmt: skip
        if len(rows):  # where the run ended: a marker in the run's colour and symbol family
            end = rows[-1]
            data.append({
                "type": "scatter3d", "mode": "markers", "showlegend": False,
                "name": _("{run} (end)").format(run=label), "x": compact(path_xy[[end], k, 0]),
                "y": compact(path_xy[[end], k, 1]), "z": compact(path_z[[end], k]),
                "marker": {"color": s.color, "size": style.marker * 0.7,
                           "symbol": _SYMBOLS_3D[k % len(_SYMBOLS_3D)],
                           "line": {"color": "white", "width": 2}},
            })  # fmt: skip
    axis = {"title": {"font": {"size": style.font}}, "tickfont": {"size": style.tick_font}}
    layout = {
        "scene": {
            "xaxis": {**axis, "title": {"text": "x", "font": {"size": style.font}}},
            "yaxis": {**axis, "title": {"text": "y", "font": {"size": style.font}}},
            "zaxis": {**axis, "title": {"text": _("log₁₀(loss − min)") if surface.log_color
                                        else _("loss"), "font": {"size": style.font}}},
            # From above and close, so the paths in the valleys show; z flattened.
            "camera": {"eye": {"x": -0.7, "y": -1.2, "z": 1.25},
                       "center": {"x": 0, "y": 0, "z": -0.2}},
            "aspectmode": "manual",
            "aspectratio": {"x": 1.0, "y": 1.0, "z": 0.6},
        },
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        "margin": {"l": 0, "r": 0, "t": 40, "b": 0},
        "height": style.height + 120,
    }  # fmt: skip
    return finish({"data": data, "layout": layout}, style)


def start_picker_trace(
    surface: Landscape,
    y_range: tuple[float, float] | None = None,
    x_range: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Invisible markers where a run could start: a grid over the plane of a 2-D surface, or,
    for a 1-D one, a grid over the plot (w across ``x_range``, default the bounds; ``y_range``
    of the loss axis up), so that a click anywhere picks the w under it.

    Clicking one selects it (the page then starts every run there), and hovering reads out the
    position and its loss — the banded image under a 2-D race has no hover of its own. The
    markers never change during the animation, so they live in ``data`` only, not in frames.
    """
    if surface.dim == 2:
        axes = [axis_points(surface.bounds[i], PICKER_POINTS_2D) for i in range(2)]
        grid = np.stack(np.meshgrid(*axes, indexing="xy"), axis=-1).reshape(-1, 2)
        x, y = grid[:, 0], grid[:, 1]
        with np.errstate(all="ignore"):
            loss = surface.value(grid)
        extra = {
            "customdata": typed_array(loss),
            "hovertemplate": _("click to start here: ({x}, {y})").format(x="%{x:.3g}",
                                                                        y="%{y:.3g}")
            + "<br>" + _("loss {loss}").format(loss="%{customdata:.4g}") + "<extra></extra>",
        }  # fmt: skip
        size = 18
    else:
        w = axis_points(surface.bounds[0] if x_range is None else x_range, PICKER_POINTS_1D)
        with np.errstate(all="ignore"):
            loss = surface.value(w[:, None])
        low, high = y_range if y_range is not None else (float(loss.min()), float(loss.max()))
        rows = np.linspace(low, high, PICKER_ROWS_1D)
        x, y = np.tile(w, len(rows)), np.repeat(rows, len(w))
        extra = {"customdata": typed_array(np.tile(loss, len(rows))),
                 "hovertemplate": _("click to start here: w = {w}").format(w="%{x:.3g}")
                 + "<br>" + _("loss f(w) = {loss}").format(loss="%{customdata:.4g}")
                 + "<extra></extra>"}  # fmt: skip
        size = 14
    hidden = {"marker": {"opacity": 0}}
    return {
        "type": "scatter",
        "mode": "markers",
        "x": typed_array(x),
        "y": typed_array(y),
        "marker": {"size": size, "opacity": 0, "color": INK},
        "selected": hidden,
        "unselected": hidden,
        "name": _("start picker"),
        "showlegend": False,
        **extra,
    }
