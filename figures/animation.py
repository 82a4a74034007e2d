"""Client-side Plotly animation shared by every animated figure.

* ``frame_rows(n_rows, max_frames)`` picks at most ``max_frames`` evenly spaced recorded rows,
  always the first and the last, so a 2000-step run still plays as ≤ 120 frames.
* ``add_playback(fig, steps, style)`` adds play/pause buttons at three speeds and a slider
  labelled in optimizer steps to a figure dict that has ``frames`` (Plotly Express's approach:
  one helper for every figure). Frames must be named by the step they show.
* ``PLAYBACK_GUARD_JS``: the script a page with animations runs once, so that Pause raises no
  "undefined" page error (see its comment).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from figures.style import INK, Style
from i18n import N_, _

SPEEDS_MS = ((N_("Slow"), 160), (N_("Play"), 60), (N_("Fast"), 20))  # frame durations
# Plotly's documented pause: animate to no frame ([None], not None: that plays all of them),
# at once, which discards the queued frames.
PAUSE_ARGS: list[Any] = [
    [None],
    {"mode": "immediate", "frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}},
]
# Discarding queued frames rejects the interrupted Plotly.animate promise with no reason, and
# plotly.js's buttons and slider never catch it: the browser reports an "undefined" page error
# on every Pause (or slider click) during playback, whatever the pause's arguments (measured
# in Chromium with plotly.js 3.8 and in Streamlit 1.67). A page that shows animations runs
# this once; it marks handled only rejections without a reason, which is how plotly.js
# signals an interrupted animation. The offline HTML export includes it.
PLAYBACK_GUARD_JS = (
    "window.addEventListener('unhandledrejection', function (event) {"
    " if (event.reason === undefined) { event.preventDefault(); } });"
)


def frame_rows(n_rows: int, max_frames: int = 120) -> NDArray[np.intp]:
    """Indices of at most ``max_frames`` evenly spaced rows out of ``n_rows`` (first and last kept).

    Raises:
        ValueError: when ``n_rows`` < 1 or ``max_frames`` < 2.
    """
    if n_rows < 1 or max_frames < 2:
        raise ValueError(f"need n_rows ≥ 1 and max_frames ≥ 2, got {n_rows}, {max_frames}")
    count = min(n_rows, max_frames)
    return np.unique(np.round(np.linspace(0, n_rows - 1, count)).astype(np.intp))


def _animate_args(duration: int, redraw: bool = False) -> dict[str, Any]:
    return {
        "frame": {"duration": duration, "redraw": redraw},
        "transition": {"duration": 0},
        "fromcurrent": True,
        "mode": "immediate",
    }


def add_playback(
    fig: dict[str, Any],
    steps: Sequence[int],
    style: Style,
    *,
    redraw: bool = False,
    axis_below: bool = True,
    compact: bool = False,
) -> dict[str, Any]:
    """Add play/pause at three speeds and a step slider to ``fig`` (a figure dict with frames).

    Args:
        fig: ``{"data": ..., "layout": ..., "frames": [...]}``; frame i is named ``str(steps[i])``.
        steps: the optimizer step shown by each frame.
        style: sizes (projector mode makes buttons and labels large).
        redraw: redraw the whole plot at every frame. Scatter traces animate without it;
            heatmap traces change only with it (plotly.js redraws them, it cannot morph them).
        axis_below: leave room under the plot for an x-axis's ticks and title (False for a
            figure without a visible x-axis, e.g. a diagram).
        compact: only ▶ Play and ‖ Pause (a chart too narrow for four buttons).

    Returns:
        The same dict, with ``layout.updatemenus`` and ``layout.sliders`` set, the bottom
        margin made room for them, and (unless set) the height grown by that margin: the
        controls take no space from the plot.
    """
    buttons: list[dict[str, Any]] = [
        {"label": "▶ " + _(name), "method": "animate", "args": [None, _animate_args(ms, redraw)]}
        for name, ms in SPEEDS_MS
        if not compact or name == "Play"
    ]
    buttons.append({"label": "‖ " + _("Pause"), "method": "animate",
                    "args": copy.deepcopy(PAUSE_ARGS)})  # fmt: skip
    font = {"size": style.font, "color": INK}
    layout = fig.setdefault("layout", {})
    # Placed in pixels below the plot area (Plotly positions them in fractions of its height):
    # the x-axis ticks and title, then the buttons, then the slider, all inside the margin.
    below_axis, buttons_px, slider_px = (82, 58, 110) if style.projector else (58, 44, 90)
    if not axis_below:
        below_axis = 12
    margin = layout.setdefault("margin", {})
    margin["b"] = max(margin.get("b", 0), below_axis + buttons_px + slider_px)
    plot_px = layout.setdefault("height", style.height + margin["b"]) - margin.get("t", 70)
    plot_px -= margin["b"]
    layout["updatemenus"] = [
        {
            "type": "buttons",
            "direction": "left",
            "showactive": False,
            "x": 0.0,
            "xanchor": "left",
            "y": -below_axis / plot_px,
            "yanchor": "top",
            "pad": {"r": 10, "t": 10},
            "font": font,
            "buttons": buttons,
        }
    ]
    layout["sliders"] = [
        {
            "active": 0,
            "x": 0.0,
            "len": 1.0,
            "y": -(below_axis + buttons_px) / plot_px,
            "yanchor": "top",
            "pad": {"t": 10},
            "font": font,
            "currentvalue": {"prefix": _("Step") + " ", "font": font, "visible": True},
            "steps": [
                {
                    "label": str(s),
                    "method": "animate",
                    "args": [[str(s)], {**_animate_args(0, redraw), "fromcurrent": False}],
                }
                for s in steps
            ],
        }
    ]
    return fig
