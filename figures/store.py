"""A bounded store of results by key, weighed in bytes, least recently used dropped first.

``Store`` is what ``ui.kept`` keeps every cached result in, and what keeps the training
lesson's runs (``ui.training.trained.RUNS``) and the stage's encoded planes
(``figures.training_planes.SOURCES``): each bounded by bytes, not by a count of entries whose
weights differ a thousandfold. ``weigh(value)`` estimates a result's bytes: NumPy arrays by
``nbytes``, figures by their dict (``go.Figure.to_dict``, kept by
``figures.common.FinishedFigure``), containers by their items; a list of numbers by its
length, a long list of other things (120 frames, 240 images) by three of its items.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

import numpy as np
from plotly.basedatatypes import BaseFigure  # not go.Figure: each lookup of it imports

NUMBER_BYTES = 32  # a float in a list: the list's pointer and the float object
SAMPLED = 24  # a longer list of other things is weighed by three of its items

R = TypeVar("R")


def weigh(value: Any) -> int:
    """About how many bytes ``value`` holds (objects reached twice counted once)."""
    seen: set[int] = set()
    made: list[Any] = []  # dicts made here stay alive: an id is not reused during the walk
    stack = [value]
    total = 0
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (str, bytes, int, float, bool)) or item is None:
            total += sys.getsizeof(item)
        elif isinstance(item, np.ndarray):
            total += item.nbytes + 112
        elif isinstance(item, BaseFigure):
            made.append(item.to_dict())
            stack.append(made[-1])
        elif isinstance(item, Mapping):
            total += sys.getsizeof(item)
            for k, v in item.items():
                stack += (k, v)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += sys.getsizeof(item)
            if item and all(isinstance(x, (int, float)) for x in _ends(item)):
                total += NUMBER_BYTES * len(item)  # a list of numbers: by its length
            elif len(item) > SAMPLED:  # many alike (frames, images): three weighed, scaled
                seq = list(item)
                sample = (seq[0], seq[len(seq) // 2], seq[-1])
                total += sum(map(weigh, sample)) * len(seq) // 3
            else:
                stack.extend(item)
        elif hasattr(item, "to_plotly_json"):  # figures.common._Sealed frames
            stack.append(item.to_plotly_json())
        else:
            total += sys.getsizeof(item)
            stack.extend(vars(item).values() if hasattr(item, "__dict__") else ())
            stack.extend(getattr(item, s) for s in getattr(type(item), "__slots__", ())
                         if hasattr(item, s))  # fmt: skip
    return total


def _ends(items: Any) -> list[Any]:
    """The first and the last items of a sized container (a cheap test of what it holds)."""
    seq = items if isinstance(items, (list, tuple)) else list(items)
    return [seq[0], seq[-1]]


class Store:
    """Results by key, least recently used dropped first past ``budget`` bytes (the newest
    result is kept even when it alone weighs more). Thread-safe."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> Any:
        """The result kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any, size: int | None = None) -> None:
        """Keep ``value`` under ``key``, weighed by ``weigh`` unless ``size`` is given."""
        self._put(key, value, weigh(value) if size is None else size)

    def get_or_compute(self, key: Hashable, compute: Callable[[], R]) -> R:
        """The result kept under ``key``, else ``compute()``'s, kept (one computation at a
        time per key: a second caller waits for the first's result)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
            key_lock = self._computing.setdefault(key, threading.Lock())
        try:
            with key_lock:
                with self._lock:
                    if key in self._items:  # computed while this caller waited
                        self._items.move_to_end(key)
                        return self._items[key][0]
                value = compute()
                self._put(key, value, weigh(value))
                return value
        finally:
            with self._lock:
                if self._computing.get(key) is key_lock and not key_lock.locked():
                    del self._computing[key]

    def _put(self, key: Hashable, value: Any, size: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            self.size += size - (old[1] if old else 0)
            self._items[key] = (value, size)
            while self.size > self.budget and len(self._items) > 1:
                _, (_, dropped) = self._items.popitem(last=False)
                self.size -= dropped

    def clear(self, where: Callable[[Hashable], bool] | None = None) -> None:
        """Forget every result (or those whose key ``where`` accepts)."""
        with self._lock:
            for key in [k for k in self._items if where is None or where(k)]:
                self.size -= self._items.pop(key)[1]
