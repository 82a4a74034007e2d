"""Benchmarks of the "What is training?" page (issue 11). Prints one JSON object:

    python benchmarks/training_page.py           (also part of benchmarks/app.py)

* ``cold``: the default page's computations with every cache emptied — the two paired runs,
  the stage figure and its JSON (what Streamlit sends), the neuron thumbnails and the step
  panel — CPU and wall seconds each and in total. Target ≤ 0.5 s. ``stage_json_kb``: the
  stage figure's JSON at the defaults. Target ≤ 1 MB.
* ``worst``: the heaviest settings the page admits (its budget, ``ui.training.compute``
  ``estimated_seconds`` ≤ ``MAX_SECONDS``, at the most epochs that fit): N = 2000, six layers
  of 16, batch 1 / 32 / all, every comparison. Per case the estimate and the measured CPU and
  wall seconds of a first load (runs + stage figure + JSON). Target ≤ 2 s. And one case
  beyond the budget, to show it is refused with a message instead of run.
* ``retrain_ms``: per preset, where a retrain of both runs goes (what most of the page's controls
  cost; issue 10's "median rerun ≤ 80 ms" is measured on them): the training steps, the frame
  evaluation (``engine.training._evaluate``, timed by wrapping it), the stage figure with its
  plane images, the same figure again with its images kept (what the figure costs without
  encoding), and the JSON Streamlit sends. Fastest of 3, in-process (a real server adds its
  protocol work, ~40–90 ms on this page: ``benchmarks/load.py --lessons training``).
* ``apptest_rerun_ms``: median AppTest rerun after each control that does not retrain (the
  x-axis, discretize, the thumbnails' moment, the inspected step). AppTest skips Streamlit's
  serialisation and network work; ``benchmarks/load.py --lessons training --controls
  tr_x,tr_disc,tr_progress,tr_step`` measures the same against a real server.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plotly.io as pio
import streamlit as st

from figures.style import Style
from figures.training_planes import SOURCES
from ui.kept import STORE
from ui.training import charts, compute
from ui.training.params import LESSON, P
from ui.training.trained import RUNS

HEAVY = {"n": 2000, "layers": 6, **{f"w{i}": 16 for i in range(1, 7)}}


def _clock(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - cpu, time.perf_counter() - wall


def _values(**overrides: Any) -> dict[str, Any]:
    values = LESSON.defaults() | {f"{P}{k}": v for k, v in overrides.items()}
    LESSON.constrain(values)
    return values


def first_load(setup: compute.Setup) -> dict[str, float]:
    """CPU and wall seconds of everything a first load of the page computes for ``setup``."""
    st.cache_resource.clear()
    STORE.clear()  # every page's results (ui/kept.py)
    RUNS.clear()  # the runs kept one by one (ui/training/trained.py)
    SOURCES.clear()  # the stage's encoded planes
    style = Style().with_height(470)
    parts: dict[str, float] = {}
    total_cpu = total_wall = 0.0
    steps = [
        ("train", lambda: compute.training(setup)),
        ("stage_figure", lambda: charts.stage_chart(setup, "steps", False, style)),
        (
            "stage_json",
            lambda: pio.to_json(charts.stage_chart(setup, "steps", False, style), validate=False),
        ),
        ("thumbnails", lambda: charts.network_chart(setup, 0, 100, Style())),
        ("step_panel", lambda: charts.step_chart(setup, 0, 0, Style())),
    ]
    for name, fn in steps:
        _, cpu, wall = _clock(fn)
        parts[f"{name}_cpu_s"] = round(cpu, 3)
        total_cpu += cpu
        total_wall += wall
    parts["cpu_s"], parts["wall_s"] = round(total_cpu, 3), round(total_wall, 3)
    return parts


def cold() -> dict[str, Any]:
    setup = compute.setup_from(_values(), seed=0)
    runs = [first_load(setup) for _ in range(3)]
    best = min(runs, key=lambda r: r["cpu_s"])
    figure = charts.stage_chart(setup, "steps", False, Style().with_height(470))
    return {
        **best,
        "stage_json_kb": round(len(pio.to_json(figure, validate=False)) / 1000, 1),
        "frames": len(figure.frames),
        "target_s": 0.5,
        "target_kb": 1000,
    }


def worst() -> dict[str, Any]:
    cases = {
        "heavy, batch 1": _values(**HEAVY, batch=1),
        "heavy, batch 32": _values(**HEAVY, batch=32),
        "heavy, full batch": _values(**HEAVY, batch=1600),
        "heavy, batch 1 vs 1600": _values(**HEAVY, batch=1, compare="batch", b_batch=1600),
        "heavy, relu vs tanh": _values(**HEAVY, compare="activation"),
        "heavy, 6 vs 0 layers": _values(**HEAVY, compare="layers", b_layers=0),
        "spiral3, softmax, all features": _values(
            data="spiral3",
            n=2000,
            **{f"f_{k}": True for k in ("x1sq", "x2sq", "x1x2", "sin1", "sin2")},
        ),
        "sine regression": _values(**HEAVY, data="sine", f_x2=False, out="mse"),
    }
    out: dict[str, Any] = {}
    for name, values in cases.items():
        setup = compute.setup_from(values, seed=0)
        setup = replace(setup, epochs=float(max(1, compute.max_epochs(setup))))
        load = first_load(setup)
        out[name] = {
            "epochs": setup.epochs,
            "estimated_s": round(compute.estimated_seconds(setup), 2),
            "cpu_s": load["cpu_s"],
            "wall_s": load["wall_s"],
        }
    beyond = compute.setup_from(_values(**HEAVY, batch=1, epochs=1000), seed=0)
    try:
        compute.check_budget(beyond)
        out["beyond the budget"] = "NOT refused"
    except ValueError as err:
        out["beyond the budget"] = f"refused: {err}"
    out["worst_cpu_s"] = max(v["cpu_s"] for v in out.values() if isinstance(v, dict))
    out["target_s"] = 2.0
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


def retrain() -> dict[str, Any]:
    """Per preset, milliseconds of a retrain of both runs, split as the module docstring says."""
    import engine.training as engine_training
    from ui.training.params import PRESETS

    evaluate = engine_training._evaluate
    spent = [0.0]

    def timed_evaluate(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return evaluate(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    style = Style().with_height(470)
    out: dict[str, Any] = {}
    engine_training._evaluate = timed_evaluate  # type: ignore[assignment]
    try:
        for name in PRESETS:
            values = LESSON.preset_values(name)
            LESSON.constrain(values)
            setup = compute.setup_from(values, seed=0)
            x_axis = values[f"{P}x"]
            best: dict[str, float] | None = None
            for _ in range(3):
                st.cache_resource.clear()
                for store in (STORE, RUNS, SOURCES):
                    store.clear()
                spent[0] = 0.0
                _, _, train_s = _clock(lambda: compute.training(setup))  # noqa: B023
                evaluation_s = spent[0]
                figure, _, stage_s = _clock(
                    lambda: charts.stage_chart(setup, x_axis, False, style)  # noqa: B023
                )
                STORE.clear()  # the figure again, its plane images kept (SOURCES)
                _, _, figure_s = _clock(
                    lambda: charts.stage_chart(setup, x_axis, False, style)  # noqa: B023
                )
                _, _, json_s = _clock(lambda: pio.to_json(figure, validate=False))  # noqa: B023
                parts = {
                    "steps": train_s - evaluation_s,
                    "evaluation": evaluation_s,
                    "stage_images": stage_s - figure_s,
                    "stage_figure": figure_s,
                    "json": json_s,
                }
                parts["total"] = sum(parts.values())
                if best is None or parts["total"] < best["total"]:
                    best = parts
            assert best is not None
            out[name] = {k: round(v * 1000, 1) for k, v in best.items()}
    finally:
        engine_training._evaluate = evaluate  # type: ignore[assignment]
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


def apptest_reruns() -> dict[str, float]:
    from tests.apptest import open_link

    at = open_link("training")
    changes: dict[str, Callable[[int], Any]] = {
        "x_axis": lambda i: at.segmented_control(key=f"{P}x").set_value(
            ("epochs", "examples", "steps")[i % 3]
        ),
        "discretize": lambda i: at.toggle(key=f"{P}disc").set_value(i % 2 == 0),
        "progress": lambda i: at.slider(key=f"{P}progress").set_value(5 + 9 * i),
        "step": lambda i: at.number_input(key=f"{P}step").set_value(3 + 41 * i),
        "identical": lambda i: None,
    }
    out = {}
    for name, change in changes.items():
        times = []
        for i in range(8):
            change(i)
            start = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - start) * 1000)
            assert not at.exception, at.exception
        out[name] = round(statistics.median(times), 1)
    return out


def report() -> dict[str, Any]:
    return {
        "cold": cold(),
        "worst": worst(),
        "retrain_ms": retrain(),
        "apptest_rerun_ms": apptest_reruns(),
    }


if __name__ == "__main__":
    print(json.dumps(report(), indent=2, ensure_ascii=False))
