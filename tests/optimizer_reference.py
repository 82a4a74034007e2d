"""A deliberately naive, scalar reference for torch.optim's update rules.

Written straight from REFERENCE.md §1 with plain Python floats, one coordinate at a time, sharing
no code with engine/optimizers.py. It is slow and obvious on purpose: the engine must agree with it.
"""

from __future__ import annotations

import math
from typing import Any


def reference_trajectory(key: str, hparams: dict[str, Any], theta0: float, grads: list[float]):
    """Return the list of parameter values after each step (theta_1 .. theta_T) for one scalar."""
    theta = theta0
    out = []
    state: dict[str, float] = {}
    for t, grad in enumerate(grads, start=1):
        theta = _STEP[key](hparams, state, theta, grad, t)
        out.append(theta)
    return out


def _sgd(h, s, theta, g, t):
    lr, mu = h.get("lr", 1e-3), h.get("momentum", 0.0)
    tau, wd, nesterov = (
        h.get("dampening", 0.0),
        h.get("weight_decay", 0.0),
        h.get("nesterov", False),
    )
    if wd:
        g = g + wd * theta
    if mu:
        s["b"] = g if t == 1 else mu * s["b"] + (1 - tau) * g
        g = g + mu * s["b"] if nesterov else s["b"]
    return theta - lr * g


def _keras_sgd(h, s, theta, g, t):
    lr, mu, nesterov = h.get("lr", 1e-2), h.get("momentum", 0.0), h.get("nesterov", False)
    s["v"] = mu * s.get("v", 0.0) - lr * g
    return theta + mu * s["v"] - lr * g if nesterov else theta + s["v"]


def _adagrad(h, s, theta, g, t):
    lr, decay = h.get("lr", 1e-2), h.get("lr_decay", 0.0)
    wd, eps = h.get("weight_decay", 0.0), h.get("eps", 1e-10)
    clr = lr / (1 + (t - 1) * decay)
    if wd:
        g = g + wd * theta
    s["sum"] = s.get("sum", h.get("initial_accumulator_value", 0.0)) + g * g
    return theta - clr * g / (math.sqrt(s["sum"]) + eps)


def _rmsprop(h, s, theta, g, t):
    lr, alpha, eps = h.get("lr", 1e-2), h.get("alpha", 0.99), h.get("eps", 1e-8)
    wd, mu, centered = h.get("weight_decay", 0.0), h.get("momentum", 0.0), h.get("centered", False)
    if wd:
        g = g + wd * theta
    s["v"] = alpha * s.get("v", 0.0) + (1 - alpha) * g * g
    v = s["v"]
    if centered:
        s["gbar"] = alpha * s.get("gbar", 0.0) + (1 - alpha) * g
        v = v - s["gbar"] ** 2
    denom = math.sqrt(max(v, 0.0)) + eps
    if mu > 0:
        s["b"] = mu * s.get("b", 0.0) + g / denom
        return theta - lr * s["b"]
    return theta - lr * g / denom


def _adam_common(h, s, theta, g, t, decoupled):
    lr, (b1, b2) = h.get("lr", 1e-3), h.get("betas", (0.9, 0.999))
    eps, amsgrad = h.get("eps", 1e-8), h.get("amsgrad", False)
    wd = h.get("weight_decay", 1e-2 if decoupled else 0.0)
    if decoupled:
        theta = theta * (1 - lr * wd)
    elif wd:
        g = g + wd * theta
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    v = s["v"]
    if amsgrad:
        s["vmax"] = max(s.get("vmax", 0.0), s["v"])
        v = s["vmax"]
    m_hat = s["m"] / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    return theta - lr * m_hat / (math.sqrt(v_hat) + eps)


_STEP = {
    "sgd": _sgd,
    "keras_sgd": _keras_sgd,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adam": lambda h, s, theta, g, t: _adam_common(h, s, theta, g, t, decoupled=False),
    "adamw": lambda h, s, theta, g, t: _adam_common(h, s, theta, g, t, decoupled=True),
}
