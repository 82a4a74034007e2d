"""train(): paired runs, sum vs mean, real learning, divergence as data, bounded work; input
features; L1; datasets built from given or clicked points (what train is fed in the lesson).
replay_step and unit_maps: tests/test_training_steps.py."""

import numpy as np
import pytest

from engine.datasets import (
    DATASETS,
    dataset_from_points,
    make_dataset,
    with_extra_training_points,
)
from engine.features import FEATURES
from engine.nn import MLPSpec, unflatten
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


def _logits(spec, params, X):
    """An independent forward pass, one network, layer by layer: the reference for decisions."""
    a = np.asarray(X, dtype=np.float64)
    layers = unflatten(spec, params[None])
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}[spec.activation]
    for i, (W, b) in enumerate(layers):
        a = a @ W[0] + b[0]
        if i < len(layers) - 1:
            a = act(a)
    return a  # (B, n_outputs)


@pytest.mark.parametrize("output", ["sigmoid_bce", "hinge", "softmax_ce"])
def test_every_examples_class_is_the_networks_decision_and_makes_the_accuracy(output):
    data = make_dataset("spiral3", 300, seed=0) if output == "softmax_ce" else MOONS
    n_out = 3 if output == "softmax_ce" else 1
    spec = MLPSpec(2, (8,), n_out, "tanh", output, "glorot")
    runs = [TrainRun(_sgd(0.3), 16), TrainRun(OPTIMIZERS["adam"](lr=0.02), 64)]
    r = train(spec, data, runs, epochs=3, n_frames=9, grid_size=10)
    F = r.frame_steps.shape[0]
    assert (
        r.train_predicted.shape == (F, 2, len(data.y_train)) and r.train_predicted.dtype == np.int8
    )
    assert r.test_predicted.shape == (F, 2, len(data.y_test)) and r.test_predicted.dtype == np.int8
    for f in (0, F // 2, F - 1):
        for k in range(2):
            for X, classes in ((data.X_train, r.train_predicted), (data.X_test, r.test_predicted)):
                z = _logits(spec, r.params[f, k], X)
                wanted = z.argmax(-1) if n_out > 1 else (z[:, 0] > 0).astype(int)
                np.testing.assert_array_equal(classes[f, k], wanted)
    # the accuracy is exactly the share of decisions that match the label
    np.testing.assert_array_equal(r.train_accuracy, (r.train_predicted == data.y_train).mean(-1))
    np.testing.assert_array_equal(r.test_accuracy, (r.test_predicted == data.y_test).mean(-1))
    assert len(np.unique(r.train_accuracy)) > 3  # it moves: not vacuous


def test_a_diverged_network_decides_nothing_and_measures_no_accuracy():
    runs = [TrainRun(_sgd(1e4), 8), TrainRun(_sgd(0.1), 8)]
    r = train(MLPSpec(2, (8,), 1, "relu"), MOONS, runs, epochs=2, grid_size=10)
    after = r.frame_steps[:, 0] >= r.diverged_at[0]
    assert after.any() and not after.all()
    for classes, acc in ((r.train_predicted, r.train_accuracy),
                         (r.test_predicted, r.test_accuracy)):  # fmt: skip
        assert np.all(classes[after, 0] == -1) and np.all(classes[~after, 0] >= 0)
        assert np.all(np.isnan(acc[after, 0]))  # not the ~50 % that "all class 0" would score
        assert np.all(np.isfinite(acc[~after, 0])) and np.all(np.isfinite(acc[:, 1]))
        assert np.all(classes[:, 1] >= 0)


def test_regression_and_an_empty_test_set_predict_no_class():
    sine = make_dataset("sine", 200, seed=0)
    reg = MLPSpec(1, (8,), 1, "tanh", "mse", "glorot")
    r = train(reg, sine, [TrainRun(_sgd(0.05), 16)], epochs=2, n_frames=5, grid_size=10)
    F = r.frame_steps.shape[0]
    assert r.train_predicted.shape == r.test_predicted.shape == (F, 1, 0)
    assert r.train_predicted.dtype == np.int8
    assert np.all(np.isnan(r.train_accuracy)) and np.all(np.isnan(r.test_accuracy))
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [-1.0, -1.0]])
    mine = dataset_from_points(X, np.array([0, 1, 1, 0]), test_fraction=0.0, seed=0)
    r = train(SPEC, mine, [TrainRun(_sgd(0.1), 2)], epochs=5, n_frames=4, grid_size=10)
    assert r.test_predicted.shape == (r.frame_steps.shape[0], 1, 0)
    assert np.all(np.isnan(r.test_accuracy)) and r.train_predicted.shape[-1] == 4
    np.testing.assert_array_equal(r.train_accuracy, (r.train_predicted == mine.y_train).mean(-1))


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


# --------------------------------------------------------------------------- input features


def _same_result(a, b):
    for name in a._fields:
        x, y = getattr(a, name), getattr(b, name)
        for u, v in zip(x, y, strict=True) if isinstance(x, list | tuple) else [(x, y)]:
            np.testing.assert_array_equal(u, v, err_msg=name)
            assert np.asarray(u).dtype == np.asarray(v).dtype, name


def test_the_raw_features_are_the_default_bit_for_bit():
    runs = [TrainRun(_sgd(0.2, 0.9), 16), TrainRun(OPTIMIZERS["adam"](lr=0.01), 32, "sum", 0.01)]
    default = train(SPEC, MOONS, runs, epochs=2, grid_size=12, activation_points=20)
    explicit = train(SPEC, MOONS, runs, features=("x1", "x2"), epochs=2, grid_size=12,
                     activation_points=20)  # fmt: skip
    _same_result(default, explicit)
    sine = make_dataset("sine", 200, seed=0)
    reg = MLPSpec(1, (6,), 1, "tanh", "mse", "glorot")
    run = [TrainRun(OPTIMIZERS["adam"](lr=0.02), 16)]
    _same_result(train(reg, sine, run, epochs=2, grid_size=10),
                 train(reg, sine, run, features=("x1",), epochs=2, grid_size=10))  # fmt: skip


def test_squared_features_let_a_linear_model_draw_a_circle():
    data = make_dataset("circles", 400, seed=1)
    run = [TrainRun(OPTIMIZERS["adam"](lr=0.05), 32)]
    linear = MLPSpec(2, (), 1, "linear")
    raw = train(linear, data, run, epochs=30, grid_size=10)
    squares = train(MLPSpec(2, (), 1, "linear"), data, run, features=("x1sq", "x2sq"),
                    epochs=30, grid_size=16, activation_points=10)  # fmt: skip
    assert raw.test_accuracy[-1, 0] < 0.75
    assert squares.test_accuracy[-1, 0] > 0.97
    # Drawing stays in the raw plane: axes and activation points are raw inputs...
    np.testing.assert_array_equal(squares.activation_points, data.X_train[:10])
    xs, ys = squares.grid_axes
    assert xs.min() < data.X_train[:, 0].min() and ys.max() > data.X_train[:, 1].max()
    # ...and the grid is evaluated through the features: σ(w₁x² + w₂y² + b) at (x, y).
    w1, w2, b = squares.params[-1, 0]
    expected = 1 / (1 + np.exp(-(w1 * xs[None, :] ** 2 + w2 * ys[:, None] ** 2 + b)))
    np.testing.assert_allclose(squares.grid_output[-1, 0], expected, rtol=2e-5, atol=1e-6)


def test_sine_features_fit_a_sine_with_a_linear_model_on_1d_data():
    sine = make_dataset("sine", 300, seed=0)
    spec = MLPSpec(2, (), 1, "linear", "mse")
    r = train(spec, sine, [TrainRun(OPTIMIZERS["adam"](lr=0.05), 16)], features=("x1", "sin1"),
              epochs=40, grid_size=25)  # fmt: skip
    assert len(r.grid_axes) == 1 and r.grid_output.shape[-1] == 25
    assert r.test_loss[-1, 0] < 0.01  # noise 0.1: ½σ² = 0.005
    # On standardised x = (u − m)/s, sin(u) = sin(s·x + m); the fit's grid is a smooth curve.
    w1, w2, b = r.params[-1, 0]
    (xs,) = r.grid_axes
    np.testing.assert_allclose(r.grid_output[-1, 0], w1 * xs + w2 * np.sin(xs) + b, rtol=1e-5,
                               atol=1e-5)  # fmt: skip


@pytest.mark.parametrize(
    ("data", "spec", "features", "message"),
    [
        (MOONS, SPEC, ("x1", "x2", "x1sq"),
         r"takes 2 inputs; the features \['x1', 'x2', 'x1sq'\] give 3"),
        (MOONS, SPEC, ("x1", "x1"), "repeated"),
        (MOONS, SPEC, ("x1", "cos1"), "Unknown feature 'cos1'"),
        (MOONS, SPEC, (), "at least one feature"),
        (make_dataset("sine", 100), MLPSpec(2, (4,), 1, output="mse"), ("x1", "x2"),
         "Feature 'x2' .* needs x₂"),
    ],
)  # fmt: skip
def test_features_that_do_not_fit_are_refused(data, spec, features, message):
    with pytest.raises(ValueError, match=message):
        train(spec, data, [TrainRun(_sgd(0.1), 8)], features=features, epochs=1)


def test_the_work_limit_counts_the_feature_inputs():
    spec = MLPSpec(7, (64,) * 6, 1)  # P counts 7 inputs: (7 + 1)·64 weights in layer 1
    with pytest.raises(ValueError, match="multiply-adds; the limit is") as error:
        train(spec, MOONS, [TrainRun(_sgd(0.1), 32)], features=tuple(FEATURES), epochs=9000,
              grid_size=10)  # fmt: skip
    T, frames = 9000 * 10, 120
    expected = 3 * T * 32 * spec.n_params + frames * (320 + 80 + 100 + 200) * spec.n_params
    assert f"about {expected:,} multiply-adds" in str(error.value)


def test_l1_trains_differently_and_shrinks_the_weights():
    runs = [TrainRun(_sgd(0.2, 0.9), 16), TrainRun(_sgd(0.2, 0.9), 16, l1=0.005)]
    r = train(SPEC, MOONS, runs, epochs=10, grid_size=10)
    np.testing.assert_array_equal(r.params[0, 0], r.params[0, 1])  # same start
    abs_w = np.abs(r.params[-1] * SPEC.weight_mask).sum(axis=-1)
    assert abs_w[1] < 0.8 * abs_w[0]
    # L1 is in the batch loss the optimizer saw, not in the reported data loss.
    first = r.batch_loss[0]
    w0 = np.abs(r.params[0, 0] * SPEC.weight_mask).sum()
    assert first[1] - first[0] == pytest.approx(0.005 * w0, rel=1e-10, abs=0)


# --------------------------------------------------------------------------- your own points


def test_points_are_split_and_standardised_exactly_as_make_dataset_does():
    seed, n = 4, 300
    data_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[0])
    X, y = DATASETS["moons"].generate(n, DATASETS["moons"].default_noise, data_rng)
    own = dataset_from_points(X, y, seed=seed, test_fraction=0.25)
    drawn = make_dataset("moons", n, seed=seed, test_fraction=0.25)
    for name in ("X_train", "y_train", "X_test", "y_test", "mean", "std"):
        np.testing.assert_array_equal(getattr(own, name), getattr(drawn, name), err_msg=name)
    assert (own.key, own.task, own.n_classes, own.label_noise) == ("custom", "classification",
                                                                   2, 0.0)  # fmt: skip
    assert not own.X_train.flags.writeable
    raw = dataset_from_points(X, y, seed=seed, standardize=False, key="mine")
    np.testing.assert_array_equal(raw.mean, [0, 0])
    np.testing.assert_array_equal(raw.std, [1, 1])
    assert raw.key == "mine"


def test_points_for_regression_and_more_classes_than_present():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    reg = dataset_from_points(X, [0.5, -1.0, 2.0, 0.0], task="regression", test_fraction=0.0)
    assert reg.n_classes == 1 and reg.n_inputs == 1 and len(reg.X_train) == 4
    np.testing.assert_allclose(reg.X_train.mean(), 0.0, atol=1e-15)
    np.testing.assert_allclose(reg.X_train.std(), 1.0, rtol=1e-15)
    three = dataset_from_points(np.eye(2)[[0, 1, 0, 1]], [0, 1, 1, 0], n_classes=3)
    assert three.n_classes == 3 and len(three.X_train) + len(three.X_test) == 4
    assert (
        len(dataset_from_points([[0.0, 1.0], [1.0, 0.0]], [0, 1], test_fraction=0.9).X_train) == 1
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([[0.0, 1.0]], [0]), {}, "between 2 and 20000 points, got 1"),
        (([[0.0, 1.0, 2.0]] * 3, [0, 1, 0]), {}, r"X must have shape \(n, 1\) or \(n, 2\)"),
        (([[0.0, 1.0]] * 3, [0, 1]), {}, r"y must have shape \(3,\)"),
        (([[0.0, np.nan], [1.0, 1.0]], [0, 1]), {}, "finite"),
        (([[0.0], [1.0]], [0, np.inf]), {"task": "regression"}, "finite"),
        (([[0.0], [1.0]], [0, 0.5]), {}, "integers from 0 to 9, got 0.5"),
        (([[0.0], [1.0]], [0, -1]), {}, "got -1"),
        (([[0.0], [1.0]], [0, 3]), {"n_classes": 3}, "integers from 0 to 2, got 3"),
        (([[0.0], [1.0]], [1, 1]), {"n_classes": 2}, "at least 2 distinct classes"),
        (([[0.0], [1.0]], [0, 1]), {"n_classes": 11}, "from 2 to 10, got 11"),
        (([[0.0], [1.0]], [0, 1]), {"task": "ranking"}, "task must be"),
        (([[0.0], [1.0]], [0, 1]), {"task": "regression", "n_classes": 2}, "n_classes=1"),
        (([[0.0], [1.0]], [0, 1]), {"test_fraction": 0.95}, "test_fraction"),
        (([["a"], ["b"]], [0, 1]), {}, "must be numbers"),
    ],
)
def test_bad_points_are_refused(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        dataset_from_points(*args, **kwargs)


def test_clicked_points_join_the_training_set_only_in_the_standardised_frame():
    base = make_dataset("moons", 200, seed=0)
    more = with_extra_training_points(base, [[0.5, -0.5], [3.0, 3.0]], [1, 2])
    assert len(more.X_train) == len(base.X_train) + 2 and more.n_classes == 3
    np.testing.assert_array_equal(more.X_train[-2:], [[0.5, -0.5], [3.0, 3.0]])
    np.testing.assert_array_equal(more.y_train[:-2], base.y_train)
    np.testing.assert_array_equal(more.y_train[-2:], [1, 2])
    assert more.X_test is base.X_test and more.mean is base.mean and more.std is base.std
    assert len(base.X_train) == 160 and base.n_classes == 2  # the original is untouched
    assert with_extra_training_points(base, [[0.0, 0.0]], [1]).n_classes == 2
    # The grown set trains: the new point is in the batches.
    spec = MLPSpec(2, (4,), 3, "relu", "softmax_ce")
    r = train(spec, more, [TrainRun(_sgd(0.1), 162)], epochs=1, grid_size=10)
    assert r.frame_examples[-1, 0] == 162
    sine = make_dataset("sine", 50, seed=0)
    assert len(with_extra_training_points(sine, [[0.1]], [2.5]).X_train) == 41


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        ([[0.0]], [1], r"X must have shape \(n, 2\)"),
        ([[0.0, np.nan]], [1], "finite"),
        ([[0.0, 0.0]], [3], "integers from 0 to 2, got 3"),
        ([[0.0, 0.0]], [0.5], "got 0.5"),
        ([[0.0, 0.0]] * 20_000, [0] * 20_000, "At most 20000 examples in all"),
    ],
)
def test_bad_clicked_points_are_refused(X, y, message):
    with pytest.raises(ValueError, match=message):
        with_extra_training_points(MOONS, X, y)
