"""Computations of the "Sum or mean?" lesson, cached by their full configuration.

Every experiment is one engine call on a data problem with real mini-batches:

* ``ab_runs`` — runs A and B on the same batches, differing only in the compared setting;
* ``batch_lr_map`` — the final loss over a log grid of batch sizes × learning rates, under mean
  and under sum, with the theory's predictions at the start point;
* ``l2_norms`` — the weight norm at equilibrium against the batch size with coupled L2, mean
  vs sum (sum uses lr/B so that only the strength of L2 differs);
* ``noise_cloud`` — real mini-batch gradients at a point of the run and their exact covariance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from numpy.typing import NDArray

from engine import theory
from engine.batching import BatchSchedule, steps_per_epoch
from engine.optimizers import OPTIMIZERS, Optimizer
from engine.problems import DataProblem, ProblemConfig, make_problem
from engine.runner import RunGroup, Trajectories, run
from figures.style import Style
from figures.sum_mean import lr_map_figure, norm_figure
from figures.trajectories import race_figure

Array = NDArray[np.float64]
MAX_STEPS = 3000
MAP_STEPS = 150
MAP_LRS = 24
L2_STEPS = 600


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
    takes ``setup.epochs`` epochs of its own batch size; the runner steps both for the longer
    run's steps, and the shorter run then waits at its end (see ``_stop_at``).
    """
    problem = setup.problem
    start = problem.default_start[None]
    groups = [
        RunGroup(setup.optimizer_for(lr), start, setup.schedule_for(b), reduction, setup.l2)
        for lr, b, reduction in zip(
            (setup.lr_a, setup.lr_b), setup.batches, setup.reductions, strict=True
        )
    ]
    traj = run(problem, groups, setup.steps, seed=setup.seed)
    return _stop_at(traj, setup.run_steps)


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
    """Final loss over batch sizes × learning rates, for mean (index 0) and sum (index 1)."""

    batch_sizes: NDArray[np.intp]
    lrs: Array  # (2, L): each reduction's own lr grid
    final_loss: Array  # (2, nB, L), NaN where the run diverged
    best_lr: Array  # (2, nB) measured best lr, NaN if every lr diverged
    optimum: Array  # (2, nB) McCandlish's ε_opt(B) at the start
    wall: Array  # (2, nB) stability limit 2/λmax (mean), 2/(B·λmax) (sum)
    loss_floor: float


def map_batch_sizes(n: int) -> NDArray[np.intp]:
    """1, 2, 4, … up to N (N itself last)."""
    sizes = [2**k for k in range(int(math.log2(n)) + 1)]
    if sizes[-1] != n:
        sizes.append(n)
    return np.array(sizes, dtype=np.intp)


@st.cache_data(max_entries=16, show_spinner=False)
def batch_lr_map(kind: str, n: int, noise: float, seed: int, momentum: float) -> LrMap:
    """SGD (with the chosen momentum) for MAP_STEPS steps from the default start, on every
    (batch size, lr) of the grid, under mean and under sum — one engine call. A run's score
    is its full-data loss averaged over the last quarter of the steps."""
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
    tail = np.arange(MAP_STEPS - MAP_STEPS // 4, MAP_STEPS + 1)
    # The bar is created here, inside the cached function, so a cache hit replays it (created,
    # filled, removed) instead of touching a block that may no longer exist.
    text = f"Running {2 * len(sizes) * MAP_LRS} runs (2 reductions × {len(sizes)} batch sizes × "
    text += f"{MAP_LRS} learning rates) for {MAP_STEPS} steps…"
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
    optimum = np.stack([theory.optimal_lr(scales.eps_max, scales.b_noise, sizes, r)
                        for r in ("mean", "sum")])  # fmt: skip
    wall = np.stack([theory.stability_limit(lam_max, sizes, r) for r in ("mean", "sum")])
    return LrMap(sizes, lrs, final, best, optimum, wall, float(problem.minima_values[0]))


@st.cache_data(max_entries=16, show_spinner=False)
def l2_norms(
    kind: str, n: int, noise: float, seed: int, l2: float, lr: float
) -> tuple[NDArray[np.intp], Array]:
    """‖θ‖ at equilibrium against batch size with coupled L2 λ: row 0 mean (lr), row 1 sum
    (lr/B, so only the strength of L2 differs).

    Every run takes L2_STEPS steps — enough for the deterministic part to settle at every B
    (the contraction per step is at least γ·(λ_min(H) + λ)) — and its norm is averaged over
    the second half, because SGD keeps jittering around its equilibrium at small B.
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


@st.cache_resource(max_entries=32, show_spinner=False)
def paths_chart(setup: Setup, labels: tuple[str, str], style: Style) -> go.Figure:
    """Runs A and B animated on the contour of the full-data loss (built once per setting,
    so a rerun that changes nothing else — the inspected step — keeps the same figure)."""
    problem = setup.problem
    return race_figure(problem, ab_runs(setup), list(labels), style, show_state=False,
                       axis_titles=problem.param_names)  # fmt: skip


@st.cache_resource(max_entries=16, show_spinner=False)
def map_chart(
    kind: str, n: int, noise: float, seed: int, momentum: float, style: Style
) -> go.Figure:
    """The map's figure, built once per problem and style (it does not depend on runs A/B)."""
    m = batch_lr_map(kind, n, noise, seed, momentum)
    return lr_map_figure(*m[:6], m.loss_floor, style)


@st.cache_resource(max_entries=16, show_spinner=False)
def l2_chart(kind: str, n: int, noise: float, seed: int, l2: float, style: Style) -> go.Figure:
    """The L2 figure (lr 0.1 under mean, 0.1/B under sum), built once per setting."""
    sizes, norms = l2_norms(kind, n, noise, seed, l2, 0.1)
    return norm_figure(sizes, norms, l2, style)


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


def adaptive_comparison(setup: Setup) -> str:
    """Runs A and B (mean vs sum, both at lr A) with SGD and with Adam: how far apart each pair
    ends up. Adam's pair coincides up to its ε; SGD's does not."""
    lines = []
    for name, optimizer, momentum in (("SGD", "sgd", setup.momentum), ("Adam", "adam", 0.9)):
        pair = replace(setup, optimizer=optimizer, momentum=momentum, lr_b=setup.lr_a,
                       red_a="mean", red_b="sum", batch_b=setup.batch)  # fmt: skip
        traj = ab_runs(pair)
        if np.any(traj.diverged_at >= 0):
            verdict = "a run diverged — the summed gradient is B times larger"
        else:
            gap = float(np.max(np.abs(traj.params[:, 0] - traj.params[:, 1])))
            verdict = f"largest difference between the mean and sum paths **{gap:.2g}**"
        lines.append(f"- **{name}**, lr {setup.lr_a:.4g} for both: {verdict}")
    return "\n".join(lines)


def loss_curves(setup: Setup, traj: Trajectories, x_axis: str) -> tuple[Array, Array]:
    """x ``(T+1, 2)`` per run — optimizer steps, epochs or examples seen — and the full-data
    loss ``(T+1, 2)``, each run's ending at its own last step."""
    examples = traj.examples_seen
    steps = np.repeat(traj.steps[:, None].astype(np.float64), 2, axis=1)
    x = {"optimizer steps": steps, "epochs": examples / setup.n, "examples seen": examples}[x_axis]
    loss = traj.loss.copy()
    for k, end in enumerate(setup.run_steps):
        loss[end + 1 :, k] = np.nan
    return x, loss
