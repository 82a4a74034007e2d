"""App benchmarks (issue 4). Prints one JSON object; run ``python benchmarks/app.py``.

* rerun_ms: median server time of a rerun after changing one control on each lesson page
  (AppTest, in process): each change is to a value not seen before, so nothing comes from the
  cache — the run, the figure and its serialisation are all redone. Target ≤ 150 ms.
  identical_rerun_ms: the same page rerun with nothing changed (everything cached).
* figure_kb: size of the animated figure's JSON at each lesson's defaults. Target ≤ 600 KB.
* sum_or_mean_map_s: the lesson's default batch-size × learning-rate map from scratch
  (2 reductions × 9 batch sizes × 24 learning rates × 150 steps). Target ≤ 3 s.
* cold_start_s: from launching ``streamlit run app.py`` to the home page's title being visible
  in headless Chromium (None without Chromium). Target ≤ 4 s.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "tests" / "harness" / "entry.py")
CHROMIUM = Path("/usr/bin/chromium")


def _page(path: str) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120).run()
    at.switch_page(path).run()
    return at


def _timed(at: AppTest, change: Callable[[AppTest, int], None], repeats: int) -> list[float]:
    times = []
    for i in range(repeats):
        change(at, i)
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        assert not at.exception, at.exception
    return times


def bench_page(path: str, change: Callable[[AppTest, int], None]) -> dict[str, Any]:
    at = _page(path)
    size = len(at.get("plotly_chart")[0].proto.spec)
    changed = _timed(at, change, 15)
    identical = _timed(at, lambda a, i: None, 10)
    return {
        "rerun_ms": round(statistics.median(changed), 1),
        "rerun_max_ms": round(max(changed), 1),
        "identical_rerun_ms": round(statistics.median(identical), 1),
        "figure_kb": round(size / 1000, 1),
    }


def bench_map() -> float:
    """The default batch-size × learning-rate map, computed from scratch (median of 3)."""
    from ui.sum_or_mean.compute import batch_lr_map

    compute = getattr(batch_lr_map, "__wrapped__", batch_lr_map)
    times = []
    for _ in range(3):
        batch_lr_map.clear()
        start = time.perf_counter()
        compute("linear_regression", 256, 0.5, 0, 0.0)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def cold_start() -> float | None:
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--server.address", "127.0.0.1"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                    break
                except Exception:  # server not listening yet
                    time.sleep(0.05)
            page.get_by_role("heading", name="Descent Lab").wait_for(timeout=30_000)
            return round(time.perf_counter() - start, 2)
        finally:
            process.terminate()
            process.wait(timeout=20)
            browser.close()


def main() -> None:
    out = {
        "optimizer_race": bench_page(
            "../../pages/race.py",
            lambda at, i: at.number_input(key="race_steps").set_value(601 + i),
        ),
        "rolling_ball": bench_page(
            "../../pages/rolling_ball.py",
            lambda at, i: at.slider(key="ball_1_mom").set_value(round(0.5 + 0.02 * i, 2)),
        ),
        "sum_or_mean": bench_page(
            "../../pages/sum_or_mean.py",
            lambda at, i: at.number_input(key="sm_lr_a").set_value(0.05 + 0.001 * i),
        ),
        "sum_or_mean_map_s": bench_map(),
        "cold_start_s": cold_start(),
        "targets": {"rerun_ms": 150, "figure_kb": 600, "cold_start_s": 4, "map_s": 3},
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
