"""Toy datasets: seeded, the right shapes and classes, split and standardised as asked."""

import numpy as np
import pytest

from engine.datasets import DATASETS, make_dataset

REQUIRED = {"moons", "circles", "xor", "spiral", "blobs", "blobs3", "linear", "checkerboard",
            "line", "sine"}  # fmt: skip


def test_registry_has_every_required_dataset():
    assert set(DATASETS) >= REQUIRED
    assert DATASETS["spiral3"].n_classes == 3 and DATASETS["blobs3"].n_classes == 3
    assert {k for k, s in DATASETS.items() if s.task == "regression"} == {"line", "sine"}


@pytest.mark.parametrize("key", sorted(DATASETS))
def test_generators_share_one_signature_and_give_every_class(key):
    spec = DATASETS[key]
    X, y = spec.generate(300, spec.default_noise, np.random.default_rng(0))
    assert X.shape == (300, 2 if spec.task == "classification" else 1)
    assert y.shape == (300,) and np.all(np.isfinite(X)) and np.all(np.isfinite(y))
    if spec.task == "classification":
        counts = np.bincount(y.astype(int), minlength=spec.n_classes)
        assert len(counts) == spec.n_classes and counts.min() >= 300 / spec.n_classes / 3


@pytest.mark.parametrize("key", sorted(DATASETS))
def test_same_seed_same_bytes(key):
    make_dataset.cache_clear()
    a = make_dataset(key, 200, seed=7)
    make_dataset.cache_clear()
    b = make_dataset(key, 200, seed=7)
    c = make_dataset(key, 200, seed=8)
    for name in ("X_train", "y_train", "X_test", "y_test"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes()
    assert a.X_train.tobytes() != c.X_train.tobytes()
    assert not a.X_train.flags.writeable


def test_split_and_standardisation():
    d = make_dataset("moons", 500, seed=1, test_fraction=0.3)
    assert len(d.X_train) == 350 and len(d.X_test) == 150
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(d.X_train.std(axis=0), 1.0, rtol=1e-12)
    raw = make_dataset("moons", 500, seed=1, test_fraction=0.3, standardize=False)
    np.testing.assert_allclose(raw.X_train, d.X_train * d.std + d.mean, rtol=1e-12, atol=1e-12)
    assert make_dataset("moons", 100, test_fraction=0.0).X_test.shape == (0, 2)


def test_label_noise_flips_the_requested_fraction_to_another_class():
    clean = make_dataset("blobs3", 4000, seed=2)
    noisy = make_dataset("blobs3", 4000, seed=2, label_noise=0.2)
    np.testing.assert_array_equal(clean.X_train, noisy.X_train)
    flipped = clean.y_train != noisy.y_train
    assert flipped.mean() == pytest.approx(0.2, abs=0.02)
    assert set(np.unique(noisy.y_train)) == {0.0, 1.0, 2.0}


def test_shapes_look_like_their_names():
    # XOR: the label is the sign agreement of the two coordinates.
    d = make_dataset("xor", 400, noise=0.0, standardize=False, test_fraction=0.0)
    np.testing.assert_array_equal(d.y_train, (d.X_train[:, 0] * d.X_train[:, 1] > 0))
    # Circles: the inner class is closer to the centre.
    c = make_dataset("circles", 400, noise=0.0, standardize=False, test_fraction=0.0)
    radius = np.linalg.norm(c.X_train, axis=1)
    assert radius[c.y_train == 1].max() < radius[c.y_train == 0].min()
    # Sine: targets follow sin(x) exactly without noise.
    s = make_dataset("sine", 200, noise=0.0, standardize=False, test_fraction=0.0)
    np.testing.assert_allclose(s.y_train, np.sin(s.X_train[:, 0]), atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "nope"}, "Unknown dataset 'nope'"),
        ({"key": "moons", "n": 3}, "between 8 and 20000, got 3"),
        ({"key": "moons", "noise": -0.1}, "noise must be between 0 and 5.0, got -0.1"),
        ({"key": "moons", "label_noise": 0.7}, "label_noise must be between 0 and 0.5"),
        ({"key": "sine", "label_noise": 0.1}, "classification datasets only"),
        ({"key": "moons", "test_fraction": 1.0}, "test_fraction must be between 0 and 0.9"),
        ({"key": "moons", "seed": -1}, "seed must be an integer ≥ 0, got -1"),
    ],
)
def test_bad_arguments_are_refused_with_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_dataset(**kwargs)
