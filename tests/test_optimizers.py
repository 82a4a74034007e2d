"""Tests for engine/optimizers.py, driven by one table of optimizer configurations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.optimizers import OPTIMIZERS, apply_updates
from tests.optimizer_reference import reference_trajectory

# One table drives every test: the reference, purity, batched == looped, convergence, latex.
CONFIGS = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.05, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}),
    ("keras_sgd", {"lr": 0.05, "momentum": 0.9}),
    ("keras_sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adagrad", {"lr": 0.3}),
    (
        "adagrad",
        {"lr": 0.3, "lr_decay": 0.01, "weight_decay": 0.05, "initial_accumulator_value": 0.1},
    ),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5}),
    ("adam", {"lr": 0.05}),
    ("adam", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ("adamw", {"lr": 0.05}),
    ("adamw", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
]
IDS = [f"{k}-{i}" for i, (k, _) in enumerate(CONFIGS)]


def _run(key, hparams, params0, grads):
    """Engine trajectory for a fixed gradient sequence: (T, ...) params after each step."""
    opt = OPTIMIZERS[key](**hparams)
    state, params, out = opt.init(params0), params0, []
    for g in grads:
        updates, state = opt.update(g, state, params)
        params = apply_updates(params, updates)
        out.append(params)
    return np.array(out)


def _grad_sequence(rng, steps, shape):
    """Gradients whose scale changes over the run (so bias correction and accumulators matter)."""
    scale = np.exp(rng.standard_normal((steps,) + (1,) * len(shape)))
    return rng.standard_normal((steps, *shape)) * scale


def _close(actual, expected, rtol=1e-10):
    """Relative error of each trajectory against its own scale (robust near zero crossings)."""
    scale = np.maximum(np.max(np.abs(expected), axis=0), 1e-12)
    return np.max(np.abs(actual - expected) / scale) <= rtol


@pytest.mark.parametrize(("key", "hparams"), CONFIGS, ids=IDS)
def test_matches_naive_scalar_reference_over_300_steps(key, hparams):
    rng = np.random.default_rng(1)
    params0 = rng.standard_normal(3)
    grads = _grad_sequence(rng, 300, (3,))
    engine = _run(key, hparams, params0, grads)
    for i in range(3):
        ref = np.array(reference_trajectory(key, hparams, params0[i], list(grads[:, i])))
        assert _close(engine[:, i], ref), (key, hparams, np.max(np.abs(engine[:, i] - ref)))


@pytest.mark.parametrize(("key", "hparams"), CONFIGS, ids=IDS)
def test_update_is_pure(key, hparams):
    rng = np.random.default_rng(2)
    opt = OPTIMIZERS[key](**hparams)
    params = rng.standard_normal((4, 2))
    state = opt.init(params)
    for _ in range(3):  # get a non-trivial state first
        _, state = opt.update(rng.standard_normal((4, 2)), state, params)
    grads = rng.standard_normal((4, 2))
    frozen = [params, grads, *state]
    copies = [a.copy() for a in frozen]
    for a in frozen:
        a.flags.writeable = False  # any in-place write would raise
    opt.update(grads, state, params)
    for before, after in zip(copies, frozen, strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(("key", "hparams"), CONFIGS, ids=IDS)
def test_batched_equals_looped_with_per_run_hyperparameters(key, hparams):
    """K runs with K learning rates in one call == K separate calls (torch's foreach lesson)."""
    rng = np.random.default_rng(3)
    lrs = np.array([0.01, 0.03, 0.1, 0.2])
    params0 = rng.standard_normal((4, 2))
    grads = _grad_sequence(rng, 60, (4, 2))
    batched = _run(key, {**hparams, "lr": lrs[:, None]}, params0, grads)
    for k, lr in enumerate(lrs):
        looped = _run(key, {**hparams, "lr": lr}, params0[k], grads[:, k])
        np.testing.assert_array_equal(batched[:, k], looped)


def test_per_run_momentum_batched_equals_looped_including_zero_momentum():
    """μ = 0 in one run must behave like plain SGD even with dampening on (torch skips it)."""
    rng = np.random.default_rng(4)
    mus = np.array([0.0, 0.5, 0.9])
    params0 = rng.standard_normal((3, 2))
    grads = _grad_sequence(rng, 40, (3, 2))
    hp = {"lr": 0.05, "dampening": 0.4}
    batched = _run("sgd", {**hp, "momentum": mus[:, None]}, params0, grads)
    for k, mu in enumerate(mus):
        looped = _run("sgd", {**hp, "momentum": mu}, params0[k], grads[:, k])
        np.testing.assert_allclose(batched[:, k], looped, rtol=1e-15, atol=0)


# Final distance to the minimum after 3000 steps, where it is not ~1e-15; each with its reason.
SLOW = {
    "adagrad-7": 0.2,  # lr decays like 1/t (lr_decay): still creeping towards the minimum
    "rmsprop-9": 1e-2,  # momentum on normalised steps keeps a small orbit at this lr
    "adamw-13": 1e-2,  # decoupled decay pulls against Adam's unit-size steps: small orbit
    "adamw-14": 0.5,  # λ = 0.3 has no fixed point (|Adam step| → 1 > |λθ|): it cycles nearby
}


@pytest.mark.parametrize(("key", "hparams"), CONFIGS, ids=IDS)
def test_converges_to_the_minimum_of_a_quadratic(key, hparams, request):
    """½(θ − c)ᵀ diag(1, 4) (θ − c): every config ends at the minimum, shifted by coupled L2."""
    curv, target = np.array([1.0, 4.0]), np.array([1.0, -2.0])
    opt = OPTIMIZERS[key](**hparams)
    params = np.array([-3.0, 3.0])
    state = opt.init(params)
    for _ in range(3000):
        updates, state = opt.update(curv * (params - target), state, params)
        params = apply_updates(params, updates)
    # Coupled L2 moves the minimum to that of f + λ/2‖θ‖²; AdamW's decay is not an L2 term.
    wd = 0.0 if key == "adamw" else hparams.get("weight_decay", 0.0)
    expected = curv * target / (curv + wd)
    tol = SLOW.get(request.node.callspec.id, 1e-9)
    np.testing.assert_allclose(params, expected, atol=tol, rtol=0)


def test_hand_worked_first_steps():
    theta = np.array([1.0])
    # SGD, momentum 0.9, dampening 0.5: b1 = g1 = 2 → θ = 1 − 0.1·2 = 0.8;
    # b2 = 0.9·2 + 0.5·1 = 2.3 → θ = 0.8 − 0.23 = 0.57.
    out = _run("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}, theta, [[2.0], [1.0]])
    np.testing.assert_allclose(out[:, 0], [0.8, 0.57], rtol=1e-15)
    # Nesterov μ = 0.5: b1 = 2, g = 2 + 0.5·2 = 3 → θ = 1 − 0.3 = 0.7.
    out = _run("sgd", {"lr": 0.1, "momentum": 0.5, "nesterov": True}, theta, [[2.0]])
    np.testing.assert_allclose(out[:, 0], [0.7], rtol=1e-15)
    # Adam's first step is lr·sign(g) (up to ε): m̂ = g, v̂ = g².
    out = _run("adam", {"lr": 0.1}, theta, [[-5.0]])
    np.testing.assert_allclose(out[:, 0], [1.0 + 0.1 * 5 / (5 + 1e-8)], rtol=1e-15)
    # AdamW: θ(1 − γλ) − γ·sign(g) = 1·(1 − 0.1·0.5) − 0.1.
    out = _run("adamw", {"lr": 0.1, "weight_decay": 0.5}, theta, [[3.0]])
    np.testing.assert_allclose(out[:, 0], [0.95 - 0.1 * 3 / (3 + 1e-8)], rtol=1e-15)
    # Adagrad: s = g² → θ = 1 − 0.5·g/(|g| + ε); second step lr decays to 0.5/(1 + 0.1).
    out = _run("adagrad", {"lr": 0.5, "lr_decay": 0.1}, theta, [[4.0], [3.0]])
    np.testing.assert_allclose(out[:, 0], [0.5, 0.5 - 0.5 / 1.1 * 3 / 5], rtol=1e-9)
    # RMSprop: v = 0.01·g² → step = lr·g/(0.1|g| + ε) ≈ 10·lr.
    out = _run("rmsprop", {"lr": 0.01}, theta, [[2.0]])
    np.testing.assert_allclose(out[:, 0], [1.0 - 0.01 * 2 / (0.2 + 1e-8)], rtol=1e-14)


@pytest.mark.parametrize("nesterov", [False, True])
def test_keras_form_equals_torch_form_at_constant_lr(nesterov):
    """v = −γ·b turns one convention into the other (REFERENCE §1)."""
    rng = np.random.default_rng(5)
    params0, grads = rng.standard_normal(2), _grad_sequence(rng, 200, (2,))
    hp = {"lr": 0.03, "momentum": 0.9, "nesterov": nesterov}
    np.testing.assert_allclose(
        _run("keras_sgd", hp, params0, grads), _run("sgd", hp, params0, grads), rtol=1e-11
    )


def test_adamw_without_decay_is_adam_and_state_names_are_torchs():
    rng = np.random.default_rng(6)
    params0, grads = rng.standard_normal(2), _grad_sequence(rng, 100, (2,))
    np.testing.assert_array_equal(
        _run("adamw", {"lr": 0.01, "weight_decay": 0.0}, params0, grads),
        _run("adam", {"lr": 0.01}, params0, grads),
    )
    state = OPTIMIZERS["adam"]().init(params0)
    assert state._fields == ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    assert OPTIMIZERS["sgd"]().init(params0)._fields == ("step", "momentum_buffer")


@pytest.mark.parametrize("key", ["adam", "rmsprop", "adagrad"])
def test_adaptive_optimizers_are_scale_invariant(key):
    """Multiplying every gradient by B = 32 (sum instead of mean) barely moves Adam & co."""
    rng = np.random.default_rng(7)
    params0, grads = rng.standard_normal(2), _grad_sequence(rng, 200, (2,))
    mean_path = _run(key, {"lr": 0.01}, params0, grads)
    sum_path = _run(key, {"lr": 0.01}, params0, 32.0 * grads)
    assert 0 < np.max(np.abs(sum_path - mean_path)) < 1e-5


def test_sgd_sum_with_lr_over_b_equals_mean():
    """Summing B gradients is B × the mean; lr/B undoes it exactly up to rounding."""
    rng = np.random.default_rng(8)
    b = 16
    per_example = rng.standard_normal((100, b, 2))
    params0 = rng.standard_normal(2)
    hp = {"momentum": 0.9}
    mean_path = _run("sgd", {**hp, "lr": 0.1}, params0, per_example.mean(axis=1))
    sum_path = _run("sgd", {**hp, "lr": 0.1 / b}, params0, per_example.sum(axis=1))
    np.testing.assert_allclose(sum_path, mean_path, rtol=1e-12)
    same_lr = _run("sgd", {**hp, "lr": 0.1}, params0, per_example.sum(axis=1))
    assert np.max(np.abs(same_lr - mean_path)) > 1.0  # without rescaling they really differ


BAD = [
    ("sgd", {"lr": -0.1}, "-0.1"),
    ("sgd", {"lr": float("nan")}, "nan"),
    ("sgd", {"momentum": 1.0}, "1.0"),
    ("sgd", {"momentum": -0.5}, "-0.5"),
    ("sgd", {"momentum": 0.9, "dampening": 0.1, "nesterov": True}, "0.1"),
    ("sgd", {"nesterov": True}, "momentum=0.0"),
    ("sgd", {"weight_decay": -1e-3}, "-0.001"),
    ("sgd", {"lr": np.array([[0.1], [-2.0]])}, "-2.0"),
    ("keras_sgd", {"momentum": 1.5}, "1.5"),
    ("adagrad", {"lr_decay": -1.0}, "-1.0"),
    ("adagrad", {"eps": -1e-10}, "-1e-10"),
    ("rmsprop", {"alpha": 1.0}, "1.0"),
    ("rmsprop", {"momentum": 2.0}, "2.0"),
    ("adam", {"betas": (1.0, 0.999)}, "1.0"),
    ("adam", {"betas": (0.9, -0.1)}, "-0.1"),
    ("adam", {"eps": float("inf")}, "inf"),
    ("adamw", {"weight_decay": -0.01}, "-0.01"),
]


@pytest.mark.parametrize(("key", "hparams", "quoted"), BAD)
def test_bad_hyperparameters_raise_with_the_value_quoted(key, hparams, quoted):
    with pytest.raises(ValueError, match=quoted.replace(".", r"\.").replace("+", r"\+")):
        OPTIMIZERS[key](**hparams)


def test_hyperparameter_array_that_does_not_match_the_runs_is_refused():
    opt = OPTIMIZERS["sgd"](lr=np.array([0.1, 0.2, 0.3]))  # (3,) broadcasts along coordinates
    with pytest.raises(ValueError, match=r"does not broadcast to \(4, 1\)"):
        opt.init(np.zeros((4, 2)))


def test_latex_is_assembled_from_the_blocks_that_run():
    plain = OPTIMIZERS["sgd"](lr=0.1).latex
    assert r"\mu" not in plain and r"\theta &\leftarrow \theta - \gamma\, g" in plain
    heavy = OPTIMIZERS["sgd"](lr=0.1, momentum=0.9).latex
    assert r"g &\leftarrow b" in heavy and r"(1-\tau)" not in heavy
    nesterov = OPTIMIZERS["sgd"](lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1).latex
    assert r"g + \mu\,b" in nesterov and r"g + \lambda\,\theta" in nesterov
    assert r"v_{\max}" in OPTIMIZERS["adam"](amsgrad=True).latex
    assert r"\bar g" in OPTIMIZERS["rmsprop"](centered=True).latex
    assert r"(t-1)\,\delta" in OPTIMIZERS["adagrad"](lr_decay=0.1).latex
    assert r"\gamma\,\lambda\,\theta" in OPTIMIZERS["adamw"]().latex
    for key, hp in CONFIGS:
        latex = OPTIMIZERS[key](**hp).latex
        assert latex.count("{") == latex.count("}"), latex
        assert latex.startswith(r"\begin{aligned}") and latex.endswith(r"\end{aligned}")


def test_registry_defaults_are_torchs():
    assert OPTIMIZERS["sgd"].defaults["lr"] == 1e-3
    assert OPTIMIZERS["adam"].defaults["betas"] == (0.9, 0.999)
    assert OPTIMIZERS["adamw"].defaults["weight_decay"] == 1e-2
    assert OPTIMIZERS["rmsprop"].defaults["alpha"] == 0.99
    assert OPTIMIZERS["adagrad"].defaults["eps"] == 1e-10
    assert set(OPTIMIZERS) == {"sgd", "keras_sgd", "adagrad", "rmsprop", "adam", "adamw"}


@settings(max_examples=40, deadline=None)
@given(
    index=st.integers(0, len(CONFIGS) - 1),
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    dim=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_shapes_preserved_and_updates_finite(index, shape, dim, seed):
    key, hparams = CONFIGS[index]
    rng = np.random.default_rng(seed)
    params = rng.standard_normal((*shape, dim))
    opt = OPTIMIZERS[key](**hparams)
    state = opt.init(params)
    for _ in range(3):
        updates, state = opt.update(rng.standard_normal(params.shape), state, params)
        assert updates.shape == params.shape and np.all(np.isfinite(updates))
        params = apply_updates(params, updates)
    assert all(np.shape(a) in ((), params.shape) for a in state)
