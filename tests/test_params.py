"""Parameter declarations: strict parsing, exact round trips, inert quoting, the log grid."""

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui.params import MAX_RAW, Lesson, Param
from ui.race.params import LESSON as RACE
from ui.rolling_ball.params import LESSON as BALL
from ui.settings import SHARED
from ui.sum_or_mean.params import LESSON as SUM_OR_MEAN
from ui.url import literal
from ui.widgets import log_grid, log_options

STEPS = Param("steps", "int", 600, 1, 2000)
X0 = Param("x0", "float", -1.2, -1e3, 1e3)
LR = Param("lr", "float", 0.01, 1e-6, 10.0, widget="log_slider")
LESSONS = (SHARED, RACE, BALL, SUM_OR_MEAN)


@pytest.mark.parametrize(
    "raw",
    ["inf", "Infinity", "1e309", "9" * 5000, "2.0", "1e3", "3.", "1_0", "٣", "３", "0x10", "",
     "nan", "-1", "2001", "+", "1 0"],
)  # fmt: skip
def test_whole_numbers_are_plain_ascii_integers_in_range(raw):
    with pytest.raises(ValueError):
        STEPS.parse(raw)


@pytest.mark.parametrize(
    "raw", ["inf", "-inf", "nan", "1e309", "5000", "1e308", "1_0.5", "٣", "0x1p3", "1,5", ".",
            "e5", "1e", "--1", "1e1234"],
)  # fmt: skip
def test_numbers_must_be_finite_decimals_in_range(raw):
    with pytest.raises(ValueError):
        X0.parse(raw)


def test_good_spellings_parse_to_the_value():
    assert STEPS.parse(" 300 ") == 300 and STEPS.parse("+5") == 5
    assert X0.parse("-1.5e2") == -150.0 and X0.parse(".5") == 0.5 and X0.parse("3.") == 3.0
    assert Param("b", "bool", False).parse("1") is True
    surface = RACE.param("race_surface")
    assert surface.parse("Beale") == "beale" == surface.parse("beale") == surface.parse("BEALE")


def test_range_messages_quote_the_range():
    with pytest.raises(ValueError, match="from -1000 to 1000"):
        X0.parse("5000")


@given(st.floats(-1e3, 1e3, allow_nan=False))
def test_every_float_round_trips_exactly(value):
    assert X0.parse(X0.encode(value)) == value


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_declarations_are_complete(lesson):
    for p in lesson.params:
        assert p.label, p.key  # every widget is drawn from its declaration
        if p.kind in ("int", "float"):
            assert p.low is not None and p.high is not None, p.key  # the widget's and link's range
    for name in lesson.presets:
        values = lesson.preset_values(name)
        assert set(values) == set(lesson.keys)  # a preset sets every control
        assert {k: lesson.param(k).parse(v) for k, v in lesson.encode(values).items()} == values


def test_the_default_preset_is_the_defaults():
    for lesson in (RACE, BALL, SUM_OR_MEAN):
        assert lesson.preset_values(lesson.default_preset) == lesson.defaults()


def test_runner_defaults_are_what_the_panels_show():
    assert RACE.param("race_0_lr").default == 0.001  # not a generic 0.01
    assert RACE.param("race_3_opt").default == "adam"


def test_a_preset_with_an_undeclared_key_or_bad_value_is_refused():
    with pytest.raises(KeyError):
        Lesson("x", (STEPS,), {"p": {"nope": 1}})
    with pytest.raises(ValueError):
        Lesson("x", (STEPS,), {"p": {"steps": 0}})


def test_literal_quotes_inertly():
    quoted = literal("\n\n[log in](https://e.example)")
    assert quoted.startswith("`") and quoted.endswith("`") and "\n" not in quoted
    assert quoted.count("`") == 2
    assert literal("a`b") == "`a'b`"
    assert literal("٣") == "`\\u0663`"
    assert len(literal("9" * 5000)) <= 42


def test_log_grid_is_round_numbers_ten_per_decade():
    grid = log_grid(1e-6, 10.0)
    assert grid[0] == 1e-6 and grid[-1] == 10.0 and len(grid) == 71
    assert 0.3 in grid and 0.0025 in grid and 0.001 in grid
    ratios = [b / a for a, b in itertools.pairwise(grid)]
    assert max(ratios) <= 1.34 and min(ratios) >= 1.2
    assert all(math.isclose(float(repr(v)), v) for v in grid)


def test_an_off_grid_value_joins_the_options():
    options = log_options(LR, 0.003125)
    assert 0.003125 in options and options == sorted(options)
    assert log_options(LR, 0.5) == log_grid(1e-6, 10.0)


def _upper(text: str) -> str:
    if text and not text.isalpha():
        raise ValueError("letters only")
    return text.upper()


TEXT = Param("pts", "text", "", max_length=6, validate=_upper, widget="none")


def test_a_text_parameter_is_validated_and_canonical():
    assert TEXT.parse("abc") == "ABC"
    assert TEXT.encode("ABC") == "ABC" and TEXT.shown("") == "(none)"
    with pytest.raises(ValueError, match="letters only"):
        TEXT.parse("a1")
    with pytest.raises(ValueError, match="longer than 6"):
        TEXT.parse("abcdefg")


def test_a_text_parameter_has_no_widget():
    from ui.widgets import draw

    with pytest.raises(ValueError, match="no widget"):
        draw(TEXT)


def test_a_choice_may_be_spelled_by_a_label_longer_than_the_raw_limit():
    label = "w2_12: unit 1 of layer 1 → unit 2 of layer 2"  # a menu's wording, 44 characters
    param = Param("pick", "choice", "a", choices=("a", "b"), labels=("first", label))
    assert len(label) > MAX_RAW and param.parse(label) == "b"
    with pytest.raises(ValueError, match=f"longer than {len(label)}"):
        param.parse("x" * (len(label) + 1))
