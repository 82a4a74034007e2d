"""What the "What is training?" lesson says: the introduction, the loop, verdicts and notes.

The functions here turn results into sentences; they hold no Streamlit and no maths beyond
reading the numbers they are given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from engine.training import StepDetail, TrainResult
from i18n import N_, _, ngettext, number

INTRO = N_(
    "Training repeats one loop: draw a *batch*, run the network on it (**forward pass**), "
    "measure the **loss**, find every weight's gradient (**backward pass**) and step against "
    "it (**update**). Press ▶ and watch the network's guess over the plane settle."
)

LOOP = N_(
    "**The loop, once per optimizer step.** 1. *Batch*: B examples drawn from the training "
    "set (B = 1 is true SGD, B = all of them is full-batch gradient descent, anything between "
    "is mini-batch SGD). 2. *Forward pass*: the network's prediction for each. 3. *Loss*: one "
    "number for the whole batch, the sum or the mean of the examples' losses. 4. *Backward "
    "pass*: the gradient of that number with respect to every weight. 5. *Update*: "
    "w ← w − lr · gradient (momentum and Adam change how far, not which way to start). One "
    "*epoch* is enough steps to draw every training example once."
)

AB_NOTE = N_(
    "Runs A and B start from the same initial weights and, when their batch sizes agree, "
    "draw exactly the same batches in the same order: whatever differs between the two "
    "pictures comes from the one setting they differ in."
)

THUMBS_NOTE = N_(
    "Each small square is one neuron: its output over the whole plane (blue low, orange "
    "high). The first layer can only draw straight edges of its inputs; each later layer "
    "combines the squares to its left. Lines are weights: solid blue positive, dashed "
    "vermillion negative, thicker means larger."
)

STEP_NOTE = N_(
    "The chosen step is recomputed from the start of the run, exactly as it happened: the "
    "same initial weights and the same batches, so these numbers are the ones the animation "
    "showed."
)

UPLOAD_NOTE = N_(
    "This run uses your uploaded file. A link cannot carry a file: whoever opens the link "
    "below gets every setting, but the dataset chosen in the menu instead of your file."
)

CONCLUSION = N_(
    "**What to take away.** Training is the same five-part loop whatever the network: batch, "
    "forward pass, loss, backward pass, update. The batch size decides how noisy each step "
    "is and how many steps an epoch has; the sum makes the gradient B times larger than the "
    "mean, so the same learning rate behaves like a B times larger one; momentum carries the "
    "weights through flat stretches; adaptive optimizers like Adam rescale every weight's "
    "step and barely notice sum or mean. And the test curve, not the training curve, says "
    "whether the network learned the shape or only the examples."
)


def _value(x: float) -> str:
    return "—" if not math.isfinite(x) else number(x, ".3g")


def _percent(x: float) -> str:
    return number(x, ".0%")


def final_line(result: TrainResult, k: int, label: str, classification: bool) -> str:
    """What run k reached at its last frame, e.g. "A: test accuracy 97 %, loss 0.08"."""
    loss = _last(result.test_loss[:, k]) if np.isfinite(result.test_loss).any() else math.nan
    train_loss = _last(result.train_loss[:, k])
    if classification:
        acc = _last(result.test_accuracy[:, k])
        if not math.isfinite(acc):
            acc = _last(result.train_accuracy[:, k])
            return _("**{run}**: training accuracy {accuracy}, training loss {train}").format(
                run=label, accuracy=_percent(acc), train=_value(train_loss))  # fmt: skip
        return _("**{run}**: test accuracy {accuracy}, test loss {test} (training loss "
                 "{train})").format(run=label, accuracy=_percent(acc), test=_value(loss),
                                    train=_value(train_loss))  # fmt: skip
    if math.isfinite(loss):
        return _("**{run}**: test loss {test} (training loss {train})").format(
            run=label, test=_value(loss), train=_value(train_loss))  # fmt: skip
    return _("**{run}**: training loss {train}").format(run=label, train=_value(train_loss))


def _last(series: np.ndarray) -> float:
    finite = series[np.isfinite(series)]
    return float(finite[-1]) if len(finite) else math.nan


def divergence_note(result: TrainResult, k: int, label: str, lr: float) -> str | None:
    """Why run k blew up, in words, or None if it did not."""
    t = int(result.diverged_at[k])
    if t < 0:
        return None
    return _(
        "Run {run} diverged at step {step}: the loss grew without bound until it was no longer "
        "a number. Each step overshot the valley it was aiming for and landed higher up the "
        "other side, so the next gradient was larger still. Try a smaller learning rate than "
        "{lr} (the mean instead of the sum has the same effect), or an adaptive optimizer such "
        "as Adam."
    ).format(run=label, step=t, lr=number(lr, ".6g"))


# The verdict on an A/B comparison: a sentence per case, so that a translator sees each whole.
# Keys: (whether the losses differ, whether both test accuracies are known, whether the better
# run halved its loss).
_VERDICTS = {
    (True, False, False): N_(
        "**Verdict** — changing only the {compared}, run {better} ended with a training loss "
        "{ratio}× lower than run {worse}."),
    (True, True, False): N_(
        "**Verdict** — changing only the {compared}, run {better} ended with a training loss "
        "{ratio}× lower than run {worse}; test accuracy {acc_a} (A) vs {acc_b} (B)."),
    (True, False, True): N_(
        "**Verdict** — changing only the {compared}, run {better} ended with a training loss "
        "{ratio}× lower than run {worse}; {better} halved its loss by epoch {epoch}."),
    (True, True, True): N_(
        "**Verdict** — changing only the {compared}, run {better} ended with a training loss "
        "{ratio}× lower than run {worse}; test accuracy {acc_a} (A) vs {acc_b} (B); {better} "
        "halved its loss by epoch {epoch}."),
    (False, False, False): N_(
        "**Verdict** — changing only the {compared} made almost no difference to the final "
        "training loss ({loss_a} vs {loss_b})."),
    (False, True, False): N_(
        "**Verdict** — changing only the {compared} made almost no difference to the final "
        "training loss ({loss_a} vs {loss_b}); test accuracy {acc_a} (A) vs {acc_b} (B)."),
    (False, False, True): N_(
        "**Verdict** — changing only the {compared} made almost no difference to the final "
        "training loss ({loss_a} vs {loss_b}); {better} halved its loss by epoch {epoch}."),
    (False, True, True): N_(
        "**Verdict** — changing only the {compared} made almost no difference to the final "
        "training loss ({loss_a} vs {loss_b}); test accuracy {acc_a} (A) vs {acc_b} (B); "
        "{better} halved its loss by epoch {epoch}."),
}  # fmt: skip


def verdict(result: TrainResult, labels: Sequence[str], compared: str,
            classification: bool) -> str:  # fmt: skip
    """One line on what differed between runs A and B (``compared``: what B changes, already
    in the page's language)."""
    if result.train_loss.shape[1] < 2:
        return ""
    a, b = (_last(result.train_loss[:, k]) for k in (0, 1))
    if not (math.isfinite(a) and math.isfinite(b)):
        gone = [labels[k] for k in (0, 1) if result.diverged_at[k] >= 0]
        if len(gone) == 2:
            return _("**Verdict** — {first} and {second} diverged; compare before the "
                     "blow-up.").format(first=gone[0], second=gone[1])  # fmt: skip
        if gone:
            return _("**Verdict** — {run} diverged; compare before the blow-up.").format(
                run=gone[0])  # fmt: skip
        return _("**Verdict** — one run diverged; compare before the blow-up.")
    if max(a, b) <= 0:
        return ""
    better, worse = (0, 1) if a < b else (1, 0)
    ratio = max(a, b) / max(min(a, b), 1e-300)
    epoch = _half_way(result, better)
    acc = [_last(result.test_accuracy[:, k]) for k in (0, 1)] if classification else []
    known = bool(acc) and all(math.isfinite(x) for x in acc)
    template = _VERDICTS[ratio >= 1.05, known, epoch is not None]
    return _(template).format(
        compared=compared, better=labels[better], worse=labels[worse], ratio=number(ratio, ".3g"),
        loss_a=_value(a), loss_b=_value(b), acc_a=_percent(acc[0]) if known else "",
        acc_b=_percent(acc[1]) if known else "",
        epoch=number(epoch, ".3g") if epoch is not None else "",
    )  # fmt: skip


def _half_way(result: TrainResult, k: int) -> float | None:
    """The epoch at which run k's training loss first fell below half its starting value
    (None: never, or no finite start)."""
    losses = result.train_loss[:, k]
    if not np.isfinite(losses[0]):
        return None
    below = np.flatnonzero(losses < 0.5 * losses[0])
    if not len(below):
        return None
    return float(result.frame_epochs[below[0], k])


def step_summary(detail: StepDetail, reduction: str, layer_names: Sequence[str]) -> str:
    """The four steps of one iteration, in numbers (``layer_names`` in the page's language)."""
    if detail.diverged:
        return _("Step {step} comes after the run diverged: there is no number left to "
                 "show.").format(step=detail.step)  # fmt: skip
    B = len(detail.batch_index)
    before, after = _value(detail.batch_loss), _value(detail.batch_loss_after)
    parts = [
        _("**Step {step}** (epoch {epoch}).").format(step=detail.step, epoch=detail.epoch + 1),
        ngettext("1. *Batch*: {n} example, highlighted on the plane.",
                 "1. *Batch*: {n} examples, highlighted on the plane.", B).format(n=B),
        _("2. *Forward pass*: the network's predictions for them."),
        (_("3. *Loss* (sum over the batch): {loss}.") if reduction == "sum" else
         _("3. *Loss* (mean over the batch): {loss}.")).format(loss=before),
        _largest(detail.grad_norms, layer_names).format(
            norm=_value(float(np.linalg.norm(detail.grad))),
            layer=_largest_name(detail.grad_norms, layer_names)),
        (_("5. *Update*: the weights moved by {moved} in total, and the same batch's loss fell "
           "from {before} to {after}.") if detail.batch_loss_after - detail.batch_loss < 0 else
         _("5. *Update*: the weights moved by {moved} in total, and the same batch's loss rose "
           "from {before} to {after}.")).format(
            moved=_value(float(np.linalg.norm(detail.update))), before=before, after=after),
    ]  # fmt: skip
    return " ".join(parts)


def _largest(norms: np.ndarray, names: Sequence[str]) -> str:
    """Step 4 of the summary, with ``{norm}`` and ``{layer}`` (``_largest_name``) to fill in."""
    if not np.isfinite(norms).any():
        return _("4. *Backward pass*: gradient norm {norm}, largest in no layer.")
    if int(np.nanargmax(norms)) == len(names) - 1:  # the last layer of weights: the output's
        return _("4. *Backward pass*: gradient norm {norm}, largest in the output layer.")
    return _("4. *Backward pass*: gradient norm {norm}, largest in {layer}.")


def _largest_name(norms: np.ndarray, names: Sequence[str]) -> str:
    """The name of the layer with the largest gradient norm ("" if none is finite)."""
    return names[int(np.nanargmax(norms))] if np.isfinite(norms).any() else ""
