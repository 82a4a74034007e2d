"""ui/kept.py and figures/store.py: every cached result of a process within one byte budget."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import pytest

from figures.store import NUMBER_BYTES, Store, weigh
from ui import kept as kept_module
from ui.kept import budget_from_environment, kept


def test_weigh_counts_arrays_figures_containers_and_shared_objects_once():
    array = np.zeros(1000)
    assert 8000 <= weigh(array) < 8300
    assert 2 * 8000 <= weigh([array, np.ones(1000)]) < 2 * 8300
    assert weigh([array, array, array]) < 8400  # one array, referenced three times
    numbers = list(range(10_000))
    assert weigh(numbers) >= NUMBER_BYTES * 10_000
    text = "x" * 50_000
    assert 50_000 <= weigh({"a": text, "b": (text, 3)}) < 51_000
    frames = [{"name": str(i), "source": f"{i:04d}" + "y" * 996} for i in range(120)]  # sampled
    assert 120 * 1000 <= weigh(frames) < 120 * 1500  # ~1.4 KB a dict with its texts
    figure = go.Figure({"data": [{"type": "scatter", "y": numbers}]})
    assert weigh(figure) >= NUMBER_BYTES * 10_000

    @dataclass
    class Holder:
        values: np.ndarray

    assert weigh(Holder(np.zeros((100, 100)))) >= 80_000


def test_the_store_drops_the_least_recently_used_past_its_budget():
    store = Store(budget=25_000)
    for i in range(3):
        store.put(i, np.zeros(1000))  # ~8 KB each: three fit
    assert len(store) == 3
    assert store.get(0) is not None  # 0 is now the most recent
    store.put(3, np.zeros(1000))
    assert store.get(1) is None and store.get(0) is not None and store.size <= store.budget
    store.put("big", np.zeros(10_000))  # alone over the budget: kept, everything else dropped
    assert len(store) == 1 and store.get("big") is not None
    store.put("big", np.zeros(10))  # replacing a key replaces its weight
    assert store.size < 1000
    store.clear()
    assert len(store) == 0 and store.size == 0


def test_kept_keys_by_value_shares_results_and_keeps_no_exception(monkeypatch):
    monkeypatch.setattr(kept_module, "STORE", Store(budget=10_000_000))
    calls: list[tuple] = []

    @dataclass(frozen=True)
    class Choice:
        n: int

    class Opaque:  # unhashable for Python: keyed by hash_funcs
        __hash__ = None  # type: ignore[assignment]

        def __init__(self, n: int) -> None:
            self.n = n

    @kept(hash_funcs={Opaque: lambda o: o.n})
    def compute(choice: Choice, opaque: Opaque, values: list[int], scale: float = 1.0):
        calls.append((choice, opaque.n, tuple(values), scale))
        if choice.n < 0:
            raise ValueError("negative")
        return np.full(3, choice.n * scale)

    first = compute(Choice(1), Opaque(2), [1, 2])
    assert compute(Choice(1), Opaque(2), [1, 2]) is first  # the same object: not a copy
    assert len(calls) == 1
    compute(Choice(1), Opaque(3), [1, 2])  # another key by hash_funcs
    compute(Choice(1), Opaque(2), [1, 3])  # an unhashable list, by its pickle
    compute(Choice(1), Opaque(2), [1, 2], scale=2.0)
    assert len(calls) == 4
    for _ in range(2):
        with pytest.raises(ValueError):
            compute(Choice(-1), Opaque(2), [])
    assert len(calls) == 6  # an exception is not kept
    compute.clear()  # type: ignore[attr-defined]
    compute(Choice(1), Opaque(2), [1, 2])
    assert len(calls) == 7


def test_concurrent_callers_of_one_key_compute_it_once(monkeypatch):
    monkeypatch.setattr(kept_module, "STORE", Store(budget=10_000_000))
    started = []

    @kept()
    def slow(n: int) -> np.ndarray:
        started.append(n)
        time.sleep(0.2)
        return np.arange(n)

    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(slow(5))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert started == [5] and len(results) == 6 and all(r is results[0] for r in results)


def test_the_budget_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DESCENT_LAB_CACHE_MB", "64")
    assert budget_from_environment() == 64_000_000
    for bad in ("lots", "nan", "-5", "1"):
        monkeypatch.setenv("DESCENT_LAB_CACHE_MB", bad)
        assert budget_from_environment() in (kept_module.DEFAULT_MB * 1_000_000, 8_000_000)
    monkeypatch.delenv("DESCENT_LAB_CACHE_MB")
    assert budget_from_environment() == kept_module.DEFAULT_MB * 1_000_000
