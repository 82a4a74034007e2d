"""One seed, independent random streams: the data, its batches and the sampled mini-batches.

A problem's data is drawn from ``np.random.default_rng(seed)``. If the batch order were drawn
from the same generator with the same seed, it would reuse the very numbers the data was made
from: the first row of ``rng.random((k, N))`` *is* the uniform draw behind x₁…x_N, so sorting
it picks the examples with the smallest x — a batch that is anything but random (one such
mini-batch gradient lay 13σ from the others). Each purpose therefore gets its own stream,
seeded by the pair (seed, purpose), which NumPy's SeedSequence hashes into a state unrelated
to the seed's own stream.
"""

from __future__ import annotations

import numpy as np

BATCHES = 0xBA7C  # the order of examples in epochs (engine.batching)
MINIBATCH_SAMPLES = 0x5A3B  # independent mini-batches drawn to show the gradient noise


def stream(seed: int, purpose: int) -> np.random.Generator:
    """The generator for ``purpose`` under ``seed`` (both ≥ 0); the same pair, the same draws."""
    return np.random.default_rng([seed, purpose])
