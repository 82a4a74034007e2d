"""The one place that owns the loop over optimization steps.

Contract::

    traj = run(objective, [RunGroup(optimizer, starts, ...), ...], n_steps)

* ``objective`` is an analytic surface (``value``, ``grad``, ``dim``) or a data objective
  (``value``, ``batch_loss_and_grad``, ``dim``, ``n_examples``) — see the two Protocols below.
* K runs = the rows of every group's ``starts``, in group order. Each group shares one optimizer
  (whose hyper-parameters may be per-run arrays of shape ``(n, 1)``) and, on data objectives, one
  batch stream: runs that share a ``BatchSchedule`` (same seed) see exactly the same batches, so a
  comparison differs only in the setting compared. On surfaces, optional Gaussian gradient noise
  (labelled *simulated* in the UI) is drawn once per step and shared by every run, for the same
  reason.
* The result is a ``Trajectories`` NamedTuple of arrays, row 0 the start. A run whose parameters,
  loss or gradient become non-finite, or whose parameters leave ``|θ| ≤ blowup``, has diverged:
  it freezes (NaN from then on) and ``diverged_at`` records the step; the others go on. Nothing
  raises and no NumPy warning escapes.
* Work is bounded (``MAX_RUN_STEPS``, ``MAX_RECORDED``, ``MAX_EXAMPLE_WORK``); larger requests get
  a ``ValueError`` that says what to reduce. Deterministic for a given ``seed``.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.batching import Batches, BatchSchedule, make_batches
from engine.grouping import GradientCall, merge_optimizers
from engine.optimizers import Optimizer
from i18n import N_, Problem

Array = NDArray[np.float64]

MAX_RUN_STEPS = 4_000_000  # runs × steps: the race benchmark (512 × 2000) uses a quarter
MAX_RECORDED = 12_000_000  # recorded rows × runs × dim per recorded array (~96 MB each)
MAX_EXAMPLE_WORK = 1_000_000_000  # Σ over steps of runs × batch size × dim (data objectives)
REDUCTIONS = ("mean", "sum")


@runtime_checkable
class SurfaceObjective(Protocol):
    """An analytic loss surface: every method vectorised over leading axes."""

    dim: int

    def value(self, p: Array) -> Array: ...
    def grad(self, p: Array) -> Array: ...


@runtime_checkable
class DataObjective(Protocol):
    """A loss defined by N examples, whose mini-batch loss and gradient the runner asks for.

    One that also takes ``reduction``, ``l2`` and ``l1`` as one value per run (a sequence)
    says so with ``per_run_settings = True``; the runner then computes every run of a batch
    stream in one call (``engine.nn.NetworkObjective``).
    """

    dim: int
    n_examples: int

    def value(self, p: Array) -> Array: ...
    def batch_loss_and_grad(
        self, params: Array, idx: NDArray[np.intp], reduction: str = ..., l2: float = ...
    ) -> tuple[Array, Array]: ...


class RunGroup(NamedTuple):
    """Runs that share an optimizer and, on data objectives, a batch stream.

    Attributes:
        optimizer: its hyper-parameters broadcast to ``(n, 1)``.
        starts: ``(n, dim)`` one start per run (repeat a row to sweep a hyper-parameter).
        schedule: data objectives only; ``None`` means the full batch at every step.
        reduction: "mean" or "sum" over the batch (sum makes the gradient B times larger).
        l2: coupled L2 strength λ, added once per batch by the objective.
        l1: L1 strength λ₁ (λ₁·Σ|W|, gradient λ₁·sign W), added once per batch by the
            objective; only objectives whose ``batch_loss_and_grad`` takes ``l1`` (the
            networks of ``engine.nn``) accept a non-zero value.
        noise_std: surfaces only: σ of simulated Gaussian gradient noise per example.
        noise_batch_size: surfaces only: B in the noise's σ/√B (a mean over B examples).
    """

    optimizer: Optimizer
    starts: ArrayLike
    schedule: BatchSchedule | None = None
    reduction: str = "mean"
    l2: float = 0.0
    l1: float = 0.0
    noise_std: float = 0.0
    noise_batch_size: int = 1


class Trajectories(NamedTuple):
    """What happened in K runs over T steps (R recorded rows, row r after ``steps[r]`` updates).

    Attributes:
        steps: ``(R,)`` recorded step indices, always including 0 and T.
        params: ``(R, K, dim)`` parameters; NaN after a run diverged.
        loss: ``(R, K)`` full objective; on data objectives with ``full_loss=False`` only the
            last row is computed (NaN elsewhere); on surfaces it is always computed (cheap).
        grads: ``(R, K, dim)`` the (mini-batch, noisy) gradient at ``params[r]`` that the next
            update uses.
        velocity: ``(R, K, dim)`` the optimizer's velocity/first-moment state (zeros if none).
        second_moment: ``(R, K, dim)`` its second-moment state (zeros if none).
        batch_loss: ``(T, K)`` loss of the batch used at each step (on surfaces: the value).
        examples_seen: ``(T + 1, K)`` examples drawn so far (on surfaces: steps × noise B).
        diverged_at: ``(K,)`` first step whose state was unusable, or −1.
        group: ``(K,)`` index of each run's group.
    """

    steps: NDArray[np.intp]
    params: Array
    loss: Array
    grads: Array
    velocity: Array
    second_moment: Array
    batch_loss: Array
    examples_seen: Array
    diverged_at: NDArray[np.intp]
    group: NDArray[np.intp]


def run(
    objective: Any,
    groups: Sequence[RunGroup],
    n_steps: int,
    *,
    record_steps: ArrayLike | None = None,
    full_loss: bool = True,
    seed: int = 0,
    blowup: float = 1e6,
    progress: Callable[[float], None] | None = None,
) -> Trajectories:
    """Run every group for ``n_steps`` optimizer steps and record what the lessons draw.

    Each step t: g_t = ∇L_{batch t}(θ_t) (per group: its batch, reduction, L2 and L1, or the surface
    gradient plus σ/√B·ξ_t), then ``updates, state = opt.update(g_t, state, θ_t)`` and
    θ_{t+1} = θ_t + updates.

    Args:
        objective: a ``SurfaceObjective`` or a ``DataObjective``.
        groups: the runs, grouped by optimizer (and batch stream).
        n_steps: T ≥ 0.
        record_steps: the steps whose state to record (default: every step); 0 and T are added.
        full_loss: evaluate the full objective at every recorded row (else only at T).
        seed: seeds the simulated gradient noise (batches are seeded by their schedules).
        blowup: a run whose |θ| exceeds this has diverged.
        progress: called with the fraction of steps done (0 < f ≤ 1) about every 2 % of the
            run and after the last step (if T > 0) — for a progress bar; it must not raise.

    Returns:
        A ``Trajectories`` of arrays (see its docstring for shapes).

    Raises:
        ValueError: bad groups, reductions or shapes, or a request beyond the work budget.
    """
    data = isinstance(objective, DataObjective)
    if not data and not isinstance(objective, SurfaceObjective):
        raise ValueError(f"{objective!r} is neither a loss surface nor a data objective")
    plan = _Plan(objective, groups, int(n_steps), record_steps, data)
    with np.errstate(all="ignore"):  # divergence is data: overflow becomes inf/NaN, then frozen
        return plan.execute(full_loss=full_loss, seed=seed, blowup=float(blowup), progress=progress)


class _Plan:
    """Validated layout of a run: slices per group, batch streams, recorded rows."""

    def __init__(
        self,
        objective: Any,
        groups: Sequence[RunGroup],
        n_steps: int,
        record_steps: ArrayLike | None,
        data: bool,
    ) -> None:
        if not groups:
            raise ValueError("Nothing to run: give at least one RunGroup")
        if n_steps < 0:
            raise ValueError(f"n_steps must be ≥ 0, got {n_steps}")
        self.objective, self.groups, self.n_steps, self.data = objective, groups, n_steps, data
        self.dim = int(objective.dim)
        starts = [_check_group(g, self.dim, data) for g in groups]
        if any(g.l1 for g in groups) and not _takes_l1(objective):
            raise ValueError(
                f"L1 needs an objective whose batch_loss_and_grad takes l1 (a network of "
                f"engine.nn); {type(objective).__name__} does not"
            )
        sizes = [len(s) for s in starts]
        bounds = np.cumsum([0, *sizes])
        self.slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
        self.start = np.concatenate(starts)  # (K, dim)
        self.n_runs = len(self.start)
        self.group_of_run = np.repeat(np.arange(len(groups)), sizes)
        self.rows = _record_rows(record_steps, n_steps)
        self.steppers = merge_optimizers([g.optimizer for g in groups], self.slices)
        # Simulated noise on surfaces: σ/√B per group that asked for it.
        self.noisy = [
            (sl, g.noise_std / np.sqrt(g.noise_batch_size))
            for g, sl in zip(groups, self.slices, strict=True)
            if g.noise_std > 0
        ]
        self._check_budget()
        # Batch streams: one per distinct schedule; T + 1 batches so row T also has a gradient.
        # Runs that share (batch stream, reduction, L2, L1) get their gradient from one call;
        # runs that share only the batch stream do too, when the objective takes those settings
        # per run (``per_run_settings``: engine.nn's networks).
        self.batches: dict[BatchSchedule, Batches] = {}
        self.gradient_calls: dict[tuple[Any, ...], GradientCall] = {}
        if data:
            per_run = bool(getattr(objective, "per_run_settings", False))
            for g, sl in zip(groups, self.slices, strict=True):
                schedule = g.schedule or _full_batch(objective.n_examples)
                if schedule not in self.batches:
                    self.batches[schedule] = make_batches(schedule, n_steps + 1)
                settings = (g.reduction, float(g.l2), float(g.l1))
                key = (schedule,) if per_run else (schedule, *settings)
                call = self.gradient_calls.setdefault(key, GradientCall(schedule))
                call.add(range(sl.start, sl.stop), settings)

    def _check_budget(self) -> None:
        run_steps = self.n_runs * self.n_steps
        if run_steps > MAX_RUN_STEPS:
            raise Problem(
                N_(
                    "This request needs {run_steps} run-steps ({runs} runs × {steps} steps); "
                    "the limit is {limit}. Use fewer runs or steps."
                ),
                run_steps=run_steps,
                runs=self.n_runs,
                steps=self.n_steps,
                limit=MAX_RUN_STEPS,
            )
        recorded = len(self.rows) * self.n_runs * self.dim
        if recorded > MAX_RECORDED:
            raise Problem(
                N_(
                    "Recording {rows} rows × {runs} runs × {dim} parameters = {recorded} "
                    "numbers exceeds the limit of {limit}; record fewer steps (record_steps)."
                ),
                rows=len(self.rows),
                runs=self.n_runs,
                dim=self.dim,
                recorded=recorded,
                limit=MAX_RECORDED,
            )
        if self.data:
            work = 0
            for g, sl in zip(self.groups, self.slices, strict=True):
                batch = g.schedule.batch_size if g.schedule else self.objective.n_examples
                work += (sl.stop - sl.start) * batch * self.dim * (self.n_steps + 1)
            if work > MAX_EXAMPLE_WORK:
                raise Problem(
                    N_(
                        "This request needs {work} example-gradient evaluations × parameters; "
                        "the limit is {limit}. Use fewer runs, steps or a smaller batch."
                    ),
                    work=work,
                    limit=MAX_EXAMPLE_WORK,
                )

    def execute(
        self,
        *,
        full_loss: bool,
        seed: int,
        blowup: float,
        progress: Callable[[float], None] | None = None,
    ) -> Trajectories:
        T, K, rows, dim = self.n_steps, self.n_runs, self.rows, self.dim
        report_every = max(1, -(-T // 50))  # ⌈T/50⌉: at most 50 reports
        batch_loss = np.full((T, K), np.nan)
        diverged_at = np.full(K, -1, dtype=np.intp)
        alive = np.ones(K, dtype=bool)
        rng = np.random.default_rng(seed)
        params, spare = self.start.copy(), np.empty_like(self.start)
        steppers = [(opt.update, sl) for opt, sl in self.steppers]
        states = [opt.init(params[sl]) for opt, sl in self.steppers]
        row_of_step = {int(step): r for r, step in enumerate(rows)}
        rec_params = np.empty((len(rows), K, dim))
        rec_grads = np.empty((len(rows), K, dim))
        rec_loss = np.full((len(rows), K), np.nan)
        # Optimizer states are immutable NamedTuples: keep references, stack once at the end.
        rec_states: list[list[Any]] = []

        for t in range(T + 1):
            losses, grads = self._loss_and_grad(params, t, rng)
            newly = _newly_diverged(losses, grads, params, alive, blowup)
            if newly is not None:
                diverged_at[newly] = t
                alive &= ~newly
                params[newly] = grads[newly] = losses[newly] = np.nan
            r = row_of_step.get(t)
            if r is not None:
                rec_params[r], rec_grads[r] = params, grads
                rec_states.append(list(states))
                if not self.data:  # on a surface the loss just computed is the full objective
                    rec_loss[r] = losses
                elif full_loss or t == T:
                    rec_loss[r] = self.objective.value(params)
            if t == T:
                break
            batch_loss[t] = losses
            for i, (update, sl) in enumerate(steppers):
                updates, states[i] = update(grads[sl], states[i], params[sl])
                np.add(params[sl], updates, out=spare[sl])  # apply_updates
            params, spare = spare, params  # two buffers, no allocation per step
            if progress is not None and ((t + 1) % report_every == 0 or t + 1 == T):
                progress((t + 1) / T)

        velocity, second_moment = self._stack_states(rec_states)
        if np.any(diverged_at >= 0):
            frozen = (diverged_at >= 0) & (rows[:, None] >= diverged_at[None, :])  # (R, K)
            for arr in (rec_params, rec_grads, velocity, second_moment, rec_loss):
                arr[frozen] = np.nan
        return Trajectories(
            steps=rows,
            params=rec_params,
            loss=rec_loss,
            grads=rec_grads,
            velocity=velocity,
            second_moment=second_moment,
            batch_loss=batch_loss,
            examples_seen=self._examples_seen(),
            diverged_at=diverged_at,
            group=self.group_of_run,
        )

    def _stack_states(self, rec_states: list[list[Any]]) -> tuple[Array, Array]:
        """(R, K, dim) velocity and second moment from the recorded optimizer states."""
        shape = (len(rec_states), self.n_runs, self.dim)
        velocity, second = np.zeros(shape), np.zeros(shape)
        for i, (opt, sl) in enumerate(self.steppers):
            for field, out in ((opt.velocity_field, velocity), (opt.second_moment_field, second)):
                if field is not None:
                    out[:, sl] = np.array([getattr(states[i], field) for states in rec_states])
        return velocity, second

    def _loss_and_grad(
        self, params: Array, t: int, rng: np.random.Generator
    ) -> tuple[Array, Array]:
        """Per-run loss and gradient at step t: (K,) and (K, dim)."""
        if not self.data:
            losses, grads = _value_and_grad(self.objective, params)
            if self.noisy:
                noise = rng.standard_normal(self.dim)  # one draw per step, shared: paired runs
                for sl, sigma in self.noisy:
                    grads[sl] = grads[sl] + sigma * noise
            return losses, grads
        losses = np.empty(self.n_runs)
        grads = np.empty((self.n_runs, self.dim))
        # One objective call per batch stream (and, for objectives without per-run settings,
        # per reduction, L2 and L1) for all runs that share it.
        for call in self.gradient_calls.values():
            idx = self.batches[call.schedule].batch(t)
            loss, grad = self.objective.batch_loss_and_grad(
                params[call.runs], idx, **call.settings()
            )
            losses[call.runs], grads[call.runs] = loss, grad
        return losses, grads

    def _examples_seen(self) -> Array:
        seen = np.zeros((self.n_steps + 1, self.n_runs))
        steps = np.arange(self.n_steps + 1, dtype=np.float64)
        for g, sl in zip(self.groups, self.slices, strict=True):
            if self.data:
                schedule = g.schedule or _full_batch(self.objective.n_examples)
                counts = self.batches[schedule].examples_seen[: self.n_steps + 1]
                seen[:, sl] = counts[:, None]
            else:
                seen[:, sl] = (steps * g.noise_batch_size)[:, None]
        return seen


def _value_and_grad(surface: Any, params: Array) -> tuple[Array, Array]:
    """Value and gradient, in one call when the surface offers ``value_and_grad``."""
    if hasattr(surface, "value_and_grad"):
        value, grad = surface.value_and_grad(params)
    else:
        value, grad = surface.value(params), surface.grad(params)
    return np.asarray(value, dtype=np.float64), np.asarray(grad, dtype=np.float64)


def _check_group(group: RunGroup, dim: int, data: bool) -> Array:
    """Validate one group and return its starts as a float64 ``(n, dim)`` array."""
    starts = np.array(group.starts, dtype=np.float64, ndmin=2)
    if starts.ndim != 2 or starts.shape[-1] != dim or len(starts) == 0:
        raise ValueError(f"starts must have shape (n, {dim}) with n ≥ 1, got {starts.shape}")
    if not np.all(np.isfinite(starts)):
        raise ValueError(f"starts must be finite, got {starts.tolist()!r}")
    if group.reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean' or 'sum', got {group.reduction!r}")
    if not (np.isfinite(group.l2) and group.l2 >= 0):
        raise ValueError(f"l2 must be finite and ≥ 0, got {group.l2!r}")
    if not (np.isfinite(group.l1) and group.l1 >= 0):
        raise ValueError(f"l1 must be finite and ≥ 0, got {group.l1!r}")
    if group.l1 and not data:
        raise ValueError("L1 needs a data objective (a network); this is an analytic surface")
    if not data and group.schedule is not None:
        raise ValueError("A batch schedule needs a data objective; this is an analytic surface")
    if data and group.noise_std:
        raise ValueError(
            "Simulated noise is for analytic surfaces; data objectives have real noise"
        )
    if not (np.isfinite(group.noise_std) and group.noise_std >= 0):
        raise ValueError(f"noise_std must be finite and ≥ 0, got {group.noise_std!r}")
    if group.noise_batch_size < 1:
        raise ValueError(f"noise_batch_size must be ≥ 1, got {group.noise_batch_size!r}")
    group.optimizer.init(starts)  # checks that per-run hyper-parameters match n
    return starts


def _takes_l1(objective: Any) -> bool:
    """Whether the objective's ``batch_loss_and_grad`` accepts an ``l1`` keyword."""
    try:
        parameters = inspect.signature(objective.batch_loss_and_grad).parameters
    except (AttributeError, TypeError, ValueError):
        return False
    return "l1" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _newly_diverged(
    losses: Array, grads: Array, params: Array, alive: NDArray[np.bool_], blowup: float
) -> NDArray[np.bool_] | None:
    """Runs that became unusable at this step, or None (the common case, found cheaply)."""
    # Fast path: any inf/NaN poisons a whole-array sum; frozen runs are NaN, so skip it then.
    # max() propagates NaN, so a NaN parameter also fails the bound check.
    finite = np.isfinite(losses.sum() + grads.sum())
    if finite and np.abs(params).max() <= blowup and alive.all():
        return None
    bad = ~np.isfinite(losses + grads.sum(axis=-1) + params.sum(axis=-1))
    bad |= np.abs(params).max(axis=-1) > blowup
    newly = alive & bad
    return newly if newly.any() else None


def _record_rows(record_steps: ArrayLike | None, n_steps: int) -> NDArray[np.intp]:
    """Sorted unique steps to record, with 0 and T always included."""
    if record_steps is None:
        return np.arange(n_steps + 1, dtype=np.intp)
    steps = np.asarray(record_steps)
    if steps.size and (not np.issubdtype(steps.dtype, np.integer) or steps.min() < 0):
        raise ValueError(f"record_steps must be integers in [0, {n_steps}], got {steps!r}")
    if steps.size and steps.max() > n_steps:
        raise ValueError(f"record_steps must be integers in [0, {n_steps}], got max {steps.max()}")
    return np.union1d(steps.astype(np.intp), [0, n_steps]).astype(np.intp)


def _full_batch(n_examples: int) -> BatchSchedule:
    return BatchSchedule(n_examples=n_examples, batch_size=n_examples, reshuffle=False)
