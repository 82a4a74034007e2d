"""The rolling-ball lesson's defaults, presets and URL parameters."""

from __future__ import annotations

from typing import Any

from engine.surfaces import SURFACES, SURFACES_1D
from i18n import N_
from ui.params import Lesson, Param
from ui.runs import RunChoice, run_params, run_preset_values
from ui.surface_lesson import MAX_STEPS

P = "ball_"
MAX_BALLS = 4
DEFAULT_RUNS = [
    RunChoice("sgd", 0.01, 0.0, False),
    RunChoice("sgd", 0.01, 0.9, False),
    RunChoice("adam", 0.05, 0.9, False),
    RunChoice("sgd", 0.01, 0.9, True),
]
PRESETS: dict[str, dict[str, Any]] = {
    N_("Momentum rolls out of a local minimum (default)"): {
        f"{P}surface": "asymmetric_double_well", f"{P}w0": 1.9, f"{P}steps": 300, f"{P}balls": 2,
        **run_preset_values(P, DEFAULT_RUNS[:2]),
    },
    N_("Step size: creep, oscillate, diverge"): {
        f"{P}surface": "quadratic_1d", f"{P}w0": 2.5, f"{P}steps": 30, f"{P}balls": 4,
        **run_preset_values(P, [
            RunChoice("sgd", 0.3, 0.0, False), RunChoice("sgd", 1.0, 0.0, False),
            RunChoice("sgd", 1.8, 0.0, False), RunChoice("sgd", 2.05, 0.0, False),
        ]),
    },
    N_("A kink never settles (|w|)"): {
        f"{P}surface": "abs_1d", f"{P}w0": 2.35, f"{P}steps": 60, f"{P}balls": 2,
        **run_preset_values(P, [
            RunChoice("sgd", 0.3, 0.0, False), RunChoice("adam", 0.3, 0.9, False),
        ]),
    },
    N_("Flat bottom: GD crawls, Adam keeps its pace"): {
        f"{P}surface": "quartic_1d", f"{P}w0": 1.0, f"{P}steps": 200, f"{P}balls": 2,
        **run_preset_values(P, [
            RunChoice("sgd", 0.05, 0.0, False), RunChoice("adam", 0.05, 0.9, False),
        ]),
    },
    N_("Bumpy bowl: momentum hops over bumps"): {
        f"{P}surface": "rastrigin_1d", f"{P}w0": 3.4, f"{P}steps": 300, f"{P}balls": 2,
        **run_preset_values(P, [
            RunChoice("sgd", 0.002, 0.0, False), RunChoice("sgd", 0.002, 0.97, False),
        ]),
    },
}  # fmt: skip
DEFAULT_PRESET = N_("Momentum rolls out of a local minimum (default)")
START_LIMIT = 1e3  # |w₀|: the widget and the links accept the same range

LESSON = Lesson(
    "rolling_ball",
    (
        Param(f"{P}surface", "choice", "asymmetric_double_well", choices=SURFACES_1D,
              labels=tuple(SURFACES[k].name for k in SURFACES_1D), label=N_("Loss curve")),
        Param(f"{P}w0", "float", 1.9, -START_LIMIT, START_LIMIT, label=N_("Start w"),
              step=0.1, format="%.4g"),
        Param(f"{P}steps", "int", 300, 1, MAX_STEPS, label=N_("Steps"), step=50),
        Param(f"{P}balls", "int", 2, 1, MAX_BALLS, label=N_("Balls")),
        *run_params(P, DEFAULT_RUNS),
    ),
    PRESETS,
    DEFAULT_PRESET,
)  # fmt: skip
