"""Input features: TensorFlow Playground's seven, vectorised, validated, raw inputs unchanged."""

import math

import numpy as np
import pytest

from engine.features import FEATURES, available, check_features, feature_matrix, raw_features

X = np.array([[1.5, -2.0], [0.0, 0.5], [-0.25, 3.0]])


def test_registry_keys_labels_and_what_they_read():
    assert list(FEATURES) == ["x1", "x2", "x1sq", "x2sq", "x1x2", "sin1", "sin2"]
    labels = {k: f.label for k, f in FEATURES.items()}
    assert labels == {"x1": "x₁", "x2": "x₂", "x1sq": "x₁²", "x2sq": "x₂²", "x1x2": "x₁x₂",
                      "sin1": "sin x₁", "sin2": "sin x₂"}  # fmt: skip
    assert {k: f.needs for k, f in FEATURES.items()} == {
        "x1": 0, "x2": 1, "x1sq": 0, "x2sq": 1, "x1x2": 1, "sin1": 0, "sin2": 1
    }  # fmt: skip
    assert all(f.key == k and f.formula for k, f in FEATURES.items())


def test_every_feature_by_hand():
    phi = feature_matrix(X, tuple(FEATURES))
    assert phi.shape == (3, 7) and phi.dtype == np.float64
    expected = [
        [1.5, -2.0, 2.25, 4.0, -3.0, math.sin(1.5), math.sin(-2.0)],
        [0.0, 0.5, 0.0, 0.25, 0.0, 0.0, math.sin(0.5)],
        [-0.25, 3.0, 0.0625, 9.0, -0.75, math.sin(-0.25), math.sin(3.0)],
    ]
    np.testing.assert_allclose(phi, expected, rtol=1e-15, atol=0)
    # The order of the keys is the order of the columns.
    np.testing.assert_array_equal(feature_matrix(X, ("x1x2", "x1")), phi[:, [4, 0]])


def test_raw_features_are_the_inputs_value_for_value_in_a_new_array():
    phi = feature_matrix(X, ("x1", "x2"))
    np.testing.assert_array_equal(phi, X)
    assert not np.shares_memory(phi, X)
    one_d = X[:, :1]
    np.testing.assert_array_equal(feature_matrix(one_d, ("x1",)), one_d)
    assert raw_features(1) == ("x1",) and raw_features(2) == ("x1", "x2")


def test_leading_axes_dtypes_and_purity():
    rng = np.random.default_rng(0)
    grid = rng.normal(size=(4, 5, 2))
    before = grid.copy()
    keys = ("x1sq", "sin2", "x1x2")
    phi = feature_matrix(grid, keys)
    assert phi.shape == (4, 5, 3)
    np.testing.assert_array_equal(phi.reshape(20, 3), feature_matrix(grid.reshape(20, 2), keys))
    np.testing.assert_array_equal(grid, before)  # inputs untouched
    assert feature_matrix(grid.astype(np.float32), keys).dtype == np.float32
    assert feature_matrix(np.array([[1, 2]]), keys).dtype == np.float64
    np.testing.assert_array_equal(feature_matrix(np.array([[1, 2]]), keys), [[1.0, np.sin(2), 2]])


def test_what_one_and_two_raw_inputs_allow():
    assert available(1) == ("x1", "x1sq", "sin1")
    assert available(2) == tuple(FEATURES)
    assert check_features(["x1sq", "x1"], 1) == ("x1sq", "x1")
    phi = feature_matrix(np.array([[2.0], [-1.0]]), available(1))
    np.testing.assert_allclose(phi, [[2.0, 4.0, math.sin(2.0)], [-1.0, 1.0, math.sin(-1.0)]])


@pytest.mark.parametrize(
    ("keys", "X", "message"),
    [
        ((), X, "at least one feature"),
        (("x1", "x3"), X, "Unknown feature 'x3'"),
        (("x1", "x2", "x1"), X, r"repeated: \['x1'\]"),
        (("x1", "x1x2"), X[:, :1], "Feature 'x1x2' .* needs x₂, but the data has 1 raw input;"),
        (("sin2",), X[:, :1], "Feature 'sin2'"),
        ("x1", X, "a tuple of keys, got the string 'x1'"),
        (("x1",), np.zeros((3, 3)), r"X must have shape \(\.\.\., 1\) or \(\.\.\., 2\)"),
        (("x1",), np.float64(1.0), "X must have shape"),
    ],
)
def test_bad_choices_are_refused_with_a_clear_message(keys, X, message):
    with pytest.raises(ValueError, match=message):
        feature_matrix(X, keys)


def test_available_needs_one_or_two_inputs():
    for bad in (0, 3):
        with pytest.raises(ValueError, match=f"1 or 2 raw inputs, got {bad}"):
            available(bad)
