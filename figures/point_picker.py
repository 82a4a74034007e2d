"""A blank plane to click a learner's first points onto ("Only my points", before there is
anything to train on): the same click grid as the stage's (trace ``STAGE_PICKER_TRACE``), the
points added so far, drawn like the stage's training points."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from figures.common import finish, typed_array
from figures.style import INK, OKABE_ITO, SYMBOLS, Style
from figures.training_stage import PICKER_POINTS, STAGE_PICKER_TRACE
from i18n import _

EXTENT = 2.0  # the blank plane spans [−2, 2] on both axes (points may lie up to ±4)


def blank_plane_figure(points: tuple[ArrayLike, ArrayLike], style: Style) -> go.Figure:
    """The plane with a click grid and the points ``(X (n, 2), y (n,))`` placed so far."""
    X = np.asarray(points[0], dtype=np.float64).reshape(-1, 2)
    y = np.asarray(points[1], dtype=np.float64)
    span = max(EXTENT, float(np.abs(X).max()) + 0.3 if len(X) else EXTENT)
    grid = np.linspace(-span, span, PICKER_POINTS)
    gx, gy = np.meshgrid(grid, grid)
    hidden = {"marker": {"opacity": 0}}
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "markers", "name": _("picker"), "x": typed_array(gx.ravel()),
         "y": typed_array(gy.ravel()), "marker": {"size": 14, "opacity": 0, "color": INK},
         "selected": hidden, "unselected": hidden, "hoverinfo": "none", "showlegend": False},
    ]  # fmt: skip
    assert len(data) - 1 == STAGE_PICKER_TRACE
    for c in sorted({int(v) for v in y}):
        mine = y == c
        data.append({"type": "scatter", "mode": "markers", "name": _("class {c}").format(c=c),
                     "x": X[mine, 0].tolist(), "y": X[mine, 1].tolist(), "hoverinfo": "skip",
                     "marker": {"symbol": SYMBOLS[c % 3], "size": style.marker + 4,
                                "color": OKABE_ITO[c % len(OKABE_ITO)],
                                "line": {"width": 1.5, "color": INK}}})  # fmt: skip
    axis = {"range": [-span, span], "zeroline": True, "zerolinecolor": "#d9d9d9"}
    layout = {"xaxis": {**axis, "title": "x₁", "constrain": "domain"},
              "yaxis": {**axis, "title": "x₂", "scaleanchor": "x", "constrain": "domain"},
              "showlegend": bool(len(y)), "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
              "clickmode": "event+select"}  # fmt: skip
    return finish({"data": data, "layout": layout}, style)
