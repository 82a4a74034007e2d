"""The optimizer race's defaults, presets and URL parameters."""

from __future__ import annotations

from typing import Any

from engine.surfaces import SURFACES, SURFACES_2D
from i18n import N_
from ui.params import Lesson, Param
from ui.runs import RunChoice, run_params, run_preset_values
from ui.surface_lesson import MAX_STEPS

P = "race_"
MAX_RUNS = 6

DEFAULT_RUNS = [
    RunChoice("sgd", 1e-3, 0.0, False),
    RunChoice("sgd", 1e-3, 0.9, False),
    RunChoice("rmsprop", 1e-2, 0.0, False),
    RunChoice("adam", 5e-2, 0.9, False),
    RunChoice("sgd", 1e-3, 0.9, True),
    RunChoice("adagrad", 0.5, 0.0, False),
]


def _start_values(key: str, x: float, y: float) -> dict[str, Any]:
    return {f"{P}surface": key, f"{P}x0": x, f"{P}y0": y}


PRESETS: dict[str, dict[str, Any]] = {
    N_("Rosenbrock: four optimizers (default)"): {
        **_start_values("rosenbrock", -1.2, 1.0), f"{P}steps": 600, f"{P}runs": 4,
        f"{P}noise": 0.0, **run_preset_values(P, DEFAULT_RUNS[:4]),
    },
    N_("Beale race (after Alec Radford's animation)"): {
        **_start_values("beale", 1.0, 1.5), f"{P}steps": 800, f"{P}runs": 6, f"{P}noise": 0.0,
        **run_preset_values(P, [
            RunChoice("sgd", 1e-3, 0.0, False), RunChoice("sgd", 1e-3, 0.9, False),
            RunChoice("sgd", 1e-3, 0.9, True), RunChoice("adagrad", 0.5, 0.0, False),
            RunChoice("rmsprop", 0.01, 0.0, False), RunChoice("adam", 0.05, 0.9, False),
        ]),
    },
    N_("Saddle escape"): {
        **_start_values("saddle", -1.9, 0.01), f"{P}steps": 80, f"{P}runs": 3, f"{P}noise": 0.0,
        **run_preset_values(P, [
            RunChoice("sgd", 0.05, 0.0, False), RunChoice("sgd", 0.05, 0.9, False),
            RunChoice("adam", 0.05, 0.9, False),
        ]),
    },
    N_("Distill's banana: momentum overshoots the bend"): {
        **_start_values("banana", -1.5, 1.2), f"{P}steps": 300, f"{P}runs": 3, f"{P}noise": 0.0,
        **run_preset_values(P, [
            # lr × λmax ≈ 0.002 × 670 = 1.3 < 2 at the start: 0.005 (3.3) blew all three up.
            RunChoice("sgd", 0.002, 0.0, False), RunChoice("sgd", 0.002, 0.9, False),
            RunChoice("sgd", 0.002, 0.99, False),
        ]),
    },
    N_("Ill-conditioned valley: GD zig-zags"): {
        **_start_values("ill_conditioned", 3.46, 2.52), f"{P}steps": 150, f"{P}runs": 3,
        f"{P}noise": 0.0, f"{P}kappa": 25.0,
        **run_preset_values(P, [
            RunChoice("sgd", 1.9, 0.0, False), RunChoice("sgd", 0.5, 0.0, False),
            RunChoice("sgd", 1.2, 0.64, False),
        ]),
    },
    N_("Too large a step: watch it diverge"): {
        **_start_values("ill_conditioned", 3.46, 2.52), f"{P}steps": 200, f"{P}runs": 2,
        f"{P}noise": 0.0, f"{P}kappa": 25.0,
        **run_preset_values(P, [
            RunChoice("sgd", 1.9, 0.0, False), RunChoice("sgd", 2.1, 0.0, False),
        ]),
    },
    N_("Noisy gradients help escape the saddle"): {
        **_start_values("saddle", -1.9, 0.0), f"{P}steps": 80, f"{P}runs": 1, f"{P}noise": 0.5,
        **run_preset_values(P, [RunChoice("sgd", 0.05, 0.0, False)]),
    },
}  # fmt: skip

DEFAULT_PRESET = N_("Rosenbrock: four optimizers (default)")
START_LIMIT = 1e3  # |x₀|, |y₀|: the widgets and the links accept the same range

LESSON = Lesson(
    "race",
    (
        Param(f"{P}surface", "choice", "rosenbrock", choices=SURFACES_2D,
              labels=tuple(SURFACES[k].name for k in SURFACES_2D), label=N_("Loss surface")),
        Param(f"{P}x0", "float", -1.2, -START_LIMIT, START_LIMIT, label=N_("Start x"),
              step=0.1, format="%.4g"),
        Param(f"{P}y0", "float", 1.0, -START_LIMIT, START_LIMIT, label=N_("Start y"),
              step=0.1, format="%.4g"),
        Param(f"{P}steps", "int", 600, 1, MAX_STEPS, label=N_("Steps"), step=50),
        Param(f"{P}runs", "int", 4, 1, MAX_RUNS, label=N_("Runners")),
        Param(f"{P}noise", "float", 0.0, 0.0, 100.0, label=N_("Simulated gradient noise σ"),
              step=0.1, help=N_("Adds Gaussian noise N(0, σ²) to every gradient — a stand-in "
                                "for mini-batch noise (simulated, not from data; the "
                                "Sum-or-mean lesson uses real mini-batches).")),
        Param(f"{P}kappa", "float", 25.0, 1.0, 1000.0, label=N_("Condition number κ"),
              step=1.0),
        Param(f"{P}state", "bool", True, label=N_("Show optimizer state"),
              help=N_("Arrows for the gradient and the velocity, and the √v box of adaptive "
                      "optimizers.")),
        Param(f"{P}3d", "bool", False,
              label=N_("Show the paths on a 3-D view of the surface")),
        *run_params(P, DEFAULT_RUNS),
    ),
    PRESETS,
    DEFAULT_PRESET,
)  # fmt: skip
