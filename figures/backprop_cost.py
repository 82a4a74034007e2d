"""The "What it costs" chart of the Backpropagation lesson.

``cost_figure(costs, style)`` — seconds per gradient against the number of parameters P, both
axes logarithmic: finite differences (2P forward passes, a line of slope ≈ 1–2) against
backpropagation (one forward and one backward pass, slope ≤ 1), from an
``engine.gradient_cost.GradientCosts``. Filled markers were measured, open ones are finite
differences estimated as 2P × a measured forward pass (the loop was not run): the legend's
title says so. At the largest P an annotation gives the ratio, "finite differences take ~N×
longer".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go

from engine.gradient_cost import GradientCosts
from figures.common import compact, finish, log_axis
from figures.style import INK, Style, series_style
from i18n import N_, _, ngettext, number

FD_NAME = N_("Finite differences (2 forward passes per weight)")
BACKPROP_NAME = N_("Backpropagation (1 forward + 1 backward)")
OPEN_NOTE = N_("filled: measured · open: 2P × a measured forward pass (loop not run)")


def about(value: float) -> str:
    """``value`` to two significant figures with thousands separators: 4.4, 44, 74,000 (the
    language's symbols)."""
    if not (math.isfinite(value) and value > 0):
        return "?"
    decimals = 1 - math.floor(math.log10(value))
    return number(round(value, decimals), f",.{max(0, decimals)}f")


def _ms(seconds: float) -> str:
    """Milliseconds to three significant figures, no exponent: 0.0411, 3.38, 1,991,000 (the
    language's symbols)."""
    ms = seconds * 1e3
    decimals = max(0, 2 - math.floor(math.log10(ms))) if ms > 0 else 0
    return number(ms, f",.{decimals}f")


def cost_figure(costs: GradientCosts, style: Style) -> go.Figure:
    """Seconds per gradient against P on log–log axes, finite differences vs backpropagation.

    Finite differences: 2P forward passes, so t_fd ≈ 2P·t_forward (∝ P² once the products
    dominate); backpropagation: t_bp ≈ 2–3·t_forward. Their ratio t_fd/t_bp grows like P, and
    the annotation at the largest P states it (``costs.ratio``, two significant figures).

    Args:
        costs: S sizes, from ``engine.gradient_cost.measure_costs``.
        style: sizes and fonts.

    Returns:
        The figure: trace 0 finite differences (markers open where ``fd_measured`` is False),
        trace 1 backpropagation (all measured, filled).
    """
    sizes = [int(p) for p in costs.n_params]  # (S,)
    fd, bp = np.asarray(costs.fd_s), np.asarray(costs.backprop_s)  # (S,) each
    measured = [bool(m) for m in costs.fd_measured]  # (S,)
    series = [
        (_(FD_NAME), fd, measured),
        (_(BACKPROP_NAME), bp, [True] * len(sizes)),
    ]
    data: list[dict[str, Any]] = []
    for i, (name, seconds, filled) in enumerate(series):
        s = series_style(i)
        hover = [_hover(p, name, t, m, f, b)
                 for p, t, m, f, b in zip(sizes, seconds, filled, fd, bp, strict=True)]  # fmt: skip
        data.append({
            "type": "scatter", "mode": "lines+markers", "name": name,
            "x": sizes, "y": compact(seconds),
            "line": {"color": s.color, "width": style.line, "dash": s.dash},
            "marker": {"symbol": [s.symbol if f else f"{s.symbol}-open" for f in filled],
                       "size": style.marker + 2, "color": s.color,
                       "line": {"color": s.color, "width": 2}},
            "text": hover, "hovertemplate": "%{text}<extra></extra>",
        })  # fmt: skip
    # Just above backprop's last point: the wedge between the two lines is widest there, and
    # the finite-difference line only falls to the left of it.
    ratio_note = {
        "x": math.log10(sizes[-1]), "y": math.log10(bp[-1]),  # log axes: log₁₀ of the value
        "xref": "x", "yref": "y", "xanchor": "right", "yanchor": "bottom", "align": "right",
        "xshift": -style.marker, "yshift": style.marker, "showarrow": False,
        "font": {"size": style.font, "color": INK},
        "text": _("at P = {params}:<br>finite differences take ~{ratio}× longer").format(
            params=number(sizes[-1], ","), ratio=about(costs.ratio)),
    }  # fmt: skip
    legend: dict[str, Any] = {"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top"}
    if not all(measured):
        legend["title"] = {"text": _(OPEN_NOTE), "side": "top",
                           "font": {"size": style.tick_font, "color": INK}}  # fmt: skip
    layout = {
        "title": {
            "text": ngettext(
                "Time for one gradient of the loss on a batch of {batch}",
                "Time for one gradient of the loss on a batch of {batch}",
                costs.batch,
            ).format(batch=costs.batch)
        },
        "xaxis": {**log_axis(sizes), "title": {"text": _("number of parameters P")}},
        "yaxis": {**log_axis(fd, bp), "title": {"text": _("seconds per gradient")}},
        "legend": legend,
        "annotations": [ratio_note],
    }
    return finish({"data": data, "layout": layout}, style)


def _hover(params: int, name: str, seconds: float, measured: bool, fd: float, bp: float) -> str:
    """What hovering a point says: P, this series' time and how it was got, and both times."""
    values = {"params": number(params, ","), "name": name, "time": _ms(seconds),
              "fd": _ms(fd), "bp": _ms(bp)}  # fmt: skip
    if measured:
        return _("P = {params}<br>{name}: {time} ms (measured)<br>finite differences {fd} ms, "
                 "backpropagation {bp} ms").format(**values)  # fmt: skip
    return _("P = {params}<br>{name}: {time} ms (estimated: 2P forward passes)<br>finite "
             "differences {fd} ms, backpropagation {bp} ms").format(**values)  # fmt: skip
