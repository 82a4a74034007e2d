"""Every chart a page draws is a valid Plotly figure: data, layout and every animation frame.

``figures.common.finish`` builds figures without Plotly's per-property validation (a fifth of a
loaded server's time). This test is that validation: it opens every page at its defaults, at
every preset and at settings that draw other kinds of chart (regression, three classes, the
decision regions, a diverged run), and rebuilds every chart the page sent with validation on
— ``go.Figure(spec)`` raises on any unknown property or invalid value, in a frame too.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from tests.apptest import ok, open_link, specs
from ui.race.params import LESSON as RACE
from ui.rolling_ball.params import LESSON as BALL
from ui.sum_or_mean.params import LESSON as SUM_OR_MEAN
from ui.training.params import LESSON as TRAINING

LESSONS = {"race": RACE, "rolling_ball": BALL, "sum_or_mean": SUM_OR_MEAN, "training": TRAINING}
# Charts no preset draws: regression, three classes with the regions only, a diverged run,
# one run alone.
EXTRA = {
    "training": [
        {"tr_data": "sine", "tr_f_x2": "0", "tr_out": "mse"},
        {"tr_data": "spiral3", "tr_out": "softmax_ce", "tr_disc": "1"},
        {"tr_0_lr": "10", "tr_0_opt": "sgd", "tr_0_mom": "0.9"},
        {"tr_compare": "none", "tr_x": "examples"},
    ],
}


def _cases() -> list[tuple[str, str, dict[str, str]]]:
    cases = []
    for page, lesson in LESSONS.items():
        cases.append((page, "defaults", {}))
        for name in lesson.presets:
            cases.append((page, name, lesson.encode(lesson.preset_values(name))))
        for i, query in enumerate(EXTRA.get(page, [])):
            cases.append((page, f"extra {i}", query))
    return cases


@pytest.mark.parametrize(("page", "case", "query"), _cases(), ids=lambda v: str(v)[:40])
def test_every_chart_validates(page: str, case: str, query: dict[str, str]) -> None:
    at = open_link(page, query)
    ok(at)
    charts = specs(at)
    assert charts, f"{page} ({case}) drew no chart"
    for spec in charts:
        go.Figure(json.loads(spec))  # raises ValueError on any invalid property, in frames too
