"""Data-defined problems: losses made of N per-example terms, with one or two parameters.

The batch-size and sum/mean lessons need real stochastic gradients, so these problems are
defined by generated data and a per-example loss. All of them are linear models: example i has a
feature vector φᵢ and a target yᵢ, its score is sᵢ = θ·φᵢ and its loss ℓ(sᵢ, yᵢ):

* ``linear_regression`` — y ≈ w·x + b, θ = (w, b), φᵢ = (xᵢ, 1), ℓ = ½(s − y)².
* ``line_through_origin`` — y ≈ w·x, θ = (w,), φᵢ = (xᵢ,), ℓ = ½(s − y)².
* ``logistic_regression`` — two weights on 2-D points, no bias, θ = (w₁, w₂), φᵢ = zᵢ,
  labels y ∈ {0, 1}, ℓ = log(1 + eˢ) − y·s (binary cross-entropy on the logit). With the
  margin t = (1 − 2y)·s this is softplus(t) = log(1 + eᵗ), computed without cancellation, so a
  well-classified example's tiny loss keeps its digits; ℓ' = (1 − 2y)·σ(t).

So ∇ℓᵢ = ℓ'(sᵢ)·φᵢ and ∇²ℓᵢ = ℓ''(sᵢ)·φᵢφᵢᵀ, which is all the module needs.

Batch loss over a batch 𝓑 of size B, with ``reduction``:

    mean: L_𝓑(θ) = (1/B) Σ_{i∈𝓑} ℓᵢ(θ) + (λ/2)‖θ‖²
    sum:  L_𝓑(θ) =       Σ_{i∈𝓑} ℓᵢ(θ) + (λ/2)‖θ‖²

The coupled L2 term is added once per batch, as ``weight_decay`` or an explicit penalty does in
a framework. Under mean its strength relative to the data term is λ whatever B is; under sum
the data term grows with B while the penalty does not, so its relative strength is λ/B.

The full objective ``value``/``grad``/``hessian`` is the mean loss over all N examples without
L2 (the surface the lessons draw). It evaluates a plot grid ``(H, W, dim)`` in one call, at a
cost that does not grow with N for the squared loss (an exact quadratic form around the
minimizer) and in cache-sized blocks for the logistic loss. ``loss_table`` tabulates it for a
contour or image whose resolution should not multiply that cost.

Noise (REFERENCE.md §2): with G the full gradient, H the Hessian and Σ the covariance of the
per-example gradients, the mean mini-batch gradient drawn without replacement has covariance
Σ/B·(N − B)/(N − 1); B_simple = tr Σ / |G|², B_noise = tr(HΣ)/(GᵀHG), ε_max = |G|²/(GᵀHG).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.seeding import MINIBATCH_SAMPLES, stream
from i18n import N_

Array = NDArray[np.float64]
Index = NDArray[np.intp]

MIN_EXAMPLES = 2
MAX_EXAMPLES = 16_384
MAX_NOISE = 10.0
_CHUNK_ELEMENTS = 1 << 21  # bound on the (points × examples) block evaluated at once
_VALUE_BLOCK = 1 << 15  # (points × examples) per block of ``value``: 256 KB, stays in cache
_BATCH_BLOCK = 1024  # examples per block of a logistic batch gradient (whatever the runs)
_SMALL = 2048  # below this many margins, the fewest NumPy calls are the fastest
_EMPTY = np.empty(0)


@dataclass(frozen=True)
class ProblemConfig:
    """What to generate: the problem kind, N examples, the noise level and the seed.

    ``noise`` is the standard deviation of the target noise (regression) or of the noise added
    to the decision score before labelling (logistic regression: 0 gives separable data, which
    has no finite minimizer).
    """

    kind: str
    n_examples: int = 256
    noise: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in PROBLEMS:
            raise ValueError(f"Unknown problem {self.kind!r}; choose one of {sorted(PROBLEMS)}")
        n = self.n_examples
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise ValueError(f"n_examples must be an integer, got {n!r}")
        if not MIN_EXAMPLES <= n <= MAX_EXAMPLES:
            raise ValueError(
                f"n_examples must be between {MIN_EXAMPLES} and {MAX_EXAMPLES}, got {n}"
            )
        if not (math.isfinite(self.noise) and 0 <= self.noise <= MAX_NOISE):
            raise ValueError(f"noise must be between 0 and {MAX_NOISE}, got {self.noise!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        if self.seed < 0:
            raise ValueError(f"seed must be ≥ 0, got {self.seed}")


class NoiseScales(NamedTuple):
    """Gradient-noise statistics at a point (McCandlish et al. 2018), each ``(...)``.

    Attributes:
        grad_norm2: |G|².
        trace_cov: tr Σ, the per-example gradient variance.
        b_simple: tr Σ / |G|² — the batch size at which noise and signal are comparable.
        b_noise: tr(HΣ) / (GᵀHG) — the same with curvature weighting.
        eps_max: |G|² / (GᵀHG) — the best step along G with an exact gradient.
    """

    grad_norm2: Array
    trace_cov: Array
    b_simple: Array
    b_noise: Array
    eps_max: Array


def _sigmoid(s: Array) -> Array:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * s)), dtype=np.float64)  # no overflow


def _squared(s: Array, y: Array, order: int = 2) -> tuple[Array, Array, Array]:
    """ℓ = ½(s − y)², ℓ' = s − y, ℓ'' = 1 (derivatives above ``order`` left empty)."""
    r = s - y
    return 0.5 * r * r, r, np.ones_like(r) if order >= 2 else _EMPTY


def _softplus(t: Array) -> tuple[Array, Array]:
    """(log(1 + eᵗ), e^{−|t|}) without overflow or cancellation."""
    e = np.exp(-np.abs(t))
    return np.maximum(t, 0.0) + np.log1p(e), e


def _logistic(s: Array, y: Array, order: int = 2) -> tuple[Array, Array, Array]:
    """ℓ = softplus(t) with t = (1 − 2y)·s (= log(1 + eˢ) − y·s for y ∈ {0, 1}),
    ℓ' = σ(s) − y = (1 − 2y)·σ(t), ℓ'' = σ(t)(1 − σ(t))."""
    sign = 1.0 - 2.0 * y
    t = sign * s
    loss = _softplus(t)[0]
    if order == 0:
        return loss, _EMPTY, _EMPTY
    sig = _sigmoid(t)
    return loss, sign * sig, sig * (1.0 - sig) if order >= 2 else _EMPTY


def _softplus_sum_and_sigmoid(t: Array) -> tuple[Array, Array]:
    """(Σ softplus(t) over the last axis, σ(t)) for margins ``t (..., B)``, which it overwrites.

    The same numbers as ``_logistic``, computed in place: on the app's server a fresh large
    temporary per operation cost more than the operation (the allocator hands the memory back
    and every new array faults its pages in again), so this makes two instead of ten — 2.5
    instead of 13 ns a margin for 24 runs × 1024 examples. Few margins take the shortest path.
    """
    if t.size <= _SMALL:  # few numbers: fewer, not smaller, operations (the same values)
        return np.logaddexp(0.0, t).sum(axis=-1), _sigmoid(t)
    sig = np.multiply(t, 0.5)
    np.tanh(sig, out=sig)
    sig += 1.0
    sig *= 0.5
    e = np.abs(t)
    np.exp(np.negative(e, out=e), out=e)
    np.log1p(e, out=e)
    np.maximum(t, 0.0, out=t)
    t += e
    return t.sum(axis=-1), sig


LOSSES = {"squared": _squared, "logistic": _logistic}


@dataclass(frozen=True, eq=False)
class DataProblem:
    """A linear model with per-example losses over generated data (see the module docstring).

    Attributes:
        key, name, description: registry key, display name, what it teaches (the last two
            in English, marked for the catalogue: translate them with ``i18n._`` to show).
        config: the ``ProblemConfig`` it was generated from.
        features: ``(N, dim)`` φᵢ.
        targets: ``(N,)`` yᵢ.
        inputs: ``(N, d_in)`` the raw inputs to plot (x for regression, the 2-D points).
        loss_kind: "squared" or "logistic".
        param_names: axis labels, e.g. ("w", "b").
        true_params: ``(dim,)`` the parameters the data were generated with.
        bounds: ``(dim, 2)`` plotting window in parameter space.
        minima: ``(m, dim)`` the minimizer of the full loss (m = 0 if there is none).
        minima_values: ``(m,)``.
        default_start: ``(dim,)``.
        log_color: the contour is coloured by log₁₀(loss − minimum): True exactly when the
            problem has a minimum (without one there is nothing to subtract).
    """

    key: str
    name: str
    description: str
    config: ProblemConfig
    features: Array
    targets: Array
    inputs: Array
    loss_kind: str
    param_names: tuple[str, ...]
    true_params: Array
    bounds: Array
    minima: Array
    minima_values: Array
    default_start: Array
    log_color: bool = False

    @property
    def dim(self) -> int:
        return int(self.features.shape[1])

    @property
    def n_examples(self) -> int:
        return int(self.features.shape[0])

    @property
    def loss_floor(self) -> float | None:
        """The full loss at its minimizer, or None when it has none (separable logistic data:
        the loss falls towards 0 for ever as ‖θ‖ grows). Figures then draw the loss itself
        where they would draw loss − minimum."""
        return float(self.minima_values[0]) if len(self.minima_values) else None

    # ------------------------------------------------------------------ per example

    def _params(self, params: ArrayLike) -> Array:
        p = np.asarray(params, dtype=np.float64)
        if p.ndim == 0 or p.shape[-1] != self.dim:
            raise ValueError(
                f"{self.name} takes parameters of shape (..., {self.dim}), got {p.shape}"
            )
        return p

    def _index(self, idx: ArrayLike | None) -> Index:
        if idx is None:
            return np.arange(self.n_examples, dtype=np.intp)
        index = np.asarray(idx)
        if index.ndim != 1 or index.dtype.kind not in "iu" or index.size == 0:  # integers
            raise ValueError(f"idx must be a non-empty 1-D integer array, got {index!r}")
        if index.min() < 0 or index.max() >= self.n_examples:
            raise ValueError(f"idx must lie in [0, {self.n_examples}), got {index!r}")
        return index.astype(np.intp, copy=False)

    def _terms(
        self, params: ArrayLike, idx: ArrayLike | None, order: int = 2
    ) -> tuple[Array, Array, Array, Array]:
        """(φ_𝓑 (B, dim), ℓ, ℓ', ℓ'') with the last three ``(..., B)``; derivatives above
        ``order`` are not computed (empty)."""
        p, index = self._params(params), self._index(idx)
        phi = self.features[index]
        loss, d1, d2 = LOSSES[self.loss_kind](p @ phi.T, self.targets[index], order)
        return phi, loss, d1, d2

    def example_losses(self, params: ArrayLike, idx: ArrayLike | None = None) -> Array:
        """ℓᵢ(θ) for the examples ``idx`` (all if None): ``(..., dim)`` → ``(..., B)``."""
        return self._terms(params, idx)[1]

    def example_grads(self, params: ArrayLike, idx: ArrayLike | None = None) -> Array:
        """∇ℓᵢ(θ) = ℓ'(sᵢ)·φᵢ: ``(..., dim)`` → ``(..., B, dim)``."""
        phi, _, d1, _ = self._terms(params, idx)
        return np.asarray(d1[..., :, None] * phi, dtype=np.float64)

    def batch_loss_and_grad(
        self, params: ArrayLike, idx: ArrayLike, reduction: str = "mean", l2: float = 0.0
    ) -> tuple[Array, Array]:
        """The mini-batch loss L_𝓑 and its gradient (module docstring): ``(...)``, ``(..., dim)``.

        ∇L_𝓑 = c·Σ_{i∈𝓑} ℓ'(sᵢ)φᵢ + λθ with c = 1/B (mean) or 1 (sum).
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        p, index = self._params(params), self._index(idx)
        if self.loss_kind == "logistic":  # the hot path of every run: cache-sized blocks
            psi = self._margin_features[index[:_BATCH_BLOCK]]  # ∇ℓᵢ = σ(tᵢ)·ψᵢ
            loss_sum, sig = _softplus_sum_and_sigmoid(p @ psi.T)
            data_grad = sig @ psi
            for a in range(_BATCH_BLOCK, len(index), _BATCH_BLOCK):
                psi = self._margin_features[index[a : a + _BATCH_BLOCK]]
                block_loss, sig = _softplus_sum_and_sigmoid(p @ psi.T)
                loss_sum, data_grad = loss_sum + block_loss, data_grad + sig @ psi
        else:
            phi = self.features[index]
            r = p @ phi.T
            r -= self.targets[index]
            loss_sum, data_grad = 0.5 * np.einsum("...b,...b->...", r, r), r @ phi
        scale = 1.0 / len(index) if reduction == "mean" else 1.0
        batch_loss = scale * loss_sum
        grad = scale * data_grad
        if l2:
            batch_loss = batch_loss + 0.5 * l2 * np.einsum("...i,...i->...", p, p)
            grad = grad + l2 * p
        return np.asarray(batch_loss, dtype=np.float64), np.asarray(grad, dtype=np.float64)

    # ------------------------------------------------------------------ full objective

    def _chunks(self, p: Array) -> list[slice]:
        points = max(1, int(np.prod(p.shape[:-1])))
        size = max(1, _CHUNK_ELEMENTS // points)
        return [slice(a, min(a + size, self.n_examples)) for a in range(0, self.n_examples, size)]

    def value(self, params: ArrayLike) -> Array:
        """Full-data mean loss (1/N) Σ ℓᵢ(θ), no L2: ``(..., dim)`` → ``(...)``.

        Squared loss: L(θ) = L* + ½(θ − θ*)ᵀA(θ − θ*) with A = (1/N) Σ φᵢφᵢᵀ — exact, since
        the normal equations cancel the cross term — so a point costs O(dim²), not O(N), and
        loss − minimum keeps its digits near the minimum. Logistic loss: blocks of points ×
        all examples small enough to stay in the CPU cache (memory bounded, ~10× faster than
        one large block), so a 200 × 200 plot grid over thousands of examples is one call.
        """
        p = self._params(params)
        if self.loss_kind == "squared" and len(self.minima):
            hess, centre, floor = self._quadratic
            d = p - centre
            return np.asarray(floor + 0.5 * np.einsum("...i,ij,...j->...", d, hess, d))
        flat = p.reshape(-1, self.dim)
        out = np.empty(len(flat))
        rows = max(1, _VALUE_BLOCK // self.n_examples)
        logistic = self.loss_kind == "logistic"
        for a in range(0, len(flat), rows):
            block = flat[a : a + rows]
            if logistic:  # softplus of the margins, in place: (rows, N)
                t = block @ self._margin_features.T
                e = np.abs(t)
                np.log1p(np.exp(np.negative(e, out=e), out=e), out=e)
                t = np.maximum(t, 0.0, out=t)
                t += e
            else:
                t = LOSSES[self.loss_kind](block @ self.features.T, self.targets, 0)[0]
            out[a : a + rows] = t.sum(axis=-1)
        return np.asarray(out.reshape(p.shape[:-1]) / self.n_examples, dtype=np.float64)

    @functools.cached_property
    def _margin_features(self) -> Array:
        """(1 − 2yᵢ)·φᵢ ``(N, dim)``: θ·ψᵢ is example i's margin t (logistic loss)."""
        return np.asarray(self.features * (1.0 - 2.0 * self.targets)[:, None])

    @functools.cached_property
    def _quadratic(self) -> tuple[Array, Array, float]:
        """(A, θ*, L*) of a squared loss with a minimizer θ* (see ``value``); L* summed
        directly over the examples."""
        centre = self.minima[0]
        floor = float(self._terms(centre, None, order=0)[1].mean())
        return self.features.T @ self.features / self.n_examples, centre, floor

    def grad(self, params: ArrayLike) -> Array:
        """Full gradient G = (1/N) Σ ∇ℓᵢ(θ): ``(..., dim)`` → ``(..., dim)``."""
        p = self._params(params)
        total = np.zeros(p.shape)
        for chunk in self._chunks(p):
            phi, _, d1, _ = self._terms(p, np.arange(chunk.start, chunk.stop))
            total = total + d1 @ phi
        return np.asarray(total / self.n_examples, dtype=np.float64)

    def hessian(self, params: ArrayLike) -> Array:
        """H = (1/N) Σ ℓ''(sᵢ) φᵢφᵢᵀ: ``(..., dim)`` → ``(..., dim, dim)``."""
        p = self._params(params)
        total = np.zeros((*p.shape, self.dim))
        for chunk in self._chunks(p):
            phi, _, _, d2 = self._terms(p, np.arange(chunk.start, chunk.stop))
            total = total + np.einsum("...n,ni,nj->...ij", d2, phi, phi)
        return np.asarray(total / self.n_examples, dtype=np.float64)

    # ------------------------------------------------------------------ gradient noise

    def grad_covariance(self, params: ArrayLike) -> Array:
        """Σ = (1/N) Σᵢ (gᵢ − G)(gᵢ − G)ᵀ of the per-example gradients: ``(..., dim, dim)``."""
        g = self.example_grads(params)  # (..., N, dim)
        centred = g - g.mean(axis=-2, keepdims=True)
        return np.asarray(
            np.einsum("...ni,...nj->...ij", centred, centred) / self.n_examples, dtype=np.float64
        )

    def minibatch_grad_covariance(
        self,
        params: ArrayLike,
        batch_size: int,
        reduction: str = "mean",
        replacement: bool = False,
    ) -> Array:
        """Exact covariance of the mini-batch gradient over the random choice of the batch.

        mean, without replacement: Σ/B · (N − B)/(N − 1) (zero for the full batch);
        mean, with replacement: Σ/B; sum: B² times the mean's.
        """
        n = self.n_examples
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be between 1 and {n}, got {batch_size!r}")
        factor = 1.0 / batch_size if replacement else (n - batch_size) / (batch_size * (n - 1))
        if reduction == "sum":
            factor *= batch_size**2
        elif reduction != "mean":
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        return factor * self.grad_covariance(params)

    def noise_scales(self, params: ArrayLike) -> NoiseScales:
        """B_simple, B_noise and ε_max at θ (inf where G = 0, e.g. at the minimum)."""
        G = self.grad(params)
        H = self.hessian(params)
        S = self.grad_covariance(params)
        with np.errstate(divide="ignore", invalid="ignore"):
            g2 = np.sum(G * G, axis=-1)
            gHg = np.einsum("...i,...ij,...j->...", G, H, G)
            tr_s = np.trace(S, axis1=-2, axis2=-1)
            tr_hs = np.einsum("...ij,...ji->...", H, S)
            return NoiseScales(
                grad_norm2=g2,
                trace_cov=tr_s,
                b_simple=np.where(g2 > 0, tr_s / g2, np.inf),
                b_noise=np.where(gHg > 0, tr_hs / gHg, np.inf),
                eps_max=np.where(gHg > 0, g2 / gHg, np.inf),
            )

    def sample_minibatch_grads(
        self,
        params: ArrayLike,
        batch_size: int,
        n_samples: int,
        *,
        seed: int = 0,
        reduction: str = "mean",
    ) -> Array:
        """``n_samples`` real mini-batch gradients at one point θ ``(dim,)``: ``(n_samples, dim)``.

        Each batch is B distinct examples drawn uniformly (as one batch of an epoch is).
        """
        n = self.n_examples
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be between 1 and {n}, got {batch_size!r}")
        if not 1 <= n_samples <= 10_000:
            raise ValueError(f"n_samples must be between 1 and 10000, got {n_samples!r}")
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        p = self._params(params)
        if p.shape != (self.dim,):
            raise ValueError(f"params must be one point of shape ({self.dim},), got {p.shape}")
        per_example = self.example_grads(p)  # (N, dim)
        rng = stream(seed, MINIBATCH_SAMPLES)  # not the data's own stream (engine/seeding.py)
        if batch_size < n:
            keys = rng.random((n_samples, n))  # each batch: the examples of its B smallest keys
            batches = np.argpartition(keys, batch_size - 1, axis=1)[:, :batch_size]  # linear time
            sums = per_example[batches].sum(axis=1)
        else:  # the full batch: every sample is the full sum
            sums = np.repeat(per_example.sum(axis=0)[None], n_samples, axis=0)
        return np.asarray(sums / batch_size if reduction == "mean" else sums, dtype=np.float64)


# --------------------------------------------------------------------------- generation


def _minimize(features: Array, targets: Array, loss_kind: str) -> Array:
    """The minimizer of the mean loss, shape ``(m, dim)``; m = 0 if there is none."""
    if loss_kind == "squared":
        A = features.T @ features
        c = features.T @ targets
        return np.asarray(np.linalg.solve(A, c)[None, :], dtype=np.float64)
    theta = np.zeros(features.shape[1])
    for _ in range(200):  # damped Newton on the convex logistic loss
        s = features @ theta
        p = _sigmoid(s)
        g = features.T @ (p - targets) / len(targets)
        H = (features.T * (p * (1 - p))) @ features / len(targets)
        if np.max(np.abs(g)) < 1e-13:
            return theta[None, :]
        step = np.linalg.solve(H + 1e-12 * np.eye(len(theta)), g)
        theta = theta - min(1.0, 2.0 / max(1e-12, float(np.max(np.abs(step))))) * step
        if np.max(np.abs(theta)) > 1e3:  # separable data: the loss decreases forever
            break
    return np.empty((0, features.shape[1]))


def _window(centre: Array) -> tuple[Array, Array]:
    """A plotting window around ``centre`` and a start in its upper-left part."""
    span = max(3.0, 1.2 * float(np.max(np.abs(centre))))
    bounds = np.stack([centre - span, centre + span], axis=-1)
    direction = np.array([-0.75, 0.6])[: len(centre)]
    return bounds, centre + span * direction


def _frozen(a: ArrayLike) -> Array:
    arr = np.array(a, dtype=np.float64)
    arr.setflags(write=False)
    return arr


def _generate(config: ProblemConfig) -> DataProblem:
    rng = np.random.default_rng(config.seed)
    n, noise = config.n_examples, config.noise
    spec = PROBLEMS[config.kind]
    if config.kind == "linear_regression":
        true = np.array([2.0, -1.0])
        x = rng.uniform(0.0, 2.0, n)
        features = np.stack([x, np.ones(n)], axis=-1)
        targets = features @ true + noise * rng.standard_normal(n)
        inputs, loss_kind = x[:, None], "squared"
    elif config.kind == "line_through_origin":
        true = np.array([1.5])
        x = rng.standard_normal(n)
        features = x[:, None]
        targets = features @ true + noise * rng.standard_normal(n)
        inputs, loss_kind = x[:, None], "squared"
    else:  # logistic_regression
        true = np.array([2.0, -1.0])
        features = rng.standard_normal((n, 2))
        score = features @ true + noise * rng.standard_normal(n)
        targets = (score > 0).astype(np.float64)
        inputs, loss_kind = features, "logistic"
    minima = _minimize(features, targets, loss_kind)
    centre = minima[0] if len(minima) else np.zeros(len(true))
    has_minimum = bool(len(minima))
    bounds, start = _window(centre)
    problem = DataProblem(
        key=config.kind,
        name=spec[0],
        description=spec[1],
        config=config,
        features=_frozen(features),
        targets=_frozen(targets),
        inputs=_frozen(inputs),
        loss_kind=loss_kind,
        param_names=spec[2],
        true_params=_frozen(true),
        bounds=_frozen(bounds),
        minima=_frozen(minima),
        minima_values=np.empty(0),
        default_start=_frozen(start),
        # A long, flat valley: only a log scale of loss − minimum shows its floor. Without a
        # minimum there is nothing to subtract: the colours are the loss itself.
        log_color=has_minimum,
    )
    values = problem.value(minima) if len(minima) else np.empty(0)
    object.__setattr__(problem, "minima_values", _frozen(values))
    return problem


# key -> (display name, description, parameter names); the name and the description are
# marked for the catalogue (``i18n``) and translated where they are shown.
PROBLEMS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "linear_regression": (
        N_("Linear regression"),
        N_(
            "Fit a line y ≈ w·x + b to noisy points: a stretched bowl in (w, b) whose size and "
            "shape the data decide."
        ),
        ("w", "b"),
    ),
    "line_through_origin": (
        N_("One-weight fit"),
        N_("Fit y ≈ w·x: one weight, so the loss is a parabola and every step is visible."),
        ("w",),
    ),
    "logistic_regression": (
        N_("Logistic regression"),
        N_(
            "Separate two classes of 2-D points with a line through the origin: two weights, "
            "cross-entropy loss, a bowl that flattens far from the data."
        ),
        ("w₁", "w₂"),
    ),
}


@functools.lru_cache(maxsize=64)
def make_problem(config: ProblemConfig) -> DataProblem:
    """Generate the problem described by ``config`` (seeded: same config, same bytes; cached,
    and its arrays are read-only, so sharing it is safe)."""
    return _generate(config)


# --------------------------------------------------------------------------- drawing


def _keys_weights(f: Array) -> Array:
    """Keys' cubic-convolution weights (a = −½) of the four nodes around each fraction ``f``:
    ``(...)`` → ``(..., 4)``. Exact for quadratics; error O(h³) for smooth functions."""
    f2, f3 = f * f, f * f * f
    return np.stack(
        [-0.5 * f3 + f2 - 0.5 * f, 1.5 * f3 - 2.5 * f2 + 1.0, -1.5 * f3 + 2.0 * f2 + 0.5 * f,
         0.5 * f3 - 0.5 * f2],
        axis=-1,
    )  # fmt: skip


@dataclass(frozen=True, eq=False)
class LossTable:
    """A problem's full loss as a contour or an image needs it, at a cost independent of the
    image's resolution (it satisfies ``figures.surface_plots.Landscape``).

    ``value`` is exact at ``nodes`` evenly spaced points per axis of the plotting window (and
    one spacing beyond each edge) and interpolated by Keys' cubic convolution between them,
    which reproduces a quadratic exactly: a least-squares loss is drawn as it is, a logistic
    one within O(h³). Points outside the window are evaluated exactly. Everything else is the
    problem's own.
    """

    problem: DataProblem
    nodes: int
    table: Array  # (nodes + 2,) * dim, node k at bounds[:, 0] + (k − 1)·h

    @property
    def name(self) -> str:
        return self.problem.name

    @property
    def dim(self) -> int:
        return self.problem.dim

    @property
    def bounds(self) -> Array:
        return self.problem.bounds

    @property
    def minima(self) -> Array:
        return self.problem.minima

    @property
    def minima_values(self) -> Array:
        return self.problem.minima_values

    @property
    def log_color(self) -> bool:
        return self.problem.log_color

    def value(self, params: ArrayLike) -> Array:
        """The loss at ``params (..., dim)``: interpolated inside the window, exact outside."""
        p = self.problem._params(params)
        lo, hi = self.bounds[:, 0], self.bounds[:, 1]
        inside = np.all((p >= lo) & (p <= hi), axis=-1)
        out = np.empty(p.shape[:-1])
        out[~inside] = self.problem.value(p[~inside]) if (~inside).any() else 0.0
        q = p[inside]  # (M, dim)
        u = (q - lo) / ((hi - lo) / (self.nodes - 1)) + 1.0  # table coordinates
        base = np.clip(np.floor(u).astype(np.intp), 1, self.nodes - 1)
        weights = _keys_weights(u - base)  # (M, dim, 4)
        total = np.zeros(len(q))
        for offsets in itertools.product(range(4), repeat=self.dim):
            index = tuple(base[:, d] - 1 + o for d, o in enumerate(offsets))
            w = np.prod([weights[:, d, o] for d, o in enumerate(offsets)], axis=0)
            total += w * self.table[index]
        out[inside] = total
        return np.asarray(out, dtype=np.float64)


@functools.lru_cache(maxsize=64)
def loss_table(problem: DataProblem, nodes: int = 48) -> LossTable:
    """The ``LossTable`` of ``problem`` (cached per problem object, like its images)."""
    if nodes < 4:
        raise ValueError(f"nodes must be at least 4, got {nodes}")
    lo, hi = problem.bounds[:, 0], problem.bounds[:, 1]
    h = (hi - lo) / (nodes - 1)
    axes = [lo[d] + h[d] * np.arange(-1, nodes + 1) for d in range(problem.dim)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    return LossTable(problem, nodes, _frozen(problem.value(grid)))
