"""Train K small networks side by side and record what the lessons draw.

``train`` is the seed's loop — draw a batch, forward pass, loss, backward pass by the chain
rule, update — for K paired runs, built on ``engine.runner.run``:

* every run starts from the same initial weights (seeded) and runs that share a batch size see
  exactly the same batches (one seeded ``BatchSchedule``), so a comparison differs only in the
  setting compared (sum vs mean, optimizer, momentum, L2, L1);
* runs that share batch size, reduction, L2 and L1 are one batched forward/backward computation;
* the network sees the input *features* ``feature_matrix(X, features)`` of the raw
  (standardised) inputs (``engine.features``: x₁, x₂, x₁², …; by default the raw inputs
  themselves), while everything drawn — the grid, the activation points — stays in the raw
  input plane (or line, for 1-D data);
* each run trains for the same number of *epochs*, so runs with different batch sizes take
  different numbers of steps; frames are chosen evenly over each run's own steps (frame f of
  every run is at the same fraction of training);
* divergence is data (the run freezes, ``diverged_at`` says when), never an exception.

After training, the parameters recorded at the frames (at most 120) are evaluated in one
vectorised pass: train/test loss, the class predicted for every example and the accuracy it
gives, the prediction on a grid over the input plane (the decision boundary), the hidden
activations of some training points (the geometry lesson) and the weight norm.

What one run is (``TrainRun``), the setup every run shares (``prepare``), one step of one run
opened up (``replay_step``, ``StepDetail``) and a network's units drawn over the plane
(``unit_maps``) live in ``engine.training_steps``; they are re-exported here, so
``from engine.training import TrainRun, replay_step`` works.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from engine.batching import BatchSchedule
from engine.datasets import Dataset
from engine.features import feature_matrix
from engine.nn import MLPSpec, example_losses, forward, predictions
from engine.runner import run
from engine.training_steps import (
    MAX_RUNS,
    Prepared,
    StepDetail,
    TrainRun,
    grid_points,
    prepare,
    replay_step,
    run_group,
    unit_maps,
)
from i18n import N_, ProblemWithCounts

__all__ = [
    "MAX_FRAMES",
    "MAX_GRID",
    "MAX_RUNS",
    "MAX_WORK",
    "Prepared",
    "StepDetail",
    "TrainResult",
    "TrainRun",
    "grid_points",
    "prepare",
    "replay_step",
    "run_group",
    "train",
    "unit_maps",
]

Array = NDArray[np.float64]

MAX_FRAMES = 120
MAX_GRID = 150
MAX_WORK = 6_000_000_000  # Σ multiply-adds of training plus frame evaluation (see _work)
_EVAL_CHUNK = 4_000_000  # networks × points × widest layer evaluated at once
_EVAL_THREADS = 2  # the machine this is built for has two cores
_BLAS: list[ThreadpoolController] = []  # found once: looking up the BLAS libraries takes ~1 ms


def _blas() -> ThreadpoolController:
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0]


class TrainResult(NamedTuple):
    """What K training runs did. F frames, T_max the most steps any run took.

    Attributes:
        frame_steps: ``(F, K)`` the optimizer step of each frame, per run.
        frame_epochs: ``(F, K)`` the same in epochs (examples seen / training set size).
        frame_examples: ``(F, K)`` examples seen at each frame.
        params: ``(F, K, P)`` the parameters at each frame (NaN once diverged).
        batch_loss: ``(T_max, K)`` loss of the batch at every step (NaN past a run's end).
        examples_seen: ``(T_max + 1, K)`` examples drawn before each step.
        train_loss, test_loss: ``(F, K)`` mean data loss (no L2 or L1) on the whole set.
        train_accuracy, test_accuracy: ``(F, K)`` the share of ``*_predicted`` equal to the
            label; NaN for regression, for an empty set, and where the network's output is not
            finite for some example (a diverged run: no measurement, not 0 % or 50 %).
        train_predicted, test_predicted: int8 ``(F, K, n_train)`` and ``(F, K, n_test)``, the
            class the network predicts for every example at every frame — argmax of the
            logits for softmax_ce, z > 0 for the one-unit classifiers, as ``engine.nn.accuracy``
            decides — and −1 where its output is not finite; empty ``(F, K, 0)`` for
            regression. From the logits the losses come from: exactly what the accuracy counts.
        weight_norm: ``(F, K)`` ‖W‖ over all weights (no biases).
        grid_axes: the grid's coordinates in the raw (standardised) input plane: ``(x, y)`` each
            ``(G,)`` for 2-D data, ``(x,)`` for 1-D data — whatever the features.
        grid_output: ``predictions`` on the grid, float32: ``(F, K, G, G)`` P(class 1),
            ``(F, K, G, G, C)`` class probabilities, or ``(F, K, G)`` regression values.
        activation_points: ``(n, d)`` the raw training inputs whose activations are kept.
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
    train_predicted: NDArray[np.int8]
    test_predicted: NDArray[np.int8]
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
    features: Sequence[str] | None = None,
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

    Run k takes T_k = max(1, round(epochs · steps_per_epoch_k)) steps; frame f of run k is at
    step round(f·T_k/(F − 1)).

    Args:
        spec: the network; ``spec.n_inputs`` must equal ``len(features)``.
        data: the dataset; its raw (standardised) inputs are kept, the network sees features.
        runs: 1 to ``MAX_RUNS`` runs, compared on the same start and batches.
        features: keys of ``engine.features.FEATURES`` in input order; None (default) is the
            raw inputs, ("x1",) for 1-D data and ("x1", "x2") for 2-D data.
        epochs: passes over the training set, in (0, 10 000].
        reshuffle, drop_last, batch_seed: how batches are drawn (``BatchSchedule``).
        init_seed: seeds the initial weights, shared by every run.
        n_frames: frames to record, 2 … ``MAX_FRAMES`` (fewer if a run is shorter).
        grid_size: G, points per axis of the prediction grid, 10 … ``MAX_GRID``.
        activation_points: training points whose hidden activations are recorded, 0 … 2000.

    Raises:
        ValueError: inconsistent spec, features and data, bad settings, or a request beyond
            ``MAX_WORK`` (the message says what to reduce).
    """
    _check_drawing(n_frames, grid_size, activation_points)
    prep = prepare(
        spec, data, runs, features=features, epochs=epochs, drop_last=drop_last, init_seed=init_seed
    )
    n_train, per_epoch, n_steps = len(data.X_train), prep.steps_per_epoch, prep.n_steps
    frames = min(n_frames, int(n_steps.min()) + 1)
    grid_axes = _grid_axes(data, grid_size)
    raw_grid = grid_points(grid_axes)
    n_act = min(activation_points, n_train)
    _check_work(spec, runs, n_steps, frames, len(data.X_test), n_train, len(raw_grid), n_act)
    inputs = _Inputs(
        train=prep.objective.X,
        test=feature_matrix(data.X_test, prep.features),
        grid=feature_matrix(raw_grid, prep.features).astype(np.float32),
        acts=prep.objective.X[:n_act].astype(np.float32),
    )

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
        groups = [run_group(runs[k], prep.start, schedule) for k in members]
        steps = np.unique(np.round(np.linspace(0, T, frames)).astype(np.intp))
        traj = run(prep.objective, groups, T, record_steps=steps, full_loss=False)
        frame_steps[:, members] = traj.steps[:, None]
        params[:, members] = traj.params
        batch_loss[:T, members] = traj.batch_loss
        examples_seen[: T + 1, members] = traj.examples_seen
        diverged_at[members] = traj.diverged_at

    frame_examples = np.take_along_axis(examples_seen, frame_steps, axis=0)
    evaluation = _evaluate(spec, data, params, inputs)
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
        train_predicted=evaluation.train_predicted,
        test_predicted=evaluation.test_predicted,
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


def _check_drawing(n_frames: int, grid_size: int, activation_points: int) -> None:
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
    """Refuse requests whose multiply-adds (≈ P per example, ×3 for backprop) exceed MAX_WORK.

    P = ``spec.n_params`` counts the first layer's weights from every *feature*
    (``spec.n_inputs = len(features)``), so more features cost what they really cost.
    """
    P = spec.n_params
    training = sum(3 * int(t) * r.batch_size * P for t, r in zip(n_steps, runs, strict=True))
    evaluation = frames * len(runs) * (n_train + n_test + n_grid + n_act) * P
    work = training + evaluation
    if work > MAX_WORK:
        raise ProblemWithCounts(
            N_("This request needs about {work} multiply-adds; the limit is {limit}. Use fewer "
               "epochs, runs or frames, a smaller network or grid."),
            work=int(work), limit=MAX_WORK,  # grouped: 6,000,000,000 / 6 000 000 000
        )  # fmt: skip


def _grid_axes(data: Dataset, size: int) -> tuple[Array, ...]:
    """A square grid over the raw inputs' extent plus a margin: one ``(G,)`` axis per input."""
    everything = np.concatenate([data.X_train, data.X_test])
    low, high = everything.min(axis=0), everything.max(axis=0)
    margin = 0.15 * np.maximum(high - low, 1e-9)
    return tuple(
        np.linspace(lo, hi, size) for lo, hi in zip(low - margin, high + margin, strict=True)
    )


def _grid_shape(flat: Array, axes: tuple[Array, ...]) -> NDArray[np.float32]:
    F, K = flat.shape[:2]
    shape = (F, K, *(len(a) for a in reversed(axes)), *flat.shape[3:])
    return flat.reshape(shape).astype(np.float32)


class _Inputs(NamedTuple):
    """The network's inputs (features) for everything evaluated at the frames."""

    train: Array
    test: Array
    grid: NDArray[np.float32]  # drawn only: float32
    acts: NDArray[np.float32]


class _Evaluation(NamedTuple):
    train_loss: Array
    train_accuracy: Array
    train_predicted: NDArray[np.int8]
    test_loss: Array
    test_accuracy: Array
    test_predicted: NDArray[np.int8]
    grid: Array
    activations: list[NDArray[np.float32]]


def _evaluate(spec: MLPSpec, data: Dataset, params: Array, inputs: _Inputs) -> _Evaluation:
    """Evaluate the F·K recorded networks in chunks: losses, accuracies, grid, activations."""
    F, K, P = params.shape
    nets = params.reshape(F * K, P)
    widest = max(spec.sizes)
    n_grid, n_act = len(inputs.grid), len(inputs.acts)
    points = len(inputs.train) + len(inputs.test) + n_grid + n_act
    chunk = max(1, _EVAL_CHUNK // max(1, points * widest))
    out_units = spec.n_outputs if spec.output == "softmax_ce" else 1
    grid32, act32 = inputs.grid, inputs.acts

    def evaluate_chunk(lo: int) -> dict[str, list[NDArray[Any]]]:
        with np.errstate(all="ignore"):  # thread-local: diverged (NaN) networks give NaN
            return _evaluate_block(nets[lo : lo + chunk])

    def _evaluate_block(block: Array) -> dict[str, list[NDArray[Any]]]:
        out: dict[str, list[NDArray[Any]]] = {}
        for X, y, key in ((inputs.train, data.y_train, "t"), (inputs.test, data.y_test, "v")):
            if len(X) == 0:
                out[f"{key}l"] = out[f"{key}a"] = [np.full(len(block), np.nan)]
                out[f"{key}p"] = [np.empty((len(block), 0), np.int8)]
                continue
            logits = forward(spec, block, X, keep_pre=False).logits  # (block, n, outputs)
            labels = np.asarray(y)
            out[f"{key}l"] = [example_losses(spec, logits, labels)[0].mean(-1)]
            classes = _classes(spec, logits)  # (block, n) or (block, 0)
            out[f"{key}p"] = [classes]
            out[f"{key}a"] = [_accuracy(classes, labels)]
        # What is only drawn (the grid, the activations) is computed in float32: half the
        # memory traffic, and far more precision than a colour scale shows.
        block32 = block.astype(np.float32)
        grid = predictions(spec, forward(spec, block32, grid32, keep_pre=False).logits)
        out["grid"] = [grid.reshape(len(block), n_grid, -1)[..., :out_units]]
        out["acts"] = []
        if spec.hidden and n_act:
            fwd = forward(spec, block32, act32, keep_pre=False)
            out["acts"] = [a.astype(np.float32) for a in fwd.post]
        return out

    # The chunks are independent: two threads share them (NumPy releases the GIL inside array
    # operations) with single-threaded BLAS, which measured 0.15 s against 0.25 s for one
    # thread over two-threaded BLAS — these products are too small for BLAS's own threads.
    with (
        _blas().limit(limits=1, user_api="blas"),
        ThreadPoolExecutor(max_workers=_EVAL_THREADS) as pool,
    ):
        parts = list(pool.map(evaluate_chunk, range(0, F * K, chunk)))
    keys = ("tl", "ta", "tp", "vl", "va", "vp", "grid")
    result = {k: [x for p in parts for x in p[k]] for k in keys}
    acts = [[p["acts"][layer] for p in parts if p["acts"]] for layer in range(len(spec.hidden))]
    grid_all = np.concatenate(result["grid"]).reshape(F, K, n_grid, out_units)
    if out_units == 1:
        grid_all = grid_all[..., 0]
    return _Evaluation(
        train_loss=np.concatenate(result["tl"]).reshape(F, K),
        train_accuracy=np.concatenate(result["ta"]).reshape(F, K),
        train_predicted=_per_frame(result["tp"], F, K),
        test_loss=np.concatenate(result["vl"]).reshape(F, K),
        test_accuracy=np.concatenate(result["va"]).reshape(F, K),
        test_predicted=_per_frame(result["vp"], F, K),
        grid=grid_all,
        activations=[
            np.concatenate(a).reshape(F, K, n_act, -1).astype(np.float32)
            if a
            else np.empty((F, K, 0, 0), np.float32)
            for a in acts
        ],
    )


def _per_frame(blocks: list[NDArray[Any]], F: int, K: int) -> NDArray[np.int8]:
    """Per-block ``(networks, n)`` class arrays → ``(F, K, n)`` (n may be 0)."""
    joined = np.concatenate(blocks)
    return joined.reshape(F, K, joined.shape[-1]).astype(np.int8)


def _classes(spec: MLPSpec, logits: Array) -> NDArray[np.int8]:
    """The class each of K networks predicts for each of B examples, int8 ``(K, B)``.

    argmax_c z_c for softmax_ce, [z > 0] for the one-unit classifiers (``engine.nn.accuracy``'s
    rule); −1 where a logit is not finite. Regression predicts no class: ``(K, 0)``.
    """
    if spec.output == "mse":
        return np.empty((logits.shape[0], 0), np.int8)
    finite = np.all(np.isfinite(logits), axis=-1)
    if spec.output == "softmax_ce":
        classes = np.where(finite[..., None], logits, 0.0).argmax(axis=-1)
    else:
        classes = (logits[..., 0] > 0).astype(np.intp)
    return np.where(finite, classes, -1).astype(np.int8)


def _accuracy(classes: NDArray[np.int8], labels: Array) -> Array:
    """Share of examples whose class is the label ``(K,)``; NaN if a network's output is not
    finite for some example (a diverged run measures nothing) or there is no class."""
    if classes.shape[-1] == 0:
        return np.full(classes.shape[0], np.nan)
    right = (classes == labels).mean(axis=-1)
    return np.where(np.all(classes >= 0, axis=-1), right, np.nan)
