"""Several groups of runs in one call, when that changes nothing.

* One optimizer step (``merge_optimizers``).
* One loss and gradient (``GradientCall``): the runs that share a batch stream, and — for an
  objective that takes them per run — whatever reductions, L2 and L1 they have.

Consecutive run groups whose optimizers have the same kind, the same flags and the same pattern
of zero/non-zero hyper-parameters execute the same blocks; ``merge_optimizers`` rebuilds them as
one optimizer with per-run hyper-parameter arrays. All block arithmetic is elementwise, so the
merged runs are bit-identical to separate ones (tests/test_runner.py checks it) — only faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.batching import BatchSchedule
from engine.optimizers import OPTIMIZERS, Optimizer


def merge_optimizers(
    optimizers: Sequence[Optimizer], slices: Sequence[slice]
) -> list[tuple[Optimizer, slice]]:
    """One optimizer per run of consecutive groups that differ only in numeric values.

    Groups whose optimizers have the same kind, the same flags (nesterov, centered, amsgrad)
    and the same pattern of zero/non-zero hyper-parameters run the same blocks, so one
    optimizer with per-run hyper-parameter arrays steps them all at once. Every operation is
    elementwise, so the result is bit-identical to stepping them separately — only faster.
    """
    merged: list[tuple[list[Optimizer], slice]] = []
    for opt, sl in zip(optimizers, slices, strict=True):
        if merged and _same_blocks(merged[-1][0][0], opt):
            merged[-1][0].append(opt)
            merged[-1] = (merged[-1][0], slice(merged[-1][1].start, sl.stop))
        else:
            merged.append(([opt], sl))
    out = []
    for members, sl in merged:
        member_slices = [s for s in slices if sl.start <= s.start < sl.stop]
        if len(members) == 1:
            out.append((members[0], sl))
            continue
        sizes = [s.stop - s.start for s in member_slices]
        hparams = {
            name: _concat_hparam([m.hparams[name] for m in members], sizes)
            for name in members[0].hparams
        }
        try:
            out.append((OPTIMIZERS[members[0].key](**hparams), sl))
        except ValueError:  # a value that must be one scalar differs (Adagrad's s₀): apart
            out += list(zip(members, member_slices, strict=True))
    return out


def _same_blocks(a: Optimizer, b: Optimizer) -> bool:
    if a.key != b.key or a.hparams.keys() != b.hparams.keys():
        return False
    for name, x in a.hparams.items():
        y = b.hparams[name]
        if isinstance(x, bool) or isinstance(y, bool):
            if x != y:
                return False
            continue
        for u, v in zip(
            *(val if isinstance(val, tuple) else (val,) for val in (x, y)), strict=True
        ):
            pattern_u, pattern_v = np.asarray(u) != 0, np.asarray(v) != 0
            if not (
                (pattern_u.all() and pattern_v.all()) or not (pattern_u.any() or pattern_v.any())
            ):
                return False
    return True


def _concat_hparam(values: list[Any], sizes: list[int]) -> Any:
    """Stack per-group hyper-parameters into one ``(n, 1)`` array (tuples element-wise)."""
    if isinstance(values[0], bool):
        return values[0]
    if all(np.ndim(v) == 0 for v in values) and len({float(v) for v in values}) == 1:
        return values[0]  # one shared scalar stays a scalar
    if isinstance(values[0], tuple):
        return tuple(_concat_hparam([v[i] for v in values], sizes) for i in range(len(values[0])))
    return np.concatenate(
        [
            np.broadcast_to(np.asarray(v, dtype=np.float64).reshape(-1, 1), (n, 1))
            for v, n in zip(values, sizes, strict=True)
        ]
    )


class GradientCall:
    """Runs whose loss and gradient come from one ``batch_loss_and_grad`` call: they share a
    batch stream, and their reductions, L2 and L1 are passed as one value each when the runs
    agree on it, else as one per run."""

    def __init__(self, schedule: BatchSchedule) -> None:
        self.schedule = schedule
        self.runs = np.empty(0, dtype=np.intp)
        self.per_run: list[tuple[str, float, float]] = []
        self._kwargs: dict[str, Any] | None = None

    def add(self, runs: range, settings: tuple[str, float, float]) -> None:
        self.runs = np.concatenate([self.runs, np.asarray(runs, dtype=np.intp)])
        self.per_run += [settings] * len(runs)
        self._kwargs = None

    def settings(self) -> dict[str, Any]:
        """The keyword arguments of the call; l1 only when set (the objectives of
        engine.problems take none)."""
        if self._kwargs is None:
            columns = zip(*self.per_run, strict=True)
            reduction, l2, l1 = (_one_or_each(list(values)) for values in columns)
            self._kwargs = {"reduction": reduction, "l2": l2}
            if np.any(l1):
                self._kwargs["l1"] = l1
        return self._kwargs


def _one_or_each(values: list[Any]) -> Any:
    return values[0] if all(v == values[0] for v in values) else values
