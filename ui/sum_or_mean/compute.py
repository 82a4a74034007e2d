"""Computations of the "Sum or mean?" lesson, cached by their full configuration.

Every experiment is one engine call on a data problem with real mini-batches:

* ``ab_runs`` — runs A and B on the same batches, differing only in the compared setting;
* ``batch_lr_map`` — the final loss over a log grid of batch sizes × learning rates, under mean
  and under sum, with the theory of the SGD-with-momentum that ran: its full-batch stability
  wall and the one-step optimum at the start point;
* ``l2_norms`` — the weight norm at equilibrium against the batch size with coupled L2, mean
  vs sum (sum uses lr/B so that only the strength of L2 differs);
* ``noise_cloud`` — real mini-batch gradients at a point of the run and their exact covariance.

Server time is bounded for every control value (N up to 4096, up to 200 epochs, any batch
size): runs stop at MAX_STEPS, the map takes MAP_STEPS steps and judges each run on
MAP_TAIL_ROWS full-data losses, the contour is tabulated on a coarse grid (``loss_table``),
and ``benchmarks/app.py`` reports the worst case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import streamlit as st
from numpy.typing import NDArray

from engine import theory
from engine.batching import BatchSchedule, steps_per_epoch
from engine.optimizers import OPTIMIZERS, Optimizer
from engine.problems import DataProblem, ProblemConfig, make_problem
from engine.runner import RunGroup, Trajectories, run
from i18n import _, ngettext, number

Array = NDArray[np.float64]
MAX_STEPS = 3000
LOSS_ROWS = 401  # steps of runs A and B with a full-data loss (see loss_rows)
MAP_STEPS = 150
MAP_LRS = 24
MAP_TAIL_ROWS = 10  # full-data losses, evenly spread over the last quarter, that judge a run
L2_STEPS = 400  # 14–18 one-run groups: the step count is this chart's whole cost


@dataclass(frozen=True)
class Setup:
    """Everything that decides the A/B runs (hashable: the cache key)."""

    kind: str
    n: int
    noise: float
    seed: int
    optimizer: str
    momentum: float
    batch: int
    batch_b: int
    lr_a: float
    lr_b: float
    red_a: str
    red_b: str
    l2: float
    epochs: int
    reshuffle: bool
    drop_last: bool

    @property
    def problem(self) -> DataProblem:
        return make_problem(ProblemConfig(self.kind, self.n, self.noise, self.seed))

    @property
    def batches(self) -> tuple[int, int]:
        """The batch sizes of runs A and B."""
        return self.batch, self.batch_b

    @property
    def reductions(self) -> tuple[str, str]:
        return self.red_a, self.red_b

    def schedule_for(self, batch: int) -> BatchSchedule:
        """A run's batch stream. Every stream shares the seed, so runs of one batch size see
        exactly the same batches, and a larger batch takes the same examples in the same
        order (each epoch's shuffle is the same), just more of them per step."""
        return BatchSchedule(
            self.n, batch, reshuffle=self.reshuffle, drop_last=self.drop_last, seed=self.seed
        )

    @property
    def schedule(self) -> BatchSchedule:
        return self.schedule_for(self.batch)

    @property
    def run_steps(self) -> tuple[int, int]:
        """Steps of A and of B: the same number of epochs each (at most MAX_STEPS)."""
        a, b = (
            min(MAX_STEPS, max(1, self.epochs * steps_per_epoch(self.schedule_for(size))))
            for size in self.batches
        )
        return a, b

    @property
    def steps(self) -> int:
        """Steps of the longer run (both when the batch sizes are equal)."""
        return max(self.run_steps)

    def optimizer_for(self, lr: float) -> Optimizer:
        return build_optimizer(self.optimizer, lr, self.momentum)


def build_optimizer(key: str, lr: float, momentum: float) -> Optimizer:
    """SGD with momentum, or an adaptive optimizer (momentum is Adam's β₁ / RMSprop's μ)."""
    if key == "sgd":
        return OPTIMIZERS["sgd"](lr=lr, momentum=momentum)
    if key == "adam":
        return OPTIMIZERS["adam"](lr=lr, betas=(momentum, 0.999))
    if key == "rmsprop":
        return OPTIMIZERS["rmsprop"](lr=lr, momentum=momentum)
    return OPTIMIZERS["adagrad"](lr=lr)


@st.cache_data(max_entries=64, show_spinner=False)
def ab_runs(setup: Setup) -> Trajectories:
    """Runs A and B from the problem's default start, on the same batch stream.

    With equal batch sizes they see exactly the same batches. With different ones each run
    takes ``setup.epochs`` epochs of its own batch size, and the shorter run then waits at its
    end (see ``_stop_at``). The full-data loss is computed in one call after the runs, at the
    rows ``loss_rows`` names (what the loss curves draw, and each run's end); NaN elsewhere.
    """
    traj = _pair(setup)
    rows = loss_rows(setup)
    loss = np.full(traj.loss.shape, np.nan)
    loss[rows] = setup.problem.value(traj.params[rows])
    return traj._replace(loss=loss)


def loss_rows(setup: Setup) -> NDArray[np.intp]:
    """The steps of ``ab_runs`` with a full-data loss: LOSS_ROWS evenly spaced ones (the loss
    curves draw 400 points) and each run's last step. Each costs N examples per run: a loss at
    every one of 3000 steps cost a logistic pair at N = 4096 a fifth of a second."""
    even = np.round(np.linspace(0, setup.steps, min(setup.steps + 1, LOSS_ROWS)))
    return np.unique(np.concatenate([even.astype(np.intp), np.array(setup.run_steps)]))


def _pair(setup: Setup) -> Trajectories:
    """Runs A and B as in ``ab_runs``, without their full-data loss (NaN but the last row).

    Runs of different batch sizes are independent (their own batch streams), so each is run
    for its own steps only: a full-batch B beside a true-SGD A would otherwise compute its
    4096 examples for each of A's 3000 steps instead of for its own 200.
    """
    problem = setup.problem
    start = problem.default_start[None]
    groups = [
        RunGroup(setup.optimizer_for(lr), start, setup.schedule_for(b), reduction, setup.l2)
        for lr, b, reduction in zip(
            (setup.lr_a, setup.lr_b), setup.batches, setup.reductions, strict=True
        )
    ]
    if setup.batch == setup.batch_b:
        traj = run(problem, groups, setup.steps, full_loss=False, seed=setup.seed)
    else:
        parts = [run(problem, [group], steps, full_loss=False, seed=setup.seed)
                 for group, steps in zip(groups, setup.run_steps, strict=True)]  # fmt: skip
        traj = _side_by_side(parts, setup.steps)
    return _stop_at(traj, setup.run_steps)


def _side_by_side(parts: list[Trajectories], n_steps: int) -> Trajectories:
    """One-run trajectories as the runs 0, 1, … of one, each padded to ``n_steps`` steps by
    repeating its last row (``_stop_at`` then says what the padding means)."""

    def padded(name: str, rows: int) -> Array:
        arrays = []
        for part in parts:
            a = getattr(part, name)
            arrays.append(np.concatenate([a, np.repeat(a[-1:], rows - len(a), axis=0)]))
        return np.concatenate(arrays, axis=1)

    fields = {name: padded(name, n_steps + 1)
              for name in ("params", "loss", "grads", "velocity", "second_moment",
                           "examples_seen")}  # fmt: skip
    return Trajectories(
        steps=np.arange(n_steps + 1, dtype=np.intp),
        batch_loss=padded("batch_loss", n_steps),
        diverged_at=np.concatenate([part.diverged_at for part in parts]),
        group=np.arange(len(parts), dtype=np.intp),
        **fields,
    )


def _stop_at(traj: Trajectories, ends: tuple[int, ...]) -> Trajectories:
    """Each run k as if it stopped after ``ends[k]`` steps (every step is a recorded row).

    Later rows repeat its state at the end (its marker waits there while the other run goes
    on), its batch losses end, its examples seen stay put, and a divergence after the end is
    not its own.
    """
    fields = {name: getattr(traj, name).copy() for name in
              ("params", "loss", "grads", "velocity", "second_moment", "batch_loss",
               "examples_seen", "diverged_at")}  # fmt: skip
    for k, end in enumerate(ends):
        for name in ("params", "loss", "grads", "velocity", "second_moment", "examples_seen"):
            fields[name][end + 1 :, k] = fields[name][end, k]
        fields["batch_loss"][end:, k] = np.nan
        if fields["diverged_at"][k] > end:
            fields["diverged_at"][k] = -1
    return traj._replace(**fields)


class LrMap(NamedTuple):
    """Final loss over batch sizes × learning rates, for mean (index 0) and sum (index 1), of
    SGD with heavy-ball momentum μ (the page's momentum)."""

    batch_sizes: NDArray[np.intp]
    lrs: Array  # (2, L): each reduction's own lr grid
    final_loss: Array  # (2, nB, L), NaN where the run diverged
    best_lr: Array  # (2, nB) measured best lr, NaN if every lr diverged
    optimum: Array  # (2, nB) one-step optimum at the start, (1 − μ)·ε_opt(B), batches of B of N
    wall: Array  # (2, nB) full-batch wall (2 + 2μ)/λmax (mean), (2 + 2μ)/(B·λmax) (sum)
    loss_floor: float | None  # the full loss's minimum, None if it has none
    momentum: float = 0.0


def map_batch_sizes(n: int) -> NDArray[np.intp]:
    """1, 2, 4, … up to N (N itself last); beyond nine powers of two (N > 256) every other
    one, 1, 4, 16, …, so that the map and the L2 chart at N = 4096 (seven sizes) cost about
    what they cost at N = 256 (nine)."""
    powers = int(math.log2(n)) + 1
    sizes = [2**k for k in range(0, powers, 1 if powers <= 9 else 2)]
    if sizes[-1] != n:
        sizes.append(n)
    return np.array(sizes, dtype=np.intp)


@st.cache_data(max_entries=16, show_spinner=False)
def batch_lr_map(kind: str, n: int, noise: float, seed: int, momentum: float) -> LrMap:
    """SGD (with the chosen momentum) for MAP_STEPS steps from the default start, on every
    (batch size, lr) of the grid, under mean and under sum — one engine call. A run's score
    is its full-data loss averaged over MAP_TAIL_ROWS steps spread over the last quarter.

    The theory drawn is that of what ran: the full-batch wall of SGD with momentum μ,
    (2 + 2μ)/λmax, and the one-step optimum at the start for batches of B distinct examples
    out of N, scaled by (1 − μ) (see ``theory.optimal_lr``)."""
    problem = make_problem(ProblemConfig(kind, n, noise, seed))
    start = problem.default_start
    sizes = map_batch_sizes(n)
    lam_max = float(theory.quadratic_eigs(problem.hessian(start))[-1])
    wall_mean = float(theory.momentum_stability_limit(lam_max, momentum))
    lrs_mean = np.geomspace(wall_mean / 300, wall_mean * 3, MAP_LRS)
    lrs_sum = np.geomspace(wall_mean / (300 * n), wall_mean * 3, MAP_LRS)
    groups = []
    for lrs, reduction in ((lrs_mean, "mean"), (lrs_sum, "sum")):
        for b in sizes:
            schedule = BatchSchedule(n, int(b), seed=seed)
            opt = OPTIMIZERS["sgd"](lr=lrs[:, None], momentum=momentum)
            groups.append(RunGroup(opt, np.repeat(start[None], MAP_LRS, 0), schedule, reduction))
    # Judge each run by its full-data loss averaged over the last quarter of its steps: one
    # noisy final step would make the small-batch verdicts a lottery.
    # Each row costs a full-data loss of every run (336 runs × 4096 logistic examples at the
    # largest N), so ten rows spread over the quarter rather than all 38 of its steps.
    tail = np.unique(np.linspace(MAP_STEPS - MAP_STEPS // 4, MAP_STEPS, MAP_TAIL_ROWS).round())
    tail = tail.astype(np.intp)
    # The bar is created here, inside the cached function, so a cache hit replays it (created,
    # filled, removed) instead of touching a block that may no longer exist. Its text is in the
    # language of the run that computed the map; a replayed bar is removed as it is drawn, so
    # another language's run never shows it (the map, numbers only, is not keyed by language).
    runs = 2 * len(sizes) * MAP_LRS
    text = ngettext(
        "Running {runs} run (2 reductions × {sizes} batch sizes × {lrs} learning rates) for "
        "{steps} steps…",
        "Running {runs} runs (2 reductions × {sizes} batch sizes × {lrs} learning rates) for "
        "{steps} steps…",
        runs,
    ).format(runs=runs, sizes=len(sizes), lrs=MAP_LRS, steps=MAP_STEPS)
    bar = st.progress(0.0, text=text)

    def report(done: float) -> None:
        bar.progress(done, text=text)

    traj = run(problem, groups, MAP_STEPS, record_steps=tail, seed=seed, progress=report)
    bar.empty()
    final = traj.loss[-len(tail) :].mean(axis=0).reshape(2, len(sizes), MAP_LRS)
    final = np.where(np.isfinite(final) & (final < 1e6), final, np.nan)
    with np.errstate(invalid="ignore"):
        best_index = np.where(
            np.isnan(final).all(-1), 0, np.argmin(np.where(np.isnan(final), np.inf, final), -1)
        )
    lrs = np.stack([lrs_mean, lrs_sum])
    best = np.take_along_axis(lrs[:, None, :].repeat(len(sizes), 1), best_index[..., None], -1)
    best = np.where(np.isnan(final).all(-1), np.nan, best[..., 0])
    scales = problem.noise_scales(start)
    optimum = np.stack([theory.optimal_lr(scales.eps_max, scales.b_noise, sizes, r,
                                          n_examples=n, momentum=momentum)
                        for r in ("mean", "sum")])  # fmt: skip
    wall = np.stack([theory.stability_limit(lam_max, sizes, r, momentum=momentum)
                     for r in ("mean", "sum")])  # fmt: skip
    return LrMap(sizes, lrs, final, best, optimum, wall, problem.loss_floor, float(momentum))


@st.cache_data(max_entries=16, show_spinner=False)
def l2_norms(
    kind: str, n: int, noise: float, seed: int, l2: float, lr: float
) -> tuple[NDArray[np.intp], Array]:
    """‖θ‖ at equilibrium against batch size with coupled L2 λ: row 0 mean (lr), row 1 sum
    (lr/B, so only the strength of L2 differs).

    Every run takes L2_STEPS steps and its norm is averaged over the second half, because SGD
    keeps jittering around its equilibrium at small B. The deterministic part contracts by at
    least γ·(λ_min(H) + λ) per step under mean and γ·(λ_min(H) + λ/B) under sum: on linear
    regression (λ_min(H) ≈ 0.15) the second half's norm is within 2 % of its long-run value at
    every B. The logistic loss flattens far out, so there the summed runs at large B are still
    drifting outwards at the end: their norms are lower bounds, which only understates the
    trend the chart shows.
    """
    problem = make_problem(ProblemConfig(kind, n, noise, seed))
    sizes = map_batch_sizes(n)
    start = problem.default_start[None]
    groups = []
    for reduction in ("mean", "sum"):
        for b in sizes:
            step = lr / b if reduction == "sum" else lr
            groups.append(RunGroup(OPTIMIZERS["sgd"](lr=step), start,
                                   BatchSchedule(n, int(b), seed=seed), reduction, l2))  # fmt: skip
    half = np.arange(L2_STEPS // 2, L2_STEPS + 1)
    traj = run(problem, groups, L2_STEPS, record_steps=half, full_loss=False, seed=seed)
    norms = np.linalg.norm(traj.params[-len(half) :], axis=-1).mean(axis=0)
    return sizes, norms.reshape(2, len(sizes))


class Cloud(NamedTuple):
    point: Array  # (2,)
    full_grad: Array  # (2,)
    samples: Array  # (S, 2)
    covariance: Array  # (2, 2)
    b_simple: float


def noise_cloud(
    kind: str, n: int, noise: float, seed: int, point: tuple[float, ...], batch: int,
    reduction: str,
) -> Cloud:  # fmt: skip
    """Real mini-batch gradients at ``point`` and the exact covariance of their distribution."""
    problem = make_problem(ProblemConfig(kind, n, noise, seed))
    p = np.asarray(point, dtype=np.float64)
    samples = problem.sample_minibatch_grads(p, batch, 300, seed=seed, reduction=reduction)
    covariance = problem.minibatch_grad_covariance(p, batch, reduction)
    scale = batch if reduction == "sum" else 1.0
    return Cloud(p, scale * problem.grad(p), samples, covariance,
                 float(problem.noise_scales(p).b_simple))  # fmt: skip


@st.cache_data(max_entries=64, show_spinner=False)
def noise_scale_along(setup: Setup, run_index: int = 0) -> tuple[Array, Array]:
    """B_simple at ≤ 60 evenly spaced recorded steps of one run (NaN once it diverged)."""
    traj = ab_runs(setup)
    rows = np.unique(np.round(np.linspace(0, len(traj.steps) - 1, 60)).astype(int))
    points = traj.params[rows, run_index]
    finite = np.all(np.isfinite(points), axis=-1)
    values = np.full(len(rows), np.nan)
    if finite.any():
        values[finite] = setup.problem.noise_scales(points[finite]).b_simple
    return traj.steps[rows].astype(np.float64), values


@st.cache_data(max_entries=16, show_spinner=False)
def mean_sum_gaps(setup: Setup) -> tuple[NDArray[np.intp], Array]:
    """SGD (the page's momentum) and Adam (β₁ = 0.9), each once under mean and once under sum,
    all at lr A on run A's batches — one engine call, the two mean runs sharing their gradient
    call, as the two sum runs do.

    Returns:
        diverged_at ``(4,)`` (SGD mean, SGD sum, Adam mean, Adam sum) and, per optimizer, the
        largest difference between its mean and its sum path ``(2,)``.
    """
    start = setup.problem.default_start[None]
    groups = [RunGroup(build_optimizer(key, setup.lr_a, momentum), start, setup.schedule,
                       reduction, setup.l2)
              for key, momentum in (("sgd", setup.momentum), ("adam", 0.9))
              for reduction in ("mean", "sum")]  # fmt: skip
    traj = run(setup.problem, groups, setup.run_steps[0], full_loss=False, seed=setup.seed)
    with np.errstate(invalid="ignore"):
        gaps = np.nanmax(np.abs(traj.params[:, 0::2] - traj.params[:, 1::2]), axis=(0, 2))
    return traj.diverged_at, np.asarray(gaps, dtype=np.float64)


def adaptive_comparison(setup: Setup) -> str:
    """Runs A and B (mean vs sum, both at lr A) with SGD and with Adam: how far apart each pair
    ends up. Adam's pair coincides up to its ε; SGD's does not."""
    diverged_at, gaps = mean_sum_gaps(setup)
    lines = []
    lr = number(setup.lr_a, ".4g")
    for i, name in enumerate(("SGD", "Adam")):
        if np.any(diverged_at[2 * i : 2 * i + 2] >= 0):
            line = _("**{optimizer}**, lr {lr} for both: a run diverged — the summed gradient is "
                     "B times larger").format(optimizer=name, lr=lr)  # fmt: skip
        else:
            line = _("**{optimizer}**, lr {lr} for both: largest difference between the mean and "
                     "sum paths **{gap}**").format(optimizer=name, lr=lr,
                                                  gap=number(gaps[i], ".2g"))  # fmt: skip
        lines.append(f"- {line}")
    return "\n".join(lines)


def loss_curves(setup: Setup, traj: Trajectories, x_axis: str) -> tuple[Array, Array]:
    """x ``(R, 2)`` per run — optimizer steps, epochs or examples seen — and the full-data
    loss ``(R, 2)`` at the R = ``loss_rows`` steps, each run's ending at its own last step."""
    examples = traj.examples_seen
    steps = np.repeat(traj.steps[:, None].astype(np.float64), 2, axis=1)
    x = {"optimizer steps": steps, "epochs": examples / setup.n, "examples seen": examples}[x_axis]
    loss = traj.loss.copy()
    for k, end in enumerate(setup.run_steps):
        loss[end + 1 :, k] = np.nan
    rows = loss_rows(setup)
    return x[rows], loss[rows]
