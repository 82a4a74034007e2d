"""A mini-batch loss's scale and weight penalties, for K networks at once (``engine.nn``).

L = c·Σ_i ℓ_i + (λ₂/2)·Σ_l ‖W_l‖² + λ₁·Σ_l Σ|W_l|, c = 1/B (mean) or 1 (sum). Each of c, λ₂, λ₁
is one number for every network, or one per network: networks that see the same batch but
differ in what a comparison changes (sum vs mean, L2, L1) then share one forward and backward
pass, and each gets, number for number, what a call with its own settings gives — c = 1 leaves
δ as it is, and a network whose λ is zero gets no term at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

Coefficient = float | Array  # one λ for every network, or one per network (K,)


def batch_scale(reduction: str | Sequence[str], B: int, K: int) -> float | Array:
    """c = 1/B for "mean", 1 for "sum": one float, or ``(K,)`` when the networks differ."""
    names = [reduction] if isinstance(reduction, str) else list(reduction)
    if any(name not in ("mean", "sum") for name in names):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if isinstance(reduction, str) or len(set(names)) == 1:
        return 1.0 / B if names[0] == "mean" else 1.0
    if len(names) != K:
        raise ValueError(f"{len(names)} reductions for {K} networks")
    return np.array([1.0 / B if name == "mean" else 1.0 for name in names])


def coefficient(value: float | Sequence[float], K: int, name: str) -> Coefficient:
    """A penalty's λ: one float, or ``(K,)`` when the networks differ."""
    if np.ndim(value) == 0:
        return float(value)  # type: ignore[arg-type]
    values = np.asarray(value, dtype=np.float64)
    if values.shape != (K,):
        raise ValueError(f"{name} must be one number or one per network ({K}), got {values.shape}")
    return float(values[0]) if np.all(values == values[0]) else values


def add_penalty_gradient(dW: Array, W: Array, l2: Coefficient, l1: Coefficient) -> None:
    """dW += λ₂W + λ₁·sign(W), in place; with one λ per network, a network whose λ is zero
    gets no term at all (not 0·W, which is NaN where W is infinite)."""
    for lam, sign in ((l2, False), (l1, True)):
        if isinstance(lam, np.ndarray):
            term = lam[:, None, None] * (np.sign(W) if sign else W)
            term[lam == 0] = 0.0
            dW += term
        elif lam:
            dW += lam * (np.sign(W) if sign else W)


def with_penalties(weight_mask: Array, params: Array, loss: Array, l2: Coefficient,
                   l1: Coefficient) -> Array:  # fmt: skip
    """The data loss ``(K,)`` plus (λ₂/2)·Σ‖W‖² and λ₁·Σ|W| over the weights (``weight_mask``:
    1 for a weight, 0 for a bias) of each network ``params (K, P)``, where λ is not zero."""
    for lam, penalty in ((l2, _l2_penalty), (l1, _l1_penalty)):
        if isinstance(lam, np.ndarray):
            term = penalty(weight_mask, params, lam)
            term[lam == 0] = 0.0
            loss = loss + term
        elif lam:
            loss = loss + penalty(weight_mask, params, lam)
    return loss


def _l2_penalty(weight_mask: Array, params: Array, l2: Coefficient) -> Array:
    weights = params * weight_mask
    return np.asarray(0.5 * l2 * np.sum(weights * weights, axis=-1))


def _l1_penalty(weight_mask: Array, params: Array, l1: Coefficient) -> Array:
    return np.asarray(l1 * np.sum(np.abs(params) * weight_mask, axis=-1))
