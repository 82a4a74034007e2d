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
from i18n import N_, _
from i18n import number as local_number

TITLE = N_("Backpropagation")
INTRO = N_(
    "Training needs, for every weight, which way to move it and how far. Nudging one weight "
    "at a time and rerunning the network would tell us, slowly. **Backpropagation** finds them "
    "all in one pass backwards, multiplying simple local derivatives by the **chain rule**. "
    "Follow one gradient from the loss back to a weight, number by number, then check it."
)
GRAPH_NOTE = N_(
    "Each circle is one number the forward pass computed (written above it): the inputs x, each "
    "unit's weighted sum z = Σ w·input + b, its activation a, and the loss L. The numbers on the "
    "edges are the weights. Press **Next** to run the backward pass one step at a time: each "
    "step writes ∂L/∂(…) in vermillion under what it reaches, rings what is new, and lists its "
    "numbers in the table above. ▶ Play and the chart's slider run the pass in the chart alone."
)
CHAIN_NOTE = N_(
    "Each product runs along one path from the loss down to the weight. A weight deep in the "
    "network reaches the loss along several paths, one through each unit above it, and its "
    "gradient is the sum over them. Backprop never writes this sum out: each node passes its "
    "gradient on, so the shared parts of the paths are computed once. That is why it is fast."
)
NUDGE_INTRO = N_(
    "The slow way, made exact: keep every other weight fixed, move this one by ±h, run "
    "the forward pass again, and read the slope off the change of the loss."
)
V_NOTE = N_(
    "Two errors pull against each other. With a large h the curve of the loss is not straight "
    "over the step, so the slope is off (the truncation error: about h for one-sided and h² for "
    "central differences). With a tiny h the two losses agree in almost all of their 16 digits, "
    "and their difference is mostly rounding (it grows like 1/h). The best h lies in between: "
    "near 10⁻⁸ for one-sided and 10⁻⁵–10⁻⁶ for central differences in float64."
)
PARABOLA_NOTE = N_(
    "Here the central difference is exact already at large h: the loss is a parabola in this "
    "parameter (squared error, and nothing nonlinear between it and the loss), and a parabola's "
    "central slope has no truncation error. Only rounding is left."
)
BATCH_NOTE = N_(
    "A batch's gradient is the sum or the mean of its examples' gradients: backprop runs once "
    "per example (a framework does all of them in one pass, as rows of a matrix) and adds up. "
    "The mean is the sum divided by B, so the same learning rate takes B times smaller steps "
    "with it. The lesson *Sum or mean?* follows what that does to training."
)
ACCUMULATE_NOTE = N_(
    "Frameworks add each backward pass's gradient to what is already stored, so that a large "
    "batch can be split into pieces. That is why PyTorch's training loops call `zero_grad()` "
    "before every `backward()`: without it the second step uses the sum of both gradients, and "
    "the steps grow."
)
COST_NOTE = N_(
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
DLOSS_TEXT = {"mse": "z − y", "sigmoid_bce": "σ(z) − y", "hinge": N_("−t if t·z < 1, else 0"),
              "tanh_mse": "(tanh z − t)(1 − tanh² z)"}  # fmt: skip
DLOSS_WORDS = frozenset({"hinge"})  # derivatives written with words, translated when shown
DLOSS_LATEX = {"mse": r"z - y", "sigmoid_bce": r"\sigma(z) - y",
               "hinge": r"-t\,[t z < 1]", "tanh_mse": r"(\tanh z - t)(1 - \tanh^2 z)"}  # fmt: skip


def number(value: float, digits: int = 4) -> str:
    """A number in a sentence or a table: 4 significant digits unless asked (the graph's
    ``figures.backprop_graph.number``)."""
    return graph_number(value, digits)


def signed(value: float, digits: int = 3) -> str:
    """A change as a metric's delta: an explicit sign, written with the ASCII minus, which is
    how Streamlit tells a fall (arrow down) from a rise."""
    return local_number(value, f"+.{digits}g") if math.isfinite(value) else "—"


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
    "forward": N_("Step {index}: The forward pass is done: every node has its value, no "
                  "gradient yet."),
    "loss": N_("Step {index}: Start at the loss: ∂L/∂L = 1."),
    "output": N_("Step {index}: Through the loss: ∂L/∂z of the output is the loss's own "
                 "derivative."),
    "layer": N_("Step {index}: Layer {layer}: each weight's gradient is its input times the "
                "gradient of the sum it feeds; each input's gradient sums over the sums it "
                "feeds."),
    "act": N_("Step {index}: Through the activations of layer {layer}: multiply by their "
              "slope."),
}  # fmt: skip


def step_title(step: Step, index: int) -> str:
    return _(STEP_TITLES[step.kind]).format(index=index, layer=step.layer)


def _local(term_local: Ref, row: Row, activation: str, loss: str) -> str:
    """What a term's local derivative is, in words and symbols."""
    target, kind = row.target, term_local.kind
    if kind == "dloss":
        derivative = _(DLOSS_TEXT[loss]) if loss in DLOSS_WORDS else DLOSS_TEXT[loss]
        return f"∂L/∂z = {derivative}"
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
    gradient, local = _("gradient"), _("local derivative")
    upstream, product = _("× upstream"), _("= product")
    rows: list[dict[str, Any]] = []
    for row in step.rows:
        name = f"∂L/∂{ref_text(row.target)}"
        if not row.terms:
            rows.append({gradient: name, local: "—", upstream: "—",
                         product: number(row.gradient)})  # fmt: skip
            continue
        for k, term in enumerate(row.terms):
            rows.append({
                gradient: name if k == 0 else "  +",
                local: f"{_local(term.local, row, activation, loss)} = "
                       f"{number(term.local_value)}",
                upstream: f"∂L/∂{ref_text(term.upstream)} = {number(term.upstream_value)}",
                product: number(term.product),
            })  # fmt: skip
        if len(row.terms) > 1:
            rows.append({gradient: f"  = {name}", local: "", upstream: _("sum"),
                         product: number(row.gradient)})  # fmt: skip
    return rows


def batch_rows(refs: list[Ref], grads: Any) -> list[dict[str, str]]:
    """The batch table: per parameter, each example's gradient ``grads (B, P)``, their sum and
    their mean."""
    examples = [_("example {example}").format(example=e + 1) for e in range(len(grads))]
    rows = []
    for k, ref in enumerate(refs):
        row = {_("parameter"): ref_text(ref)}
        row |= {examples[e]: number(float(grads[e, k])) for e in range(len(grads))}
        row |= {_("sum"): number(float(grads[:, k].sum())),
                _("mean"): number(float(grads[:, k].mean()))}  # fmt: skip
        rows.append(row)
    return rows


def update_rows(refs: list[Ref], ups: Updates) -> list[dict[str, str]]:
    """The update table: per parameter, its value before and after each of two steps and the
    gradient each step used (with or without the first one added in)."""
    names = (
        _("parameter"),
        _("before"),
        _("step 1 gradient"),
        _("after step 1"),
        _("step 2 uses"),
        _("after step 2"),
    )
    return [dict(zip(names, (ref_text(ref), number(float(ups.params[0, k])),
                             number(float(ups.buffers[0, k])), number(float(ups.params[1, k])),
                             number(float(ups.buffers[1, k])), number(float(ups.params[2, k]))),
                     strict=True))
            for k, ref in enumerate(refs)]  # fmt: skip


def _factor_latex(f: Factor) -> str:
    return rf"\frac{{\partial {ref_latex(f.upper)}}}{{\partial {ref_latex(f.lower)}}}"


def _value_latex(value: float) -> str:
    """A number in a formula: LaTeX's minus and power of ten, the language's decimal symbol (a
    comma braced, so that LaTeX sets no space after it); a word where it is not finite."""
    if not math.isfinite(value):
        return rf"\text{{{number(value)}}}"
    text = number(value).replace("−", "-").replace(",", "{,}")
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
    return _(
        "With {name} = {value} the loss is {loss}. At {plus} it is {loss_plus}, at {minus} it is "
        "{loss_minus}: moving by {better} lowers the loss, {worse} raises it. Backprop says the "
        "same without moving anything: ∂L/∂{name} = {gradient}, so a change of {better} changes "
        "the loss by about {change}."
    ).format(name=name, value=number(n.value), loss=number(n.loss, 6),
             plus=number(n.value + n.h, 6), loss_plus=number(n.loss_plus, 6),
             minus=number(n.value - n.h, 6), loss_minus=number(n.loss_minus, 6), better=better,
             worse=worse, gradient=number(n.gradient, 6),
             change=number(-abs(n.gradient) * n.h, 3))  # fmt: skip


def fd_sentence(errors: FDErrors) -> str:
    """The best h of each kind, and how close it gets."""
    return _(
        "Best h here: {forward} for one-sided differences (error {forward_error}), {central} for "
        "central ones (error {central_error})."
    ).format(forward=local_number(errors.best_forward, ".0e"),
             forward_error=number(float(min(errors.forward_error)), 2),
             central=local_number(errors.best_central, ".0e"),
             central_error=number(float(min(errors.central_error)), 2))  # fmt: skip


def is_parabola(errors: FDErrors) -> bool:
    """The central error is smallest at the largest h: no truncation error to see."""
    return (
        errors.best_central == float(errors.hs[-1]) or float(max(errors.central_error[-4:])) < 1e-12
    )


def update_sentence(before: float, after: float, lr: float) -> str:
    """One step's effect on the batch loss."""
    if not math.isfinite(after):
        return _("With lr = {lr} the step overflows: the loss is no longer a number. Lower the "
                 "learning rate.").format(lr=number(lr))  # fmt: skip
    if after < before:
        return _("With lr = {lr} one step lowers the batch loss from {before} to {after}."
                 ).format(lr=number(lr), before=number(before), after=number(after))  # fmt: skip
    return _("With lr = {lr} the step is too large: it jumps past the valley and the batch loss "
             "rises from {before} to {after}.").format(lr=number(lr), before=number(before),
                                                        after=number(after))  # fmt: skip


def ratio_sentence(ratio: float, largest: int) -> str:
    return _("At {largest} weights, finite differences take about {ratio} times as long as one "
             "forward and one backward pass.").format(
        largest=local_number(largest, ","), ratio=local_number(ratio, ",.0f"))  # fmt: skip


def number_list(values: list[float]) -> str:
    """Numbers one after another, as the language lists them (Polish, whose decimal symbol is
    the comma, may part them otherwise)."""
    texts = [number(v) for v in values]
    out = texts[0] if texts else ""
    for text in texts[1:]:
        # TRANSLATORS: how a list of numbers is parted: the list so far, then the next number.
        out = _("{first}, {then}").format(first=out, then=text)
    return out


def batch_sentence(reduction: str, losses: list[float], loss: float) -> str:
    """Each example's loss and the batch's, under ``reduction`` ("mean" or "sum")."""
    values = {"losses": number_list(losses), "loss": number(loss)}
    if reduction == "sum":
        return _("The examples' losses: {losses}; the batch loss (sum) is {loss}, and the update "
                 "below uses the **sum** column.").format(**values)  # fmt: skip
    return _("The examples' losses: {losses}; the batch loss (mean) is {loss}, and the update "
             "below uses the **mean** column.").format(**values)  # fmt: skip


def steps_sentence(losses: list[float], reset: bool) -> str:
    """The batch loss before and after each of the two steps, with or without ``zero_grad``."""
    values = {"before": number(losses[0]), "one": number(losses[1]), "two": number(losses[2])}
    if reset:
        return _("Batch loss: {before} → {one} after step 1 → {two} after step 2."
                 ).format(**values)  # fmt: skip
    return _("Batch loss: {before} → {one} after step 1 → {two} after step 2, the second step "
             "with both gradients added up.").format(**values)  # fmt: skip
