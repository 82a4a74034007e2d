"""Every chart a page draws is a valid Plotly figure, already in the form validation gives it.

``figures.common.finish`` builds figures without Plotly's per-property validation (a fifth of a
loaded server's time). This test is that validation: it opens every page at its defaults, at
every preset and at settings that draw other kinds of chart (regression, three classes, the
decision regions, a diverged run), and rebuilds every chart the page sent with validation on
— ``go.Figure(spec)`` raises on any unknown property or invalid value, in a frame too — and
checks that validation would change nothing the browser reads differently (it coerces, e.g.
an axis "x1" to "x"; it only adds a trace's default type and spells out a named colour scale,
which plotly.js does the same way).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from tests.apptest import ok, open_link, specs
from tests.lessons import LESSONS

# Charts no preset draws: regression, three classes with the regions only, a diverged run,
# one run alone.
EXTRA = {
    "uncrumpling": [
        {
            "uc_data": "spiral",
            "uc_layers": "6",
            "uc_width": "3",
            "uc_act": "relu",
            "uc_epochs": "5",
            "uc_grid": "false",
        },
        {
            "uc_data": "xor",
            "uc_act": "leaky_relu",
            "uc_compare": "activation",
            "uc_epochs": "5",
            "uc_progress": "0",
        },
        {"uc_act": "sigmoid", "uc_lr": "1", "uc_epochs": "30"},
    ],
    "backprop": [
        {"bp_act": "relu", "bp_loss": "hinge", "bp_batch": "4", "bp_red": "sum", "bp_y": "1"},
        {"bp_inputs": "1", "bp_u1": "1", "bp_u2": "1", "bp_lr": "100", "bp_reset": "false"},
        {"bp_cost": "true", "bp_pick": "b3_1", "bp_step": "4"},
        {"bp_w1_11": "50", "bp_w2_11": "50", "bp_w3_11": "50", "bp_act": "linear", "bp_x1": "10"},
    ],
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


@pytest.fixture
def to_dict_checks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Every chart's dict as ``FinishedFigure.to_dict`` hands it out (no deep copy, its own
    typed-array encoding) checked against plotly's own ``go.Figure.to_dict``: (the chart,
    whether both give the same JSON), one per call (Streamlit calls it for every chart)."""
    from figures.common import FinishedFigure

    shared = FinishedFigure.to_dict
    checks: list[tuple[str, bool]] = []

    def checked(figure: FinishedFigure) -> dict[str, Any]:
        ours = shared(figure)
        theirs = go.Figure.to_dict(figure)
        same = pio.to_json(ours, validate=False) == pio.to_json(theirs, validate=False)
        checks.append((str(figure.layout.title.text or figure.data[:1])[:80], same))
        return ours

    monkeypatch.setattr(FinishedFigure, "to_dict", checked)
    return checks


@pytest.mark.parametrize(("page", "case", "query"), _cases(), ids=lambda v: str(v)[:40])
def test_every_chart_validates(
    page: str, case: str, query: dict[str, str], to_dict_checks: list[tuple[str, bool]]
) -> None:
    at = open_link(page, query)
    ok(at)
    charts = specs(at)
    assert charts, f"{page} ({case}) drew no chart"
    assert len(to_dict_checks) >= len(charts)
    differ = [name for name, same in to_dict_checks if not same]
    assert not differ, f"{page} ({case}): to_dict differs from plotly's for {differ}"
    for spec in charts:
        sent = json.loads(spec)
        validated = go.Figure(sent)  # raises ValueError on any invalid property, in frames too
        changes = list(_changes(sent, json.loads(pio.to_json(validated, validate=False))))
        assert not changes, f"{page} ({case}): validation changes {changes[:5]}"


def _changes(sent: Any, valid: Any, path: str = "") -> Iterator[str]:
    """Where the validated figure differs from the sent one, beyond a trace's default type
    (``"type": "scatter"``, which plotly.js assumes too) and a named colour scale spelled out."""
    if isinstance(sent, dict) and isinstance(valid, dict):
        for key in sent.keys() | valid.keys():
            if key not in sent:
                if not (key == "type" and isinstance(valid[key], str)):
                    yield f"{path}.{key} added"
            elif key not in valid:
                yield f"{path}.{key} dropped"
            elif key == "colorscale" and isinstance(sent[key], str):
                continue  # "Viridis": plotly.js expands a named scale as plotly.py does
            else:
                yield from _changes(sent[key], valid[key], f"{path}.{key}")
    elif isinstance(sent, list) and isinstance(valid, list) and len(sent) == len(valid):
        for i, (a, b) in enumerate(zip(sent, valid, strict=True)):
            yield from _changes(a, b, f"{path}[{i}]")
    elif sent != valid and not (_number(sent) and _number(valid) and sent == pytest.approx(valid)):
        yield f"{path}: {sent!r:.40} → {valid!r:.40}"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
