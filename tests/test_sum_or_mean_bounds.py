"""Sum or mean?: bounded work at any control value (issue 9 §5).

The page's first load at N = 4096 took 11–30 s. These tests pin the work that bounds it —
counted, not timed, so they hold on a busy machine; ``benchmarks/app.py`` reports the seconds.
"""

import numpy as np
import pytest

from engine.problems import DataProblem, ProblemConfig, loss_table, make_problem
from figures.style import Style
from tests.sum_or_mean_setup import make_setup
from ui.sum_or_mean import compute
from ui.sum_or_mean.charts import paths_chart
from ui.sum_or_mean.compute import (
    ab_runs,
    batch_lr_map,
    loss_curves,
    loss_rows,
    map_batch_sizes,
)
from ui.sum_or_mean.text import run_labels

_setup = make_setup


def _count(monkeypatch, method, size):
    """Patch ``DataProblem.method`` to add ``size(args)`` to the returned list on every call."""
    counted = []
    original = getattr(DataProblem, method)

    def counting(self, *args, **kwargs):
        counted.append(size(*args))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DataProblem, method, counting)
    return counted


def _points(params, *_):
    return int(np.prod(np.shape(params)[:-1]))


def test_the_contour_is_drawn_from_a_coarse_table_whatever_the_image(monkeypatch):
    """The paths chart's image (180 × 180, twice) evaluated the full loss at 64 800 points ×
    4096 logistic examples: 4 s. Now 50 × 50 points, once."""
    setup = _setup(kind="logistic_regression", n=4096, epochs=1, batch=1024, lr_b=0.1 / 1024)
    ab_runs(setup)  # the runs' own losses are not the contour's
    make_problem.cache_clear()  # a problem object no figure has drawn yet
    assert setup.problem.loss_floor is not None
    loss_table.cache_clear()
    paths_chart.clear()
    counted = _count(monkeypatch, "value", _points)
    paths_chart(setup, run_labels(setup), Style())
    assert 48 * 48 <= sum(counted) <= 50 * 50


def test_the_table_is_exact_for_least_squares_and_close_for_logistic():
    for kind, tolerance in (("linear_regression", 1e-12), ("logistic_regression", 1e-3)):
        problem = make_problem(ProblemConfig(kind, 512, 0.5, 0))
        table = loss_table(problem)
        axes = [np.linspace(lo, hi, 97) for lo, hi in problem.bounds]
        grid = np.stack(np.meshgrid(*axes, indexing="xy"), axis=-1)
        exact = problem.value(grid)
        assert np.abs(table.value(grid) - exact).max() <= tolerance * np.ptp(exact)
        outside = problem.bounds[:, 1] + 1.0  # beyond the window: evaluated exactly
        assert table.value(outside) == problem.value(outside)
        assert (table.minima_values, table.log_color) == (problem.minima_values, problem.log_color)


def test_runs_of_different_batch_sizes_compute_only_their_own_steps(monkeypatch):
    """True SGD beside the full batch, 2 epochs of N = 512: A takes 1024 steps, B 2. B used to
    compute its 512 examples at each of A's 1024 steps."""
    setup = _setup(n=512, batch=1, batch_b=512, red_b="mean", lr_a=0.01, lr_b=0.01, epochs=2)
    assert setup.run_steps == (1024, 2)
    ab_runs.clear()
    counted = _count(monkeypatch, "batch_loss_and_grad", lambda p, idx, *_: len(p) * len(idx))
    losses = _count(monkeypatch, "value", _points)
    traj = ab_runs(setup)
    assert sum(counted) == (1024 + 1) * 1 + (2 + 1) * 512  # a gradient at every row 0 … T
    assert traj.params.shape == (1025, 2, 2) and np.all(traj.diverged_at == -1)
    np.testing.assert_array_equal(traj.params[3:, 1], np.repeat(traj.params[[2], 1], 1022, 0))
    # The full-data loss: at the 401 steps the curves draw and at each end, not at all 1025.
    rows = loss_rows(setup)
    assert len(rows) == 402 and {0, 2, 1024} <= set(rows.tolist())
    assert sum(losses) == 2 * 402 + 2  # + the runner's own last row of each run
    np.testing.assert_allclose(traj.loss[rows], setup.problem.value(traj.params[rows]))
    assert np.isnan(np.delete(traj.loss, rows, axis=0)).all()
    x, loss = loss_curves(setup, traj, "epochs")
    assert x.shape == loss.shape == (402, 2) and np.nanmax(x, axis=0).tolist() == [2.0, 2.0]


def test_large_maps_take_every_other_power_of_two():
    assert map_batch_sizes(256).tolist() == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert map_batch_sizes(100).tolist() == [1, 2, 4, 8, 16, 32, 64, 100]
    assert map_batch_sizes(4096).tolist() == [1, 4, 16, 64, 256, 1024, 4096]
    assert map_batch_sizes(4000).tolist() == [1, 4, 16, 64, 256, 1024, 4000]


def test_the_map_judges_each_run_on_a_few_full_data_losses(monkeypatch):
    """Every recorded row costs a full-data loss of all 2 × 7 × 24 runs: 39 rows of the last
    quarter became MAP_TAIL_ROWS (+ the start)."""
    batch_lr_map.clear()
    make_problem(ProblemConfig("logistic_regression", 4096, 0.5, 0))  # generated before counting
    counted = _count(monkeypatch, "value", _points)
    m = batch_lr_map("logistic_regression", 4096, 0.5, 0, 0.0)
    runs = m.final_loss.size
    assert runs == 2 * 7 * compute.MAP_LRS
    assert sum(counted) == (compute.MAP_TAIL_ROWS + 1) * runs


@pytest.mark.parametrize("kind", ["linear_regression", "logistic_regression"])
def test_the_comparison_with_adam_is_one_run_without_losses(monkeypatch, kind):
    setup = _setup(kind=kind, n=512, epochs=3, batch=16)
    compute.mean_sum_gaps.clear()
    assert setup.problem.n_examples == 512  # generated before counting
    grads = _count(monkeypatch, "batch_loss_and_grad", lambda p, idx, *_: len(p) * len(idx))
    losses = _count(monkeypatch, "value", _points)
    text = compute.adaptive_comparison(setup)
    steps = setup.run_steps[0]
    # SGD and Adam share each reduction's gradient call: 2 calls of 2 runs per step.
    assert len(grads) == 2 * (steps + 1) and sum(grads) == 4 * 16 * (steps + 1)
    assert sum(losses) == 4  # the runner's last row only
    assert text.count("\n") == 1 and "**Adam**" in text
