"""Sum or mean?: figures and words for every problem — with or without a minimum — and the
small things a learner reads (issue 9 §3 and §6)."""

import json

import numpy as np
import pytest

from engine.problems import ProblemConfig, make_problem
from figures.common import compact
from figures.style import OKABE_ITO, Style, series_style
from figures.sum_mean import curves_figure, ellipse, noise_cloud_figure
from tests.plotly_json import decode
from tests.sum_or_mean_setup import make_setup
from ui.sum_or_mean.charts import map_chart, paths_chart
from ui.sum_or_mean.compute import (
    ab_runs,
    batch_lr_map,
    loss_curves,
    noise_cloud,
)
from ui.sum_or_mean.text import different_batches_note, pair_verdict, run_labels

HINT = "Switch the loss curves to *epochs*"


_setup = make_setup


def _json(figure):
    return json.loads(figure.to_json())


# ------------------------------------------------------------------ no known minimum


@pytest.mark.parametrize("noise", [0.0, 0.008])
def test_logistic_regression_without_a_minimum_draws_and_says_the_loss_itself(noise):
    setup = _setup(kind="logistic_regression", n=64, noise=noise, lr_a=0.5, lr_b=0.5 / 32)
    problem = setup.problem
    assert len(problem.minima) == 0 and problem.loss_floor is None and not problem.log_color
    labels = run_labels(setup)
    traj = ab_runs(setup)
    # Crashed with TypeError: min(x, *[]) in the contour's log scale.
    paths = _json(paths_chart(setup, labels, Style()))
    assert paths["data"][0]["marker"]["colorbar"]["title"]["text"] == "loss"
    # The loss curves: the loss itself, and the titles say so (was: loss − None).
    x, loss = loss_curves(setup, traj, "epochs")
    curves = _json(curves_figure(x, loss, labels, "epochs", problem.loss_floor, Style()))
    assert curves["layout"]["yaxis"]["title"]["text"] == "loss"
    assert "no minimum" in curves["layout"]["title"]["text"]
    first = decode(curves["data"][0]["y"])[0]
    assert first == pytest.approx(loss[0, 0], rel=1e-6)  # the loss, nothing subtracted
    # B with its own batch size: the verdict crashed with IndexError on minima_values[0].
    own = _setup(kind="logistic_regression", n=64, noise=noise, batch_b=64, red_b="mean",
                 lr_a=0.5, lr_b=0.5)  # fmt: skip
    own_traj = ab_runs(own)
    verdict = pair_verdict(own, own_traj)
    assert "minimum" not in verdict
    assert f"loss **{own_traj.loss[own.run_steps[1], 1]:.3g}**" in verdict
    # The map: IndexError on minima_values[0]; now coloured by log₁₀ of the loss itself.
    m = batch_lr_map("logistic_regression", 64, noise, 0, 0.0)
    assert m.loss_floor is None
    cells = _json(map_chart("logistic_regression", 64, noise, 0, 0.0, Style()))["data"][0]
    assert cells["marker"]["colorbar"]["title"]["text"] == "log₁₀(final loss)"
    ok = np.isfinite(m.final_loss[0])
    assert cells["marker"]["color"] == compact(np.log10(m.final_loss[0][ok]))


def test_a_well_classified_example_keeps_its_tiny_loss():
    """On separable data the loss falls towards 0 and is drawn on a log scale, so an
    example's loss must not cancel to 0: log(1 + eˢ) − y·s lost it for margins beyond ~37."""
    problem = make_problem(ProblemConfig("logistic_regression", 64, 0.0, 0))
    theta = 40.0 * np.array([2.0, -1.0])  # the generating direction: every example right
    losses = problem.example_losses(theta)
    margins = -np.abs(problem.features @ theta)
    assert np.all(losses > 0)
    np.testing.assert_allclose(losses, np.log1p(np.exp(margins)), rtol=1e-12)
    assert problem.value(theta) == pytest.approx(losses.mean(), rel=1e-12)
    assert problem.value(theta) > 0


# ------------------------------------------------------------------ the noise cloud


def test_the_full_gradient_has_its_own_colour_dash_and_marker():
    start = tuple(_setup().problem.default_start.tolist())
    clouds = [noise_cloud("linear_regression", 256, 0.5, 0, start, 4, r) for r in ("mean", "sum")]
    figure = _json(noise_cloud_figure(clouds, ["A", "B"], Style()))
    arrows = [t for t in figure["data"] if t["name"] == "full gradient"]
    runs = [series_style(k) for k in range(2)]
    assert len(arrows) == 2
    for arrow in arrows:
        assert arrow["line"]["color"] in OKABE_ITO
        assert arrow["line"]["color"] not in {s.color for s in runs}  # was run B's #D55E00
        assert arrow["line"]["dash"] not in {"solid", *(s.dash for s in runs)}
        assert arrow["marker"]["symbol"][0] not in {s.symbol for s in runs}


def test_each_noise_panel_is_scaled_to_its_own_cloud():
    """Sum, B = 4 beside B = 64: the arrow is 16× longer on the right. One shared scale made
    the left cloud a dot; each panel now spans its own cloud, arrow and ellipse."""
    start = tuple(_setup().problem.default_start.tolist())
    clouds = [noise_cloud("linear_regression", 256, 0.5, 0, start, b, "sum") for b in (4, 64)]
    layout = _json(noise_cloud_figure(clouds, ["A", "B"], Style()))["layout"]
    spans = []
    for panel, cloud in enumerate(clouds):
        xaxis, yaxis = ("xaxis", "yaxis") if panel == 0 else ("xaxis2", "yaxis2")
        shown = np.concatenate([cloud.samples, cloud.full_grad[None], np.zeros((1, 2)),
                                ellipse(cloud.full_grad, cloud.covariance)])  # fmt: skip
        extent = float(np.ptp(shown, axis=0).max())
        for axis, d in ((xaxis, 0), (yaxis, 1)):
            low, high = layout[axis]["range"]
            assert low <= shown[:, d].min() and shown[:, d].max() <= high
            assert high - low == pytest.approx(1.1 * extent, rel=1e-9)  # fitted, 10 % padding
            assert layout[axis]["exponentformat"] == "power"  # no "600B" next to batch size B
        spans.append(layout[xaxis]["range"][1] - layout[xaxis]["range"][0])
    assert spans[1] / spans[0] > 4  # one shared range: 1


# ------------------------------------------------------------------ words


def test_one_epoch_and_one_step_are_singular():
    full = _setup(epochs=1, batch=256, lr_b=0.1 / 256)  # one step of the full batch
    assert "**1 step** of batch size 256 (1 epoch of N = 256)" in pair_verdict(full, ab_runs(full))
    own = _setup(epochs=1, batch=128, batch_b=256, red_b="mean", lr_b=0.1)
    text = pair_verdict(own, ab_runs(own))
    assert "The same 1 epoch of N = 256 for both" in text and "B: **1 step**" in text
    assert "A: **2 steps**" in text
    note = different_batches_note(own)
    assert "finishes its 1 epoch in 1 step instead of 2" in note
    assert "epochs" not in note and "1 steps" not in note


def test_the_hint_to_switch_to_epochs_only_while_the_curves_show_steps():
    own = _setup(batch_b=128, red_b="mean", lr_b=0.1)
    traj = ab_runs(own)
    assert HINT in pair_verdict(own, traj)
    assert HINT in pair_verdict(own, traj, x_axis="optimizer steps")
    for axis in ("epochs", "examples seen"):
        text = pair_verdict(own, traj, x_axis=axis)
        assert HINT not in text and text.endswith("**.")


def test_the_verdict_says_when_the_step_cap_cut_the_epochs_short():
    capped = _setup(n=4096, batch=1, epochs=1, lr_a=0.01, lr_b=0.01)  # 4096 steps > 3000
    assert capped.run_steps == (3000, 3000)
    text = pair_verdict(capped, ab_runs(capped))
    assert text.endswith(" Both runs stop at 3000 steps, 0.732 of their 1 epoch.")
    own = _setup(n=4096, batch=1, batch_b=4096, red_b="mean", epochs=2, lr_a=0.01, lr_b=0.01)
    text = pair_verdict(own, ab_runs(own), x_axis="epochs")
    assert text.endswith(". Run A stops at 3000 steps, 0.732 of its 2 epochs.")
    assert "Run B" not in text  # B's 2 steps are its 2 epochs
    assert "stops" not in pair_verdict(_setup(), ab_runs(_setup()))
