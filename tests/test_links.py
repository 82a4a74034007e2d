"""A link reopens exactly the same run, and no link or control value crashes a page.

Property test (hypothesis, seeded): random presets and random control states are driven through
AppTest; the link the page wrote is rebuilt the way a browser or a person might shorten it
(values equal to their defaults left out), opened in a new session, and compared — the same
values, the same address bar, byte-identical charts.

Fuzz (seeded): garbage link values for every page (≥ 200 per page) and extreme control values
(≥ 100 states per page) give zero exceptions, and every refused value is named in a notice while
the page shows (and links) the default. The training page may answer an extreme state with its
own error, "These settings cannot be trained: …" (beyond the compute budget, or too few points
of one's own), instead of a chart.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from i18n import LANGUAGES, language
from tests.apptest import link, notices, ok, open_link, specs
from tests.lessons import LESSONS
from ui.params import Lesson, Param
from ui.settings import SHARED
from ui.sum_or_mean.params import LESSON as SUM_OR_MEAN
from ui.training.params import LESSON as TRAINING
from ui.training.points import LIMIT, MAX_POINTS, N_LABELS, Point, decode_points, encode_points
from ui.uncrumpling.params import LESSON as UNCRUMPLING
from ui.widgets import log_grid

LOADED = "_pages_loaded"  # ui.shell: the pages whose first run has read the link
CANNOT_TRAIN = "These settings cannot be trained:"  # pages/training.py: the budget's refusal

# Hand-added points (the one "text" parameter): any list of points, as its link code; a
# little beyond ±LIMIT, which the code clamps.
_POINT = st.builds(Point, st.floats(-LIMIT - 1, LIMIT + 1), st.floats(-LIMIT - 1, LIMIT + 1),
                   st.integers(0, N_LABELS - 1))  # fmt: skip
_CODES = st.one_of(
    st.just(""), st.lists(_POINT, min_size=1, max_size=MAX_POINTS).map(encode_points)
)


def _moderate(param: Param) -> st.SearchStrategy:
    """Values a learner reaches with the controls (the whole range; ends and defaults often)."""
    if param.kind == "bool":
        return st.booleans()
    if param.kind == "choice":
        return st.sampled_from(param.choices)
    if param.kind == "text":
        assert param.key in ("tr_pts", "uc_pts"), f"no values known for the text {param.key}"
        return _CODES
    if param.widget == "log_slider":  # its notches: AppTest sets no value off the grid
        return st.sampled_from(log_grid(param.low, param.high))
    ends = st.sampled_from([param.low, param.high, param.default])
    if param.kind == "int":
        high = min(param.high, 400) if param.key.endswith(("steps", "_n")) else param.high
        return st.one_of(ends, st.integers(int(param.low), int(high))).map(int)
    return st.one_of(ends, st.floats(param.low, param.high, allow_subnormal=False)).map(float)


TRAINING_CAPS = (("tr_n", 300), ("tr_epochs", 10), ("tr_layers", 2), ("tr_b_layers", 2))
TWO_CLASSES = encode_points([Point(-1.0, 0.0, 0), Point(1.0, 0.0, 1)])


def _cheap(lesson: Lesson, preset, values: dict) -> dict:
    """Keep the runs small in the property test (the fuzz below goes to the extremes): the link
    round trip is about values, not about the cost of a run. Training caps what the preset
    sets too (a preset of 200 epochs gets 10)."""
    if lesson is SUM_OR_MEAN:
        for key, cap in (("sm_n", 512), ("sm_epochs", 20)):
            if key in values:
                values[key] = min(int(values[key]), cap)
    if lesson is UNCRUMPLING:
        start = lesson.preset_values(preset) if preset is not None else lesson.defaults()
        for key, cap in (("uc_n", 300), ("uc_epochs", 30)):
            if int((start | values)[key]) > cap:
                values[key] = cap
    if lesson is TRAINING:
        start = lesson.preset_values(preset) if preset is not None else lesson.defaults()
        for key, cap in TRAINING_CAPS:
            if int((start | values)[key]) > cap:
                values[key] = cap
        # "Only my points" needs two points of two classes; with fewer the page can only say
        # so (tests/test_app_training.py), and there is no run to compare.
        merged = start | values
        own = decode_points(merged["tr_pts"])
        if merged["tr_data"] == "own" and len({p.label for p in own}) < 2:
            values["tr_pts"] = merged["tr_pts"][: 3 * (MAX_POINTS - 2)] + TWO_CLASSES
    return values


@st.composite
def _state(draw, lesson: Lesson):
    preset = draw(st.one_of(st.none(), st.sampled_from(list(lesson.presets))))
    changed = draw(st.lists(st.sampled_from(lesson.params), max_size=6, unique=True))
    values = {p.key: draw(_moderate(p)) for p in changed}
    shared = {SHARED.param("seed").key: draw(st.integers(0, 9999)),
              SHARED.param("lang").key: draw(st.sampled_from(LANGUAGES))}  # fmt: skip
    return preset, _cheap(lesson, preset, values), shared


def _drive(page: str, preset, values: dict, shared: dict):
    """A session on ``page`` (opened in the language ``shared`` names): apply ``preset`` with
    its button, then set ``values``."""
    at = open_link(page, {"lang": shared["lang"]} if "lang" in shared else None)
    if preset is not None:
        at.selectbox(key=f"{page}_preset").set_value(preset).run()
        at.button(key=f"{page}_preset_apply").click().run()
    for key, value in (values | shared).items():
        at.session_state[key] = value
    return at.run()


def _without_defaults(query: dict[str, str], lesson: Lesson) -> dict[str, str]:
    """The link with every value equal to its declared default left out."""
    defaults = SHARED.encode(SHARED.defaults()) | lesson.encode(lesson.defaults())
    return {k: v for k, v in query.items() if defaults.get(k) != v}


@pytest.mark.parametrize("page", sorted(LESSONS))
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(data=st.data())
def test_a_link_reopens_the_same_run(page, data):
    lesson = LESSONS[page]
    preset, values, shared = data.draw(_state(lesson))
    # AppTest formats menu options in the test's own thread: in the session's language too.
    with language(shared["lang"]):
        first = _drive(page, preset, values, shared)
        ok(first)
        query = link(first)
        assert set(query) == set(SHARED.keys) | set(lesson.keys)  # every value, default or not
        for shortened in (query, _without_defaults(query, lesson)):
            again = open_link(page, shortened)
            ok(again)
            assert link(again) == query
            assert specs(again) == specs(first)


@pytest.mark.parametrize("page", sorted(LESSONS))
def test_every_preset_reopens_from_its_link(page):
    lesson = LESSONS[page]
    for name in lesson.presets:
        first = _drive(page, name, {}, {})
        ok(first)
        query = link(first)
        assert (
            query == SHARED.encode(SHARED.defaults()) | lesson.encode(lesson.preset_values(name))
            or lesson.constrain is not None
        )
        again = open_link(page, _without_defaults(query, lesson))
        ok(again)
        assert link(again) == query, name
        assert specs(again) == specs(first), name


GARBAGE = ["inf", "-inf", "Infinity", "nan", "NaN", "1e309", "-1e309", "9" * 5000, "1_0",
           "٣", "３", "2.0", "1e3", "3.", "0x10", "", " ", "true", "maybe", "-0", "1e-400",
           "1e308", "-1e308", "5000", "%s", "<script>alert(1)</script>", "\n\n[log in](https://e.example)",
           "`x`", "$x$", ":red[x]", "**b**", "0.1.2", "1,5", "+", "-", ".", "e5", "10e",
           "rosenbrock", "GD", "None", "[]", "{}", "😀", "\x00", "\u202e1", "1" * 41]  # fmt: skip


def _garbage_links(lesson: Lesson, count: int, seed: int) -> list[dict[str, list[str]]]:
    """``count`` links, each with 1–3 garbage values for random keys of the page, the shared
    settings, a mistyped key, or a key given twice."""
    rng = random.Random(seed)
    keys = [*lesson.keys, *SHARED.keys, "race_lr", "sm_lrA", "ball_w", "x", "seed "]
    links = []
    for _ in range(count):
        query: dict[str, list[str]] = {}
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(keys)
            query.setdefault(key, []).append(rng.choice(GARBAGE))
        links.append(query)
    return links


@pytest.mark.parametrize("page", sorted(LESSONS))
def test_garbage_links_never_crash_and_show_the_default(page):
    lesson = LESSONS[page]
    at = open_link(page)
    links = _garbage_links(lesson, 200, seed=sum(map(ord, page)))
    for query in links:
        at.session_state[LOADED] = set()  # the next run is the page's first: it reads the link
        at.query_params = {k: v if len(v) > 1 else v[0] for k, v in query.items()}
        at.run()
        ok(at)
        text = notices(at)
        given = {}
        for key, raws in query.items():
            if key not in lesson.keys and key not in SHARED.keys:
                assert f"`{key}` is not a setting of this page" in text, (query, text)
                continue
            if len(raws) > 1:
                assert f"{len(raws)} times; the last one" in text, (query, text)
            param = (lesson if key in lesson.keys else SHARED).param(key)
            try:
                value = param.parse(raws[-1])
            except ValueError:
                assert "could not be used" in text and "showing the default" in text, text
                continue
            if key in lesson.keys:
                given[key] = value
            else:
                assert link(at)[key] == param.encode(value)
        expected = lesson.defaults() | given  # refused values: the default, really used
        if lesson.constrain is not None:
            lesson.constrain(expected)
        assert {k: link(at)[k] for k in lesson.keys} == lesson.encode(expected), query
        for notice in at.warning:  # quoted inertly: no line break, so no Markdown link
            assert "\n\n[log in]" not in notice.value and "\n[log in]" not in notice.value


def _extreme(param: Param, rng: random.Random):
    if param.kind == "bool":
        return rng.random() < 0.5
    if param.kind == "choice":
        return rng.choice(param.choices)
    if param.kind == "text":  # no points, one, or as many as a link holds, anywhere
        count = rng.choice([0, 1, MAX_POINTS])
        return encode_points([Point(rng.uniform(-9, 9), rng.uniform(-9, 9), rng.randrange(3))
                              for _ in range(count)])  # fmt: skip
    pick = rng.choice([param.low, param.high, param.default, None])
    if pick is None:
        pick = rng.uniform(param.low, param.high)
    return int(pick) if param.kind == "int" else float(pick)


def _offered(at, param: Param, value, rng: random.Random):
    """``value``, or for a menu whose options depend on other settings (the backprop page
    offers only the parameters its network has) one of the options it offers now: a browser
    cannot choose another."""
    if param.key != "bp_pick":
        return value
    offered = set(at.selectbox(key=param.key).options)
    return rng.choice([c for c, label in zip(param.choices, param.labels, strict=True)
                       if label in offered])  # fmt: skip


@pytest.mark.parametrize("page", sorted(LESSONS))
def test_extreme_control_values_never_crash(page):
    lesson = LESSONS[page]
    rng = random.Random(7 + len(page))
    at = open_link(page)
    for _ in range(100):
        for p in rng.sample(lesson.params, k=min(4, len(lesson.params))):
            at.session_state[p.key] = _offered(at, p, _extreme(p, rng), rng)
        at.run()
        refused = [e.value for e in at.error if e.value.startswith(CANNOT_TRAIN)]
        if page == "training" and refused and len(refused) == len(at.error):
            assert not at.exception, at.exception
            assert not at.get("plotly_chart")  # the page stopped with its reason
            continue
        ok(at)
        waiting = [i.value for i in at.info if "needs at least" in i.value]
        if page == "uncrumpling" and waiting:  # "My points" with too few: it says so, no chart
            assert not at.get("plotly_chart")
            continue
        assert at.get("plotly_chart")
