"""Classifier benchmark (issue 3). Prints one JSON object; run ``python benchmarks/classifier.py``.

A 2-16-16-1 ReLU network on 1000 two-moons training points, batch 32 (last partial batch
dropped: 31 steps per epoch), 100 epochs = 3,100 steps, SGD with momentum 0.9, 4 paired runs.

* engine_s: ``train`` end to end, including the 120 recorded frames (train/test loss and
  accuracy, an 80 × 80 decision-boundary grid, activations of 200 points). Target ≤ 1.5 s.
* engine_training_only_s: the same 4 runs through the runner with no frames evaluated.
* torch_s: torch (CPU, float64) training the same 4 networks one after another, same batches,
  no frames at all. Target: engine ≥ 10× faster. Reported against both engine figures.
* torch_with_frames_s: the same torch training plus the engine's frame work at the same 120
  steps (train/test loss and accuracy, grid predictions, hidden activations): the like-for-like
  end-to-end comparison, ``speedup_vs_torch_same_work``.

Each figure is the median of several repetitions after one warm-up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.timing import median_time
from engine.batching import BatchSchedule, make_batches
from engine.datasets import make_dataset
from engine.nn import MLPSpec, NetworkObjective, init_params
from engine.optimizers import OPTIMIZERS
from engine.runner import RunGroup, run
from engine.training import TrainRun, train

SPEC = MLPSpec(2, (16, 16), 1, "relu", "sigmoid_bce", "he")
LR, MOMENTUM, BATCH, EPOCHS, RUNS = 0.1, 0.9, 32, 100, 4


def grid_points(result: Any) -> np.ndarray:
    """The engine's decision-boundary grid as ``(G², 2)`` points (row = y, column = x)."""
    xs, ys = result.grid_axes
    return np.stack(np.meshgrid(xs, ys, indexing="xy"), axis=-1).reshape(-1, 2)


def main() -> None:
    data = make_dataset("moons", 1250, seed=0, test_fraction=0.2)  # 1000 train, 250 test
    runs = [TrainRun(OPTIMIZERS["sgd"](lr=LR, momentum=MOMENTUM), BATCH) for _ in range(RUNS)]

    def engine() -> Any:
        return train(SPEC, data, runs, epochs=EPOCHS, drop_last=True)

    result = engine()
    out: dict[str, Any] = {
        "steps": int(result.n_steps[0]),
        "runs": RUNS,
        "frames": int(result.frame_steps.shape[0]),
        "final_test_accuracy": [round(float(a), 4) for a in result.test_accuracy[-1]],
        "engine_s": round(median_time(engine, 5), 4),
    }

    n_train = len(data.X_train)
    objective = NetworkObjective(SPEC, data.X_train, data.y_train)
    start = init_params(SPEC, np.random.default_rng(0))[None]
    schedule = BatchSchedule(n_train, BATCH, drop_last=True, seed=0)
    T = int(result.n_steps[0])
    groups = [RunGroup(r.optimizer, start, schedule) for r in runs]
    out["engine_training_only_s"] = round(
        median_time(lambda: run(objective, groups, T, record_steps=[], full_loss=False), 5), 4
    )

    try:
        import torch
    except ImportError:
        out["torch_s"] = None
        out["torch_note"] = "torch not installed"
    else:
        batches = make_batches(schedule, T)
        X = torch.tensor(data.X_train, dtype=torch.float64)
        y = torch.tensor(data.y_train, dtype=torch.float64)
        index = [torch.tensor(batches.batch(t)) for t in range(T)]

        frame_steps = {int(t) for t in result.frame_steps[:, 0]}
        X_test = torch.tensor(data.X_test, dtype=torch.float64)
        y_test = torch.tensor(data.y_test, dtype=torch.float64)
        grid = torch.tensor(grid_points(result), dtype=torch.float64)
        X_act = X[: result.activation_points.shape[0]]
        loss_fn = torch.nn.BCEWithLogitsLoss()

        def torch_train(with_frames: bool) -> None:
            """The 4 networks one after another; with frames also the engine's frame work at
            the same steps: train/test loss and accuracy, the grid's predictions and the
            hidden activations (float64, no_grad)."""
            for _ in range(RUNS):
                model = torch.nn.Sequential(
                    torch.nn.Linear(2, 16), torch.nn.ReLU(),
                    torch.nn.Linear(16, 16), torch.nn.ReLU(),
                    torch.nn.Linear(16, 1),
                ).double()  # fmt: skip
                opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
                for t in range(T + 1):
                    if with_frames and t in frame_steps:
                        with torch.no_grad():
                            for inputs, labels in ((X, y), (X_test, y_test)):
                                logits = model(inputs)[:, 0]
                                loss_fn(logits, labels)
                                ((logits > 0).double() == labels).double().mean()
                            torch.sigmoid(model(grid))
                            model[:2](X_act), model[:4](X_act)
                    if t == T:
                        break
                    opt.zero_grad()
                    loss_fn(model(X[index[t]])[:, 0], y[index[t]]).backward()
                    opt.step()

        out["torch_s"] = round(median_time(lambda: torch_train(False), 2), 4)
        out["torch_with_frames_s"] = round(median_time(lambda: torch_train(True), 2), 4)
        out["torch_threads"] = torch.get_num_threads()
        out["speedup_vs_torch"] = round(out["torch_s"] / out["engine_s"], 1)
        out["speedup_vs_torch_training_only"] = round(
            out["torch_s"] / out["engine_training_only_s"], 1
        )
        out["speedup_vs_torch_same_work"] = round(out["torch_with_frames_s"] / out["engine_s"], 1)
    out["targets"] = {"engine_s": 1.5, "speedup_vs_torch": 10}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
