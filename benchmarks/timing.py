"""The one timing rule every benchmark uses."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall-clock seconds of ``repeats`` calls of ``fn``, after one warm-up call."""
    return statistics.median(times_of(fn, repeats))


def times_of(fn: Callable[[], Any], repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``fn``, after one warm-up call.

    The benchmark machine is a shared VM whose speed varies by ±25 % from one second to the
    next, so scripts report the median (the target) and may add the fastest run (what the
    code costs without interference).
    """
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times
