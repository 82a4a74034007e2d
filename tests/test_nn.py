"""The MLP: hand-written backprop agrees with finite differences (and with torch when present)."""

import itertools

import numpy as np
import pytest

from engine.nn import (
    ACTIVATIONS,
    MLPSpec,
    NetworkObjective,
    accuracy,
    example_losses,
    forward,
    init_params,
    loss_and_grad,
    predictions,
    unflatten,
)

ARCHITECTURES = [(), (5,), (4, 3), (3, 4, 3)]
OUTPUTS = [("sigmoid_bce", 1), ("softmax_ce", 3), ("mse", 1), ("hinge", 1)]
TABLE = list(itertools.product(ARCHITECTURES, ACTIVATIONS, OUTPUTS))


def _batch(spec, B=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(B, spec.n_inputs))
    if spec.output == "mse":
        y = rng.normal(size=B)
    else:
        y = rng.integers(0, max(2, spec.n_outputs), B).astype(float)
    return X, y


def _fd_grad(spec, params, X, y, reduction, l2, h=1e-6):
    fd = np.zeros_like(params)
    for j in range(params.shape[1]):
        e = np.zeros_like(params)
        e[:, j] = h
        up = loss_and_grad(spec, params + e, X, y, reduction, l2)[0]
        down = loss_and_grad(spec, params - e, X, y, reduction, l2)[0]
        fd[:, j] = (up - down) / (2 * h)
    return fd


@pytest.mark.parametrize(("hidden", "activation", "output"), TABLE)
def test_backprop_matches_central_differences(hidden, activation, output):
    name, units = output
    spec = MLPSpec(2, hidden, units, activation, name, "glorot")
    rng = np.random.default_rng(len(hidden) * 7 + ACTIVATIONS.index(activation))
    params = np.stack([init_params(spec, rng) + 0.1 * rng.normal(size=spec.n_params)] * 2)
    params[1] += 0.2 * rng.normal(size=spec.n_params)  # two different networks at once
    X, y = _batch(spec)
    for reduction, l2 in (("mean", 0.0), ("sum", 0.3)):
        _, grad = loss_and_grad(spec, params, X, y, reduction, l2)
        fd = _fd_grad(spec, params, X, y, reduction, l2)
        error = np.linalg.norm(grad - fd, axis=1) / np.maximum(
            np.linalg.norm(grad, axis=1) + np.linalg.norm(fd, axis=1), 1e-12
        )
        assert np.all(error < 1e-6), (reduction, error)


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
        ({"hidden": (65,)}, "between 1 and 64, got 65"),
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
