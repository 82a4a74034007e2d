"""The "Sum or mean?" page in AppTest: it works as a learner uses it."""

import json

import pytest

from tests.apptest import notices, ok, open_link


def _page(query=None):
    return open_link("sum_or_mean", query)


def _button(at, label):
    return at.button[[b.label for b in at.button].index(label)]


def test_default_page_shows_the_experiments():
    at = _page()
    ok(at)
    text = " ".join(m.value for m in at.markdown)
    assert "effective lr **0.1 × B = 3.2**" in text and "a run diverged" in text
    assert len(at.get("plotly_chart")) == 6  # paths, curves, cloud, B_simple, map, L2
    paths = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(paths["frames"]) <= 120
    assert len(at.get("plotly_chart")[0].proto.spec) < 600_000
    assert "Average." in text


def test_match_button_and_presets():
    at = _page()
    _button(at, "Match B to A").click().run()
    ok(at)
    assert at.select_slider(key="sm_lr_b").value == pytest.approx(0.1 / 32)
    assert "identical up to rounding" in " ".join(m.value for m in at.markdown)
    for name in at.selectbox(key="sum_or_mean_preset").options:
        at.selectbox(key="sum_or_mean_preset").set_value(name).run()
        at.button(key="sum_or_mean_preset_apply").click().run()
        ok(at)


def test_match_says_when_the_lr_it_needs_is_out_of_range():
    at = _page({"sm_lr_a": "1e-07", "sm_red_a": "sum", "sm_red_b": "mean", "sm_batch": "1",
                "sm_own_b": "true", "sm_batch_b": "1"})  # fmt: skip
    ok(at)
    at = _page({"sm_lr_a": "1e-07", "sm_red_a": "mean", "sm_red_b": "sum", "sm_batch": "32"})
    _button(at, "Match B to A").click().run()
    ok(at)
    info = " ".join(i.value for i in at.info)
    assert "Matching needs lr B = 3.125e-09" in info and "1e-07" in info
    assert at.select_slider(key="sm_lr_b").value == 1e-7


def test_each_control_changes_once():
    at = _page()
    for change in [
        lambda: at.selectbox(key="sm_problem").set_value("logistic_regression"),
        lambda: at.number_input(key="sm_n").set_value(128),
        lambda: at.number_input(key="sm_noise").set_value(1.0),
        lambda: at.number_input(key="sm_epochs").set_value(3),
        lambda: at.number_input(key="sm_l2").set_value(0.2),
        lambda: at.number_input(key="sm_batch").set_value(8),
        lambda: _button(at, "1").click(),
        lambda: at.toggle(key="sm_reshuffle").set_value(False),
        lambda: at.toggle(key="sm_drop_last").set_value(True),
        lambda: at.selectbox(key="sm_opt").set_value("adam"),
        lambda: at.slider(key="sm_mom").set_value(0.5),
        lambda: at.select_slider(key="sm_lr_a").set_value(0.02),
        lambda: at.select_slider(key="sm_lr_b").set_value(0.02),
        lambda: at.slider(key="sm_inspect").set_value(2),
        lambda: at.toggle(key="sm_adam").set_value(True),
        lambda: at.toggle(key="sm_own_b").set_value(True),
        lambda: at.number_input(key="sm_batch_b").set_value(16),
        lambda: at.slider(key="sm_inspect").set_value(100),  # past B's end: B waits there
    ]:
        change()
        at.run()
        ok(at)
    assert at.number_input(key="sm_batch").value == 1
    assert "B=16" in json.loads(at.get("plotly_chart")[0].proto.spec)["data"][-1]["name"]


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad"])
def test_every_optimizer_runs_the_pair(optimizer):
    at = _page({"sm_opt": optimizer})
    ok(at)
    assert len(at.get("plotly_chart")) == 6


def test_bad_url_values_fall_back_with_a_notice():
    at = _page({"sm_batch": "0", "sm_problem": "nope", "sm_lr_a": "-1"})
    ok(at)
    text = notices(at)
    for key in ("sm_batch", "sm_problem", "sm_lr_a"):
        assert f"`{key}` = " in text
    assert at.number_input(key="sm_batch").value == 32
    assert at.get("plotly_chart")


def test_values_cut_to_fit_say_so():
    at = _page({"sm_n": "64", "sm_batch": "500", "sm_inspect": "2999"})
    ok(at)
    text = notices(at)
    assert "The batch size B 500 is larger than N = 64; using 64." in text
    assert "Step 2999 is beyond this run's 5 steps; looking at step 5." in text
    assert at.number_input(key="sm_batch").value == 64
    assert at.slider(key="sm_inspect").value == 5


def test_lowering_n_below_the_batch_cuts_the_batch_and_says_so():
    at = _page({"sm_batch": "200"})
    at.number_input(key="sm_n").set_value(128).run()
    ok(at)
    assert at.number_input(key="sm_batch").value == 128
    assert "larger than N = 128" in notices(at)


def test_the_inspected_step_is_in_the_link_and_clamped_to_the_run():
    at = _page({"sm_inspect": "3"})
    ok(at)
    assert at.slider(key="sm_inspect").value == 3
    at = _page({"sm_inspect": "2000"})  # a valid step, beyond this 40-step run: its last step
    ok(at)
    assert at.slider(key="sm_inspect").value == 40


@pytest.mark.parametrize(
    "query",
    [{"sm_problem": "logistic_regression", "sm_noise": "0"},
     {"sm_problem": "logistic_regression", "sm_noise": "0.008"},
     {"sm_problem": "logistic_regression", "sm_own_b": "true"},
     {"sm_problem": "logistic_regression", "sm_x": "epochs", "sm_own_b": "true"}],
)  # fmt: skip
def test_a_problem_without_a_known_minimum_draws_every_chart(query):
    at = _page(query)
    ok(at)
    assert len(at.get("plotly_chart")) == 6


def test_a_diverged_run_quotes_the_wall_of_the_momentum_that_ran():
    at = _page({"sm_mom": "0.9", "sm_lr_b": "0.5"})
    ok(at)
    text = notices(at)
    assert "for SGD with momentum 0.9 here the largest stable lr is about" in text
    assert "(2 + 2μ)/λmax ÷ B" in text
