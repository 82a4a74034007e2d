"""Closed forms the lessons draw on top of measured runs (REFERENCE.md §2–3).

Quadratic f = ½ wᵀAw − bᵀw with eigenvalues λ₁ ≤ … ≤ λₙ of A, κ = λₙ/λ₁, learning rate γ,
momentum μ (torch's heavy ball, dampening 0):

* Gradient descent, per eigen-mode x ← (1 − γλ)x: stable iff 0 < γλ < 2; best γ = 2/(λ₁+λₙ)
  with rate (κ−1)/(κ+1); loss f(w_k) − f* = ½ Σ (1 − γλᵢ)^{2k} λᵢ xᵢ₀².
* Heavy ball, per mode [y; x] ← R[y; x] with R = [[μ, λ], [−γμ, 1 − γλ]]: stable iff
  0 < γλ < 2 + 2μ; complex eigenvalues have modulus √μ; critical damping μ = (1 − √(γλ))²;
  best γ = (2/(√λ₁+√λₙ))², best μ = ((√κ−1)/(√κ+1))², rate (√κ−1)/(√κ+1).
* Under a constant gradient the step settles at γg/(1 − μ): effective lr γ/(1 − μ).

Mini-batches (McCandlish et al. 2018, mean reduction): the one-step optimum along a mini-batch
gradient is ε_opt(B) = ε_max/(1 + B_noise/B) for batches drawn with replacement, and
ε_max/(1 + (B_noise/B)·(N − B)/(N − 1)) for B distinct examples out of N (the batch gradient's
covariance shrinks by (N − B)/(N − 1), to zero for the full batch). Under sum the gradient is B
times larger, so the best lr is ε_opt(B)/B and the stability limit on a quadratic 2/(B·λmax).
Goyal et al.'s linear scaling rule: γ(B) = γ₀·B/B₀.

All functions accept scalars or arrays and broadcast.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from i18n import N_, Problem

Array = NDArray[np.float64]


def _f(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=np.float64)


# --------------------------------------------------------------------------- gradient descent


def gd_factor(lr: ArrayLike, lam: ArrayLike) -> Array:
    """Per-step multiplier 1 − γλ of an eigen-mode under gradient descent."""
    return 1.0 - _f(lr) * _f(lam)


def gd_rate(lr: ArrayLike, lam: ArrayLike) -> Array:
    """Worst per-step contraction max_i |1 − γλᵢ| over the eigenvalues on the last axis."""
    return np.asarray(np.max(np.abs(gd_factor(_f(lr)[..., None], _f(lam))), axis=-1))


def gd_stability_limit(lam_max: ArrayLike) -> Array:
    """Largest stable learning rate 2/λmax (γ must be strictly below it)."""
    return 2.0 / _f(lam_max)


def gd_optimal(lam_min: ArrayLike, lam_max: ArrayLike) -> tuple[Array, Array]:
    """(best γ, its rate): 2/(λ₁+λₙ) and (κ−1)/(κ+1)."""
    lo, hi = _f(lam_min), _f(lam_max)
    return 2.0 / (lo + hi), (hi - lo) / (hi + lo)


def gd_loss_by_modes(lr: ArrayLike, lams: ArrayLike, x0: ArrayLike, steps: ArrayLike) -> Array:
    """f(w_k) − f* = ½ Σᵢ (1 − γλᵢ)^{2k} λᵢ xᵢ₀² (x₀ the start in eigen-coordinates).

    ``steps`` may be an array; the result has its shape (modes summed).
    """
    k = _f(steps)[..., None]
    lam = _f(lams)
    return np.asarray(0.5 * np.sum(gd_factor(lr, lam) ** (2 * k) * lam * _f(x0) ** 2, axis=-1))


# --------------------------------------------------------------------------- heavy ball


def momentum_matrix(lr: float, mu: float, lam: float) -> Array:
    """R with [y; x]_{k+1} = R [y; x]_k for one eigen-mode (torch's momentum, dampening 0)."""
    return np.array([[mu, lam], [-lr * mu, 1.0 - lr * lam]])


def momentum_rate(lr: ArrayLike, mu: ArrayLike, lam: ArrayLike) -> Array:
    """Spectral radius of R: max |root| of z² − (1 + μ − γλ)z + μ = 0."""
    lr_, mu_, lam_ = np.broadcast_arrays(_f(lr), _f(mu), _f(lam))
    trace = 1.0 + mu_ - lr_ * lam_
    disc = np.sqrt((trace**2 - 4.0 * mu_).astype(np.complex128))
    roots = np.stack([(trace + disc) / 2.0, (trace - disc) / 2.0])
    return np.asarray(np.max(np.abs(roots), axis=0), dtype=np.float64)


def momentum_stability_limit(lam_max: ArrayLike, mu: ArrayLike) -> Array:
    """Largest stable learning rate (2 + 2μ)/λmax."""
    return (2.0 + 2.0 * _f(mu)) / _f(lam_max)


def momentum_optimal(lam_min: ArrayLike, lam_max: ArrayLike) -> tuple[Array, Array, Array]:
    """(best γ, best μ, rate) = ((2/(√λ₁+√λₙ))², ((√κ−1)/(√κ+1))², (√κ−1)/(√κ+1))."""
    a, b = np.sqrt(_f(lam_min)), np.sqrt(_f(lam_max))
    rate = (b - a) / (b + a)
    return (2.0 / (a + b)) ** 2, rate**2, rate


def critical_damping(lr: ArrayLike, lam: ArrayLike) -> Array:
    """μ_c = (1 − √(γλ))²: the momentum at which the mode's two roots meet.

    The roots of z² − (1 + μ − γλ)z + μ are complex (the mode spirals with modulus √μ) exactly
    when μ > μ_c. What μ_c means depends on γλ:

    * 0 < γλ < 1: μ_c ∈ (0, 1) is the smallest momentum at which the mode starts to
      oscillate; below it both roots are real and positive (a monotone decay).
    * γλ = 1: μ_c = 0 — any momentum makes it oscillate (without, one step lands on 0).
    * 1 < γλ < 4: μ_c ∈ (0, 1), but the mode oscillates on both sides: below μ_c a real root
      is negative (the sign flips every step), above it the roots are complex.
    * γλ ≥ 4: μ_c ≥ 1, outside the usable range 0 ≤ μ < 1 — no momentum gives complex roots,
      and every μ < 1 is unstable there (γλ ≥ 4 > 2 + 2μ).
    """
    return (1.0 - np.sqrt(_f(lr) * _f(lam))) ** 2


def effective_lr(lr: ArrayLike, mu: ArrayLike) -> Array:
    """γ/(1 − μ): the steady-state step per unit gradient under a constant gradient."""
    return _f(lr) / (1.0 - _f(mu))


# --------------------------------------------------------------------------- batch size


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")


def stability_limit(
    lam_max: ArrayLike, batch_size: ArrayLike, reduction: str, momentum: ArrayLike = 0.0
) -> Array:
    """Full-batch stability wall of SGD with heavy-ball momentum μ on the curvature λmax:
    (2 + 2μ)/λmax (mean) or (2 + 2μ)/(B·λmax) (sum); μ = 0 gives plain SGD's 2/λmax.

    It is the wall of the full-batch gradient: with mini-batches of B < N the largest stable lr
    differs (on this app's linear regression, measured over 3000 steps: 0.91–0.97× of it at
    B = 1, 1.05–1.06× at B = 4, 1.02× at B = 16).
    """
    _check_reduction(reduction)
    limit = momentum_stability_limit(lam_max, momentum)
    return limit / _f(batch_size) if reduction == "sum" else limit * np.ones_like(_f(batch_size))


def optimal_lr(
    eps_max: ArrayLike,
    b_noise: ArrayLike,
    batch_size: ArrayLike,
    reduction: str,
    n_examples: ArrayLike | None = None,
    momentum: ArrayLike = 0.0,
) -> Array:
    """McCandlish's one-step optimum ε_opt(B) at the point where ε_max and B_noise were measured.

    mean: ε_max / (1 + (B_noise/B)·(N − B)/(N − 1)) for B distinct examples out of N
    (``n_examples``; the lessons' batches), ε_max / (1 + B_noise/B) with replacement
    (``n_examples=None``, the N → ∞ limit). sum: the same divided by B (the gradient is B
    times larger).

    With heavy-ball momentum μ the result is multiplied by (1 − μ), so that the steady-state
    effective lr γ/(1 − μ) (REFERENCE §3) equals the one-step optimum; μ = 0 is plain SGD.

    It is the best step *at that point*: as a run approaches the minimum B_noise grows (from
    about 3 to hundreds on the lessons' regression), and the best lr of a whole run with it.
    """
    _check_reduction(reduction)
    b = _f(batch_size)
    noise = _f(b_noise) / b
    if n_examples is not None:
        n = _f(n_examples)
        if np.any(b > n) or np.any(n < 2):
            raise ValueError(f"need 1 ≤ B ≤ N and N ≥ 2, got B={batch_size!r}, N={n_examples!r}")
        with np.errstate(invalid="ignore"):  # B_noise = inf at a minimum: no noise at B = N
            noise = np.where(b < n, noise * (n - b) / (n - 1.0), 0.0)
    mean = (1.0 - _f(momentum)) * _f(eps_max) / (1.0 + noise)
    return mean / b if reduction == "sum" else mean


def linear_scaling_lr(base_lr: ArrayLike, base_batch: ArrayLike, batch_size: ArrayLike) -> Array:
    """Goyal et al.: γ(B) = γ₀ · B / B₀ (mean reduction)."""
    return _f(base_lr) * _f(batch_size) / _f(base_batch)


def sum_equivalent_lr(mean_lr: ArrayLike, batch_size: ArrayLike) -> Array:
    """The lr under sum that reproduces SGD/momentum under mean exactly: γ_sum = γ_mean / B."""
    return _f(mean_lr) / _f(batch_size)


def effective_lr_of_reduction(lr: ArrayLike, batch_size: ArrayLike, reduction: str) -> Array:
    """The step per unit *mean* gradient for SGD/momentum: γ (mean) or γ·B (sum).

    Adaptive optimizers (Adagrad, RMSprop, Adam) divide the scale out, so for them the
    reduction does not change the step (up to eps).
    """
    _check_reduction(reduction)
    return _f(lr) * _f(batch_size) if reduction == "sum" else _f(lr) * np.ones_like(_f(batch_size))


def l2_relative_strength(l2: ArrayLike, batch_size: ArrayLike, reduction: str) -> Array:
    """Strength of a coupled L2 term added once per batch relative to the mean data term:
    λ under mean, λ/B under sum."""
    _check_reduction(reduction)
    return _f(l2) / _f(batch_size) if reduction == "sum" else _f(l2) * np.ones_like(_f(batch_size))


# --------------------------------------------------------------------------- explanations


def quadratic_eigs(hessian: ArrayLike) -> Array:
    """Eigenvalues of a symmetric Hessian ``(..., d, d)``, ascending on the last axis."""
    return np.asarray(np.linalg.eigvalsh(_f(hessian)), dtype=np.float64)


def divergence_reason(
    lr: float,
    lam_max: float,
    momentum: float = 0.0,
    lam_min: float | None = None,
    *,
    noise: float = 0.0,
    grad_norm: float | None = None,
) -> Problem:
    """Why a gradient-descent run diverged from a point where the Hessian has extreme
    eigenvalues ``lam_min`` ≤ ``lam_max`` (or that this curvature alone does not explain it),
    as a catalogue message (a ``Problem`` that is never raised): ``i18n.message()`` writes it in
    the learner's language, ``divergence_explanation`` in English.

    Quote the last point before the blow-up: where a run already flew off, the curvature is
    huge and explains nothing. With simulated gradient noise of σ = ``noise`` larger than the
    true gradient's norm ``grad_norm`` there, the steps were mostly noise, and the sentence
    blames the noise instead (each step then kicks the run by about lr·σ at random).
    """
    if noise > 0 and grad_norm is not None and noise > grad_norm:
        return Problem(
            N_("the simulated gradient noise σ = {noise} was larger than the gradient itself "
               "(|∇f| = {grad_norm}), so the steps followed the noise, not the slope: each "
               "kicked the run about lr·σ = {kick} at random, and the kicks carried it off to "
               "where it blew up."),
            noise=_shown(noise), grad_norm=_shown(grad_norm), kick=_shown(lr * noise),
        )  # fmt: skip
    limit = 2.0 + 2.0 * momentum
    product = lr * lam_max
    if lam_max > 0 and product >= limit:
        values = {"lr": _shown(lr, whole=False), "lam": _shown(lam_max),
                  "product": _shown(product)}  # fmt: skip
        if momentum == 0:
            return Problem(
                N_("lr × λmax = {lr} × {lam} = {product} > 2 — each step overshoots the valley "
                   "by more than it corrects, so the error grows every step."),
                **values,
            )  # fmt: skip
        return Problem(
            N_("lr × λmax = {lr} × {lam} = {product} > 2 + 2μ = {limit} — each step overshoots "
               "the valley by more than it corrects, so the error grows every step."),
            limit=_shown(limit, whole=False), **values,
        )  # fmt: skip
    if (lam_min is not None and lam_min < 0) or lam_max <= 0:
        return Problem(
            N_("the surface curves downward here (λmin < 0): along that direction the loss has "
               "no bottom, so the run slides away faster and faster.")
        )  # fmt: skip
    if momentum == 0:
        return Problem(
            N_("lr × λmax = {product} < 2: stable near this point; the blow-up came from "
               "steeper ground further out."),
            product=_shown(product),
        )  # fmt: skip
    return Problem(
        N_("lr × λmax = {product} < 2 + 2μ = {limit}: stable near this point; the blow-up came "
           "from steeper ground further out."),
        product=_shown(product), limit=_shown(limit, whole=False),
    )  # fmt: skip


def divergence_explanation(
    lr: float,
    lam_max: float,
    momentum: float = 0.0,
    lam_min: float | None = None,
    *,
    noise: float = 0.0,
    grad_norm: float | None = None,
) -> str:
    """``divergence_reason``'s sentence in English, its numbers as a learner reads them (values
    already rounded by ``_shown``)."""
    return str(divergence_reason(lr, lam_max, momentum, lam_min, noise=noise, grad_norm=grad_norm))


def _shown(value: float, whole: bool = True) -> float | int:
    """``value`` rounded to what the sentence shows (``_number``; three significant digits
    only if not ``whole``), so that a ``Problem``, which writes a float as the shortest text of
    that float, writes these digits and no more — in the learner's language (0,05 in Polish);
    a whole number as one (1441, 2)."""
    rounded = float(_number(value) if whole else f"{value:.3g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded


def _number(value: float) -> str:
    """Three significant digits, but whole numbers from 1,000 to 999,999 written out (1440,
    not 1.44e+03): the sentences are read aloud in class."""
    if np.isfinite(value) and 1e3 <= abs(value) < 1e6:
        return f"{value:.0f}"
    return f"{value:.3g}"
