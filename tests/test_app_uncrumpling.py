"""The "Uncrumpling the paper ball" page in AppTest: it works as a learner and a teacher use it.

The default page and its stage, every preset and what its "watch" sentence claims (measured on
the networks the page trained), every control, the training-progress slider, the side-by-side
comparisons (one in 3-D), the learner's own points, the training budget and the figure JSON
budget. The engine's composition of stages, the pulled-back cut and the separability claims
are tested in tests/test_geometry.py; here the page's own numbers are read back with its
cached calls (``ui.uncrumpling.compute``): a cache hit, so exactly what the page showed.
"""

from __future__ import annotations

import json

import pytest

from tests.apptest import figures, link, ok, open_link, specs
from ui.training.points import Point, encode_points
from ui.uncrumpling.compute import (
    setup_from,
    stage_names,
    view,
)
from ui.uncrumpling.params import (
    LESSON,
    MAX_STEPS,
    MOONS,
    PRESETS,
    WATCH,
    P,
    max_epochs,
)

JSON_BUDGET = 1_000_000  # bytes of every chart at the defaults (issue 12)


def _page(query=None):
    return open_link("uncrumpling", query)


def _values(at) -> dict:
    return {p.key: at.session_state[p.key] for p in LESSON.params}


def _scores(at) -> list[list[float]]:
    """The separability at every stage of each network the page drew."""
    values = _values(at)
    setup = setup_from(values)
    progress = int(values[f"{P}progress"])
    return [[s.separability for s in view(net, progress).stages] for net in setup.nets]


def _texts(at) -> str:
    return " ".join(m.value for m in at.markdown)


def _apply(at, name):
    at.selectbox(key="uncrumpling_preset").set_value(name).run()
    at.button(key="uncrumpling_preset_apply").click().run()
    ok(at)
    return at


def test_the_default_page_untangles_the_moons_stage_by_stage():
    at = _page()
    ok(at)
    morph, boundary, cut, separability = figures(at)
    net = setup_from(_values(at)).nets[0]
    names = stage_names(net)
    assert names == ["input", "W₁", "+b₁", "tanh₁"]
    # frames: the input, then SUBSTEPS per stage; only the four moving traces in each
    assert len(morph["frames"]) == 1 + 4 * (len(names) - 1)
    assert all(f["traces"] == [0, 1, 2, 3] for f in morph["frames"])
    assert [s["label"] for s in morph["layout"]["sliders"][0]["steps"]] == names
    # every frame sets its own axis ranges: nothing jitters, nothing leaves the view
    assert all("range" in f["layout"]["xaxis"] for f in morph["frames"])
    assert boundary["data"][1]["type"] == "contour"
    assert [t["name"] for t in cut["data"]][-1] == "the output's straight cut"
    (scores,) = _scores(at)
    assert scores[0] < 0.9 and scores[-1] >= 0.98
    assert "from stage **tanh₁** on, one straight cut separates the classes" in _texts(at)
    assert WATCH[MOONS] in " ".join(i.value for i in at.info)
    assert sum(len(s) for s in specs(at)) <= JSON_BUDGET
    assert separability["data"][0]["text"][-1] == "100 %"


def test_an_identical_rerun_sends_byte_identical_charts():
    at = _page()
    before = specs(at)
    at.run()
    assert specs(at) == before


CLAIMS = {
    MOONS: lambda s: s[0][-1] >= 0.98,
    "Spiral: four layers of 2": lambda s: 0.55 <= s[0][0] <= 0.65 and 0.6 <= s[0][-1] <= 0.75,
    "Circles: 2 units are not enough, 3 are": lambda s: (
        s[0][0] <= 0.70 and s[0][-1] < 0.95 and s[1][-1] >= 0.99
    ),
    "XOR with relu: folding the plane": lambda s: s[0][0] < 0.7 and s[0][-1] >= 0.97,
    "Same data, relu vs tanh": lambda s: s[0][-1] <= 0.9 and s[1][-1] >= 0.99,
}


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_applies_and_shows_what_it_says(name):
    at = _apply(_page(), name)
    expected = LESSON.preset_values(name)
    assert _values(at) == expected
    assert WATCH[name] in " ".join(i.value for i in at.info)
    scores = _scores(at)
    assert CLAIMS[name](scores), scores
    assert sum(len(s) for s in specs(at)) <= 1.5 * JSON_BUDGET  # two networks side by side


def test_the_circles_preset_draws_3_units_in_3_d_and_2_units_in_the_plane():
    at = _apply(_page(), "Circles: 2 units are not enough, 3 are")
    charts = figures(at)
    kinds = [c["data"][1]["type"] for c in charts[:2]]
    assert kinds == ["scatter", "scatter3d"]
    assert charts[1]["layout"]["scene"]["xaxis"]["range"]
    assert "3 units per layer: the best straight cut" in _texts(at)


def _other(param, value):
    if param.kind == "bool":
        return not value
    if param.kind == "choice":
        return next(c for c in param.choices if c != value and c != "own")
    if param.widget == "log_slider":
        from ui.widgets import log_grid

        grid = log_grid(param.low, param.high)
        return grid[(grid.index(value) + 3) % len(grid)] if value in grid else grid[0]
    if param.kind == "int":
        if param.key == f"{P}epochs":
            return 20
        step = int(param.step or 1)
        return int(value + step) if value + step <= param.high else int(param.low)
    return round(float(value) + (param.step or 0.1), 6)


def test_every_control_changes_the_page_and_the_link():
    """Each control in turn, in one session (as a learner goes through them), then back."""
    at = _page({f"{P}epochs": "20"})
    for param in (p for p in LESSON.params if p.kind != "text"):
        before = at.session_state[param.key]
        value = _other(param, before)
        at.session_state[param.key] = value
        at.run()
        ok(at)
        assert at.session_state[param.key] == value, param.key
        assert link(at)[param.key] == param.encode(value), param.key
        assert figures(at), param.key
        at.session_state[param.key] = before
        at.run()


def test_training_progress_moves_the_network_not_the_training():
    at = _page()
    end = specs(at)[0]
    at.session_state[f"{P}progress"] = 0
    at.run()
    ok(at)
    start = specs(at)[0]
    assert start != end
    assert "after 0 steps (0 % of training)" in _texts(at)
    (scores,) = _scores(at)
    assert scores[-1] < 0.95  # the untrained network has not untangled anything


def test_the_learners_own_points_train_once_there_are_enough():
    few = encode_points([Point(0.0, 0.0, 0), Point(1.0, 1.0, 1)])
    at = _page({f"{P}data": "own", f"{P}pts": few})
    ok(at)
    assert not at.get("plotly_chart")
    assert "needs at least 6 points" in " ".join(i.value for i in at.info)
    ring = [Point(x, y, 0) for x, y in ((-1, -1), (-1, 1), (1, -1), (1, 1))]
    core = [Point(x, y, 1) for x, y in ((0, 0.2), (0.2, 0), (0, -0.2), (-0.2, 0))]
    at = _page({f"{P}data": "own", f"{P}pts": encode_points(ring + core)})
    ok(at)
    assert len(figures(at)) == 4


def test_the_points_of_what_is_training_are_copied_over():
    points = encode_points([Point(-1, 0, 0), Point(1, 0, 1), Point(0, 1, 0), Point(0, -1, 1),
                            Point(-1, 1, 0), Point(1, -1, 1)])  # fmt: skip
    at = open_link("training", {"tr_pts": points, "tr_epochs": "1"})
    at.switch_page("../../pages/uncrumpling.py").run()
    at.button(key=f"{P}use_points").click().run()
    ok(at)
    assert at.session_state[f"{P}data"] == "own" and at.session_state[f"{P}pts"] == points
    assert link(at)[f"{P}pts"] == points and figures(at)


def test_training_beyond_the_budget_is_cut_with_a_notice():
    at = _page({f"{P}n": "1000", f"{P}epochs": "1000"})
    ok(at)
    most = max_epochs(_values(at))
    assert most == MAX_STEPS // 32 and at.session_state[f"{P}epochs"] == most
    assert f"using {most}" in " ".join(w.value for w in at.warning)


def test_a_bad_link_names_what_it_refused():
    at = _page({f"{P}layers": "9", f"{P}act": "swish", f"{P}pts": "%%%"})
    ok(at)
    shown = " ".join(w.value for w in at.warning)
    for key in ("uc_layers", "uc_act", "uc_pts"):
        assert key in shown
    assert at.session_state[f"{P}layers"] == 1


def test_projector_mode_sets_every_chart_font_to_22px_or_more():
    at = _page({"present": "true"})
    for spec in figures(at):
        assert json.dumps(spec["layout"]["font"]) and spec["layout"]["font"]["size"] >= 22
