"""Benchmark of the Backpropagation lesson's "What it costs" chart. Prints one JSON object:

    python benchmarks/backprop_cost.py

For each preset (max P = 10⁵ and 10⁶), ``engine.gradient_cost.measure_costs`` with the page's
defaults, fresh each call (nothing cached): ``wall_s`` of each of ``REPEATS`` calls (targets
≤ 2 s for 10⁵, ≤ 3 s for 10⁶, the first computation the page makes), and from the last call
the P values, backprop and forward ms, finite-difference seconds (``fd_measured`` says which
were run rather than estimated as 2P forward passes) and the ratio at the largest P.
``fd_loop_over_model``: where the loop was run, its measured time / 2P·forward — how far the
estimate used above ``full_fd_params`` is from a real loop (1 would be exact).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.gradient_cost import measure_costs

PRESETS = {100_000: 2.0, 1_000_000: 3.0}  # max P → target seconds for the whole call
REPEATS = 3


def preset(max_params: int, target_s: float) -> dict[str, Any]:
    walls = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        costs = measure_costs(max_params)
        walls.append(round(time.perf_counter() - start, 3))
    run = costs.fd_measured
    model = 2 * costs.n_params[run] * costs.forward_s[run]
    return {
        "wall_s": walls,
        "target_s": target_s,
        "n_params": costs.n_params.tolist(),
        "backprop_ms": [round(t * 1e3, 4) for t in costs.backprop_s],
        "forward_ms": [round(t * 1e3, 4) for t in costs.forward_s],
        "fd_s": [float(f"{t:.4g}") for t in costs.fd_s],
        "fd_measured": costs.fd_measured.tolist(),
        "fd_loop_over_model": [round(float(r), 2) for r in costs.fd_s[run] / model],
        "ratio": round(costs.ratio),
        "batch": costs.batch,
    }


def report() -> dict[str, Any]:
    out: dict[str, Any] = {f"max_params_{m:.0e}": preset(m, t) for m, t in PRESETS.items()}
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


if __name__ == "__main__":
    print(json.dumps(report(), indent=2, ensure_ascii=False))
