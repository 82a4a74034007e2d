"""Controls for one optimizer run (optimizer, learning rate, momentum, Nesterov) and presets.

A run's widgets have keys ``{prefix}{i}_opt``, ``_lr``, ``_mom``, ``_nest``; the same keys are
URL parameters, so a link carries every run. ``build`` turns the chosen values into an engine
optimizer; the engine's own validation produces the message the page shows if they are bad.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from engine.optimizers import OPTIMIZERS, Optimizer
from i18n import N_, _, number
from ui.params import Lesson, Param
from ui.url import set_values
from ui.widgets import draw

CHOICES = ("sgd", "keras_sgd", "adagrad", "rmsprop", "adam", "adamw")
LR_MIN, LR_MAX = 1e-6, 10.0
MOMENTUM_MAX = 0.999
LABELS = tuple(OPTIMIZERS[k].name for k in CHOICES)  # marked in the registry (N_)


@dataclass(frozen=True)
class RunChoice:
    """What the learner picked for one run."""

    optimizer: str
    lr: float
    momentum: float
    nesterov: bool

    @property
    def label(self) -> str:
        """A short legend name in the current language, e.g. "Momentum 0.9, lr 0.01"."""
        lr = number(self.lr, "g")
        if self.optimizer in ("sgd", "keras_sgd") and self.momentum > 0:
            keras = self.optimizer == "keras_sgd"
            if self.nesterov:
                name = (
                    _("Nesterov {momentum} (Keras), lr {lr}")
                    if keras
                    else _("Nesterov {momentum}, lr {lr}")
                )
            else:
                name = (
                    _("Momentum {momentum} (Keras), lr {lr}")
                    if keras
                    else _("Momentum {momentum}, lr {lr}")
                )
            return name.format(momentum=number(self.momentum, "g"), lr=lr)
        if self.optimizer == "sgd":
            return _("GD, lr {lr}").format(lr=lr)
        optimizer = _(OPTIMIZERS[self.optimizer].name)
        return _("{optimizer}, lr {lr}").format(optimizer=optimizer, lr=lr)

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


def run_params(prefix: str, defaults: Sequence[RunChoice]) -> list[Param]:
    """The declared parameters of one run per entry of ``defaults`` (its defaults)."""
    params = []
    for i, d in enumerate(defaults):
        params += [
            Param(f"{prefix}{i}_opt", "choice", d.optimizer, choices=CHOICES, labels=LABELS,
                  label=N_("Optimizer")),
            Param(f"{prefix}{i}_lr", "float", d.lr, LR_MIN, LR_MAX, label=N_("Learning rate γ"),
                  widget="log_slider",
                  help=N_("A log scale: ten notches per factor of 10 "
                          "(1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8).")),
            Param(f"{prefix}{i}_mom", "float", d.momentum, 0.0, MOMENTUM_MAX,
                  label=N_("Momentum μ"), widget="slider", step=0.01),
            Param(f"{prefix}{i}_nest", "bool", d.nesterov, label=N_("Nesterov"), widget="checkbox"),
        ]  # fmt: skip
    return params


def run_choice(prefix: str, i: int, values: Mapping[str, Any]) -> RunChoice:
    """Run ``i`` as ``values`` (a lesson's current values) describe it."""
    return RunChoice(
        str(values[f"{prefix}{i}_opt"]),
        float(values[f"{prefix}{i}_lr"]),
        float(values[f"{prefix}{i}_mom"]),
        bool(values[f"{prefix}{i}_nest"]),
    )


def run_controls(lesson: Lesson, prefix: str, i: int) -> RunChoice:
    """The four widgets of run ``i``; returns what they are set to."""
    key = f"{prefix}{i}_"
    optimizer = draw(lesson.param(key + "opt"))
    draw(lesson.param(key + "lr"))
    beta = optimizer in ("adam", "adamw")
    draw(
        lesson.param(key + "mom"),
        label=_("β₁ (first-moment decay)") if beta else _("Momentum μ"),
        disabled=optimizer == "adagrad",
        help=_("Adam's β₁ plays the role of momentum.") if beta else None,
    )
    draw(lesson.param(key + "nest"), disabled=optimizer not in ("sgd", "keras_sgd"))
    return run_choice(
        prefix,
        i,
        {k: st.session_state[k] for k in (key + "opt", key + "lr", key + "mom", key + "nest")},
    )


def run_preset_values(prefix: str, runs: list[RunChoice]) -> dict[str, Any]:
    """Parameter values that set runs 0 … n−1 to ``runs``."""
    values: dict[str, Any] = {}
    for i, r in enumerate(runs):
        values |= {f"{prefix}{i}_opt": r.optimizer, f"{prefix}{i}_lr": r.lr,
                   f"{prefix}{i}_mom": r.momentum, f"{prefix}{i}_nest": r.nesterov}  # fmt: skip
    return values


def preset_picker(lesson: Lesson, where: Any = st) -> None:
    """A preset menu and an Apply button that sets every parameter of the lesson at once
    (the ones the preset does not name to their defaults), so a preset is one exact run."""
    key = f"{lesson.name}_preset"

    def apply() -> None:
        set_values(lesson, lesson.preset_values(st.session_state[key]))

    where.selectbox(_("Preset"), list(lesson.presets), key=key, format_func=_)
    where.button(_("Apply preset"), key=f"{key}_apply", on_click=apply, icon=":material/tune:",
                 help=_("Set every control of this lesson to the chosen preset."))  # fmt: skip
