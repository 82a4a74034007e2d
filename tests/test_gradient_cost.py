"""engine.gradient_cost and figures.backprop_cost: the networks, finite differences against
backprop's gradient, the measurement's bookkeeping, and the chart. No absolute timings (those
belong in benchmarks/backprop_cost.py)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from engine.gradient_cost import (
    GradientCosts,
    cost_specs,
    fd_gradient,
    measure_costs,
    n_params,
)
from engine.nn import MAX_WIDTH, MLPSpec, init_params, loss_and_grad
from figures.backprop_cost import BACKPROP_NAME, FD_NAME, OPEN_NOTE, about, cost_figure
from figures.style import Style, series_style

# --------------------------------------------------------------------------- MAX_WIDTH


def test_max_width_admits_1024_and_refuses_1025():
    assert MAX_WIDTH == 1024
    assert MLPSpec(2, (1024, 1024), 1).n_params == 1024**2 + 5 * 1024 + 1
    with pytest.raises(ValueError, match="between 1 and 1024, got 1025"):
        MLPSpec(2, (1025,), 1)


# --------------------------------------------------------------------------- cost_specs


@pytest.mark.parametrize("max_params", [100, 106, 1000, 12_345, 100_000, 1_000_000])
def test_cost_specs_run_half_decades_from_7_to_max_params(max_params):
    specs = cost_specs(max_params)
    sizes = np.array([s.n_params for s in specs])
    assert sizes[0] == 7 <= 12
    assert np.all(np.diff(sizes) > 0)
    assert max_params <= sizes[-1] <= 1.5 * max_params
    assert n_params(specs[-1].hidden[0] - 1) < max_params  # the narrowest that reaches it
    steps = np.diff(np.log10(sizes))
    assert np.all((steps > 0.3) & (steps < 0.7)), steps  # about half a decade
    assert len(sizes) == 1 + round(math.log10(sizes[-1] / 7) / 0.5)
    for spec in specs:
        w = spec.hidden[0]
        assert (spec.n_inputs, spec.hidden, spec.n_outputs) == (2, (w, w), 1)
        assert (spec.activation, spec.output) == ("tanh", "mse")
        assert spec.n_params == n_params(w) == w * w + 5 * w + 1


def test_cost_specs_known_sizes():
    assert [s.n_params for s in cost_specs(100_000)] == [
        7, 25, 85, 267, 865, 2751, 9115, 30445, 100_167,
    ]  # fmt: skip
    assert cost_specs(1_000_000)[-1].hidden == (998, 998)  # 1,000,995


def test_cost_specs_stop_at_the_widest_network():
    assert cost_specs(2_000_000)[-1].hidden == (MAX_WIDTH, MAX_WIDTH)
    assert cost_specs(1_053_697)[-1].n_params == 1_053_697


@pytest.mark.parametrize("bad", [50, 99, 10**8, 2_000_001, float("nan")])
def test_cost_specs_refuse_out_of_range(bad):
    with pytest.raises(ValueError, match=rf"between 100 and 2,000,000, got {re.escape(repr(bad))}"):
        cost_specs(bad)


# --------------------------------------------------------------------------- fd_gradient


def _batch(seed: int, B: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (B, 2)), rng.normal(size=B)


@pytest.mark.parametrize("spec", cost_specs(1000)[:4], ids=lambda s: f"P{s.n_params}")
def test_fd_gradient_equals_backprop(spec):
    X, y = _batch(1)
    rng = np.random.default_rng(2)
    for _ in range(3):
        params = rng.normal(0.0, 0.7, spec.n_params)  # (P,)
        _, grad = loss_and_grad(spec, params[None], X, y, reduction="mean")
        fd = fd_gradient(spec, params, X, y)
        assert fd.shape == (spec.n_params,)
        assert np.linalg.norm(fd - grad[0]) <= 1e-7 * np.linalg.norm(grad[0])
        np.testing.assert_allclose(fd, grad[0], rtol=1e-6, atol=1e-9)


def test_fd_gradient_other_losses_and_activations():
    # Smooth activations only: relu's kink at 0 (a dead unit's bias sits on it) is not
    # differentiable, and central differences across it average the two slopes.
    for spec in (MLPSpec(2, (5, 3), 1, "tanh", "sigmoid_bce"),
                 MLPSpec(3, (4,), 3, "sigmoid", "softmax_ce")):  # fmt: skip
        rng = np.random.default_rng(3)
        X = rng.normal(size=(10, spec.n_inputs))
        y = rng.integers(0, spec.n_outputs if spec.n_outputs > 1 else 2, 10).astype(float)
        params = init_params(spec, rng)
        _, grad = loss_and_grad(spec, params[None], X, y)
        fd = fd_gradient(spec, params, X, y)
        assert np.linalg.norm(fd - grad[0]) <= 1e-7 * np.linalg.norm(grad[0])


def test_fd_gradient_leaves_params_unchanged_and_checks_inputs():
    spec = cost_specs(100)[1]
    X, y = _batch(4)
    params = np.random.default_rng(5).normal(size=spec.n_params)
    before = params.copy()
    fd_gradient(spec, params, X, y)
    np.testing.assert_array_equal(params, before)
    with pytest.raises(ValueError, match=rf"params must be \({spec.n_params},\), got \(3,\)"):
        fd_gradient(spec, params[:3], X, y)
    with pytest.raises(ValueError, match=r"h must be finite and > 0, got 0\.0"):
        fd_gradient(spec, params, X, y, h=0.0)


# --------------------------------------------------------------------------- measure_costs


@pytest.fixture(scope="module")
def measured():
    calls: list[tuple[float, str]] = []
    costs = measure_costs(
        1000, batch=8, full_fd_params=100, budget_s=0.2, progress=lambda f, m: calls.append((f, m))
    )
    return costs, calls


def test_measure_costs_bookkeeping(measured):
    costs, _ = measured
    sizes = np.array([s.n_params for s in cost_specs(1000)])  # [7, 25, 85, 301, 1051]
    S = len(sizes)
    assert isinstance(costs, GradientCosts) and costs.batch == 8
    np.testing.assert_array_equal(costs.n_params, sizes)
    assert costs.n_params.dtype == np.int64 and costs.fd_measured.dtype == np.bool_
    for times in (costs.backprop_s, costs.forward_s, costs.fd_s):
        assert times.shape == (S,) and times.dtype == np.float64
        assert np.all(np.isfinite(times) & (times > 0))
    np.testing.assert_array_equal(costs.fd_measured, sizes <= 100)
    assert costs.fd_measured.any() and not costs.fd_measured.all()  # both kinds seen
    out = ~costs.fd_measured
    np.testing.assert_array_equal(costs.fd_s[out], 2 * costs.n_params[out] * costs.forward_s[out])
    assert costs.ratio == costs.fd_s[-1] / costs.backprop_s[-1]


def test_measure_costs_reports_progress(measured):
    costs, calls = measured
    fractions = [f for f, _ in calls]
    assert len(calls) == len(costs.n_params)
    assert np.all(np.diff(fractions) > 0) and fractions[-1] == 1.0
    for (_, message), p, fd_run in zip(calls, costs.n_params, costs.fd_measured, strict=True):
        assert message.startswith(f"P = {p:,}: backprop ")
        assert message.endswith(" s") == bool(fd_run)  # "(estimated)" where not run


def test_measure_costs_defaults_measure_fd_up_to_2000():
    costs = measure_costs(10_000, budget_s=0.05)
    np.testing.assert_array_equal(costs.fd_measured, costs.n_params <= 2000)
    assert costs.batch == 32


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch": 0}, "batch must be an integer ≥ 1, got 0"),
        ({"budget_s": 0.0}, "budget_s must be finite and > 0, got 0.0"),
        ({"full_fd_params": -1}, "full_fd_params must be ≥ 0, got -1"),
    ],
)
def test_measure_costs_refuses_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        measure_costs(1000, **kwargs)


# --------------------------------------------------------------------------- cost_figure


def _costs(fd_measured: list[bool]) -> GradientCosts:
    sizes = np.array([7, 85, 1051, 10_095, 100_167], dtype=np.int64)[: len(fd_measured)]
    forward = 2e-5 + 3e-9 * sizes
    backprop = 2.5 * forward
    measured = np.array(fd_measured)
    fd = np.where(measured, 2.2 * sizes * forward, 2 * sizes * forward)
    return GradientCosts(sizes, backprop, forward, fd, measured, 32)


def test_cost_figure_series_axes_and_markers():
    costs = _costs([True, True, True, False, False])
    fig = cost_figure(costs, Style())
    assert [t.name for t in fig.data] == [FD_NAME, BACKPROP_NAME]
    fd, bp = fig.data
    assert list(fd.x) == list(bp.x) == [7, 85, 1051, 10_095, 100_167]
    np.testing.assert_allclose(fd.y, costs.fd_s, rtol=1e-3)
    np.testing.assert_allclose(bp.y, costs.backprop_s, rtol=1e-3)
    assert fig.layout.xaxis.type == fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    s0, s1 = series_style(0), series_style(1)
    assert list(fd.marker.symbol) == [s0.symbol] * 3 + [f"{s0.symbol}-open"] * 2
    assert list(bp.marker.symbol) == [s1.symbol] * 5
    assert (fd.line.dash, bp.line.dash) == (s0.dash, s1.dash)
    assert fd.marker.color != bp.marker.color and fd.line.dash != bp.line.dash
    assert "P = 100,167" in fd.text[-1] and "estimated" in fd.text[-1] and " ms" in fd.text[-1]
    assert "measured" in fd.text[0] and "P = 7" in bp.text[0]
    assert fig.layout.legend.title.text == OPEN_NOTE
    assert fig.layout.legend.title.font.size == Style().tick_font


def test_cost_figure_ratio_annotation_matches_costs_ratio():
    costs = _costs([True, True, False, False, False])
    fig = cost_figure(costs, Style.projector_mode())
    (text,) = [a.text for a in fig.layout.annotations if "longer" in a.text]
    assert f"finite differences take ~{about(costs.ratio)}× longer" in text
    shown = float(re.search(r"~([\d,.]+)×", text).group(1).replace(",", ""))
    assert shown == pytest.approx(costs.ratio, rel=0.05)
    assert "P = 100,167" in text
    (ratio_note,) = [a for a in fig.layout.annotations if "longer" in a.text]
    # at the largest P, just above backprop's point (log axes: log₁₀ positions)
    assert ratio_note.x == pytest.approx(math.log10(100_167))
    assert ratio_note.y == pytest.approx(math.log10(costs.backprop_s[-1]))
    assert ratio_note.yanchor == "bottom" and ratio_note.yshift > 0


def test_cost_figure_all_measured_has_no_open_markers_or_note():
    fig = cost_figure(_costs([True, True, True]), Style())
    assert not any(str(s).endswith("-open") for s in fig.data[0].marker.symbol)
    assert fig.layout.legend.title.text is None


def test_cost_figure_is_deterministic_and_uses_the_style(measured):
    costs, _ = measured
    a, b = cost_figure(costs, Style()), cost_figure(costs, Style())
    assert a.to_json() == b.to_json()
    big = cost_figure(costs, Style.projector_mode())
    assert big.layout.xaxis.tickfont.size == Style.projector_mode().tick_font
    assert big.data[0].line.width == Style.projector_mode().line
    symbols = list(a.data[0].marker.symbol)
    assert [s.endswith("-open") for s in symbols] == list(~costs.fd_measured)


@pytest.mark.parametrize(
    ("value", "text"),
    [(74_397.9, "74,000"), (633_726.8, "630,000"), (4.37, "4.4"), (43.7, "44"),
     (1_234_567.0, "1,200,000"), (0.0512, "0.051"), (float("inf"), "?")],
)  # fmt: skip
def test_about_keeps_two_significant_figures(value, text):
    assert about(value) == text
