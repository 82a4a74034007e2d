"""Trained runs kept one by one, so that a change to one run of a comparison retrains only it.

A comparison's two runs share the data, the batches and the initial weights, and each run's
training depends on nothing else: not on the other run, not on its label. ``RunJob`` is what
decides one run; ``RUNS`` keeps the last results by job (bounded), so changing run B's
learning rate, switching what B differs in, or toggling a knob the optimizer ignores (Nesterov
for Adam) reuses run A as it is. Two new runs on the same network and batch size are still
trained in one engine call (one NumPy product for both networks per layer, cheaper than two
calls) and split; tests/test_app_training.py checks that a run trained alone and a run
trained beside another are the same, number for number.

* ``RunJob`` — one run's cache key.
* ``RUNS`` — a store of ``TrainResult``s of one run each, bounded in bytes (``figures.store``).
* ``split(result)`` / ``stack(results)`` — K runs as K results of one run, and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.nn import MLPSpec
from engine.training import TrainResult, TrainRun
from figures.store import Store

# Fields of a TrainResult that do not depend on the run (the data's), the per-run ones
# (axis 0), and the per-step ones (rows: steps, padded with NaN to the longest run).
# ``activations`` is a list of (F, K, points, units) arrays, one per hidden layer.
SHARED_FIELDS = ("grid_axes", "activation_points", "activation_labels")
RUN_FIELDS = ("diverged_at", "steps_per_epoch", "n_steps")
STEP_FIELDS = ("batch_loss", "examples_seen")


@dataclass(frozen=True)
class RunJob:
    """Everything that decides one run's training (hashable): the data and network, the
    optimizer with its effective hyper-parameters, the batches, the epochs, the seeds and the
    number of frames recorded."""

    data: Any  # ui.training.compute.DataChoice (frozen)
    features: tuple[str, ...]
    spec: MLPSpec
    optimizer: tuple[str, tuple[tuple[str, Any], ...]]
    batch_size: int
    reduction: str
    l2: float
    l1: float
    epochs: float
    init_seed: int
    batch_seed: int
    frames: int


def optimizer_key(run: TrainRun) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """The optimizer by its registry key and every hyper-parameter it runs with (a knob it
    ignores — Nesterov without momentum — is already resolved in them)."""
    opt = run.optimizer
    return opt.key, tuple(sorted((k, _scalar(v)) for k, v in opt.hparams.items()))


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


RUNS = Store(32_000_000)  # ≈ 1–2 MB a run (120 frames of a 40 × 40 grid): ~25 runs a process


def split(result: TrainResult) -> list[TrainResult]:
    """K runs → K results of one run each (the runs axis is axis 1 of the per-frame fields,
    axis 0 of the per-run ones)."""
    K = result.frame_steps.shape[1]
    parts = []
    for k in range(K):
        fields: dict[str, Any] = {}
        for name in TrainResult._fields:
            x = getattr(result, name)
            if name in SHARED_FIELDS:
                fields[name] = x
            elif name == "activations":
                fields[name] = [layer[:, k : k + 1] for layer in x]
            elif name in RUN_FIELDS:
                fields[name] = x[k : k + 1]
            else:
                fields[name] = x[:, k : k + 1]
        parts.append(TrainResult(**fields))
    return parts


def stack(results: Sequence[TrainResult]) -> TrainResult:
    """Results of one run each (the same frames) as one result of all. Networks may differ in
    size: a shorter parameter vector is padded with NaN (``network_of`` says how much is
    real); runs may differ in length: a shorter run's per-step rows end in NaN, as
    ``engine.training.train`` leaves them."""
    if len(results) == 1:
        return results[0]
    frames = {r.frame_steps.shape[0] for r in results}
    if len(frames) != 1:
        raise ValueError(f"runs with different frame counts cannot be stacked: {sorted(frames)}")
    fields: dict[str, Any] = {}
    for name in TrainResult._fields:
        parts = [getattr(r, name) for r in results]
        if name in SHARED_FIELDS:
            fields[name] = parts[0]
        elif name == "activations":
            fields[name] = _activations(parts)
        elif name in RUN_FIELDS:
            fields[name] = np.concatenate(parts)
        elif name == "params":
            fields[name] = np.concatenate(_padded(parts, axis=2), axis=1)
        elif name in STEP_FIELDS:
            fields[name] = np.concatenate(_padded(parts, axis=0), axis=1)
        else:
            fields[name] = np.concatenate(parts, axis=1)
    return TrainResult(**fields)


def _activations(parts: list[list[np.ndarray]]) -> list[np.ndarray]:
    """The runs' recorded hidden activations side by side; runs of networks with other
    layers cannot be put side by side, and keep the first run's (the training lesson records
    none: ``activation_points=0``)."""
    shapes = {tuple((a.shape[0], *a.shape[2:]) for a in layers) for layers in parts}
    if len(shapes) != 1:
        return parts[0]
    return [np.concatenate(layer, axis=1) for layer in zip(*parts, strict=True)]


def _padded(parts: list[np.ndarray], axis: int) -> list[np.ndarray]:
    """Float arrays padded with NaN along ``axis`` to the longest."""
    size = max(p.shape[axis] for p in parts)
    out = []
    for p in parts:
        width = [(0, 0)] * p.ndim
        width[axis] = (0, size - p.shape[axis])
        out.append(np.pad(p, width, constant_values=np.nan))
    return out
