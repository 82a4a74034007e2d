"""Backpropagation node by node, on the backprop lesson's tiny network.

The network is the seed's chain of three operations, f = a(W₃, b(W₂, c(W₁ x))) read from the
input: x → layer 1 → act → layer 2 → act → layer 3 → loss, with 1 or 2 inputs and 1 or 2 units
per hidden layer (``engine.nn.MLPSpec`` with two hidden layers; its flat parameter layout).
The seed numbers the layers from the loss inward; here, as everywhere in the lab, layer 1 is
the one next to the input.

* ``lesson_spec(inputs, units, activation, loss)`` — the architecture.
* ``param_refs(spec)`` — every parameter's name (``Ref``), in the flat vector's order.
* ``graph(spec, params, x, y)`` — one example's forward pass and every node's gradient
  (``Graph``). The gradients of the parameters are ``engine.nn.loss_and_grad``'s — the code
  the rest of the lab trains with; the node gradients ∂L/∂z and ∂L/∂a are computed here for
  display, and the tests check that they reproduce it.
* ``backward_steps(g)`` — the backward pass as the page steps through it (``Step``): from
  ∂L/∂L = 1 back to layer 1, each new gradient as Σ local derivative × upstream gradient.
* ``chain(g, ref)`` — a parameter's gradient as a sum over paths of chain-rule products,
  every factor named; the sum equals ``g.grad``.
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

from engine.nn import (
    MLPSpec,
    activation_slope,
    example_losses,
    forward,
    loss_and_grad,
)

Array = NDArray[np.float64]

HIDDEN = 2  # hidden layers: three layers of weights, as in the seed's chain
LOSSES = ("mse", "sigmoid_bce", "hinge", "tanh_mse")  # one output unit each
CLASS_LOSSES = frozenset({"sigmoid_bce", "hinge", "tanh_mse"})  # targets must be 0 or 1


class Ref(NamedTuple):
    """A quantity of the graph, by name.

    kind: "x" (input), "z" (a layer's weighted sum), "a" (a hidden unit's activation), "L"
    (the loss), "w" (the weight from unit ``i`` of layer ``layer − 1`` to unit ``j`` of
    ``layer``), "b" (unit ``j``'s bias), "slope" (act′(z) of unit ``j`` of ``layer``),
    "dloss" (∂ℓ/∂z of the output, the loss's own derivative). Units count from 1; inputs are
    layer 0 and ``i`` names them.
    """

    kind: str
    layer: int = 0
    i: int = 0
    j: int = 0


LOSS = Ref("L")


def node(kind: str, layer: int, unit: int) -> Ref:
    """The node ``kind`` ∈ {x, z, a} of ``unit`` in ``layer`` (inputs: layer 0, kind x)."""
    return Ref(kind, layer, unit if kind == "x" else 0, 0 if kind == "x" else unit)


def lesson_spec(inputs: int, units: tuple[int, int], activation: str, loss: str) -> MLPSpec:
    """The lesson's network: ``inputs`` (1–2) → ``units[0]`` → ``units[1]`` (1–2 each) → 1.

    Raises:
        ValueError: for sizes outside 1–2 or a loss without one output unit.
    """
    if inputs not in (1, 2) or len(units) != HIDDEN or any(u not in (1, 2) for u in units):
        raise ValueError(f"the lesson's network has 1–2 inputs and 1–2 units per layer, "
                         f"got {inputs} and {units}")  # fmt: skip
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return MLPSpec(n_inputs=inputs, hidden=tuple(units), n_outputs=1, activation=activation,
                   output=loss)  # fmt: skip


def param_refs(spec: MLPSpec) -> list[Ref]:
    """Each parameter's name, in the flat vector's order: W_l row-major (from-unit i, to-unit
    j), then b_l, layer by layer."""
    refs = []
    for layer, (_, _, fan_in, fan_out) in enumerate(spec.layers, start=1):
        refs += [Ref("w", layer, i, j) for i in range(1, fan_in + 1) for j in range(1, fan_out + 1)]
        refs += [Ref("b", layer, 0, j) for j in range(1, fan_out + 1)]
    return refs


def param_index(spec: MLPSpec, ref: Ref) -> int:
    """Where parameter ``ref`` sits in the flat vector (ValueError if the network has none)."""
    try:
        return param_refs(spec).index(ref)
    except ValueError:
        raise ValueError(f"this network has no parameter {ref}") from None


class Graph(NamedTuple):
    """One example through the network, forward and backward.

    Attributes:
        spec, params ``(P,)``, x ``(n_inputs,)``, y: the network and the example.
        pre: z_l ``(units_l,)`` for l = 1 … 3 (layer 3: the output's one unit).
        post: a_l = act(z_l) ``(units_l,)`` for the hidden layers l = 1, 2.
        loss: ℓ(z₃, y).
        dloss: ∂ℓ/∂z₃, the loss's own derivative at the output.
        slopes: act′(z_l) ``(units_l,)`` for the hidden layers.
        dpost: ∂L/∂a_l ``(units_l,)`` for the hidden layers.
        delta: ∂L/∂z_l ``(units_l,)`` for l = 1 … 3.
        grad: ∂L/∂θ ``(P,)`` for every parameter, from ``engine.nn.loss_and_grad``.
    """

    spec: MLPSpec
    params: Array
    x: Array
    y: float
    pre: tuple[Array, ...]
    post: tuple[Array, ...]
    loss: float
    dloss: float
    slopes: tuple[Array, ...]
    dpost: tuple[Array, ...]
    delta: tuple[Array, ...]
    grad: Array

    def weights(self, layer: int) -> Array:
        """W_layer ``(fan_in, fan_out)``."""
        w, _, fan_in, fan_out = self.spec.layers[layer - 1]
        return self.params[w].reshape(fan_in, fan_out)

    def inputs_of(self, layer: int) -> Array:
        """What layer ``layer`` multiplies by its weights: x, or a_{layer−1}."""
        return self.x if layer == 1 else self.post[layer - 2]

    def value(self, ref: Ref) -> float:
        """The forward value of a node, a parameter, a slope or ∂ℓ/∂z₃."""
        if ref.kind == "x":
            return float(self.x[ref.i - 1])
        if ref.kind == "z":
            return float(self.pre[ref.layer - 1][ref.j - 1])
        if ref.kind == "a":
            return float(self.post[ref.layer - 1][ref.j - 1])
        if ref.kind == "L":
            return self.loss
        if ref.kind == "slope":
            return float(self.slopes[ref.layer - 1][ref.j - 1])
        if ref.kind == "dloss":
            return self.dloss
        return float(self.params[param_index(self.spec, ref)])

    def gradient(self, ref: Ref) -> float:
        """∂L/∂(ref) for a node or a parameter."""
        if ref.kind == "L":
            return 1.0
        if ref.kind == "z":
            return float(self.delta[ref.layer - 1][ref.j - 1])
        if ref.kind == "a":
            return float(self.dpost[ref.layer - 1][ref.j - 1])
        if ref.kind in ("w", "b"):
            return float(self.grad[param_index(self.spec, ref)])
        raise ValueError(f"no gradient is shown for {ref}")


def graph(spec: MLPSpec, params: ArrayLike, x: ArrayLike, y: float) -> Graph:
    """The forward pass of one example and the backward pass, node by node.

    Forward: z_l = a_{l−1} W_l + b_l (a₀ = x), a_l = act(z_l), L = ℓ(z₃, y).
    Backward: ∂L/∂z₃ = ∂ℓ/∂z₃; for l = 3, 2: ∂L/∂a_{l−1} = W_l (∂L/∂z_l) (each unit sums over
    the units it feeds), ∂L/∂z_{l−1} = act′(z_{l−1}) ⊙ ∂L/∂a_{l−1}; and for every layer
    ∂L/∂W_l[i, j] = a_{l−1,i} · ∂L/∂z_{l,j}, ∂L/∂b_{l,j} = ∂L/∂z_{l,j}.
    """
    theta = np.asarray(params, dtype=np.float64).reshape(1, spec.n_params)
    inputs = np.asarray(x, dtype=np.float64).reshape(1, spec.n_inputs)
    target = np.array([float(y)])
    with np.errstate(all="ignore"):  # extreme weights: inf/nan are shown, not raised
        fwd = forward(spec, theta, inputs)
        losses, dz = example_losses(spec, fwd.logits, target)
        _, grad = loss_and_grad(spec, theta, inputs, target)
        pre = tuple(z[0, 0] for z in fwd.pre)
        post = tuple(a[0, 0] for a in fwd.post)
        slopes = tuple(
            activation_slope(spec.activation, z, a) for z, a in zip(pre[:-1], post, strict=True)
        )
        deltas: list[Array] = [dz[0, 0]]
        dposts: list[Array] = []
        for layer in range(len(spec.layers), 1, -1):
            w, _, fan_in, fan_out = spec.layers[layer - 1]
            upstream = theta[0, w].reshape(fan_in, fan_out) @ deltas[0]  # ∂L/∂a_{layer−1}
            dposts.insert(0, upstream)
            deltas.insert(0, slopes[layer - 2] * upstream)
    return Graph(spec, theta[0].copy(), inputs[0].copy(), float(y), pre, post,
                 float(losses[0, 0]), float(dz[0, 0, 0]), slopes, tuple(dposts), tuple(deltas),
                 grad[0])  # fmt: skip


class Term(NamedTuple):
    """One local derivative times one upstream gradient."""

    local: Ref  # what the local derivative is (∂ this node's output / ∂ target)
    local_value: float
    upstream: Ref  # the node whose gradient ∂L/∂(upstream) flows back
    upstream_value: float

    @property
    def product(self) -> float:
        return self.local_value * self.upstream_value


class Row(NamedTuple):
    """A gradient found in one step: ∂L/∂target = Σ terms (one term per edge leaving it)."""

    target: Ref
    terms: tuple[Term, ...]
    gradient: float


class Step(NamedTuple):
    """One step of the backward pass: the gradients it finds."""

    kind: str  # "forward", "loss", "output", "layer" (a layer's parameters and inputs), "act"
    layer: int
    rows: tuple[Row, ...]


def backward_steps(g: Graph) -> list[Step]:
    """The backward pass in the order it runs: step 0 is the forward pass (no gradient yet),
    then ∂L/∂L = 1, ∂L/∂z₃, then for each layer from the top: its parameters' gradients and
    its inputs' (∂L/∂a), then through the activation below it (∂L/∂z). Every row's gradient
    is the sum of its terms' products (tested equal to ``g.gradient``)."""
    n_layers = len(g.spec.layers)
    out = n_layers
    steps = [Step("forward", 0, ()), Step("loss", 0, (Row(LOSS, (), 1.0),))]
    z_out = node("z", out, 1)
    steps.append(Step("output", out, (Row(z_out, (Term(Ref("dloss"), g.dloss, LOSS, 1.0),),
                                          g.gradient(z_out)),)))  # fmt: skip
    for layer in range(n_layers, 0, -1):
        fan_in, fan_out = g.spec.layers[layer - 1][2:]
        W = g.weights(layer)
        below = "x" if layer == 1 else "a"
        rows = []
        for i in range(1, fan_in + 1):
            src = node(below, layer - 1, i)
            for j in range(1, fan_out + 1):
                z = node("z", layer, j)
                ref = Ref("w", layer, i, j)
                term = Term(src, g.value(src), z, g.gradient(z))
                rows.append(Row(ref, (term,), g.gradient(ref)))
        for j in range(1, fan_out + 1):
            z = node("z", layer, j)
            ref = Ref("b", layer, 0, j)
            rows.append(Row(ref, (Term(Ref("one"), 1.0, z, g.gradient(z)),), g.gradient(ref)))
        if layer > 1:
            for i in range(1, fan_in + 1):
                a = node("a", layer - 1, i)
                terms = tuple(Term(Ref("w", layer, i, j), float(W[i - 1, j - 1]),
                                   node("z", layer, j), g.gradient(node("z", layer, j)))
                              for j in range(1, fan_out + 1))  # fmt: skip
                rows.append(Row(a, terms, g.gradient(a)))
        steps.append(Step("layer", layer, tuple(rows)))
        if layer > 1:
            act_rows = []
            for i in range(1, fan_in + 1):
                a, z = node("a", layer - 1, i), node("z", layer - 1, i)
                slope = Ref("slope", layer - 1, 0, i)
                term = Term(slope, g.value(slope), a, g.gradient(a))
                act_rows.append(Row(z, (term,), g.gradient(z)))
            steps.append(Step("act", layer - 1, tuple(act_rows)))
    return steps


def step_count(spec: MLPSpec) -> int:
    """How many steps ``backward_steps`` has: forward, loss, output, then a step per layer and
    one per activation below it."""
    return 3 + 2 * len(spec.layers) - 1


class Factor(NamedTuple):
    """One factor of a chain-rule product: ∂(upper)/∂(lower) = value."""

    upper: Ref
    lower: Ref
    value: float


def chain(g: Graph, ref: Ref) -> list[tuple[Factor, ...]]:
    """∂L/∂θ for the parameter ``ref`` as a sum over paths of chain-rule products.

    A path runs from the loss down to the parameter: ∂L/∂z₃ · ∂z₃/∂a₂ₖ · ∂a₂ₖ/∂z₂ₖ ·
    ∂z₂ₖ/∂a₁ⱼ · ∂a₁ⱼ/∂z₁ⱼ · ∂z₁ⱼ/∂w. A weight of layer l has one path per choice of unit in
    each layer above it; Σ_paths Π factors = ∂L/∂θ (tested against ``g.grad``).
    """
    if ref.kind not in ("w", "b"):
        raise ValueError(f"chain() takes a parameter, got {ref}")
    param_index(g.spec, ref)  # ValueError when the network has no such parameter
    n_layers = len(g.spec.layers)
    first = node("z", ref.layer, ref.j)
    last = (Factor(first, ref, g.value(node("x" if ref.layer == 1 else "a", ref.layer - 1, ref.i)))
            if ref.kind == "w" else Factor(first, ref, 1.0))  # fmt: skip

    def upward(z: Ref) -> list[list[Factor]]:
        """Every path from the loss down to node z (factors in the loss-to-z order)."""
        if z.layer == n_layers:
            return [[Factor(LOSS, z, g.dloss)]]
        a = node("a", z.layer, z.j)
        paths = []
        for k in range(1, g.spec.sizes[z.layer + 1] + 1):
            above = node("z", z.layer + 1, k)
            weight = float(g.weights(z.layer + 1)[z.j - 1, k - 1])
            for path in upward(above):
                paths.append([*path, Factor(above, a, weight),
                              Factor(a, z, g.value(Ref("slope", z.layer, 0, z.j)))])  # fmt: skip
        return paths

    return [(*path, last) for path in upward(first)]


def chain_sum(paths: list[tuple[Factor, ...]]) -> float:
    """Σ_paths Π factors."""
    return float(sum(np.prod([f.value for f in path]) for path in paths))


# --------------------------------------------------------------------------- batches


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
