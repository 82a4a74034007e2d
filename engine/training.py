"""Train K small networks side by side and record what the lessons draw.

``train`` is the seed's loop — draw a batch, forward pass, loss, backward pass by the chain
rule, update — for K paired runs, built on ``engine.runner.run``:

* every run starts from the same initial weights (seeded) and runs that share a batch size see
  exactly the same batches (one seeded ``BatchSchedule``), so a comparison differs only in the
  setting compared (sum vs mean, optimizer, momentum, L2);
* runs that share batch size, reduction and L2 are one batched forward/backward computation;
* each run trains for the same number of *epochs*, so runs with different batch sizes take
  different numbers of steps; frames are chosen evenly over each run's own steps (frame f of
  every run is at the same fraction of training);
* divergence is data (the run freezes, ``diverged_at`` says when), never an exception.

After training, the parameters recorded at the frames (at most 120) are evaluated in one
vectorised pass: train/test loss and accuracy, the prediction on a grid over the input plane
(the decision boundary), the hidden activations of some training points (the geometry lesson)
and the weight norm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from engine.batching import BatchSchedule, steps_per_epoch
from engine.datasets import Dataset
from engine.nn import MLPSpec, NetworkObjective, accuracy, example_losses, forward, predictions
from engine.nn import init_params as _init_params
from engine.optimizers import Optimizer
from engine.runner import RunGroup, run

Array = NDArray[np.float64]

MAX_RUNS = 16
MAX_FRAMES = 120
MAX_GRID = 150
MAX_WORK = 6_000_000_000  # Σ multiply-adds of training plus frame evaluation (see _work)
_EVAL_CHUNK = 4_000_000  # networks × points × widest layer evaluated at once
_EVAL_THREADS = 2  # the machine this is built for has two cores


@dataclass(frozen=True)
class TrainRun:
    """One run of a comparison.

    Attributes:
        optimizer: any optimizer from ``engine.optimizers`` (scalar hyper-parameters).
        batch_size: B, from 1 (true SGD) to the training set size (full batch).
        reduction: "mean" or "sum" of the per-example losses over the batch.
        l2: coupled L2 strength λ on the weights, added once per batch.
        label: how the lesson names this run.
    """

    optimizer: Optimizer
    batch_size: int = 32
    reduction: str = "mean"
    l2: float = 0.0
    label: str = ""


class TrainResult(NamedTuple):
    """What K training runs did. F frames, T_max the most steps any run took.

    Attributes:
        frame_steps: ``(F, K)`` the optimizer step of each frame, per run.
        frame_epochs: ``(F, K)`` the same in epochs (examples seen / training set size).
        frame_examples: ``(F, K)`` examples seen at each frame.
        params: ``(F, K, P)`` the parameters at each frame (NaN once diverged).
        batch_loss: ``(T_max, K)`` loss of the batch at every step (NaN past a run's end).
        examples_seen: ``(T_max + 1, K)`` examples drawn before each step.
        train_loss, test_loss: ``(F, K)`` mean data loss (no L2) on the whole set.
        train_accuracy, test_accuracy: ``(F, K)`` (NaN for regression).
        weight_norm: ``(F, K)`` ‖W‖ over all weights (no biases).
        grid_axes: the grid's coordinates: ``(x, y)`` each ``(G,)`` for 2-D inputs, ``(x,)``
            for 1-D regression.
        grid_output: ``predictions`` on the grid, float32: ``(F, K, G, G)`` P(class 1),
            ``(F, K, G, G, C)`` class probabilities, or ``(F, K, G)`` regression values.
        activation_points: ``(n, n_inputs)`` the training inputs whose activations are kept.
        activation_labels: ``(n,)`` their labels.
        activations: per hidden layer, float32 ``(F, K, n, units)``.
        diverged_at: ``(K,)`` step at which a run diverged, or −1.
        steps_per_epoch: ``(K,)``.
        n_steps: ``(K,)`` total steps of each run.
    """

    frame_steps: NDArray[np.intp]
    frame_epochs: Array
    frame_examples: Array
    params: Array
    batch_loss: Array
    examples_seen: Array
    train_loss: Array
    test_loss: Array
    train_accuracy: Array
    test_accuracy: Array
    weight_norm: Array
    grid_axes: tuple[Array, ...]
    grid_output: NDArray[np.float32]
    activation_points: Array
    activation_labels: Array
    activations: list[NDArray[np.float32]]
    diverged_at: NDArray[np.intp]
    steps_per_epoch: NDArray[np.intp]
    n_steps: NDArray[np.intp]


def train(
    spec: MLPSpec,
    data: Dataset,
    runs: Sequence[TrainRun],
    *,
    epochs: float = 10.0,
    reshuffle: bool = True,
    drop_last: bool = False,
    batch_seed: int = 0,
    init_seed: int = 0,
    n_frames: int = MAX_FRAMES,
    grid_size: int = 80,
    activation_points: int = 200,
) -> TrainResult:
    """Train every run for ``epochs`` epochs and evaluate ``n_frames`` frames of each.

    Raises:
        ValueError: inconsistent spec and data, bad settings, or a request beyond ``MAX_WORK``
            (the message says what to reduce).
    """
    _check(spec, data, runs, epochs, n_frames, grid_size, activation_points)
    n_train = len(data.X_train)
    start = _init_params(spec, np.random.default_rng(init_seed))[None, :]
    objective = NetworkObjective(spec, data.X_train, data.y_train)

    per_epoch = np.array(
        [steps_per_epoch(BatchSchedule(n_train, r.batch_size, drop_last=drop_last)) for r in runs]
    )
    n_steps = np.maximum(1, np.round(per_epoch * epochs)).astype(np.intp)
    frames = min(n_frames, int(n_steps.min()) + 1)
    grid_axes, grid_points = _grid(data, grid_size)
    n_act = min(activation_points, n_train)
    _check_work(spec, runs, n_steps, frames, len(data.X_test), n_train, len(grid_points), n_act)

    K, T_max = len(runs), int(n_steps.max())
    frame_steps = np.zeros((frames, K), dtype=np.intp)
    params = np.full((frames, K, spec.n_params), np.nan)
    batch_loss = np.full((T_max, K), np.nan)
    examples_seen = np.full((T_max + 1, K), np.nan)
    diverged_at = np.full(K, -1, dtype=np.intp)
    # One engine call per batch size: those runs share the batch stream and the step count.
    for batch_size in dict.fromkeys(r.batch_size for r in runs):
        members = [k for k, r in enumerate(runs) if r.batch_size == batch_size]
        T = int(n_steps[members[0]])
        schedule = BatchSchedule(
            n_train, batch_size, reshuffle=reshuffle, drop_last=drop_last, seed=batch_seed
        )
        groups = [
            RunGroup(runs[k].optimizer, start, schedule, runs[k].reduction, runs[k].l2)
            for k in members
        ]
        steps = np.unique(np.round(np.linspace(0, T, frames)).astype(np.intp))
        traj = run(objective, groups, T, record_steps=steps, full_loss=False)
        frame_steps[:, members] = traj.steps[:, None]
        params[:, members] = traj.params
        batch_loss[:T, members] = traj.batch_loss
        examples_seen[: T + 1, members] = traj.examples_seen
        diverged_at[members] = traj.diverged_at

    frame_examples = np.take_along_axis(examples_seen, frame_steps, axis=0)
    evaluation = _evaluate(spec, data, params, grid_points, n_act)
    weights = params * spec.weight_mask
    return TrainResult(
        frame_steps=frame_steps,
        frame_epochs=frame_examples / n_train,
        frame_examples=frame_examples,
        params=params,
        batch_loss=batch_loss,
        examples_seen=examples_seen,
        train_loss=evaluation.train_loss,
        test_loss=evaluation.test_loss,
        train_accuracy=evaluation.train_accuracy,
        test_accuracy=evaluation.test_accuracy,
        weight_norm=np.sqrt(np.sum(weights * weights, axis=-1)),
        grid_axes=grid_axes,
        grid_output=_grid_shape(evaluation.grid, grid_axes),
        activation_points=np.asarray(data.X_train[:n_act]),
        activation_labels=np.asarray(data.y_train[:n_act]),
        activations=evaluation.activations,
        diverged_at=diverged_at,
        steps_per_epoch=per_epoch.astype(np.intp),
        n_steps=n_steps,
    )


def _check(
    spec: MLPSpec,
    data: Dataset,
    runs: Sequence[TrainRun],
    epochs: float,
    n_frames: int,
    grid_size: int,
    activation_points: int,
) -> None:
    if not runs:
        raise ValueError("Nothing to train: give at least one TrainRun")
    if len(runs) > MAX_RUNS:
        raise ValueError(f"At most {MAX_RUNS} runs at once, got {len(runs)}")
    if spec.n_inputs != data.n_inputs:
        raise ValueError(f"The network takes {spec.n_inputs} inputs; the data has {data.n_inputs}")
    regression = spec.output == "mse"
    if regression != (data.task == "regression"):
        raise ValueError(f"Output {spec.output!r} does not fit a {data.task} dataset")
    classes = spec.n_outputs if spec.output == "softmax_ce" else 2
    if not regression and data.n_classes > classes:
        raise ValueError(
            f"{data.n_classes} classes need a softmax_ce output with {data.n_classes} units"
        )
    n_train = len(data.X_train)
    for r in runs:
        if not 1 <= r.batch_size <= n_train:
            raise ValueError(f"batch_size must be between 1 and {n_train}, got {r.batch_size}")
    if not (math.isfinite(epochs) and 0 < epochs <= 10_000):
        raise ValueError(f"epochs must be a number in (0, 10000], got {epochs!r}")
    if not 2 <= n_frames <= MAX_FRAMES:
        raise ValueError(f"n_frames must be between 2 and {MAX_FRAMES}, got {n_frames}")
    if not 10 <= grid_size <= MAX_GRID:
        raise ValueError(f"grid_size must be between 10 and {MAX_GRID}, got {grid_size}")
    if not 0 <= activation_points <= 2000:
        raise ValueError(f"activation_points must be between 0 and 2000, got {activation_points}")


def _check_work(
    spec: MLPSpec,
    runs: Sequence[TrainRun],
    n_steps: NDArray[np.intp],
    frames: int,
    n_test: int,
    n_train: int,
    n_grid: int,
    n_act: int,
) -> None:
    """Refuse requests whose multiply-adds (≈ P per example, ×3 for backprop) exceed MAX_WORK."""
    P = spec.n_params
    training = sum(3 * int(t) * r.batch_size * P for t, r in zip(n_steps, runs, strict=True))
    evaluation = frames * len(runs) * (n_train + n_test + n_grid + n_act) * P
    work = training + evaluation
    if work > MAX_WORK:
        raise ValueError(
            f"This request needs about {work:,} multiply-adds; the limit is {MAX_WORK:,}. "
            "Use fewer epochs, runs or frames, a smaller network or grid."
        )


def _grid(data: Dataset, size: int) -> tuple[tuple[Array, ...], Array]:
    """A square grid over the data's extent plus a margin: axes and points ``(G^d, d)``."""
    everything = np.concatenate([data.X_train, data.X_test])
    low, high = everything.min(axis=0), everything.max(axis=0)
    margin = 0.15 * np.maximum(high - low, 1e-9)
    axes = tuple(
        np.linspace(lo, hi, size) for lo, hi in zip(low - margin, high + margin, strict=True)
    )
    mesh = np.meshgrid(*axes, indexing="xy")  # row = y, column = x, as a heatmap draws it
    return axes, np.stack([m.ravel() for m in mesh], axis=-1)


def _grid_shape(flat: Array, axes: tuple[Array, ...]) -> NDArray[np.float32]:
    F, K = flat.shape[:2]
    shape = (F, K, *(len(a) for a in reversed(axes)), *flat.shape[3:])
    return flat.reshape(shape).astype(np.float32)


class _Evaluation(NamedTuple):
    train_loss: Array
    train_accuracy: Array
    test_loss: Array
    test_accuracy: Array
    grid: Array
    activations: list[NDArray[np.float32]]


def _evaluate(
    spec: MLPSpec, data: Dataset, params: Array, grid_points: Array, n_act: int
) -> _Evaluation:
    """Evaluate the F·K recorded networks in chunks: losses, accuracies, grid, activations."""
    F, K, P = params.shape
    nets = params.reshape(F * K, P)
    widest = max(spec.sizes)
    points = len(data.X_train) + len(data.X_test) + len(grid_points) + n_act
    chunk = max(1, _EVAL_CHUNK // max(1, points * widest))
    out_units = spec.n_outputs if spec.output == "softmax_ce" else 1
    grid32 = grid_points.astype(np.float32)
    act32 = data.X_train[:n_act].astype(np.float32)

    def evaluate_chunk(lo: int) -> dict[str, list[Array]]:
        with np.errstate(all="ignore"):  # thread-local: diverged (NaN) networks give NaN
            return _evaluate_block(nets[lo : lo + chunk])

    def _evaluate_block(block: Array) -> dict[str, list[Array]]:
        out: dict[str, list[Array]] = {}
        for X, y, loss_key, acc_key in (
            (data.X_train, data.y_train, "tl", "ta"),
            (data.X_test, data.y_test, "vl", "va"),
        ):
            if len(X) == 0:
                out[loss_key] = [np.full(len(block), np.nan)]
                out[acc_key] = [np.full(len(block), np.nan)]
                continue
            logits = forward(spec, block, X, keep_pre=False).logits
            out[loss_key] = [example_losses(spec, logits, np.asarray(y))[0].mean(-1)]
            out[acc_key] = [accuracy(spec, logits, np.asarray(y))]
        # What is only drawn (the grid, the activations) is computed in float32: half the
        # memory traffic, and far more precision than a colour scale shows.
        block32 = block.astype(np.float32)
        grid = predictions(spec, forward(spec, block32, grid32, keep_pre=False).logits)
        out["grid"] = [grid.reshape(len(block), len(grid_points), -1)[..., :out_units]]
        out["acts"] = []
        if spec.hidden and n_act:
            fwd = forward(spec, block32, act32, keep_pre=False)
            out["acts"] = [a.astype(np.float32) for a in fwd.post]
        return out

    # The chunks are independent: two threads share them (NumPy releases the GIL inside array
    # operations) with single-threaded BLAS, which measured 0.15 s against 0.25 s for one
    # thread over two-threaded BLAS — these products are too small for BLAS's own threads.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        ThreadPoolExecutor(max_workers=_EVAL_THREADS) as pool,
    ):
        parts = list(pool.map(evaluate_chunk, range(0, F * K, chunk)))
    result = {k: [x for p in parts for x in p[k]] for k in ("tl", "ta", "vl", "va", "grid")}
    acts = [[p["acts"][layer] for p in parts if p["acts"]] for layer in range(len(spec.hidden))]
    grid_all = np.concatenate(result["grid"]).reshape(F, K, len(grid_points), out_units)
    if out_units == 1:
        grid_all = grid_all[..., 0]
    return _Evaluation(
        train_loss=np.concatenate(result["tl"]).reshape(F, K),
        train_accuracy=np.concatenate(result["ta"]).reshape(F, K),
        test_loss=np.concatenate(result["vl"]).reshape(F, K),
        test_accuracy=np.concatenate(result["va"]).reshape(F, K),
        grid=grid_all,
        activations=[
            np.concatenate(a).reshape(F, K, n_act, -1).astype(np.float32)
            if a
            else np.empty((F, K, 0, 0), np.float32)
            for a in acts
        ],
    )
