"""TensorFlow Playground's input features: what the first layer of a network is shown.

The network never sees the plane directly: it sees a few functions of the (standardised) raw
inputs x₁ and x₂ — the inputs themselves, their squares, their product and their sines, the
seven features of TensorFlow Playground. With x₁² and x₂², a network *without* hidden layers
can draw a circle; with x₁x₂ it can solve XOR.

Contract:

* ``FEATURES`` (key → ``Feature``) is the single list behind the dropdowns and the URL; its keys
  are "x1", "x2", "x1sq", "x2sq", "x1x2", "sin1", "sin2", in that order.
* ``feature_matrix(X, keys)`` maps raw inputs ``(..., d)`` to features ``(..., len(keys))``,
  vectorised over any leading axes; float64 (float32 stays float32, for drawing-only grids).
  ``feature_matrix(X, ("x1", "x2"))`` is X itself, value for value.
* ``check_features(keys, n_raw)`` validates a choice for data with ``n_raw`` raw inputs and
  returns it as a tuple; ``available(n_raw)`` lists the keys that data can use (1-D data: only
  the features of x₁).
* Bad choices (empty, unknown, repeated, or a feature of x₂ on 1-D data) raise ``ValueError``
  with a message that names the offending key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from i18n import N_, Problem

AnyFloat = NDArray[Any]  # float64, or float32 for drawing-only evaluation
FeatureFn = Callable[[AnyFloat], AnyFloat]


@dataclass(frozen=True)
class Feature:
    """One input feature.

    Attributes:
        key: registry key (what the URL stores).
        label: what the UI shows, in Unicode ("x₁²").
        formula: the same in LaTeX ("x_1^2").
        needs: 0-based index of the highest raw input it reads: 0 for features of x₁ alone
            (usable on 1-D data), 1 for those that read x₂.
        fn: raw inputs ``(..., d)`` → the feature ``(...)``.
    """

    key: str
    label: str
    formula: str
    needs: int
    fn: FeatureFn


FEATURES: dict[str, Feature] = {
    f.key: f
    for f in [
        Feature("x1", "x₁", "x_1", 0, lambda X: X[..., 0]),
        Feature("x2", "x₂", "x_2", 1, lambda X: X[..., 1]),
        Feature("x1sq", "x₁²", "x_1^2", 0, lambda X: X[..., 0] * X[..., 0]),
        Feature("x2sq", "x₂²", "x_2^2", 1, lambda X: X[..., 1] * X[..., 1]),
        Feature("x1x2", "x₁x₂", "x_1 x_2", 1, lambda X: X[..., 0] * X[..., 1]),
        Feature("sin1", "sin x₁", r"\sin x_1", 0, lambda X: np.sin(X[..., 0])),
        Feature("sin2", "sin x₂", r"\sin x_2", 1, lambda X: np.sin(X[..., 1])),
    ]
}


def raw_features(n_raw: int) -> tuple[str, ...]:
    """The raw inputs as features: ("x1",) for 1-D data, ("x1", "x2") for 2-D data."""
    if n_raw not in (1, 2):
        raise ValueError(f"Data must have 1 or 2 raw inputs, got {n_raw}")
    return ("x1", "x2")[:n_raw]


def available(n_raw: int) -> tuple[str, ...]:
    """The feature keys usable with ``n_raw`` raw inputs (1 or 2), in registry order."""
    if n_raw not in (1, 2):
        raise ValueError(f"Data must have 1 or 2 raw inputs, got {n_raw}")
    return tuple(k for k, f in FEATURES.items() if f.needs < n_raw)


def check_features(keys: Sequence[str], n_raw: int) -> tuple[str, ...]:
    """``keys`` as a tuple, after checking it suits data with ``n_raw`` raw inputs.

    Raises:
        ValueError: an empty choice, a key that is not in ``FEATURES``, a repeated key, or a
            feature that reads x₂ when the data has one raw input.
    """
    if isinstance(keys, str):
        raise Problem(
            N_("features must be a tuple of keys, got the string {keys}"), keys=repr(keys)
        )
    chosen = tuple(keys)
    if not chosen:
        raise Problem(N_("Choose at least one feature from {choices}"), choices=str(list(FEATURES)))
    for key in chosen:
        if key not in FEATURES:
            raise Problem(
                N_("Unknown feature {key}; choose from {choices}"),
                key=repr(key),
                choices=str(list(FEATURES)),
            )
    repeated = sorted({k for k in chosen if chosen.count(k) > 1})
    if repeated:
        raise Problem(
            N_("Each feature may be chosen once; repeated: {repeated}"), repeated=str(repeated)
        )
    for key in chosen:
        if FEATURES[key].needs >= n_raw:
            values = {"key": repr(key), "label": FEATURES[key].label,
                      "choices": str(list(available(1)))}  # fmt: skip
            if n_raw == 1:
                raise Problem(N_("Feature {key} ({label}) needs x₂, but the data has 1 raw "
                                 "input; use one of {choices}"), **values)  # fmt: skip
            raise Problem(N_("Feature {key} ({label}) needs x₂, but the data has {n} raw "
                             "inputs; use one of {choices}"), n=n_raw, **values)  # fmt: skip
    return chosen


def feature_matrix(X: ArrayLike, keys: Sequence[str]) -> AnyFloat:
    """The features ``keys`` of raw inputs ``X``: φ(X)[..., j] = f_j(X).

    Args:
        X: raw (standardised) inputs ``(..., d)``, d = 1 or 2.
        keys: feature keys of ``FEATURES``, in the order the network's inputs take them.

    Returns:
        ``(..., len(keys))`` float64 (float32 if X is float32); a new array, X is untouched.

    Raises:
        ValueError: a bad choice of keys (see ``check_features``) or X without a last axis of
            size 1 or 2.
    """
    inputs = np.asarray(X)
    dtype = np.float32 if inputs.dtype == np.float32 else np.float64
    inputs = inputs.astype(dtype, copy=False)
    if inputs.ndim == 0 or inputs.shape[-1] not in (1, 2):
        raise ValueError(f"X must have shape (..., 1) or (..., 2), got {inputs.shape}")
    chosen = check_features(keys, inputs.shape[-1])
    out = np.empty((*inputs.shape[:-1], len(chosen)), dtype=dtype)
    for j, key in enumerate(chosen):  # at most seven columns: one vectorised call each
        out[..., j] = FEATURES[key].fn(inputs)
    return out
