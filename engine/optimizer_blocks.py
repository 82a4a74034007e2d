"""The building blocks optimizers are chained from: one line of an update rule each.

A ``Block`` holds the code of one line (a function of the running gradient ``g``, the state
fields, the parameters and the step t) and the same line in LaTeX, so an optimizer's formula is
assembled from exactly the blocks that run (see ``engine.optimizers``). The arithmetic follows
torch.optim's order of operations, which the parity tests hold to 1e-10.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Fields = dict[str, Array]
Step = int  # t, starting at 1 (the state stores it as a 0-d int64 array)
BlockFn = Callable[[Array, Fields, Array, Step], Array]


class Block(NamedTuple):
    """One line of an update rule: its code and its LaTeX."""

    fn: BlockFn
    latex: str


def active(value: Array) -> bool:
    """A block runs when its coefficient is non-zero for at least one run."""
    return bool(np.any(value != 0))


def coupled_weight_decay(weight_decay: Array) -> Block:
    """L2 folded into the gradient (torch's ``weight_decay`` outside AdamW): g ← g + λθ."""

    def fn(g: Array, fields: Fields, params: Array, step: Step) -> Array:
        return g + weight_decay * params

    return Block(fn, r"g &\leftarrow g + \lambda\,\theta")


def momentum_trace(momentum: Array, dampening: Array, nesterov: bool) -> Block:
    """torch's momentum buffer: b ← g on the first step, then b ← μb + (1 − τ)g.

    Heavy ball uses g ← b; Nesterov uses g ← g + μb. Runs with μ = 0 keep g unchanged (torch
    skips the buffer entirely), which matters when dampening is non-zero.
    """

    all_active = bool(np.all(momentum != 0))
    keep = 1.0 - dampening

    def fn(g: Array, fields: Fields, params: Array, step: Step) -> Array:
        # torch: buf = clone(grad) on the first step (no dampening), then μ·buf + (1 − τ)·g.
        buf = g.copy() if step == 1 else momentum * fields["momentum_buffer"] + keep * g
        fields["momentum_buffer"] = buf
        new_g = g + momentum * buf if nesterov else buf
        return new_g if all_active else np.where(momentum != 0, new_g, g)

    damp = r"(1-\tau)\,g" if active(dampening) else "g"
    # No words in the formula (they would need translating): "b ← g at t = 1" as maths.
    rule = rf"b &\leftarrow \mu\,b + {damp} \quad (t=1:\ b \leftarrow g)"
    use = r"g &\leftarrow g + \mu\,b" if nesterov else r"g &\leftarrow b"
    return Block(fn, rule + r" \\ " + use)


def keras_momentum(lr: Array, momentum: Array, nesterov: bool) -> Block:
    """Keras/seed momentum: v ← μv − γg, then θ ← θ + μv − γg (Nesterov) or θ ← θ + v."""

    def fn(g: Array, fields: Fields, params: Array, step: Step) -> Array:
        velocity = momentum * fields["velocity"] - lr * g
        fields["velocity"] = velocity
        return momentum * velocity - lr * g if nesterov else velocity

    use = (
        r"\theta &\leftarrow \theta + \mu\,v - \gamma\,g"
        if nesterov
        else (r"\theta &\leftarrow \theta + v")
    )
    return Block(fn, r"v &\leftarrow \mu\,v - \gamma\,g \\ " + use)


def scale_by_adagrad(eps: Array) -> Block:
    """Adagrad's accumulator: s ← s + g², g ← g / (√s + ε) (ε after the square root)."""

    def fn(g: Array, fields: Fields, params: Array, step: Step) -> Array:
        acc = fields["sum"] + g * g
        fields["sum"] = acc
        return g / (np.sqrt(acc) + eps)

    return Block(fn, r"s &\leftarrow s + g^2 \\ g &\leftarrow g \,/\, (\sqrt{s} + \epsilon)")


def scale_by_rms(alpha: Array, eps: Array, centered: bool) -> Block:
    """RMSprop: v ← αv + (1 − α)g²; centered also tracks ḡ and uses v − ḡ²; g ← g/(√ṽ + ε)."""

    rest = 1.0 - alpha

    def fn(g: Array, fields: Fields, params: Array, step: Step) -> Array:
        square_avg = alpha * fields["square_avg"] + rest * g * g
        fields["square_avg"] = square_avg
        if centered:
            grad_avg = fields["grad_avg"] + rest * (g - fields["grad_avg"])  # torch lerp
            fields["grad_avg"] = grad_avg
            # v − ḡ² ≥ 0 in exact arithmetic (same weights); clip the rounding error at 0.
            square_avg = np.maximum(square_avg - grad_avg * grad_avg, 0.0)
        return g / (np.sqrt(square_avg) + eps)

    rule = r"v &\leftarrow \alpha\,v + (1-\alpha)\,g^2"
    if centered:
        rule += (
            r" \\ \bar g &\leftarrow \alpha\,\bar g + (1-\alpha)\,g"
            r" \\ g &\leftarrow g \,/\, (\sqrt{v - \bar g^2} + \epsilon)"
        )
    else:
        rule += r" \\ g &\leftarrow g \,/\, (\sqrt{v} + \epsilon)"
    return Block(fn, rule)


def scale_by_adam(beta1: Array, beta2: Array, eps: Array, amsgrad: bool) -> Block:
    """Adam's moments with bias correction; amsgrad keeps the maximum of the raw v (torch)."""

    rest1, rest2 = 1.0 - beta1, 1.0 - beta2

    def fn(g: Array, fields: Fields, params: Array, step: Step) -> Array:
        exp_avg = fields["exp_avg"] + rest1 * (g - fields["exp_avg"])  # torch lerp
        exp_avg_sq = beta2 * fields["exp_avg_sq"] + rest2 * g * g
        fields["exp_avg"], fields["exp_avg_sq"] = exp_avg, exp_avg_sq
        if amsgrad:
            exp_avg_sq = np.maximum(fields["max_exp_avg_sq"], exp_avg_sq)
            fields["max_exp_avg_sq"] = exp_avg_sq
        bias1 = 1.0 - beta1**step
        bias2 = 1.0 - beta2**step
        return (exp_avg / bias1) / (np.sqrt(exp_avg_sq) / np.sqrt(bias2) + eps)

    rule = r"m &\leftarrow \beta_1 m + (1-\beta_1)\,g \\ v &\leftarrow \beta_2 v + (1-\beta_2)\,g^2"
    if amsgrad:
        rule += r" \\ v_{\max} &\leftarrow \max(v_{\max}, v)"
        second = r"v_{\max}"
    else:
        second = "v"
    rule += (
        rf" \\ g &\leftarrow \frac{{m / (1-\beta_1^t)}}"
        rf"{{\sqrt{{{second} / (1-\beta_2^t)}} + \epsilon}}"
    )
    return Block(fn, rule)


def scale_by_lr(
    lr: Array, lr_decay: Array | None = None, decoupled_decay: Array | None = None
) -> Block:
    """The last line: θ ← θ − γ̃·g, with Adagrad's γ̃ = γ/(1 + (t−1)δ) or AdamW's decay."""

    def fn(g: Array, fields: Fields, params: Array, step: Step) -> Array:
        rate = lr if lr_decay is None else lr / (1.0 + (step - 1) * lr_decay)
        if decoupled_decay is None:
            return -rate * g
        return -rate * decoupled_decay * params - rate * g  # θ(1 − γλ) − γg, as torch orders it

    if lr_decay is not None and active(lr_decay):
        return Block(fn, r"\theta &\leftarrow \theta - \frac{\gamma}{1 + (t-1)\,\delta}\, g")
    if decoupled_decay is not None:
        return Block(fn, r"\theta &\leftarrow \theta - \gamma\,\lambda\,\theta - \gamma\, g")
    return Block(fn, r"\theta &\leftarrow \theta - \gamma\, g")
