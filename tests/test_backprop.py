"""engine.backprop: the graph's node gradients, the backward steps and the chain-rule products
reproduce engine.nn's backprop and central finite differences, for every activation, loss and
shape; the nudge, the finite-difference V, batches and the update hold their numbers; and the
lesson's presets show what they claim."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from engine import backprop as bp
from engine import backprop_batch as bb
from engine.nn import ACTIVATIONS, loss_and_grad
from ui.backprop.compute import batch_from, net_from
from ui.backprop.params import LESSON, PRESETS, SEED_NUDGE, P

SHAPES = [(i, (u1, u2)) for i in (1, 2) for u1 in (1, 2) for u2 in (1, 2)]
CASES = list(itertools.product(ACTIVATIONS, bp.LOSSES))


def _example(spec, seed):
    rng = np.random.default_rng(seed)
    params = rng.normal(0.0, 0.8, spec.n_params)
    x = rng.uniform(-2.0, 2.0, spec.n_inputs)
    y = float(rng.integers(0, 2)) if spec.output in bp.CLASS_LOSSES else float(rng.normal())
    return params, x, y


def _central(spec, params, x, y, h=1e-6):
    """An independent reference: central differences of the loss, one parameter at a time."""
    out = np.empty(spec.n_params)
    for k in range(spec.n_params):
        plus, minus = params.copy(), params.copy()
        plus[k] += h
        minus[k] -= h
        losses = bb.batch_losses(spec, np.stack([plus, minus]), x[None], [y])
        out[k] = (losses[0] - losses[1]) / (2 * h)
    return out


@pytest.mark.parametrize(("activation", "loss"), CASES)
def test_the_node_gradients_reproduce_the_engines_backprop_and_finite_differences(activation, loss):
    for (inputs, units), seed in itertools.product(SHAPES, range(3)):
        spec = bp.lesson_spec(inputs, units, activation, loss)
        params, x, y = _example(spec, seed)
        g = bp.graph(spec, params, x, y)
        _, reference = loss_and_grad(spec, params[None], x[None], np.array([y]))
        np.testing.assert_allclose(g.grad, reference[0], rtol=0, atol=0)
        # ∂L/∂W_l[i, j] = input_i · ∂L/∂z_{l,j} and ∂L/∂b_{l,j} = ∂L/∂z_{l,j}, from the nodes
        for ref in bp.param_refs(spec):
            delta = g.delta[ref.layer - 1][ref.j - 1]
            local = g.inputs_of(ref.layer)[ref.i - 1] if ref.kind == "w" else 1.0
            assert g.gradient(ref) == pytest.approx(local * delta, rel=1e-12, abs=1e-15), ref
        np.testing.assert_allclose(g.grad, _central(spec, params, x, y), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(("activation", "loss"), CASES)
def test_every_step_row_and_every_chain_product_sums_to_its_gradient(activation, loss):
    for (inputs, units), seed in itertools.product(SHAPES, range(2)):
        spec = bp.lesson_spec(inputs, units, activation, loss)
        g = bp.graph(spec, *_example(spec, 10 + seed))
        for step in bp.backward_steps(g):
            for row in step.rows:
                if row.terms:
                    total = sum(t.product for t in row.terms)
                    assert total == pytest.approx(row.gradient, rel=1e-12, abs=1e-15)
                assert row.gradient == g.gradient(row.target)
        for ref in bp.param_refs(spec):
            paths = bp.chain(g, ref)
            assert bp.chain_sum(paths) == pytest.approx(g.gradient(ref), rel=1e-10, abs=1e-14)
            assert all(path[0].upper == bp.LOSS and path[-1].lower == ref for path in paths)


def test_a_deep_weight_has_one_path_per_unit_above_it():
    spec = bp.lesson_spec(2, (2, 2), "tanh", "mse")
    g = bp.graph(spec, *_example(spec, 0))
    assert len(bp.chain(g, bp.Ref("w", 1, 1, 1))) == 2  # through either unit of layer 2
    assert len(bp.chain(g, bp.Ref("w", 2, 1, 1))) == 1
    assert len(bp.chain(g, bp.Ref("w", 1, 1, 1))[0]) == 6  # ∂L/∂z₃ … ∂z₁/∂w: six factors


def test_the_backward_steps_find_every_node_and_every_parameter_once():
    for inputs, units in SHAPES:
        spec = bp.lesson_spec(inputs, units, "relu", "mse")
        g = bp.graph(spec, *_example(spec, 1))
        steps = bp.backward_steps(g)
        assert len(steps) == bp.step_count(spec) == 8
        assert steps[0].rows == () and steps[1].rows[0].target == bp.LOSS
        targets = [row.target for step in steps for row in step.rows]
        assert len(targets) == len(set(targets))
        params = set(bp.param_refs(spec))
        sizes = enumerate(spec.sizes[1:], start=1)
        nodes = {bp.node(k, layer, j) for layer, size in sizes for j in range(1, size + 1)
                 for k in ("z", "a") if k == "z" or layer < 3}  # fmt: skip
        assert set(targets) == params | nodes | {bp.LOSS}
        # the gradient flows down: layer 3's parameters before layer 2's before layer 1's
        layer_of = [s.layer for s in steps if s.kind == "layer"]
        assert layer_of == [3, 2, 1]


def test_the_engine_functions_leave_their_inputs_unchanged():
    spec = bp.lesson_spec(2, (2, 2), "tanh", "mse")
    params, x, y = _example(spec, 3)
    X = np.array([x, -x])
    before = (params.copy(), X.copy())
    bp.graph(spec, params, x, y)
    bb.fd_errors(spec, params, X, [y, y], 0)
    bb.sgd_steps(spec, params, X, [y, y], 0.1, reset=False)
    bb.loss_after_step(spec, params, X, [y, y], [0.1, 1.0])
    np.testing.assert_array_equal(params, before[0])
    np.testing.assert_array_equal(X, before[1])


def test_bad_shapes_and_losses_are_refused_with_the_value():
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        bp.lesson_spec(2, (3, 2), "relu", "mse")
    with pytest.raises(ValueError, match="softmax_ce"):
        bp.lesson_spec(2, (2, 2), "relu", "softmax_ce")
    spec = bp.lesson_spec(1, (1, 1), "relu", "mse")
    with pytest.raises(ValueError, match="no parameter"):
        bp.param_index(spec, bp.Ref("w", 1, 2, 1))
    with pytest.raises(ValueError, match="h must be"):
        bb.nudge(spec, np.zeros(spec.n_params), [[1.0]], [0.0], 0, 0.0)


# --------------------------------------------------------------------------- the lesson's numbers


def _preset_net(name):
    values = LESSON.preset_values(name)
    LESSON.constrain(values)
    return values, net_from(values)


def test_the_seeds_nudge_holds_on_the_default_network():
    """Weight 0.30: loss 0.5; at 0.35: 0.6; at 0.25: 0.4 — and backprop's slope says it."""
    _, net = _preset_net(SEED_NUDGE)
    index = bp.param_index(net.spec, bp.Ref("w", 1, 1, 1))
    assert net.params[index] == 0.3
    n = bb.nudge(net.spec, np.array(net.params), [net.x], [net.y], index, 0.05)
    assert (n.loss, n.loss_plus, n.loss_minus) == pytest.approx((0.5, 0.6, 0.4), abs=0.006)
    assert n.gradient == pytest.approx(2.0, abs=0.03)
    assert n.central_slope == pytest.approx(n.gradient, rel=0.01)


def test_central_differences_are_best_near_1e_5_to_1e_8_and_form_a_v():
    _, net = _preset_net("Finite differences: the best h")
    for ref in (bp.Ref("w", 1, 1, 1), bp.Ref("w", 2, 1, 2), bp.Ref("b", 1, 0, 2)):
        errors = bb.fd_errors(net.spec, np.array(net.params), [net.x], [net.y],
                              bp.param_index(net.spec, ref))  # fmt: skip
        assert 1e-8 <= errors.best_central <= 1e-5, ref
        assert 1e-10 <= errors.best_forward <= 1e-6, ref
        for err in (errors.central_error, errors.forward_error):
            low = float(np.min(err))
            assert err[0] > 100 * low and err[-1] > 100 * low  # both arms of the V rise
        assert float(np.min(errors.central_error)) < float(np.min(errors.forward_error))


def test_an_output_weight_under_squared_error_has_no_truncation_error():
    """The loss is a parabola in a last-layer weight: the central slope is exact at h = 0.1."""
    _, net = _preset_net(SEED_NUDGE)
    index = bp.param_index(net.spec, bp.Ref("w", 3, 1, 1))
    errors = bb.fd_errors(net.spec, np.array(net.params), [net.x], [net.y], index)
    assert errors.central_error[-1] < 1e-12
    assert errors.forward_error[-1] > 1e-4  # the one-sided slope still has its O(h) error


def test_a_dead_relu_passes_no_gradient():
    _, net = _preset_net("A dead ReLU passes no gradient")
    g = net.graph
    assert g.pre[0][1] < 0 and g.post[0][1] == 0.0
    for ref in (bp.Ref("w", 1, 1, 2), bp.Ref("w", 1, 2, 2), bp.Ref("b", 1, 0, 2)):
        assert g.gradient(ref) == 0.0
    assert g.gradient(bp.Ref("w", 1, 1, 1)) != 0.0


def test_a_saturated_sigmoid_makes_the_first_layers_gradient_vanish():
    _, net = _preset_net("Saturated sigmoid: vanishing gradient")
    g = net.graph
    first = max(abs(g.gradient(r)) for r in bp.param_refs(net.spec) if r.layer == 1)
    last = max(abs(g.gradient(r)) for r in bp.param_refs(net.spec) if r.layer == 3)
    assert first < 1e-5 * last
    assert all(s.max() < 1e-5 for s in g.slopes[:1])


def test_a_batch_gradient_is_the_sum_or_the_mean_of_the_examples():
    values, net = _preset_net(SEED_NUDGE)
    values[f"{P}batch"] = 4
    batch = batch_from(values, net)
    X, y = batch.arrays
    losses, grads = bb.example_grads(net.spec, np.array(net.params), X, y)
    assert grads.shape == (4, net.spec.n_params)
    for reduction, combine in (("sum", np.sum), ("mean", np.mean)):
        loss, grad = bb.batch_grad(net.spec, np.array(net.params), X, y, reduction)
        np.testing.assert_allclose(grad, combine(grads, axis=0), rtol=1e-12, atol=1e-15)
        assert loss == pytest.approx(float(combine(losses)), rel=1e-12)
    for e in range(4):  # each example's gradient is the graph's for that example
        g = bp.graph(net.spec, np.array(net.params), X[e], y[e])
        np.testing.assert_allclose(grads[e], g.grad, rtol=1e-12, atol=1e-15)


def test_without_zero_grad_the_second_step_uses_both_gradients():
    values, net = _preset_net(SEED_NUDGE)
    batch = batch_from(values, net)
    X, y = batch.arrays
    theta = np.array(net.params)
    reset = bb.sgd_steps(net.spec, theta, X, y, 0.1, reset=True)
    kept = bb.sgd_steps(net.spec, theta, X, y, 0.1, reset=False)
    np.testing.assert_array_equal(reset.buffers, reset.grads)
    np.testing.assert_allclose(kept.buffers[1], kept.grads[0] + kept.grads[1], rtol=1e-14)
    for u in (reset, kept):
        np.testing.assert_allclose(u.params[1:], u.params[:-1] - 0.1 * u.buffers, rtol=1e-14)
        assert u.losses[0] == pytest.approx(bb.batch_grad(net.spec, theta, X, y)[0])
    assert reset.losses[1] == kept.losses[1] and reset.losses[2] != kept.losses[2]


def test_one_step_lowers_the_loss_with_a_small_lr_and_overshoots_with_a_large_one():
    values, net = _preset_net(SEED_NUDGE)
    X, y = batch_from(values, net).arrays
    theta = np.array(net.params)
    before = float(bb.batch_losses(net.spec, theta, X, y)[0])
    lrs = np.array([1e-3, 0.1, 100.0])
    after = bb.loss_after_step(net.spec, theta, X, y, lrs)
    _, grad = bb.batch_grad(net.spec, theta, X, y)
    for lr, value in zip(lrs, after, strict=True):
        assert value == pytest.approx(float(bb.batch_losses(net.spec, theta - lr * grad, X, y)[0]))
    assert after[0] < before and after[1] < after[0] and after[2] > before
    assert math.isfinite(after[2])


def test_every_preset_follows_a_parameter_of_its_network_and_says_what_to_watch():
    from ui.backprop.params import REF_OF, WATCH

    assert set(WATCH) == set(PRESETS)
    for name in PRESETS:
        values, net = _preset_net(name)
        g = net.graph
        assert np.isfinite(g.loss) and np.isfinite(g.grad).all(), name
        ref = REF_OF[values[f"{P}pick"]]
        assert ref in bp.param_refs(net.spec), name
        assert bp.chain_sum(bp.chain(g, ref)) == pytest.approx(g.gradient(ref), rel=1e-10)
