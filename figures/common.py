"""Small helpers shared by the figure builders: compact numbers, finished figures, exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike

from figures.style import Style, apply_layout

SIGNIFICANT = 5  # digits kept in the JSON: more than a screen can show, a third of the bytes


def compact(values: ArrayLike, digits: int = SIGNIFICANT) -> list[Any]:
    """A list of floats rounded to ``digits`` significant digits; NaN/inf become None (a gap).

    Plotly draws None as a break in a line, which is how a diverged run should look.
    """
    arr = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(arr)))
        scale = 10.0 ** (digits - 1 - np.where(np.isfinite(magnitude), magnitude, 0))
        rounded = np.round(arr * scale) / scale
    rounded = np.where(np.isfinite(arr), rounded, np.nan)
    out: list[Any] = np.where(np.isnan(rounded), None, rounded).tolist()
    return out


def finish(fig: dict[str, Any], style: Style) -> go.Figure:
    """Apply the house layout and turn a figure dict into a ``go.Figure``."""
    fig["layout"] = apply_layout(fig.get("layout", {}), style)
    return go.Figure(fig)


def trajectories_csv(
    labels: Sequence[str],
    steps: ArrayLike,
    params: ArrayLike,
    loss: ArrayLike,
    names: Sequence[str],
) -> str:
    """CSV text: one row per (run, step) with the parameters and the loss.

    Args:
        labels: a name per run.
        steps: ``(R,)`` the step of each recorded row.
        params: ``(R, K, dim)``.
        loss: ``(R, K)``.
        names: the parameter names (column headers).
    """
    steps_arr = np.asarray(steps)
    params_arr = np.asarray(params, dtype=np.float64)
    loss_arr = np.asarray(loss, dtype=np.float64)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["run", "step", *names, "loss"])
    for k, label in enumerate(labels):
        for r, step in enumerate(steps_arr):
            values = [*params_arr[r, k], loss_arr[r, k]]
            writer.writerow([label, int(step), *(f"{v:.10g}" for v in values)])
    return buffer.getvalue()


def standalone_html(fig: go.Figure) -> str:
    """The figure as one self-contained HTML file (plotly.js embedded: works offline)."""
    html: str = fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False)
    return html
