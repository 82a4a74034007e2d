"""Helpers for running the app in AppTest as a browser would open a link.

The shell is started from tests/harness/entry.py (see ui/shell.py for why). ``open_link`` runs
the home page first (AppTest needs one run to learn the pages), then sets the link's query and
switches to the page: that page's first run in the session reads the link, exactly as a
browser's deep link does.
"""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest

ENTRY = "harness/entry.py"  # relative to this file
PAGES = {
    "race": "../../pages/race.py",
    "rolling_ball": "../../pages/rolling_ball.py",
    "sum_or_mean": "../../pages/sum_or_mean.py",
    "training": "../../pages/training.py",
    "backprop": "../../pages/backprop.py",
    "uncrumpling": "../../pages/uncrumpling.py",
}


def open_link(page: str | None, query: dict[str, Any] | None = None, timeout: float = 120):
    """A new session that opens ``page`` ("race", … or None for home) with ``query``."""
    at = AppTest.from_file(ENTRY, default_timeout=timeout)
    if page is None:
        for key, value in (query or {}).items():
            at.query_params[key] = value
        return at.run()
    at.run()
    at.query_params = dict(query or {})
    return at.switch_page(PAGES.get(page, page)).run()


def ok(at) -> None:
    """No exception and no error box."""
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def specs(at) -> list[str]:
    """Every chart's spec, byte for byte."""
    return [chart.proto.spec for chart in at.get("plotly_chart")]


def link(at) -> dict[str, str]:
    """The query the page wrote into the address bar."""
    return {k: v if isinstance(v, str) else v[-1] for k, v in at.query_params.items()}


def notices(at) -> str:
    return " ".join(w.value for w in at.warning)
