"""The "Uncrumpling the paper ball" lesson's words, and the sentences built from its numbers.

The constants are marked for the catalogue (``N_``) and translated where the page shows them;
``CANNOT`` names a preset, filled in (translated) by ``cannot()``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from i18n import N_, _, ngettext, number
from ui.uncrumpling.params import CIRCLES

INTRO = N_(
    "Two sheets of paper, crumpled together into a ball: that is the input. Each layer is one "
    "movement of the fingers — a linear map W (rotate, stretch, shear, flip), a shift +b, then "
    "tanh bends or ReLU folds — until one straight cut separates the sheets. Watch a network "
    "you train do it, layer by layer."
)
READ_NOTE = N_(
    "Each stop of the slider is one operation: W, then +b, then the activation, for every "
    "layer. ▶ Play morphs the points and the grid from one to the next; the grid shows what "
    "happens to the whole plane, not only to the data. The last stop draws the output unit's "
    "straight cut. Move *Training progress* to see the same network earlier in its training."
)
PULLBACK_NOTE = N_(
    "The output unit can only cut straight, in the last plane (right). Mapped back through "
    "every layer to the input plane, that straight cut is the network's curved decision "
    "boundary (left): the same line, seen through the deformation."
)
SEPARABILITY_NOTE = N_(
    "At every stage, a logistic regression fitted to the points there finds the best straight "
    "cut it can: its accuracy measures how linearly separable the data has become. The "
    "network's job is to bring it to 100 % by the last stage."
)
CANNOT = N_(
    "**When it cannot work.** With 2 units, a tanh layer (and each of its three steps) is a "
    "continuous map of the plane that can be undone — it moves and bends the plane but never "
    "tears or glues it. A disc inside a ring stays inside it under any number of such maps, so "
    "no straight line ever separates them, whatever the depth: the training stalls below 100 %. "
    "With 3 units per layer the plane is mapped into space, where the network can lift the "
    "disc above the ring and a flat cut separates them (preset *{preset}*). ReLU layers can "
    "glue — they press half the plane onto a line — which is why they fold, and why their "
    "stages can lose points' distinctions for good."
)


def cannot() -> str:
    """``CANNOT`` in the current language, naming its preset as the preset menu does."""
    return _(CANNOT).format(preset=_(CIRCLES))


SEPARATED = 0.98  # a straight cut this accurate counts as separating the classes


def percent(value: float) -> str:
    """``value`` (a share, 0 … 1) in whole per cent; a dash when it is not a number."""
    if not math.isfinite(value):
        return "—"
    # Translators: a share in per cent, e.g. "87 %"; {percent} is the number.
    return _("{percent} %").format(percent=number(100 * value, ".0f"))


def separability_sentence(label: str, names: Sequence[str], scores: Sequence[float]) -> str:
    """Where a straight cut first reaches its best, in numbers (``label``, already translated:
    the network's name when two are compared, else empty)."""
    first = percent(scores[0])
    last = percent(scores[-1])
    reached = next((names[i] for i, s in enumerate(scores) if math.isfinite(s) and s >= SEPARATED),
                   None)  # fmt: skip
    if reached is None:
        if label:
            return _("{label}: the best straight cut gets {first} right at the input and "
                     "{last} at the last stage: the layers have not untangled the "
                     "classes.").format(label=label, first=first, last=last)  # fmt: skip
        return _("The best straight cut gets {first} right at the input and {last} at the last "
                 "stage: the layers have not untangled the classes.").format(
            first=first, last=last
        )  # fmt: skip
    if reached == names[0]:
        if label:
            return _("{label}: a straight cut already separates the classes at the input "
                     "({first}).").format(label=label, first=first)  # fmt: skip
        return _("A straight cut already separates the classes at the input ({first}).").format(
            first=first
        )
    if label:
        return _("{label}: the best straight cut gets {first} right at the input; from stage "
                 "**{stage}** on, one straight cut separates the classes (last stage: "
                 "{last}).").format(label=label, first=first, stage=reached,
                                    last=last)  # fmt: skip
    return _("The best straight cut gets {first} right at the input; from stage **{stage}** on, "
             "one straight cut separates the classes (last stage: {last}).").format(
        first=first, stage=reached, last=last
    )  # fmt: skip


# The page's headings and chart descriptions. ``label`` names the network when two are
# compared side by side (marked, untranslated: translated here), else it is empty.


def heading(label: str, steps: int, progress: int) -> str:
    """The title over a network's stage: how far its training got."""
    if label:
        return ngettext("**{label}: the network after {steps} step ({progress} % of training)**",
                        "**{label}: the network after {steps} steps ({progress} % of "
                        "training)**", steps).format(label=_(label), steps=steps,
                                                     progress=progress)  # fmt: skip
    return ngettext("**The network after {steps} step ({progress} % of training)**",
                    "**The network after {steps} steps ({progress} % of training)**",
                    steps).format(steps=steps, progress=progress)  # fmt: skip


def morph_alt(label: str, layers: int, width: int, activation: str) -> str:
    """The stage chart in words (``activation``: the activation's name as the menu shows it,
    marked, untranslated)."""
    if label:
        return ngettext("{label}: the data and the grid moved stage by stage through {layers} "
                        "layer of {width} {activation} units",
                        "{label}: the data and the grid moved stage by stage through {layers} "
                        "layers of {width} {activation} units",
                        layers).format(label=_(label), layers=layers, width=width,
                                       activation=_(activation))  # fmt: skip
    return ngettext("The data and the grid moved stage by stage through {layers} layer of "
                    "{width} {activation} units",
                    "The data and the grid moved stage by stage through {layers} layers of "
                    "{width} {activation} units",
                    layers).format(layers=layers, width=width,
                                   activation=_(activation))  # fmt: skip


def boundary_title(label: str) -> str:
    if label:
        return _("**The input plane: the curved decision boundary ({label})**").format(
            label=_(label)
        )
    return _("**The input plane: the curved decision boundary**")


def boundary_alt(label: str) -> str:
    if label:
        return _("The decision boundary in the input plane ({label})").format(label=_(label))
    return _("The decision boundary in the input plane")


def cut_title(label: str) -> str:
    if label:
        return _("**The last layer's output: the straight cut ({label})**").format(label=_(label))
    return _("**The last layer's output: the straight cut**")


def cut_alt(label: str) -> str:
    if label:
        return _("The last hidden layer's output with the output's straight cut "
                 "({label})").format(label=_(label))  # fmt: skip
    return _("The last hidden layer's output with the output's straight cut")


def separability_alt(label: str) -> str:
    if label:
        return _("The best straight cut's accuracy at every stage ({label})").format(label=_(label))
    return _("The best straight cut's accuracy at every stage")
