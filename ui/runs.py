"""Controls for one optimizer run (optimizer, learning rate, momentum, Nesterov) and presets.

A run's widgets have keys ``{prefix}{i}_opt``, ``_lr``, ``_mom``, ``_nest``; the same keys are
URL parameters, so a link carries every run. ``build`` turns the chosen values into an engine
optimizer; the engine's own validation produces the message the page shows if they are bad.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from engine.optimizers import OPTIMIZERS, Optimizer
from ui.url import Param

CHOICES = ("sgd", "keras_sgd", "adagrad", "rmsprop", "adam", "adamw")
LR_MIN, LR_MAX = 1e-6, 10.0
MOMENTUM_MAX = 0.999
LABELS = tuple(OPTIMIZERS[k].name for k in CHOICES)


@dataclass(frozen=True)
class RunChoice:
    """What the learner picked for one run."""

    optimizer: str
    lr: float
    momentum: float
    nesterov: bool

    @property
    def label(self) -> str:
        """A short legend name, e.g. "Momentum 0.9, lr 0.01"."""
        name = OPTIMIZERS[self.optimizer].name
        if self.optimizer in ("sgd", "keras_sgd") and self.momentum > 0:
            name = ("Nesterov " if self.nesterov else "Momentum ") + f"{self.momentum:g}"
            if self.optimizer == "keras_sgd":
                name += " (Keras)"
        elif self.optimizer == "sgd":
            name = "GD"
        return f"{name}, lr {self.lr:g}"

    @property
    def adaptive(self) -> bool:
        return self.optimizer in ("adagrad", "rmsprop", "adam", "adamw")

    def build(self) -> Optimizer:
        """The engine optimizer (ValueError with the engine's message if a value is invalid)."""
        key = self.optimizer
        if key in ("sgd", "keras_sgd"):
            nesterov = self.nesterov and self.momentum > 0
            return OPTIMIZERS[key](lr=self.lr, momentum=self.momentum, nesterov=nesterov)
        if key == "rmsprop":
            return OPTIMIZERS[key](lr=self.lr, momentum=self.momentum)
        if key in ("adam", "adamw"):
            return OPTIMIZERS[key](lr=self.lr, betas=(self.momentum, 0.999))
        return OPTIMIZERS[key](lr=self.lr)


def run_params(prefix: str, count: int) -> list[Param]:
    """URL parameters of ``count`` runs."""
    params = []
    for i in range(count):
        params += [
            Param(f"{prefix}{i}_opt", "choice", "sgd", choices=CHOICES, labels=LABELS),
            Param(f"{prefix}{i}_lr", "float", 0.01, LR_MIN, LR_MAX),
            Param(f"{prefix}{i}_mom", "float", 0.0, 0.0, MOMENTUM_MAX),
            Param(f"{prefix}{i}_nest", "bool", False),
        ]
    return params


def run_controls(prefix: str, i: int, defaults: RunChoice) -> RunChoice:
    """The four widgets of run ``i`` (seeded from ``defaults`` the first time)."""
    keys = {name: f"{prefix}{i}_{name}" for name in ("opt", "lr", "mom", "nest")}
    initial = {"opt": defaults.optimizer, "lr": defaults.lr, "mom": defaults.momentum,
               "nest": defaults.nesterov}  # fmt: skip
    for name, key in keys.items():
        st.session_state.setdefault(key, initial[name])
    optimizer = st.selectbox(
        "Optimizer",
        CHOICES,
        key=keys["opt"],
        format_func=lambda k: OPTIMIZERS[k].name,
        bind="query-params",
    )
    lr = st.number_input(
        "Learning rate γ",
        min_value=LR_MIN,
        max_value=LR_MAX,
        format="%.6g",
        key=keys["lr"],
        bind="query-params",
    )
    beta = optimizer in ("adam", "adamw")
    st.slider(
        "β₁ (first-moment decay)" if beta else "Momentum μ",
        0.0,
        MOMENTUM_MAX,
        step=0.01,
        key=keys["mom"],
        bind="query-params",
        disabled=optimizer == "adagrad",
        help="Adam's β₁ plays the role of momentum." if beta else None,
    )
    st.checkbox(
        "Nesterov",
        key=keys["nest"],
        bind="query-params",
        disabled=optimizer not in ("sgd", "keras_sgd"),
    )
    return RunChoice(
        optimizer,
        float(lr),
        float(st.session_state[keys["mom"]]),
        bool(st.session_state[keys["nest"]]),
    )


def run_preset_values(prefix: str, runs: list[RunChoice]) -> dict[str, Any]:
    """Session-state values that set runs 0 … n−1 to ``runs``."""
    values: dict[str, Any] = {}
    for i, r in enumerate(runs):
        values |= {f"{prefix}{i}_opt": r.optimizer, f"{prefix}{i}_lr": r.lr,
                   f"{prefix}{i}_mom": r.momentum, f"{prefix}{i}_nest": r.nesterov}  # fmt: skip
    return values


def preset_picker(
    presets: Mapping[str, Mapping[str, Any]], key: str, on_apply: Callable[[], None] | None = None
) -> None:
    """A preset menu and an Apply button that sets every listed control at once."""

    def apply() -> None:
        for name, value in presets[st.session_state[key]].items():
            st.session_state[name] = value
        if on_apply is not None:
            on_apply()

    cols = st.columns([3, 1], vertical_alignment="bottom")
    cols[0].selectbox("Preset", list(presets), key=key)
    cols[1].button("Apply preset", key=f"{key}_apply", on_click=apply, width="stretch")
