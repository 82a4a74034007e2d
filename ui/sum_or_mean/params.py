"""The "Sum or mean?" lesson's controls, presets and URL parameters."""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.problems import MAX_EXAMPLES, PROBLEMS
from ui.sum_or_mean.compute import MAX_STEPS, Setup
from ui.url import Param

P = "sm_"
KINDS = ("linear_regression", "logistic_regression")
KIND_LABELS = tuple(PROBLEMS[k][0] for k in KINDS)
OPTIMIZER_CHOICES = ("sgd", "adam", "rmsprop", "adagrad")
OPTIMIZER_LABELS = ("SGD", "Adam", "RMSprop", "Adagrad")
N_MAX = min(4096, MAX_EXAMPLES)
X_AXES = ("optimizer steps", "epochs", "examples seen")


def _preset(**values: Any) -> dict[str, Any]:
    base = {"problem": "linear_regression", "n": 256, "noise": 0.5, "batch": 32, "opt": "sgd",
            "mom": 0.0, "lr_a": 0.1, "lr_b": 0.1, "red_a": "mean", "red_b": "sum", "l2": 0.0,
            "epochs": 5, "reshuffle": True, "drop_last": False, "own_b": False,
            "batch_b": 128, "inspect": 0}  # fmt: skip
    return {f"{P}{k}": v for k, v in (base | values).items()}


PRESETS: dict[str, dict[str, Any]] = {
    "Same learning rate, mean vs sum (default)": _preset(),
    "Match: lr_sum = lr_mean / B — the paths coincide": _preset(lr_b=0.1 / 32),
    "True SGD (B = 1): sum and mean are the same": _preset(batch=1, lr_a=0.05, lr_b=0.05, epochs=1),
    "Full batch: the stability wall moves by N": _preset(batch=256, lr_a=0.8, lr_b=0.8 / 256,
                                                         epochs=40),
    "Adam does not care about sum or mean": _preset(opt="adam", mom=0.9, lr_a=0.05, lr_b=0.05),
    "Coupled L2 weakens under sum as B grows": _preset(batch=128, l2=0.5, lr_a=0.3,
                                                       lr_b=0.3 / 128, epochs=40),
    "Logistic regression, mini-batches of 16": _preset(problem="logistic_regression", batch=16,
                                                       lr_a=0.5, lr_b=0.5 / 16, epochs=10),
    "Bigger batch, same lr: fewer steps, slower per epoch": _preset(red_b="mean", own_b=True,
                                                                    epochs=10),
    "Linear scaling: 4× the batch, 4× the lr": _preset(red_b="mean", own_b=True, lr_b=0.4,
                                                       epochs=10),
    "Gradient noise: 16× the batch, a quarter of the spread (mean)": _preset(
        red_b="mean", batch=4, own_b=True, batch_b=64, lr_a=0.05, lr_b=0.05, epochs=1),
    "Gradient noise under sum: the arrow and the cloud grow with B": _preset(
        red_a="sum", red_b="sum", batch=4, own_b=True, batch_b=64, lr_a=0.01, lr_b=0.01 / 16,
        epochs=1),
}  # fmt: skip
DEFAULT_PRESET = "Same learning rate, mean vs sum (default)"

PARAMS = [
    Param(f"{P}problem", "choice", "linear_regression", choices=KINDS, labels=KIND_LABELS),
    Param(f"{P}n", "int", 256, 32, N_MAX),
    Param(f"{P}noise", "float", 0.5, 0.0, 3.0),
    Param(f"{P}batch", "int", 32, 1, N_MAX),
    Param(f"{P}own_b", "bool", False),
    Param(f"{P}batch_b", "int", 128, 1, N_MAX),
    Param(f"{P}opt", "choice", "sgd", choices=OPTIMIZER_CHOICES, labels=OPTIMIZER_LABELS),
    Param(f"{P}mom", "float", 0.0, 0.0, 0.99),
    Param(f"{P}lr_a", "float", 0.1, 1e-7, 100.0),
    Param(f"{P}lr_b", "float", 0.1, 1e-7, 100.0),
    Param(f"{P}red_a", "choice", "mean", choices=("mean", "sum")),
    Param(f"{P}red_b", "choice", "sum", choices=("mean", "sum")),
    Param(f"{P}l2", "float", 0.0, 0.0, 10.0),
    Param(f"{P}epochs", "int", 5, 1, 200),
    Param(f"{P}reshuffle", "bool", True),
    Param(f"{P}drop_last", "bool", False),
    Param(f"{P}x", "choice", X_AXES[0], choices=X_AXES),
    Param(f"{P}adam", "bool", False),
    Param(f"{P}inspect", "int", 0, 0, MAX_STEPS),
]


def set_batch(size: int | None) -> None:
    """Quick batch-size buttons: 1 (true SGD), 32 (mini-batch), None (the full batch)."""
    n = int(st.session_state[f"{P}n"])
    st.session_state[f"{P}batch"] = n if size is None else min(size, n)


def match_lr() -> None:
    """Set run B's learning rate so that its step matches run A's.

    Equal batch sizes: lr_sum = lr_mean / B (and back), after which the paths coincide.
    Different ones: the linear-scaling rule — the effective lr (γ under mean, γ·B under sum)
    grows in proportion to the batch size, for the same progress per epoch while it is small.
    """
    s = st.session_state
    batch_a = int(s[f"{P}batch"])
    batch_b = int(s[f"{P}batch_b"]) if s[f"{P}own_b"] else batch_a
    effective_a = float(s[f"{P}lr_a"]) * (batch_a if s[f"{P}red_a"] == "sum" else 1)
    effective_b = effective_a * batch_b / batch_a
    s[f"{P}lr_b"] = effective_b / (batch_b if s[f"{P}red_b"] == "sum" else 1)


def controls(seed: int) -> Setup:
    """Draw the problem, batching and A/B controls; return the setup they describe."""
    s = st.session_state
    with st.container(border=True):
        c = st.columns([2, 1, 1, 1, 1])
        c[0].selectbox("Problem", KINDS, key=f"{P}problem", bind="query-params",
                       format_func=lambda k: PROBLEMS[k][0])  # fmt: skip
        c[1].number_input("Examples N", 32, N_MAX, step=32, key=f"{P}n", bind="query-params")
        c[2].number_input("Noise", 0.0, 3.0, step=0.1, key=f"{P}noise", bind="query-params")
        c[3].number_input("Epochs", 1, 200, key=f"{P}epochs", bind="query-params")
        c[4].number_input("L2 λ", 0.0, 10.0, step=0.1, key=f"{P}l2", bind="query-params",
                          help="Coupled L2, (λ/2)‖θ‖², added once per batch.")  # fmt: skip
        n = int(s[f"{P}n"])
        if int(s[f"{P}batch"]) > n:
            s[f"{P}batch"] = n
        b = st.columns([1.6, 1.3, 1.3, 1.3])
        b[0].number_input("Batch size B", 1, n, key=f"{P}batch", bind="query-params")
        b[1].button("True SGD (1)", on_click=set_batch, args=(1,), width="stretch")
        b[2].button("Mini-batch (32)", on_click=set_batch, args=(32,), width="stretch")
        b[3].button("Full batch", on_click=set_batch, args=(None,), width="stretch",
                    help=f"B = N = {n}")  # fmt: skip
        if int(s[f"{P}batch_b"]) > n:
            s[f"{P}batch_b"] = n
        t = st.columns([1, 1.2, 1.2, 1])
        t[0].toggle("Reshuffle", key=f"{P}reshuffle", bind="query-params",
                    help="A new order of the examples in every epoch.")  # fmt: skip
        t[1].toggle("Drop short batch", key=f"{P}drop_last", bind="query-params",
                    help="When B does not divide N, an epoch's last batch is smaller.")  # fmt: skip
        own_b = t[2].toggle("B: own batch size", key=f"{P}own_b", bind="query-params",
                            help="Both runs then take the same number of epochs, so the one "
                            "with larger batches takes fewer steps.")  # fmt: skip
        if own_b:
            t[3].number_input("B's batch size", 1, n, key=f"{P}batch_b", bind="query-params",
                              help="Run B's batch size.")  # fmt: skip
        o = st.columns([1.3, 1.3, 1.5, 1, 1.5, 1])
        o[0].selectbox("Optimizer", OPTIMIZER_CHOICES, key=f"{P}opt", help="For both runs.",
                       format_func=lambda k: OPTIMIZER_LABELS[OPTIMIZER_CHOICES.index(k)],
                       bind="query-params")  # fmt: skip
        o[1].slider("Momentum / β₁", 0.0, 0.99, step=0.01, key=f"{P}mom", bind="query-params")
        o[2].segmented_control("Run A", ("mean", "sum"), key=f"{P}red_a", required=True,
                               bind="query-params")  # fmt: skip
        o[3].number_input("lr A", 1e-7, 100.0, format="%.4g", key=f"{P}lr_a", bind="query-params")
        o[4].segmented_control("Run B", ("mean", "sum"), key=f"{P}red_b", required=True,
                               bind="query-params")  # fmt: skip
        o[5].number_input("lr B", 1e-7, 100.0, format="%.4g", key=f"{P}lr_b", bind="query-params")
    return Setup(
        kind=s[f"{P}problem"], n=n, noise=float(s[f"{P}noise"]), seed=seed,
        optimizer=s[f"{P}opt"], momentum=float(s[f"{P}mom"]), batch=int(s[f"{P}batch"]),
        batch_b=int(s[f"{P}batch_b"]) if own_b else int(s[f"{P}batch"]),
        lr_a=float(s[f"{P}lr_a"]), lr_b=float(s[f"{P}lr_b"]), red_a=s[f"{P}red_a"] or "mean",
        red_b=s[f"{P}red_b"] or "sum", l2=float(s[f"{P}l2"]), epochs=int(s[f"{P}epochs"]),
        reshuffle=bool(s[f"{P}reshuffle"]), drop_last=bool(s[f"{P}drop_last"]),
    )  # fmt: skip
