"""Benchmarks of the "Uncrumpling the paper ball" page (issue 12). Prints one JSON object:

    python benchmarks/uncrumpling_page.py

* ``first_load_s``: server time of a first load with every cache emptied — the training of the
  page's networks (``snapshots``), the stages of one moment (``view``) and the four figures
  with their JSON — at the defaults (target ≤ 0.5 s of training), at every preset, and at the
  heaviest settings the page admits (N = 1000, six layers of 3 and of 2, as many epochs as
  ``MAX_STEPS`` allows, side by side): target ≤ 2 s.
* ``json_kb``: every chart's JSON at the defaults (target ≤ 1 MB) and in those cases.
* ``progress_rerun_ms``: the server time of moving *Training progress* (the stages and figures
  of another kept moment, the training cached), median over the kept moments: target ≤ 80 ms.
  ``benchmarks/load.py --lessons uncrumpling --controls uc_progress,uc_grid --students 1
  --start-server`` measures the same against a real server.
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

import streamlit as st

from figures.style import Style
from ui.kept import STORE
from ui.uncrumpling import compute
from ui.uncrumpling.params import LESSON, MAX_STEPS, PRESETS, P, max_epochs

CHARTS = (compute.morph_chart, compute.boundary_chart, compute.cut_chart,
          compute.separability_chart)  # fmt: skip


def _figures(setup: compute.Setup, progress: int, style: Style) -> int:
    """Build every chart of the page for ``setup``; return the bytes of their JSON."""
    size = 0
    for net in setup.nets:
        compute.view(net, progress)
        size += len(compute.morph_chart(net, progress, True, style, len(setup.nets) > 1).to_json())
        for builder in CHARTS[1:]:
            size += len(builder(net, progress, style).to_json())
    return size


def first_load(values: dict[str, Any]) -> dict[str, float]:
    """A first load of ``values`` with cold caches: training, then stages and figures."""
    st.cache_resource.clear()
    STORE.clear()  # every page's results (ui/kept.py)
    LESSON.constrain(values)
    setup = compute.setup_from(values)
    start = time.perf_counter()
    for net in setup.nets:
        compute.snapshots(net)
    trained = time.perf_counter() - start
    size = _figures(setup, int(values[f"{P}progress"]), Style())
    return {"train_s": round(trained, 3), "total_s": round(time.perf_counter() - start, 3),
            "json_kb": round(size / 1000, 1)}  # fmt: skip


def worst_cases() -> dict[str, dict[str, Any]]:
    base = LESSON.defaults() | {f"{P}data": "spiral", f"{P}n": 1000, f"{P}layers": 6}
    cases = {
        "6 layers of 3, N = 1000": base | {f"{P}width": 3},
        "6 layers of 2, relu vs tanh, N = 1000": base | {f"{P}compare": "activation"},
        "6 layers, 2 vs 3 units, N = 1000": base | {f"{P}compare": "width"},
    }
    out = {}
    for name, values in cases.items():
        values[f"{P}epochs"] = max_epochs(values)
        out[name] = {"epochs": values[f"{P}epochs"], **first_load(values)}
    return out


def progress_rerun_ms() -> float:
    """Median server time of moving the progress slider (training cached)."""
    values = LESSON.defaults()
    setup = compute.setup_from(values)
    compute.snapshots(setup.nets[0])
    times = []
    for progress in range(0, 101, 5):
        start = time.perf_counter()
        _figures(setup, progress, Style())
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 1)


def main() -> int:
    report = {
        "max_steps": MAX_STEPS,
        "first_load_s": {
            "defaults": first_load(LESSON.defaults()),
            **{name: first_load(LESSON.preset_values(name)) for name in PRESETS},
        },
        "worst": worst_cases(),
        "progress_rerun_ms": progress_rerun_ms(),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
