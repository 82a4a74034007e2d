"""What the "What is training?" lesson says: the introduction, the loop, verdicts and notes.

The functions here turn results into sentences; they hold no Streamlit and no maths beyond
reading the numbers they are given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from engine.training import StepDetail, TrainResult
from ui.params import number_text

INTRO = (
    "Training repeats one loop: draw a *batch*, run the network on it (**forward pass**), "
    "measure the **loss**, find every weight's gradient (**backward pass**) and step against "
    "it (**update**). Press ▶ and watch the network's guess over the plane settle."
)

LOOP = (
    "**The loop, once per optimizer step.** 1. *Batch*: B examples drawn from the training "
    "set (B = 1 is true SGD, B = all of them is full-batch gradient descent, anything between "
    "is mini-batch SGD). 2. *Forward pass*: the network's prediction for each. 3. *Loss*: one "
    "number for the whole batch, the sum or the mean of the examples' losses. 4. *Backward "
    "pass*: the gradient of that number with respect to every weight. 5. *Update*: "
    "w ← w − lr · gradient (momentum and Adam change how far, not which way to start). One "
    "*epoch* is enough steps to draw every training example once."
)

AB_NOTE = (
    "Runs A and B start from the same initial weights and, when their batch sizes agree, "
    "draw exactly the same batches in the same order: whatever differs between the two "
    "pictures comes from the one setting they differ in."
)

THUMBS_NOTE = (
    "Each small square is one neuron: its output over the whole plane (blue low, orange "
    "high). The first layer can only draw straight edges of its inputs; each later layer "
    "combines the squares to its left. Lines are weights: solid blue positive, dashed "
    "vermillion negative, thicker means larger."
)

STEP_NOTE = (
    "The chosen step is recomputed from the start of the run, exactly as it happened: the "
    "same initial weights and the same batches, so these numbers are the ones the animation "
    "showed."
)

UPLOAD_NOTE = (
    "This run uses your uploaded file. A link cannot carry a file: whoever opens the link "
    "below gets every setting, but the dataset chosen in the menu instead of your file."
)

CONCLUSION = (
    "**What to take away.** Training is the same five-part loop whatever the network: batch, "
    "forward pass, loss, backward pass, update. The batch size decides how noisy each step "
    "is and how many steps an epoch has; the sum makes the gradient B times larger than the "
    "mean, so the same learning rate behaves like a B times larger one; momentum carries the "
    "weights through flat stretches; adaptive optimizers like Adam rescale every weight's "
    "step and barely notice sum or mean. And the test curve, not the training curve, says "
    "whether the network learned the shape or only the examples."
)


def _value(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.3g}"


def final_line(result: TrainResult, k: int, label: str, classification: bool) -> str:
    """What run k reached at its last frame, e.g. "A: test accuracy 97 %, loss 0.08"."""
    loss = _last(result.test_loss[:, k]) if np.isfinite(result.test_loss).any() else math.nan
    train_loss = _last(result.train_loss[:, k])
    if classification:
        acc = _last(result.test_accuracy[:, k])
        if not math.isfinite(acc):
            acc = _last(result.train_accuracy[:, k])
            return f"**{label}**: training accuracy {acc:.0%}, training loss {_value(train_loss)}"
        return (f"**{label}**: test accuracy {acc:.0%}, test loss {_value(loss)} "
                f"(training loss {_value(train_loss)})")  # fmt: skip
    if math.isfinite(loss):
        return f"**{label}**: test loss {_value(loss)} (training loss {_value(train_loss)})"
    return f"**{label}**: training loss {_value(train_loss)}"


def _last(series: np.ndarray) -> float:
    finite = series[np.isfinite(series)]
    return float(finite[-1]) if len(finite) else math.nan


def divergence_note(result: TrainResult, k: int, label: str, lr: float) -> str | None:
    """Why run k blew up, in words, or None if it did not."""
    t = int(result.diverged_at[k])
    if t < 0:
        return None
    return (
        f"Run {label} diverged at step {t}: the loss grew without bound until it was no "
        f"longer a number. Each step overshot the valley it was aiming for and landed higher "
        f"up the other side, so the next gradient was larger still. Try a smaller learning "
        f"rate than {number_text(lr)} (the mean instead of the sum has the same effect), or "
        "an adaptive optimizer such as Adam."
    )


def verdict(result: TrainResult, labels: Sequence[str], compared: str,
            classification: bool) -> str:  # fmt: skip
    """One line on what differed between runs A and B."""
    if result.train_loss.shape[1] < 2:
        return ""
    a, b = (_last(result.train_loss[:, k]) for k in (0, 1))
    if not (math.isfinite(a) and math.isfinite(b)):
        gone = [labels[k] for k in (0, 1) if result.diverged_at[k] >= 0]
        return f"**Verdict** — {' and '.join(gone) or 'one run'} diverged; compare " \
               "before the blow-up."  # fmt: skip
    if max(a, b) <= 0:
        return ""
    better, worse = (0, 1) if a < b else (1, 0)
    ratio = max(a, b) / max(min(a, b), 1e-300)
    half = _half_way(result, better)
    sentence = (f"**Verdict** — changing only the {compared}, run {labels[better]} ended "
                f"with a training loss {ratio:.3g}× lower than run {labels[worse]}")  # fmt: skip
    if ratio < 1.05:
        sentence = (f"**Verdict** — changing only the {compared} made almost no difference "
                    f"to the final training loss ({_value(a)} vs {_value(b)})")  # fmt: skip
    if classification:
        acc = [_last(result.test_accuracy[:, k]) for k in (0, 1)]
        if all(math.isfinite(x) for x in acc):
            sentence += f"; test accuracy {acc[0]:.0%} (A) vs {acc[1]:.0%} (B)"
    if half:
        sentence += f"; {labels[better]} {half}"
    return sentence + "."


def _half_way(result: TrainResult, k: int) -> str:
    """When run k's training loss first fell below half its starting value, in epochs."""
    losses = result.train_loss[:, k]
    if not np.isfinite(losses[0]):
        return ""
    below = np.flatnonzero(losses < 0.5 * losses[0])
    if not len(below):
        return ""
    return f"halved its loss by epoch {result.frame_epochs[below[0], k]:.3g}"


def _largest(norms: np.ndarray, names: Sequence[str]) -> str:
    if not np.isfinite(norms).any():
        return "no layer"
    name = names[int(np.nanargmax(norms))]
    return "the output layer" if name == "output" else name


def step_summary(detail: StepDetail, reduction: str, layer_names: Sequence[str]) -> str:
    """The four steps of one iteration, in numbers."""
    if detail.diverged:
        return (f"Step {detail.step} comes after the run diverged: there is no number left "
                "to show.")  # fmt: skip
    B = len(detail.batch_index)
    change = detail.batch_loss_after - detail.batch_loss
    direction = "fell" if change < 0 else "rose"
    return (
        f"**Step {detail.step}** (epoch {detail.epoch + 1}). 1. *Batch*: {B} example"
        f"{'s' if B != 1 else ''}, highlighted on the plane. 2. *Forward pass*: the network's "
        f"predictions for them. 3. *Loss* ({reduction} over the batch): "
        f"{_value(detail.batch_loss)}. 4. *Backward pass*: gradient norm "
        f"{_value(float(np.linalg.norm(detail.grad)))}, largest in "
        f"{_largest(detail.grad_norms, layer_names)}. 5. *Update*: the weights moved by "
        f"{_value(float(np.linalg.norm(detail.update)))} in total, and the same batch's loss "
        f"{direction} from {_value(detail.batch_loss)} to {_value(detail.batch_loss_after)}."
    )
