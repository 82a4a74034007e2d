"""The rolling ball's "nudge a weight" panel: the loss at w − h, w and w + h beside f′(w).

* ``nudge_numbers(surface, w, h)`` — the three losses and the analytic slope (pure: tests).
* ``nudge_panel(surface, w, h)`` — the section on the page: a heading, three metrics with their
  changes from f(w), and the sentence that reads the downhill direction off f′(w).

Numbers are written with as many significant digits as it takes to tell w − h, w and w + h
apart and to show the change of the loss, whatever the magnitude of w (0.3, 1234.5, 1e-7):
"999.95, 1000, 1000.05" and "499950, 500000, 500050", never "5e+05" three times — with the
decimal symbol of the current language (Polish: "1,85").
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import streamlit as st

from engine.surfaces import Surface
from i18n import _, number


class NudgeNumbers(NamedTuple):
    """The loss around ``w`` and its derivative there."""

    w: float
    h: float
    left: float  # f(w − h)
    mid: float  # f(w)
    right: float  # f(w + h)
    slope: float  # f′(w), analytic

    @property
    def downhill(self) -> str:
        """Where the loss falls to first order: "left", "right" or "flat"."""
        if self.slope > 0:
            return "left"
        if self.slope < 0:
            return "right"
        return "flat"


def nudge_numbers(surface: Surface, w: float, h: float = 0.05) -> NudgeNumbers:
    """f(w − h), f(w), f(w + h) and f′(w) on a 1-D ``surface``.

    Raises:
        ValueError: for a surface that is not 1-D, a non-finite w, or h that is not > 0.
    """
    if surface.dim != 1:
        raise ValueError(
            f"the nudge panel needs a 1-D loss curve; {surface.name} is {surface.dim}-D"
        )
    if not math.isfinite(w):
        raise ValueError(f"w must be finite, got {w!r}")
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"h must be a finite number > 0, got {h!r}")
    with np.errstate(all="ignore"):  # a huge w may overflow: shown as inf, not raised
        left, mid, right = (float(v) for v in surface.value(np.array([[w - h], [w], [w + h]])))
        slope = float(surface.grad(np.array([w]))[0])
    return NudgeNumbers(float(w), float(h), left, mid, right, slope)


def _number(value: float, resolution: float) -> str:
    """``value`` with the significant digits that show it to about ``resolution`` (at least 4,
    at most 15 — a float64's worth)."""
    if not math.isfinite(value):
        return number(value)  # inf, nan
    if value == 0 or not (math.isfinite(resolution) and resolution > 0):
        return number(value, ".4g")
    digits = math.ceil(math.log10(abs(value) / resolution)) + 1
    return number(value, f".{min(15, max(4, digits))}g")


def _change(value: float) -> str:
    return number(value, "+.3g") if math.isfinite(value) else ""


def nudge_texts(n: NudgeNumbers) -> dict[str, str]:
    """Every number the panel shows, formatted: the three weights (to the nudge h), the three
    losses (to a hundredth of the smaller change), the two changes ("" if not finite) and the
    slope."""
    changes = [n.left - n.mid, n.right - n.mid]
    sizes = [abs(c) for c in changes if math.isfinite(c) and c != 0]
    resolution = min(sizes) / 100 if sizes else math.nan
    return {
        "w_left": _number(n.w - n.h, n.h),
        "w": _number(n.w, n.h),
        "w_right": _number(n.w + n.h, n.h),
        "left": _number(n.left, resolution),
        "mid": _number(n.mid, resolution),
        "right": _number(n.right, resolution),
        "change_left": _change(changes[0]),
        "change_right": _change(changes[1]),
        "slope": number(n.slope, ".4g"),
    }


def nudge_sentence(n: NudgeNumbers) -> str:
    """What the derivative says about the nudges (Markdown, in the current language)."""
    t = nudge_texts(n)
    if not math.isfinite(n.slope):
        reading = _(
            "f′({w}) = {slope}: this far out the loss is beyond what a float holds, so the "
            "derivative is no guide; start the ball nearer the valley."
        )
    elif n.downhill == "flat":
        reading = _(
            "f′({w}) = {slope}: the curve is flat here to first order, so the derivative points "
            "neither way and a gradient step stays put."
        )
    elif n.downhill == "left":
        reading = _(
            "f′({w}) = {slope}, so the loss falls to the **left (smaller w)**, and the gradient "
            "step −γ·f′(w) goes that way."
        )
    else:
        reading = _(
            "f′({w}) = {slope}, so the loss falls to the **right (larger w)**, and the gradient "
            "step −γ·f′(w) goes that way."
        )
    return _(
        "Trying both nudges costs two extra evaluations of the loss — per weight, and a network "
        "has millions. The derivative gives the same answer in one computation: {reading} "
        "Backpropagation computes this derivative for every weight at once."
    ).format(reading=reading.format(w=t["w"], slope=t["slope"]))


def nudge_panel(surface: Surface, w: float, h: float = 0.05) -> None:
    """The section "Nudge a weight and watch the loss" at ``w`` (e.g. the ball's start)."""
    n = nudge_numbers(surface, w, h)
    t = nudge_texts(n)
    st.subheader(_("Nudge a weight and watch the loss"))
    m1, m2, m3 = st.columns(3)
    # Deltas are changes from f(w); "inverse": a rise of the loss is shown as bad (red).
    left, right = t["change_left"] or None, t["change_right"] or None
    label = _("loss at w = {w}")
    m1.metric(label.format(w=t["w_left"]), t["left"], left, delta_color="inverse")
    m2.metric(label.format(w=t["w"]), t["mid"])
    m3.metric(label.format(w=t["w_right"]), t["right"], right, delta_color="inverse")
    st.markdown(nudge_sentence(n))
