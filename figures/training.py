"""Figures and exports of the "What is training?" lesson, all importable from here.

* ``training_stage_figure(result, data, labels, ...)`` — the animated stage: per run the
  prediction over the plane (points, the misclassified crossed), the loss and accuracy
  (``figures.training_stage``; ``STAGE_PICKER_TRACE`` is its click grid's trace index).
* ``network_figure(unit_maps, weights, ...)`` — every unit's output as a thumbnail, the weights
  as lines (``figures.training_panels``).
* ``step_figure(detail, data, ...)`` — one iteration in four panels (``figures.training_panels``).
* ``history_csv(result, labels)`` — the training history as CSV text: one row per run and frame.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import numpy as np

from engine.training import TrainResult
from figures.training_panels import network_figure, step_figure
from figures.training_stage import STAGE_PICKER_TRACE, training_stage_figure
from i18n import N_, _

__all__ = [
    "STAGE_PICKER_TRACE",
    "history_csv",
    "network_figure",
    "step_figure",
    "training_stage_figure",
]

HISTORY_COLUMNS = (N_("run"), N_("step"), N_("epoch"), N_("examples_seen"), N_("train_loss"),
                   N_("test_loss"), N_("train_accuracy"), N_("test_accuracy"))  # fmt: skip


def history_csv(result: TrainResult, labels: Sequence[str]) -> str:
    """The history of K runs as CSV: a header, then one row per run per frame (run by run).

    Columns ``HISTORY_COLUMNS`` (headed in the current language): the run's label, its optimizer
    step and epoch at the frame, the examples it had seen, and the loss and accuracy on the
    training and test sets. Numbers are written to 10 significant digits; NaN (a diverged run,
    regression accuracy) is an empty cell, which spreadsheets and pandas read as missing.

    Raises:
        ValueError: a label count that is not K.
    """
    F, K = result.frame_steps.shape
    if len(labels) != K:
        raise ValueError(f"{K} runs need {K} labels, got {len(labels)}")
    columns = [result.frame_epochs, result.frame_examples, result.train_loss, result.test_loss,
               result.train_accuracy, result.test_accuracy]  # fmt: skip
    # A diverged run's frames have NaN weights; their accuracy (no prediction is right) is
    # no measurement either, so those rows are empty, as the stage's curves stop there.
    dead = (result.diverged_at >= 0) & (result.frame_steps >= result.diverged_at)  # (F, K)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([_(name) for name in HISTORY_COLUMNS])
    for k, label in enumerate(labels):
        for f in range(F):
            values = [float(np.asarray(c)[f, k]) for c in columns]
            if dead[f, k]:
                values[2:] = [np.nan] * 4
            cells = ["" if not np.isfinite(v) else f"{v:.10g}" for v in values]
            cells[1] = cells[1] and str(round(values[1]))  # examples are a count
            writer.writerow([label, int(result.frame_steps[f, k]), *cells])
    return buffer.getvalue()
