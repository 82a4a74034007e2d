"""The "What is training?" page in AppTest: it works as a learner uses it.

The default page, every preset (and what its "watch" sentence claims, measured on the runs the
page trained), every control, every A/B comparison (same start, same batches), the four-step
panel, the downloads, an uploaded file, points added by hand (by link and by click), extreme
and contradictory links, and a page switch. Tests about behaviour, not numbers, train a few
epochs only. The runs are read back with the page's own cached calls
(``ui.training.compute.setup_from`` + ``training``): the same setup is a cache hit, so a check
costs nothing and measures exactly what the page showed.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from engine.features import feature_matrix
from engine.network_io import load_network, predict_raw
from engine.nn import forward, predictions
from figures.common import standalone_html
from figures.style import Style
from figures.training import HISTORY_COLUMNS, history_csv
from tests.apptest import figures, link, notices, ok, open_link
from ui.params import Lesson
from ui.settings import SHARED
from ui.training.charts import stage_chart
from ui.training.compute import (
    dataset,
    network_of,
    remember_upload,
    setup_from,
    step_detail,
    training,
)
from ui.training.downloads import weights_json
from ui.training.params import COMPARE, LESSON, MAX_LAYERS, MAX_UNITS, N_MAX, PRESETS, WATCH, P
from ui.training.points import MAX_POINTS, MAX_TEXT, Point, decode_points, encode_points
from ui.training.upload import parse_csv
from ui.training.view import STAGE_KEY, compared_name, picker_trace
from ui.widgets import log_grid

CANNOT_TRAIN = "These settings cannot be trained:"
FEW = {f"{P}epochs": "3"}  # behaviour, not numbers: three epochs train in milliseconds
UPLOAD = "tr_upload"  # ui.training.controls: the session's uploaded file (its content hash)


# --------------------------------------------------------------------------- helpers


def _page(query=None):
    return open_link("training", query)


def _values(at) -> dict:
    """The lesson's values in the session (what the page trained)."""
    return {p.key: at.session_state[p.key] for p in LESSON.params}


def _upload(at) -> str:
    return str(at.session_state[UPLOAD]) if UPLOAD in at.session_state else ""


def _setup(at):
    return setup_from(_values(at), int(at.session_state[SHARED.param("seed").key]), _upload(at))


def _run(at):
    """The setup the page trained and its result (a cache hit: the page computed it)."""
    setup = _setup(at)
    return setup, training(setup)


def _texts(at) -> str:
    return " ".join(m.value for m in at.markdown)


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def _stage(at):
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(STAGE_KEY)]
    return chart


def _click(at, x, y, curve=None):
    """A click on the stage chart, sent as the browser sends it. AppTest has no API for a
    chart's selection, so this adds the chart's widget state (the selection as JSON) to the
    other widgets' and runs, which calls the page's ``on_select`` callback as a click does."""
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = _stage(at).proto.id
    point = {"curve_number": picker_trace() if curve is None else curve, "point_number": 0,
             "point_index": 0, "x": x, "y": y}  # fmt: skip
    selection = {"points": [point], "point_indices": [0], "box": [], "lasso": []}
    state.string_value = json.dumps({"selection": selection})
    return at._run(states)


def _defaults_link(lesson: Lesson) -> dict[str, str]:
    values = lesson.defaults()
    if lesson.constrain is not None:
        lesson.constrain(values)
    return lesson.encode(values)


def _final(result, k: int) -> float:
    series = result.test_accuracy[:, k]
    return float(series[np.isfinite(series)][-1])


# --------------------------------------------------------------------------- the default page


@pytest.fixture(scope="module")
def default():
    return _page()


def test_the_default_page_trains_two_runs_and_links_every_value(default):
    at = default
    ok(at)
    assert not at.warning  # the defaults need no notice
    stage = figures(at)[0]
    steps = [int(f["name"]) for f in stage["frames"]]
    assert 2 <= len(steps) <= 120 and steps[0] == 0 and steps == sorted(steps)
    setup, result = _run(at)
    assert setup.labels == ("A: Momentum 0.9, lr 0.03", "B: Adam, lr 0.01")
    assert result.params.shape[1] == 2 and steps[-1] == result.n_steps[0]
    names = {image.get("name") for image in stage["layout"]["images"]}
    assert {f"{label}: prediction" for label in setup.labels} == names  # a plane per run
    final = next(m.value for m in at.markdown if m.value.startswith("**A"))
    for k, label in enumerate(setup.labels):
        assert f"**{label}**: test accuracy {_final(result, k):.0%}" in final
    query = link(at)
    assert set(query) == set(SHARED.keys) | set(LESSON.keys)  # every value, default or not
    assert {k: query[k] for k in LESSON.keys} == _defaults_link(LESSON)
    assert "**Verdict** — changing only the optimizer" in _texts(at)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Trained weights (JSON)", "Training history (CSV)",
                      "The animation (HTML, offline)"]  # fmt: skip
    assert UPLOAD not in at.session_state  # no file: the menu's dataset


# --------------------------------------------------------------------------- presets


def _check_watch(name, setup, result, at):
    """What the preset's WATCH sentence (ui/training/params.py) says, measured."""
    A, B = 0, 1
    train_loss = result.train_loss
    if name.startswith("Two moons"):  # "the same batches from the same start"
        np.testing.assert_array_equal(result.params[0, A], result.params[0, B])
        for t in (0, int(result.n_steps[0]) - 1):
            np.testing.assert_array_equal(step_detail(setup, A, t).batch_index,
                                          step_detail(setup, B, t).batch_index)  # fmt: skip
    elif name.startswith("XOR"):  # B has no hidden layer: a straight line cannot do XOR
        assert network_of(setup, B).hidden == () and network_of(setup, A).hidden == (4,)
        assert _final(result, A) > 0.9 and _final(result, B) < 0.75
    elif name == "Spiral needs depth":
        assert len(network_of(setup, A).hidden) == 4 and network_of(setup, B).hidden == (8,)
        assert _final(result, A) > 0.9 and _final(result, B) < 0.8
    elif name.startswith("True SGD vs full batch"):  # per epoch: 400 noisy steps vs one exact
        np.testing.assert_array_equal(result.steps_per_epoch, [1, 400])
        early = int(np.argmax(result.frame_epochs[:, A] >= 2))  # after two epochs
        assert result.frame_epochs[early, B] == result.frame_epochs[early, A] == 2
        assert train_loss[early, B] < 0.75 * train_loss[early, A]  # B learns far faster
        assert any("(32)" in o for o in at.button_group(key="tr_quick_batch").options)
    elif name.startswith("Sum or mean"):  # B's gradient, and so its step, is 32 times A's
        a, b = step_detail(setup, A, 0), step_detail(setup, B, 0)
        np.testing.assert_array_equal(a.batch_index, b.batch_index)
        np.testing.assert_allclose(b.update, 32 * a.update, rtol=1e-10, atol=1e-15)
        assert train_loss[-1, B] > 2 * train_loss[-1, A]  # ... and B overshoots
    elif name.startswith("Momentum speeds up a plateau"):
        assert train_loss[-1, A] > 0.6  # plain GD still on the plateau (log 2 = 0.69)
        assert train_loss[-1, B] < 0.05 and _final(result, B) > 0.95  # momentum is through
        # "in a few epochs": see test_momentum_is_through_the_plateau_in_a_few_epochs
    elif name == "Too large a learning rate":  # ten times A's lr: B blows up
        lrs = [r.optimizer.hparams["lr"] for r in setup.runs]
        assert lrs[B] == 10 * lrs[A]
        assert result.diverged_at[A] < 0 <= result.diverged_at[B]
        assert f"Run {setup.labels[B]} diverged at step {result.diverged_at[B]}" in notices(at)
    elif name.startswith("Label noise and L2"):
        assert dataset(setup.data).label_noise == 0.2  # a fifth of the labels are wrong
        test = result.test_loss[:, A]
        best = int(np.argmin(test))
        assert test[-1] > 1.2 * test[best] and train_loss[-1, A] < train_loss[best, A]
        assert result.weight_norm[-1, B] < 0.5 * result.weight_norm[-1, A]  # L2: small weights
        assert result.test_loss[-1, B] < result.test_loss[-1, A]
    elif name.startswith("Circles with features"):  # a straight cut in (x₁², x₂²)
        assert setup.spec.hidden == () and setup.features == ("x1sq", "x2sq")
        assert len(setup.runs) == 1 and _final(result, A) > 0.95
    else:
        pytest.fail(f"no claim checked for the training preset {name!r}: add one")


def test_every_preset_sets_every_value_and_does_what_its_sentence_says():
    at = _page()
    for name in PRESETS:
        at.selectbox(key="training_preset").set_value(name).run()
        at.button(key="training_preset_apply").click().run()
        assert not at.exception, (name, at.exception)
        assert not at.error, (name, at.error[0].value)  # e.g. beyond the page's budget
        expected = LESSON.preset_values(name)
        LESSON.constrain(expected)
        assert _values(at) == expected, name
        assert {k: link(at)[k] for k in LESSON.keys} == LESSON.encode(expected), name
        setup, result = _run(at)
        _check_watch(name, setup, result, at)


def test_the_applied_presets_sentence_is_shown():
    at = _page()
    name = "XOR: a linear model cannot, one hidden layer can"
    at.selectbox(key="training_preset").set_value(name).run()
    at.button(key="training_preset_apply").click().run()
    ok(at)
    shown = " ".join([_texts(at), _captions(at), *(i.value for i in at.info)])
    assert WATCH[name] in shown


def test_momentum_gets_through_the_plateau_and_plain_gd_does_not():
    values = LESSON.preset_values("Momentum speeds up a plateau")
    result = training(setup_from(values, 0))
    gd, momentum = result.train_loss[:, 0], result.train_loss[:, 1]
    assert not np.any(gd < 0.5 * gd[0])  # A never halves its loss in 60 epochs
    through = int(np.argmax(momentum < 0.5 * momentum[0]))
    assert through > 0 and 20 <= result.frame_epochs[through, 1] <= 40  # "about halfway"
    assert momentum[-1] < 0.01  # "near zero loss"


# --------------------------------------------------------------------------- every control


def _other_value(p):
    """A value other than the default, cheap to train."""
    special = {f"{P}n": 300, f"{P}epochs": 2, f"{P}batch": 16, f"{P}b_batch": 8,
               f"{P}step": 3, f"{P}layers": 3, f"{P}b_layers": 1, f"{P}data": "circles",
               f"{P}out": "hinge", f"{P}pts": encode_points([Point(0.5, 0.5, 0)]),
               f"{P}progress": 40, f"{P}test": 30, f"{P}data_seed": 5, f"{P}init_seed": 3,
               f"{P}stop": 0.05}  # fmt: skip
    if p.key in special:
        return special[p.key]
    if p.kind == "bool":
        return not p.default
    if p.kind == "choice":
        return next(c for c in p.choices if c != p.default)
    if p.widget == "log_slider":  # a notch of its grid (AppTest cannot set one off the grid)
        grid = log_grid(p.low, p.high)
        return grid[grid.index(p.default) + 3]
    value = p.default + (p.high - p.low) / 4  # a quarter of the range further
    value = value if value <= p.high else p.default - (p.high - p.low) / 4
    return int(value) if p.kind == "int" else float(value)


def test_every_control_takes_a_new_value_and_puts_it_in_the_link():
    at = _page({f"{P}epochs": "2"})
    ordered = sorted(LESSON.params, key=lambda p: p.key != f"{P}epochs")  # cheap first
    for p in ordered:
        value = p.coerce(_other_value(p))
        assert value != p.coerce(p.default), p.key
        at.session_state[p.key] = value
        at.run()
        ok(at)
        assert at.get("plotly_chart"), p.key
        # The link holds the new value, or a notice says why not (x₁ and x₂ both off: the
        # raw inputs come back).
        assert link(at)[p.key] == p.encode(value) or notices(at), p.key
    setup = _setup(at)
    assert setup.data.key == "circles" and setup.spec.output == "hinge"
    assert len(setup.spec.hidden) == 3 and setup.data.points


def test_the_one_click_batch_sizes_regenerate_and_remove_all():
    at = _page({**FEW, f"{P}pts": encode_points([Point(0, 0, 1), Point(1, 1, 0)])})
    n = len(dataset(_setup(at).data).X_train)
    quick = at.button_group(key="tr_quick_batch").options
    assert len(quick) == 3 and "(1)" in quick[0] and "(32)" in quick[1] and f"({n})" in quick[2]
    for choice, batch in (("one", 1), ("full", n), ("mini", 32)):
        at.button_group(key="tr_quick_batch").set_value(choice).run()
        ok(at)
        assert link(at)[f"{P}batch"] == str(batch)
    seed = int(link(at)[f"{P}data_seed"])
    at.button(key=f"{P}regen").click().run()
    ok(at)
    assert link(at)[f"{P}data_seed"] == str(seed + 1)
    assert "2 points added by hand." in _captions(at)
    at.button(key=f"{P}pts_clear").click().run()
    ok(at)
    assert link(at)[f"{P}pts"] == "" and "0 points added by hand." in _captions(at)


def test_true_sgd_on_many_epochs_cuts_the_epochs_to_fit_and_says_so():
    at = _page()  # 50 epochs of 400 one-example steps: beyond what one page may compute
    at.button_group(key="tr_quick_batch").set_value("one").run()
    ok(at)
    epochs = int(link(at)[f"{P}epochs"])
    assert link(at)[f"{P}batch"] == "1" and 1 <= epochs < 50
    assert f"the epochs were cut to {epochs}" in " ".join(i.value for i in at.info)


# --------------------------------------------------------------------------- A/B comparisons


@pytest.mark.parametrize("compare", COMPARE)
def test_every_comparison_starts_both_runs_alike_on_the_same_batches(compare):
    at = _page({**FEW, f"{P}compare": compare})
    ok(at)
    setup, result = _run(at)
    K = 1 if compare == "none" else 2
    assert len(setup.runs) == K == result.params.shape[1]
    assert len(_stage(at).proto.spec) < 1_000_000
    final = next(m.value for m in at.markdown if m.value.startswith("**A"))
    assert all(f"**{label}**" in final for label in setup.labels)
    if K == 1:
        assert "**Verdict**" not in _texts(at)
        return
    assert f"**Verdict** — changing only the {compared_name(setup)}" in _texts(at)
    a, b = network_of(setup, 0), network_of(setup, 1)
    if a.n_params == b.n_params:  # the same network shape: the same initial weights
        np.testing.assert_array_equal(result.params[0, 0], result.params[0, 1])
    else:  # fewer layers: B's shorter vector is padded with NaN
        assert np.isnan(result.params[0, 1, b.n_params :]).all()
        assert np.isfinite(result.params[0, 1, : b.n_params]).all()
    if setup.runs[0].batch_size == setup.runs[1].batch_size:
        for t in (0, 5, int(result.n_steps[0]) - 1):
            np.testing.assert_array_equal(step_detail(setup, 0, t).batch_index,
                                          step_detail(setup, 1, t).batch_index)  # fmt: skip
    else:  # compare = batch: 1 against 32, the same epochs
        assert compare == "batch"
        np.testing.assert_allclose(result.frame_epochs[-1], [3.0, 3.0])


def test_two_runs_that_differ_in_nothing_are_identical():
    at = _page({**FEW, f"{P}compare": "batch", f"{P}b_batch": "32"})
    ok(at)
    _, result = _run(at)
    for field in ("params", "batch_loss", "train_loss", "test_loss", "grid_output"):
        x = getattr(result, field)
        np.testing.assert_array_equal(x[:, 0], x[:, 1], err_msg=field)
    assert "made almost no difference" in _texts(at)


# --------------------------------------------------------------------------- one step


def test_the_step_input_changes_the_summary_and_a_step_beyond_the_run_is_cut():
    at = _page({f"{P}epochs": "2"})  # 2 × 13 steps
    ok(at)
    setup, result = _run(at)
    assert int(result.n_steps[0]) == 26
    assert "**Step 0** (epoch 1)" in _texts(at)
    for step, epoch in ((5, 1), (20, 2)):
        at.number_input(key=f"{P}step").set_value(step).run()
        ok(at)
        text = _texts(at)
        detail = step_detail(setup, 0, step)
        assert f"**Step {step}** (epoch {epoch})" in text
        assert f"(mean over the batch): {detail.batch_loss:.3g}" in text
        assert link(at)[f"{P}step"] == str(step)
    at = _page({f"{P}epochs": "2", f"{P}step": "1000000"})
    ok(at)
    assert "Step 1000000 is beyond run A's 26 steps; looking at step 25." in notices(at)
    assert at.number_input(key=f"{P}step").value == 25 and link(at)[f"{P}step"] == "25"
    assert "**Step 25** (epoch 2)" in _texts(at)


# --------------------------------------------------------------------------- downloads


def _setup_of(**changes):
    values = LESSON.defaults() | {f"{P}{k}": v for k, v in changes.items()}
    LESSON.constrain(values)
    return setup_from(values, 0)


DOWNLOAD_CASES = {
    "default, 3 epochs": {"epochs": 3},
    "layers: B has none": {"epochs": 3, "compare": "layers", "b_layers": 0},
    "features x₁², x₂², one run": {"epochs": 3, "layers": 0, "f_x1": False, "f_x2": False,
                                   "f_x1sq": True, "f_x2sq": True, "compare": "none"},
    "three classes, softmax": {"epochs": 3, "data": "spiral3", "out": "softmax_ce"},
    "sine regression": {"epochs": 3, "data": "sine", "f_x2": False, "out": "mse"},
    "B diverged": {"data": "sine", "f_x2": False, "out": "mse", "act": "tanh", "layers": 1,
                   "init": "glorot", "1_opt": "sgd", "1_lr": 1.0, "1_mom": 0.9},
}  # fmt: skip


@pytest.mark.parametrize("case", DOWNLOAD_CASES)
def test_the_weights_json_rebuilds_every_network_exactly(case):
    setup = _setup_of(**DOWNLOAD_CASES[case])
    result = training(setup)
    data = dataset(setup.data)
    payload = json.loads(weights_json(setup, result))
    assert list(payload["runs"]) == list(setup.labels)
    raw = np.concatenate([data.X_train, data.X_test]) * data.std + data.mean
    for k, label in enumerate(setup.labels):
        saved = payload["runs"][label]
        if result.diverged_at[k] >= 0:
            assert saved == {"diverged_at_step": int(result.diverged_at[k])}
            continue
        spec, params = network_of(setup, k), result.params[-1, k, : network_of(setup, k).n_params]
        loaded = load_network(saved)
        assert loaded.spec == spec and loaded.features == setup.features
        np.testing.assert_array_equal(loaded.params, params)  # the last frame's, bit for bit
        inputs = feature_matrix((raw - data.mean) / data.std, setup.features)
        expected = predictions(spec, forward(spec, params[None], inputs).logits)[0]
        assert np.array_equal(predict_raw(loaded, raw), expected)
        own = predictions(
            spec, forward(spec, params[None], feature_matrix(data.X_train, setup.features)).logits
        )
        np.testing.assert_allclose(expected[: len(data.X_train)], own[0], rtol=1e-12,
                                   atol=1e-14)  # fmt: skip
    assert "diverged" not in case or "diverged_at_step" in payload["runs"][setup.labels[1]]


def test_the_history_csv_and_the_html_export():
    setup = _setup_of(epochs=3, compare="layers", b_layers=1)
    result = training(setup)
    lines = history_csv(result, list(setup.labels)).splitlines()
    F, K = result.frame_steps.shape
    assert lines[0] == ",".join(HISTORY_COLUMNS)
    assert len(lines) == 1 + F * K
    for k, label in enumerate(setup.labels):
        rows = [line.split(",") for line in lines[1:] if line.startswith(f"{label},")]
        assert [int(r[1]) for r in rows] == result.frame_steps[:, k].tolist()
        assert float(rows[-1][4]) == pytest.approx(result.train_loss[-1, k], rel=1e-9)
    figure = stage_chart(setup, "steps", False, Style())
    html = standalone_html(figure)
    assert "Plotly.newPlot" in html and "Plotly.addFrames" in html
    assert len(html) > 3_000_000 and 'src="https://cdn.plot.ly' not in html  # works offline
    for label in setup.labels:
        assert json.dumps(f"{label}: prediction") in html
    frames = json.loads(figure.to_json())["frames"]
    assert [f["name"] for f in frames] == [str(s) for s in result.frame_steps[:, 0]]
    for frame in frames:  # every frame, named by the step it shows
        assert f'"name":"{frame["name"]}"' in html


# --------------------------------------------------------------------------- uploads


def _csv(rows, header="x1,x2,label"):
    return (header + "\n" + "\n".join(",".join(f"{v:g}" for v in row) for row in rows)).encode()


RNG = np.random.default_rng(3)
XY = RNG.uniform(-2, 2, size=(60, 2))
XOR_FILE = _csv([(a, b, int(a * b > 0)) for a, b in XY])
SINE_FILE = _csv([(a, math.sin(2 * a)) for a in XY[:, 0]], header="x,target")
THREE_FILE = _csv([(a, b, int(a > 0) + int(b > 0)) for a, b in XY])
REGRESSION_3 = _csv([(a, b, a + b) for a, b in XY], header="x1,x2,target")


def test_an_uploaded_file_is_trained_on_and_a_bad_one_is_explained():
    at = _page(FEW)
    query = link(at)
    at.file_uploader(key=f"{P}file").set_value(("mine.csv", XOR_FILE, "text/csv")).run()
    ok(at)
    assert "Training on your file: 60 rows." in [s.value for s in at.success]
    assert any("A link cannot carry a file" in i.value for i in at.info)
    assert link(at) == query  # the file is not in the link
    setup, result = _run(at)
    data = dataset(setup.data)
    assert setup.data.upload and len(data.X_train) + len(data.X_test) == 60
    assert "test accuracy" in _texts(at) and result.train_loss.shape[1] == 2

    bad = b"x1,x2,label\n1,2,0\n"
    at.file_uploader(key=f"{P}file").set_value(("bad.csv", bad, "text/csv")).run()
    assert not at.exception
    with pytest.raises(ValueError) as reason:
        parse_csv(bad, "classification")
    assert [e.value for e in at.error] == [str(reason.value)]  # the reader's own message
    assert _upload(at) == "" and at.get("plotly_chart")  # the menu's dataset instead

    at.radio(key="tr_upload_task").set_value("regression").run()
    at.file_uploader(key=f"{P}file").set_value(("sine.csv", SINE_FILE, "text/csv")).run()
    ok(at)
    setup, _ = _run(at)
    assert setup.spec.output == "mse" and setup.features == ("x1",)
    final = next(m.value for m in at.markdown if m.value.startswith("**A"))
    assert "test loss" in final and "accuracy" not in final

    at.file_uploader(key=f"{P}file").set_value(("three.csv", REGRESSION_3, "text/csv")).run()
    assert not at.exception
    two_inputs = "a regression file needs two columns, x and target; this one has 2 inputs"
    assert [e.value for e in at.error] == [f"{CANNOT_TRAIN} {two_inputs}"]
    at.file_uploader(key=f"{P}file").set_value(None).run()
    ok(at)
    assert _upload(at) == "" and not any("A link cannot carry" in i.value for i in at.info)


def test_an_upload_decides_the_task_and_the_output_whatever_the_menu_says():
    values = LESSON.defaults() | {f"{P}epochs": 3}
    three = remember_upload(parse_csv(THREE_FILE, "classification"), THREE_FILE)
    setup = setup_from(values, 0, upload=three)
    assert setup.spec.output == "softmax_ce" and setup.spec.n_outputs == 3
    result = training(setup)
    assert result.grid_output.shape[-1] == 3 and np.isfinite(result.train_loss).all()
    sine = remember_upload(parse_csv(SINE_FILE, "regression"), SINE_FILE)
    setup = setup_from(values | {f"{P}out": "hinge"}, 0, upload=sine)
    assert setup.spec.output == "mse" and setup.features == ("x1",)
    assert np.isnan(training(setup).test_accuracy).all()
    assert remember_upload(parse_csv(SINE_FILE, "regression"), SINE_FILE) == sine  # by content


# --------------------------------------------------------------------------- points by hand


def test_points_in_the_link_join_the_training_set_and_stay_in_the_link():
    points = [Point(0.5, -0.5, 1), Point(-1.0, 1.25, 0), Point(2.0, 2.0, 1), Point(0, 0, 0)]
    code = encode_points(points)
    at = _page({**FEW, f"{P}pts": code})
    ok(at)
    assert link(at)[f"{P}pts"] == code and "4 points added by hand." in _captions(at)
    with_points = dataset(_setup(at).data)
    without = dataset(setup_from(_values(at) | {f"{P}pts": ""}, 0).data)
    assert len(with_points.X_train) == len(without.X_train) + 4
    assert len(with_points.X_test) == len(without.X_test)
    X, y = with_points.X_train[-4:], with_points.y_train[-4:]  # in the plane's coordinates
    np.testing.assert_array_equal(X, [(p.x1, p.x2) for p in points])
    np.testing.assert_array_equal(y, [p.label for p in points])
    again = _page(link(at))
    assert link(again) == link(at)


def test_bad_or_too_many_points_in_the_link_get_a_notice():
    at = _page({**FEW, f"{P}pts": "J4h!!"})
    ok(at)
    assert "`tr_pts` = `J4h!!` could not be used (character 4 of the points" in notices(at)
    assert link(at)[f"{P}pts"] == "" and "0 points added by hand." in _captions(at)
    full = encode_points(
        [Point(i / 20 - 1.5, (i % 7) / 4 - 0.75, i % 2) for i in range(MAX_POINTS)]
    )
    at = _page({**FEW, f"{P}pts": full + "DKg"})
    ok(at)
    assert f"longer than {MAX_TEXT} characters" in notices(at)
    at = _page({**FEW, f"{P}pts": full})
    ok(at)
    assert "60 points added by hand — the most a link can carry" in _captions(at)
    _click(at, 1.0, 1.0)  # at the cap a click adds nothing
    ok(at)
    assert link(at)[f"{P}pts"] == full


def test_a_click_adds_a_point_of_the_chosen_class_and_remove_takes_the_nearest():
    at = _page(FEW)
    _click(at, 0.52, -0.49)  # snapped to the grid of 0.05
    ok(at)
    assert decode_points(link(at)[f"{P}pts"]) == (Point(0.5, -0.5, 1),)  # class 1 by default
    _click(at, 0.52, -0.49, curve=picker_trace() + 1)  # another trace: not the plane
    assert len(decode_points(link(at)[f"{P}pts"])) == 1
    at.session_state[f"{P}click"] = "add2"
    at.run()
    _click(at, -1.0, 1.0)
    ok(at)
    assert decode_points(link(at)[f"{P}pts"])[-1] == Point(-1.0, 1.0, 2)
    assert "3 classes need the softmax output" in notices(at)
    assert _setup(at).spec.n_outputs == 3
    at.session_state[f"{P}click"] = "remove"
    at.run()
    _click(at, 0.4, -0.4)  # nearest to the first point
    ok(at)
    assert decode_points(link(at)[f"{P}pts"]) == (Point(-1.0, 1.0, 2),)
    assert "1 point added by hand." in _captions(at)


# --------------------------------------------------------------------------- bad input

WIDE = {f"{P}layers": str(MAX_LAYERS), **{f"{P}w{i}": str(MAX_UNITS) for i in range(1, 7)}}
EXTREMES = {
    "everything at once": {f"{P}n": str(N_MAX), f"{P}epochs": "1000", f"{P}batch": "1", **WIDE},
    "N = 2000": {f"{P}n": str(N_MAX)},
    "1000 epochs": {f"{P}epochs": "1000"},
    "6 layers of 16": WIDE,
    "batch 1": {f"{P}batch": "1"},
}


@pytest.mark.parametrize("case", EXTREMES)
def test_extreme_links_give_a_result_or_the_pages_reason(case):
    at = _page(EXTREMES[case])
    assert not at.exception, at.exception
    if at.error:
        (error,) = at.error
        assert error.value.startswith(CANNOT_TRAIN) and "fewer epochs" in error.value
        assert not at.get("plotly_chart")
    else:
        ok(at)
        assert len(at.get("plotly_chart")) == 3
    if case == "everything at once":
        assert at.error  # 1.6 million steps of a 6 × 16 network: refused
    assert {k: link(at)[k] for k in EXTREMES[case]} == EXTREMES[case]


def test_an_output_that_does_not_fit_the_data_is_replaced_with_a_notice():
    at = _page({**FEW, f"{P}data": "sine", f"{P}out": "sigmoid_bce"})
    ok(at)
    text = notices(at)
    assert "Regression data needs a linear output; using Linear + squared error" in text
    assert "This data has one input, so x₂ cannot be used." in text
    assert link(at)[f"{P}out"] == "mse" and link(at)[f"{P}f_x2"] == "false"
    final = next(m.value for m in at.markdown if m.value.startswith("**A"))
    assert "test loss" in final and "accuracy" not in final
    # Three classes with a squared error: softmax, not the two-class sigmoid.
    at = _page({**FEW, f"{P}data": "spiral3", f"{P}out": "mse"})
    ok(at)
    assert "3 classes need the softmax output; using Softmax + cross-entropy." in notices(at)
    at = _page({**FEW, f"{P}out": "mse", f"{P}pts": encode_points([Point(0, 0, 2)])})
    ok(at)
    assert link(at)[f"{P}out"] == "softmax_ce"


def test_only_my_points_is_not_a_dead_end():
    at = _page(FEW)
    at.selectbox(key=f"{P}data").set_value("own").run()
    assert not at.exception
    assert at.get("plotly_chart")  # a plane to click the first points onto
    assert any("at least 2 of each of two classes" in i.value for i in at.info)
    assert link(at)[f"{P}batch"] == "32"  # nothing cut while there is nothing to train
    at.selectbox(key=f"{P}data").set_value("moons").run()
    assert link(at)[f"{P}batch"] == "32"
    # Two points of each of two classes: the page trains on them.
    four = [Point(-1, -1, 0), Point(-1, 1, 0), Point(1, 1, 1), Point(1, -1, 1)]
    at = _page({**FEW, f"{P}data": "own", f"{P}pts": encode_points(four)})
    ok(at)
    assert not any("at least 2 of each" in i.value for i in at.info)
    assert "The batch size B 32 is larger than the 4 training examples; using 4." in notices(at)


# --------------------------------------------------------------------------- page switch


def test_settings_survive_a_page_switch():
    query = {**FEW, f"{P}compare": "l2", f"{P}b_l2": "0.05", f"{P}data": "xor",
             f"{P}pts": encode_points([Point(1, 1, 0)])}  # fmt: skip
    at = _page(query)
    at.session_state[f"{P}layers"] = 1  # a control changed in the session, not in the link
    at.run()
    ok(at)
    before = {k: v for k, v in link(at).items() if k.startswith(P)}
    assert before[f"{P}layers"] == "1" and before[f"{P}pts"] == query[f"{P}pts"]
    at.switch_page("../../pages/race.py").run()
    ok(at)
    assert not any(k.startswith(P) for k in link(at))
    at.switch_page("../../pages/training.py").run()
    ok(at)
    assert {k: v for k, v in link(at).items() if k.startswith(P)} == before
    assert _setup(at).spec.hidden == (8,)
