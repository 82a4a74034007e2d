"""The "Uncrumpling the paper ball" lesson's controls, presets and URL parameters.

Every control is declared once here (``ui.params``), so the link carries the data, the narrow
network, its training, the moment of training shown and what is compared side by side. The
learner's own points travel in the link in the training lesson's code (``ui.training.points``);
a button copies them over from "What is training?".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from i18n import N_, ngettext, number
from ui.params import Lesson, Param
from ui.training.points import MAX_TEXT, decode_points, validate_text

P = "uc_"
OWN = "own"
DATA = ("moons", "circles", "xor", "spiral", OWN)
DATA_LABELS = (N_("Two moons"), N_("Circles (a disc inside a ring)"), "XOR", N_("Spiral"),
               N_("My points (from What is training?)"))  # fmt: skip
ACTS = ("tanh", "relu", "leaky_relu", "sigmoid")
ACT_LABELS = ("tanh", "ReLU", "Leaky ReLU", N_("Sigmoid"))
MAX_LAYERS = 6
SNAPSHOTS = 21  # moments of training kept: 0 %, 5 %, …, 100 %
COMPARE = ("none", "activation", "width")
COMPARE_LABELS = (N_("Nothing"), N_("ReLU and tanh"), N_("2 and 3 units per layer"))

LESSON_PARAMS = (
    Param(f"{P}data", "choice", "moons", choices=DATA, labels=DATA_LABELS, label=N_("Data")),
    Param(f"{P}n", "int", 300, 50, 1000, label=N_("Examples N"), step=50),
    Param(f"{P}noise", "float", 0.1, 0.0, 0.5, label=N_("Noise"), step=0.05),
    Param(f"{P}data_seed", "int", 0, 0, 9999, label=N_("Data seed")),
    Param(f"{P}pts", "text", "", label=N_("My points"), widget="none", max_length=MAX_TEXT,
          validate=validate_text),
    Param(f"{P}layers", "int", 1, 1, MAX_LAYERS, label=N_("Hidden layers"), widget="slider"),
    Param(f"{P}width", "int", 2, 2, 3, label=N_("Units per layer"), widget="slider",
          help=N_("3 units: each layer maps into a 3-D space (drawn in 3-D).")),
    Param(f"{P}act", "choice", "tanh", choices=ACTS, labels=ACT_LABELS, label=N_("Activation")),
    Param(f"{P}epochs", "int", 100, 1, 1000, label=N_("Epochs")),
    Param(f"{P}lr", "float", 0.03, 1e-4, 1.0, label=N_("Learning rate (Adam)"),
          widget="log_slider"),
    Param(f"{P}init_seed", "int", 4, 0, 9999, label=N_("Weights seed"),
          help=N_("The same seed gives the same initial weights; another seed, another start.")),
    Param(f"{P}progress", "int", 100, 0, 100, label=N_("Training progress %"), widget="slider",
          step=5, help=N_("The network at this moment of training: 0 % is the untrained start.")),
    Param(f"{P}compare", "choice", "none", choices=COMPARE, labels=COMPARE_LABELS,
          label=N_("Side by side")),
    Param(f"{P}grid", "bool", True, label=N_("Show the grid")),
)  # fmt: skip


def _preset(**values: Any) -> dict[str, Any]:
    return {f"{P}{k}": v for k, v in values.items()}


MOONS = N_("Moons: one tanh layer of 2 untangles them")
SPIRAL = N_("Spiral: four layers of 2")
CIRCLES = N_("Circles: 2 units are not enough, 3 are")
XOR_RELU = N_("XOR with relu: folding the plane")
RELU_TANH = N_("Same data, relu vs tanh")
PRESETS: dict[str, dict[str, Any]] = {
    MOONS: _preset(),
    SPIRAL: _preset(data="spiral", layers=4, epochs=300, init_seed=0),
    CIRCLES: _preset(data="circles", layers=2, width=3, compare="width", epochs=200,
                     init_seed=0),
    XOR_RELU: _preset(data="xor", act="relu", layers=2, epochs=200, init_seed=0),
    RELU_TANH: _preset(compare="activation", layers=2, epochs=150, init_seed=0),
}  # fmt: skip
# What each preset shows, in the page's "What to watch" box (translated there).
WATCH: dict[str, str] = {
    MOONS: N_("The single layer rotates and stretches the plane (W), shifts it (+b), and tanh "
              "bends it: the two crescents end on either side of one straight line. (With "
              "weights seed 4. From most other starts the same network gets stuck near 88 %: "
              "training finds a solution, not always the one that exists.)"),
    SPIRAL: N_("Each layer unwinds the arms a little: the straight-cut score climbs from about "
               "59 % at the input to about 65 % at the end. Two arms wound round each other "
               "are too much for 2-unit layers, which can bend the plane but never tear it."),
    CIRCLES: N_("With 2 units per layer the disc stays inside the ring at every stage; with 3 "
                "the network lifts the disc out of the plane, and a flat cut separates them."),
    XOR_RELU: N_("ReLU folds the plane along a line: points on the negative side are pressed "
                 "onto an axis, bringing opposite quadrants together, until a straight cut "
                 "gets about 99 % right. (From other starts a ReLU unit can die, and the score "
                 "stalls near 76 %.)"),
    RELU_TANH: N_("The same data and start: tanh bends the plane smoothly and untangles the "
                  "moons (100 %); ReLU folds it along straight creases and, with these two "
                  "layers of 2, stalls near 87 %."),
}  # fmt: skip
DEFAULT_PRESET = MOONS


BATCH = 32  # examples per step (Adam on mini-batches)
MAX_STEPS = 10_000  # optimizer steps of all networks together: about 0.9 s on 2 cores


def n_examples(values: Mapping[str, Any]) -> int:
    """The training examples: N, or the learner's points (all of them train)."""
    if values[f"{P}data"] == OWN:
        return len(decode_points(str(values[f"{P}pts"])))
    return int(values[f"{P}n"])


def max_epochs(values: Mapping[str, Any]) -> int:
    """The most epochs that fit in ``MAX_STEPS`` steps of ``BATCH`` examples (shared by the
    two networks of a side-by-side comparison)."""
    per_epoch = max(1, math.ceil(n_examples(values) / BATCH))
    networks = 1 if values[f"{P}compare"] == "none" else 2
    return max(1, MAX_STEPS // (per_epoch * networks))


def constrain(values: dict[str, Any]) -> list[str]:
    """Keep the training within its budget, saying so."""
    most = max_epochs(values)
    if int(values[f"{P}epochs"]) > most:
        epochs = int(values[f"{P}epochs"])
        notices = [ngettext("{epochs} epoch of {n} examples is more than this page trains; "
                            "using {most} ({steps} steps).",
                            "{epochs} epochs of {n} examples are more than this page trains; "
                            "using {most} ({steps} steps).",
                            epochs).format(epochs=epochs, n=n_examples(values), most=most,
                                           steps=number(MAX_STEPS, ","))]  # fmt: skip
        values[f"{P}epochs"] = most
        return notices
    return []


LESSON = Lesson("uncrumpling", LESSON_PARAMS, PRESETS, DEFAULT_PRESET, constrain)


def matching_preset(values: Mapping[str, Any]) -> str | None:
    """The preset these values are (the moment of training and the grid aside), if any."""
    view = {f"{P}progress", f"{P}grid"}
    for name in PRESETS:
        preset = LESSON.preset_values(name)
        if all(values[k] == v for k, v in preset.items() if k not in view):
            return name
    return None
