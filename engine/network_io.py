"""A trained network as plain JSON: export, load back, and predict on raw inputs.

Contract:

* ``export_network(spec, features, mean, std, params)`` returns a dict of only str, int, float,
  list and dict (``json.dumps`` takes it as is)::

      {"format": "descent-lab-network", "version": 1,
       "architecture": {"sizes": [2, 8, 1], "activation": "relu", "output": "sigmoid_bce",
                        "init": "he"},
       "features": ["x1", "x2"],
       "standardisation": {"mean": [...], "std": [...]},     # one per raw input
       "layers": [{"W": [[...], ...], "b": [...]}, ...]}     # W is fan_in × fan_out

  Every number is a Python float, whose ``repr`` (what ``json`` writes) reads back as the same
  float64: a round trip is exact.
* ``load_network(payload)`` checks all of it (format and version, architecture, features,
  shapes, finiteness) and returns a ``LoadedNetwork``; anything wrong raises ``ValueError``
  with a message that says what and where.
* ``predict_raw(loaded, X_raw)`` predicts on raw, *unstandardised* inputs: standardise with the
  stored mean and std, compute the features, forward pass, ``engine.nn.predictions`` — the same
  operations, so the same bits, as the lesson that trained it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.features import check_features, feature_matrix, raw_features
from engine.nn import ACTIVATIONS, INITS, OUTPUTS, MLPSpec, forward, predictions
from i18n import N_, Problem

Array = NDArray[np.float64]

FORMAT = "descent-lab-network"
VERSION = 1


class LoadedNetwork(NamedTuple):
    """A network read back from its JSON form.

    Attributes:
        spec: the architecture.
        features: the feature keys its inputs are, in order.
        mean, std: ``(d,)`` the standardisation of the d raw inputs.
        params: ``(P,)`` the flat parameters (``engine.nn`` layout).
    """

    spec: MLPSpec
    features: tuple[str, ...]
    mean: Array
    std: Array
    params: Array


def export_network(
    spec: MLPSpec,
    features: Sequence[str] | None,
    mean: ArrayLike,
    std: ArrayLike,
    params: ArrayLike,
) -> dict[str, Any]:
    """The network as a JSON-serialisable dict (see the module docstring for the layout).

    Args:
        spec: the architecture.
        features: its input features (None: the raw inputs).
        mean, std: ``(d,)`` the dataset's standardisation (``Dataset.mean``, ``Dataset.std``).
        params: ``(P,)`` one network's parameters, finite.

    Raises:
        ValueError: shapes that do not fit the spec, or non-finite values (JSON has no NaN).
    """
    loaded = _validate(spec, features, mean, std, params)
    layers = []
    flat = loaded.params
    for w, b, fan_in, fan_out in spec.layers:
        W = flat[w].reshape(fan_in, fan_out)
        layers.append({"W": [[float(v) for v in row] for row in W], "b": _floats(flat[b])})
    return {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {
            "sizes": [int(s) for s in spec.sizes],
            "activation": spec.activation,
            "output": spec.output,
            "init": spec.init,
        },
        "features": list(loaded.features),
        "standardisation": {"mean": _floats(loaded.mean), "std": _floats(loaded.std)},
        "layers": layers,
    }


def load_network(payload: Any) -> LoadedNetwork:
    """Read and check a dict made by ``export_network`` (after a JSON round trip).

    Raises:
        ValueError: a wrong format or version, a missing or malformed field, an unknown
            activation, output, init or feature, shapes that do not fit, non-finite numbers.
    """
    if not isinstance(payload, dict):
        raise Problem(
            N_("A network must be a JSON object, got {kind}"), kind=type(payload).__name__
        )
    if payload.get("format") != FORMAT:
        raise Problem(
            N_("Not a Descent Lab network: format is {format}"), format=repr(payload.get("format"))
        )
    if payload.get("version") != VERSION:
        raise Problem(
            N_("Unsupported version {version}; this reads {supported}"),
            version=repr(payload.get("version")),
            supported=VERSION,
        )
    arch = _field(payload, "architecture", dict)
    sizes = _field(arch, "sizes", list)
    if len(sizes) < 2 or not all(_is_int(s) for s in sizes):
        raise Problem(N_("architecture.sizes must be ≥ 2 integers, got {sizes}"), sizes=repr(sizes))
    activation, output, init = (_field(arch, k, str) for k in ("activation", "output", "init"))
    for template, value, allowed in (
        (N_("Unknown activation {value}; expected one of {choices}"), activation, ACTIVATIONS),
        (N_("Unknown output {value}; expected one of {choices}"), output, OUTPUTS),
        (N_("Unknown init {value}; expected one of {choices}"), init, INITS),
    ):
        if value not in allowed:
            raise Problem(template, value=repr(value), choices=str(allowed))
    spec = MLPSpec(sizes[0], tuple(sizes[1:-1]), sizes[-1], activation, output, init)
    features = _field(payload, "features", list)
    scaling = _field(payload, "standardisation", dict)
    mean = _vector(_field(scaling, "mean", list), "standardisation.mean")
    std = _vector(_field(scaling, "std", list), "standardisation.std")
    layers = _field(payload, "layers", list)
    if len(layers) != len(spec.layers):
        raise Problem(
            N_("{expected} layers expected from sizes, got {n}"),
            expected=len(spec.layers),
            n=len(layers),
        )
    params = np.empty(spec.n_params)
    for i, (layer, (w, b, fan_in, fan_out)) in enumerate(zip(layers, spec.layers, strict=True)):
        if not isinstance(layer, dict):
            raise Problem(N_("layers[{i}] must be an object with W and b"), i=i)
        W = _matrix(_field(layer, "W", list), f"layers[{i}].W")
        bias = _vector(_field(layer, "b", list), f"layers[{i}].b")
        if W.shape != (fan_in, fan_out) or bias.shape != (fan_out,):
            raise Problem(
                N_("layers[{i}]: W must be {fan_in} × {fan_out} and b {fan_out} long, got W "
                   "{w_shape} and b {b_shape}"),
                i=i, fan_in=fan_in, fan_out=fan_out, w_shape=str(W.shape),
                b_shape=str(bias.shape),
            )  # fmt: skip
        params[w], params[b] = W.ravel(), bias
    return _validate(spec, features, mean, std, params)


def predict_raw(loaded: LoadedNetwork, X_raw: ArrayLike) -> Array:
    """Predictions on raw inputs: ``predictions(forward(φ((X − mean)/std)))``.

    Args:
        loaded: from ``load_network``.
        X_raw: ``(n, d)`` raw, unstandardised inputs.

    Returns:
        ``(n,)`` (P(class 1), or the value for regression) or ``(n, C)`` for softmax_ce.

    Raises:
        ValueError: X_raw not ``(n, d)`` finite numbers.
    """
    X = np.asarray(X_raw, dtype=np.float64)
    d = len(loaded.mean)
    if X.ndim != 2 or X.shape[1] != d or not np.all(np.isfinite(X)):
        raise Problem(
            N_("X_raw must be finite numbers of shape (n, {d}), got {shape}"),
            d=d,
            shape=str(X.shape),
        )
    inputs = feature_matrix((X - loaded.mean) / loaded.std, loaded.features)
    logits = forward(loaded.spec, loaded.params[None], inputs).logits
    return np.asarray(predictions(loaded.spec, logits)[0], dtype=np.float64)


def _validate(
    spec: MLPSpec, features: Any, mean: ArrayLike, std: ArrayLike, params: ArrayLike
) -> LoadedNetwork:
    """Check shapes and values; return float64 copies as a ``LoadedNetwork``."""
    m = np.array(mean, dtype=np.float64)
    s = np.array(std, dtype=np.float64)
    if m.ndim != 1 or m.shape != s.shape or len(m) not in (1, 2):
        raise Problem(
            N_("mean and std must both be (1,) or (2,), got {mean} and {std}"),
            mean=str(m.shape),
            std=str(s.shape),
        )
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(s)) and np.all(s > 0)):
        raise Problem(N_("mean must be finite and std finite and > 0"))
    if features is None:
        chosen = raw_features(len(m))
    elif isinstance(features, list | tuple) and all(isinstance(k, str) for k in features):
        chosen = check_features(features, len(m))
    else:
        raise Problem(
            N_("features must be a list of feature keys, got {features}"), features=repr(features)
        )
    if len(chosen) != spec.n_inputs:
        raise Problem(
            N_("The network takes {n} inputs; the features {features} give {given}"),
            n=spec.n_inputs,
            features=str(list(chosen)),
            given=len(chosen),
        )
    flat = np.array(params, dtype=np.float64)
    if flat.shape != (spec.n_params,):
        raise Problem(
            N_("params must have shape ({n},), got {shape}"), n=spec.n_params, shape=str(flat.shape)
        )
    if not np.all(np.isfinite(flat)):
        raise Problem(N_("params must be finite (a diverged network cannot be exported)"))
    return LoadedNetwork(spec, chosen, m, s, flat)


def _field(obj: dict[str, Any], key: str, kind: type) -> Any:
    if key not in obj:
        raise Problem(N_("Missing field {key}"), key=repr(key))
    value = obj[key]
    if not isinstance(value, kind):
        raise Problem(
            N_("Field {key} must be a {kind}, got {got}"),
            key=repr(key),
            kind=kind.__name__,
            got=type(value).__name__,
        )
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _vector(values: list[Any], where: str) -> Array:
    """A list of finite JSON numbers (not booleans) as a float64 ``(n,)`` array."""
    if not all(_is_number(v) for v in values):
        raise Problem(N_("{where} must be a list of finite numbers"), where=where)
    return np.array(values, dtype=np.float64).reshape(len(values))


def _matrix(rows: list[Any], where: str) -> Array:
    """A list of equally long lists of finite numbers as a float64 ``(rows, columns)`` array."""
    if not all(isinstance(row, list) for row in rows) or len({len(r) for r in rows}) > 1:
        raise Problem(N_("{where} must be a list of equally long lists of numbers"), where=where)
    if not all(_is_number(v) for row in rows for v in row):
        raise Problem(N_("{where} must hold finite numbers only"), where=where)
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(rows[0]) if rows else 0)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond float64
        return False


def _floats(values: Array) -> list[float]:
    return [float(v) for v in values]
