"""The "What is training?" lesson's controls, presets and URL parameters.

Every control of the page is declared here once (``ui.params``), so the link carries all of
them: the data, the input features, the network, the training of run A, and what run B changes
in an A/B comparison. Run A's optimizer uses the shared run controls (``ui.runs``) with keys
``tr_0_*``; run B's own optimizer (when the comparison is about the optimizer) ``tr_1_*``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.datasets import DATASETS
from engine.features import FEATURES, available
from engine.nn import ACTIVATIONS, INITS
from i18n import N_, _, ngettext
from ui.params import Lesson, Param
from ui.runs import RunChoice, run_params
from ui.training.points import MAX_TEXT, validate_text

P = "tr_"
OWN = "own"  # the dataset that holds only the learner's own points
DATA_CHOICES = (*DATASETS, OWN)
DATA_LABELS = (*(d.name for d in DATASETS.values()), N_("Only my points"))
N_MIN, N_MAX = 20, 2000
MAX_LAYERS = 6
MAX_UNITS = 16
ACTIVATION_LABELS = ("ReLU", N_("Leaky ReLU"), "tanh", N_("Sigmoid"), N_("Linear"))
OUTPUTS = ("sigmoid_bce", "softmax_ce", "tanh_mse", "hinge", "mse")
OUTPUT_LABELS = (
    N_("Sigmoid + cross-entropy"),
    N_("Softmax + cross-entropy"),
    N_("tanh + squared error (Playground)"),
    N_("Hinge (SVM)"),
    N_("Linear + squared error (regression)"),
)
INIT_LABELS = (N_("He (for ReLU)"), N_("Glorot (for tanh)"), N_("Playground: U(±0.5)"))
FEATURE_KEYS = tuple(FEATURES)
COMPARE = ("none", "batch", "reduction", "optimizer", "l2", "activation", "layers")
COMPARE_LABELS = (
    N_("Nothing: one run"),
    N_("Batch size"),
    N_("Sum or mean"),
    N_("Optimizer"),
    N_("L2 on or off"),
    N_("Activation"),
    N_("Hidden layers"),
)
# What run B changes, as the verdict names it ("changing only the batch size").
COMPARED_NAMES = (
    N_("nothing: one run"),
    N_("batch size"),
    N_("sum or mean"),
    N_("optimizer"),
    N_("l2 on or off"),
    N_("activation"),
    N_("hidden layers"),
)
X_AXES = ("steps", "epochs", "examples")
X_AXIS_LABELS = (N_("Optimizer steps"), N_("Epochs"), N_("Examples seen"))
CLICK = ("add0", "add1", "add2", "remove")
CLICK_LABELS = (N_("Add class 0"), N_("Add class 1"), N_("Add class 2"), N_("Remove nearest"))
REDUCTIONS = ("mean", "sum")
REDUCTION_LABELS = (N_("mean"), N_("sum"))
LAYER_LABELS = (N_("Layer 1"), N_("Layer 2"), N_("Layer 3"), N_("Layer 4"), N_("Layer 5"),
                N_("Layer 6"))  # fmt: skip
MINI_BATCH = 32  # what the "mini-batch" button sets

RUN_A = RunChoice("sgd", 0.03, 0.9, False)
RUN_B = RunChoice("adam", 0.01, 0.9, False)


def _feature_param(key: str) -> Param:
    feature = FEATURES[key]
    return Param(f"{P}f_{key}", "bool", key in ("x1", "x2"), label=feature.label,
                 widget="checkbox")  # fmt: skip


LESSON_PARAMS = (
    Param(f"{P}data", "choice", "moons", choices=DATA_CHOICES, labels=DATA_LABELS,
          label=N_("Dataset")),
    Param(f"{P}n", "int", 500, N_MIN, N_MAX, label=N_("Examples N"), step=50,
          help=N_("Training and test examples together.")),
    Param(f"{P}noise", "float", 0.1, 0.0, 1.0, label=N_("Noise"), step=0.05,
          help=N_("How far the points scatter around the dataset's clean shape.")),
    Param(f"{P}label_noise", "float", 0.0, 0.0, 0.5, label=N_("Label noise"), step=0.05,
          help=N_("The fraction of labels flipped to another class at random.")),
    Param(f"{P}test", "int", 20, 0, 90, label=N_("Test share %"), step=5,
          help=N_("Examples held out: the network never trains on them.")),
    Param(f"{P}data_seed", "int", 0, 0, 9999, label=N_("Data seed"),
          help=N_("Another seed draws other points from the same shape.")),
    Param(f"{P}pts", "text", "", label=N_("Points added by hand"), widget="none",
          max_length=MAX_TEXT, validate=validate_text),
    Param(f"{P}click", "choice", "add1", choices=CLICK, labels=CLICK_LABELS,
          label=N_("A click on the plane"), widget="segmented"),
    *(_feature_param(key) for key in FEATURE_KEYS),
    Param(f"{P}layers", "int", 2, 0, MAX_LAYERS, label=N_("Hidden layers"), widget="slider"),
    *(Param(f"{P}w{i}", "int", 8, 1, MAX_UNITS, label=LAYER_LABELS[i - 1], widget="slider")
      for i in range(1, MAX_LAYERS + 1)),
    Param(f"{P}act", "choice", "relu", choices=ACTIVATIONS, labels=ACTIVATION_LABELS,
          label=N_("Activation")),
    Param(f"{P}out", "choice", "sigmoid_bce", choices=OUTPUTS, labels=OUTPUT_LABELS,
          label=N_("Output and loss")),
    Param(f"{P}init", "choice", "he", choices=INITS, labels=INIT_LABELS,
          label=N_("Initial weights")),
    *run_params(P, (RUN_A, RUN_B)),
    Param(f"{P}batch", "int", MINI_BATCH, 1, N_MAX, label=N_("Batch size B"),
          help=N_("Examples per step: 1 is true SGD, all of them is full-batch gradient "
                  "descent.")),
    Param(f"{P}red", "choice", "mean", choices=REDUCTIONS, labels=REDUCTION_LABELS,
          label=N_("Batch gradient"), widget="segmented",
          help=N_("Sum or average the examples' gradients.")),
    Param(f"{P}l2", "float", 0.0, 0.0, 1.0, label=N_("L2 λ₂"), step=0.001, format="%.4g",
          help=N_("Adds (λ₂/2)·Σw² once per batch: pulls every weight towards 0.")),
    Param(f"{P}l1", "float", 0.0, 0.0, 1.0, label=N_("L1 λ₁"), step=0.001, format="%.4g",
          help=N_("Adds λ₁·Σ|w| once per batch: pushes small weights to exactly 0.")),
    Param(f"{P}epochs", "int", 50, 1, 1000, label=N_("Epochs"),
          help=N_("Passes over the training set.")),
    Param(f"{P}stop", "float", 0.0, 0.0, 1.0, label=N_("Stop below training loss"),
          step=0.01, help=N_("0: never. Checked at every frame of the animation.")),
    Param(f"{P}init_seed", "int", 0, 0, 9999, label=N_("Weights seed"),
          help=N_("The same seed gives the same initial weights on every rerun.")),
    Param(f"{P}compare", "choice", "optimizer", choices=COMPARE, labels=COMPARE_LABELS,
          label=N_("Run B changes")),
    Param(f"{P}b_batch", "int", 1, 1, N_MAX, label=N_("B's batch size")),
    Param(f"{P}b_red", "choice", "sum", choices=REDUCTIONS, labels=REDUCTION_LABELS,
          label=N_("B's batch gradient"), widget="segmented"),
    Param(f"{P}b_l2", "float", 0.01, 0.0, 1.0, label=N_("B's L2 λ₂"), step=0.001,
          format="%.4g"),
    Param(f"{P}b_act", "choice", "tanh", choices=ACTIVATIONS, labels=ACTIVATION_LABELS,
          label=N_("B's activation")),
    Param(f"{P}b_layers", "int", 0, 0, MAX_LAYERS, label=N_("B's hidden layers"),
          widget="slider", help=N_("B's layers have the same widths as A's first layers.")),
    Param(f"{P}x", "choice", "steps", choices=X_AXES, labels=X_AXIS_LABELS,
          label=N_("Curves against"), widget="segmented"),
    Param(f"{P}disc", "bool", False, label=N_("Discretize output"),
          help=N_("Show only which class the network predicts, not how sure it is.")),
    Param(f"{P}thumbs", "bool", True, label=N_("Show every neuron")),
    Param(f"{P}progress", "int", 100, 0, 100, label=N_("Neurons at % of training"),
          widget="slider"),
    Param(f"{P}step", "int", 0, 0, 1_000_000, label=N_("Look at step")),
)  # fmt: skip


def _preset(**values: Any) -> dict[str, Any]:
    """A preset: overrides of the declared defaults, by key without the prefix."""
    return {f"{P}{k}": v for k, v in values.items()}


PRESETS: dict[str, dict[str, Any]] = {
    N_("Two moons: SGD with momentum vs Adam (default)"): _preset(),
    N_("XOR: a linear model cannot, one hidden layer can"): _preset(
        data="xor", layers=1, w1=4, compare="layers", b_layers=0),
    N_("Spiral needs depth"): _preset(
        data="spiral", n=600, layers=4, act="tanh", init="glorot", epochs=100,
        compare="layers", b_layers=1),
    N_("True SGD vs full batch, per epoch"): _preset(
        compare="batch", batch=400, b_batch=1, epochs=10, x="epochs"),
    N_("Sum or mean with the same learning rate"): _preset(
        compare="reduction", red="mean", b_red="sum", **{"0_mom": 0.0, "0_lr": 0.1}),
    N_("Momentum speeds up a plateau"): _preset(
        data="circles", act="sigmoid", init="glorot", epochs=60, **{
            "0_mom": 0.0, "0_lr": 0.5, "1_opt": "sgd", "1_mom": 0.9, "1_lr": 0.5}),
    N_("Too large a learning rate"): _preset(
        data="sine", f_x2=False, out="mse", act="tanh", init="glorot", layers=1,
        **{"0_lr": 0.1, "1_opt": "sgd", "1_lr": 1.0, "1_mom": 0.9}),
    N_("Label noise and L2: overfitting and its cure"): _preset(
        n=200, label_noise=0.2, test=50, w1=16, w2=16, epochs=300, compare="l2", b_l2=0.01,
        **{"0_opt": "adam", "0_lr": 0.01}),
    N_("Circles with features x₁², x₂² and no hidden layer"): _preset(
        data="circles", layers=0, f_x1=False, f_x2=False, f_x1sq=True, f_x2sq=True,
        compare="none"),
}  # fmt: skip
WATCH: dict[str, str] = {
    N_("Two moons: SGD with momentum vs Adam (default)"):
        N_("Both runs draw the same batches from the same start: watch which boundary settles "
           "first, and whether the test curve follows the training curve."),
    N_("XOR: a linear model cannot, one hidden layer can"):
        N_("B has no hidden layer, so its boundary can only ever be a straight line; A's four "
           "hidden units bend it around the four quadrants."),
    N_("Spiral needs depth"):
        N_("A's four layers of 8 wind the boundary along both arms; B's single layer of 8 "
           "cannot follow them, whatever the number of epochs."),
    N_("True SGD vs full batch, per epoch"):
        N_("Per epoch B takes 400 small, noisy steps and A one exact step: against epochs B "
           "learns far faster. Press Mini-batch (32) for the usual compromise."),
    N_("Sum or mean with the same learning rate"):
        N_("B sums the batch's 32 gradients instead of averaging them: the same learning rate "
           "now makes 32 times larger steps, and B overshoots."),
    N_("Momentum speeds up a plateau"):
        N_("Sigmoid units start on a flat stretch of the loss. Plain GD (A) is still stuck on it "
           "after 60 epochs; momentum (B) gathers speed, gets through about halfway and ends "
           "near zero loss."),
    N_("Too large a learning rate"):
        N_("B's learning rate is ten times A's: each step overshoots the valley, lands higher on "
           "the other side, and the loss blows up."),
    N_("Label noise and L2: overfitting and its cure"):
        N_("A fifth of the labels are wrong. A (no L2) bends its boundary around them: its test "
           "loss rises while its training loss falls. B's L2 keeps the weights small and the "
           "boundary simple."),
    N_("Circles with features x₁², x₂² and no hidden layer"):
        N_("With the squares as inputs a circle is a straight cut (x₁² + x₂² = r²): no hidden "
           "layer needed."),
}  # fmt: skip
DEFAULT_PRESET = N_("Two moons: SGD with momentum vs Adam (default)")


def constrain(values: dict[str, Any]) -> list[str]:
    """Make the values fit together, saying what changed: the output to the task and the
    number of classes, the features to the data's dimension, batch sizes to the training set
    and the inspected step to the run."""
    from ui.training.compute import n_classes_of, n_train, own_points_missing, run_steps, task_of

    notices = []
    task, out = task_of(values), values[f"{P}out"]
    classes = n_classes_of(values)
    wanted = why = None
    if task == "regression" and out != "mse":
        wanted, why = "mse", _("Regression data needs a linear output; using {label}.")
    elif classes > 2 and out != "softmax_ce":  # before the next: mse on 3 classes is softmax
        wanted, why = "softmax_ce", ngettext(
            "{classes} class needs the softmax output; using {label}.",
            "{classes} classes need the softmax output; using {label}.", classes)  # fmt: skip
    elif task == "classification" and out == "mse":
        wanted, why = "sigmoid_bce", _("Class labels need a classifier's output; using {label}.")
    if wanted is not None and why is not None:
        label = _(OUTPUT_LABELS[OUTPUTS.index(wanted)])
        notices.append(why.format(classes=classes, label=label))
        values[f"{P}out"] = wanted
    usable = available(1 if task == "regression" else 2)
    dropped = [k for k in FEATURE_KEYS if values[f"{P}f_{k}"] and k not in usable]
    for key in dropped:
        values[f"{P}f_{key}"] = False
    if dropped:
        names = ", ".join(FEATURES[k].label for k in dropped)
        notices.append(_("This data has one input, so {names} cannot be used.").format(
            names=names))  # fmt: skip
    if not any(values[f"{P}f_{k}"] for k in FEATURE_KEYS):
        values[f"{P}f_x1"] = True
        if task != "regression":
            values[f"{P}f_x2"] = True
        notices.append(_("The network needs at least one input feature; using the raw "
                         "inputs."))  # fmt: skip
    if own_points_missing(values):
        return notices  # nothing to train yet: leave the training settings as they are
    n = n_train(values)
    for key in (f"{P}batch", f"{P}b_batch"):
        if int(values[key]) > n:
            notices.append(_batch_notice(key, int(values[key]), n))
            values[key] = n
    last = run_steps(values) - 1
    if int(values[f"{P}step"]) > last:
        notices.append(ngettext("Step {step} is beyond run A's {steps} step; looking at "
                                "step {last}.", "Step {step} is beyond run A's {steps} steps; "
                                "looking at step {last}.", last + 1).format(
            step=values[f"{P}step"], steps=last + 1, last=last))  # fmt: skip
        values[f"{P}step"] = last
    return notices


def _batch_notice(key: str, batch: int, n: int) -> str:
    """A batch size cut to the ``n`` training examples, for run A's (``key`` ``tr_batch``) or
    run B's own."""
    if key == f"{P}batch":
        text = ngettext("The batch size B {batch} is larger than the {n} training example; "
                        "using {n}.", "The batch size B {batch} is larger than the {n} training "
                        "examples; using {n}.", n)  # fmt: skip
    else:
        text = ngettext("B's batch size {batch} is larger than the {n} training example; "
                        "using {n}.", "B's batch size {batch} is larger than the {n} training "
                        "examples; using {n}.", n)  # fmt: skip
    return text.format(batch=batch, n=n)


# Controls that change only what is shown, never what is trained (not in the cache key).
VIEW_KEYS = frozenset(f"{P}{k}" for k in ("x", "disc", "thumbs", "progress", "step", "click"))

LESSON = Lesson("training", LESSON_PARAMS, PRESETS, DEFAULT_PRESET, constrain)


def matching_preset(values: Mapping[str, Any]) -> str | None:
    """The preset whose run these values are (view-only controls aside), if any — so its
    "what to watch" sentence also shows when a link reopens it."""
    for name in PRESETS:
        preset = LESSON.preset_values(name)
        if all(values[k] == v for k, v in preset.items() if k not in VIEW_KEYS):
            return name
    return None


def hidden_widths(values: Mapping[str, Any], layers: int | None = None) -> tuple[int, ...]:
    """The widths of the hidden layers the values choose (of the first ``layers`` of them)."""
    count = int(values[f"{P}layers"]) if layers is None else layers
    return tuple(int(values[f"{P}w{i}"]) for i in range(1, count + 1))
