"""What a gradient costs: finite differences against backpropagation, measured live.

The networks are the MLPs of ``engine.nn`` with 2 inputs, two tanh hidden layers of equal width
w and one linear output under the squared error ℓ = ½(z − y)², so

    P = (2 + 1)·w + (w + 1)·w + (w + 1)·1 = w² + 5w + 1     (w = 1: P = 7; w = 998: P ≈ 10⁶).

Cost model, for one gradient of the mean batch loss L(θ) = (1/B)·Σ_i ℓ_i:

* central finite differences, ∂L/∂θ_j ≈ (L(θ + h·e_j) − L(θ − h·e_j)) / 2h, take two forward
  passes per parameter: 2P forward passes, each of which itself costs ∝ P multiply-adds, so the
  time grows like P² (like P while the fixed cost of a NumPy call dominates a small pass);
* backpropagation takes one forward and one backward pass, the backward pass two products per
  layer (∂L/∂W_l and δ_{l−1}) of the forward pass's size: ≈ 2–3 forward passes whatever P.

The ratio finite differences / backpropagation therefore grows like P.

Contract:

* ``cost_specs(max_params)`` — the networks to time, ``MLPSpec(2, (w, w), 1, "tanh", "mse",
  "glorot")`` from w = 1 (P = 7) to the narrowest w whose P ≥ ``max_params`` (so the chart
  reaches the number it was asked for: at most 1.2× it, where P jumps from 105 to 127, under
  1.02× from 10⁴ on), spaced evenly in log P about half a decade apart. Widths stop at
  ``engine.nn.MAX_WIDTH`` = 1024 (P = 1,053,697): above that ``max_params`` the last network is
  the widest one (0.53× of 2,000,000). ValueError unless 100 ≤ ``max_params`` ≤ 2,000,000.
* ``fd_gradient(spec, params, X, y, h)`` — ∂L/∂θ ``(P,)`` by central differences, one
  parameter at a time in a Python loop, two forward passes (``forward`` + ``example_losses``)
  per parameter: the slow way the lesson demonstrates, and what is timed.
* ``measure_costs(max_params, ...)`` — for every network of ``cost_specs``, the median time of
  one ``loss_and_grad`` call and of one forward pass + loss on a fixed batch, and the time of
  finite differences: the whole loop, run and timed, for P ≤ ``full_fd_params``; above that
  2P × the forward pass's median (the loop would take minutes). Repetitions stop when the
  network's share of ``budget_s`` is spent (at least ``MIN_REPEATS``, at most
  ``MAX_REPEATS``), so the whole call takes about ``budget_s`` at most, plus the finite
  difference loops (2·``full_fd_params`` forward passes of small networks at most, ~0.1 s).
  Returns a ``GradientCosts``.

Timings are wall-clock (``time.perf_counter``) on whatever else the machine runs: medians, not
means, so that one interrupted call does not move them, and backprop and the forward pass timed
in alternation, so that a burst of load slows both. Sustained load still shows: with another
process busy on one of two cores, backprop (three BLAS products at P = 10⁶) slows more than a
forward pass (one), and the ratio at 10⁶ came out ~330,000 instead of ~650,000.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.nn import MAX_WIDTH, Array, MLPSpec, example_losses, forward, init_params, loss_and_grad

MIN_MAX_PARAMS = 100  # below this the chart has two or three points: nothing to see
MAX_MAX_PARAMS = 2_000_000  # the widest network (1024) has 1,053,697; the page offers 10⁶
STEP_DECADES = 0.5  # spacing of the networks in log₁₀ P
MIN_REPEATS = 5  # a median of fewer timed calls is one noisy call
MAX_REPEATS = 51  # enough for a stable median; more only spends the budget
SMALLEST = 7  # P of w = 1

Progress = Callable[[float, str], object]


class ProgressNote(str):
    """The message ``measure_costs`` reports after each network: the English sentence, with its
    numbers kept alongside, so that a page can write it in the learner's language."""

    n_params: int
    backprop_ms: float
    fd_s: float
    estimated: bool

    def __new__(
        cls, n_params: int, backprop_ms: float, fd_s: float, estimated: bool
    ) -> ProgressNote:
        how = " (estimated)" if estimated else ""
        note = super().__new__(cls, f"P = {n_params:,}: backprop {_short(backprop_ms)} ms, "
                                    f"finite differences {_short(fd_s)} s{how}")  # fmt: skip
        note.n_params, note.backprop_ms, note.fd_s, note.estimated = (n_params, backprop_ms,
                                                                      fd_s, estimated)  # fmt: skip
        return note


def n_params(width: int) -> int:
    """P = w² + 5w + 1 of the 2 → w → w → 1 network."""
    return width * width + 5 * width + 1


def _width_at_least(target: float) -> int:
    """The narrowest w ≥ 1 with P(w) ≥ ``target``, capped at ``MAX_WIDTH``."""
    width = max(1, math.ceil((-5.0 + math.sqrt(21.0 + 4.0 * target)) / 2.0))  # P(w) = target
    while width > 1 and n_params(width - 1) >= target:  # float rounding of the root, either way
        width -= 1
    while n_params(width) < target and width < MAX_WIDTH:
        width += 1
    return min(width, MAX_WIDTH)


def _nearest_width(target: float) -> int:
    """The w whose P(w) is nearest ``target`` in log P."""
    above = _width_at_least(target)
    candidates = (above, above - 1) if above > 1 else (above,)
    return min(candidates, key=lambda w: abs(math.log(n_params(w) / target)))


def cost_specs(max_params: float) -> list[MLPSpec]:
    """The networks to time: 2 → w → w → 1, tanh, squared error, P from 7 to ≥ ``max_params``.

    P_k = 7·(P_last/7)^{k/n}, k = 0 … n, n = round(log₁₀(P_last/7) / 0.5), each rounded to
    the nearest width in log P (duplicates dropped): evenly spaced in log P, about half a
    decade apart, first P = 7, last P_last = P(w_last) for the narrowest w_last with
    P ≥ ``max_params`` (capped at ``MAX_WIDTH``; see the module docstring).

    Args:
        max_params: the largest P wanted, 100 … 2,000,000.

    Returns:
        ``MLPSpec`` s in increasing P.

    Raises:
        ValueError: ``max_params`` outside 100 … 2,000,000.
    """
    if not MIN_MAX_PARAMS <= max_params <= MAX_MAX_PARAMS:  # NaN fails too
        raise ValueError(
            f"max_params must be between {MIN_MAX_PARAMS:,} and {MAX_MAX_PARAMS:,}, "
            f"got {max_params!r}"
        )
    last = _width_at_least(float(max_params))
    decades = math.log10(n_params(last) / SMALLEST)
    steps = max(1, round(decades / STEP_DECADES))
    widths = {_nearest_width(SMALLEST * 10.0 ** (decades * k / steps)) for k in range(steps)}
    return [
        MLPSpec(2, (w, w), 1, activation="tanh", output="mse", init="glorot")
        for w in sorted(widths | {last})
    ]


def _batch_loss(spec: MLPSpec, params: Array, X: Array, y: Array) -> float:
    """L = (1/B)·Σ_i ℓ_i for one network ``params (1, P)``: a forward pass and the loss."""
    losses, _ = example_losses(spec, forward(spec, params, X, keep_pre=False).logits, y)
    return float(np.add.reduce(losses, axis=-1)[0]) / y.shape[-1]  # losses (1, B)


def fd_gradient(
    spec: MLPSpec, params: ArrayLike, X: ArrayLike, y: ArrayLike, h: float = 1e-6
) -> Array:
    """∂L/∂θ of the mean batch loss by central differences, one parameter at a time.

    L(θ) = (1/B)·Σ_i ℓ_i(θ) (the mean: ``loss_and_grad``'s ``reduction="mean"``, without
    penalties); for each j, ∂L/∂θ_j ≈ (L(θ + h·e_j) − L(θ − h·e_j)) / ((θ_j + h) − (θ_j − h)),
    the denominator the step actually taken in float64 (≈ 2h). Error O(h²·L''') from the
    Taylor series plus O(ε·|L|/h) from rounding, ~1e-10 at h = 1e-6 for L of order 1.

    Two forward passes per parameter, 2P in all, in a plain Python loop: this is the slow way
    the lesson times against backpropagation. ``params`` is copied once; each entry of the copy
    is restored after its two nudges.

    Args:
        spec: the architecture.
        params: ``(P,)`` one network.
        X: inputs ``(B, n_inputs)``.
        y: targets or labels ``(B,)``.
        h: the step, > 0.

    Returns:
        The gradient ``(P,)``.
    """
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"h must be finite and > 0, got {h!r}")
    nudged = np.array(params, dtype=np.float64)[None]  # (1, P), the one copy
    if nudged.shape != (1, spec.n_params):
        raise ValueError(f"params must be ({spec.n_params},), got {np.shape(params)}")
    inputs = np.asarray(X, dtype=np.float64)  # (B, n_inputs)
    targets = np.asarray(y, dtype=np.float64)  # (B,)
    row = nudged[0]
    grad = np.empty(spec.n_params)
    for j in range(spec.n_params):
        old = row[j]
        up, down = old + h, old - h
        row[j] = up
        loss_up = _batch_loss(spec, nudged, inputs, targets)
        row[j] = down
        loss_down = _batch_loss(spec, nudged, inputs, targets)
        row[j] = old
        grad[j] = (loss_up - loss_down) / (up - down)
    return grad


class GradientCosts(NamedTuple):
    """Seconds per gradient against the number of parameters, S network sizes.

    Attributes:
        n_params: ``(S,)`` int64, P of each network, increasing.
        backprop_s: ``(S,)`` median seconds of one ``loss_and_grad`` call (forward + backward).
        forward_s: ``(S,)`` median seconds of one forward pass + the mean loss.
        fd_s: ``(S,)`` seconds of finite differences: the measured loop where ``fd_measured``,
            else 2·P·``forward_s`` (the loop's 2P forward passes, not run).
        fd_measured: ``(S,)`` bool, True where the whole finite-difference loop was run and
            timed.
        batch: B, the examples in the batch every pass ran on.
    """

    n_params: NDArray[np.int64]
    backprop_s: Array
    forward_s: Array
    fd_s: Array
    fd_measured: NDArray[np.bool_]
    batch: int

    @property
    def ratio(self) -> float:
        """fd_s / backprop_s at the largest P: how many times longer finite differences take."""
        return float(self.fd_s[-1] / self.backprop_s[-1])


def _median_seconds(calls: Sequence[Callable[[], object]], share_s: float) -> list[float]:
    """Median wall seconds of each of ``calls`` over MIN_REPEATS … MAX_REPEATS rounds, stopping
    once ``share_s`` is spent; one untimed round first (first-touch allocations, caches).

    A round times every call once, in turn: a burst of load from another process then slows
    all of them alike and leaves their ratio alone (timed one after the other, in one benchmark
    run on a shared machine, the forward pass came out 50× slower than usual and backprop 3×).
    """
    for call in calls:
        call()
    times: list[list[float]] = [[] for _ in calls]
    start = time.perf_counter()
    rounds = 0
    while rounds < MAX_REPEATS and (rounds < MIN_REPEATS or time.perf_counter() - start < share_s):
        for call, kept in zip(calls, times, strict=True):
            t0 = time.perf_counter()
            call()
            kept.append(time.perf_counter() - t0)
        rounds += 1
    return [statistics.median(kept) for kept in times]


def short_spec(value: float) -> str:
    """The format spec of ``value`` to three significant digits, no exponent (``_short``)."""
    if not (math.isfinite(value) and value > 0):
        return "g"
    return f",.{max(0, 2 - math.floor(math.log10(value)))}f"


def _short(value: float) -> str:
    """Three significant digits, no exponent: 0.412, 15.2, 1,230."""
    return format(value, short_spec(value))


def measure_costs(
    max_params: float,
    *,
    batch: int = 32,
    seed: int = 0,
    full_fd_params: int = 2000,
    budget_s: float = 1.5,
    progress: Progress | None = None,
) -> GradientCosts:
    """Time one gradient by backpropagation and by finite differences for every ``cost_specs``.

    Per network: θ = ``init_params(spec, default_rng(seed))``; the batch X ``(batch, 2)`` ~
    U(−1, 1)², y ``(batch,)`` ~ N(0, 1) is drawn once from ``default_rng(seed)`` and shared by
    every network. ``backprop_s`` and ``forward_s`` are medians over repeated calls, timed in
    alternation, which stop when the network's share of the budget is spent: share = (what is
    left of ``budget_s``) / (networks left). Finite differences: ``fd_gradient`` run once and
    timed if P ≤ ``full_fd_params``, else 2P·``forward_s``. The loops are not bounded by the
    budget: 2·``full_fd_params`` forward passes at most, keep ``full_fd_params`` small.

    Args:
        max_params: the largest P, as for ``cost_specs``.
        batch: B ≥ 1, the examples every pass runs on.
        seed: seeds the parameters and the batch.
        full_fd_params: run the whole finite-difference loop up to this P (≥ 0).
        budget_s: seconds for the repeated timings, > 0.
        progress: called ``progress(fraction_done, message)`` after each network; the message
            is a ``ProgressNote`` (a str that keeps its numbers).

    Returns:
        ``GradientCosts`` with S = ``len(cost_specs(max_params))`` rows.
    """
    if isinstance(batch, bool) or not isinstance(batch, int | np.integer) or batch < 1:
        raise ValueError(f"batch must be an integer ≥ 1, got {batch!r}")
    if not (math.isfinite(budget_s) and budget_s > 0):
        raise ValueError(f"budget_s must be finite and > 0, got {budget_s!r}")
    if full_fd_params < 0:
        raise ValueError(f"full_fd_params must be ≥ 0, got {full_fd_params!r}")
    specs = cost_specs(max_params)
    count = len(specs)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(int(batch), 2))  # (B, 2)
    y = rng.normal(size=int(batch))  # (B,)
    sizes = np.array([spec.n_params for spec in specs], dtype=np.int64)  # (S,)
    backprop_s, forward_s, fd_s = np.empty(count), np.empty(count), np.empty(count)  # (S,) each
    fd_measured = sizes <= full_fd_params  # (S,)
    start = time.perf_counter()
    for k, spec in enumerate(specs):
        params = init_params(spec, np.random.default_rng(seed))[None]  # (1, P)
        share = max(0.0, budget_s - (time.perf_counter() - start)) / (count - k)
        backprop_s[k], forward_s[k] = _median_seconds(
            [partial(loss_and_grad, spec, params, X, y), partial(_batch_loss, spec, params, X, y)],
            share,
        )
        if fd_measured[k]:
            t0 = time.perf_counter()
            fd_gradient(spec, params[0], X, y)
            fd_s[k] = time.perf_counter() - t0
        else:
            fd_s[k] = 2.0 * spec.n_params * forward_s[k]
        if progress is not None:
            note = ProgressNote(spec.n_params, float(backprop_s[k] * 1e3), float(fd_s[k]),
                                not fd_measured[k])  # fmt: skip
            progress((k + 1) / count, note)
    return GradientCosts(sizes, backprop_s, forward_s, fd_s, fd_measured, int(batch))
