"""Networks as JSON: an exact round trip to the same predictions, and bad payloads refused."""

import copy
import json

import numpy as np
import pytest

from engine.datasets import make_dataset
from engine.features import feature_matrix
from engine.network_io import FORMAT, export_network, load_network, predict_raw
from engine.nn import MLPSpec, forward, predictions
from engine.optimizers import OPTIMIZERS
from engine.training import TrainRun, train

CASES = {
    "moons_features": ("moons", MLPSpec(3, (6, 4), 1, "tanh"), ("x1", "x2", "x1x2")),
    "sine_1d": ("sine", MLPSpec(2, (5,), 1, "relu", "mse"), ("x1", "sin1")),
    "blobs3_softmax": ("blobs3", MLPSpec(2, (8,), 3, "leaky_relu", "softmax_ce"), None),
    "xor_playground": ("xor", MLPSpec(5, (4,), 1, "tanh", "tanh_mse", "playground"),
                       ("x1", "x2", "x1sq", "x2sq", "x1x2")),
}  # fmt: skip


def _trained(case):
    key, spec, features = CASES[case]
    data = make_dataset(key, 200, seed=1)
    run = [TrainRun(OPTIMIZERS["adam"](lr=0.02), 16)]
    result = train(spec, data, run, features=features, epochs=3, grid_size=10)
    return data, spec, features, result.params[-1, 0]


def _raw_inputs(data):
    """Raw, unstandardised points: the dataset's own (train and test) and a few far away."""
    standardised = np.concatenate([data.X_train, data.X_test])
    far = np.full((3, data.n_inputs), [[-7.0], [0.3], [12.0]])
    return np.concatenate([standardised * data.std + data.mean, far])


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_round_trip_gives_the_same_predictions_bit_for_bit(case):
    data, spec, features, params = _trained(case)
    payload = export_network(spec, features, data.mean, data.std, params)
    text = json.dumps(payload, allow_nan=False)  # plain JSON: no NaN, no NumPy types
    loaded = load_network(json.loads(text))
    assert loaded.spec == spec
    assert loaded.features == (features or ("x1", "x2")[: data.n_inputs])
    np.testing.assert_array_equal(loaded.params, params)
    np.testing.assert_array_equal(loaded.mean, data.mean)
    np.testing.assert_array_equal(loaded.std, data.std)
    raw = _raw_inputs(data)
    # What the lesson computes: standardise, features, forward, predictions.
    inputs = feature_matrix((raw - data.mean) / data.std, loaded.features)
    expected = predictions(spec, forward(spec, params[None], inputs).logits)[0]
    got = predict_raw(loaded, raw)
    assert got.shape == ((len(raw), 3) if spec.output == "softmax_ce" else (len(raw),))
    assert np.array_equal(got, expected)
    # On the training points, the standardised inputs are the dataset's own.
    n = len(data.X_train)
    own = predictions(
        spec, forward(spec, params[None], feature_matrix(data.X_train, loaded.features)).logits
    )
    np.testing.assert_allclose(got[:n], own[0], rtol=1e-12, atol=1e-14)  # fmt: skip


def test_the_layout_is_the_documented_one():
    data, spec, features, params = _trained("moons_features")
    payload = export_network(spec, features, data.mean, data.std, params)
    assert payload["format"] == FORMAT and payload["version"] == 1
    assert payload["architecture"] == {"sizes": [3, 6, 4, 1], "activation": "tanh",
                                       "output": "sigmoid_bce", "init": "he"}  # fmt: skip
    assert payload["features"] == ["x1", "x2", "x1x2"]
    assert [len(layer["W"]) for layer in payload["layers"]] == [3, 6, 4]  # fan_in rows
    assert [len(layer["W"][0]) for layer in payload["layers"]] == [6, 4, 1]  # fan_out columns
    W1 = np.array(payload["layers"][0]["W"])
    np.testing.assert_array_equal(W1, params[:18].reshape(3, 6))  # W_1 row-major first
    np.testing.assert_array_equal(payload["layers"][0]["b"], params[18:24])
    assert all(type(v) is float for v in payload["standardisation"]["mean"])
    assert type(payload["layers"][2]["W"][0][0]) is float


def _payload():
    data, spec, features, params = _trained("moons_features")
    return export_network(spec, features, data.mean, data.std, params)


def _set(payload, path, value):
    target = payload
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("format",), "keras", "Not a Descent Lab network: format is 'keras'"),
        (("version",), 2, "Unsupported version 2"),
        (("architecture",), _DELETE, "Missing field 'architecture'"),
        (("architecture", "activation"), "swish", "Unknown activation 'swish'"),
        (("architecture", "output"), "poisson", "Unknown output 'poisson'"),
        (("architecture", "init"), "zeros", "Unknown init 'zeros'"),
        (("architecture", "sizes"), [3, 6, 1], "2 layers expected from sizes, got 3"),
        (("architecture", "sizes"), [3, 6.5, 4, 1], "sizes must be ≥ 2 integers"),
        (("architecture", "sizes"), [3, 1025, 4, 1], "between 1 and 1024, got 1025"),
        (("features",), ["x1", "x2"], r"takes 3 inputs; the features \['x1', 'x2'\] give 2"),
        (("features",), ["x1", "x2", "tan1"], "Unknown feature 'tan1'"),
        (("features",), "x1", "Field 'features' must be a list"),
        (("standardisation", "std"), [1.0, 0.0], "std finite and > 0"),
        (("standardisation", "mean"), [0.0], r"mean and std must both be"),
        (("standardisation", "mean"), [0.0, "1"], "list of finite numbers"),
        (("layers", 0, "W", 1, 2), float("nan"), r"layers\[0\].W must hold finite numbers"),
        (("layers", 1, "b", 0), True, r"layers\[1\].b must be a list of finite numbers"),
        (("layers", 2, "W"), [[0.1, 0.2]] * 4, r"layers\[2\]: W must be 4 × 1 .* got W \(4, 2\)"),
        (("layers", 0, "W", 0), [0.1], r"layers\[0\].W must be a list of equally long lists"),
        (("layers", 1), [1, 2], r"layers\[1\] must be an object"),
        (("layers", 0, "b", 0), 10**400, "finite numbers"),
    ],
)
def test_bad_payloads_are_refused_with_what_and_where(path, value, message):
    payload = copy.deepcopy(_payload())
    _set(payload, path, value)
    with pytest.raises(ValueError, match=message):
        load_network(payload)


def test_bad_exports_and_inputs_are_refused():
    data, spec, features, params = _trained("sine_1d")
    with pytest.raises(ValueError, match="diverged network cannot be exported"):
        export_network(spec, features, data.mean, data.std, np.full_like(params, np.nan))
    with pytest.raises(ValueError, match=r"params must have shape \(21,\), got \(20,\)"):
        export_network(spec, features, data.mean, data.std, params[:-1])
    with pytest.raises(ValueError, match="Feature 'x2'"):
        export_network(spec, ("x1", "x2"), data.mean, data.std, params)
    with pytest.raises(ValueError, match="must be a JSON object, got list"):
        load_network([1, 2])
    loaded = load_network(export_network(spec, features, data.mean, data.std, params))
    with pytest.raises(ValueError, match=r"X_raw must be finite numbers of shape \(n, 1\)"):
        predict_raw(loaded, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="X_raw must be finite"):
        predict_raw(loaded, [[np.inf]])
