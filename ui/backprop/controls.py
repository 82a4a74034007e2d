"""The "Backpropagation" lesson's control panels: the backward-pass stepper, the example and
the network, every weight by hand, and the batch's extra examples."""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.backprop import CLASS_LOSSES, HIDDEN, param_refs
from engine.nn import MLPSpec
from i18n import _
from ui.backprop.params import (
    LESSON,
    MAX_BATCH,
    STEPS,
    P,
    example_label,
    param_key,
    pick_name,
    spec_of,
)
from ui.url import values
from ui.widgets import draw

param = LESSON.param


def _move_step(by: int) -> None:
    key = f"{P}step"
    st.session_state[key] = min(STEPS - 1, max(0, int(st.session_state.get(key, 0)) + by))


def stepper() -> int:
    """Previous / Next buttons; returns the step. (The chart's own slider scrubs through the
    steps in the browser; these also move the table of the step under it.)"""
    step = int(st.session_state.get(f"{P}step", 0))
    left, right = st.columns(2)
    left.button(_("◀ Previous"), key=f"{P}prev", on_click=_move_step, args=(-1,),
                disabled=step <= 0, width="stretch")  # fmt: skip
    right.button(_("Next ▶"), key=f"{P}next", on_click=_move_step, args=(1,),
                 disabled=step >= STEPS - 1, width="stretch", type="primary")  # fmt: skip
    return step


def pick_menu() -> None:
    """The parameter whose gradient the page follows, among those this network has."""
    spec = spec_of(values(LESSON))
    draw(param(f"{P}pick"), choices=[pick_name(r) for r in param_refs(spec)])


def _target(key: str, where: Any, **overrides: Any) -> None:
    """A target: any number for squared error; 0 or 1 (a class) for a classifier's loss."""
    if values(LESSON)[f"{P}loss"] in CLASS_LOSSES:
        overrides |= {"low": 0.0, "high": 1.0, "step": 1.0}
    draw(param(key), where, **overrides)


def example_panel() -> None:
    """The example the graph shows, the activation and the loss."""
    c1, c2, c3 = st.columns(3)
    draw(param(f"{P}x1"), c1)
    draw(param(f"{P}x2"), c2, disabled=int(st.session_state.get(f"{P}inputs", 2)) < 2)
    _target(f"{P}y", c3)
    c4, c5 = st.columns(2)
    draw(param(f"{P}act"), c4)
    draw(param(f"{P}loss"), c5)


def network_panel() -> None:
    """The network's shape, folded away."""
    with st.expander(_("Network shape"), key=f"{P}shape_panel"):
        c1, c2, c3 = st.columns(3)
        draw(param(f"{P}inputs"), c1)
        draw(param(f"{P}u1"), c2)
        draw(param(f"{P}u2"), c3)


def weights_panel(spec: MLPSpec) -> None:
    """Every weight and bias of the network, by hand, one row per layer."""
    with st.expander(_("Edit the weights by hand"), key=f"{P}weights_panel"):
        refs = param_refs(spec)
        for layer in range(1, HIDDEN + 2):
            mine = [r for r in refs if r.layer == layer]
            if layer == HIDDEN + 1:
                st.markdown(_("**Output layer**"))
            else:
                st.markdown(_("**Layer {layer}**").format(layer=layer))
            columns = st.columns(len(mine))
            for column, ref in zip(columns, mine, strict=True):
                draw(param(param_key(ref)), column)


def batch_panel(n_inputs: int) -> int:
    """The batch size, the reduction and examples 2–4; returns the batch size."""
    c1, c2 = st.columns(2)
    batch = int(draw(param(f"{P}batch"), c1))
    draw(param(f"{P}red"), c2)
    with st.expander(_("Examples 2–4 of the batch"), key=f"{P}examples_panel"):
        for e in range(2, MAX_BATCH + 1):
            columns = st.columns(3)
            draw(param(f"{P}e{e}_x1"), columns[0], label=example_label(e, "x1"),
                 disabled=e > batch)  # fmt: skip
            draw(param(f"{P}e{e}_x2"), columns[1], label=example_label(e, "x2"),
                 disabled=e > batch or n_inputs < 2)  # fmt: skip
            _target(f"{P}e{e}_y", columns[2], label=example_label(e, "y"), disabled=e > batch)
    return batch
