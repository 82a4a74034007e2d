"""The "Sum or mean?" lesson: its experiments are real; see also test_app_sum_or_mean."""

import json

import numpy as np
import pytest

from tests.apptest import ok as _ok
from tests.apptest import open_link
from tests.plotly_json import decode
from tests.sum_or_mean_setup import make_setup
from ui.sum_or_mean.compute import ab_runs, batch_lr_map, l2_norms, noise_cloud
from ui.sum_or_mean.text import ragged_batch_note


def _page(query=None):
    return open_link("sum_or_mean", query)


_setup = make_setup


def test_match_makes_sum_retrace_mean_exactly():
    traj = ab_runs(_setup(momentum=0.9))
    assert np.all(traj.diverged_at == -1)
    np.testing.assert_allclose(traj.params[:, 1], traj.params[:, 0], rtol=1e-12, atol=1e-12)


def test_a_ragged_last_batch_parts_matched_paths_and_the_page_says_why():
    # N = 256, B = 24: ten batches of 24 and one of 16 per epoch.
    ragged = ab_runs(_setup(batch=24, lr_b=0.1 / 24))
    assert np.max(np.abs(ragged.params[:, 1] - ragged.params[:, 0])) > 1e-3
    dropped = ab_runs(_setup(batch=24, lr_b=0.1 / 24, drop_last=True))
    np.testing.assert_allclose(dropped.params[:, 1], dropped.params[:, 0], atol=1e-12)
    note = ragged_batch_note("sgd", 256, 24, False, ("mean", "sum"), (0.1, 0.1 / 24))
    assert note is not None and "only 16 examples" in note and "16/24" in note
    assert ragged_batch_note("sgd", 256, 24, False, ("sum", "mean"), (0.1 / 24, 0.1)) == note
    for silent in [("sgd", 256, 24, True, ("mean", "sum"), (0.1, 0.1 / 24)),  # drop last
                   ("sgd", 256, 32, False, ("mean", "sum"), (0.1, 0.1 / 32)),  # B divides N
                   ("sgd", 256, 24, False, ("mean", "sum"), (0.1, 0.1)),  # not matched
                   ("adam", 256, 24, False, ("mean", "sum"), (0.1, 0.1 / 24)),
                   ("sgd", 256, 24, False, ("mean", "mean"), (0.1, 0.1))]:  # fmt: skip
        assert ragged_batch_note(*silent) is None, silent
    at = _page({"sm_batch": "24", "sm_lr_b": str(0.1 / 24)})
    _ok(at)
    assert any("only 16 examples" in i.value for i in at.info)


def test_a_bigger_batch_takes_fewer_steps_and_linear_scaling_catches_up():
    same_lr = _setup(red_b="mean", batch_b=128, lr_b=0.1, epochs=10)
    assert same_lr.run_steps == (80, 20)  # 10 epochs of 256 examples each
    traj = ab_runs(same_lr)
    assert traj.params.shape[0] == 81 and np.all(traj.diverged_at == -1)
    np.testing.assert_array_equal(traj.params[20:, 1], np.repeat(traj.params[[20], 1], 61, 0))
    np.testing.assert_array_equal(traj.examples_seen[[80, 20], [0, 1]], [2560, 2560])
    assert np.isnan(traj.batch_loss[20:, 1]).all() and np.isfinite(traj.batch_loss[:, 0]).all()
    floor = same_lr.problem.minima_values[0]
    a_end = traj.loss[80, 0] - floor
    assert traj.loss[20, 1] - floor > 3 * a_end  # same lr, 4x fewer steps: far behind
    scaled = ab_runs(_setup(red_b="mean", batch_b=128, lr_b=0.4, epochs=10))
    np.testing.assert_array_equal(scaled.params[:, 0], traj.params[:, 0])  # A is unchanged
    assert abs(scaled.loss[20, 1] - floor - a_end) < 0.2 * a_end  # 4x the lr: caught up


def test_match_uses_the_linear_scaling_rule_across_batch_sizes():
    at = _page({"sm_own_b": "true", "sm_batch_b": "128", "sm_red_b": "mean"})
    at.button[[b.label for b in at.button].index("Match B to A")].click().run()
    _ok(at)
    assert at.select_slider(key="sm_lr_b").value == pytest.approx(0.1 * 128 / 32)
    at.segmented_control(key="sm_red_b").set_value("sum").run()
    at.button[[b.label for b in at.button].index("Match B to A")].click().run()
    assert at.select_slider(key="sm_lr_b").value == pytest.approx(0.1 * 4 / 128)
    text = " ".join(m.value for m in at.markdown)
    assert "The same 5 epochs of N = 256 for both" in text and "B: **10 steps**" in text
    at.segmented_control(key="sm_x").set_value("epochs").run()
    curves = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert [float(np.nanmax(decode(t["x"]))) for t in curves["data"]] == pytest.approx([5.0, 5.0])


def test_the_gradient_noise_presets_show_the_spread_scaling_with_the_batch():
    start = tuple(_setup().problem.default_start.tolist())
    n, small, large = 256, 4, 64
    mean = [noise_cloud("linear_regression", n, 0.5, 0, start, b, "mean") for b in (small, large)]
    total = [noise_cloud("linear_regression", n, 0.5, 0, start, b, "sum") for b in (small, large)]
    spread = [np.trace(c.covariance) for c in mean]
    # Σ_B = Σ/B · (N − B)/(N − 1): sixteen times the batch, 21× less variance here
    assert spread[0] / spread[1] == pytest.approx((n - small) / small / ((n - large) / large))
    np.testing.assert_allclose(mean[0].full_grad, mean[1].full_grad)  # same arrow
    np.testing.assert_allclose(total[1].full_grad, 16 * total[0].full_grad)  # sum: B× arrow
    assert np.trace(total[1].covariance) > np.trace(total[0].covariance)  # and a wider cloud
    at = _page()
    for name in ("Gradient noise: 16× the batch, a quarter of the spread (mean)",
                 "Gradient noise under sum: the arrow and the cloud grow with B"):  # fmt: skip
        at.selectbox(key="sum_or_mean_preset").set_value(name).run()
        at.button(key="sum_or_mean_preset_apply").click().run()
        _ok(at)
        cloud = json.loads(at.get("plotly_chart")[2].proto.spec)
        assert [a["text"] for a in cloud["layout"]["annotations"]][:2] == [
            f"<b>{label}</b>" for label in _labels(at)
        ]


def _labels(at):
    return [
        t["name"]
        for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
        if t.get("mode") == "markers" and t.get("name", "").startswith(("A:", "B:"))
    ]


def test_same_lr_under_sum_takes_b_times_the_step():
    traj = ab_runs(_setup(lr_b=0.1, epochs=1))
    assert traj.diverged_at[1] > 0 and traj.diverged_at[0] == -1
    first_a = traj.params[1, 0] - traj.params[0, 0]
    first_b = traj.params[1, 1] - traj.params[0, 1]
    np.testing.assert_allclose(first_b, 32 * first_a, rtol=1e-12)


def test_true_sgd_and_adam_barely_care():
    sgd = ab_runs(_setup(batch=1, lr_b=0.05, lr_a=0.05, epochs=1))
    np.testing.assert_array_equal(sgd.params[:, 0], sgd.params[:, 1])
    adam = ab_runs(_setup(optimizer="adam", momentum=0.9, lr_a=0.05, lr_b=0.05))
    assert np.abs(adam.params[:, 0] - adam.params[:, 1]).max() < 1e-5


def test_adaptive_comparison_says_adam_does_not_care():
    from ui.sum_or_mean.compute import adaptive_comparison

    text = adaptive_comparison(_setup(lr_a=0.05))
    sgd_line, adam_line = text.splitlines()
    assert "SGD" in sgd_line and "diverged" in sgd_line
    gap = float(adam_line.split("**")[-2])
    assert "Adam" in adam_line and gap < 1e-4


def test_the_measured_best_lr_follows_the_theory_trend():
    m = batch_lr_map("linear_regression", 256, 0.5, 0, 0.0)
    mean, total = m.best_lr
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(total))
    assert np.all(np.diff(mean) >= 0) and mean[-1] > 2 * mean[0]  # grows with B under mean
    assert total[-1] < total[0] / 10  # falls with B under sum
    assert np.sum(np.diff(total) < 0) >= len(total) - 2
    assert np.all(np.diff(m.optimum[0]) > 0) and np.all(np.diff(m.optimum[1]) < 0)
    np.testing.assert_allclose(m.wall[1] * m.batch_sizes, m.wall[0])  # 2/(Bλ) vs 2/λ


def test_l2_is_weaker_under_sum_as_batches_grow():
    _, norms = l2_norms("linear_regression", 256, 0.5, 0, 0.5, 0.1)
    mean, total = norms
    assert np.ptp(mean) < 0.25 * mean.mean()  # about the same at every B
    assert total[-1] > 1.5 * total[0] and total[-1] > 1.5 * mean[-1]


def test_the_noise_scale_grows_as_the_run_approaches_the_minimum():
    from ui.sum_or_mean.compute import noise_scale_along

    setup = _setup(lr_b=0.1 / 32, epochs=20)
    steps, scales = noise_scale_along(setup)
    assert steps[0] == 0 and len(steps) <= 60 and np.all(np.isfinite(scales))
    assert scales[-1] > 10 * scales[0]


def test_the_noise_cloud_is_real_and_scales_with_the_reduction():
    point = (0.0, 0.5)
    small = noise_cloud("linear_regression", 256, 0.5, 0, point, 4, "mean")
    large = noise_cloud("linear_regression", 256, 0.5, 0, point, 64, "mean")
    summed = noise_cloud("linear_regression", 256, 0.5, 0, point, 64, "sum")
    assert np.trace(large.covariance) < np.trace(small.covariance) / 10
    np.testing.assert_allclose(summed.covariance, 64**2 * large.covariance)
    np.testing.assert_allclose(summed.full_grad, 64 * large.full_grad)
    empirical = np.cov(small.samples.T)
    np.testing.assert_allclose(np.trace(empirical), np.trace(small.covariance), rtol=0.2)
