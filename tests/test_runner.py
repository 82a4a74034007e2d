"""Tests for engine/runner.py on small objectives defined here (independent of other modules)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import runner
from engine.batching import BatchSchedule, make_batches
from engine.optimizers import OPTIMIZERS, apply_updates
from engine.runner import RunGroup, run
from engine.surfaces import SURFACES


class Bowl:
    """f(θ) = ½ Σ λ_i θ_i² with λ = (1, 10): GD is stable iff lr < 2/10."""

    dim = 2
    lam = np.array([1.0, 10.0])

    def value(self, p):
        return 0.5 * np.sum(self.lam * p * p, axis=-1)

    def grad(self, p):
        return self.lam * p


class LeastSquares:
    """ℓ_i(w, b) = ½ (w·x_i + b − y_i)², a data objective with real mini-batch noise."""

    dim = 2

    def __init__(self, n=64, seed=0):
        rng = np.random.default_rng(seed)
        self.x = rng.uniform(-1, 3, n)
        self.y = 1.5 * self.x - 0.5 + 0.3 * rng.standard_normal(n)
        self.n_examples = n

    def _residual(self, params, idx):
        return params[..., :1] * self.x[idx] + params[..., 1:] - self.y[idx]  # (..., B)

    def batch_loss_and_grad(self, params, idx, reduction="mean", l2=0.0):
        r = self._residual(params, idx)
        feats = np.stack([self.x[idx], np.ones(len(idx))], axis=-1)  # (B, 2)
        loss, grad = 0.5 * np.sum(r * r, axis=-1), r @ feats
        if reduction == "mean":
            loss, grad = loss / len(idx), grad / len(idx)
        return loss + 0.5 * l2 * np.sum(params**2, axis=-1), grad + l2 * params

    def value(self, params):
        r = self._residual(params, np.arange(self.n_examples))
        return 0.5 * np.mean(r * r, axis=-1)


def _manual(objective, optimizer, start, steps):
    params, state, out = np.asarray(start, float), optimizer.init(np.asarray(start, float)), []
    out.append(params)
    for _ in range(steps):
        updates, state = optimizer.update(objective.grad(params), state, params)
        params = apply_updates(params, updates)
        out.append(params)
    return np.array(out)


def test_shapes_row_zero_and_equality_with_a_hand_loop():
    bowl = Bowl()
    starts = np.array([[1.0, 1.0], [-2.0, 0.5], [0.3, -0.7]])
    sgd = OPTIMIZERS["sgd"](lr=0.05, momentum=0.9)
    adam = OPTIMIZERS["adam"](lr=0.1)
    traj = run(bowl, [RunGroup(sgd, starts), RunGroup(adam, starts[:2])], 50)
    assert traj.params.shape == (51, 5, 2) and traj.loss.shape == (51, 5)
    assert traj.batch_loss.shape == (50, 5) and traj.examples_seen.shape == (51, 5)
    np.testing.assert_array_equal(traj.params[0], np.concatenate([starts, starts[:2]]))
    np.testing.assert_array_equal(traj.group, [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(traj.steps, np.arange(51))
    for k, start in enumerate(starts):
        np.testing.assert_array_equal(traj.params[:, k], _manual(bowl, sgd, start, 50))
    np.testing.assert_array_equal(traj.params[:, 4], _manual(bowl, adam, starts[1], 50))
    np.testing.assert_allclose(traj.loss, bowl.value(traj.params), rtol=1e-15)
    np.testing.assert_allclose(traj.grads, bowl.grad(traj.params), rtol=1e-15)
    np.testing.assert_array_equal(traj.diverged_at, -1)


def test_velocity_and_second_moment_are_the_optimizer_state():
    bowl, start = Bowl(), np.array([[1.0, 1.0]])
    traj = run(bowl, [RunGroup(OPTIMIZERS["sgd"](lr=0.05, momentum=0.9), start)], 3)
    # b1 = g(θ0); b2 = 0.9·b1 + g(θ1)
    np.testing.assert_allclose(traj.velocity[1, 0], bowl.grad(start[0]))
    expected = 0.9 * bowl.grad(start[0]) + bowl.grad(traj.params[1, 0])
    np.testing.assert_allclose(traj.velocity[2, 0], expected, rtol=1e-15)
    np.testing.assert_array_equal(traj.second_moment, 0.0)
    traj = run(bowl, [RunGroup(OPTIMIZERS["adam"](lr=0.1), start)], 1)
    np.testing.assert_allclose(traj.second_moment[1, 0], 0.001 * bowl.grad(start[0]) ** 2)


def test_divergence_freezes_one_run_and_lets_the_others_continue():
    """lr = 0.25 > 2/λmax = 0.2 blows up; lr = 0.15 converges. No warning may escape."""
    lrs = np.array([[0.15], [0.25]])
    traj = run(Bowl(), [RunGroup(OPTIMIZERS["sgd"](lr=lrs), [[1.0, 1.0], [1.0, 1.0]])], 400)
    assert traj.diverged_at[0] == -1 and traj.diverged_at[1] > 0
    t = traj.diverged_at[1]
    # θ₂ is multiplied by 1 − 0.25·10 = −1.5 per step: the first t with 1.5^t > 1e6 is 35
    assert t == 35
    assert np.all(np.isfinite(traj.params[:t, 1])) and np.all(np.isnan(traj.params[t:, 1]))
    assert np.all(np.isnan(traj.loss[t:, 1])) and np.all(np.isnan(traj.batch_loss[t:, 1]))
    assert np.abs(traj.params[-1, 0]).max() < 1e-10


def test_overflow_to_inf_is_caught_without_warnings():
    traj = run(Bowl(), [RunGroup(OPTIMIZERS["sgd"](lr=1e200), [[1.0, 1.0]])], 5, blowup=np.inf)
    assert traj.diverged_at[0] in (1, 2)
    assert np.all(np.isnan(traj.params[traj.diverged_at[0] :]))


def test_record_steps_subsample_the_same_run():
    bowl = Bowl()
    group = [RunGroup(OPTIMIZERS["sgd"](lr=0.05, momentum=0.5), [[1.0, -1.0]])]
    full = run(bowl, group, 30)
    sub = run(bowl, group, 30, record_steps=[5, 10, 10, 20], full_loss=False)
    np.testing.assert_array_equal(sub.steps, [0, 5, 10, 20, 30])
    for name in ("params", "loss", "grads", "velocity"):  # a surface's loss is always cheap
        np.testing.assert_array_equal(getattr(sub, name), getattr(full, name)[[0, 5, 10, 20, 30]])
    np.testing.assert_array_equal(sub.batch_loss, full.batch_loss)


def test_full_loss_false_skips_the_data_objective_except_at_the_end():
    problem = LeastSquares()
    group = [RunGroup(OPTIMIZERS["sgd"](lr=0.1), [[0.0, 0.0]], BatchSchedule(64, 8))]
    full = run(problem, group, 20)
    sub = run(problem, group, 20, record_steps=[10], full_loss=False)
    assert np.all(np.isnan(sub.loss[:-1])) and sub.loss[-1, 0] == full.loss[-1, 0]
    np.testing.assert_array_equal(sub.params, full.params[[0, 10, 20]])


def test_simulated_noise_is_seeded_shared_and_scales_as_one_over_root_b():
    bowl, start = Bowl(), [[1.0, 1.0]]
    sgd = OPTIMIZERS["sgd"](lr=0.01)
    groups = [
        RunGroup(sgd, start, noise_std=2.0, noise_batch_size=1),
        RunGroup(sgd, start, noise_std=2.0, noise_batch_size=4),
        RunGroup(sgd, start),
    ]
    a, b = run(bowl, groups, 20, seed=3), run(bowl, groups, 20, seed=3)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, run(bowl, groups, 20, seed=4).params)
    clean = bowl.grad(a.params[0, 2])
    np.testing.assert_allclose(a.grads[0, 0] - clean, 2 * (a.grads[0, 1] - clean), rtol=1e-12)
    np.testing.assert_array_equal(a.grads[:, 2], bowl.grad(a.params[:, 2]))
    np.testing.assert_array_equal(a.examples_seen[:, 1], 4 * np.arange(21))


def test_paired_data_runs_see_the_same_batches_and_sum_with_lr_over_b_equals_mean():
    problem, b = LeastSquares(), 8
    schedule = BatchSchedule(n_examples=64, batch_size=b, seed=5)
    start = [[0.0, 0.0]]
    groups = [
        RunGroup(OPTIMIZERS["sgd"](lr=0.5, momentum=0.9), start, schedule, "mean"),
        RunGroup(OPTIMIZERS["sgd"](lr=0.5 / b, momentum=0.9), start, schedule, "sum"),
        RunGroup(OPTIMIZERS["sgd"](lr=0.5, momentum=0.9), start, schedule, "sum"),
    ]
    traj = run(problem, groups, 100)
    np.testing.assert_allclose(traj.params[:, 1], traj.params[:, 0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(traj.batch_loss[:, 1], b * traj.batch_loss[:, 0], rtol=1e-12)
    assert traj.diverged_at[2] > 0  # same lr under sum is 8× the step: it blows up
    # The first step used exactly batch 0 of the schedule.
    idx = make_batches(schedule, 1).batch(0)
    _, g0 = problem.batch_loss_and_grad(np.zeros((1, 2)), idx)
    np.testing.assert_allclose(traj.grads[0, 0], g0[0], rtol=1e-15)
    np.testing.assert_array_equal(traj.examples_seen[:, 0], b * np.arange(101))


def test_full_batch_when_no_schedule_and_l2_is_passed_through():
    problem = LeastSquares(n=32)
    sgd = OPTIMIZERS["sgd"](lr=0.1)
    traj = run(problem, [RunGroup(sgd, [[0.5, 0.5]], l2=0.2)], 3)
    _, g = problem.batch_loss_and_grad(np.array([[0.5, 0.5]]), np.arange(32), l2=0.2)
    np.testing.assert_allclose(traj.grads[0, 0], g[0], rtol=1e-15)
    np.testing.assert_array_equal(traj.examples_seen[:, 0], [0, 32, 64, 96])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"groups": []}, "at least one RunGroup"),
        ({"n_steps": -1}, "n_steps"),
        ({"starts": [[1.0, 2.0, 3.0]]}, r"shape \(n, 2\)"),
        ({"starts": [[np.nan, 1.0]]}, "finite"),
        ({"reduction": "avg"}, "'avg'"),
        ({"schedule": BatchSchedule(n_examples=4, batch_size=2)}, "data objective"),
        ({"noise_std": -1.0}, "-1.0"),
        ({"lr": np.array([[0.1], [0.2]])}, "does not broadcast"),
        ({"record_steps": [3, 99]}, "record_steps"),
    ],
)
def test_bad_requests_raise_clear_errors(kwargs, message):
    lr = kwargs.pop("lr", 0.1)
    group = RunGroup(
        OPTIMIZERS["sgd"](lr=lr),
        kwargs.pop("starts", [[1.0, 1.0]]),
        schedule=kwargs.pop("schedule", None),
        reduction=kwargs.pop("reduction", "mean"),
        noise_std=kwargs.pop("noise_std", 0.0),
    )
    groups = kwargs.pop("groups", [group])
    with pytest.raises(ValueError, match=message):
        run(Bowl(), groups, kwargs.pop("n_steps", 10), **kwargs)


def test_work_budget_refuses_oversized_requests(monkeypatch):
    starts = np.zeros((1000, 2))
    group = [RunGroup(OPTIMIZERS["sgd"](lr=0.1), starts)]
    with pytest.raises(ValueError, match="run-steps"):
        run(Bowl(), group, runner.MAX_RUN_STEPS // 1000 + 1)
    monkeypatch.setattr(runner, "MAX_EXAMPLE_WORK", 10_000)
    problem = LeastSquares()
    with pytest.raises(ValueError, match="example-gradient"):
        run(problem, [RunGroup(OPTIMIZERS["sgd"](lr=0.1), [[0.0, 0.0]])], 100)


# ------------------------------------------------------------- with the real surfaces and data


def test_every_surface_runs_every_optimizer_without_warnings():
    from engine.surfaces import SURFACES

    for surface in SURFACES.values():
        starts = surface.default_start[None]
        groups = [RunGroup(spec(), starts) for spec in OPTIMIZERS.values()]
        traj = run(surface, groups, 50)
        assert traj.params.shape == (51, len(groups), surface.dim)
        alive = traj.diverged_at == -1
        assert np.all(np.isfinite(traj.loss[:, alive]))


def test_unbounded_saddle_diverges_as_data():
    from engine.surfaces import SURFACES

    traj = run(SURFACES["saddle"], [RunGroup(OPTIMIZERS["sgd"](lr=0.4), [[-1.9, 0.01]])], 200)
    assert traj.diverged_at[0] > 0
    assert np.all(np.isnan(traj.params[traj.diverged_at[0] :, 0]))


def test_data_problem_runs_with_real_minibatches():
    from engine.problems import ProblemConfig, make_problem

    problem = make_problem(ProblemConfig("logistic_regression", n_examples=128, seed=1))
    schedule = BatchSchedule(128, 16, seed=3)
    groups = [
        RunGroup(OPTIMIZERS["sgd"](lr=0.5), problem.default_start[None], schedule),
        RunGroup(OPTIMIZERS["adam"](lr=0.1), problem.default_start[None], schedule),
    ]
    traj = run(problem, groups, 400)
    assert np.all(traj.diverged_at == -1)
    assert np.all(traj.loss[-1] < problem.minima_values[0] + 0.05)
    assert np.all(traj.examples_seen[-1] == 400 * 16)
    # The batch loss is noisy around the full loss: not equal to it.
    assert not np.allclose(traj.batch_loss[:, 0], traj.loss[:-1, 0])


def test_a_run_is_the_same_alone_or_in_a_crowd():
    """No reduction depends on the batch of runs: adding runs never changes another run."""
    from engine.surfaces import SURFACES

    surface = SURFACES["beale"]
    rng = np.random.default_rng(0)
    crowd = rng.uniform(-2, 2, (33, 2))
    opt = OPTIMIZERS["adam"](lr=0.05)
    alone = run(surface, [RunGroup(opt, crowd[5:6])], 300)
    together = run(surface, [RunGroup(opt, crowd)], 300)
    np.testing.assert_array_equal(alone.params[:, 0], together.params[:, 5])


def test_compatible_groups_are_stepped_together_bit_identically():
    from engine.surfaces import SURFACES

    surface = SURFACES["rosenbrock"]
    configs = [
        ("sgd", {"lr": 1e-3, "momentum": 0.9}),
        ("sgd", {"lr": 5e-4, "momentum": 0.5, "nesterov": False}),
        ("sgd", {"lr": 1e-3}),  # no momentum: not merged, its velocity stays zero
        ("adam", {"lr": 0.05}),
        ("adam", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.0}),
        ("adam", {"lr": 0.02, "amsgrad": True}),  # a different flag: not merged
    ]
    starts = [[-1.2, 1.0], [0.5, -0.5]]
    groups = [RunGroup(OPTIMIZERS[k](**hp), starts) for k, hp in configs]
    plan = runner._Plan(surface, groups, 10, None, data=False)
    assert [s.stop - s.start for _, s in plan.steppers] == [4, 2, 4, 2]
    together = run(surface, groups, 200)
    for i, group in enumerate(groups):
        alone = run(surface, [group], 200)
        cols = slice(2 * i, 2 * i + 2)
        for field in ("params", "grads", "velocity", "second_moment", "loss"):
            np.testing.assert_array_equal(getattr(together, field)[:, cols], getattr(alone, field))
    np.testing.assert_array_equal(together.velocity[:, 4:6], 0.0)


def test_groups_with_scalar_only_hyper_parameters_merge_or_stay_apart_correctly():
    s = SURFACES["rosenbrock"]
    start = s.default_start[None]
    same = [RunGroup(OPTIMIZERS["adagrad"](lr=lr), start) for lr in (0.1, 0.5)]
    plan = runner._Plan(s, same, 5, None, data=False)
    assert len(plan.steppers) == 1  # one Adagrad for both: s₀ = 0 is shared, stays a scalar
    differ = [RunGroup(OPTIMIZERS["adagrad"](lr=0.1, initial_accumulator_value=v), start)
              for v in (0.0, 0.5)]  # fmt: skip
    plan = runner._Plan(s, differ, 5, None, data=False)
    assert len(plan.steppers) == 2  # s₀ must be one scalar per optimizer: stepped apart
    for groups in (same, differ):
        together = run(s, groups, 100)
        for i, group in enumerate(groups):
            np.testing.assert_array_equal(together.params[:, [i]], run(s, [group], 100).params)


@pytest.mark.parametrize("steps", [1, 7, 120, 1000])
def test_progress_reports_rising_fractions_up_to_one_without_changing_the_run(steps):
    s = SURFACES["rosenbrock"]
    groups = [RunGroup(OPTIMIZERS["adam"](lr=0.01), s.default_start[None])]
    seen: list[float] = []
    traj = run(s, groups, steps, progress=seen.append)
    assert seen[-1] == 1.0
    assert seen[0] > 0 and np.all(np.diff(seen) > 0)
    every = math.ceil(steps / 50)  # about every 2 %, whatever the length of the run
    assert len(seen) == math.ceil(steps / every) <= 50
    np.testing.assert_array_equal(traj.params, run(s, groups, steps).params)
    before = len(seen)
    assert run(s, groups, 0, progress=seen.append).params.shape[0] == 1
    assert len(seen) == before  # no steps, nothing to report
