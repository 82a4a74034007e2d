"""The "Backpropagation" lesson's controls, presets and URL parameters.

Every number of the tiny network is a parameter of the link — the example, the target, each of
its (up to) 15 weights and biases, the extra examples of the batch — so a link reopens the
exact graph a teacher projected. The weights are named as the page names them: ``bp_w2_12`` is
w⁽²⁾₁₂, from unit 1 of layer 1 to unit 2 of layer 2; ``bp_b3_1`` is the output's bias.
"""

from __future__ import annotations

from typing import Any

from engine.backprop import CLASS_LOSSES, LOSSES, Ref, lesson_spec, param_refs, step_count
from engine.nn import ACTIVATIONS
from i18n import N_, _
from ui.params import Lesson, Param
from ui.training.params import ACTIVATION_LABELS

P = "bp_"
MAX_INPUTS = 2
MAX_UNITS = 2
MAX_BATCH = 4
WEIGHT_LIMIT = 50.0  # |w| up to 50: enough to saturate a sigmoid, far from overflow
VALUE_LIMIT = 10.0
LOSS_LABELS = (
    N_("Squared error ½(z − y)²"),
    N_("Sigmoid + cross-entropy"),
    N_("Hinge (SVM)"),
    N_("tanh + squared error (Playground)"),
)
REDUCTIONS = ("mean", "sum")
REDUCTION_LABELS = (N_("mean"), N_("sum"))
COST_SIZES = ("100000", "1000000")
COST_LABELS = (N_("10⁵ weights"), N_("10⁶ weights"))
FULL_SPEC = lesson_spec(MAX_INPUTS, (MAX_UNITS, MAX_UNITS), "tanh", "mse")
STEPS = step_count(FULL_SPEC)  # the backward pass's steps, the forward pass as step 0


def param_key(ref: Ref) -> str:
    """The URL key of a network parameter: ``bp_w1_21``, ``bp_b3_1``."""
    if ref.kind == "w":
        return f"{P}w{ref.layer}_{ref.i}{ref.j}"
    return f"{P}b{ref.layer}_{ref.j}"


def pick_name(ref: Ref) -> str:
    """What the "selected weight" menu stores: ``w1_21``, ``b3_1``."""
    return param_key(ref).removeprefix(P)


ALL_REFS = tuple(param_refs(FULL_SPEC))
PICKS = tuple(pick_name(r) for r in ALL_REFS)
REF_OF = dict(zip(PICKS, ALL_REFS, strict=True))

# The seed's story, numbers chosen so that it holds on this network: with w⁽¹⁾₁₁ = 0.30 the
# loss is 0.50; at 0.35 it is 0.60, at 0.25 it is 0.40.
DEFAULT_WEIGHTS = dict(zip(PICKS, (0.3, 0.8, -0.8, -0.4, -0.4, 0.6, 1.2, 1.4, -0.7, -0.3, -0.2,
                                   -0.5, -1.1, -0.9, -0.4), strict=True))  # fmt: skip
# Examples 2–4 of the batch (example 1 is the one the graph shows): x₁, x₂, y.
DEFAULT_EXAMPLES = ((-1.0, 0.5, -0.5), (0.5, 1.0, 0.2), (2.0, 0.5, 1.0))


# Each parameter in words, written out whole (a translator sees each label as it is shown).
PICK_LABEL = {
    "w1_11": N_("w1_11: x1 → unit 1 of layer 1"),
    "w1_12": N_("w1_12: x1 → unit 2 of layer 1"),
    "w1_21": N_("w1_21: x2 → unit 1 of layer 1"),
    "w1_22": N_("w1_22: x2 → unit 2 of layer 1"),
    "b1_1": N_("b1_1: bias of unit 1 of layer 1"),
    "b1_2": N_("b1_2: bias of unit 2 of layer 1"),
    "w2_11": N_("w2_11: unit 1 of layer 1 → unit 1 of layer 2"),
    "w2_12": N_("w2_12: unit 1 of layer 1 → unit 2 of layer 2"),
    "w2_21": N_("w2_21: unit 2 of layer 1 → unit 1 of layer 2"),
    "w2_22": N_("w2_22: unit 2 of layer 1 → unit 2 of layer 2"),
    "b2_1": N_("b2_1: bias of unit 1 of layer 2"),
    "b2_2": N_("b2_2: bias of unit 2 of layer 2"),
    "w3_11": N_("w3_11: unit 1 of layer 2 → the output"),
    "w3_21": N_("w3_21: unit 2 of layer 2 → the output"),
    "b3_1": N_("b3_1: bias of the output"),
}
PICK_LABELS = tuple(PICK_LABEL[p] for p in PICKS)


def _weight_param(ref: Ref) -> Param:
    name = pick_name(ref)
    return Param(param_key(ref), "float", DEFAULT_WEIGHTS[name], -WEIGHT_LIMIT, WEIGHT_LIMIT,
                 label=name, step=0.05, format="%.4g")  # fmt: skip


# The extra examples' inputs, labelled by their number when drawn (``example_label``).
EXAMPLE_LABELS = {"x1": N_("x₁ of example {example}"), "x2": N_("x₂ of example {example}"),
                  "y": N_("y of example {example}")}  # fmt: skip


def example_label(e: int, what: str) -> str:
    """The translated label of example ``e``'s ``what`` (``x1``, ``x2`` or ``y``)."""
    return _(EXAMPLE_LABELS[what]).format(example=e)


def _example_params(e: int, defaults: tuple[float, float, float]) -> list[Param]:
    x1, x2, y = defaults
    return [
        Param(f"{P}e{e}_{what}", "float", v, -VALUE_LIMIT, VALUE_LIMIT,
              label=EXAMPLE_LABELS[what].format(example=e), step=0.1, format="%.4g")
        for what, v in (("x1", x1), ("x2", x2), ("y", y))
    ]  # fmt: skip


LESSON_PARAMS = (
    Param(f"{P}inputs", "int", 2, 1, MAX_INPUTS, label=N_("Inputs"), widget="slider"),
    Param(f"{P}u1", "int", 2, 1, MAX_UNITS, label=N_("Units in layer 1"), widget="slider"),
    Param(f"{P}u2", "int", 2, 1, MAX_UNITS, label=N_("Units in layer 2"), widget="slider"),
    Param(f"{P}act", "choice", "tanh", choices=ACTIVATIONS, labels=ACTIVATION_LABELS,
          label=N_("Activation")),
    Param(f"{P}loss", "choice", "mse", choices=LOSSES, labels=LOSS_LABELS, label=N_("Loss")),
    Param(f"{P}x1", "float", 1.5, -VALUE_LIMIT, VALUE_LIMIT, label=N_("Input x₁"), step=0.1,
          format="%.4g"),
    Param(f"{P}x2", "float", -1.0, -VALUE_LIMIT, VALUE_LIMIT, label=N_("Input x₂"), step=0.1,
          format="%.4g"),
    Param(f"{P}y", "float", 0.5, -VALUE_LIMIT, VALUE_LIMIT, label=N_("Target y"), step=0.1,
          format="%.4g", help=N_("A classifier's loss needs the label 0 or 1.")),
    *(_weight_param(r) for r in ALL_REFS),
    Param(f"{P}pick", "choice", "w1_11", choices=PICKS, labels=PICK_LABELS,
          label=N_("Follow the gradient of")),
    Param(f"{P}step", "int", 0, 0, STEPS - 1, label=N_("Backward-pass step"), widget="none"),
    Param(f"{P}h", "float", 0.05, 1e-12, 0.1, label=N_("Nudge h"), widget="log_slider",
          help=N_("How far the selected weight is moved either way.")),
    Param(f"{P}batch", "int", 2, 1, MAX_BATCH, label=N_("Examples in the batch"),
          widget="slider"),
    Param(f"{P}red", "choice", "mean", choices=REDUCTIONS, labels=REDUCTION_LABELS,
          label=N_("Batch gradient"), widget="segmented",
          help=N_("Sum or average the examples' gradients.")),
    *(p for e, d in enumerate(DEFAULT_EXAMPLES, start=2) for p in _example_params(e, d)),
    Param(f"{P}lr", "float", 0.1, 1e-4, 100.0, label=N_("Learning rate"), widget="log_slider"),
    Param(f"{P}reset", "bool", True, label=N_("Reset the gradient before each backward pass"),
          help=N_("What zero_grad() does in PyTorch. Without it, the second step's gradient is "
                  "added to the first's.")),
    Param(f"{P}cost", "bool", False, label=N_("Measure the cost")),
    Param(f"{P}cost_max", "choice", "100000", choices=COST_SIZES, labels=COST_LABELS,
          label=N_("Largest network"), widget="segmented"),
)  # fmt: skip


def _preset(**values: Any) -> dict[str, Any]:
    """A preset: overrides of the declared defaults, by key without the prefix."""
    return {f"{P}{k}": v for k, v in values.items()}


SEED_NUDGE = N_("The slow way: nudging 0.30 → 0.25 lowers the loss")
DEAD_RELU = N_("A dead ReLU passes no gradient")
SATURATED = N_("Saturated sigmoid: vanishing gradient")
BEST_H = N_("Finite differences: the best h")
MILLION = N_("Why backprop wins at a million weights")
PRESETS: dict[str, dict[str, Any]] = {
    SEED_NUDGE: _preset(),
    DEAD_RELU: _preset(act="relu", b1_2=-3.0, pick="w1_12", step=STEPS - 1),
    SATURATED: _preset(
        act="sigmoid", loss="sigmoid_bce", y=1.0, w1_11=6.0, w1_12=8.0, w1_21=-6.0,
        w1_22=-4.0, pick="w1_11", step=STEPS - 1, e2_y=0.0, e3_y=0.0),
    BEST_H: _preset(h=3e-6, step=STEPS - 1),
    MILLION: _preset(cost=True, cost_max="1000000", step=STEPS - 1),
}  # fmt: skip
WATCH: dict[str, str] = {
    SEED_NUDGE: N_("Move w1_11 from 0.30 to 0.35: the loss rises from about 0.5 to 0.6; to "
                   "0.25: it falls to 0.4. Backprop's ∂L/∂w1_11 ≈ 2 says so without moving "
                   "anything."),
    DEAD_RELU: N_("Unit 2 of layer 1 has a negative weighted sum, so its ReLU outputs 0 and its "
                  "slope is 0: every weight into it gets the gradient 0, however wrong the "
                  "output is. Gradient descent cannot revive it."),
    SATURATED: N_("The first layer's large weights push both sigmoids to 1, where their slope "
                  "is about 10⁻⁷: the gradients of layer 1 are millions of times smaller than "
                  "those of layer 3, so layer 1 barely learns."),
    BEST_H: N_("Central differences are most accurate near h = 10⁻⁵ to 10⁻⁶: with larger h the "
               "curvature spoils the slope, with smaller h the rounding of the loss does."),
    MILLION: N_("Finite differences need two forward passes per weight; backprop needs one "
                "forward and one backward pass for all of them. At a million weights that is "
                "the difference between hours and milliseconds."),
}  # fmt: skip
DEFAULT_PRESET = SEED_NUDGE


def spec_of(values: dict[str, Any]) -> Any:
    """The network the values describe (``engine.backprop.lesson_spec``)."""
    return lesson_spec(int(values[f"{P}inputs"]), (int(values[f"{P}u1"]), int(values[f"{P}u2"])),
                       str(values[f"{P}act"]), str(values[f"{P}loss"]))  # fmt: skip


def constrain(values: dict[str, Any]) -> list[str]:
    """Make the values fit together, saying what changed: the selected weight must exist in the
    network, and a classifier's targets must be 0 or 1."""
    notices = []
    refs = param_refs(spec_of(values))
    pick = REF_OF[str(values[f"{P}pick"])]
    if pick not in refs:
        first = pick_name(refs[0])
        notices.append(
            _("This network has no {pick}; following {first} instead.").format(
                pick=values[f"{P}pick"], first=first
            )
        )
        values[f"{P}pick"] = first
    if values[f"{P}loss"] in CLASS_LOSSES:
        keys = [f"{P}y", *(f"{P}e{e}_y" for e in range(2, MAX_BATCH + 1))]
        changed = [k for k in keys if values[k] not in (0.0, 1.0)]
        for key in changed:
            values[key] = 1.0 if values[key] >= 0.5 else 0.0
        if changed:
            notices.append(_("A classifier's loss needs targets 0 or 1; each other target was "
                             "rounded to the nearer of the two."))  # fmt: skip
    return notices


LESSON = Lesson("backprop", LESSON_PARAMS, PRESETS, DEFAULT_PRESET, constrain)


def matching_preset(values: dict[str, Any]) -> str | None:
    """The preset these values are (the backward-pass step aside), if any."""
    for name in PRESETS:
        preset = LESSON.preset_values(name)
        if all(values[k] == v for k, v in preset.items() if k != f"{P}step"):
            return name
    return None
