"""The "Backpropagation" page in AppTest: it works as a learner and a teacher use it.

The default page and its stage, Next / Previous through every backward step, every preset and
what its "watch" sentence claims, every control, the chain-rule product for every selectable
parameter, the nudge, the batch table, the update with and without zero_grad, the cost chart,
contradictory links, the budgets (figure JSON), and a page switch.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from engine import backprop as bp
from engine import backprop_batch as bb
from tests.apptest import figures, link, ok, open_link, specs
from ui.backprop.compute import COSTS, batch_from, net_from
from ui.backprop.params import LESSON, PICKS, PRESETS, REF_OF, STEPS, WATCH, P
from ui.backprop.text import number, ref_text, step_rows
from ui.settings import SHARED

JSON_BUDGET = 500_000  # bytes: every chart of the page together (issue 13)


def _page(query=None):
    return open_link("backprop", query)


def _values(at) -> dict:
    return {p.key: at.session_state[p.key] for p in LESSON.params}


def _texts(at) -> str:
    return " ".join(m.value for m in at.markdown)


def _table(at, column: str):
    """The page's table with ``column``."""
    return next(t.value for t in at.table if column in t.value.columns)


def _graph(at) -> dict:
    return figures(at)[0]


def test_the_default_page_opens_on_the_forward_pass_with_every_number():
    at = _page()
    ok(at)
    assert at.title[0].value == "Backpropagation"
    assert not at.warning
    graph, v_chart, lr_chart = figures(at)  # the cost chart waits for its toggle
    assert len(graph["frames"]) == STEPS == 8
    assert graph["layout"]["sliders"][0]["active"] == 0
    net = net_from(_values(at))
    # every node's value and every weight is written on the graph
    texts = [t for trace in graph["data"] for t in trace.get("text", []) or []]
    for r in bp.param_refs(net.spec):
        if r.kind == "w":
            assert number_text(net.graph.value(r)) in texts, r
    assert number_text(net.graph.loss) in texts
    # step 0 writes no gradient; the last frame writes one under every node and edge
    grads = graph["data"][-3]["text"] + graph["data"][-2]["text"]  # under nodes, under edges
    assert all(t == "" for t in grads)
    last = graph["frames"][-1]["data"]
    n_in = net.spec.n_inputs  # the inputs get no gradient: nothing to learn there
    assert last[0]["text"][:n_in] == [""] * n_in
    assert all(t.startswith("∂ ") for t in last[0]["text"][n_in:] + last[1]["text"])
    assert "Step 0: The forward pass is done" in _texts(at)
    assert v_chart["layout"]["xaxis"]["type"] == "log"
    assert lr_chart["layout"]["xaxis"]["type"] == "log"
    assert WATCH[LESSON.default_preset] in " ".join(i.value for i in at.info)


def number_text(value: float) -> str:
    from figures.backprop_graph import number as graph_number

    return graph_number(value)


def test_next_and_previous_walk_the_backward_pass_and_each_step_adds_up():
    at = _page()
    net = net_from(_values(at))
    for k in range(1, STEPS):
        at.button(key=f"{P}next").click().run()
        ok(at)
        assert at.session_state[f"{P}step"] == k
        assert _graph(at)["layout"]["sliders"][0]["active"] == k
        assert f"Step {k}:" in _texts(at)
        table = _table(at, "= product")
        expected = step_rows(net.steps[k], net.spec.activation, net.spec.output)
        assert list(table["= product"]) == [r["= product"] for r in expected]
        assert link(at)[f"{P}step"] == str(k)
    assert at.button(key=f"{P}next").disabled
    at.button(key=f"{P}prev").click().run()
    assert at.session_state[f"{P}step"] == STEPS - 2
    while not at.button(key=f"{P}prev").disabled:
        at.button(key=f"{P}prev").click().run()
    assert at.session_state[f"{P}step"] == 0 and at.button(key=f"{P}prev").disabled


def test_an_identical_rerun_sends_byte_identical_charts():
    at = _page()
    before = specs(at)
    at.run()
    assert specs(at) == before


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_applies_and_says_what_to_watch(name):
    at = _page()
    at.selectbox(key="backprop_preset").set_value(name).run()
    at.button(key="backprop_preset_apply").click().run()
    ok(at)
    expected = LESSON.preset_values(name)
    LESSON.constrain(expected)
    assert _values(at) == expected
    assert WATCH[name] in " ".join(i.value for i in at.info)
    assert sum(len(s) for s in specs(at)) <= JSON_BUDGET
    net = net_from(_values(at))
    target = REF_OF[expected[f"{P}pick"]]
    # the chain-rule section names the parameter and writes its gradient
    assert f"The chain rule for {ref_text(target)}" in [h.value for h in at.header]
    assert number(net.graph.gradient(target), 6) in _texts(at)


def test_the_seeds_nudge_shows_its_numbers():
    at = _page()
    metrics = {m.label: m.value for m in at.metric}
    name = ref_text(REF_OF["w1_11"])
    assert float(metrics[f"L at {name}"]) == pytest.approx(0.4967, abs=1e-4)
    assert float(metrics[f"L at {name} + h"]) == pytest.approx(0.5948, abs=1e-4)
    assert float(metrics[f"L at {name} − h"]) == pytest.approx(0.3976, abs=1e-4)
    text = _texts(at)
    assert "moving by −h lowers the loss" in text
    backprop = float(metrics["Backprop gradient"].replace("−", "-"))
    central = float(metrics["Central slope"].replace("−", "-"))
    assert central == pytest.approx(backprop, rel=0.01)
    assert backprop == pytest.approx(1.98, abs=0.01)


def test_the_chain_rule_product_equals_the_gradient_for_every_parameter():
    at = _page()
    for pick in PICKS:  # one session, each selectable parameter in turn
        at.session_state[f"{P}pick"] = pick
        at.run()
        ok(at)
        net = net_from(_values(at))
        ref = REF_OF[pick]
        latex = at.latex[0].value
        gradient = net.graph.gradient(ref)
        paths = bp.chain(net.graph, ref)
        assert bp.chain_sum(paths) == pytest.approx(gradient, rel=1e-10, abs=1e-15)
        assert latex.count(r"\frac{\partial L}") >= 1
        assert latex.count("+") >= len(paths) - 1
        last = latex.rsplit("&=", 1)[1].replace(r"\end{aligned}", "").strip(" $\n()")
        mantissa, _, power = last.partition(r"\cdot 10^")
        value = float(mantissa) * (10.0 ** int(power.strip("{}")) if power else 1.0)
        assert value == pytest.approx(gradient, rel=1e-3, abs=1e-12), pick
        metrics = {m.label: m.value for m in at.metric}
        shown = float(metrics["Backprop gradient"].replace("−", "-"))
        assert shown == pytest.approx(gradient, rel=1e-9), pick


def _other(param, value):
    if param.kind == "bool":
        return not value
    if param.kind == "choice":
        return next(c for c in param.choices if c != value)
    if param.widget == "log_slider":
        from ui.widgets import log_grid

        grid = log_grid(param.low, param.high)
        return grid[(grid.index(value) + 3) % len(grid)] if value in grid else grid[0]
    if param.kind == "int":
        return int(param.low) if value != param.low else int(param.high)
    return float(value) + 0.25 if value + 0.25 <= param.high else float(param.low)


def test_every_control_changes_the_page_and_the_link():
    """Each control in turn, in one session (as a learner goes through them), then back."""
    at = _page()
    adjusted = {f"{P}loss", f"{P}pick"}  # may be adjusted with a notice (see the test below)
    for param in LESSON.params:
        before = at.session_state[param.key]
        value = _other(param, before)
        at.session_state[param.key] = value
        at.run()
        ok(at)
        shown = at.session_state[param.key]
        if param.key not in adjusted:
            assert shown == value, param.key
        assert link(at)[param.key] == param.encode(shown), param.key
        at.session_state[param.key] = before
        at.run()


def test_editing_a_weight_recomputes_the_graph():
    at = _page()
    at.session_state[f"{P}w1_11"] = 0.25
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics[f"L at {ref_text(REF_OF['w1_11'])}"]) == pytest.approx(0.3976, abs=1e-4)


def test_a_parameter_the_network_lacks_and_a_classifier_target_are_adjusted_with_a_notice():
    at = _page({f"{P}u1": "1", f"{P}pick": "w1_12", f"{P}loss": "sigmoid_bce", f"{P}y": "0.3"})
    ok(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "no w1_12; following w1_11 instead" in warnings
    assert "targets 0 or 1" in warnings
    assert at.session_state[f"{P}pick"] == "w1_11" and at.session_state[f"{P}y"] == 0.0
    assert link(at)[f"{P}pick"] == "w1_11"


def test_the_batch_table_sums_and_averages_the_examples():
    at = _page({f"{P}batch": "3", f"{P}red": "sum"})
    ok(at)
    values = _values(at)
    batch = batch_from(values, net_from(values))
    X, y = batch.arrays
    _, grads = bb.example_grads(batch.net.spec, np.array(batch.net.params), X, y)
    table = _table(at, "example 1")
    examples = ["example 1", "example 2", "example 3"]
    assert list(table.columns) == ["parameter", *examples, "sum", "mean"]
    assert list(table["sum"]) == [number(float(v)) for v in grads.sum(axis=0)]
    assert list(table["mean"]) == [number(float(v)) for v in grads.mean(axis=0)]
    assert "update below uses the **sum** column" in _texts(at)


def test_without_zero_grad_the_second_step_adds_both_gradients():
    on, off = _page(), _page({f"{P}reset": "false"})
    ok(off)
    t_on, t_off = _table(on, "step 2 uses"), _table(off, "step 2 uses")
    assert list(t_on["step 1 gradient"]) == list(t_off["step 1 gradient"])
    assert list(t_on["step 2 uses"]) != list(t_off["step 2 uses"])
    assert "both gradients added up" in _texts(off) and "both gradients" not in _texts(on)


def test_too_large_a_learning_rate_says_it_overshoots():
    at = _page({f"{P}lr": "50"})
    ok(at)
    assert "the step is too large" in _texts(at)


def test_the_cost_chart_appears_when_asked_with_the_ratio():
    COSTS._costs.clear()  # a fresh measurement, as on a fresh server
    at = _page({f"{P}cost": "true"})
    ok(at)
    charts = figures(at)
    assert len(charts) == 4
    costs = COSTS.get(100_000)
    assert costs is not None and costs.n_params[-1] >= 100_000
    sentence = next(m.value for m in at.markdown if m.value.startswith("At "))
    ratio = float(re.search(r"about ([\d,]+) times", sentence).group(1).replace(",", ""))
    assert ratio == pytest.approx(costs.ratio, rel=0.01) and ratio > 1000
    assert sum(len(s) for s in specs(at)) <= JSON_BUDGET


def test_extreme_weights_give_numbers_or_a_message_never_a_traceback():
    query = {f"{P}{k}": "50" for k in ("w1_11", "w1_21", "w2_11", "w2_21", "w3_11", "w3_21")}
    for act in ("linear", "relu", "sigmoid"):
        at = _page(query | {f"{P}act": act, f"{P}x1": "10", f"{P}x2": "10", f"{P}lr": "100"})
        ok(at)
        assert figures(at)


def test_shared_settings_survive_a_switch_to_the_page():
    at = open_link("training", {SHARED.param("seed").key: "7", "present": "1"})
    at.switch_page("../../pages/backprop.py").run()
    ok(at)
    assert at.session_state[SHARED.param("seed").key] == 7
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["font"]["size"] >= 22
