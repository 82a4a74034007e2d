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

Batches, nudges, finite differences and the update live in ``engine.backprop_batch``.
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
