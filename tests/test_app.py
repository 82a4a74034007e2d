"""The app in AppTest: every page runs, controls and presets work, links and settings hold.

The shell is started from tests/harness/entry.py (see ui/shell.py for why), so a page switch
goes through st.navigation exactly as in the browser and the shared sidebar stays.
"""

import pytest

from tests.apptest import figures, link, notices, ok, open_link

RACE, BALL = "race", "rolling_ball"
BUDGET = 600_000  # bytes of figure JSON for a lesson's default settings


def _app(query=None):
    return open_link(None, query)


def _page(path, query=None):
    return open_link(path, query)


_figures, _ok = figures, ok


def test_home_presents_the_lessons():
    at = _app()
    _ok(at)
    assert at.title[0].value == "Descent Lab"
    headers = " ".join(s.value for s in at.subheader)
    assert "The rolling ball" in headers and "The optimizer race" in headers
    assert at.toggle(key="present").value is False


@pytest.mark.parametrize("path", [RACE, BALL])
def test_default_run_and_its_animated_figure(path):
    at = _page(path)
    _ok(at)
    animated, loss = _figures(at)[:2]
    assert 2 <= len(animated["frames"]) <= 120
    for axis in ("xaxis", "yaxis"):
        assert animated["layout"][axis]["autorange"] is False
        assert len(animated["layout"][axis]["range"]) == 2
    steps = [int(f["name"]) for f in animated["frames"]]
    assert steps[0] == 0 and steps == sorted(steps)
    slider = animated["layout"]["sliders"][0]
    assert [s["label"] for s in slider["steps"]] == [str(s) for s in steps]
    moving = animated["frames"][0]["traces"]
    assert min(moving) > 0  # the static layers (contour/curve) are never re-sent
    size = len(at.get("plotly_chart")[0].proto.spec)
    assert size < BUDGET, size
    assert loss["layout"]["xaxis"]["title"]["text"] == "optimizer step"
    again = _page(path)  # the same inputs give a byte-identical figure
    assert again.get("plotly_chart")[0].proto.spec == at.get("plotly_chart")[0].proto.spec


def test_shared_settings_survive_a_page_switch_and_drive_projector_mode():
    at = _app({"present": "1", "seed": "7"})
    _ok(at)
    assert at.toggle(key="present").value is True
    assert at.number_input(key="seed").value == 7
    for path in (RACE, BALL):
        at.switch_page(f"../../pages/{path}.py").run()
        _ok(at)
        assert at.toggle(key="present").value is True
        assert at.number_input(key="seed").value == 7
        layout = _figures(at)[0]["layout"]
        sizes = [layout["font"]["size"], layout["legend"]["font"]["size"],
                 layout["xaxis"]["tickfont"]["size"], layout["yaxis"]["title"]["font"]["size"],
                 layout["sliders"][0]["font"]["size"], layout["updatemenus"][0]["font"]["size"],
                 layout["sliders"][0]["currentvalue"]["font"]["size"]]  # fmt: skip
        assert min(sizes) >= 22, sizes
        traces = _figures(at)[0]["data"]
        widths = [t["line"]["width"] for t in traces if t.get("mode") == "lines" and
                  "dash" in t.get("line", {}) and t["line"]["dash"] != "dot"]  # fmt: skip
        assert widths and min(widths) >= 4
        markers = [t["marker"]["size"] for t in traces
                   if t.get("mode") == "markers" and "size" in t["marker"]]  # fmt: skip
        assert min(markers) >= 12
    at.toggle(key="present").set_value(False).run()
    assert _figures(at)[0]["layout"]["font"]["size"] < 22


def test_the_surface_menu_shows_the_condition_number_in_use():
    at = _page(RACE, {"race_surface": "ill_conditioned", "race_kappa": "1000"})
    _ok(at)
    menu = at.selectbox(key="race_surface")
    assert "Ill-conditioned valley (κ = 1000)" in menu.options
    assert "Ill-conditioned valley (κ = 25)" not in menu.options


def test_race_controls_each_change_once():
    at = _page(RACE)
    changes = [
        lambda: at.selectbox(key="race_surface").set_value("himmelblau"),
        lambda: at.number_input(key="race_x0").set_value(0.5),
        lambda: at.number_input(key="race_steps").set_value(200),
        lambda: at.number_input(key="race_runs").set_value(6),
        lambda: at.number_input(key="race_noise").set_value(0.5),
        lambda: at.selectbox(key="race_0_opt").set_value("keras_sgd"),
        lambda: at.select_slider(key="race_0_lr").set_value(0.002),
        lambda: at.slider(key="race_0_mom").set_value(0.5),
        lambda: at.checkbox(key="race_0_nest").check(),
        lambda: at.toggle(key="race_state").set_value(False),
        lambda: at.toggle(key="race_3d").set_value(True),
        lambda: at.selectbox(key="race_surface").set_value("ill_conditioned"),
        lambda: at.number_input(key="race_kappa").set_value(100.0),
    ]
    for change in changes:
        change()
        at.run()
        _ok(at)
    legend = {t.get("name") for t in _figures(at)[0]["data"]}
    assert "Nesterov 0.5 (Keras), lr 0.002" in legend
    assert "Condition number" in " ".join(n.label for n in at.number_input)


def test_every_optimizer_twice_side_by_side():
    """Two runners with the same optimizer are stepped as one group; every kind must work."""
    at = _page(RACE)
    at.number_input(key="race_runs").set_value(2).run()
    for key in ("sgd", "keras_sgd", "adagrad", "rmsprop", "adam", "adamw"):
        for runner in (0, 1):
            at.selectbox(key=f"race_{runner}_opt").set_value(key)
        at.run()
        _ok(at)
        assert len(_figures(at)[0]["frames"]) > 1


def test_ball_controls_each_change_once():
    at = _page(BALL)
    for change in [
        lambda: at.selectbox(key="ball_surface").set_value("double_well"),
        lambda: at.number_input(key="ball_w0").set_value(0.4),
        lambda: at.number_input(key="ball_steps").set_value(100),
        lambda: at.number_input(key="ball_balls").set_value(4),
        lambda: at.selectbox(key="ball_1_opt").set_value("rmsprop"),
        lambda: at.select_slider(key="ball_1_lr").set_value(0.02),
    ]:
        change()
        at.run()
        _ok(at)
    assert len(_figures(at)[0]["frames"][0]["traces"]) == 8  # 4 balls × (tangent, ball)


@pytest.mark.parametrize("path", [RACE, BALL])
def test_every_preset_applies(path):
    at = _page(path)
    key = f"{path}_preset"
    for name in at.selectbox(key=key).options:
        at.selectbox(key=key).set_value(name).run()  # re-read: the tree is new each run
        at.button(key=f"{key}_apply").click().run()
        _ok(at)
        assert at.get("plotly_chart")


def test_the_rolling_ball_story_and_the_nudge():
    at = _page(BALL)
    text = " ".join(m.value for m in at.markdown)
    assert "GD, lr 0.01**: loss -0.7059" in text and "a local minimum at (0.96)" in text
    assert "Momentum 0.9, lr 0.01**: loss -1.305" in text and "global minimum at (-1.04)" in text
    assert "f′(1.9) = 20.14" in text and "falls to the **left (smaller w)**" in text
    assert [m.label for m in at.metric] == [
        "loss at w = 1.85",
        "loss at w = 1.9",
        "loss at w = 1.95",
    ]
    at.number_input(key="ball_w0").set_value(0.3).run()  # the nudge follows the ball's start
    assert [m.label for m in at.metric] == [
        "loss at w = 0.25",
        "loss at w = 0.3",
        "loss at w = 0.35",
    ]
    assert "f′(0.3) = -0.792" in " ".join(m.value for m in at.markdown)


def test_divergence_is_explained_in_words():
    at = _page(RACE)
    menu = at.selectbox(key="race_preset")
    menu.set_value("Too large a step: watch it diverge").run()
    at.button(key="race_preset_apply").click().run()
    _ok(at)
    warning = " ".join(w.value for w in at.warning)
    assert "diverged at step" in warning and "lr × λmax = 2.1 × 1 = 2.1 > 2" in warning


def test_a_link_reproduces_a_run():
    query = {"race_surface": "beale", "race_x0": "1", "race_y0": "1.5", "race_steps": "300",
             "race_runs": "2", "race_0_opt": "adam", "race_0_lr": "0.05", "race_0_mom": "0.9",
             "race_1_opt": "sgd", "race_1_lr": "0.001", "race_1_mom": "0.9"}  # fmt: skip
    first = _page(RACE, query)
    _ok(first)
    assert first.selectbox(key="race_surface").value == "beale"
    assert first.number_input(key="race_steps").value == 300
    names = [t.get("name") for t in _figures(first)[0]["data"] if t.get("mode") == "markers"]
    assert "Adam, lr 0.05" in names and "Momentum 0.9, lr 0.001" in names
    second = _page(RACE, query)
    assert second.get("plotly_chart")[0].proto.spec == first.get("plotly_chart")[0].proto.spec


@pytest.mark.parametrize(
    ("query", "bad_key"),
    [
        ({"race_steps": "99999"}, "race_steps"),
        ({"race_surface": "nope"}, "race_surface"),
        ({"race_0_lr": "abc"}, "race_0_lr"),
        ({"race_0_lr": "nan"}, "race_0_lr"),
        ({"race_runs": "-3"}, "race_runs"),
        ({"present": "maybe"}, "present"),
        ({"seed": "1e99"}, "seed"),
        ({"race_x0": "<script>alert(1)</script>"}, "race_x0"),
    ],
)
def test_bad_url_values_fall_back_to_defaults_with_a_notice(query, bad_key):
    shared = bad_key in ("present", "seed")  # checked by the shell, on whichever page opens
    at = _app(query) if shared else _page(RACE, query)
    _ok(at)
    text = notices(at)
    assert f"`{bad_key}` = " in text and "showing the default" in text
    defaults = {"race_steps": "600", "race_surface": "rosenbrock", "race_0_lr": "0.001",
                "race_runs": "4", "present": "false", "seed": "0", "race_x0": "-1.2"}  # fmt: skip
    assert link(at)[bad_key] == defaults[bad_key]  # the default is what is shown and linked
    if shared:
        at.switch_page("../../pages/race.py").run()
        _ok(at)
    assert at.get("plotly_chart")  # the page still works


def _font_sizes(node, path=""):
    """(path, size) of every font a figure spec sets, outside its template."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "template":
                continue
            if "font" in key.lower() and isinstance(value, dict) and "size" in value:
                yield f"{path}.{key}", value["size"]
            yield from _font_sizes(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _font_sizes(value, f"{path}[{i}]")


@pytest.mark.parametrize("path", [RACE, BALL, "sum_or_mean", "uncrumpling", "backprop"])
def test_projector_mode_sets_every_font_of_every_chart_to_22px_or_more(path):
    at = _page(path, {"present": "true", "race_3d": "true", "bp_cost": "true"})
    charts = _figures(at)
    assert len(charts) >= 2
    for spec in charts:
        sizes = list(_font_sizes({"layout": spec["layout"], "data": spec["data"]}))
        assert len(sizes) > 5
        small = [(where, size) for where, size in sizes if size < 22]
        assert not small, small


@pytest.mark.parametrize("path", [RACE, BALL, "sum_or_mean", "uncrumpling", "backprop"])
def test_every_chart_says_what_it_shows_to_screen_readers(path):
    at = _page(path, {"race_3d": "true", "bp_cost": "true"})
    alts = [chart.proto.alt for chart in at.get("plotly_chart")]
    assert len(alts) >= 2 and all(len(alt) > 20 for alt in alts), alts
    assert len(set(alts)) == len(alts)  # each says something of its own
