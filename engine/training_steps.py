"""One run: what it is, the setup it shares with the others, and one step of it opened up.

Contract:

* ``TrainRun`` (frozen) is one run of a comparison: optimizer, batch size, reduction, L2, L1.
* ``prepare(spec, data, runs, ...)`` validates a request and builds what every run shares: the
  features (default: the raw inputs), the network objective on the training features, the
  seeded initial weights, the steps of each run. ``engine.training.train`` and ``replay_step``
  both start from it, which is what makes a replay exact.
* ``replay_step(spec, data, run, t, ...)`` recomputes step t of one ``TrainRun`` exactly as
  ``engine.training.train`` took it with the same settings: the seed's loop — draw batch t,
  forward pass, loss, backward pass, update — as a ``StepDetail`` of plain arrays. It re-runs
  that run from its initial weights through ``engine.runner.run`` for t + 1 steps, recording
  only steps t and t + 1 (never every step's state), so ``params_before`` equals
  ``train(...).params`` at a frame of step t bit for bit. A run that diverged at or before
  step t gives NaN arrays and ``diverged=True``; nothing raises.
* ``unit_maps(spec, params, features, axes)`` evaluates one network over a grid of the raw
  input plane (or line) and returns every hidden unit's output and the prediction as float32
  maps, row = y and column = x as a heatmap draws them (TensorFlow Playground's thumbnails).

Everything public here is re-exported by ``engine.training``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.batching import BatchSchedule, make_batches, steps_per_epoch
from engine.datasets import Dataset
from engine.features import check_features, feature_matrix, raw_features
from engine.nn import MLPSpec, NetworkObjective, example_losses, forward, predictions
from engine.nn import init_params as _init_params
from engine.optimizers import Optimizer
from engine.runner import RunGroup
from engine.runner import run as run_groups
from i18n import N_, Problem

Array = NDArray[np.float64]

MAX_RUNS = 16
MAX_MAP_POINTS = 300  # points per axis of a unit map


@dataclass(frozen=True)
class TrainRun:
    """One run of a comparison.

    Attributes:
        optimizer: any optimizer from ``engine.optimizers`` (scalar hyper-parameters).
        batch_size: B, from 1 (true SGD) to the training set size (full batch).
        reduction: "mean" or "sum" of the per-example losses over the batch.
        l2: coupled L2 strength λ₂ on the weights, (λ₂/2)·Σ‖W‖² added once per batch.
        l1: L1 strength λ₁ on the weights, λ₁·Σ|W| added once per batch (pushes weights to
            exactly zero: TensorFlow Playground's "L1" regularization).
        label: how the lesson names this run.
    """

    optimizer: Optimizer
    batch_size: int = 32
    reduction: str = "mean"
    l2: float = 0.0
    l1: float = 0.0
    label: str = ""


class Prepared(NamedTuple):
    """What ``train`` and ``replay_step`` share, validated.

    Attributes:
        features: the feature keys the network sees, as a tuple.
        objective: the network on the training *features* (``objective.X`` is
            ``feature_matrix(data.X_train, features)``).
        start: ``(1, P)`` the seeded initial weights every run starts from.
        steps_per_epoch: ``(K,)`` per run.
        n_steps: ``(K,)`` T_k = max(1, round(epochs · steps_per_epoch_k)).
    """

    features: tuple[str, ...]
    objective: NetworkObjective
    start: Array
    steps_per_epoch: NDArray[np.intp]
    n_steps: NDArray[np.intp]


def prepare(
    spec: MLPSpec,
    data: Dataset,
    runs: Sequence[TrainRun],
    *,
    features: Sequence[str] | None,
    epochs: float,
    drop_last: bool,
    init_seed: int,
) -> Prepared:
    """Validate a request and build what every step needs (see ``Prepared``).

    Raises:
        ValueError: no or too many runs, features or a spec that do not fit the data, a batch
            size or number of epochs out of range.
    """
    chosen = _check_setup(spec, data, runs, features, epochs)
    n_train = len(data.X_train)
    per_epoch = np.array(
        [steps_per_epoch(BatchSchedule(n_train, r.batch_size, drop_last=drop_last)) for r in runs],
        dtype=np.intp,
    )
    return Prepared(
        features=chosen,
        objective=NetworkObjective(spec, feature_matrix(data.X_train, chosen), data.y_train),
        start=_init_params(spec, np.random.default_rng(init_seed))[None, :],
        steps_per_epoch=per_epoch,
        n_steps=np.maximum(1, np.round(per_epoch * epochs)).astype(np.intp),
    )


def run_group(train_run: TrainRun, start: Array, schedule: BatchSchedule) -> RunGroup:
    """The runner's group for one ``TrainRun`` from ``start`` on ``schedule``."""
    return RunGroup(
        train_run.optimizer, start, schedule, train_run.reduction, train_run.l2, train_run.l1
    )


def _check_setup(
    spec: MLPSpec,
    data: Dataset,
    runs: Sequence[TrainRun],
    features: Sequence[str] | None,
    epochs: float,
) -> tuple[str, ...]:
    """Validate runs, spec, features and data; return the features as a tuple."""
    if not runs:
        raise Problem(N_("Nothing to train: give at least one TrainRun"))
    if len(runs) > MAX_RUNS:
        raise Problem(N_("At most {high} runs at once, got {n}"), high=MAX_RUNS, n=len(runs))
    chosen = (raw_features(data.n_inputs) if features is None
              else check_features(features, data.n_inputs))  # fmt: skip
    if spec.n_inputs != len(chosen) and features is None:
        raise Problem(N_("The network takes {n} inputs; the data has {given}"),
                      n=spec.n_inputs, given=data.n_inputs)  # fmt: skip
    if spec.n_inputs != len(chosen):
        raise Problem(N_("The network takes {n} inputs; the features {features} give {given}"),
                      n=spec.n_inputs, features=str(list(chosen)), given=len(chosen))  # fmt: skip
    regression = spec.output == "mse"
    if regression != (data.task == "regression"):
        if data.task == "regression":
            raise Problem(
                N_("Output {output} does not fit a regression dataset"), output=repr(spec.output)
            )
        raise Problem(
            N_("Output {output} does not fit a classification dataset"), output=repr(spec.output)
        )
    classes = spec.n_outputs if spec.output == "softmax_ce" else 2
    if not regression and data.n_classes > classes:
        raise Problem(N_("{n} classes need a softmax_ce output with {n} units"), n=data.n_classes)
    n_train = len(data.X_train)
    for r in runs:
        if not 1 <= r.batch_size <= n_train:
            raise Problem(
                N_("batch_size must be between 1 and {high}, got {batch}"),
                high=n_train,
                batch=r.batch_size,
            )
    if not (math.isfinite(epochs) and 0 < epochs <= 10_000):
        raise Problem(
            N_("epochs must be a number in (0, 10000], got {epochs}"), epochs=repr(epochs)
        )
    return chosen


def grid_points(axes: Sequence[Array]) -> Array:
    """The points of the grid on ``axes`` (x, y) or (x,): ``(G_y·G_x, 2)`` or ``(G, 1)``, x
    fastest — so ``(G_y, G_x)`` reshapes them row = y, column = x, as a heatmap draws them."""
    mesh = np.meshgrid(*axes, indexing="xy")
    return np.stack([m.ravel() for m in mesh], axis=-1)


class StepDetail(NamedTuple):
    """Step t of one run: θ_t → θ_{t+1} on batch t. B examples, d raw inputs, P parameters,
    L layers (hidden layers plus the output layer).

    Attributes:
        step: t, the optimizer step (0-based; θ_t has had t updates).
        epoch: the 0-based epoch batch t belongs to.
        batch_index: ``(B,)`` indices into ``data.X_train`` of batch t.
        batch_inputs: ``(B, d)`` their raw (standardised) inputs — not the features.
        batch_targets: ``(B,)`` their labels or targets.
        outputs: the network's ``predictions`` on the batch before the update: ``(B,)``
            (P(class 1), or the value for regression) or ``(B, C)`` for softmax_ce.
        example_losses: ``(B,)`` ℓ_i at θ_t.
        batch_loss: L_t = c·Σ ℓ_i + (λ₂/2)‖W‖² + λ₁Σ|W| with the run's reduction — what the
            optimizer minimised (``train(...).batch_loss[t, k]``).
        grad: ``(P,)`` g_t = ∂L_t/∂θ at θ_t.
        grad_norms: ``(L,)`` ‖∂L_t/∂θ_l‖ per layer, W_l and b_l together.
        update: ``(P,)`` θ_{t+1} − θ_t (the optimizer's update, momentum and all).
        update_norms: ``(L,)`` its norm per layer.
        params_before: ``(P,)`` θ_t.
        params_after: ``(P,)`` θ_{t+1}.
        batch_loss_after: L_t(θ_{t+1}): the same batch, reduction and regularisation after
            the update (lower than ``batch_loss`` when the step helped this batch).
        diverged: the run diverged at or before step t: every array above except the batch's
            indices, inputs and targets is NaN. (If the update of step t itself diverges, the
            "before" fields are real and the "after" fields NaN.)
    """

    step: int
    epoch: int
    batch_index: NDArray[np.intp]
    batch_inputs: Array
    batch_targets: Array
    outputs: Array
    example_losses: Array
    batch_loss: float
    grad: Array
    grad_norms: Array
    update: Array
    update_norms: Array
    params_before: Array
    params_after: Array
    batch_loss_after: float
    diverged: bool


def replay_step(
    spec: MLPSpec,
    data: Dataset,
    run: TrainRun,
    step: int,
    *,
    features: Sequence[str] | None = None,
    epochs: float,
    reshuffle: bool = True,
    drop_last: bool = False,
    batch_seed: int = 0,
    init_seed: int = 0,
) -> StepDetail:
    """Step ``step`` of ``run`` as ``train(spec, data, [..., run, ...], ...)`` took it.

    θ_{t+1} = θ_t + update(g_t), g_t = ∇L_t(θ_t), L_t the loss of batch t (see
    ``engine.nn.loss_and_grad``). The keyword arguments must be those given to ``train``; the
    run's position among the others does not matter (paired runs share start and batches).

    Args:
        spec, data, run: the network, the dataset and the run.
        step: t in [0, T − 1], T = max(1, round(epochs · steps per epoch)) the run's steps.
        features, epochs, reshuffle, drop_last, batch_seed, init_seed: as in ``train``.

    Returns:
        A ``StepDetail``.

    Raises:
        ValueError: what ``train`` refuses, or a step outside [0, T − 1].
    """
    prep = prepare(
        spec,
        data,
        [run],
        features=features,
        epochs=epochs,
        drop_last=drop_last,
        init_seed=init_seed,
    )
    n_steps = int(prep.n_steps[0])
    if isinstance(step, bool) or not isinstance(step, int | np.integer):
        raise Problem(N_("step must be an integer, got {step}"), step=repr(step))
    if not 0 <= step < n_steps:
        raise Problem(
            N_("step must be between 0 and {last} (this run takes {n} steps), got {step}"),
            last=n_steps - 1,
            n=n_steps,
            step=int(step),
        )
    t = int(step)
    schedule = BatchSchedule(
        len(data.X_train), run.batch_size, reshuffle=reshuffle, drop_last=drop_last, seed=batch_seed
    )
    traj = run_groups(
        prep.objective,
        [run_group(run, prep.start, schedule)],
        t + 1,
        record_steps=[t, t + 1],
        full_loss=False,
    )
    row = {int(s): r for r, s in enumerate(traj.steps)}
    before, after = traj.params[row[t], 0], traj.params[row[t + 1], 0]  # (P,)
    grad = traj.grads[row[t], 0]
    batches = make_batches(schedule, t + 1)
    idx = batches.batch(t)
    targets = np.asarray(data.y_train[idx], dtype=np.float64)
    with np.errstate(all="ignore"):  # a diverged run is NaN: NaN out, no warnings
        logits = forward(spec, before[None], prep.objective.X[idx]).logits
        losses = example_losses(spec, logits, targets)[0][0]
        loss_after = prep.objective.batch_loss_and_grad(
            after[None], idx, run.reduction, run.l2, run.l1
        )[0][0]
        update = after - before
    return StepDetail(
        step=t,
        epoch=int(batches.epoch[t]),
        batch_index=idx.copy(),
        batch_inputs=np.array(data.X_train[idx], dtype=np.float64),
        batch_targets=targets,
        outputs=np.asarray(predictions(spec, logits)[0], dtype=np.float64),
        example_losses=np.asarray(losses, dtype=np.float64),
        batch_loss=float(traj.batch_loss[t, 0]),
        grad=grad,
        grad_norms=_layer_norms(spec, grad),
        update=update,
        update_norms=_layer_norms(spec, update),
        params_before=before,
        params_after=after,
        batch_loss_after=float(loss_after),
        diverged=bool(0 <= traj.diverged_at[0] <= t),
    )


def _layer_norms(spec: MLPSpec, vector: Array) -> Array:
    """``(L,)`` ‖(W_l, b_l)‖ of a flat ``(P,)`` vector, layer by layer."""
    return np.array(
        [np.sqrt(np.sum(vector[w] ** 2) + np.sum(vector[b] ** 2)) for w, b, _, _ in spec.layers]
    )


def unit_maps(
    spec: MLPSpec,
    params: ArrayLike,
    features: Sequence[str] | None,
    axes: Sequence[ArrayLike],
) -> list[NDArray[np.float32]]:
    """Every unit of one network over the grid of ``axes``: a_l,j(φ(x)) at each grid point x.

    Evaluated in float32, like ``train``'s grid, so the last map equals that frame's
    ``grid_output``.

    Args:
        spec: the network.
        params: ``(P,)`` its parameters.
        features: the feature keys it sees (None: the raw inputs, as in ``train``).
        axes: ``(x, y)`` two ``(G,)`` axes of the raw input plane (e.g. ``train``'s
            ``grid_axes``), or ``(x,)`` for 1-D data; at most ``MAX_MAP_POINTS`` each.

    Returns:
        One float32 array per hidden layer, ``(units, G_y, G_x)`` (row = y, column = x) or
        ``(units, G)`` for 1-D axes, then the prediction as ``(1, G_y, G_x)`` — P(class 1),
        or the value for regression — or ``(C, G_y, G_x)`` class probabilities for softmax_ce
        (``(1, G)`` / ``(C, G)`` for 1-D axes).

    Raises:
        ValueError: axes that are not one or two finite 1-D arrays of 1 … ``MAX_MAP_POINTS``
            points, features that do not fit them or the spec, or params not ``(P,)``.
    """
    grid_axes = tuple(np.asarray(a, dtype=np.float64) for a in axes)
    if not 1 <= len(grid_axes) <= 2:
        raise ValueError(f"axes must be (x, y) or (x,), got {len(grid_axes)} axes")
    for a in grid_axes:
        if a.ndim != 1 or not 1 <= len(a) <= MAX_MAP_POINTS or not np.all(np.isfinite(a)):
            raise ValueError(
                f"each axis must be 1 to {MAX_MAP_POINTS} finite values, got shape {a.shape}"
            )
    d = len(grid_axes)
    chosen = raw_features(d) if features is None else check_features(features, d)
    if spec.n_inputs != len(chosen):
        raise ValueError(f"The network takes {spec.n_inputs} inputs; the features give {chosen}")
    net = np.asarray(params, dtype=np.float64)
    if net.shape != (spec.n_params,):
        raise ValueError(f"params must have shape ({spec.n_params},), got {net.shape}")
    inputs = feature_matrix(grid_points(grid_axes), chosen).astype(np.float32)
    with np.errstate(all="ignore"):  # a diverged (NaN) network draws NaN
        fwd = forward(spec, net[None].astype(np.float32), inputs, keep_pre=False)
        prediction = predictions(spec, fwd.logits)[0]  # (n,) or (n, C)
    shape = tuple(len(a) for a in reversed(grid_axes))  # (G_y, G_x) or (G,)
    if prediction.ndim == 1:
        prediction = prediction[:, None]
    return [
        np.ascontiguousarray(layer.T, dtype=np.float32).reshape(layer.shape[-1], *shape)
        for layer in [*(a[0] for a in fwd.post), prediction]
    ]
