"""train(): paired runs, sum vs mean, real learning, divergence as data, bounded work."""

import numpy as np
import pytest

from engine.datasets import make_dataset
from engine.nn import MLPSpec
from engine.optimizers import OPTIMIZERS
from engine.training import MAX_FRAMES, TrainRun, train

MOONS = make_dataset("moons", 400, seed=0)
SPEC = MLPSpec(2, (8,), 1, "tanh", "sigmoid_bce", "glorot")


def _sgd(lr, momentum=0.0):
    return OPTIMIZERS["sgd"](lr=lr, momentum=momentum)


def test_shapes_and_axes():
    runs = [TrainRun(_sgd(0.1), 16), TrainRun(_sgd(0.1), 64)]
    r = train(SPEC, MOONS, runs, epochs=3, grid_size=20, activation_points=30)
    n_train = len(MOONS.X_train)  # 320
    np.testing.assert_array_equal(r.steps_per_epoch, [20, 5])
    np.testing.assert_array_equal(r.n_steps, [60, 15])
    F = r.frame_steps.shape[0]
    assert F == 16  # at most one frame per step of the shortest run
    assert r.params.shape == (F, 2, SPEC.n_params)
    assert r.batch_loss.shape == (60, 2) and np.all(np.isnan(r.batch_loss[15:, 1]))
    np.testing.assert_allclose(r.frame_epochs[-1], [3.0, 3.0])  # same data seen, different steps
    np.testing.assert_array_equal(r.frame_examples[-1], [3 * n_train, 3 * n_train])
    assert r.grid_output.shape == (F, 2, 20, 20) and r.grid_output.dtype == np.float32
    assert [a.shape for a in r.activations] == [(F, 2, 30, 8)]
    np.testing.assert_array_equal(r.activation_points, MOONS.X_train[:30])
    assert np.all(np.diff(r.frame_steps[:, 0]) > 0)
    for field in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "weight_norm"):
        assert getattr(r, field).shape == (F, 2)


def test_frames_are_capped_and_evenly_spread():
    r = train(SPEC, MOONS, [TrainRun(_sgd(0.1), 8)], epochs=20, grid_size=10)
    assert r.frame_steps.shape[0] == MAX_FRAMES
    gaps = np.diff(r.frame_steps[:, 0])
    assert gaps.max() - gaps.min() <= 1 and r.frame_steps[-1, 0] == r.n_steps[0]


def test_deterministic():
    runs = [TrainRun(OPTIMIZERS["adam"](lr=0.01), 32)]
    a = train(SPEC, MOONS, runs, epochs=2, grid_size=10)
    b = train(SPEC, MOONS, runs, epochs=2, grid_size=10)
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.grid_output, b.grid_output)


def test_paired_runs_see_the_same_batches():
    same = [TrainRun(_sgd(0.2, 0.9), 16), TrainRun(_sgd(0.2, 0.9), 16)]
    r = train(SPEC, MOONS, same, epochs=2, grid_size=10)
    np.testing.assert_array_equal(r.params[:, 0], r.params[:, 1])
    np.testing.assert_array_equal(r.batch_loss[:, 0], r.batch_loss[:, 1])
    other_seed = train(SPEC, MOONS, same[:1], epochs=2, grid_size=10, batch_seed=1)
    assert not np.array_equal(other_seed.params[-1, 0], r.params[-1, 0])


def test_sum_with_lr_over_b_equals_mean_with_lr_for_sgd():
    B, lr = 16, 0.3
    runs = [
        TrainRun(_sgd(lr, 0.9), B, "mean"),
        TrainRun(_sgd(lr / B, 0.9), B, "sum"),
        TrainRun(_sgd(lr, 0.9), B, "sum"),
    ]
    r = train(SPEC, MOONS, runs, epochs=3, grid_size=10)
    np.testing.assert_allclose(r.params[:, 1], r.params[:, 0], rtol=1e-10, atol=1e-12)
    # The same lr under sum is a B-times larger step: a different path (or a blow-up).
    assert not np.allclose(r.params[-1, 2], r.params[-1, 0], atol=1e-3)


def test_adam_hardly_notices_sum_versus_mean():
    B = 32
    runs = [TrainRun(OPTIMIZERS["adam"](lr=0.01), B, r) for r in ("mean", "sum")]
    r = train(SPEC, MOONS, runs, epochs=3, grid_size=10)
    gap = np.abs(r.params[-1, 0] - r.params[-1, 1]).max()
    assert gap < 1e-4 * np.abs(r.params[-1, 0]).max()
    sgd = train(SPEC, MOONS, [TrainRun(_sgd(0.01), B, m) for m in ("mean", "sum")], epochs=3,
                grid_size=10)  # fmt: skip
    assert np.abs(sgd.params[-1, 0] - sgd.params[-1, 1]).max() > 100 * gap


@pytest.mark.parametrize("key", ["moons", "circles"])
def test_an_mlp_learns_moons_and_circles(key):
    data = make_dataset(key, 600, seed=1)
    spec = MLPSpec(2, (16, 16), 1, "relu", "sigmoid_bce", "he")
    r = train(spec, data, [TrainRun(OPTIMIZERS["adam"](lr=0.01), 32)], epochs=60, grid_size=10)
    assert r.test_accuracy[-1, 0] >= 0.97
    assert r.train_loss[-1, 0] < 0.1 * r.train_loss[0, 0]


def test_xor_needs_a_hidden_layer():
    data = make_dataset("xor", 600, seed=2)
    run = [TrainRun(OPTIMIZERS["adam"](lr=0.02), 32)]
    linear = train(MLPSpec(2, (), 1, "linear"), data, run, epochs=40, grid_size=10)
    hidden = train(MLPSpec(2, (8,), 1, "tanh", init="glorot"), data, run, epochs=40, grid_size=10)
    assert linear.test_accuracy[-1, 0] < 0.7
    assert hidden.test_accuracy[-1, 0] > 0.95


def test_multiclass_and_regression_outputs():
    spiral = make_dataset("spiral3", 300, seed=0)
    soft = MLPSpec(2, (16,), 3, "relu", "softmax_ce")
    r = train(soft, spiral, [TrainRun(OPTIMIZERS["adam"](lr=0.01), 32)], epochs=2, grid_size=12)
    assert r.grid_output.shape == (r.params.shape[0], 1, 12, 12, 3)
    np.testing.assert_allclose(r.grid_output.sum(-1), 1.0, rtol=1e-5)
    sine = make_dataset("sine", 300, seed=0)
    reg = MLPSpec(1, (16,), 1, "tanh", "mse", "glorot")
    r = train(reg, sine, [TrainRun(OPTIMIZERS["adam"](lr=0.02), 16)], epochs=80, grid_size=25)
    assert r.grid_output.shape == (r.params.shape[0], 1, 25) and len(r.grid_axes) == 1
    assert np.all(np.isnan(r.test_accuracy))
    assert r.test_loss[-1, 0] < 0.05  # noise 0.1: ½σ² = 0.005, a good fit is well under 0.05


def test_divergence_is_data():
    runs = [TrainRun(_sgd(1e4), 8), TrainRun(_sgd(0.1), 8)]
    r = train(MLPSpec(2, (8,), 1, "relu"), MOONS, runs, epochs=2, grid_size=10)
    assert r.diverged_at[0] >= 0 and r.diverged_at[1] == -1
    after = r.frame_steps[:, 0] >= r.diverged_at[0]
    assert np.all(np.isnan(r.params[after, 0])) and np.all(np.isnan(r.train_loss[after, 0]))
    assert np.all(np.isfinite(r.train_loss[:, 1]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runs": []}, "at least one TrainRun"),
        ({"runs": [TrainRun(_sgd(0.1), 1000)]}, "batch_size must be between 1 and 320"),
        ({"epochs": 0}, "epochs must be a number in"),
        ({"epochs": float("nan")}, "epochs must be a number in"),
        ({"n_frames": 500}, "n_frames must be between 2 and 120"),
        ({"grid_size": 5}, "grid_size must be between 10 and 150"),
        ({"spec": MLPSpec(2, (4,), 1, output="mse")}, "does not fit a classification"),
        ({"spec": MLPSpec(1, (4,), 1)}, "takes 1 inputs; the data has 2"),
        ({"epochs": 9000, "spec": MLPSpec(2, (64,) * 6, 1)}, "multiply-adds; the limit is"),
    ],
)
def test_bad_requests_get_clear_errors(kwargs, message):
    args = {"spec": SPEC, "runs": [TrainRun(_sgd(0.1), 32)], "epochs": 1.0} | kwargs
    spec, runs = args.pop("spec"), args.pop("runs")
    with pytest.raises(ValueError, match=message):
        train(spec, MOONS, runs, **args)
