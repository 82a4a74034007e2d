"""Sum or mean?: the batch-size × lr map draws the theory of what it ran, and the learner's
runs on it (issue 9 §6 and §9)."""

import json

import numpy as np
import pytest

from engine import theory
from engine.problems import ProblemConfig, make_problem
from figures.style import Style, series_style
from ui.sum_or_mean.charts import map_chart
from ui.sum_or_mean.compute import batch_lr_map

N = 64


def _figure(momentum=0.0, current=None):
    chart = map_chart("linear_regression", N, 0.5, 0, momentum, Style(), current=current)
    return json.loads(chart.to_json())


def test_the_wall_drawn_is_the_wall_of_the_momentum_that_ran():
    """At μ = 0.9 the map's SGD runs survive up to (2 + 2μ)/λmax = 1.9× the plain-GD line the
    map used to draw: on the full-batch column, runs below the drawn wall converge and runs
    beyond it blow up, under mean and (at 1/N of it) under sum."""
    mu = 0.9
    m = batch_lr_map("linear_regression", N, 0.5, 0, mu)
    problem = make_problem(ProblemConfig("linear_regression", N, 0.5, 0))
    lam_max = float(theory.quadratic_eigs(problem.hessian(problem.default_start))[-1])
    np.testing.assert_allclose(m.wall[0], 3.8 / lam_max, rtol=1e-12)
    np.testing.assert_allclose(m.wall[1], 3.8 / (lam_max * m.batch_sizes), rtol=1e-12)
    assert m.batch_sizes[-1] == N and m.momentum == mu
    for panel in (0, 1):
        wall, lrs, final = m.wall[panel, -1], m.lrs[panel], m.final_loss[panel, -1]
        assert np.all(np.isfinite(final[lrs < 0.9 * wall]))
        assert np.all(np.isnan(final[lrs > 1.1 * wall]))
        assert np.any(np.isfinite(final[(lrs > 2 / lam_max / (N if panel else 1))]))


def test_the_optimum_drawn_is_the_exact_one_step_optimum_at_the_start():
    for mu in (0.0, 0.5):
        m = batch_lr_map("linear_regression", N, 0.5, 0, mu)
        problem = make_problem(ProblemConfig("linear_regression", N, 0.5, 0))
        s = problem.noise_scales(problem.default_start)
        b = m.batch_sizes.astype(float)
        exact = (1 - mu) * s.eps_max / (1 + s.b_noise / b * (N - b) / (N - 1))
        np.testing.assert_allclose(m.optimum[0], exact, rtol=1e-12)
        np.testing.assert_allclose(m.optimum[1], exact / b, rtol=1e-12)
        assert m.optimum[0, -1] == pytest.approx((1 - mu) * s.eps_max)  # full batch: no noise


def test_the_theory_lines_say_what_they_are():
    for mu in (0.0, 0.9):
        figure = _figure(mu)
        lines = {t["name"]: t for t in figure["data"] if t.get("mode") == "lines+markers"}
        (optimum,) = [t for name, t in lines.items() if "one-step optimum at the start" in name]
        (wall,) = [t for name, t in lines.items() if name.startswith("full-batch stability")]
        assert "mini-batch" in wall["hovertemplate"] and "0.9–0.97×" in wall["hovertemplate"]
        assert "(N − B)/(N − 1)" in optimum["hovertemplate"]
        title = figure["layout"]["title"]["text"]
        if mu:
            assert (
                "(1 − μ)" in optimum["name"] and "(2 + 2μ)/λmax, μ = 0.9" in wall["hovertemplate"]
            )
            assert "momentum 0.9" in title
        else:
            assert "μ" not in optimum["name"] and "2/λmax" in wall["hovertemplate"]


def _runs(figure):
    return [t for t in figure["data"] if t.get("name", "").startswith("run ")]


def test_runs_a_and_b_are_marked_on_their_panels():
    assert _runs(_figure()) == []
    a, b = _runs(_figure(current=((32, 0.1, "mean"), (8, 0.1 / 32, "sum"))))
    for k, (trace, axis, batch, lr) in enumerate(((a, "x", 32.0, 0.1), (b, "x2", 8.0, 0.1 / 32))):
        assert trace["xaxis"] == axis and trace["x"] == [batch]
        assert trace["y"] == [pytest.approx(lr)]
        assert trace["marker"]["symbol"] == series_style(k).symbol
        assert trace["marker"]["color"] == series_style(k).color
    assert a["name"] == "run A: B = 32, lr 0.1 (mean)"


def test_a_run_off_the_map_waits_at_its_edge_pointing_out():
    m = batch_lr_map("linear_regression", N, 0.5, 0, 0.0)
    up, down = _runs(_figure(current=((4, 100.0, "mean"), (4, 1e-7, "sum"))))
    assert up["marker"]["symbol"] == "triangle-up" and "off the map" in up["name"]
    assert up["y"] == [pytest.approx(m.lrs[0].max() * 1.3)]
    assert down["marker"]["symbol"] == "triangle-down" and down["xaxis"] == "x2"
    assert down["y"] == [pytest.approx(m.lrs[1].min() / 1.3)]
