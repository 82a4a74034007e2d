"""The "Sum or mean?" lesson's controls, presets and URL parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from engine.problems import MAX_EXAMPLES, PROBLEMS
from figures.sum_mean import REDUCTION_NAMES
from i18n import N_, _, ngettext, number
from ui.params import Lesson, Param
from ui.sum_or_mean.compute import MAX_STEPS, Setup
from ui.url import set_values
from ui.widgets import draw

P = "sm_"
KINDS = ("linear_regression", "logistic_regression")
KIND_LABELS = tuple(PROBLEMS[k][0] for k in KINDS)  # marked in the registry
OPTIMIZER_CHOICES = ("sgd", "adam", "rmsprop", "adagrad")
OPTIMIZER_LABELS = ("SGD", "Adam", "RMSprop", "Adagrad")
N_MAX = min(4096, MAX_EXAMPLES)
X_AXES = ("optimizer steps", "epochs", "examples seen")  # the link's values
X_AXIS_NAMES = dict(zip(X_AXES, (N_("optimizer steps"), N_("epochs"), N_("examples seen")),
                        strict=True))  # fmt: skip
REDUCTION_CHOICES = ("mean", "sum")
REDUCTION_LABELS = tuple(REDUCTION_NAMES[r] for r in REDUCTION_CHOICES)


def _preset(**values: Any) -> dict[str, Any]:
    base = {"problem": "linear_regression", "n": 256, "noise": 0.5, "batch": 32, "opt": "sgd",
            "mom": 0.0, "lr_a": 0.1, "lr_b": 0.1, "red_a": "mean", "red_b": "sum", "l2": 0.0,
            "epochs": 5, "reshuffle": True, "drop_last": False, "own_b": False,
            "batch_b": 128, "inspect": 0}  # fmt: skip
    return {f"{P}{k}": v for k, v in (base | values).items()}


PRESETS: dict[str, dict[str, Any]] = {
    N_("Same learning rate, mean vs sum (default)"): _preset(),
    N_("Match: lr_sum = lr_mean / B — the paths coincide"): _preset(lr_b=0.1 / 32),
    N_("True SGD (B = 1): sum and mean are the same"): _preset(batch=1, lr_a=0.05, lr_b=0.05,
                                                               epochs=1),
    N_("Full batch: the stability wall moves by N"): _preset(batch=256, lr_a=0.8,
                                                             lr_b=0.8 / 256, epochs=40),
    N_("Adam does not care about sum or mean"): _preset(opt="adam", mom=0.9, lr_a=0.05,
                                                        lr_b=0.05),
    N_("Coupled L2 weakens under sum as B grows"): _preset(batch=128, l2=0.5, lr_a=0.3,
                                                           lr_b=0.3 / 128, epochs=40),
    N_("Logistic regression, mini-batches of 16"): _preset(problem="logistic_regression",
                                                           batch=16, lr_a=0.5, lr_b=0.5 / 16,
                                                           epochs=10),
    N_("Bigger batch, same lr: fewer steps, slower per epoch"): _preset(red_b="mean",
                                                                        own_b=True, epochs=10),
    N_("Linear scaling: 4× the batch, 4× the lr"): _preset(red_b="mean", own_b=True, lr_b=0.4,
                                                           epochs=10),
    N_("Gradient noise: 16× the batch, a quarter of the spread (mean)"): _preset(
        red_b="mean", batch=4, own_b=True, batch_b=64, lr_a=0.05, lr_b=0.05, epochs=1),
    N_("Gradient noise under sum: the arrow and the cloud grow with B"): _preset(
        red_a="sum", red_b="sum", batch=4, own_b=True, batch_b=64, lr_a=0.01, lr_b=0.01 / 16,
        epochs=1),
}  # fmt: skip
DEFAULT_PRESET = N_("Same learning rate, mean vs sum (default)")

LR_MIN, LR_MAX = 1e-7, 100.0

LESSON_PARAMS = (
    Param(f"{P}problem", "choice", "linear_regression", choices=KINDS, labels=KIND_LABELS,
          label=N_("Problem")),
    Param(f"{P}n", "int", 256, 32, N_MAX, label=N_("Examples N"), step=32),
    Param(f"{P}noise", "float", 0.5, 0.0, 3.0, label=N_("Noise"), step=0.1),
    Param(f"{P}batch", "int", 32, 1, N_MAX, label=N_("Batch size B")),
    Param(f"{P}own_b", "bool", False, label=N_("B: own batch size"),
          help=N_("Both runs then take the same number of epochs, so the one with larger "
                  "batches takes fewer steps.")),
    Param(f"{P}batch_b", "int", 128, 1, N_MAX, label=N_("B's batch size"),
          help=N_("Run B's batch size.")),
    Param(f"{P}opt", "choice", "sgd", choices=OPTIMIZER_CHOICES, labels=OPTIMIZER_LABELS,
          label=N_("Optimizer"), help=N_("For both runs.")),
    Param(f"{P}mom", "float", 0.0, 0.0, 0.99, label=N_("Momentum / β₁"), widget="slider",
          step=0.01),
    Param(f"{P}lr_a", "float", 0.1, LR_MIN, LR_MAX, label=N_("lr A"), widget="log_slider"),
    Param(f"{P}lr_b", "float", 0.1, LR_MIN, LR_MAX, label=N_("lr B"), widget="log_slider"),
    Param(f"{P}red_a", "choice", "mean", choices=REDUCTION_CHOICES, labels=REDUCTION_LABELS,
          label=N_("Run A"), widget="segmented"),
    Param(f"{P}red_b", "choice", "sum", choices=REDUCTION_CHOICES, labels=REDUCTION_LABELS,
          label=N_("Run B"), widget="segmented"),
    Param(f"{P}l2", "float", 0.0, 0.0, 10.0, label=N_("L2 λ"), step=0.1,
          help=N_("Coupled L2, (λ/2)‖θ‖², added once per batch.")),
    Param(f"{P}epochs", "int", 5, 1, 200, label=N_("Epochs")),
    Param(f"{P}reshuffle", "bool", True, label=N_("Reshuffle"),
          help=N_("A new order of the examples in every epoch.")),
    Param(f"{P}drop_last", "bool", False, label=N_("Drop short batch"),
          help=N_("When B does not divide N, an epoch's last batch is smaller.")),
    Param(f"{P}x", "choice", X_AXES[0], choices=X_AXES, labels=tuple(X_AXIS_NAMES.values()),
          label=N_("Loss against"), widget="segmented"),
    Param(f"{P}adam", "bool", False, label=N_("Run the same pair with Adam")),
    Param(f"{P}inspect", "int", 0, 0, MAX_STEPS, label=N_("Look at step"), widget="slider"),
)  # fmt: skip


def run_steps(values: Mapping[str, Any]) -> int:
    """Steps of the longer of runs A and B for these values (what the step slider spans)."""
    return setup_from(values, seed=0).steps


def constrain(values: dict[str, Any]) -> list[str]:
    """Cut the batch sizes to N and the inspected step to the run, saying so."""
    notices = []
    n = int(values[f"{P}n"])
    too_large = {
        f"{P}batch": N_("The batch size B {batch} is larger than N = {n}; using {n}."),
        f"{P}batch_b": N_("Run B's batch size {batch} is larger than N = {n}; using {n}."),
    }
    for key, sentence in too_large.items():
        if int(values[key]) > n:
            notices.append(_(sentence).format(batch=values[key], n=n))
            values[key] = n
    steps = run_steps(values)
    if int(values[f"{P}inspect"]) > steps:
        notices.append(ngettext("Step {step} is beyond this run's {steps} step; looking at step "
                                "{steps}.",
                                "Step {step} is beyond this run's {steps} steps; looking at "
                                "step {steps}.", steps).format(step=values[f"{P}inspect"],
                                                               steps=steps))  # fmt: skip
        values[f"{P}inspect"] = steps
    return notices


LESSON = Lesson("sum_or_mean", LESSON_PARAMS, PRESETS, DEFAULT_PRESET, constrain)


def set_batch(size: int | None) -> None:
    """Quick batch-size buttons: 1 (true SGD), 32 (mini-batch), None (the full batch)."""
    n = int(st.session_state[f"{P}n"])
    set_values(LESSON, {f"{P}batch": n if size is None else min(size, n)})


MATCH_NOTICE = "_sm_match_notice"


def match_lr() -> None:
    """Set run B's learning rate so that its step matches run A's.

    Equal batch sizes: lr_sum = lr_mean / B (and back), after which the paths coincide.
    Different ones: the linear-scaling rule — the effective lr (γ under mean, γ·B under sum)
    grows in proportion to the batch size, for the same progress per epoch while it is small.
    The result is cut to the lr range [1e-7, 100], and then the page says so.
    """
    s = st.session_state
    batch_a = int(s[f"{P}batch"])
    batch_b = int(s[f"{P}batch_b"]) if s[f"{P}own_b"] else batch_a
    effective_a = float(s[f"{P}lr_a"]) * (batch_a if s[f"{P}red_a"] == "sum" else 1)
    effective_b = effective_a * batch_b / batch_a
    wanted = effective_b / (batch_b if s[f"{P}red_b"] == "sum" else 1)
    lr_b = float(f"{min(max(wanted, LR_MIN), LR_MAX):.12g}")
    if lr_b != float(f"{wanted:.12g}"):
        s[MATCH_NOTICE] = _("Matching needs lr B = {wanted}, outside the range {low}–{high}; lr B "
                            "is set to {lr} instead.").format(
            wanted=number(wanted, ".4g"), low=number(LR_MIN, "g"), high=number(LR_MAX, "g"),
            lr=number(lr_b, "g"))  # fmt: skip
    set_values(LESSON, {f"{P}lr_b": lr_b})


def setup_from(values: Mapping[str, Any], seed: int) -> Setup:
    """The runs' setup that ``values`` (the lesson's parameters) describe."""
    v = values
    own_b = bool(v[f"{P}own_b"])
    return Setup(
        kind=v[f"{P}problem"], n=int(v[f"{P}n"]), noise=float(v[f"{P}noise"]), seed=seed,
        optimizer=v[f"{P}opt"], momentum=float(v[f"{P}mom"]), batch=int(v[f"{P}batch"]),
        batch_b=int(v[f"{P}batch_b"]) if own_b else int(v[f"{P}batch"]),
        lr_a=float(v[f"{P}lr_a"]), lr_b=float(v[f"{P}lr_b"]), red_a=v[f"{P}red_a"],
        red_b=v[f"{P}red_b"], l2=float(v[f"{P}l2"]), epochs=int(v[f"{P}epochs"]),
        reshuffle=bool(v[f"{P}reshuffle"]), drop_last=bool(v[f"{P}drop_last"]),
    )  # fmt: skip


def stage_controls() -> None:
    """The controls that matter most, beside the chart: the batch size, and runs A and B."""
    p = LESSON.param
    n = int(st.session_state[f"{P}n"])
    draw(p(f"{P}batch"), high=n)
    b = st.columns(3)
    b[0].button("1", on_click=set_batch, args=(1,), width="stretch",
                help=_("True SGD: one example per step."))  # fmt: skip
    b[1].button("32", on_click=set_batch, args=(32,), width="stretch",
                help=_("A mini-batch of {size}.").format(size=32))  # fmt: skip
    b[2].button("N", on_click=set_batch, args=(None,), width="stretch",
                help=_("The full batch, B = N = {n}.").format(n=n))  # fmt: skip
    for run in ("a", "b"):
        with st.container(border=True):
            draw(p(f"{P}red_{run}"))
            draw(p(f"{P}lr_{run}"))
    st.button(_("Match B to A"), on_click=match_lr, width="stretch",
              help=_("Same batch size: lr_sum = lr_mean / B, and the paths coincide. Different "
                     "batch sizes: the linear-scaling rule, effective lr ∝ B."))  # fmt: skip


def more_controls() -> None:
    """The problem, the data and the optimizer, folded away under the stage controls."""
    p = LESSON.param
    n = int(st.session_state[f"{P}n"])
    with st.expander(_("Problem, data and optimizer")):
        draw(p(f"{P}problem"))
        c = st.columns(2)
        draw(p(f"{P}n"), c[0])
        draw(p(f"{P}epochs"), c[1])
        c = st.columns(2)
        draw(p(f"{P}noise"), c[0])
        draw(p(f"{P}l2"), c[1])
        draw(p(f"{P}opt"))
        draw(p(f"{P}mom"))
        draw(p(f"{P}reshuffle"))
        draw(p(f"{P}drop_last"))
        if draw(p(f"{P}own_b")):
            draw(p(f"{P}batch_b"), high=n)
