"""The "Backpropagation" lesson's words: the explanations, and the sentences, tables and formulas
built from the numbers of the learner's network.

Names are written as the chart writes them: z⁽¹⁾₂ is unit 2 of layer 1 before its activation,
a⁽¹⁾₂ after it, w⁽²⁾₁₂ the weight from unit 1 of layer 1 to unit 2 of layer 2, b⁽³⁾₁ the output's
bias. Every number shown comes from the engine; nothing the learner typed is rendered as
Markdown (numbers are formatted by code, names come from the declarations).
"""

from __future__ import annotations

import math
from typing import Any

from engine.backprop import Factor, Ref, Row, Step
from engine.backprop_batch import FDErrors, Nudge, Updates
from figures.backprop_graph import number as graph_number

INTRO = (
    "Training needs, for every weight, which way to move it and how far. Nudging one weight "
    "at a time and rerunning the network would tell us, slowly. **Backpropagation** finds them "
    "all in one pass backwards, multiplying simple local derivatives by the **chain rule**. "
    "Follow one gradient from the loss back to a weight, number by number, then check it."
)
GRAPH_NOTE = (
    "Each circle is one number the forward pass computed (written above it): the inputs x, each "
    "unit's weighted sum z = Σ w·input + b, its activation a, and the loss L. The numbers on the "
    "edges are the weights. Press **Next** to run the backward pass one step at a time: each "
    "step writes ∂L/∂(…) in vermillion under what it reaches, rings what is new, and lists its "
    "numbers in the table above. ▶ Play and the chart's slider run the pass in the chart alone."
)
CHAIN_NOTE = (
    "Each product runs along one path from the loss down to the weight. A weight deep in the "
    "network reaches the loss along several paths, one through each unit above it, and its "
    "gradient is the sum over them. Backprop never writes this sum out: each node passes its "
    "gradient on, so the shared parts of the paths are computed once. That is why it is fast."
)
NUDGE_INTRO = (
    "The seed's slow way, made exact: keep every other weight fixed, move this one by ±h, run "
    "the forward pass again, and read the slope off the change of the loss."
)
V_NOTE = (
    "Two errors pull against each other. With a large h the curve of the loss is not straight "
    "over the step, so the slope is off (the truncation error: about h for one-sided and h² for "
    "central differences). With a tiny h the two losses agree in almost all of their 16 digits, "
    "and their difference is mostly rounding (it grows like 1/h). The best h lies in between: "
    "near 10⁻⁸ for one-sided and 10⁻⁵–10⁻⁶ for central differences in float64."
)
PARABOLA_NOTE = (
    "Here the central difference is exact already at large h: the loss is a parabola in this "
    "parameter (squared error, and nothing nonlinear between it and the loss), and a parabola's "
    "central slope has no truncation error. Only rounding is left."
)
BATCH_NOTE = (
    "A batch's gradient is the sum or the mean of its examples' gradients: backprop runs once "
    "per example (a framework does all of them in one pass, as rows of a matrix) and adds up. "
    "The mean is the sum divided by B, so the same learning rate takes B times smaller steps "
    "with it. The lesson *Sum or mean?* follows what that does to training."
)
ACCUMULATE_NOTE = (
    "Frameworks add each backward pass's gradient to what is already stored, so that a large "
    "batch can be split into pieces. That is why PyTorch's training loops call `zero_grad()` "
    "before every `backward()`: without it the second step uses the sum of both gradients, and "
    "the steps grow."
)
COST_NOTE = (
    "Finite differences need two forward passes per weight, so their cost grows like P², P "
    "weights times a forward pass that itself costs about P. One backward pass costs about as "
    "much as two forward passes, for all P weights together. Filled markers were measured in "
    "full; open ones are 2·P times the measured forward pass (running them would take minutes "
    "or hours)."
)

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
ACT_TEXT = {"relu": "relu", "leaky_relu": "leaky_relu", "tanh": "tanh", "sigmoid": "σ",
            "linear": "id"}  # fmt: skip
DLOSS_TEXT = {"mse": "z − y", "sigmoid_bce": "σ(z) − y", "hinge": "−t if t·z < 1, else 0",
              "tanh_mse": "(tanh z − t)(1 − tanh² z)"}  # fmt: skip
DLOSS_LATEX = {"mse": r"z - y", "sigmoid_bce": r"\sigma(z) - y",
               "hinge": r"-t\,[t z < 1]", "tanh_mse": r"(\tanh z - t)(1 - \tanh^2 z)"}  # fmt: skip


def number(value: float, digits: int = 4) -> str:
    """A number in a sentence or a table: 4 significant digits unless asked (the graph's
    ``figures.backprop_graph.number``)."""
    return graph_number(value, digits)


def signed(value: float, digits: int = 3) -> str:
    """A change as a metric's delta: an explicit sign, written with the ASCII minus, which is
    how Streamlit tells a fall (arrow down) from a rise."""
    return f"{value:+.{digits}g}" if math.isfinite(value) else "—"


def ref_text(ref: Ref) -> str:
    """x₁, z⁽¹⁾₂, a⁽¹⁾₂, w⁽²⁾₁₂, b⁽³⁾₁, L."""
    if ref.kind == "x":
        return f"x{ref.i}".translate(_SUB)
    sup = f"({ref.layer})".translate(_SUP)
    if ref.kind in ("z", "a"):
        return f"{ref.kind}{sup}{str(ref.j).translate(_SUB)}"
    if ref.kind == "w":
        return f"w{sup}{f'{ref.i}{ref.j}'.translate(_SUB)}"
    if ref.kind == "b":
        return f"b{sup}{str(ref.j).translate(_SUB)}"
    return "L"


def ref_latex(ref: Ref) -> str:
    """The same names in LaTeX: z^{(1)}_{2}."""
    if ref.kind == "x":
        return f"x_{{{ref.i}}}"
    if ref.kind in ("z", "a", "b"):
        return f"{ref.kind}^{{({ref.layer})}}_{{{ref.j}}}"
    if ref.kind == "w":
        return f"w^{{({ref.layer})}}_{{{ref.i}{ref.j}}}"
    return "L"


STEP_TITLES = {
    "forward": "The forward pass is done: every node has its value, no gradient yet.",
    "loss": "Start at the loss: ∂L/∂L = 1.",
    "output": "Through the loss: ∂L/∂z of the output is the loss's own derivative.",
    "layer": "Layer {layer}: each weight's gradient is its input times the gradient of the "
    "sum it feeds; each input's gradient sums over the sums it feeds.",
    "act": "Through the activations of layer {layer}: multiply by their slope.",
}


def step_title(step: Step, index: int) -> str:
    return f"Step {index}: " + STEP_TITLES[step.kind].format(layer=step.layer)


def _local(term_local: Ref, row: Row, activation: str, loss: str) -> str:
    """What a term's local derivative is, in words and symbols."""
    target, kind = row.target, term_local.kind
    if kind == "dloss":
        return f"∂L/∂z = {DLOSS_TEXT[loss]}"
    if kind in ("x", "a"):  # ∂z/∂w = the weight's input
        return f"∂z/∂{ref_text(target)} = {ref_text(term_local)}"
    if kind == "one":
        return f"∂z/∂{ref_text(target)} = 1"
    if kind == "w":  # ∂z_j/∂a_i = w_ij
        return f"∂z/∂{ref_text(target)} = {ref_text(term_local)}"
    if kind == "slope":
        z = Ref("z", term_local.layer, 0, term_local.j)
        return f"∂a/∂z = {ACT_TEXT[activation]}′({ref_text(z)})"
    return ""


def step_rows(step: Step, activation: str, loss: str) -> list[dict[str, Any]]:
    """The table under the graph: per new gradient, each local derivative × upstream gradient,
    and their sum when a node feeds more than one."""
    rows: list[dict[str, Any]] = []
    for row in step.rows:
        name = f"∂L/∂{ref_text(row.target)}"
        if not row.terms:
            rows.append({"gradient": name, "local derivative": "—", "× upstream": "—",
                         "= product": number(row.gradient)})  # fmt: skip
            continue
        for k, term in enumerate(row.terms):
            rows.append({
                "gradient": name if k == 0 else "  +",
                "local derivative": f"{_local(term.local, row, activation, loss)} = "
                                    f"{number(term.local_value)}",
                "× upstream": f"∂L/∂{ref_text(term.upstream)} = {number(term.upstream_value)}",
                "= product": number(term.product),
            })  # fmt: skip
        if len(row.terms) > 1:
            rows.append({"gradient": f"  = {name}", "local derivative": "",
                         "× upstream": "sum", "= product": number(row.gradient)})  # fmt: skip
    return rows


def batch_rows(refs: list[Ref], grads: Any) -> list[dict[str, str]]:
    """The batch table: per parameter, each example's gradient ``grads (B, P)``, their sum and
    their mean."""
    rows = []
    for k, ref in enumerate(refs):
        row = {"parameter": ref_text(ref)}
        row |= {f"example {e + 1}": number(float(grads[e, k])) for e in range(len(grads))}
        row |= {"sum": number(float(grads[:, k].sum())), "mean": number(float(grads[:, k].mean()))}
        rows.append(row)
    return rows


def update_rows(refs: list[Ref], ups: Updates) -> list[dict[str, str]]:
    """The update table: per parameter, its value before and after each of two steps and the
    gradient each step used (with or without the first one added in)."""
    return [{"parameter": ref_text(ref), "before": number(float(ups.params[0, k])),
             "step 1 gradient": number(float(ups.buffers[0, k])),
             "after step 1": number(float(ups.params[1, k])),
             "step 2 uses": number(float(ups.buffers[1, k])),
             "after step 2": number(float(ups.params[2, k]))}
            for k, ref in enumerate(refs)]  # fmt: skip


def _factor_latex(f: Factor) -> str:
    return rf"\frac{{\partial {ref_latex(f.upper)}}}{{\partial {ref_latex(f.lower)}}}"


def _value_latex(value: float) -> str:
    text = number(value).replace("−", "-")
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa}\cdot 10^{{{int(exponent)}}}"
    return f"({text})" if value < 0 else text


def chain_latex(ref: Ref, paths: list[tuple[Factor, ...]], gradient: float) -> str:
    """∂L/∂θ as the sum over paths of chain-rule products: symbols, then numbers, then the
    result, as one aligned LaTeX block."""
    name = rf"\frac{{\partial L}}{{\partial {ref_latex(ref)}}}"
    symbols = " + ".join(r" \cdot ".join(_factor_latex(f) for f in path) for path in paths)
    values = " + ".join(r" \cdot ".join(_value_latex(f.value) for f in path) for path in paths)
    products = " + ".join(_value_latex(math.prod(f.value for f in path)) for path in paths)
    lines = [rf"{name} &= {symbols}", rf"&= {values}"]
    if len(paths) > 1:
        lines.append(rf"&= {products}")
    lines.append(rf"&= {_value_latex(gradient)}")
    return r"\begin{aligned}" + r"\\".join(lines) + r"\end{aligned}"


def nudge_sentence(name: str, n: Nudge) -> str:
    """What the nudge found, in the seed's words."""
    down = n.loss_minus < n.loss_plus
    better, worse = ("−h", "+h") if down else ("+h", "−h")
    return (
        f"With {name} = {number(n.value)} the loss is {number(n.loss, 6)}. At "
        f"{number(n.value + n.h, 6)} it is {number(n.loss_plus, 6)}, at {number(n.value - n.h, 6)} "
        f"it is {number(n.loss_minus, 6)}: moving by {better} lowers the loss, {worse} raises it. "
        f"Backprop says the same without moving anything: ∂L/∂{name} = {number(n.gradient, 6)}, "
        f"so a change of {better} changes the loss by about {number(-abs(n.gradient) * n.h, 3)}."
    )


def fd_sentence(errors: FDErrors) -> str:
    """The best h of each kind, and how close it gets."""
    return (
        f"Best h here: {errors.best_forward:.0e} for one-sided differences (error "
        f"{number(float(min(errors.forward_error)), 2)}), {errors.best_central:.0e} for central "
        f"ones (error {number(float(min(errors.central_error)), 2)})."
    )


def is_parabola(errors: FDErrors) -> bool:
    """The central error is smallest at the largest h: no truncation error to see."""
    return (
        errors.best_central == float(errors.hs[-1]) or float(max(errors.central_error[-4:])) < 1e-12
    )


def update_sentence(before: float, after: float, lr: float) -> str:
    """One step's effect on the batch loss."""
    if not math.isfinite(after):
        return (f"With lr = {number(lr)} the step overflows: the loss is no longer a number. "
                "Lower the learning rate.")  # fmt: skip
    if after < before:
        return (f"With lr = {number(lr)} one step lowers the batch loss from {number(before)} to "
                f"{number(after)}.")  # fmt: skip
    return (f"With lr = {number(lr)} the step is too large: it jumps past the valley and the batch "
            f"loss rises from {number(before)} to {number(after)}.")  # fmt: skip


def ratio_sentence(ratio: float, largest: int) -> str:
    return (f"At {largest:,} weights, finite differences take about {ratio:,.0f} times as long as "
            "one forward and one backward pass.")  # fmt: skip
