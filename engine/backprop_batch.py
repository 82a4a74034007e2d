"""The backprop lesson's network on a batch: losses, gradients, nudges and the update.

The network is ``engine.backprop.lesson_spec``'s; every gradient is ``engine.nn.loss_and_grad``.

* ``batch_losses`` / ``example_grads`` / ``batch_grad`` — a batch of examples: the loss of K
  parameter vectors at once, the per-example gradients, the batch gradient (sum or mean).
* ``nudge`` / ``fd_errors`` — the slow way: change one parameter by ±h, run the forward pass
  again, and compare the slopes with the backprop gradient; for many h at once.
* ``sgd_steps`` / ``loss_after_step`` — the update w ← w − lr·g, with or without resetting
  the gradient between steps (what ``zero_grad`` does in a framework), and one step's loss
  for many learning rates.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.nn import MLPSpec, example_losses, forward, loss_and_grad

Array = NDArray[np.float64]


def batch_losses(spec: MLPSpec, params: ArrayLike, X: ArrayLike, y: ArrayLike,
                 reduction: str = "mean") -> Array:  # fmt: skip
    """The batch loss c·Σ_i ℓ_i (c = 1/B for "mean", 1 for "sum") of K parameter vectors
    ``(K, P)`` → ``(K,)``, by one batched forward pass (no gradient)."""
    theta = np.asarray(params, dtype=np.float64).reshape(-1, spec.n_params)
    inputs = np.asarray(X, dtype=np.float64).reshape(-1, spec.n_inputs)
    targets = np.asarray(y, dtype=np.float64).reshape(-1)
    with np.errstate(all="ignore"):
        losses, _ = example_losses(spec, forward(spec, theta, inputs, keep_pre=False).logits,
                                   targets)  # fmt: skip
        total = losses.sum(axis=-1)
    return np.asarray(total / len(targets) if reduction == "mean" else total, dtype=np.float64)


def example_grads(
    spec: MLPSpec, params: ArrayLike, X: ArrayLike, y: ArrayLike
) -> tuple[Array, Array]:
    """Each example's own loss ``(B,)`` and gradient ``(B, P)`` (a batch of one each)."""
    theta = np.asarray(params, dtype=np.float64).reshape(1, spec.n_params)
    inputs = np.asarray(X, dtype=np.float64).reshape(-1, spec.n_inputs)
    targets = np.asarray(y, dtype=np.float64).reshape(-1)
    losses, grads = [], []
    with np.errstate(all="ignore"):
        for row, target in zip(inputs, targets, strict=True):
            loss, grad = loss_and_grad(spec, theta, row[None], np.array([target]))
            losses.append(loss[0])
            grads.append(grad[0])
    return np.array(losses), np.array(grads)


def batch_grad(spec: MLPSpec, params: ArrayLike, X: ArrayLike, y: ArrayLike,
               reduction: str = "mean") -> tuple[float, Array]:  # fmt: skip
    """The batch loss and gradient ``(P,)``: mean or sum of the examples' (``loss_and_grad``)."""
    theta = np.asarray(params, dtype=np.float64).reshape(1, spec.n_params)
    with np.errstate(all="ignore"):
        inputs = np.asarray(X, dtype=np.float64).reshape(-1, spec.n_inputs)
        targets = np.asarray(y, dtype=np.float64).reshape(-1)
        loss, grad = loss_and_grad(spec, theta, inputs, targets, reduction)
    return float(loss[0]), grad[0]


# --------------------------------------------------------------------------- the slow way


class Nudge(NamedTuple):
    """One parameter nudged by ±h, everything else fixed."""

    value: float  # θ
    h: float
    loss_minus: float  # L(θ − h)
    loss: float  # L(θ)
    loss_plus: float  # L(θ + h)
    gradient: float  # ∂L/∂θ by backprop

    @property
    def forward_slope(self) -> float:
        """(L(θ + h) − L(θ)) / h: one-sided, error O(h)."""
        return (self.loss_plus - self.loss) / self.h

    @property
    def central_slope(self) -> float:
        """(L(θ + h) − L(θ − h)) / 2h: central, error O(h²)."""
        return (self.loss_plus - self.loss_minus) / (2.0 * self.h)


def _nudged(params: Array, index: int, shifts: Array) -> Array:
    """``(len(shifts), P)``: the parameters with θ_index + shift, one row per shift."""
    rows = np.repeat(params[None], len(shifts), axis=0)
    rows[:, index] += shifts
    return rows


def nudge(spec: MLPSpec, params: ArrayLike, X: ArrayLike, y: ArrayLike, index: int, h: float,
          reduction: str = "mean") -> Nudge:  # fmt: skip
    """L at θ − h, θ, θ + h for parameter ``index`` (three forward passes), and the backprop
    gradient there.

    Raises:
        ValueError: when h is not a finite number > 0.
    """
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"h must be a finite number > 0, got {h!r}")
    theta = np.asarray(params, dtype=np.float64).reshape(spec.n_params)
    minus, mid, plus = batch_losses(spec, _nudged(theta, index, np.array([-h, 0.0, h])), X, y,
                                    reduction)  # fmt: skip
    _, grad = batch_grad(spec, theta, X, y, reduction)
    return Nudge(float(theta[index]), float(h), float(minus), float(mid), float(plus),
                 float(grad[index]))  # fmt: skip


class FDErrors(NamedTuple):
    """Finite-difference slopes against the backprop gradient, for many h."""

    hs: Array  # (H,)
    forward_error: Array  # |one-sided − gradient| (H,)
    central_error: Array  # |central − gradient| (H,)
    gradient: float

    @property
    def best_forward(self) -> float:
        """The h with the smallest one-sided error."""
        return float(self.hs[int(np.nanargmin(self.forward_error))])

    @property
    def best_central(self) -> float:
        """The h with the smallest central error."""
        return float(self.hs[int(np.nanargmin(self.central_error))])


H_GRID = np.logspace(-12.0, -1.0, 45)  # h from 1e-12 to 1e-1, four per decade


def fd_errors(spec: MLPSpec, params: ArrayLike, X: ArrayLike, y: ArrayLike, index: int,
              hs: ArrayLike = H_GRID, reduction: str = "mean") -> FDErrors:  # fmt: skip
    """How far the one-sided and the central slope are from the backprop gradient, for each h.

    The error of a slope is truncation + rounding: the one-sided one ≈ ½|L″|h + 2ε|L|/h, the
    central one ≈ |L‴|h²/6 + ε|L|/h (ε ≈ 1.1e-16 in float64), so each falls with h, then
    rises again: the best h is near ε^½ for one-sided and ε^⅓ for central differences. All
    2H + 1 losses come from one batched forward pass.
    """
    steps = np.asarray(hs, dtype=np.float64)
    theta = np.asarray(params, dtype=np.float64).reshape(spec.n_params)
    losses = batch_losses(spec, _nudged(theta, index, np.concatenate([[0.0], steps, -steps])),
                          X, y, reduction)  # fmt: skip
    mid, plus, minus = losses[0], losses[1 : len(steps) + 1], losses[len(steps) + 1 :]
    _, grad = batch_grad(spec, theta, X, y, reduction)
    g = float(grad[index])
    with np.errstate(all="ignore"):
        forward_error = np.abs((plus - mid) / steps - g)
        central_error = np.abs((plus - minus) / (2.0 * steps) - g)
    return FDErrors(steps, forward_error, central_error, g)


# --------------------------------------------------------------------------- the update


class Updates(NamedTuple):
    """A few SGD steps on one batch."""

    params: Array  # (steps + 1, P), row 0 the start
    losses: Array  # (steps + 1,) the batch loss at each row
    grads: Array  # (steps, P) the fresh gradient of each step
    buffers: Array  # (steps, P) what the update used: the fresh gradient, or the running sum


def sgd_steps(spec: MLPSpec, params: ArrayLike, X: ArrayLike, y: ArrayLike, lr: float, *,
              steps: int = 2, reset: bool = True, reduction: str = "mean") -> Updates:  # fmt: skip
    """θ ← θ − lr·buffer, ``steps`` times, where buffer = g_t with ``reset`` (the gradient is set
    to zero before each backward pass: ``zero_grad``) or g_1 + … + g_t without (a framework
    adds each backward pass's gradient to what is there)."""
    theta = np.asarray(params, dtype=np.float64).reshape(spec.n_params).copy()
    rows, losses, grads, buffers = [theta.copy()], [], [], []
    buffer = np.zeros_like(theta)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            loss, grad = batch_grad(spec, theta, X, y, reduction)
            buffer = grad if reset else buffer + grad
            losses.append(loss)
            grads.append(grad)
            buffers.append(buffer)
            theta = theta - lr * buffer
            rows.append(theta)
        losses.append(float(batch_losses(spec, theta, X, y, reduction)[0]))
    return Updates(np.array(rows), np.array(losses), np.array(grads), np.array(buffers))


def loss_after_step(spec: MLPSpec, params: ArrayLike, X: ArrayLike, y: ArrayLike, lrs: ArrayLike,
                    reduction: str = "mean") -> Array:  # fmt: skip
    """The batch loss after one step θ − lr·g, for each learning rate ``(K,)`` → ``(K,)``."""
    theta = np.asarray(params, dtype=np.float64).reshape(spec.n_params)
    rates = np.asarray(lrs, dtype=np.float64).reshape(-1)
    _, grad = batch_grad(spec, theta, X, y, reduction)
    with np.errstate(all="ignore"):
        return batch_losses(spec, theta[None] - rates[:, None] * grad[None], X, y, reduction)
