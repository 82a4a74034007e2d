"""The MLP: hand-written backprop agrees with finite differences (and with torch when present);
the losses keep full precision at saturation (against 50-digit references)."""

import itertools
import warnings
from decimal import Decimal, getcontext

import numpy as np
import pytest

from engine.batching import BatchSchedule, make_batches
from engine.datasets import make_dataset
from engine.nn import (
    ACTIVATIONS,
    MLPSpec,
    NetworkObjective,
    accuracy,
    activate,
    example_losses,
    forward,
    init_params,
    loss_and_grad,
    predictions,
    unflatten,
)
from engine.nn import OUTPUTS as ALL_OUTPUTS
from engine.optimizers import OPTIMIZERS
from engine.problems import ProblemConfig, make_problem
from engine.runner import RunGroup, run
from engine.surfaces import SURFACES

ARCHITECTURES = [(), (5,), (4, 3), (3, 4, 3)]
OUTPUTS = [("sigmoid_bce", 1), ("softmax_ce", 3), ("mse", 1), ("hinge", 1), ("tanh_mse", 1)]
TABLE = list(itertools.product(ARCHITECTURES, ACTIVATIONS, OUTPUTS))


def _batch(spec, B=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(B, spec.n_inputs))
    if spec.output == "mse":
        y = rng.normal(size=B)
    else:
        y = rng.integers(0, max(2, spec.n_outputs), B).astype(float)
    return X, y


def _fd_grad(spec, params, X, y, reduction, l2, l1=0.0, h=1e-6):
    fd = np.zeros_like(params)
    for j in range(params.shape[1]):
        e = np.zeros_like(params)
        e[:, j] = h
        up = loss_and_grad(spec, params + e, X, y, reduction, l2, l1)[0]
        down = loss_and_grad(spec, params - e, X, y, reduction, l2, l1)[0]
        fd[:, j] = (up - down) / (2 * h)
    return fd


def test_the_table_covers_every_output():
    assert {name for name, _ in OUTPUTS} == set(ALL_OUTPUTS)


@pytest.mark.parametrize(("hidden", "activation", "output"), TABLE)
def test_backprop_matches_central_differences(hidden, activation, output):
    name, units = output
    spec = MLPSpec(2, hidden, units, activation, name, "glorot")
    rng = np.random.default_rng(len(hidden) * 7 + ACTIVATIONS.index(activation))
    params = np.stack([init_params(spec, rng) + 0.1 * rng.normal(size=spec.n_params)] * 2)
    params[1] += 0.2 * rng.normal(size=spec.n_params)  # two different networks at once
    # Away from L1's kink at W = 0 (central differences straddle it within h of zero).
    weights = spec.weight_mask == 1
    near = weights & (np.abs(params) < 0.05)
    params[near] = np.where(params[near] < 0, -0.05, 0.05)
    X, y = _batch(spec)
    for reduction, l2, l1 in (("mean", 0.0, 0.0), ("sum", 0.3, 0.0), ("mean", 0.3, 0.2),
                              ("sum", 0.1, 0.05)):  # fmt: skip
        _, grad = loss_and_grad(spec, params, X, y, reduction, l2, l1)
        fd = _fd_grad(spec, params, X, y, reduction, l2, l1)
        error = np.linalg.norm(grad - fd, axis=1) / np.maximum(
            np.linalg.norm(grad, axis=1) + np.linalg.norm(fd, axis=1), 1e-12
        )
        assert np.all(error < 1e-6), (reduction, l2, l1, error)


def test_layout_shapes_and_views():
    spec = MLPSpec(2, (16, 16), 1)
    assert spec.sizes == (2, 16, 16, 1)
    assert spec.n_params == 3 * 16 + 17 * 16 + 17 * 1 == 337
    params = np.arange(2 * 337, dtype=float).reshape(2, 337)
    layers = unflatten(spec, params)
    assert [W.shape for W, _ in layers] == [(2, 2, 16), (2, 16, 16), (2, 16, 1)]
    assert [b.shape for _, b in layers] == [(2, 16), (2, 16), (2, 1)]
    assert layers[0][0][1, 0, 1] == 337 + 1  # W_1 row-major first, then b_1
    assert layers[0][1][0, 0] == 32
    assert np.shares_memory(layers[1][0], params)  # views, not copies
    assert spec.weight_mask.sum() == 2 * 16 + 16 * 16 + 16


def test_k_networks_batched_equal_each_alone():
    spec = MLPSpec(2, (6, 5), 3, "tanh", "softmax_ce")
    rng = np.random.default_rng(3)
    params = rng.normal(size=(4, spec.n_params))
    X, y = _batch(spec, B=11)
    loss, grad = loss_and_grad(spec, params, X, y, "mean", 0.01)
    for k in range(4):
        lk, gk = loss_and_grad(spec, params[k : k + 1], X, y, "mean", 0.01)
        np.testing.assert_allclose(loss[k], lk[0], rtol=1e-13)
        np.testing.assert_allclose(grad[k], gk[0], rtol=1e-12, atol=1e-15)


def test_sum_is_b_times_mean_and_l2_skips_biases():
    spec = MLPSpec(2, (4,), 1, "relu")
    params = init_params(spec, np.random.default_rng(0))[None]
    X, y = _batch(spec, B=9)
    l_mean, g_mean = loss_and_grad(spec, params, X, y, "mean")
    l_sum, g_sum = loss_and_grad(spec, params, X, y, "sum")
    np.testing.assert_allclose(l_sum, 9 * l_mean, rtol=1e-13)
    np.testing.assert_allclose(g_sum, 9 * g_mean, rtol=1e-12, atol=1e-15)
    _, g_l2 = loss_and_grad(spec, params, X, y, "mean", l2=0.5)
    np.testing.assert_allclose(g_l2 - g_mean, 0.5 * params * spec.weight_mask, atol=1e-15)
    assert np.all((g_l2 - g_mean)[0, spec.weight_mask == 0] == 0)


def test_losses_are_numerically_stable_at_huge_logits():
    for name, units in OUTPUTS:
        spec = MLPSpec(2, (), units, "linear", name)
        logits = np.array([[[1e4] * units, [-1e4] * units]])
        y = np.array([0.0, 1.0])
        loss, dz = example_losses(spec, logits, y)
        assert np.all(np.isfinite(loss)) and np.all(np.isfinite(dz))
    bce = MLPSpec(2, (), 1, "linear", "sigmoid_bce")
    loss, _ = example_losses(bce, np.array([[[1e4], [-1e4]]]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(loss, [[1e4, 1e4]])


def test_predictions_and_accuracy():
    soft = MLPSpec(2, (), 3, "linear", "softmax_ce")
    logits = np.array([[[2.0, 0.0, 0.0], [0.0, 0.0, 5.0]]])
    probs = predictions(soft, logits)
    np.testing.assert_allclose(probs.sum(-1), 1.0)
    assert accuracy(soft, logits, np.array([0.0, 1.0]))[0] == 0.5
    hinge = MLPSpec(2, (), 1, "linear", "hinge")
    np.testing.assert_allclose(
        predictions(hinge, np.array([[[-3.0], [0.0], [0.5]]])), [[0, 0.5, 0.75]]
    )
    mse = MLPSpec(1, (), 1, "linear", "mse")
    assert np.isnan(accuracy(mse, np.zeros((1, 2, 1)), np.zeros(2))[0])


def test_forward_exposes_every_layer_and_float32_evaluation_agrees():
    spec = MLPSpec(2, (8, 8), 1, "relu")
    params = init_params(spec, np.random.default_rng(1))[None]
    X = np.random.default_rng(2).normal(size=(50, 2))
    fwd = forward(spec, params, X)
    assert [z.shape for z in fwd.pre] == [(1, 50, 8), (1, 50, 8), (1, 50, 1)]
    assert [a.shape for a in fwd.post] == [(1, 50, 8), (1, 50, 8)]
    np.testing.assert_array_equal(fwd.post[0], np.maximum(fwd.pre[0], 0))
    lean = forward(spec, params.astype(np.float32), X, keep_pre=False)
    assert lean.logits.dtype == np.float32
    np.testing.assert_allclose(lean.logits, fwd.logits, rtol=1e-5, atol=1e-5)


def test_initialisations():
    rng = np.random.default_rng(0)
    he = init_params(MLPSpec(2, (64, 64), 1, init="he"), rng)
    W2 = unflatten(MLPSpec(2, (64, 64), 1), he[None])[1][0]
    assert W2.std() == pytest.approx(np.sqrt(2 / 64), rel=0.05)
    glorot_spec = MLPSpec(2, (64, 64), 1, init="glorot")
    glorot = unflatten(glorot_spec, init_params(glorot_spec, rng)[None])
    for (W, b), (n_in, n_out) in zip(glorot, [(2, 64), (64, 64), (64, 1)], strict=True):
        limit = np.sqrt(6 / (n_in + n_out))
        assert np.abs(W).max() <= limit and np.abs(W).max() > 0.9 * limit
        assert np.all(b == 0)
    play_spec = MLPSpec(2, (4,), 1, init="playground")
    play = unflatten(play_spec, init_params(play_spec, rng)[None])
    assert np.all(play[0][1] == 0.1) and np.abs(play[0][0]).max() <= 0.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden": (4,) * 7}, "at most 6 hidden layers, got 7"),
        ({"hidden": (1025,)}, "between 1 and 1024, got 1025"),
        ({"hidden": (0,)}, "got 0"),
        ({"activation": "swish"}, "activation must be one of"),
        ({"output": "softmax_ce", "n_outputs": 1}, "softmax_ce needs 2 to 10 outputs, got 1"),
        ({"output": "mse", "n_outputs": 2}, "mse has one output unit"),
        ({"init": "zeros"}, "init must be one of"),
    ],
)
def test_bad_specs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        MLPSpec(**kwargs)


def test_network_objective_full_loss_is_the_mean_example_loss():
    spec = MLPSpec(2, (5,), 1)
    X, y = _batch(spec, B=40)
    objective = NetworkObjective(spec, X, y)
    params = np.random.default_rng(4).normal(size=(3, 2, spec.n_params))
    values = objective.value(params)
    assert values.shape == (3, 2)
    expected = loss_and_grad(spec, params.reshape(6, -1), X, y, "mean")[0].reshape(3, 2)
    np.testing.assert_allclose(values, expected, rtol=1e-13)
    with pytest.raises(ValueError, match="X must be"):
        NetworkObjective(spec, X[:, :1], y)


def test_gradient_equals_torch_autograd():
    torch = pytest.importorskip("torch")
    spec = MLPSpec(2, (6, 4), 1, "tanh", "sigmoid_bce")
    params = init_params(spec, np.random.default_rng(5))[None]
    X, y = _batch(spec, B=13)
    loss, grad = loss_and_grad(spec, params, X, y, "mean", l2=0.1)
    layers = unflatten(spec, params)
    tensors = [torch.tensor(a[0], requires_grad=True) for layer in layers for a in layer]
    h = torch.tensor(X)
    for i in range(0, len(tensors), 2):
        h = h @ tensors[i] + tensors[i + 1]
        if i < len(tensors) - 2:
            h = torch.tanh(h)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(h[:, 0], torch.tensor(y))
    total = bce + 0.05 * sum((w**2).sum() for w in tensors[::2])
    total.backward()
    torch_grad = np.concatenate(
        [np.concatenate([tensors[i].grad.numpy().ravel(), tensors[i + 1].grad.numpy()])
         for i in range(0, len(tensors), 2)]
    )  # fmt: skip
    assert loss[0] == pytest.approx(total.item(), rel=1e-12)
    np.testing.assert_allclose(grad[0], torch_grad, rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------------------- saturation

getcontext().prec = 50
LOGITS = [-800, -100, -40, -37, -30, -25, -5, 0, 5, 25, 30, 37, 40, 100, 800]
TINY = Decimal("2.2250738585072014e-308")  # below this float64 is subnormal: no reference


def _log1p(u):
    """ln(1 + u) to 50 digits even for u far below 1e-50 (the series, where 1 + u rounds)."""
    if u > Decimal("1e-6"):
        return (1 + u).ln()
    total, term, k = Decimal(0), u, 1
    while abs(term) > Decimal("1e-60") * u:
        total += term / k if k % 2 else -term / k
        k, term = k + 1, term * u
    return total


def _softplus(d):
    """ln(1 + eᵈ), exactly (to 50 digits)."""
    return d + _log1p((-d).exp()) if d > 0 else _log1p(d.exp())


def _sigmoid_ref(d):
    return 1 / (1 + (-d).exp())


def _relative_errors(got, exact):
    errors = []
    for g, e in zip(got, exact, strict=True):
        if e != 0 and abs(e) > TINY:  # representable and non-zero
            errors.append(abs((Decimal(float(g)) - e) / e))
        else:
            assert abs(float(g)) <= 5e-324  # the exact value underflows: so does ours
    return errors


@pytest.mark.parametrize("label", [0.0, 1.0])
def test_bce_loss_and_gradient_keep_full_precision_at_saturation(label):
    spec = MLPSpec(2, (), 1, "linear", "sigmoid_bce")
    z = np.array(LOGITS, dtype=np.float64)
    loss, dz = example_losses(spec, z[None, :, None], np.full(len(z), label))
    d = [Decimal(v) for v in LOGITS]
    # ℓ = ln(1 + eᶻ) − y·z, i.e. softplus(z) for y = 0 and softplus(−z) for y = 1.
    exact_loss = [_softplus(v) if label == 0 else _softplus(-v) for v in d]
    # σ(z) − 1 = −σ(−z): the reference must not cancel either.
    exact_grad = [_sigmoid_ref(v) if label == 0 else -_sigmoid_ref(-v) for v in d]
    errors = _relative_errors(loss[0], exact_loss) + _relative_errors(dz[0, :, 0], exact_grad)
    assert len(errors) >= 26 and max(errors) <= Decimal("1e-14")
    if label == 1:  # the old logaddexp(0, z) − y·z gave 9.2e-14 here (1.3 % off), 0 from z ≈ 37
        # log1p(e^−30) = e^−30 − e^−60/2 + …
        assert loss[0, LOGITS.index(30)] == pytest.approx(9.357622968839737e-14, rel=1e-15, abs=0)
        assert loss[0, LOGITS.index(40)] == pytest.approx(4.248354255291589e-18, rel=1e-15, abs=0)


def test_sigmoid_is_exact_for_large_negative_logits():
    z = np.array(LOGITS, dtype=np.float64)
    exact = [_sigmoid_ref(Decimal(v)) for v in LOGITS]
    bce = MLPSpec(2, (), 1, "linear", "sigmoid_bce")
    for got in (predictions(bce, z[None, :, None])[0], activate("sigmoid", z)):
        errors = _relative_errors(got, exact)
        assert len(errors) == len(LOGITS) - 1 and max(errors) <= Decimal("1e-14")
    assert predictions(bce, z[None, :, None])[0, LOGITS.index(-40)] == pytest.approx(
        4.248354255291589e-18, rel=1e-15, abs=0
    )  # ½(1 + tanh(z/2)) gave 0 here


def test_no_overflow_warning_at_any_finite_logit():
    bce = MLPSpec(2, (), 1, "linear", "sigmoid_bce")
    z = np.array([[[1e308], [-1e308], [709.0], [-746.0]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, dz = example_losses(bce, z, np.array([1.0, 0.0, 0.0, 1.0]))
        p = predictions(bce, z)
        p32 = predictions(bce, z[..., 2:, :].astype(np.float32))
    np.testing.assert_array_equal(loss, [[0.0, 0.0, 709.0, 746.0]])
    np.testing.assert_array_equal(dz[..., 0], [[0.0, 0.0, 1.0, -1.0]])
    np.testing.assert_array_equal(p, [[1.0, 0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(p32, [[1.0, 0.0]])
    assert p32.dtype == np.float32  # drawing-only float32 evaluation stays float32


# --------------------------------------------------------------------------- tanh_mse, L1


def test_tanh_mse_by_hand():
    spec = MLPSpec(2, (), 1, "linear", "tanh_mse")
    z = np.array([[[0.5], [-2.0], [0.0]]])
    y = np.array([1.0, 1.0, 0.0])
    loss, dz = example_losses(spec, z, y)
    out, t = np.tanh([0.5, -2.0, 0.0]), np.array([1.0, 1.0, -1.0])  # targets 2y − 1
    np.testing.assert_allclose(loss[0], 0.5 * (out - t) ** 2, rtol=1e-15)
    np.testing.assert_allclose(dz[0, :, 0], (out - t) * (1 - out**2), rtol=1e-15)
    assert loss[0, 2] == 0.5 and dz[0, 2, 0] == 1.0  # ŷ = 0, t = −1: ½, slope (0 + 1)·1
    np.testing.assert_allclose(predictions(spec, z)[0], (out + 1) / 2, rtol=1e-15)
    # z > 0 is class 1: z = 0.5 right, z = −2 wrong for y = 1, z = 0 right for y = 0.
    assert accuracy(spec, z, y)[0] == pytest.approx(2 / 3)
    assert accuracy(spec, z, np.array([1.0, 0.0, 0.0]))[0] == 1.0


def test_l1_adds_lambda_abs_weights_once_and_its_sign_on_weights_only():
    spec = MLPSpec(2, (4, 3), 1, "tanh")
    params = init_params(spec, np.random.default_rng(0))[None]
    params[0, spec.layers[0][0].start] = 0.0  # sign(0) = 0: an exact zero weight stays put
    X, y = _batch(spec, B=9)
    for reduction in ("mean", "sum"):
        base_loss, base_grad = loss_and_grad(spec, params, X, y, reduction, 0.1)
        loss, grad = loss_and_grad(spec, params, X, y, reduction, 0.1, l1=0.03)
        weights = params[0][spec.weight_mask == 1]
        assert loss[0] - base_loss[0] == pytest.approx(
            0.03 * np.abs(weights).sum(), rel=1e-12, abs=0
        )
        np.testing.assert_allclose(
            grad - base_grad, 0.03 * np.sign(params) * spec.weight_mask, rtol=1e-9, atol=1e-15
        )
        assert np.all((grad - base_grad)[0, spec.weight_mask == 0] == 0)  # no bias penalty
        assert grad[0, 0] == base_grad[0, 0]  # the zero weight


def test_network_objective_passes_l2_and_l1_through():
    spec = MLPSpec(2, (5,), 1, "relu")
    X, y = _batch(spec, B=30)
    objective = NetworkObjective(spec, X, y)
    params = np.random.default_rng(1).normal(size=(2, spec.n_params))
    idx = np.array([3, 7, 7, 20])
    got = objective.batch_loss_and_grad(params, idx, "sum", l2=0.2, l1=0.05)
    want = loss_and_grad(spec, params, X[idx], y[idx], "sum", 0.2, 0.05)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


class _WithoutL1(NetworkObjective):
    """The objective as it was before L1 existed: no ``l1`` keyword."""

    def batch_loss_and_grad(self, params, idx, reduction="mean", l2=0.0):
        index = np.asarray(idx, dtype=np.intp)
        return loss_and_grad(self.spec, np.asarray(params), self.X[index], self.y[index],
                             reduction, l2)  # fmt: skip


def _runner_setup():
    data = make_dataset("moons", 200, seed=3)
    spec = MLPSpec(2, (6,), 1, "tanh", init="glorot")
    start = init_params(spec, np.random.default_rng(0))[None]
    schedule = BatchSchedule(len(data.X_train), 16, seed=2)
    return spec, data, start, schedule


def test_runner_l1_trains_differently_and_l1_zero_is_bit_identical_to_before():
    spec, data, start, schedule = _runner_setup()
    sgd = OPTIMIZERS["sgd"](lr=0.2, momentum=0.9)
    now = NetworkObjective(spec, data.X_train, data.y_train)
    before = _WithoutL1(spec, data.X_train, data.y_train)
    plain = run(now, [RunGroup(sgd, start, schedule, "mean", 0.01)], 60)
    zero = run(now, [RunGroup(sgd, start, schedule, "mean", 0.01, l1=0.0)], 60)
    old = run(before, [RunGroup(sgd, start, schedule, "mean", 0.01)], 60)
    for traj in (zero, old):
        np.testing.assert_array_equal(traj.params, plain.params)
        np.testing.assert_array_equal(traj.batch_loss, plain.batch_loss)
    # With L1 beside a run without it (one call, λ₁ per run) the paths part; each equals its run
    # alone, number for number.
    both = run(now, [RunGroup(sgd, start, schedule, "mean", 0.01),
                     RunGroup(sgd, start, schedule, "mean", 0.01, l1=0.01)], 60)  # fmt: skip
    alone = run(now, [RunGroup(sgd, start, schedule, "mean", 0.01, l1=0.01)], 60)
    np.testing.assert_array_equal(both.params[:, 0], plain.params[:, 0])
    np.testing.assert_array_equal(both.params[:, 1], alone.params[:, 0])
    assert np.abs(both.params[-1, 1] - both.params[-1, 0]).max() > 1e-3
    # Step 0's gradient is exactly the L1 batch gradient of batch 0.
    idx = make_batches(schedule, 1).batch(0)
    _, g0 = loss_and_grad(spec, start, data.X_train[idx], data.y_train[idx], "mean", 0.01, 0.01)
    np.testing.assert_array_equal(alone.grads[0], g0)
    # L1 drives weights towards zero: a smaller Σ|W| at the end.
    l1_norm = [np.abs(t.params[-1, 0] * spec.weight_mask).sum() for t in (plain, alone)]
    assert l1_norm[1] < l1_norm[0]


def test_runner_refuses_l1_where_it_cannot_apply():
    spec, data, start, schedule = _runner_setup()
    sgd = OPTIMIZERS["sgd"](lr=0.1)
    with pytest.raises(ValueError, match=r"l1 must be finite and ≥ 0, got -0\.1"):
        run(NetworkObjective(spec, data.X_train, data.y_train),
            [RunGroup(sgd, start, schedule, l1=-0.1)], 5)  # fmt: skip
    with pytest.raises(ValueError, match="L1 needs an objective whose batch_loss_and_grad"):
        run(_WithoutL1(spec, data.X_train, data.y_train),
            [RunGroup(sgd, start, schedule, l1=0.1)], 5)  # fmt: skip
    problem = make_problem(ProblemConfig("logistic_regression"))
    ok = run(problem, [RunGroup(sgd, problem.default_start[None], l1=0.0)], 5)  # l1 not passed
    assert ok.diverged_at[0] == -1
    with pytest.raises(ValueError, match="L1 needs an objective"):
        run(problem, [RunGroup(sgd, problem.default_start[None], l1=0.1)], 5)
    with pytest.raises(ValueError, match="L1 needs a data objective"):
        run(SURFACES["booth"], [RunGroup(sgd, [[1.0, 1.0]], l1=0.1)], 5)


@pytest.mark.parametrize("output,n_out", OUTPUTS)
def test_per_network_reduction_l2_and_l1_equal_each_setting_number_for_number(output, n_out):
    """Networks that share a batch but differ in reduction, L2 or L1 share one pass: network
    k's loss and gradient are exactly those of the same call with k's settings for every
    network (the same products; only the scale and the penalties differ per row) — and equal
    to a call on k alone."""
    spec = MLPSpec(2, (5, 4), n_out, "tanh", output)
    rng = np.random.default_rng(11)
    params = rng.normal(size=(4, spec.n_params))
    params[2, :3] = 0.0  # weights at zero: sign(0) = 0 for L1
    X, y = _batch(spec, B=9)
    settings = [("mean", 0.0, 0.0), ("sum", 0.0, 0.0), ("mean", 0.03, 0.0), ("sum", 0.01, 0.02)]
    reductions, l2s, l1s = (list(column) for column in zip(*settings, strict=True))
    loss, grad = loss_and_grad(spec, params, X, y, reductions, l2s, l1s)
    for k, (reduction, l2, l1) in enumerate(settings):
        each_loss, each_grad = loss_and_grad(spec, params, X, y, reduction, l2, l1)
        assert loss[k] == each_loss[k]
        assert np.array_equal(grad[k], each_grad[k])
        alone_loss, alone_grad = loss_and_grad(spec, params[k : k + 1], X, y, reduction, l2, l1)
        np.testing.assert_allclose(loss[k], alone_loss[0], rtol=1e-13)
        np.testing.assert_allclose(grad[k], alone_grad[0], rtol=1e-12, atol=1e-15)
    # the settings matter: sum is B × mean for the same network, L2 and L1 add their terms
    same = np.repeat(params[:1], 2, axis=0)
    both_loss, both_grad = loss_and_grad(spec, same, X, y, ["mean", "sum"])
    np.testing.assert_allclose(both_loss[1], 9 * both_loss[0], rtol=1e-13)
    np.testing.assert_allclose(both_grad[1], 9 * both_grad[0], rtol=1e-12, atol=1e-15)
    # a diverged (NaN) network leaves the others as they are
    broken = params.copy()
    broken[1] = np.nan
    nan_loss, nan_grad = loss_and_grad(spec, broken, X, y, reductions, l2s, l1s)
    assert np.isnan(nan_loss[1]) and np.isnan(nan_grad[1]).any()  # hinge: 0 past the margin
    assert np.array_equal(np.delete(nan_loss, 1), np.delete(loss, 1))
    assert np.array_equal(np.delete(nan_grad, 1, axis=0), np.delete(grad, 1, axis=0))


def test_per_network_settings_are_checked():
    spec = MLPSpec(2, (3,), 1, "relu", "sigmoid_bce")
    params = np.zeros((2, spec.n_params))
    X, y = _batch(spec)
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum'"):
        loss_and_grad(spec, params, X, y, ["mean", "median"])
    with pytest.raises(ValueError, match="3 reductions for 2 networks"):
        loss_and_grad(spec, params, X, y, ["mean", "sum", "sum"])
    with pytest.raises(ValueError, match=r"l2 must be one number or one per network \(2\)"):
        loss_and_grad(spec, params, X, y, "mean", [0.1, 0.2, 0.3])
    # one value repeated is the scalar call
    a = loss_and_grad(spec, params + 0.3, X, y, ["sum", "sum"], [0.1, 0.1], [0.2, 0.2])
    b = loss_and_grad(spec, params + 0.3, X, y, "sum", 0.1, 0.2)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


class _Counting(NetworkObjective):
    def __init__(self, *args):
        super().__init__(*args)
        self.calls = 0

    def batch_loss_and_grad(self, *args, **kwargs):
        self.calls += 1
        return super().batch_loss_and_grad(*args, **kwargs)


def test_runner_trains_sum_mean_l2_and_l1_runs_of_one_batch_stream_in_one_call_each_step():
    """A comparison of reductions or penalties costs one forward and backward pass a step,
    and every run is still, number for number, the run trained alone."""
    spec, data, start, schedule = _runner_setup()
    sgd = OPTIMIZERS["sgd"](lr=0.05, momentum=0.9)
    objective = _Counting(spec, data.X_train, data.y_train)
    adam = OPTIMIZERS["adam"](lr=0.01)
    groups = [RunGroup(sgd, start, schedule, "mean"), RunGroup(sgd, start, schedule, "sum"),
              RunGroup(sgd, start, schedule, "mean", 0.05),
              RunGroup(adam, start, schedule, "sum", 0.0, l1=0.01)]  # fmt: skip
    T = 50
    together = run(objective, groups, T)
    assert objective.calls == T + 1  # one call a step for the four runs (and row T)
    for k, group in enumerate(groups):
        alone = run(NetworkObjective(spec, data.X_train, data.y_train), [group], T)
        for field in ("params", "grads", "batch_loss", "loss", "velocity"):
            np.testing.assert_array_equal(
                getattr(together, field)[:, k], getattr(alone, field)[:, 0]
            )
    assert len({round(float(together.loss[-1, k]), 9) for k in range(4)}) == 4  # all differ
    # another batch stream is another call
    other = BatchSchedule(len(data.X_train), 32, seed=2)
    objective.calls = 0
    run(objective, [*groups[:2], RunGroup(sgd, start, other, "sum")], T)
    assert objective.calls == 2 * (T + 1)


def test_a_network_without_a_penalty_gets_none_even_at_huge_weights():
    """0·∞ is NaN: a network whose λ is zero must not get a 0·W term beside one whose λ is
    not (its weights squared overflow here)."""
    spec = MLPSpec(2, (3,), 1, "relu", "mse")
    params = np.full((2, spec.n_params), 0.5)
    params[0, 0] = 1e200
    X, y = _batch(spec)
    with np.errstate(over="ignore", invalid="ignore"):  # as inside the runner
        loss, grad = loss_and_grad(spec, params, X, y, "mean", [0.0, 0.1], [0.0, 0.1])
        own_loss, own_grad = loss_and_grad(spec, params, X, y, "mean", 0.0, 0.0)
        with_loss, with_grad = loss_and_grad(spec, params, X, y, "mean", 0.1, 0.1)
    assert np.array_equal(loss[:1], own_loss[:1], equal_nan=True)
    assert np.array_equal(grad[0], own_grad[0], equal_nan=True)
    assert np.isfinite(grad[1]).all() and loss[1] == with_loss[1]
    assert np.array_equal(grad[1], with_grad[1])
