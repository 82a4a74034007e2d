"""The words of the "Sum or mean?" lesson."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine import theory
from engine.batching import steps_per_epoch

if TYPE_CHECKING:
    from engine.runner import Trajectories
    from ui.sum_or_mean.compute import Setup

INTRO = (
    "Add up a mini-batch's gradients, or average them? They differ by a factor of B, yet a "
    "learning rate that works with one can blow up with the other. Runs **A** and **B** see "
    "*exactly the same batches*: change one setting between them and watch what moves."
)

CONCLUSION = """
**Average.** It is what the frameworks do by default (PyTorch's and Keras's losses use the
mean) and what papers mean by a learning rate, for three reasons you can check on this page:

1. **The step does not depend on the batch size.** Summing makes the gradient B times larger,
   so SGD's effective learning rate becomes γ·B: the same γ that is fine at B = 1 diverges at
   B = 32, and the stability wall moves from 2/λmax to 2/(B·λmax). Press *Match* and the summed
   run with γ/B retraces the averaged one exactly.
2. **Learning rates transfer.** Under the mean, a learning rate tuned at one batch size is a
   good start at another; the best rate grows roughly in proportion to B for small batches
   (the linear-scaling rule) and levels off beyond the noise scale. Under the sum it *falls*
   like 1/B. Someone reproducing your results needs to know which one you used.
3. **Regularisation keeps its meaning.** An L2 term added once per batch competes with a data
   term that grows with B under the sum: the same λ regularises less and less as batches grow.
   Under the mean its strength is λ whatever B is.

**When it does not matter:** with B = 1 (true SGD) the two are identical, and adaptive
optimizers (Adam, RMSprop, Adagrad) divide the scale back out, so A and B nearly coincide.
"""


def count(n: int, noun: str) -> str:
    """A number and its noun, singular for one: "1 epoch", "5 epochs"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


EPOCHS_HINT = "Switch the loss curves to *epochs* to compare them on the same data."
NOISE_SCALE_NOTE = (
    "Noise scale B_simple = tr Σ / |G|² at A's point: **{b_simple:.3g}** — batches much smaller "
    "than this are mostly noise; much larger ones mostly repeat the same direction. Under mean "
    "the cloud shrinks like 1/√B; under sum the arrow and the cloud grow with B."
)
ADAPTIVE_NOTE = (
    "Adaptive optimizers divide each step by a running size of the gradient, so multiplying "
    "the gradient by B (sum) cancels out; SGD has nothing to cancel it."
)


def effective_lr_text(name: str, optimizer: str, lr: float, batch: int, reduction: str) -> str:
    """A badge: the step per unit of *average* gradient for SGD, or "unchanged" for adaptive."""
    if optimizer != "sgd":
        return f"**{name}** ({reduction}): effective lr **unchanged** — {optimizer} rescales."
    effective = float(theory.effective_lr_of_reduction(lr, batch, reduction))
    detail = f"{lr:.4g} × B = " if reduction == "sum" else ""
    return f"**{name}** ({reduction}): effective lr **{detail}{effective:.4g}**"


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
    return (
        f"N = {n} is not a multiple of B = {batch}: the last batch of every epoch has only "
        f"{rest} examples. The matched learning rates make the steps equal on full batches, "
        f"but on that short one the summed step is {rest}/{batch} of the averaged one, so the "
        f"paths part a little each epoch. Turn on **Drop short batch** and they "
        f"coincide."
    )


def run_labels(setup: Setup) -> tuple[str, str]:
    """Legend names of runs A and B; the batch size is named when they differ."""
    same = setup.batch == setup.batch_b
    a, b = (
        f"{name}: {red}{'' if same else f', B={size}'}, lr {lr:.4g}"
        for name, red, size, lr in zip(
            "AB", setup.reductions, setup.batches, (setup.lr_a, setup.lr_b), strict=True
        )
    )
    return a, b


def pair_verdict(setup: Setup, traj: Trajectories, *, x_axis: str = "optimizer steps") -> str:
    """One sentence on what the two runs did: how far apart their paths are (same batches), or
    where each ended after the same epochs (different batch sizes) — above the minimum, or the
    loss itself on a problem without one. ``x_axis`` is what the loss curves are drawn
    against; the hint to switch them to epochs is given only while they show optimizer steps.
    """
    steps_a, steps_b = setup.run_steps
    epochs = count(setup.epochs, "epoch")
    diverged = bool(np.any(traj.diverged_at >= 0))
    if setup.batch == setup.batch_b:
        if diverged:
            verdict = "a run diverged, so the paths part for good"
        else:
            gap = float(np.max(np.abs(traj.params[:, 0] - traj.params[:, 1])))
            verdict = f"largest difference between the two paths: **{gap:.3g}**"
            verdict += " — identical up to rounding" if gap < 1e-9 else ""
        return (f"**{count(steps_a, 'step')}** of batch size {setup.batch} ({epochs} of "
                f"N = {setup.n}); {verdict}.{capped_note(setup)}")  # fmt: skip
    floor = setup.problem.loss_floor
    measure = "loss" if floor is None else "loss − minimum"
    ends = []
    for k, (steps, batch) in enumerate(zip((steps_a, steps_b), setup.batches, strict=True)):
        final = float(traj.loss[steps, k]) - (floor or 0.0)
        state = "diverged" if traj.diverged_at[k] >= 0 else f"{measure} **{final:.3g}**"
        ends.append(f"{'AB'[k]}: **{count(steps, 'step')}** of batch size {batch} → {state}")
    hint = " " + EPOCHS_HINT if x_axis == "optimizer steps" else ""
    return (f"The same {epochs} of N = {setup.n} for both — " + "; ".join(ends) + "."
            + capped_note(setup) + hint)  # fmt: skip


def capped_note(setup: Setup) -> str:
    """A sentence for each run that the step cap (``compute.MAX_STEPS``) stopped short of its
    epochs, e.g. " Run A stops at 3000 steps, 0.732 of its 1 epoch."; "" when none was."""
    notes = []
    for name, batch, steps in zip("AB", setup.batches, setup.run_steps, strict=True):
        per_epoch = steps_per_epoch(setup.schedule_for(batch))
        if steps < setup.epochs * per_epoch:
            notes.append((name, steps, steps / per_epoch))
    epochs = count(setup.epochs, "epoch")
    if setup.batch == setup.batch_b and notes:
        return (
            f" Both runs stop at {count(notes[0][1], 'step')}, {notes[0][2]:.3g} of their {epochs}."
        )
    return "".join(f" Run {name} stops at {count(steps, 'step')}, {done:.3g} of its {epochs}."
                   for name, steps, done in notes)  # fmt: skip


def different_batches_note(setup: Setup) -> str:
    """What two batch sizes on one batch stream mean, under the paths."""
    small, large = sorted(setup.batches)
    steps = dict(zip(setup.batches, setup.run_steps, strict=True))
    return (
        f"Both runs draw the same examples in the same order; batches of {large} take them "
        f"{large / small:.3g} times as many at a time as batches of {small}, so that run "
        f"finishes its {count(setup.epochs, 'epoch')} in {count(steps[large], 'step')} instead "
        f"of {steps[small]} — and then waits at its end while the other one goes on."
    )


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
            notes.append(f"**{label}** diverged at step {step}.")
            continue
        wall = float(theory.stability_limit(lam, setup.batches[k], setup.reductions[k],
                                            momentum=setup.momentum))  # fmt: skip
        what = "plain SGD" if setup.momentum == 0 else f"SGD with momentum {setup.momentum:g}"
        rule = "(2 + 2μ)/λmax" + (" ÷ B" if setup.reductions[k] == "sum" else "")
        notes.append(f"**{label}** diverged at step {step}: for {what} here the largest "
                     f"stable lr is about {wall:.3g} (the full-batch wall, {rule}).")  # fmt: skip
    return notes
