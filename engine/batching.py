"""Seeded mini-batch schedules: which examples each optimizer step sees.

Contract:

* ``BatchSchedule`` (frozen, hashable) says how batches are drawn from N examples: batch size B
  from 1 (true SGD) to N (full batch), a new permutation every epoch or one fixed permutation,
  the last partial batch kept or dropped, or i.i.d. sampling with replacement.
* ``make_batches(schedule, n_steps)`` returns ``Batches``: the indices of every batch, laid out
  flat with offsets. The same schedule gives byte-identical batches, and the first T batches do
  not depend on how many steps were asked for — so two runs with the same seed see exactly the
  same batches (paired comparisons).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from engine.seeding import BATCHES, stream

Index = NDArray[np.intp]


@dataclass(frozen=True)
class BatchSchedule:
    """How mini-batches are drawn.

    Attributes:
        n_examples: N, the number of examples.
        batch_size: B in [1, N]; 1 is true SGD, N is full-batch gradient descent.
        reshuffle: True: a new random permutation every epoch; False: one seeded permutation
            reused every epoch (what TensorFlow Playground does).
        drop_last: drop an epoch's last partial batch (every batch has exactly B examples) or
            keep it (smaller batch).
        replacement: draw each batch i.i.d. uniformly with replacement; an "epoch" is then
            ceil(N / B) batches (N / B with drop_last).
        seed: seeds the batch order (a stream of its own, see ``engine.seeding``).
    """

    n_examples: int
    batch_size: int
    reshuffle: bool = True
    drop_last: bool = False
    replacement: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("n_examples", "batch_size", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if self.n_examples < 1:
            raise ValueError(f"n_examples must be ≥ 1, got {self.n_examples}")
        if not 1 <= self.batch_size <= self.n_examples:
            raise ValueError(
                f"batch_size must be between 1 and n_examples={self.n_examples}, "
                f"got {self.batch_size}"
            )
        if self.seed < 0:
            raise ValueError(f"seed must be ≥ 0, got {self.seed}")


class Batches(NamedTuple):
    """T batches: batch t is ``flat[offsets[t]:offsets[t + 1]]``.

    Attributes:
        flat: every example index, batch after batch.
        offsets: ``(T + 1,)`` start of each batch in ``flat``.
        epoch: ``(T,)`` the (0-based) epoch of each batch.
    """

    flat: Index
    offsets: Index
    epoch: Index

    def batch(self, t: int) -> Index:
        """The example indices of batch t."""
        return self.flat[self.offsets[t] : self.offsets[t + 1]]

    @property
    def sizes(self) -> Index:
        """``(T,)`` size of each batch."""
        return np.diff(self.offsets)

    @property
    def examples_seen(self) -> Index:
        """``(T + 1,)`` examples drawn before each step (0 first)."""
        return self.offsets - self.offsets[0]


def steps_per_epoch(schedule: BatchSchedule) -> int:
    """Batches in one epoch: N / B rounded down with ``drop_last``, else rounded up."""
    n, b = schedule.n_examples, schedule.batch_size
    return n // b if schedule.drop_last else math.ceil(n / b)


def make_batches(schedule: BatchSchedule, n_steps: int) -> Batches:
    """Draw the first ``n_steps`` batches of ``schedule`` (vectorised per epoch).

    Raises:
        ValueError: if ``n_steps`` is negative.
    """
    if n_steps < 0:
        raise ValueError(f"n_steps must be ≥ 0, got {n_steps}")
    n, b = schedule.n_examples, schedule.batch_size
    per_epoch = steps_per_epoch(schedule)
    n_epochs = math.ceil(n_steps / per_epoch) if n_steps else 0
    rng = stream(schedule.seed, BATCHES)  # not the data's own stream (engine/seeding.py)
    # Sizes of one epoch's batches: full batches, then the partial one unless dropped.
    epoch_sizes = np.full(per_epoch, b, dtype=np.intp)
    if not schedule.drop_last and n % b:
        epoch_sizes[-1] = n % b
    used = int(epoch_sizes.sum())  # examples drawn per epoch
    if schedule.replacement:
        flat = rng.integers(0, n, size=n_epochs * used, dtype=np.intp)
    else:
        fixed = rng.permutation(n)
        orders = [rng.permutation(n) if schedule.reshuffle else fixed for _ in range(n_epochs)]
        flat = (
            np.concatenate([o[:used] for o in orders]).astype(np.intp)
            if orders
            else np.empty(0, dtype=np.intp)
        )
    sizes = np.tile(epoch_sizes, n_epochs)[:n_steps]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)
    epoch = (np.arange(n_steps) // per_epoch).astype(np.intp)
    return Batches(flat[: offsets[-1]], offsets, epoch)
