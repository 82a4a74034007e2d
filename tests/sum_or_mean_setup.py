"""The "Sum or mean?" setup the lesson's tests start from, changed where a test says."""

from ui.sum_or_mean.compute import Setup

BASE = {"kind": "linear_regression", "n": 256, "noise": 0.5, "seed": 0, "optimizer": "sgd",
        "momentum": 0.0, "batch": 32, "lr_a": 0.1, "lr_b": 0.1 / 32, "red_a": "mean",
        "red_b": "sum", "l2": 0.0, "epochs": 5, "reshuffle": True, "drop_last": False}  # fmt: skip


def make_setup(**changes) -> Setup:
    """The base setup with ``changes``; run B takes A's batch size unless told otherwise."""
    values = BASE | changes
    values.setdefault("batch_b", values["batch"])
    return Setup(**values)
