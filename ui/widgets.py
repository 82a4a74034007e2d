"""Widgets drawn from parameter declarations (``ui.params.Param``).

Every widget takes its key, range, label and help from the declaration, so the widget accepts
exactly what a link accepts. No widget is bound to the URL by Streamlit: ``ui.url`` writes the
whole state into the link after every run.

Learning rates span decades, so they get a *log slider*: a select slider over a grid of round
numbers, 10 per decade (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k), with the current value
added to the grid when it is not on it (a link's or *Match*'s exact 0.003125 stays exact).
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from i18n import _
from ui.params import Param, number_text

MANTISSAS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)


def log_grid(low: float, high: float) -> list[float]:
    """Round numbers from ``low`` to ``high`` (inclusive), 10 per decade, both ends included.

    Each value is m·10^k with m from ``MANTISSAS``, rounded to 12 significant digits so that
    the grid's numbers print and parse back exactly (0.3, not 0.30000000000000004).
    """
    values = {low, high}
    for k in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for m in MANTISSAS:
            v = float(f"{m * 10.0**k:.12g}")
            if low <= v <= high:
                values.add(v)
    return sorted(values)


def log_options(param: Param, current: float) -> list[float]:
    """The log slider's options: the grid plus the current value."""
    assert param.low is not None and param.high is not None
    grid = log_grid(param.low, param.high)
    if current not in grid:
        grid = sorted([*grid, current])
    return grid


def draw(param: Param, where: Any = st, **overrides: Any) -> Any:
    """Draw ``param``'s widget in ``where`` (a column, the sidebar, ``st``); return its value.

    The label, help and choices' labels are declared marked (``N_``) and translated here.
    ``overrides`` pass through to the widget (``high=`` replaces the range's top for this run,
    e.g. a batch size at most N; ``choices=`` the options a menu offers in this run, a subset
    of the declared ones; ``step=`` a number's step; ``label=``, ``help=`` (translated by the
    caller), ``disabled=``).
    """
    label = overrides.pop("label", None) or _(param.label)
    choices = overrides.pop("choices", param.choices)
    step_override = overrides.pop("step", None)
    help_text = overrides.pop("help", None) or (_(param.help) if param.help else None)
    low = overrides.pop("low", param.low)
    high = overrides.pop("high", param.high)

    def shown(choice: str) -> str:  # a declared label is a catalogue text; a bare key is not
        label = param.format_choice(choice)
        return _(label) if param.labels and param.translate_labels else label

    widget = param.widget or {"bool": "toggle", "choice": "select"}.get(param.kind, "number")
    if widget == "none" or param.kind == "text":
        raise ValueError(f"{param.key} has no widget; the page sets it")
    common = {"key": param.key, "help": help_text, **overrides}
    if widget == "toggle":
        return where.toggle(label, **common)
    if widget == "checkbox":
        return where.checkbox(label, **common)
    if widget == "select":
        return where.selectbox(label, choices, format_func=shown, **common)
    if widget == "segmented":
        return where.segmented_control(label, param.choices, format_func=shown,
                                       required=True, **common)  # fmt: skip
    if widget == "log_slider":
        options = log_options(param, float(st.session_state.get(param.key, param.default)))
        return where.select_slider(label, options, format_func=number_text, **common)
    if param.kind == "int":
        low, high = (None if v is None else int(v) for v in (low, high))
        step: Any = int(step_override or param.step or 1)
    else:
        low, high = (None if v is None else float(v) for v in (low, high))
        chosen = step_override if step_override is not None else param.step
        step = None if chosen is None else float(chosen)
    if widget == "slider":
        return where.slider(label, low, high, step=step, **common)
    return where.number_input(label, low, high, step=step, format=param.format, **common)
