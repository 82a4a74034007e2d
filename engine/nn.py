"""Multilayer perceptrons in NumPy with backpropagation written out by hand.

A network is a stack of layers ``a_l = act(z_l)``, ``z_l = a_{l−1} W_l + b_l`` (the seed's
``output = relu(dot(W, input) + b)``, with examples as rows), followed by an output layer whose
raw scores ("logits") z_L go into the loss:

* ``sigmoid_bce`` — one unit, p = σ(z), ℓ = log(1 + eᶻ) − y·z (binary cross-entropy from the
  logit, so it never takes log(0)), evaluated as max(z, 0) − y·z + log1p(e^{−|z|}) and with
  σ(z) − y = (1 − y)·σ(z) − y·σ(−z), so that both keep full relative precision even where the
  loss is tiny (y = 1, z = 30: ℓ ≈ 9.4e-14) and nothing overflows for any finite z;
* ``softmax_ce`` — C units, ℓ = logsumexp(z) − z_y (multi-class cross-entropy);
* ``mse`` — one linear unit, ℓ = ½(z − y)² (regression);
* ``hinge`` — one unit, t = 2y − 1 ∈ {−1, +1}, ℓ = max(0, 1 − t·z);
* ``tanh_mse`` — TensorFlow Playground's classifier: one unit, ŷ = tanh(z), t = 2y − 1,
  ℓ = ½(ŷ − t)², ∂ℓ/∂z = (ŷ − t)(1 − ŷ²); it predicts (ŷ + 1)/2 and classifies by z > 0.

All parameters of a network live in one flat float64 vector, layer by layer (W_l row-major,
then b_l), and K networks are a ``(K, P)`` array — so every optimizer in
``engine.optimizers`` applies unchanged and K networks train in one batched computation
(matmul over a leading K axis, no Python loop over networks).

Batch loss with ``reduction``: mean or sum of ℓ over the batch, plus the coupled L2 term
(λ₂/2)·Σ_l ‖W_l‖² and the L1 term λ₁·Σ_l Σ|W_l| added once per batch — weights only, biases
are not penalised (TensorFlow Playground's "regularization" dropdown offers both).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.penalties import add_penalty_gradient, batch_scale, coefficient, with_penalties
from i18n import N_, Problem

Array = NDArray[np.float64]
AnyFloat = NDArray[Any]  # float64, or float32 for drawing-only evaluation

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "linear")
OUTPUTS = ("sigmoid_bce", "softmax_ce", "mse", "hinge", "tanh_mse")
INITS = ("he", "glorot", "playground")
MAX_DEPTH = 6
MAX_WIDTH = 1024
LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class MLPSpec:
    """Architecture of a network.

    Attributes:
        n_inputs: input features (2 for the plane, 1 for 1-D regression).
        hidden: widths of the hidden layers, 0 to 6 layers of 1 to 1024 units; () is a linear
            (logistic / softmax / least-squares) model.
        n_outputs: 1, except for ``softmax_ce`` (the number of classes, ≥ 2).
        activation: of the hidden layers, one of ``ACTIVATIONS``.
        output: one of ``OUTPUTS`` (see the module docstring).
        init: "he" (N(0, 2/fan_in), for relu), "glorot" (U(±√(6/(fan_in+fan_out))), for
            tanh/sigmoid) or "playground" (TensorFlow Playground: U(−0.5, 0.5), biases 0.1).
    """

    n_inputs: int = 2
    hidden: tuple[int, ...] = (8,)
    n_outputs: int = 1
    activation: str = "relu"
    output: str = "sigmoid_bce"
    init: str = "he"

    def __post_init__(self) -> None:
        if not 1 <= self.n_inputs <= 16:
            raise Problem(N_("n_inputs must be between 1 and 16, got {n}"), n=repr(self.n_inputs))
        hidden = tuple(self.hidden)
        if len(hidden) > MAX_DEPTH:
            raise Problem(
                N_("at most {high} hidden layers, got {n}"), high=MAX_DEPTH, n=len(hidden)
            )
        for width in hidden:
            if isinstance(width, bool) or not isinstance(width, int | np.integer):
                raise Problem(N_("hidden widths must be integers, got {width}"), width=repr(width))
            if not 1 <= width <= MAX_WIDTH:
                raise Problem(
                    N_("hidden widths must be between 1 and {high}, got {width}"),
                    high=MAX_WIDTH,
                    width=int(width),
                )
        object.__setattr__(self, "hidden", tuple(int(w) for w in hidden))
        if self.activation not in ACTIVATIONS:
            raise Problem(
                N_("activation must be one of {choices}, got {value}"),
                choices=str(ACTIVATIONS),
                value=repr(self.activation),
            )
        if self.output not in OUTPUTS:
            raise Problem(
                N_("output must be one of {choices}, got {value}"),
                choices=str(OUTPUTS),
                value=repr(self.output),
            )
        if self.init not in INITS:
            raise Problem(
                N_("init must be one of {choices}, got {value}"),
                choices=str(INITS),
                value=repr(self.init),
            )
        if self.output == "softmax_ce" and not 2 <= self.n_outputs <= 10:
            raise Problem(N_("softmax_ce needs 2 to 10 outputs, got {n}"), n=self.n_outputs)
        if self.output != "softmax_ce" and self.n_outputs != 1:
            raise Problem(
                N_("{output} has one output unit, got n_outputs={n}"),
                output=self.output,
                n=self.n_outputs,
            )

    @property
    def sizes(self) -> tuple[int, ...]:
        """Units per layer, input first: (n_inputs, *hidden, n_outputs)."""
        return (self.n_inputs, *self.hidden, self.n_outputs)

    @functools.cached_property
    def n_params(self) -> int:
        """P = Σ_l (fan_in + 1) · fan_out."""
        return sum((a + 1) * b for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=True))

    @functools.cached_property
    def layers(self) -> tuple[tuple[slice, slice, int, int], ...]:
        """Per layer: where W_l (fan_in × fan_out, row-major) and b_l sit in the flat vector,
        and (fan_in, fan_out)."""
        out, offset = [], 0
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            w = slice(offset, offset + fan_in * fan_out)
            b = slice(w.stop, w.stop + fan_out)
            out.append((w, b, fan_in, fan_out))
            offset = b.stop
        return tuple(out)

    @functools.cached_property
    def weight_mask(self) -> Array:
        """``(P,)`` 1 where the parameter is a weight, 0 where it is a bias (for L2 and L1)."""
        mask = np.zeros(self.n_params)
        for w, _, _, _ in self.layers:
            mask[w] = 1.0
        mask.setflags(write=False)
        return mask


def unflatten(spec: MLPSpec, params: AnyFloat) -> list[tuple[Array, Array]]:
    """Views (W_l ``(K, fan_in, fan_out)``, b_l ``(K, fan_out)``) into ``params (K, P)``."""
    K = params.shape[0]
    return [
        (params[:, w].reshape(K, n_in, n_out), params[:, b]) for w, b, n_in, n_out in spec.layers
    ]


def init_params(spec: MLPSpec, rng: np.random.Generator) -> Array:
    """One network's initial flat parameters ``(P,)`` by ``spec.init``."""
    params = np.zeros(spec.n_params)
    for w, b, fan_in, fan_out in spec.layers:
        if spec.init == "he":
            params[w] = rng.normal(0.0, math.sqrt(2.0 / fan_in), fan_in * fan_out)
        elif spec.init == "glorot":
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            params[w] = rng.uniform(-limit, limit, fan_in * fan_out)
        else:  # playground
            params[w] = rng.uniform(-0.5, 0.5, fan_in * fan_out)
            params[b] = 0.1
    return params


# --------------------------------------------------------------------------- activations


def activate(name: str, z: Array) -> Array:
    """a = act(z)."""
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return _sigmoid(z)
    return z


def activation_slope(name: str, z: Array, a: Array) -> Array:
    """da/dz at z (given a = act(z), which tanh and sigmoid reuse)."""
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, LEAKY_SLOPE)
    if name == "tanh":
        return 1.0 - a * a
    if name == "sigmoid":
        return a * (1.0 - a)
    return np.ones_like(z)


def _sigmoid_pair(z: AnyFloat, e: AnyFloat) -> tuple[AnyFloat, AnyFloat]:
    """(σ(z), σ(−z)) from e = e^{−|z|} ≤ 1, which never overflows: σ(|z|) = 1/(1 + e) and
    σ(−|z|) = e/(1 + e), each to full relative precision (½(1 + tanh(z/2)) is 0 long before
    σ(z) is, and 1 − σ(z) cancels)."""
    big, small = 1.0 / (1.0 + e), e / (1.0 + e)  # σ(|z|), σ(−|z|)
    positive = z >= 0
    return np.where(positive, big, small), np.where(positive, small, big)


def _sigmoid(z: AnyFloat) -> AnyFloat:
    """σ(z) = 1/(1 + e^{−z}) for z ≥ 0, e^{z}/(1 + e^{z}) for z < 0 (dtype kept)."""
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# --------------------------------------------------------------------------- forward


class Forward(NamedTuple):
    """Everything the forward pass computed, for backprop and for the geometry lesson.

    Attributes:
        inputs: the input batch, ``(B, n_inputs)`` or ``(K, B, n_inputs)``.
        pre: z_l for every layer l = 1 … L, each ``(K, B, units_l)``.
        post: a_l = act(z_l) for the hidden layers, each ``(K, B, units_l)``.
        logits: z_L ``(K, B, n_outputs)``.
    """

    inputs: Array
    pre: list[Array]
    post: list[Array]
    logits: Array


def forward(spec: MLPSpec, params: AnyFloat, X: ArrayLike, *, keep_pre: bool = True) -> Forward:
    """Run K networks ``params (K, P)`` on inputs ``X (B, n_inputs)`` (shared) or per network
    ``(K, B, n_inputs)``.

    With ``keep_pre=False`` (evaluation only) the activations overwrite the pre-activations in
    place and ``pre`` holds only the logits, halving the memory traffic.
    """
    inputs = np.asarray(X, dtype=params.dtype)  # float32 parameters: a float32 pass
    return _forward(spec, unflatten(spec, params), inputs, keep_pre)


def _forward(
    spec: MLPSpec, layers: list[tuple[Array, Array]], inputs: Array, keep_pre: bool
) -> Forward:
    """``forward`` on the layers' views (``unflatten``), which backprop reuses."""
    pre, post = [], []
    a = inputs
    last = len(layers) - 1
    for i, (W, b) in enumerate(layers):
        z = _dense(a, W, b)  # (K, B, fan_out)
        if i == last:
            pre.append(z)
            break
        if keep_pre:
            pre.append(z)
            a = activate(spec.activation, z)
        else:
            a = _activate_in_place(spec.activation, z)
        post.append(a)
    return Forward(inputs, pre, post, pre[-1])


def _dense(a: Array, W: Array, b: Array) -> Array:
    """z = a W + b for K networks: ``a (B, fan_in)`` shared or ``(K, B, fan_in)``."""
    K, _, fan_out = W.shape
    z = np.empty((K, a.shape[-2], fan_out), dtype=W.dtype)
    # Shared inputs broadcast: (1, B, fan_in) @ (K, fan_in, fan_out). One product per network,
    # written straight into z (a single wide product needed a transposing copy that cost more
    # than the product), and a network's result cannot depend on how many share the call.
    np.matmul(a[None] if a.ndim == 2 else a, W, out=z)
    z += b[:, None, :]
    return z


def _activate_in_place(name: str, z: Array) -> Array:
    if name == "relu":
        return np.maximum(z, 0.0, out=z)
    if name == "tanh":
        return np.tanh(z, out=z)
    return activate(name, z)


# --------------------------------------------------------------------------- losses


def example_losses(spec: MLPSpec, logits: Array, y: Array) -> tuple[Array, Array]:
    """Per-example loss ℓ ``(K, B)`` and its gradient with respect to the logits
    ``(K, B, n_outputs)``; ``y`` holds labels (class indices as floats) or targets ``(B,)``."""
    if spec.output == "sigmoid_bce":
        # ℓ = max(z, 0) − y·z + log1p(e^{−|z|}): the first two terms are exact for y ∈ {0, 1},
        # so a tiny loss is not lost to cancellation; ∂ℓ/∂z = σ(z) − y, formed without 1 − σ.
        z = logits[..., 0]
        e = np.exp(-np.abs(z))  # ≤ 1: no overflow for any finite z
        loss = (np.maximum(z, 0.0) - y * z) + np.log1p(e)
        p, q = _sigmoid_pair(z, e)  # σ(z), σ(−z)
        return loss, ((1.0 - y) * p - y * q)[..., None]
    if spec.output == "tanh_mse":
        t = 2.0 * y - 1.0
        out = np.tanh(logits[..., 0])
        r = out - t
        return 0.5 * r * r, (r * (1.0 - out * out))[..., None]
    if spec.output == "mse":
        r = logits[..., 0] - y
        return 0.5 * r * r, r[..., None]
    if spec.output == "hinge":
        t = 2.0 * y - 1.0
        margin = 1.0 - t * logits[..., 0]
        return np.maximum(margin, 0.0), (-t * (margin > 0))[..., None]
    # softmax_ce: ℓ = logsumexp(z) − z_y, ∂ℓ/∂z = softmax(z) − onehot(y)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    log_probs = shifted - log_norm
    onehot = np.eye(spec.n_outputs)[y.astype(np.intp)]  # (B, C)
    loss = -(log_probs * onehot).sum(axis=-1)
    return loss, np.exp(log_probs) - onehot


def predictions(spec: MLPSpec, logits: Array) -> Array:
    """What the model predicts: P(class 1) ``(K, B)`` for sigmoid_bce; for hinge the margin
    mapped to [0, 1] by clip((z + 1)/2); for tanh_mse (tanh(z) + 1)/2 ∈ [0, 1]; class
    probabilities ``(K, B, C)`` for softmax_ce; the value ``(K, B)`` for mse."""
    if spec.output == "sigmoid_bce":
        return _sigmoid(logits[..., 0])
    if spec.output == "tanh_mse":
        return 0.5 * (np.tanh(logits[..., 0]) + 1.0)
    if spec.output == "hinge":
        return np.clip(0.5 * (logits[..., 0] + 1.0), 0.0, 1.0)
    if spec.output == "mse":
        return logits[..., 0]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return np.asarray(e / e.sum(axis=-1, keepdims=True), dtype=np.float64)


def accuracy(spec: MLPSpec, logits: Array, y: Array) -> Array:
    """Fraction classified correctly ``(K,)`` (NaN for regression): argmax for softmax_ce,
    z > 0 for the one-unit classifiers."""
    if spec.output == "mse":
        return np.full(logits.shape[0], np.nan)
    if spec.output == "softmax_ce":
        predicted = logits.argmax(axis=-1)
    else:
        predicted = (logits[..., 0] > 0).astype(np.float64)
    return np.asarray((predicted == y).mean(axis=-1), dtype=np.float64)


# --------------------------------------------------------------------------- backward


def loss_and_grad(
    spec: MLPSpec,
    params: Array,
    X: ArrayLike,
    y: ArrayLike,
    reduction: str | Sequence[str] = "mean",
    l2: float | Sequence[float] = 0.0,
    l1: float | Sequence[float] = 0.0,
) -> tuple[Array, Array]:
    """Batch loss ``(K,)`` and its gradient ``(K, P)`` for K networks, by the chain rule.

    L = c·Σ_i ℓ_i + (λ₂/2)·Σ_l ‖W_l‖² + λ₁·Σ_l Σ|W_l|, c = 1/B (mean) or 1 (sum): the mean
    makes the data gradient's size independent of B, the sum makes it B times larger; the
    penalties are added once per batch either way, on weights only. Backward, layer by layer:
    δ_L = c·∂ℓ/∂z_L; ∂L/∂W_l = a_{l−1}ᵀ δ_l + λ₂W_l + λ₁·sign(W_l) (sign(0) = 0, the
    subgradient torch and Keras use); ∂L/∂b_l = Σ_i δ_l; δ_{l−1} = (δ_l W_lᵀ) ⊙ act'(z_{l−1}).

    Args:
        spec: the architecture.
        params: ``(K, P)`` K networks.
        X: inputs ``(B, n_inputs)``, shared by the K networks.
        y: labels (class indices as floats) or targets ``(B,)``.
        reduction: "mean" or "sum" over the batch, or one of them per network.
        l2: λ₂ ≥ 0, or one per network.
        l1: λ₁ ≥ 0, or one per network.

    Per-network settings let networks that see the same batch but differ in what they compare
    (sum vs mean, L2, L1) share one forward and backward pass; each network's loss and
    gradient are, number for number, what a call with its own settings returns (the same
    operations on its rows: c = 1 leaves δ as it is, a zero λ adds an exact 0).

    Returns:
        (loss ``(K,)``, gradient ``(K, P)``).
    """
    K = params.shape[0]
    targets = np.asarray(y, dtype=np.float64)
    scale = batch_scale(reduction, targets.shape[-1], K)
    lam2, lam1 = coefficient(l2, K, "l2"), coefficient(l1, K, "l1")
    layers = unflatten(spec, params)
    fwd = _forward(spec, layers, np.asarray(X, dtype=params.dtype), keep_pre=True)
    losses, delta = example_losses(spec, fwd.logits, targets)  # (K, B), (K, B, out)
    loss = scale * np.add.reduce(losses, axis=-1)
    if isinstance(scale, np.ndarray):
        delta = scale[:, None, None] * delta
    elif scale != 1.0:
        delta = scale * delta
    grad = np.empty((K, spec.n_params))
    # A step of a small network is a few dozen NumPy calls on tiny arrays, so their overhead
    # is the cost: products are written straight into the gradient's slices (views), and
    # methods and ufuncs are called directly rather than through NumPy's Python wrappers.
    for layer in range(len(layers) - 1, -1, -1):
        W, _ = layers[layer]
        w_slice, b_slice, fan_in, fan_out = spec.layers[layer]
        a_prev = fwd.inputs if layer == 0 else fwd.post[layer - 1]  # (K|·, B, fan_in)
        dW = grad[:, w_slice].reshape(K, fan_in, fan_out)  # a view: the product lands in grad
        np.matmul(a_prev.swapaxes(-1, -2), delta, out=dW)  # (K, fan_in, B) @ (K, B, fan_out)
        add_penalty_gradient(dW, W, lam2, lam1)
        np.add.reduce(delta, axis=-2, out=grad[:, b_slice])  # (K, fan_out)
        if layer > 0:
            upstream = delta @ W.swapaxes(-1, -2)  # (K, B, fan_in)
            upstream *= activation_slope(spec.activation, fwd.pre[layer - 1], fwd.post[layer - 1])
            delta = upstream
    loss = np.asarray(loss, dtype=np.float64)
    return with_penalties(spec.weight_mask, params, loss, lam2, lam1), grad


class NetworkObjective:
    """K networks on a training set, in the runner's ``DataObjective`` protocol.

    ``batch_loss_and_grad`` is the batch loss above (with its L2 and L1 terms); ``value`` is
    the mean loss over every training example, without either. It takes the reduction, L2 and
    L1 per network (``per_run_settings``), so the runner computes every run that sees the same
    batch in one call, whatever else a comparison changes.
    """

    per_run_settings = True

    def __init__(self, spec: MLPSpec, X: ArrayLike, y: ArrayLike) -> None:
        self.spec = spec
        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        if self.X.ndim != 2 or self.X.shape[1] != spec.n_inputs or len(self.y) != len(self.X):
            raise ValueError(
                f"X must be (N, {spec.n_inputs}) and y (N,), got {self.X.shape} and {self.y.shape}"
            )
        self.dim = spec.n_params
        self.n_examples = len(self.X)

    def value(self, params: ArrayLike) -> Array:
        p = np.asarray(params, dtype=np.float64)
        flat = p.reshape(-1, self.dim)
        losses, _ = example_losses(self.spec, forward(self.spec, flat, self.X).logits, self.y)
        return np.asarray(losses.mean(axis=-1).reshape(p.shape[:-1]), dtype=np.float64)

    def batch_loss_and_grad(
        self,
        params: ArrayLike,
        idx: ArrayLike,
        reduction: str | Sequence[str] = "mean",
        l2: float | Sequence[float] = 0.0,
        l1: float | Sequence[float] = 0.0,
    ) -> tuple[Array, Array]:
        """``loss_and_grad`` on the training examples ``idx``: ``(K,)`` and ``(K, P)``."""
        index = np.asarray(idx, dtype=np.intp)
        p = np.asarray(params, dtype=np.float64)
        return loss_and_grad(self.spec, p, self.X[index], self.y[index], reduction, l2, l1)
