"""Results kept across reruns and sessions, within one budget of bytes per process.

``st.cache_resource`` bounds each function's cache by its number of entries. A server process
holds about thirty such caches whose entries weigh from a few kilobytes (a small chart) to
a few megabytes (120 frames of a training stage), so a count bounds nothing useful: a class
server's workers grew to 600 MB each as their caches filled. ``@kept`` keeps every
function's results in one store, least recently used dropped first, so the whole process
keeps at most ``BUDGET`` bytes of results (``DESCENT_LAB_CACHE_MB``, default 120) — the
memory a server needs is its processes' base size plus this budget, whatever students ask.

Semantics are ``st.cache_resource``'s: one result per distinct arguments, shared by every
session and never copied (so a figure object is the same object at every rerun, and the
browser receives byte-identical charts); a call with arguments being computed by another
session waits for that result instead of computing it again (a class on one link computes
it once); an exception is not kept. Arguments are keyed by value: hashable ones as they
are, types in ``hash_funcs`` by what their function returns, others by their pickle.

Results are weighed by ``figures.store.weigh`` (NumPy arrays by ``nbytes``, figures by their
dict, containers by their items).
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Callable, Hashable, Mapping
from typing import Any, ParamSpec, TypeVar

from figures.store import Store

ENV = "DESCENT_LAB_CACHE_MB"
DEFAULT_MB = 120

P = ParamSpec("P")
R = TypeVar("R")


def budget_from_environment() -> int:
    """``DESCENT_LAB_CACHE_MB`` in bytes (at least 8 MB; a bad value: the default)."""
    try:
        mb = float(os.environ.get(ENV, DEFAULT_MB))
    except ValueError:
        mb = DEFAULT_MB
    return int(max(8.0, mb if mb == mb else DEFAULT_MB) * 1_000_000)


STORE = Store(budget_from_environment())


def _argument_key(value: Any, hash_funcs: Mapping[Any, Callable[[Any], Any]]) -> Hashable:
    for kind, key_of in hash_funcs.items():
        if isinstance(kind, type) and isinstance(value, kind):
            return (kind.__qualname__, key_of(value))
    try:
        hash(value)
    except TypeError:
        return ("pickle", pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value


def kept(
    hash_funcs: Mapping[Any, Callable[[Any], Any]] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Keep the decorated function's results in ``STORE`` (see the module's docstring).
    ``fn.clear()`` forgets that function's results."""
    funcs = dict(hash_funcs or {})

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            named = tuple(sorted((k, _argument_key(v, funcs)) for k, v in kwargs.items()))
            key = (name, tuple(_argument_key(a, funcs) for a in args), named)
            return STORE.get_or_compute(key, lambda: fn(*args, **kwargs))

        def of_this(key: Hashable) -> bool:
            return isinstance(key, tuple) and key[0] == name

        wrapper.clear = lambda: STORE.clear(of_this)  # type: ignore[attr-defined]
        return wrapper

    return decorate
