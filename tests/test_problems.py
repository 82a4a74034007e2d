"""Data problems: per-example derivatives, reductions, L2, full objective, gradient noise."""

import numpy as np
import pytest

from engine.problems import PROBLEMS, ProblemConfig, _generate, make_problem
from tests.numeric import central_difference

KINDS = list(PROBLEMS)


def _problem(kind, n=64, noise=0.5, seed=3):
    return make_problem(ProblemConfig(kind, n_examples=n, noise=noise, seed=seed))


def _points(problem, n=20, seed=0):
    rng = np.random.default_rng(seed)
    lo, hi = problem.bounds[:, 0], problem.bounds[:, 1]
    return lo + (hi - lo) * rng.random((n, problem.dim))


@pytest.mark.parametrize("kind", KINDS)
def test_generation_is_seeded_byte_for_byte(kind):
    a = _generate(ProblemConfig(kind, 100, 0.3, seed=5))
    b = _generate(ProblemConfig(kind, 100, 0.3, seed=5))
    c = _generate(ProblemConfig(kind, 100, 0.3, seed=6))
    assert a.features.tobytes() == b.features.tobytes()
    assert a.targets.tobytes() == b.targets.tobytes()
    assert a.features.tobytes() != c.features.tobytes()
    assert not a.features.flags.writeable and not a.targets.flags.writeable


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_metadata(kind):
    p = _problem(kind)
    assert p.n_examples == 64 and p.dim == len(p.param_names) == p.true_params.shape[0]
    assert p.features.shape == (64, p.dim) and p.targets.shape == (64,)
    assert p.bounds.shape == (p.dim, 2) and p.default_start.shape == (p.dim,)
    assert np.all(p.bounds[:, 0] < p.default_start) and np.all(p.default_start < p.bounds[:, 1])
    assert p.minima.shape == (1, p.dim)
    idx = np.array([3, 1, 4])
    pts = _points(p, 6).reshape(2, 3, p.dim)
    assert p.example_losses(pts, idx).shape == (2, 3, 3)
    assert p.example_grads(pts, idx).shape == (2, 3, 3, p.dim)
    loss, grad = p.batch_loss_and_grad(pts, idx)
    assert loss.shape == (2, 3) and grad.shape == (2, 3, p.dim)
    assert p.value(pts).shape == (2, 3) and p.hessian(pts).shape == (2, 3, p.dim, p.dim)


@pytest.mark.parametrize("kind", KINDS)
def test_example_gradients_match_finite_differences(kind):
    p = _problem(kind)
    pts = _points(p)
    idx = np.arange(10)
    fd = central_difference(lambda q: p.example_losses(q, idx), pts)  # (n, B, dim)
    np.testing.assert_allclose(p.example_grads(pts, idx), fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_batch_loss_reduces_the_example_losses_and_adds_l2_once(kind, reduction):
    p = _problem(kind)
    pts = _points(p)
    idx = np.array([5, 9, 9, 30, 2, 63])
    per_example = p.example_losses(pts, idx)
    data = per_example.mean(-1) if reduction == "mean" else per_example.sum(-1)
    loss, grad = p.batch_loss_and_grad(pts, idx, reduction)
    np.testing.assert_allclose(loss, data, rtol=1e-13)
    lam = 0.3
    loss_l2, grad_l2 = p.batch_loss_and_grad(pts, idx, reduction, l2=lam)
    np.testing.assert_allclose(loss_l2 - loss, 0.5 * lam * np.sum(pts**2, -1), rtol=1e-10)
    np.testing.assert_allclose(grad_l2 - grad, lam * pts, rtol=1e-10, atol=1e-14)
    fd = central_difference(lambda q: p.batch_loss_and_grad(q, idx, reduction, l2=lam)[0], pts)
    np.testing.assert_allclose(grad_l2, fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_sum_gradient_is_b_times_the_mean_gradient(kind):
    p = _problem(kind)
    pts = _points(p)
    idx = np.arange(16)
    _, g_mean = p.batch_loss_and_grad(pts, idx, "mean")
    _, g_sum = p.batch_loss_and_grad(pts, idx, "sum")
    np.testing.assert_allclose(g_sum, 16 * g_mean, rtol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_full_objective_on_a_grid_in_one_call(kind):
    p = _problem(kind, n=500)
    axes = [np.linspace(lo, hi, 7) for lo, hi in p.bounds]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)  # (7, 7, 2) or (7, 1)
    values = p.value(grid)
    assert values.shape == grid.shape[:-1]
    direct = p.example_losses(grid).mean(-1)
    np.testing.assert_allclose(values, direct, rtol=1e-12)
    pts = _points(p)
    np.testing.assert_allclose(p.grad(pts), central_difference(p.value, pts), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        p.hessian(pts), central_difference(p.grad, pts), rtol=1e-6, atol=1e-7
    )
    np.testing.assert_allclose(p.grad(pts), p.example_grads(pts).mean(-2), rtol=1e-12)


def test_chunking_bounds_memory_but_not_the_answer(monkeypatch):
    p = _problem("logistic_regression", n=300)
    pts = _points(p, 50)
    expected = p.example_losses(pts).mean(-1)
    monkeypatch.setattr("engine.problems._CHUNK_ELEMENTS", 1000)  # 20 examples per chunk
    assert len(p._chunks(pts)) == 15
    np.testing.assert_allclose(p.value(pts), expected, rtol=1e-13)


@pytest.mark.parametrize("kind", KINDS)
def test_the_listed_minimum_is_the_minimum(kind):
    p = _problem(kind)
    theta = p.minima[0]
    assert np.max(np.abs(p.grad(theta))) < 1e-10
    assert p.value(theta) == pytest.approx(p.minima_values[0], rel=1e-12)
    assert np.all(np.linalg.eigvalsh(p.hessian(theta)) > 0)
    assert np.all(p.value(_points(p, 200)) > p.minima_values[0])


def test_data_follow_the_generating_parameters():
    line = _problem("linear_regression", n=4000, noise=0.2)
    np.testing.assert_allclose(line.minima[0], line.true_params, atol=0.03)
    # Mean-squared residual at the optimum ≈ noise²: ½σ² per example.
    assert line.minima_values[0] == pytest.approx(0.5 * 0.2**2, rel=0.1)
    logistic = _problem("logistic_regression", n=4000, noise=1.0)
    direction = logistic.minima[0] / np.linalg.norm(logistic.minima[0])
    np.testing.assert_allclose(direction, np.array([2, -1]) / np.sqrt(5), atol=0.05)


def test_separable_logistic_data_has_no_minimizer():
    p = _problem("logistic_regression", noise=0.0)
    assert p.minima.shape == (0, 2) and p.minima_values.shape == (0,)
    assert np.all(np.isfinite(p.bounds)) and np.all(np.isfinite(p.default_start))


@pytest.mark.parametrize("kind", KINDS)
def test_minibatch_covariance_formula_matches_sampling(kind):
    p = _problem(kind, n=40)
    theta = p.default_start
    samples = p.sample_minibatch_grads(theta, 6, 10000, seed=1)
    empirical = np.cov(samples.T, bias=True).reshape(p.dim, p.dim)
    exact = p.minibatch_grad_covariance(theta, 6)
    np.testing.assert_allclose(empirical, exact, rtol=0.05, atol=0.02 * np.abs(exact).max())
    np.testing.assert_allclose(
        samples.mean(0), p.grad(theta), atol=0.03 * np.abs(exact).max() ** 0.5
    )
    sums = p.sample_minibatch_grads(theta, 6, 5, seed=1, reduction="sum")
    np.testing.assert_allclose(sums, 6 * samples[:5], rtol=1e-12)
    np.testing.assert_allclose(p.minibatch_grad_covariance(theta, 6, "sum"), 36 * exact)


def test_covariance_limits_full_batch_and_replacement():
    p = _problem("linear_regression", n=50)
    theta = p.default_start
    np.testing.assert_array_equal(p.minibatch_grad_covariance(theta, 50), 0.0)
    full = p.sample_minibatch_grads(theta, 50, 3)
    np.testing.assert_allclose(full, np.repeat(p.grad(theta)[None], 3, 0), rtol=1e-12)
    sigma = p.grad_covariance(theta)
    np.testing.assert_allclose(p.minibatch_grad_covariance(theta, 1), sigma, rtol=1e-12)
    np.testing.assert_allclose(
        p.minibatch_grad_covariance(theta, 10, replacement=True), sigma / 10, rtol=1e-12
    )


def test_noise_scales_follow_their_definitions():
    p = _problem("linear_regression", n=200)
    theta = p.default_start
    G, H, S = p.grad(theta), p.hessian(theta), p.grad_covariance(theta)
    scales = p.noise_scales(theta)
    assert scales.b_simple == pytest.approx(np.trace(S) / (G @ G))
    assert scales.b_noise == pytest.approx(np.trace(H @ S) / (G @ H @ G))
    assert scales.eps_max == pytest.approx((G @ G) / (G @ H @ G))
    # Vectorised over points, and the noise dominates near the minimum: B_simple grows.
    pts = np.stack([theta, 0.5 * (theta + p.minima[0]), 0.95 * p.minima[0] + 0.05 * theta])
    b_simple = p.noise_scales(pts).b_simple
    assert b_simple.shape == (3,) and np.all(np.diff(b_simple) > 0)
    assert np.isinf(p.noise_scales(p.minima[0] + 0.0).b_simple) or (
        p.noise_scales(p.minima[0]).b_simple > 1e6
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "nope"}, "Unknown problem 'nope'"),
        ({"kind": "linear_regression", "n_examples": 1}, "between 2 and 16384, got 1"),
        ({"kind": "linear_regression", "n_examples": 10**6}, "got 1000000"),
        ({"kind": "linear_regression", "n_examples": 3.5}, "must be an integer, got 3.5"),
        ({"kind": "linear_regression", "noise": float("nan")}, "noise must be between 0 and 10"),
        ({"kind": "linear_regression", "noise": -1.0}, "got -1.0"),
        ({"kind": "linear_regression", "seed": -2}, "seed must be ≥ 0, got -2"),
    ],
)
def test_bad_configs_are_refused_with_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ProblemConfig(**kwargs)


def test_bad_calls_are_refused():
    p = _problem("linear_regression")
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        p.value(np.zeros(3))
    with pytest.raises(ValueError, match="idx must lie in"):
        p.example_losses(np.zeros(2), np.array([64]))
    with pytest.raises(ValueError, match="non-empty 1-D integer"):
        p.example_losses(np.zeros(2), np.array([0.5]))
    with pytest.raises(ValueError, match="reduction must be"):
        p.batch_loss_and_grad(np.zeros(2), np.array([0]), "median")
    with pytest.raises(ValueError, match="batch_size must be between 1 and 64"):
        p.minibatch_grad_covariance(np.zeros(2), 65)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sampled_minibatches_are_not_drawn_from_the_datas_own_random_numbers(seed):
    """The data's x are the first uniforms of default_rng(seed); a sampler reusing that stream
    made its first batch the 64 examples of smallest x, a gradient 13σ from the rest."""
    p = make_problem(ProblemConfig("linear_regression", 256, 0.5, seed))
    x = p.default_start
    samples = p.sample_minibatch_grads(x, 64, 300, seed=seed)
    cov = p.minibatch_grad_covariance(x, 64)
    d = samples - p.grad(x)
    mahalanobis = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)  # χ²(2) if unbiased
    assert mahalanobis.mean() == pytest.approx(2.0, abs=0.4)
    assert mahalanobis.max() < 40
