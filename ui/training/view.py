"""Names and descriptions the "What is training?" page shows around its charts."""

from __future__ import annotations

from figures.training import STAGE_PICKER_TRACE
from i18n import _
from ui.training.compute import Setup
from ui.training.params import COMPARE, COMPARED_NAMES

STAGE_KEY = "tr_stage"  # the stage chart's key: its click selection lands here


def picker_trace() -> int:
    """The index of the stage chart's invisible trace that takes clicks on the plane."""
    return STAGE_PICKER_TRACE


def compared_name(setup: Setup) -> str:
    """What the A/B comparison changes, in words ("batch size", "activation")."""
    return _(COMPARED_NAMES[COMPARE.index(setup.compare)])


def stage_alt(setup: Setup) -> str:
    """The stage chart in words, for screen readers and for the caption under it."""
    if len(setup.labels) == 1:
        return _("The network's prediction over the plane for run {a} as training goes on, "
                 "with the training points (filled) and test points (hollow), misclassified "
                 "ones crossed, and the training (solid) and test (dashed) loss below. Click "
                 "the plane to add a point.").format(a=setup.labels[0])  # fmt: skip
    return _("The network's prediction over the plane for run {a} and run {b} as training goes "
             "on, with the training points (filled) and test points (hollow), misclassified "
             "ones crossed, and the training (solid) and test (dashed) loss below. Click the "
             "plane to add a point.").format(a=setup.labels[0], b=setup.labels[1])  # fmt: skip
