"""Small helpers shared by the figure builders: compact numbers, finished figures, exports."""

from __future__ import annotations

import base64
import contextlib
import csv
import html
import io
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.basevalidators import is_homogeneous_array
from _plotly_utils.utils import to_typed_array_spec
from numpy.typing import ArrayLike, NDArray

from figures.animation import PLAYBACK_GUARD_JS
from figures.style import Style, apply_layout
from i18n import _

SIGNIFICANT = 4  # digits kept in the JSON: 1 part in 10⁴, finer than a screen's pixels


def rounded(values: ArrayLike, digits: int = SIGNIFICANT) -> NDArray[np.float64]:
    """``values`` rounded to ``digits`` significant digits (vectorised; NaN for non-finite)."""
    arr = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        magnitude = np.floor(np.log10(np.abs(arr)))
        scale = 10.0 ** (digits - 1 - np.where(np.isfinite(magnitude), magnitude, 0))
        out = np.round(arr * scale) / scale
    return np.where(np.isfinite(arr) & np.isfinite(out), out, np.nan)


def as_list(values: NDArray[np.float64]) -> list[Any]:
    """A JSON-ready list of already rounded values; NaN becomes None (a gap in a line)."""
    items: list[Any] = values.tolist()
    if np.isnan(values).any():
        return [None if v != v else v for v in items]
    return items


def typed_array(values: ArrayLike) -> dict[str, str]:
    """Plotly's typed-array form: little-endian float32 in base64; NaN/inf become NaN (a gap).

    Animation frames use it: 5⅓ characters per number, and neither Plotly's ``to_dict`` nor
    the JSON encoder has to visit numbers one by one (they did, at 20 ms a figure).
    """
    arr = np.asarray(values, dtype=np.float64)
    arr = np.where(np.isfinite(arr), arr, np.nan).astype("<f4")
    return {"dtype": "f4", "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}


def compact(values: ArrayLike, digits: int = SIGNIFICANT) -> list[Any]:
    """A list of floats rounded to ``digits`` significant digits; NaN/inf become None (a gap).

    Plotly draws None as a break in a line, which is how a diverged run should look.
    """
    return as_list(rounded(values, digits))


class _FrozenFrame(dict[str, Any]):
    """A frame's dict, never modified after ``finish``: copying it returns it as it is.

    ``go.Figure.to_dict`` (which Streamlit calls on every rerun) deep-copies every frame; for
    120 frames of small lists that copy cost more than building them.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> _FrozenFrame:
        return self


class _Sealed:
    """A frame's trace updates, sealed from Plotly's pre-serialisation walk.

    ``to_dict`` walks every dict and list of a figure looking for NumPy arrays to encode
    (``convert_to_base64``); through 120 frames that walk cost 14 ms on every rerun, though
    the frames hold typed arrays already. This object is neither, so the walk stops here, and
    the JSON encoders read its value through ``to_plotly_json`` as they do for Plotly objects.
    """

    __slots__ = ("value",)

    def __init__(self, value: list[Any]) -> None:
        self.value = value

    def to_plotly_json(self) -> list[Any]:
        return self.value

    def __deepcopy__(self, memo: dict[int, Any]) -> _Sealed:
        return self


class FinishedFigure(go.Figure):
    """A ``go.Figure`` whose ``to_dict`` is computed once and then handed out as it is.

    Streamlit calls ``to_dict`` on every rerun for every chart, cached or not: a deep copy and
    a walk of every node looking for NumPy arrays (``convert_to_base64``), 4–5 ms for the
    training stage, 45 ms a rerun over its three charts — the largest cost of a rerun that
    changes nothing. A finished figure is shared by every session (``ui.kept.kept``) and
    not changed, so the dict is kept; any change through Plotly's API (which notifies the
    figure, as it would a widget) or new frames make the next ``to_dict`` build it anew. The
    returned dict is shared: read it, do not modify it.
    """

    def to_dict(self) -> dict[str, Any]:
        kept = self.__dict__.get("_kept_dict")
        if kept is None or kept[0] is not self._frame_objs:
            kept = (self._frame_objs, _shared_dict(self))
            self.__dict__["_kept_dict"] = kept
        return kept[1]

    def _changed(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_kept_dict", None)

    @contextlib.contextmanager
    def batch_update(self) -> Iterator[None]:  # update_layout, update_traces, … end here
        with super().batch_update():
            yield
        self._changed()

    _send_addTraces_msg = _send_moveTraces_msg = _send_deleteTraces_msg = _changed
    _send_restyle_msg = _send_relayout_msg = _send_update_msg = _changed


def _shared_dict(figure: go.Figure) -> dict[str, Any]:
    """What ``go.Figure.to_dict`` returns, without its deep copy of the figure and its walk
    through every number of every list looking for NumPy arrays (6 ms for the training stage,
    and the copy doubled the objects every kept figure holds, which Python's collector then
    walks again and again). The dict shares the figure's own containers: read it, do not
    modify it. The NumPy arrays that ``to_dict`` turns into typed arrays are turned into them
    here too, in copies of the containers that hold them (``_with_typed_arrays``);
    tests/test_figure_validity.py checks that every chart of every page gives the same JSON
    both ways."""
    res: dict[str, Any] = {"data": figure._data, "layout": figure._layout}
    frames = [frame._props for frame in figure._frame_objs]
    if frames:
        res["frames"] = frames
    typed: dict[str, Any] = _with_typed_arrays(res)
    return typed


_ATOMS = frozenset({int, float, str, bool, type(None)})
_NOT_ARRAYS = (dict, list, tuple, str, int, float, type(None))
_SKIPPED_KEYS = frozenset({"geojson", "layer", "layers", "range"})  # as plotly's to_dict


def _with_typed_arrays(obj: Any) -> Any:
    """``obj`` with every NumPy array that is a dict's value replaced by Plotly's typed-array
    spec, as ``plotly.io``'s ``convert_to_base64`` does in place on its copy: copy on write,
    so that what holds no array is returned as it is. Lists of plain numbers and strings are
    skipped in one pass (``map(type, …)``) instead of visited item by item."""
    if isinstance(obj, dict):
        out: dict[str, Any] | None = None
        for key, value in obj.items():
            if key in _SKIPPED_KEYS:
                continue
            if not isinstance(value, _NOT_ARRAYS) and is_homogeneous_array(value):
                new = to_typed_array_spec(value)
            else:
                new = _with_typed_arrays(value)
            if new is not value:
                out = dict(obj) if out is None else out
                out[key] = new
        return obj if out is None else out
    if isinstance(obj, (list, tuple)):
        if set(map(type, obj)) <= _ATOMS:
            return obj
        items = [_with_typed_arrays(v) for v in obj]
        if all(a is b for a, b in zip(items, obj, strict=True)):
            return obj
        return items if isinstance(obj, list) else tuple(items)
    return obj


class _CheckedFrame:
    """A frame dict attached to a ``go.Figure`` without per-trace validation (see ``finish``)."""

    __slots__ = ("_props",)

    def __init__(self, props: dict[str, Any]) -> None:
        self._props = _FrozenFrame({**props, "data": _Sealed(props["data"])})


def panel_axes(n: int) -> dict[str, str]:
    """The trace keys that put it on panel n (1, 2, …): "x"/"y" for the first, "x2"/"y2"…
    (plotly.js has no "x1": the first axis is "x")."""
    suffix = "" if n == 1 else str(n)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def finish(fig: dict[str, Any], style: Style) -> go.Figure:
    """Apply the house layout and turn a figure dict into a ``go.Figure``, unvalidated.

    Plotly's validation walks every property of every trace (~0.1 ms a trace, 17 ms for the
    training stage, a fifth of a loaded server's time in the issue that measured it); the
    figures here are built by code, not typed by a learner, so it is skipped
    (``_validate=False``, plotly.py's figure-level switch, plotly/plotly.py#2403), and
    tests/test_figure_validity.py validates every chart every page draws — data, layout and
    every frame — with it on. Frames (120 × a few traces) are attached as plain dicts after a
    structural check (a name, trace indices that exist, one update per index), which is all
    ``to_dict``/``to_json`` read from them.
    """
    frames = fig.pop("frames", [])
    fig["layout"] = apply_layout(fig.get("layout", {}), style)
    figure = FinishedFigure(fig, _validate=False)
    if frames:
        n_traces = len(figure.data)
        for frame in frames:
            traces = frame["traces"]
            if not (
                isinstance(frame["name"], str)
                and len(traces) == len(frame["data"])
                and all(0 <= i < n_traces for i in traces)
            ):
                raise ValueError(f"malformed animation frame {frame.get('name')!r}")
        figure._frame_objs = tuple(_CheckedFrame(f) for f in frames)
    return figure


def trajectories_csv(
    labels: Sequence[str],
    steps: ArrayLike,
    params: ArrayLike,
    loss: ArrayLike,
    names: Sequence[str],
) -> str:
    """CSV text: one row per (run, step) with the parameters and the loss; the headers "run",
    "step" and "loss" in the current language.

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
    writer.writerow([_("run"), _("step"), *names, _("loss")])
    for k, label in enumerate(labels):
        for r, step in enumerate(steps_arr):
            values = [*params_arr[r, k], loss_arr[r, k]]
            writer.writerow([label, int(step), *(f"{v:.10g}" for v in values)])
    return buffer.getvalue()


def standalone_html(fig: go.Figure, title: str | None = None) -> str:
    """The figure as one self-contained HTML file (plotly.js embedded: works offline), with the
    playback guard that keeps Pause from raising a page error (``PLAYBACK_GUARD_JS``) and, if
    given, ``title`` (already translated) as the page's title, the browser tab's text."""
    page: str = fig.to_html(
        include_plotlyjs=True, full_html=True, auto_play=False, post_script=PLAYBACK_GUARD_JS
    )
    if title:
        page = page.replace("<head>", f"<head>\n    <title>{html.escape(title)}</title>", 1)
    return page


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_axis(*values: ArrayLike) -> dict[str, Any]:
    """A log axis whose labels all have the axis's font size, for data spanning ``values``.

    Over two decades or more: powers of ten only (every n-th, so about seven at most). Under
    that Plotly labels the digits between decades in a smaller font, unreadable on a
    projector; explicit ticks at 1, 2 and 5 times each power of ten take their place.
    """
    flat = np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in values])
    flat = flat[np.isfinite(flat) & (flat > 0)]
    # A difference of logarithms: max / min overflows to inf for a diverging run (1e300 / 1e-30).
    decades = float(np.log10(flat.max()) - np.log10(flat.min())) if flat.size else 0.0
    if flat.size == 0 or decades >= 2:  # at most about seven labelled powers of ten
        plain = flat.size > 0 and flat.min() >= 1e-3 and flat.max() < 1e4  # 0.01 … 1000
        return {"type": "log", "dtick": max(1, math.ceil(decades / 7)),
                "exponentformat": "none" if plain else "power"}  # fmt: skip
    low, high = int(np.floor(np.log10(flat.min()))), int(np.ceil(np.log10(flat.max())))
    ticks = [m * 10.0**e for e in range(low, high + 1) for m in (1, 2, 5)]
    return {"type": "log", "tickvals": ticks, "ticktext": [_tick_text(t) for t in ticks]}


def _tick_text(value: float) -> str:
    """0.002, 50, 2000 — or 2×10⁻⁵ beyond four digits either way."""
    if 1e-3 <= value < 1e4:
        return f"{value:g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    power = f"10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return power if mantissa == "1" else f"{mantissa}×{power}"
