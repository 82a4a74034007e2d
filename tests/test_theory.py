"""Closed forms of engine.theory checked against simulated runs of the real engine."""

import numpy as np
import pytest

from engine import theory
from engine.batching import BatchSchedule
from engine.optimizers import OPTIMIZERS
from engine.problems import ProblemConfig, make_problem
from engine.runner import RunGroup, run
from engine.surfaces import SURFACES, ill_conditioned_quadratic

QUAD = ill_conditioned_quadratic(condition=10.0, angle_deg=25.0, lam_max=2.0)  # λ = 0.2, 2


def _sgd_run(surface, lrs, steps, momentum=0.0, start=None):
    lrs = np.asarray(lrs, dtype=float)[:, None]
    starts = np.repeat(
        np.atleast_2d(surface.default_start if start is None else start), len(lrs), 0
    )
    opt = OPTIMIZERS["sgd"](lr=lrs, momentum=momentum)
    return run(surface, [RunGroup(opt, starts)], steps)


def test_gd_stability_limit_separates_convergence_from_divergence():
    limit = float(theory.gd_stability_limit(2.0))
    assert limit == 1.0
    traj = _sgd_run(QUAD, [0.98 * limit, 1.02 * limit], 600)
    assert traj.diverged_at[0] == -1 and traj.loss[-1, 0] < 1e-8
    assert traj.diverged_at[1] > 0 or traj.loss[-1, 1] > traj.loss[0, 1]


def test_momentum_stability_limit_separates_convergence_from_divergence():
    mu = 0.6
    limit = float(theory.momentum_stability_limit(2.0, mu))
    assert limit == pytest.approx(1.6)
    traj = _sgd_run(QUAD, [0.98 * limit, 1.02 * limit], 3000, momentum=mu)
    assert traj.diverged_at[0] == -1 and traj.loss[-1, 0] < 1e-8
    assert traj.diverged_at[1] > 0


def test_gd_loss_by_modes_predicts_every_step():
    lr = 0.7
    eigvals, eigvecs = np.linalg.eigh(QUAD.hessian(np.zeros(2)))
    x0 = eigvecs.T @ QUAD.default_start
    traj = _sgd_run(QUAD, [lr], 50)
    predicted = theory.gd_loss_by_modes(lr, eigvals, x0, np.arange(51))
    np.testing.assert_allclose(traj.loss[:, 0], predicted, rtol=1e-10, atol=1e-300)


def test_gd_optimum_and_rate_match_the_measured_contraction():
    lr, rate = theory.gd_optimal(0.2, 2.0)
    assert lr == pytest.approx(2 / 2.2) and rate == pytest.approx(9 / 11)
    traj = _sgd_run(QUAD, [lr], 200)
    norms = np.linalg.norm(traj.params[:, 0], axis=-1)
    measured = (norms[200] / norms[100]) ** (1 / 100)
    assert measured == pytest.approx(rate, rel=1e-6)
    # No other lr contracts the worst mode faster.
    lrs = np.linspace(0.05, 0.99, 300)
    assert theory.gd_rate(lrs, [0.2, 2.0]).min() >= rate - 1e-12


def test_momentum_matrix_reproduces_torch_momentum_and_its_rate():
    lam, lr, mu = 2.0, 0.3, 0.8
    surface = SURFACES["quadratic_1d"]  # λ = 1: scale the gradient through lr·λ instead
    steps = 400
    traj = _sgd_run(surface, [lr * lam], steps, momentum=mu, start=[1.0])
    R = theory.momentum_matrix(lr * lam, mu, 1.0)
    state = np.array([0.0, 1.0])  # [momentum buffer y, position x]
    xs = [1.0]
    for _ in range(steps):
        state = R @ state
        xs.append(state[1])
    np.testing.assert_allclose(traj.params[:, 0, 0], xs, rtol=1e-9, atol=1e-300)
    radius = np.max(np.abs(np.linalg.eigvals(R)))
    assert theory.momentum_rate(lr, mu, lam) == pytest.approx(radius, rel=1e-12)
    # Complex eigenvalues (underdamped) have modulus √μ.
    assert radius == pytest.approx(np.sqrt(mu), rel=1e-12)


def test_momentum_optimum_and_critical_damping():
    lr, mu, rate = theory.momentum_optimal(0.2, 2.0)
    kappa = 10.0
    assert rate == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1))
    worst = max(theory.momentum_rate(lr, mu, lam) for lam in (0.2, 2.0))
    assert worst == pytest.approx(rate, rel=1e-6)
    grid_lr, grid_mu = np.meshgrid(np.linspace(0.1, 2.5, 80), np.linspace(0.0, 0.95, 80))
    worst_grid = np.maximum(
        theory.momentum_rate(grid_lr, grid_mu, 0.2), theory.momentum_rate(grid_lr, grid_mu, 2.0)
    )
    assert worst_grid.min() >= rate - 1e-9
    # Measured: the heavy ball at its optimum beats GD at its optimum by a wide margin.
    traj = _sgd_run(QUAD, [float(lr)], 300, momentum=float(mu))
    assert traj.loss[-1, 0] < 1e-20
    # Critical damping: the two roots of z² − (1 + μ − γλ)z + μ coincide.
    gamma, lam = 0.2, 1.5
    mu_c = theory.critical_damping(gamma, lam)
    assert (1 + mu_c - gamma * lam) ** 2 - 4 * mu_c == pytest.approx(0.0, abs=1e-14)
    assert theory.momentum_rate(gamma, mu_c, lam) == pytest.approx(np.sqrt(mu_c), rel=1e-6)


def test_effective_lr_is_the_steady_step_under_a_constant_gradient():
    opt = OPTIMIZERS["sgd"](lr=0.1, momentum=0.9)
    params = np.zeros((1, 1))
    state = opt.init(params)
    g = np.array([[2.0]])
    for _ in range(500):
        updates, state = opt.update(g, state, params)
        params = params + updates
    assert -updates[0, 0] == pytest.approx(theory.effective_lr(0.1, 0.9) * 2.0, rel=1e-12)


def _linear_problem(n=64):
    return make_problem(ProblemConfig("linear_regression", n_examples=n, noise=0.5, seed=2))


def test_sum_stability_limit_is_divided_by_the_batch_size():
    problem = _linear_problem()
    lam_max = theory.quadratic_eigs(problem.hessian(problem.default_start))[-1]
    n = problem.n_examples
    for reduction in ("mean", "sum"):
        limit = float(theory.stability_limit(lam_max, n, reduction))
        lrs = np.array([[0.97 * limit], [1.03 * limit]])
        start = np.repeat(problem.default_start[None], 2, 0)
        group = RunGroup(OPTIMIZERS["sgd"](lr=lrs), start, None, reduction)
        traj = run(problem, [group], 1500, record_steps=[])
        assert traj.diverged_at[0] == -1
        assert traj.loss[-1, 0] == pytest.approx(problem.minima_values[0], rel=1e-6)
        assert traj.diverged_at[1] > 0
    assert theory.stability_limit(lam_max, n, "sum") == pytest.approx(2 / (n * lam_max))


def test_sum_with_lr_over_b_reproduces_mean_on_the_same_batches():
    problem = _linear_problem()
    b, lr = 8, 0.3
    schedule = BatchSchedule(problem.n_examples, b, seed=5)
    start = problem.default_start[None]
    groups = [
        RunGroup(OPTIMIZERS["sgd"](lr=lr, momentum=0.9), start, schedule, "mean"),
        RunGroup(
            OPTIMIZERS["sgd"](lr=float(theory.sum_equivalent_lr(lr, b)), momentum=0.9),
            start,
            schedule,
            "sum",
        ),
    ]
    traj = run(problem, groups, 300)
    np.testing.assert_allclose(traj.params[:, 0], traj.params[:, 1], rtol=1e-12, atol=1e-12)
    assert theory.effective_lr_of_reduction(lr / b, b, "sum") == pytest.approx(lr)


def test_l2_strength_under_sum_is_lambda_over_b():
    """Full-batch GD with coupled L2 λ under sum converges to ridge with λ/N under mean."""
    problem = _linear_problem()
    n, lam = problem.n_examples, 3.2
    lam_max = theory.quadratic_eigs(problem.hessian(problem.default_start))[-1]
    start = problem.default_start[None]
    lr = 1.0 / (n * lam_max + lam)
    group = RunGroup(OPTIMIZERS["sgd"](lr=lr), start, None, "sum", l2=lam)
    final = run(problem, [group], 4000, record_steps=[]).params[-1, 0]
    phi, y = problem.features, problem.targets
    strength = float(theory.l2_relative_strength(lam, n, "sum"))
    assert strength == pytest.approx(lam / n)
    ridge = np.linalg.solve(phi.T @ phi / n + strength * np.eye(2), phi.T @ y / n)
    np.testing.assert_allclose(final, ridge, rtol=1e-9)
    assert theory.l2_relative_strength(lam, [1, 64], "mean").tolist() == [lam, lam]


def test_mccandlish_optimal_lr_trends():
    batch = np.array([1, 2, 4, 8, 16, 64, 256, 1024])
    mean = theory.optimal_lr(0.5, 20.0, batch, "mean")
    total = theory.optimal_lr(0.5, 20.0, batch, "sum")
    assert np.all(np.diff(mean) > 0) and mean[-1] < 0.5 and mean[-1] > 0.49
    assert np.all(np.diff(total) < 0)
    np.testing.assert_allclose(total * batch, mean)
    # Small B: linear scaling (ε ≈ ε_max·B/B_noise); the rule itself is linear.
    assert mean[1] / mean[0] == pytest.approx(2.0, rel=0.05)
    np.testing.assert_allclose(theory.linear_scaling_lr(0.1, 32, [32, 64, 256]), [0.1, 0.2, 0.8])


def test_reduction_is_validated_and_explanations_quote_numbers():
    with pytest.raises(ValueError, match="'median'"):
        theory.stability_limit(1.0, 4, "median")
    text = theory.divergence_explanation(1.15, 2.0)
    assert "2.3" in text and "> 2" in text and "overshoots" in text
    assert "2 + 2μ = 3.8" in theory.divergence_explanation(2.0, 2.0, momentum=0.9)
    assert "stable" in theory.divergence_explanation(0.1, 2.0)
    assert "curves downward" in theory.divergence_explanation(0.1, -1.0)
    assert "curves downward" in theory.divergence_explanation(0.1, 2.0, lam_min=-2.0)
    assert "> 2" in theory.divergence_explanation(1.5, 2.0, lam_min=-2.0)


# ------------------------------------------------------------------ the theory of what runs


def test_optimal_lr_for_batches_drawn_without_replacement():
    """ε_max / (1 + (B_noise/B)·(N − B)/(N − 1)): the lessons' batches are B distinct examples."""
    eps, b_noise = 0.5, 20.0
    exact = theory.optimal_lr(eps, b_noise, [1, 16, 64], "mean", n_examples=64)
    np.testing.assert_allclose(exact, [0.5 / 21, 0.5 / (1 + 1.25 * 48 / 63), 0.5], rtol=1e-14)
    np.testing.assert_allclose(
        theory.optimal_lr(eps, b_noise, [1, 16, 64], "sum", n_examples=64), exact / [1, 16, 64]
    )
    # B = 1: no difference; without N: with replacement, the old value.
    assert theory.optimal_lr(eps, b_noise, 1, "mean", n_examples=64) == pytest.approx(0.5 / 21)
    assert theory.optimal_lr(eps, b_noise, 64, "mean") == pytest.approx(0.5 / (1 + 20 / 64))
    # At a minimum B_noise is infinite, yet the full batch has no noise at all.
    assert theory.optimal_lr(eps, np.inf, 64, "mean", n_examples=64) == 0.5
    with pytest.raises(ValueError, match="1 ≤ B ≤ N"):
        theory.optimal_lr(eps, b_noise, 65, "mean", n_examples=64)
    # The example: the lesson's linear regression at its start, N = B = 32 and 64.
    for n, higher in ((32, 1.0667), (64, 1.0536)):
        problem = make_problem(ProblemConfig("linear_regression", n_examples=n, seed=0))
        s = problem.noise_scales(problem.default_start)
        ratio = theory.optimal_lr(s.eps_max, s.b_noise, n, "mean", n_examples=n) / (
            theory.optimal_lr(s.eps_max, s.b_noise, n, "mean")
        )
        assert ratio == pytest.approx(higher, abs=1e-4)  # 6.7 % and 5.4 % higher


def test_optimal_lr_is_the_best_step_over_the_engines_own_batches():
    """On a quadratic loss the expected one-step loss is exactly quadratic in ε, so its
    minimiser over real mini-batches (the engine's sampler, B distinct examples) is the
    without-replacement formula, not McCandlish's with-replacement one."""
    problem = make_problem(ProblemConfig("linear_regression", n_examples=32, seed=0))
    theta = problem.default_start
    s = problem.noise_scales(theta)
    grads = problem.sample_minibatch_grads(theta, 16, 10_000, seed=0)  # (S, 2)
    eps = np.linspace(0.6, 1.2, 301) * float(s.eps_max)  # steps of 0.2 % of ε_max
    expected_loss = problem.value(theta - eps[:, None, None] * grads[None]).mean(axis=1)
    best = eps[np.argmin(expected_loss)]
    exact = float(theory.optimal_lr(s.eps_max, s.b_noise, 16, "mean", n_examples=32))
    with_replacement = float(theory.optimal_lr(s.eps_max, s.b_noise, 16, "mean"))
    assert best == pytest.approx(exact, rel=0.01)
    assert best > 1.05 * with_replacement


def test_momentum_moves_the_wall_and_the_optimum_by_the_formulas():
    lam = 2.0
    np.testing.assert_allclose(
        theory.stability_limit(lam, [1, 8], "mean", momentum=0.9), [1.9, 1.9], rtol=1e-14
    )
    np.testing.assert_allclose(
        theory.stability_limit(lam, [1, 8], "sum", momentum=0.9), [1.9, 1.9 / 8], rtol=1e-14
    )
    assert theory.stability_limit(lam, 8, "sum") == pytest.approx(1 / 8)  # μ = 0: 2/(Bλ)
    assert theory.optimal_lr(0.5, 20.0, 16, "mean", momentum=0.9) == pytest.approx(
        0.1 * 0.5 / (1 + 20 / 16)
    )


def test_the_full_batch_wall_is_not_the_mini_batch_wall():
    """What the map's wall line says: with mini-batches the largest stable lr moves (measured
    here on the lesson's linear regression: below the line at B = 1, above it at B = 4)."""
    problem = make_problem(ProblemConfig("linear_regression", n_examples=256, seed=0))
    lam_max = float(theory.quadratic_eigs(problem.hessian(problem.default_start))[-1])
    wall = float(theory.stability_limit(lam_max, 1, "mean"))
    fractions = np.linspace(0.8, 1.2, 41)
    stable = {}
    for b in (1, 4):
        opt = OPTIMIZERS["sgd"](lr=(fractions * wall)[:, None])
        starts = np.repeat(problem.default_start[None], len(fractions), 0)
        group = RunGroup(opt, starts, BatchSchedule(256, b, seed=0))
        traj = run(problem, [group], 3000, record_steps=[], full_loss=False)
        stable[b] = float(fractions[traj.diverged_at == -1].max())
    assert 0.88 <= stable[1] <= 0.96  # measured 0.93
    assert 1.03 <= stable[4] <= 1.09  # measured 1.06


def test_critical_damping_over_its_whole_range():
    gl = np.array([0.0, 0.25, 1.0, 2.25, 4.0, 9.0])  # γλ
    np.testing.assert_allclose(theory.critical_damping(gl, 1.0), [1.0, 0.25, 0.0, 0.25, 1.0, 4.0])
    doc = theory.critical_damping.__doc__ or ""
    assert "γλ ≥ 4" in doc and "μ_c ≥ 1" in doc and "0 < γλ < 1" in doc

    def roots(a, mu):
        return np.roots([1.0, -(1.0 + mu - a), mu])

    # γλ < 1: below μ_c a monotone decay (real, positive roots), above it a spiral (|z| = √μ).
    mu_c = float(theory.critical_damping(0.25, 1.0))
    assert np.all(np.isreal(roots(0.25, mu_c - 0.01))) and roots(0.25, mu_c - 0.01).min() > 0
    np.testing.assert_allclose(np.abs(roots(0.25, mu_c + 0.01)), np.sqrt(mu_c + 0.01))
    # 1 < γλ < 4: below μ_c it already oscillates (a negative real root), above it spirals.
    mu_c = float(theory.critical_damping(2.25, 1.0))
    assert np.all(np.isreal(roots(2.25, mu_c - 0.01))) and roots(2.25, mu_c - 0.01).min() < 0
    assert np.iscomplex(roots(2.25, mu_c + 0.01)).all()
    # γλ ≥ 4: no momentum below 1 gives complex roots, and every one of them is unstable.
    for mu in (0.0, 0.5, 0.99):
        assert np.all(np.isreal(roots(4.0, mu))) and np.abs(roots(4.0, mu)).max() >= 1.0
    assert float(theory.momentum_rate(1.0, 0.99, 4.0)) >= 1.0
