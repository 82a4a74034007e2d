"""Benchmarks of the "Backpropagation" page (issue 13). Prints one JSON object:

    python benchmarks/backprop_page.py

* ``json_kb``: every chart the page sends, in KB, at the defaults and at every preset (the
  cost chart included where a preset turns it on). Target ≤ 500 KB in all.
* ``apptest_rerun_ms``: the median AppTest rerun after each kind of control (Next, a weight,
  the selected parameter, h, the batch, the learning rate, the activation). AppTest skips
  Streamlit's serialisation, network and post-run work; ``benchmarks/load.py --lessons
  backprop --students 1 --think 0.3 --start-server`` measures reruns against a real server.
  Target ≤ 80 ms.
* ``cost_first_s``: the cost chart's first computation (``engine.gradient_cost``, both sizes,
  nothing cached): target ≤ 2 s. ``benchmarks/backprop_cost.py`` has the details.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.apptest import open_link, specs
from ui.backprop.compute import COSTS
from ui.backprop.params import LESSON, PRESETS, P

REPEATS = 7
CHANGES: dict[str, tuple[str, Any, Any]] = {  # what a learner changes: (key, one value, another)
    "next step": (f"{P}step", 3, 4),
    "a weight": (f"{P}w2_11", 1.0, 1.2),
    "the followed parameter": (f"{P}pick", "w2_12", "w1_21"),
    "h": (f"{P}h", 1e-6, 0.01),
    "batch size": (f"{P}batch", 3, 4),
    "learning rate": (f"{P}lr", 0.5, 0.05),
    "activation": (f"{P}act", "relu", "sigmoid"),
}


def json_sizes() -> dict[str, float]:
    """KB of all charts at the defaults and at each preset."""
    out = {"defaults": sum(len(s) for s in specs(open_link("backprop"))) / 1000}
    for name in PRESETS:
        at = open_link("backprop", LESSON.encode(LESSON.preset_values(name)))
        out[name] = round(sum(len(s) for s in specs(at)) / 1000, 1)
    return out


def rerun_ms() -> dict[str, float]:
    """Median AppTest rerun (ms) after each kind of change, alternating two values."""
    at = open_link("backprop")
    out = {}
    for name, (key, one, other) in CHANGES.items():
        times = []
        for i in range(REPEATS):
            at.session_state[key] = one if i % 2 == 0 else other
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
        out[name] = round(1000 * statistics.median(times), 1)
    return out


def cost_first_s() -> dict[str, float]:
    """Seconds of the cost chart's first measurement, per size."""
    out = {}
    for largest in (100_000, 1_000_000):
        COSTS._costs.pop(largest, None)
        start = time.perf_counter()
        COSTS.measure(largest, lambda done, text: None)
        out[f"{largest:.0e}"] = round(time.perf_counter() - start, 3)
    return out


def main() -> int:
    report = {
        "json_kb": json_sizes(),
        "apptest_rerun_ms": rerun_ms(),
        "cost_first_s": cost_first_s(),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
