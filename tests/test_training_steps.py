"""replay_step reproduces train's steps exactly (the seed's loop, opened up); unit_maps draws
every unit over the raw input plane, ending with train's own grid."""

import numpy as np
import pytest

from engine.batching import BatchSchedule, make_batches
from engine.datasets import make_dataset
from engine.nn import MLPSpec, forward, loss_and_grad, predictions
from engine.optimizers import OPTIMIZERS
from engine.training import TrainRun, replay_step, train, unit_maps

MOONS = make_dataset("moons", 400, seed=0)
SPEC = MLPSpec(2, (8,), 1, "tanh", "sigmoid_bce", "glorot")


def _sgd(lr, momentum=0.0):
    return OPTIMIZERS["sgd"](lr=lr, momentum=momentum)


# --------------------------------------------------------------------------- replay_step

REPLAY_SPEC = MLPSpec(2, (8, 8), 1, "relu", "sigmoid_bce", "he")
REPLAY_RUNS = [
    TrainRun(_sgd(0.1, 0.9), 1),
    TrainRun(OPTIMIZERS["adam"](lr=0.01), 1, "sum", l2=0.001, l1=0.0005),
    TrainRun(_sgd(0.1, 0.9), 32, l1=0.001),
    TrainRun(OPTIMIZERS["adam"](lr=0.01), 32, "sum", l2=0.01),
    TrainRun(_sgd(0.1 / 320, 0.9), 320, "sum", l2=0.01, l1=0.001),
    TrainRun(OPTIMIZERS["adam"](lr=0.01), 320, "mean", l2=0.001),
]
REPLAY_EPOCHS = 6


@pytest.fixture(scope="module")
def replayed():
    result = train(REPLAY_SPEC, MOONS, REPLAY_RUNS, epochs=REPLAY_EPOCHS, n_frames=7, grid_size=10)
    details = {
        (k, int(t)): replay_step(REPLAY_SPEC, MOONS, run, int(t), epochs=REPLAY_EPOCHS)
        for k, run in enumerate(REPLAY_RUNS)
        for t in result.frame_steps[:-1, k]
    }
    return result, details


def test_replay_reproduces_train_exactly_at_every_frame(replayed):
    result, details = replayed
    assert np.all(result.diverged_at == -1)
    np.testing.assert_array_equal(result.n_steps, [1920, 1920, 60, 60, 6, 6])
    for (k, t), d in details.items():
        f = int(np.flatnonzero(result.frame_steps[:, k] == t)[0])
        assert np.array_equal(d.params_before, result.params[f, k]), (k, t)
        assert d.batch_loss == result.batch_loss[t, k], (k, t)
        assert d.step == t and not d.diverged
        if result.frame_steps[f + 1, k] == t + 1:  # consecutive frames (the full batch)
            assert np.array_equal(d.params_after, result.params[f + 1, k]), (k, t)
    for k, run in enumerate(REPLAY_RUNS):  # the last step ends where train ended
        T = int(result.n_steps[k])
        last = replay_step(REPLAY_SPEC, MOONS, run, T - 1, epochs=REPLAY_EPOCHS)
        assert np.array_equal(last.params_after, result.params[-1, k]), k


def test_replay_sees_the_schedule_batches_and_paired_runs_share_them(replayed):
    result, details = replayed
    P = REPLAY_SPEC.n_params
    np.testing.assert_array_equal(result.params[0], np.broadcast_to(result.params[0, 0], (6, P)))
    for (k, t), d in details.items():
        schedule = BatchSchedule(320, REPLAY_RUNS[k].batch_size, seed=0)
        batches = make_batches(schedule, t + 1)
        np.testing.assert_array_equal(d.batch_index, batches.batch(t))
        assert d.epoch == batches.epoch[t] == t // (320 // REPLAY_RUNS[k].batch_size)
        partner = k + 1 if k % 2 == 0 else k - 1  # the other run with this batch size
        np.testing.assert_array_equal(d.batch_index, details[partner, t].batch_index)
        np.testing.assert_array_equal(d.batch_inputs, MOONS.X_train[d.batch_index])
        np.testing.assert_array_equal(d.batch_targets, MOONS.y_train[d.batch_index])


def test_replay_numbers_are_the_loop_of_the_seed(replayed):
    _, details = replayed
    for (k, _t), d in details.items():
        run = REPLAY_RUNS[k]
        X, y, w = d.batch_inputs, d.batch_targets, REPLAY_SPEC.weight_mask
        loss, grad = loss_and_grad(REPLAY_SPEC, d.params_before[None], X, y, run.reduction,
                                   run.l2, run.l1)  # fmt: skip
        np.testing.assert_array_equal(d.grad, grad[0])
        assert d.batch_loss == loss[0]
        c = 1 / len(X) if run.reduction == "mean" else 1.0
        penalty = 0.5 * run.l2 * np.sum((d.params_before * w) ** 2) + run.l1 * np.sum(
            np.abs(d.params_before * w)
        )
        assert c * d.example_losses.sum() + penalty == pytest.approx(d.batch_loss, rel=1e-12)
        logits = forward(REPLAY_SPEC, d.params_before[None], X).logits
        np.testing.assert_array_equal(d.outputs, predictions(REPLAY_SPEC, logits)[0])
        np.testing.assert_array_equal(d.update, d.params_after - d.params_before)
        after = loss_and_grad(REPLAY_SPEC, d.params_after[None], X, y, run.reduction, run.l2,
                              run.l1)[0][0]  # fmt: skip
        assert d.batch_loss_after == after
        for norms, vector in ((d.grad_norms, d.grad), (d.update_norms, d.update)):
            assert norms.shape == (3,)
            w1 = np.concatenate([vector[:16], vector[16:24]])  # layer 1: W (2×8), b (8)
            assert norms[0] == pytest.approx(np.linalg.norm(w1), rel=1e-14)
            assert np.sum(norms**2) == pytest.approx(np.sum(vector**2), rel=1e-12)
    full = details[5, 0]  # Adam's first step: m̂ = g, v̂ = g², so θ moves by −γ·g/(|g| + ε)
    np.testing.assert_allclose(full.update, -0.01 * full.grad / (np.abs(full.grad) + 1e-8),
                               rtol=1e-12, atol=1e-18)  # fmt: skip
    assert full.batch_loss_after < full.batch_loss


def test_replay_with_features_on_1d_and_softmax_data():
    sine = make_dataset("sine", 200, seed=0)
    spec = MLPSpec(3, (5,), 1, "tanh", "mse", "glorot")
    run = TrainRun(OPTIMIZERS["adam"](lr=0.02), 16, l1=0.001)
    feats = ("x1", "x1sq", "sin1")
    r = train(spec, sine, [run], features=feats, epochs=3, n_frames=5, grid_size=10)
    t = int(r.frame_steps[2, 0])
    d = replay_step(spec, sine, run, t, features=feats, epochs=3)
    assert np.array_equal(d.params_before, r.params[2, 0])
    assert d.batch_inputs.shape == (16, 1) and d.outputs.shape == (16,)
    blobs = make_dataset("blobs3", 300, seed=0)
    soft = MLPSpec(2, (6,), 3, "relu", "softmax_ce")
    run = TrainRun(_sgd(0.1, 0.9), 8)
    r = train(soft, blobs, [run], epochs=1, n_frames=4, grid_size=10)
    d = replay_step(soft, blobs, run, int(r.frame_steps[1, 0]), epochs=1)
    assert np.array_equal(d.params_before, r.params[1, 0])
    assert d.outputs.shape == (8, 3)
    np.testing.assert_allclose(d.outputs.sum(-1), 1.0, rtol=1e-14)


def test_replay_of_a_diverged_run_is_nan_and_does_not_raise():
    spec = MLPSpec(2, (8,), 1, "relu")
    runs = [TrainRun(_sgd(1e4), 8), TrainRun(_sgd(0.1), 8)]
    r = train(spec, MOONS, runs, epochs=2, grid_size=10)
    at = int(r.diverged_at[0])
    assert at >= 1
    gone = replay_step(spec, MOONS, runs[0], at, epochs=2)
    assert gone.diverged and np.isnan(gone.batch_loss) and np.isnan(gone.batch_loss_after)
    for name in ("params_before", "params_after", "grad", "update", "outputs", "grad_norms"):
        assert np.all(np.isnan(getattr(gone, name))), name
    assert len(gone.batch_index) == 8  # the batch itself is still known
    last = replay_step(spec, MOONS, runs[0], at - 1, epochs=2)  # the step that blew up
    assert not last.diverged and np.all(np.isfinite(last.params_before))
    assert np.all(np.isnan(last.params_after))


@pytest.mark.parametrize(("step", "message"), [(40, "between 0 and 39 .* got 40"),
                                               (-1, "got -1"), (True, "an integer")])  # fmt: skip
def test_replay_refuses_steps_outside_the_run(step, message):
    with pytest.raises(ValueError, match=message):
        replay_step(SPEC, MOONS, TrainRun(_sgd(0.1), 16), step, epochs=2)


# --------------------------------------------------------------------------- unit_maps


def test_unit_maps_end_with_the_frames_grid_output_exactly():
    blobs = make_dataset("blobs3", 300, seed=0)
    cases = [
        (MOONS, MLPSpec(4, (5, 3), 1, "tanh"), ("x1", "x2", "x1x2", "sin1")),
        (blobs, MLPSpec(2, (6,), 3, "relu", "softmax_ce"), None),
        (make_dataset("sine", 200, seed=0), MLPSpec(2, (4,), 1, "tanh", "mse"), ("x1", "sin1")),
    ]
    for data, spec, feats in cases:
        r = train(spec, data, [TrainRun(OPTIMIZERS["adam"](lr=0.01), 16)] * 2, features=feats,
                  epochs=2, grid_size=15)  # fmt: skip
        maps = unit_maps(spec, r.params[-1, 1], feats, r.grid_axes)
        G = (15,) * len(r.grid_axes)
        assert [m.shape for m in maps] == [(u, *G) for u in (*spec.hidden, spec.n_outputs)]
        assert all(m.dtype == np.float32 for m in maps)
        grid = r.grid_output[-1, 1]
        expected = np.moveaxis(grid, -1, 0) if spec.output == "softmax_ce" else grid[None]
        np.testing.assert_array_equal(maps[-1], expected)


def test_unit_maps_rows_are_y_and_columns_are_x():
    spec = MLPSpec(2, (2,), 1, "linear", "mse")
    # Hidden units h₁ = x, h₂ = y (W₁ = I, b₁ = 0); output 2h₁ − h₂ + 0.5.
    params = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 2.0, -1.0, 0.5])
    xs, ys = np.linspace(-1, 1, 5), np.linspace(0, 3, 4)
    h, out = unit_maps(spec, params, None, (xs, ys))
    assert h.shape == (2, 4, 5) and out.shape == (1, 4, 5)
    np.testing.assert_array_equal(h[0], np.broadcast_to(xs.astype(np.float32), (4, 5)))
    np.testing.assert_array_equal(h[1], np.broadcast_to(ys.astype(np.float32)[:, None], (4, 5)))
    np.testing.assert_allclose(out[0], 2 * xs[None, :] - ys[:, None] + 0.5, rtol=1e-6)
    (h1,) = unit_maps(MLPSpec(1, (), 1, "linear", "mse"), [3.0, 1.0], None, (xs,))
    np.testing.assert_allclose(h1, [3 * xs + 1], rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"axes": (np.zeros(3),) * 3}, r"\(x, y\) or \(x,\), got 3 axes"),
        ({"axes": (np.zeros((2, 2)), np.zeros(3))}, "each axis must be 1 to 300 finite values"),
        ({"axes": (np.array([0.0, np.nan]), np.zeros(3))}, "finite"),
        ({"features": ("x1",)}, "takes 2 inputs"),
        ({"params": np.zeros(5)}, r"params must have shape \(33,\)"),
    ],
)
def test_unit_maps_refuses_bad_requests(kwargs, message):
    args = {"params": np.zeros(SPEC.n_params), "features": None,
            "axes": (np.zeros(3), np.zeros(4))} | kwargs  # fmt: skip
    with pytest.raises(ValueError, match=message):
        unit_maps(SPEC, args["params"], args["features"], args["axes"])
