"""The backprop lesson's two small charts: the finite-difference V, and one step's loss per lr.

* ``fd_figure(errors, h, style)`` — |finite-difference slope − backprop gradient| against h on
  log–log axes, one-sided and central: truncation error falls with h, rounding error rises as
  h shrinks, so each curve is a V with its best h marked (a star); the page's h is a dotted
  line. An error of exactly 0 (a slope that happens to be exact) cannot sit on a log axis: it is
  left out, and the legend counts such points.
* ``lr_figure(lrs, losses, lr, before, style)`` — the batch loss after one step
  θ − lr·∂L/∂θ against lr (log x), the loss before the step as a dashed line, the page's lr as a
  dotted line: too small barely moves, too large overshoots and the loss climbs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from engine.backprop_batch import FDErrors
from figures.common import compact, finish, log_axis
from figures.style import INK, Style, series_style
from i18n import _, ngettext, number


def _positive(values: ArrayLike) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(arr) & (arr > 0), arr, np.nan)


def _marker_line(x: float, style: Style) -> dict[str, Any]:
    return {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": INK, "width": style.line * 0.6, "dash": "dot"}}  # fmt: skip


def fd_figure(errors: FDErrors, h: float, style: Style) -> go.Figure:
    """The V of finite differences for one parameter (see the module docstring)."""
    data: list[dict[str, Any]] = []
    curves = (
        (_("One-sided (L(w+h) − L(w)) / h"), _("One-sided"), errors.forward_error,
         errors.best_forward),
        (_("Central (L(w+h) − L(w−h)) / 2h"), _("Central"), errors.central_error,
         errors.best_central),
    )  # fmt: skip
    shown = []
    for i, (name, short, err, best) in enumerate(curves):
        s = series_style(i)
        y = _positive(err)
        exact = int(np.sum(np.asarray(err) == 0))
        label = name
        if exact:
            label = ngettext("{curve} — exact at {n} h", "{curve} — exact at {n} h",
                             exact).format(curve=name, n=exact)  # fmt: skip
        hover = _("h = %{x:.1e}<br>error = %{y:.2e}")
        data.append({"type": "scatter", "mode": "lines+markers", "name": label,
                     "x": compact(errors.hs), "y": compact(y),
                     "line": {"color": s.color, "dash": s.dash, "width": style.line},
                     "marker": {"symbol": s.symbol, "size": style.marker * 0.7, "color": s.color},
                     "hovertemplate": f"{hover}<extra>{short}</extra>"})  # fmt: skip
        at = int(np.argmin(np.abs(errors.hs - best)))
        if math.isfinite(float(y[at])):
            data.append({"type": "scatter", "mode": "markers+text", "showlegend": False,
                         "x": [best], "y": [float(y[at])],
                         "text": [_("best h ≈ {h}").format(h=number(best, ".0e"))],
                         "textposition": "bottom center",
                         "textfont": {"size": style.font, "color": s.color},
                         "marker": {"symbol": "star", "size": style.marker * 2.0,
                                    "color": s.color, "line": {"color": INK, "width": 1}},
                         "hoverinfo": "skip"})  # fmt: skip
        shown.append(y)
    layout = {
        "xaxis": {"title": {"text": _("nudge h")}, **log_axis(errors.hs)},
        "yaxis": {"title": {"text": _("|slope − backprop gradient|")}, **log_axis(*shown)},
        "shapes": [_marker_line(h, style)],
        "legend": {"orientation": "h", "x": 0.0, "y": 1.02, "yanchor": "bottom"},
        "margin": {"l": 80, "r": 30, "t": 90, "b": 60},
    }
    return finish({"data": data, "layout": layout}, style)


def lr_figure(
    lrs: ArrayLike, losses: ArrayLike, lr: float, before: float, style: Style
) -> go.Figure:
    """The loss after one step against the learning rate (see the module docstring)."""
    rates = np.asarray(lrs, dtype=np.float64)
    after = np.asarray(losses, dtype=np.float64)
    s = series_style(0)
    shown = np.where(np.isfinite(after), after, np.nan)
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": _("after one step"),
         "x": compact(rates), "y": compact(shown),
         "line": {"color": s.color, "width": style.line},
         "marker": {"symbol": s.symbol, "size": style.marker * 0.6, "color": s.color},
         "hovertemplate": _("lr = %{x:.3g}<br>loss after = %{y:.4g}") + "<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": _("before the step"),
         "x": [float(rates[0]), float(rates[-1])], "y": [before, before],
         "line": {"color": INK, "width": style.line * 0.7, "dash": "dash"},
         "hoverinfo": "skip"},
    ]  # fmt: skip
    finite = shown[np.isfinite(shown)]
    y_axis: dict[str, Any] = {"title": {"text": _("batch loss")}}
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 50:
        y_axis |= log_axis(finite, [before])
    layout = {
        "xaxis": {"title": {"text": _("learning rate")}, **log_axis(rates)},
        "yaxis": y_axis,
        "shapes": [_marker_line(lr, style)],
        "legend": {"orientation": "h", "x": 0.0, "y": 1.02, "yanchor": "bottom"},
        "margin": {"l": 80, "r": 30, "t": 70, "b": 60},
    }
    return finish({"data": data, "layout": layout}, style)
