"""The "Uncrumpling the paper ball" lesson's words, and the sentences built from its numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence

INTRO = (
    "Two sheets of paper, crumpled together into a ball: that is the input. Each layer is one "
    "movement of the fingers — a linear map W (rotate, stretch, shear, flip), a shift +b, then "
    "tanh bends or ReLU folds — until one straight cut separates the sheets. Watch a network "
    "you train do it, layer by layer."
)
READ_NOTE = (
    "Each stop of the slider is one operation: W, then +b, then the activation, for every "
    "layer. ▶ Play morphs the points and the grid from one to the next; the grid shows what "
    "happens to the whole plane, not only to the data. The last stop draws the output unit's "
    "straight cut. Move *Training progress* to see the same network earlier in its training."
)
PULLBACK_NOTE = (
    "The output unit can only cut straight, in the last plane (right). Mapped back through "
    "every layer to the input plane, that straight cut is the network's curved decision "
    "boundary (left): the same line, seen through the deformation."
)
SEPARABILITY_NOTE = (
    "At every stage, a logistic regression fitted to the points there finds the best straight "
    "cut it can: its accuracy measures how linearly separable the data has become. The "
    "network's job is to bring it to 100 % by the last stage."
)
CANNOT = (
    "**When it cannot work.** With 2 units, a tanh layer (and each of its three steps) is a "
    "continuous map of the plane that can be undone — it moves and bends the plane but never "
    "tears or glues it. A disc inside a ring stays inside it under any number of such maps, so "
    "no straight line ever separates them, whatever the depth: the training stalls below 100 %. "
    "With 3 units per layer the plane is mapped into space, where the network can lift the "
    "disc above the ring and a flat cut separates them (preset *Circles: 2 units are not "
    "enough, 3 are*). ReLU layers can glue — they press half the plane onto a line — which is "
    "why they fold, and why their stages can lose points' distinctions for good."
)


SEPARATED = 0.98  # a straight cut this accurate counts as separating the classes


def percent(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{100 * value:.0f} %"


def separability_sentence(label: str, names: Sequence[str], scores: Sequence[float]) -> str:
    """Where a straight cut first reaches its best, in numbers."""
    first = percent(scores[0])
    last = percent(scores[-1])
    reached = next((names[i] for i, s in enumerate(scores) if math.isfinite(s) and s >= SEPARATED),
                   None)  # fmt: skip
    who = f"{label}: " if label else ""
    if reached is None:
        return (f"{who}the best straight cut gets {first} right at the input and {last} at the "
                "last stage: the layers have not untangled the classes.")  # fmt: skip
    if reached == names[0]:
        return f"{who}a straight cut already separates the classes at the input ({first})."
    return (f"{who}the best straight cut gets {first} right at the input; from stage "
            f"**{reached}** on, one straight cut separates the classes "
            f"(last stage: {last}).")  # fmt: skip
