"""The words of the "Sum or mean?" lesson."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine import theory
from engine.batching import steps_per_epoch
from figures.sum_mean import REDUCTION_NAMES
from i18n import N_, _, ngettext, number

if TYPE_CHECKING:
    from engine.runner import Trajectories
    from ui.sum_or_mean.compute import Setup

INTRO = N_(
    "Add up a mini-batch's gradients, or average them? They differ by a factor of B, yet a "
    "learning rate that works with one can blow up with the other. Runs **A** and **B** see "
    "*exactly the same batches*: change one setting between them and watch what moves."
)

# The conclusion: a paragraph, three numbered reasons and a closing paragraph.
CONCLUSION_OPENING = N_(
    "**Average.** It is what the frameworks do by default (PyTorch's and Keras's losses use the "
    "mean) and what papers mean by a learning rate, for three reasons you can check on this "
    "page:"
)
CONCLUSION_REASONS = (
    N_("**The step does not depend on the batch size.** Summing makes the gradient B times "
       "larger, so SGD's effective learning rate becomes γ·B: the same γ that is fine at B = 1 "
       "diverges at B = 32, and the stability wall moves from 2/λmax to 2/(B·λmax). Press "
       "*Match* and the summed run with γ/B retraces the averaged one exactly."),
    N_("**Learning rates transfer.** Under the mean, a learning rate tuned at one batch size is "
       "a good start at another; the best rate grows roughly in proportion to B for small "
       "batches (the linear-scaling rule) and levels off beyond the noise scale. Under the sum "
       "it *falls* like 1/B. Someone reproducing your results needs to know which one you "
       "used."),
    N_("**Regularisation keeps its meaning.** An L2 term added once per batch competes with a "
       "data term that grows with B under the sum: the same λ regularises less and less as "
       "batches grow. Under the mean its strength is λ whatever B is."),
)  # fmt: skip
CONCLUSION_CLOSING = N_(
    "**When it does not matter:** with B = 1 (true SGD) the two are identical, and adaptive "
    "optimizers (Adam, RMSprop, Adagrad) divide the scale back out, so A and B nearly coincide."
)


def conclusion() -> str:
    """The lesson's conclusion in Markdown, in the learner's language."""
    reasons = "\n".join(f"{i}. {_(reason)}" for i, reason in enumerate(CONCLUSION_REASONS, 1))
    return f"{_(CONCLUSION_OPENING)}\n\n{reasons}\n\n{_(CONCLUSION_CLOSING)}"


def steps_text(n: int) -> str:
    """A number of steps, singular for one: "1 step", "5 steps"."""
    return ngettext("{n} step", "{n} steps", n).format(n=n)


def epochs_text(n: int) -> str:
    """A number of epochs, singular for one: "1 epoch", "5 epochs"."""
    return ngettext("{n} epoch", "{n} epochs", n).format(n=n)


def reduction_text(reduction: str) -> str:
    """What the page calls a reduction ("mean" or "sum")."""
    return _(REDUCTION_NAMES[reduction])


EPOCHS_HINT = N_("Switch the loss curves to *epochs* to compare them on the same data.")
NOISE_SCALE_NOTE = N_(
    "Noise scale B_simple = tr Σ / |G|² at A's point: **{b_simple}** — batches much smaller "
    "than this are mostly noise; much larger ones mostly repeat the same direction. Under mean "
    "the cloud shrinks like 1/√B; under sum the arrow and the cloud grow with B."
)
ADAPTIVE_NOTE = N_(
    "Adaptive optimizers divide each step by a running size of the gradient, so multiplying "
    "the gradient by B (sum) cancels out; SGD has nothing to cancel it."
)


def noise_scale_note(b_simple: float) -> str:
    """The caption under the noise charts, quoting B_simple at run A's point."""
    return _(NOISE_SCALE_NOTE).format(b_simple=number(b_simple, ".3g"))


def effective_lr_text(name: str, optimizer: str, lr: float, batch: int, reduction: str) -> str:
    """A badge: the step per unit of *average* gradient for SGD, or "unchanged" for adaptive."""
    shown = reduction_text(reduction)
    if optimizer != "sgd":
        return _("**{run}** ({reduction}): effective lr **unchanged** — {optimizer} "
                 "rescales.").format(run=name, reduction=shown, optimizer=optimizer)  # fmt: skip
    effective = number(float(theory.effective_lr_of_reduction(lr, batch, reduction)), ".4g")
    if reduction == "sum":
        return _("**{run}** ({reduction}): effective lr **{lr} × B = {effective}**").format(
            run=name, reduction=shown, lr=number(lr, ".4g"), effective=effective
        )
    return _("**{run}** ({reduction}): effective lr **{effective}**").format(
        run=name, reduction=shown, effective=effective
    )


def ragged_batch_note(
    optimizer: str,
    n: int,
    batch: int,
    drop_last: bool,
    reductions: tuple[str, str],
    lrs: tuple[float, float],
) -> str | None:
    """Why a matched sum/mean pair can still part: the epoch's last, smaller batch.

    With N = qB + r (0 < r < B) and the last batch kept, that batch has r examples. Matching
    lr_sum = lr_mean / B makes the steps equal on full batches only; on the short one the sum's
    step is r/B of the mean's. Returns the explanation when it applies (SGD, a mean run and a
    sum run at matched learning rates, a ragged last batch), else None.
    """
    rest = n % batch
    if optimizer != "sgd" or drop_last or rest == 0 or set(reductions) != {"mean", "sum"}:
        return None
    mean_lr, sum_lr = lrs if reductions[0] == "mean" else lrs[::-1]
    if abs(sum_lr * batch - mean_lr) > 1e-9 * mean_lr:  # not matched: nothing to explain
        return None
    return ngettext(
        "N = {n} is not a multiple of B = {batch}: the last batch of every epoch has only {rest} "
        "example. The matched learning rates make the steps equal on full batches, but on that "
        "short one the summed step is {rest}/{batch} of the averaged one, so the paths part a "
        "little each epoch. Turn on **Drop short batch** and they coincide.",
        "N = {n} is not a multiple of B = {batch}: the last batch of every epoch has only {rest} "
        "examples. The matched learning rates make the steps equal on full batches, but on that "
        "short one the summed step is {rest}/{batch} of the averaged one, so the paths part a "
        "little each epoch. Turn on **Drop short batch** and they coincide.",
        rest,
    ).format(n=n, batch=batch, rest=rest)


def run_labels(setup: Setup) -> tuple[str, str]:
    """Legend names of runs A and B; the batch size is named when they differ."""
    same = setup.batch == setup.batch_b
    labels = []
    for name, red, size, lr in zip(
        "AB", setup.reductions, setup.batches, (setup.lr_a, setup.lr_b), strict=True
    ):
        values = {"run": name, "reduction": reduction_text(red), "lr": number(lr, ".4g")}
        if same:
            labels.append(_("{run}: {reduction}, lr {lr}").format(**values))
        else:
            labels.append(_("{run}: {reduction}, B={batch}, lr {lr}").format(batch=size, **values))
    return labels[0], labels[1]


def pair_verdict(setup: Setup, traj: Trajectories, *, x_axis: str = "optimizer steps") -> str:
    """One sentence on what the two runs did: how far apart their paths are (same batches), or
    where each ended after the same epochs (different batch sizes) — above the minimum, or the
    loss itself on a problem without one. ``x_axis`` is what the loss curves are drawn
    against; the hint to switch them to epochs is given only while they show optimizer steps.
    """
    steps_a, steps_b = setup.run_steps
    epochs = epochs_text(setup.epochs)
    diverged = bool(np.any(traj.diverged_at >= 0))
    if setup.batch == setup.batch_b:
        values = {"steps": steps_text(steps_a), "batch": setup.batch, "epochs": epochs,
                  "n": setup.n}  # fmt: skip
        if diverged:
            verdict = _("**{steps}** of batch size {batch} ({epochs} of N = {n}); a run "
                        "diverged, so the paths part for good.").format(**values)  # fmt: skip
        else:
            gap = float(np.max(np.abs(traj.params[:, 0] - traj.params[:, 1])))
            if gap < 1e-9:
                sentence = _("**{steps}** of batch size {batch} ({epochs} of N = {n}); largest "
                             "difference between the two paths: **{gap}** — identical up to "
                             "rounding.")  # fmt: skip
            else:
                sentence = _("**{steps}** of batch size {batch} ({epochs} of N = {n}); largest "
                             "difference between the two paths: **{gap}**.")  # fmt: skip
            verdict = sentence.format(gap=number(gap, ".3g"), **values)
        return verdict + capped_note(setup)
    floor = setup.problem.loss_floor
    ends = []
    for k, (steps, batch) in enumerate(zip((steps_a, steps_b), setup.batches, strict=True)):
        final = float(traj.loss[steps, k]) - (floor or 0.0)
        if traj.diverged_at[k] >= 0:
            end = _("{run}: **{steps}** of batch size {batch} → diverged")
        elif floor is None:
            end = _("{run}: **{steps}** of batch size {batch} → loss **{loss}**")
        else:
            end = _("{run}: **{steps}** of batch size {batch} → loss − minimum **{loss}**")
        ends.append(end.format(run="AB"[k], steps=steps_text(steps), batch=batch,
                               loss=number(final, ".3g")))  # fmt: skip
    verdict = _("The same {epochs} of N = {n} for both — {a}; {b}.").format(
        epochs=epochs, n=setup.n, a=ends[0], b=ends[1]
    )
    hint = " " + _(EPOCHS_HINT) if x_axis == "optimizer steps" else ""
    return verdict + capped_note(setup) + hint


def capped_note(setup: Setup) -> str:
    """A sentence for each run that the step cap (``compute.MAX_STEPS``) stopped short of its
    epochs, e.g. " Run A stops at 3000 steps, 0.732 of its 1 epoch."; "" when none was."""
    notes = []
    for name, batch, steps in zip("AB", setup.batches, setup.run_steps, strict=True):
        per_epoch = steps_per_epoch(setup.schedule_for(batch))
        if steps < setup.epochs * per_epoch:
            notes.append((name, steps, steps / per_epoch))
    epochs = epochs_text(setup.epochs)
    if setup.batch == setup.batch_b and notes:
        return " " + _("Both runs stop at {steps}, {done} of their {epochs}.").format(
            steps=steps_text(notes[0][1]), done=number(notes[0][2], ".3g"), epochs=epochs
        )
    return "".join(
        " "
        + _("Run {run} stops at {steps}, {done} of its {epochs}.").format(
            run=name, steps=steps_text(steps), done=number(done, ".3g"), epochs=epochs
        )
        for name, steps, done in notes
    )


def different_batches_note(setup: Setup) -> str:
    """What two batch sizes on one batch stream mean, under the paths."""
    small, large = sorted(setup.batches)
    steps = dict(zip(setup.batches, setup.run_steps, strict=True))
    return _(
        "Both runs draw the same examples in the same order; batches of {large} take them "
        "{ratio} times as many at a time as batches of {small}, so that run finishes its "
        "{epochs} in {steps} instead of {other} — and then waits at its end while the other one "
        "goes on."
    ).format(large=large, small=small, ratio=number(large / small, ".3g"),
             epochs=epochs_text(setup.epochs), steps=steps_text(steps[large]),
             other=steps[small])  # fmt: skip


def divergence_notes(setup: Setup, traj: Trajectories, labels: tuple[str, str]) -> list[str]:
    """A sentence per diverged run: the largest stable lr of what ran at the start point.

    SGD with momentum μ is stable on a quadratic while lr·λmax < 2 + 2μ (λmax of the full-data
    Hessian; under sum the gradient is B times larger, so the wall is B times lower). That is
    the full-batch wall: mini-batch noise moves it a few per cent. Adaptive optimizers have no
    such wall; for them the note only says where the run blew up.
    """
    problem = setup.problem
    lam = float(theory.quadratic_eigs(problem.hessian(problem.default_start))[-1])
    notes = []
    for k, label in enumerate(labels):
        step = int(traj.diverged_at[k])
        if step < 0:
            continue
        if setup.optimizer != "sgd":
            notes.append(_("**{run}** diverged at step {step}.").format(run=label, step=step))
            continue
        wall = float(theory.stability_limit(lam, setup.batches[k], setup.reductions[k],
                                            momentum=setup.momentum))  # fmt: skip
        rule = "(2 + 2μ)/λmax" + (" ÷ B" if setup.reductions[k] == "sum" else "")  # maths
        values = {"run": label, "step": step, "wall": number(wall, ".3g"), "rule": rule}
        if setup.momentum == 0:
            sentence = _("**{run}** diverged at step {step}: for plain SGD here the largest "
                         "stable lr is about {wall} (the full-batch wall, {rule}).")  # fmt: skip
        else:
            sentence = _("**{run}** diverged at step {step}: for SGD with momentum {momentum} "
                         "here the largest stable lr is about {wall} (the full-batch wall, "
                         "{rule}).")  # fmt: skip
            values["momentum"] = number(setup.momentum, "g")
        notes.append(sentence.format(**values))
    return notes
