"""Computations of the "What is training?" lesson, cached by their full configuration.

``setup_from(values, seed)`` turns the page's values into a ``Setup`` (frozen, hashable: the
cache key): the data, the features, the network and one or two ``TrainRun``s that differ only
in what the A/B comparison names. ``training(setup)`` trains them side by side on the same
batches from the same initial weights (``engine.training.train``), and keeps each run on its
own (``ui.training.trained``): a change to one run retrains only that one. A comparison of
activations or of depth, which changes the network itself, is two calls with the same seeds
whose results are stacked as if they were one.

Results are kept with ``ui.kept.kept`` (shared by every session, never modified), so a
control that does not retrain — the frame, the x-axis, the thumbnails — reruns in
milliseconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from engine.batching import BatchSchedule, steps_per_epoch
from engine.datasets import DATASETS, Dataset, dataset_from_points, make_dataset
from engine.datasets import with_extra_training_points as with_points
from engine.features import FEATURES, available
from engine.nn import ACTIVATIONS, MLPSpec
from engine.training import StepDetail, TrainResult, TrainRun, replay_step, train, unit_maps
from i18n import N_, ProblemWithCounts, _, ngettext, number
from ui.kept import kept
from ui.runs import run_choice
from ui.training.params import (
    ACTIVATION_LABELS,
    OWN,
    REDUCTION_LABELS,
    REDUCTIONS,
    P,
    hidden_widths,
)
from ui.training.points import decode_points, points_arrays
from ui.training.trained import RUNS, RunJob, optimizer_key, split, stack
from ui.training.upload import Uploaded

GRID = 40  # boundary heatmap cells per side: 2 runs × 120 frames stay under 1 MB of JSON
FRAMES = 120
THUMB_GRID = 24
MAX_SECONDS = 1.5  # estimated server time one page may ask for (the budget: ≤ 2 s measured)
SECONDS_PER_STEP = 1.0e-4  # one optimizer step of one run (measured, see estimated_seconds)
SECONDS_PER_MULTIPLY_ADD = 2.5e-9
MAX_EPOCHS = 1000


@dataclass(frozen=True)
class DataChoice:
    """Where the examples come from (hashable; an upload is named by its content hash)."""

    key: str
    n: int
    noise: float
    label_noise: float
    test_fraction: float
    seed: int
    points: str = ""
    upload: str = ""  # sha256 of an uploaded file's content, "" for none


@dataclass(frozen=True)
class Setup:
    """Everything that decides the training runs (the cache key)."""

    data: DataChoice
    features: tuple[str, ...]
    spec: MLPSpec
    runs: tuple[TrainRun, ...]
    spec_b: MLPSpec | None  # run B's network when the comparison is about the activation
    epochs: float
    stop: float
    init_seed: int
    batch_seed: int
    compare: str

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(r.label for r in self.runs)


def setup_key(setup: Setup) -> str:
    """The cache key of a setup: what it trains and shows, and nothing else.

    An optimizer holds functions, which Streamlit cannot hash, so a run is named by its
    optimizer's key and effective hyper-parameters (``optimizer_key``). Values that change
    nothing — run B's settings while nothing is compared, the width of a layer the network
    does not have, Nesterov for Adam — leave the key as it is, so every cache hits and the
    charts stay byte-identical (the browser keeps them; the animation does not restart). The
    runs' labels are left out: they follow from the rest in the page's language, which every
    chart's key has already (``Style.lang``), so a setup trains once for every language.
    """
    runs = tuple((optimizer_key(r), r.batch_size, r.reduction, r.l2, r.l1) for r in setup.runs)
    return repr((setup.data, setup.features, setup.spec, runs, setup.spec_b, setup.epochs,
                 setup.stop, setup.init_seed, setup.batch_seed, setup.compare))  # fmt: skip


HASH: dict[str | type[Any], Callable[[Any], Any]] = {Setup: setup_key}

_UPLOADS: dict[str, Uploaded] = {}  # content hash → parsed file (bounded below)


def remember_upload(uploaded: Uploaded, content: bytes) -> str:
    """Keep a parsed upload under its content hash (at most 8 kept); return the hash."""
    digest = hashlib.sha256(content).hexdigest()
    if digest not in _UPLOADS and len(_UPLOADS) >= 8:
        _UPLOADS.pop(next(iter(_UPLOADS)))
    _UPLOADS[digest] = uploaded
    return digest


MIN_PER_CLASS = 2  # "Only my points" trains once two classes have this many points each


def own_points_missing(values: Mapping[str, Any]) -> str | None:
    """With "Only my points": what is still missing before there is anything to train on
    (None when two classes have at least ``MIN_PER_CLASS`` points each, or another dataset)."""
    if str(values[f"{P}data"]) != OWN:
        return None
    points = decode_points(str(values[f"{P}pts"]))
    counts = [sum(p.label == c for p in points) for c in range(3)]
    if sum(n >= MIN_PER_CLASS for n in counts) >= 2:
        return None
    have = ", ".join(_("{n} of class {label}").format(n=n, label=c)
                     for c, n in enumerate(counts) if n)  # fmt: skip
    if not have:
        return _("Click the plane to place your own points: at least {least} of each of two "
                 "classes (choose the class with *A click on the plane*). So far: none "
                 "yet.").format(least=MIN_PER_CLASS)  # fmt: skip
    return _("Click the plane to place your own points: at least {least} of each of two classes "
             "(choose the class with *A click on the plane*). So far: {have}.").format(
        least=MIN_PER_CLASS, have=have)  # fmt: skip


def task_of(values: Mapping[str, Any]) -> str:
    """ "classification" or "regression": what the chosen dataset asks for."""
    key = str(values[f"{P}data"])
    return "classification" if key == OWN else DATASETS[key].task


def n_train(values: Mapping[str, Any]) -> int:
    """How many training examples the values give (what a batch size may be at most)."""
    key = str(values[f"{P}data"])
    hand = len(decode_points(str(values[f"{P}pts"])))
    if key == OWN:
        return max(hand, 1)
    n = int(values[f"{P}n"])
    n_test = min(n - 1, round(int(values[f"{P}test"]) / 100 * n))
    return n - n_test + hand


def _run(values: Mapping[str, Any], i: int, batch: int, reduction: str, l2: float,
         l1: float, label: str) -> TrainRun:  # fmt: skip
    choice = run_choice(P, i, values)
    return TrainRun(choice.build(), batch, reduction, l2, l1=l1, label=label)


def setup_from(values: Mapping[str, Any], seed: int, upload: str = "") -> Setup:
    """The runs the values describe. Raises ValueError (the engine's message) if invalid."""
    v = values
    data = DataChoice(
        key=str(v[f"{P}data"]),
        n=int(v[f"{P}n"]),
        noise=float(v[f"{P}noise"]),
        label_noise=float(v[f"{P}label_noise"]) if task_of(v) == "classification" else 0.0,
        test_fraction=int(v[f"{P}test"]) / 100,
        seed=int(v[f"{P}data_seed"]),
        points=str(v[f"{P}pts"]),
        upload=upload,
    )
    features = tuple(k for k in FEATURES if v[f"{P}f_{k}"])
    output = str(v[f"{P}out"])
    n_classes = n_classes_of(v, upload)
    if upload:  # the file decides the task, whatever the dataset menu says
        features, output = _fit_upload(_UPLOADS[upload], features, output)
    spec = MLPSpec(
        n_inputs=len(features),
        hidden=hidden_widths(v),
        n_outputs=n_classes if output == "softmax_ce" else 1,
        activation=str(v[f"{P}act"]),
        output=output,
        init=str(v[f"{P}init"]),
    )
    batch, red = int(v[f"{P}batch"]), str(v[f"{P}red"])
    l2, l1 = float(v[f"{P}l2"]), float(v[f"{P}l1"])
    compare = str(v[f"{P}compare"])
    run_a = _run(v, 0, batch, red, l2, l1, "A")
    spec_b = None
    if compare == "none":
        runs: tuple[TrainRun, ...] = (run_a,)
    elif compare == "batch":
        runs = (run_a, replace(run_a, batch_size=int(v[f"{P}b_batch"]), label="B"))
    elif compare == "reduction":
        runs = (run_a, replace(run_a, reduction=str(v[f"{P}b_red"]), label="B"))
    elif compare == "optimizer":
        runs = (run_a, _run(v, 1, batch, red, l2, l1, "B"))
    elif compare == "l2":
        runs = (run_a, replace(run_a, l2=float(v[f"{P}b_l2"]), label="B"))
    elif compare == "activation":  # the same runs on a network with another activation
        runs = (run_a, replace(run_a, label="B"))
        spec_b = replace(spec, activation=str(v[f"{P}b_act"]))
    else:  # layers: the same runs on a network with more or fewer hidden layers
        runs = (run_a, replace(run_a, label="B"))
        spec_b = replace(spec, hidden=hidden_widths(v, int(v[f"{P}b_layers"])))
    runs = tuple(replace(r, label=name) for r, name in
                 zip(runs, run_labels(v, compare), strict=False))  # fmt: skip
    return Setup(data, features, spec, runs, spec_b, float(v[f"{P}epochs"]),
                 float(v[f"{P}stop"]), int(v[f"{P}init_seed"]), int(seed), compare)  # fmt: skip


def run_labels(values: Mapping[str, Any], compare: str) -> tuple[str, str]:
    """Legend names of runs A and B that say what differs, e.g. "A: mean", "B: sum" (in the
    page's language)."""
    v = values
    if compare == "batch":
        a, b = f"B = {v[f'{P}batch']}", f"B = {v[f'{P}b_batch']}"
    elif compare == "reduction":
        a, b = (_(REDUCTION_LABELS[REDUCTIONS.index(str(v[k]))]) for k in (f"{P}red", f"{P}b_red"))
    elif compare == "optimizer":
        a, b = run_choice(P, 0, v).label, run_choice(P, 1, v).label
    elif compare == "l2":
        a, b = (f"λ₂ = {number(float(v[k]), 'g')}" for k in (f"{P}l2", f"{P}b_l2"))
    elif compare == "activation":
        a, b = (_(ACTIVATION_LABELS[ACTIVATIONS.index(v[k])]) for k in (f"{P}act", f"{P}b_act"))
    elif compare == "layers":
        a, b = (_layers_text(int(n)) for n in (v[f"{P}layers"], v[f"{P}b_layers"]))
    else:
        return ("A", "B")
    return (f"A: {a}", f"B: {b}")


def _layers_text(n: int) -> str:
    if n == 0:
        return _("no hidden layer")
    return ngettext("{n} hidden layer", "{n} hidden layers", n).format(n=n)


def _fit_upload(up: Uploaded, features: tuple[str, ...], output: str) -> tuple[
    tuple[str, ...], str
]:  # fmt: skip
    """The features and output an uploaded file allows (ValueError if it cannot be drawn)."""
    dims = up.X.shape[1]
    if up.n_classes == 1 and dims != 1:
        raise ProblemWithCounts(N_("a regression file needs two columns, x and target; this one "
                                 "has {dims} inputs"), dims=dims)  # fmt: skip
    usable = available(dims)
    features = tuple(k for k in features if k in usable) or usable[:dims]
    if up.n_classes == 1:
        return features, "mse"
    if up.n_classes > 2:
        return features, "softmax_ce"
    return features, "sigmoid_bce" if output == "mse" else output


def run_steps(values: Mapping[str, Any]) -> int:
    """Optimizer steps run A takes for these values (what the step input spans)."""
    per_epoch = steps_per_epoch(BatchSchedule(n_train(values), min(int(values[f"{P}batch"]),
                                                                  n_train(values))))  # fmt: skip
    return max(1, round(per_epoch * float(values[f"{P}epochs"])))


def n_classes_of(values: Mapping[str, Any], upload: str = "") -> int:
    """Classes in the data the values choose (1 for regression)."""
    if upload:
        return _UPLOADS[upload].n_classes
    key = str(values[f"{P}data"])
    points = decode_points(str(values[f"{P}pts"]))
    base = 2 if key == OWN else DATASETS[key].n_classes
    return max([base, *(p.label + 1 for p in points)]) if task_of(values) != "regression" else 1


def dataset(choice: DataChoice) -> Dataset:
    """The examples: generated, uploaded or the learner's own, plus the points added by hand
    (in the plane's standardised coordinates, training set only)."""
    points = decode_points(choice.points)
    if choice.upload:
        up = _UPLOADS[choice.upload]
        task = "regression" if up.n_classes == 1 else "classification"
        base = dataset_from_points(
            up.X, up.y, task=task, n_classes=up.n_classes if task != "regression" else None,
            test_fraction=choice.test_fraction, seed=choice.seed)  # fmt: skip
    elif choice.key == OWN:
        X, y = points_arrays(points)
        return dataset_from_points(X, y, test_fraction=0.0, seed=choice.seed,
                                   standardize=False, key=OWN)  # fmt: skip
    else:
        base = make_dataset(choice.key, choice.n, choice.noise, choice.seed,
                            label_noise=choice.label_noise,
                            test_fraction=choice.test_fraction)  # fmt: skip
    if not points:
        return base
    X, y = points_arrays(points)
    if base.n_inputs == 1:  # a regression line: a point is (x, target)
        X, y = X[:, :1], X[:, 1]
    return with_points(base, X, y)


def work(setup: Setup) -> int:
    """Multiply-adds the setup asks for: training (≈ 3P per example per step) and the frames'
    evaluation on every training and test example and the grid (≈ P per point)."""
    data = dataset(setup.data)
    points = len(data.X_train) + len(data.X_test) + GRID * GRID
    P = max(setup.spec.n_params, (setup.spec_b or setup.spec).n_params)
    training = sum(3 * _steps(setup, r) * r.batch_size * P for r in setup.runs)
    return training + frame_count(setup) * len(setup.runs) * points * P


def run_step_count(setup: Setup) -> int:
    """Optimizer steps of all runs together (each costs a fixed overhead, however small)."""
    return sum(_steps(setup, r) for r in setup.runs)


def estimated_seconds(setup: Setup) -> float:
    """Server time the setup will take, from the two costs measured on the 2-core machine
    (benchmarks/app.py, ``training_worst``): ≈ 0.1 ms per optimizer step of one run, and
    ≈ 2.5 ns per multiply-add of small matrix products."""
    return SECONDS_PER_STEP * run_step_count(setup) + SECONDS_PER_MULTIPLY_ADD * work(setup)


def max_epochs(setup: Setup) -> int:
    """The most epochs that fit the page's budget with the other settings unchanged."""
    low, high = 0, MAX_EPOCHS  # the estimate grows with the epochs: bisect
    while low < high:
        mid = (low + high + 1) // 2
        if estimated_seconds(replace(setup, epochs=float(mid))) <= MAX_SECONDS:
            low = mid
        else:
            high = mid - 1
    return low


def _steps(setup: Setup, run: TrainRun) -> int:
    n = len(dataset(setup.data).X_train)
    per_epoch = steps_per_epoch(BatchSchedule(n, min(run.batch_size, n)))
    return max(1, round(per_epoch * setup.epochs))


def check_budget(setup: Setup) -> None:
    """ValueError, saying what to reduce, for a request beyond what one page may ask."""
    seconds = estimated_seconds(setup)
    if seconds > MAX_SECONDS:
        fits = max_epochs(setup)
        values = {"seconds": f"{seconds:.0f}", "steps": run_step_count(setup),
                  "limit": MAX_SECONDS, "fits": fits}  # fmt: skip
        if fits < 1:
            raise ProblemWithCounts(
                N_("this would take about {seconds} s of the shared server's time ({steps} "
                   "optimizer steps), and one page may ask for {limit} s. Even one epoch is too "
                   "much with these settings: use fewer epochs, a larger batch, fewer examples "
                   "or a smaller network."), **values)  # fmt: skip
        raise ProblemWithCounts(lambda: ngettext(
            "this would take about {seconds} s of the shared server's time ({steps} optimizer "
            "steps), and one page may ask for {limit} s. At most {fits} epoch fits with these "
            "settings: use fewer epochs, a larger batch, fewer examples or a smaller network.",
            "this would take about {seconds} s of the shared server's time ({steps} optimizer "
            "steps), and one page may ask for {limit} s. At most {fits} epochs fit with these "
            "settings: use fewer epochs, a larger batch, fewer examples or a smaller network.",
            fits), **values)  # fmt: skip


def frame_count(setup: Setup) -> int:
    """Frames every run records: ``FRAMES``, fewer if the shortest run has fewer steps (the
    runs' frames are shown together, so they are as many)."""
    return min(FRAMES, 1 + min(_steps(setup, r) for r in setup.runs))


def _train(setup: Setup, spec: MLPSpec, runs: tuple[TrainRun, ...]) -> TrainResult:
    return train(spec, dataset(setup.data), runs, features=setup.features,
                 epochs=setup.epochs, batch_seed=setup.batch_seed, init_seed=setup.init_seed,
                 n_frames=frame_count(setup), grid_size=GRID, activation_points=0)  # fmt: skip


def run_job(setup: Setup, k: int) -> RunJob:
    """What decides run k of the setup (its key in ``RUNS``)."""
    run = setup.runs[k]
    return RunJob(setup.data, setup.features, network_of(setup, k), optimizer_key(run),
                  run.batch_size, run.reduction, run.l2, run.l1, setup.epochs,
                  setup.init_seed, setup.batch_seed, frame_count(setup))  # fmt: skip


@kept(hash_funcs=HASH)
def training(setup: Setup) -> TrainResult:
    """Train the setup's runs (shared by every session with the same setup: do not modify).

    Each run is kept on its own (``ui.training.trained``): a run already trained for another
    setup — the same run beside another B, or with another stopping loss — is reused, the
    others are trained; two new runs of one network and batch size in one engine call."""
    jobs = [run_job(setup, k) for k in range(len(setup.runs))]
    stored = [RUNS.get(job) for job in jobs]
    together = setup.spec_b is None and len({r.batch_size for r in setup.runs}) == 1
    if len(jobs) > 1 and together and all(p is None for p in stored):
        parts = split(_train(setup, setup.spec, setup.runs))
    else:
        parts = [p if p is not None else _train(setup, network_of(setup, k), setup.runs[k : k + 1])
                 for k, p in enumerate(stored)]  # fmt: skip
    for job, part, old in zip(jobs, parts, stored, strict=True):
        if old is None:
            RUNS.put(job, part)
    return stopped(stack(parts), setup.stop)


def stopped(result: TrainResult, below: float) -> TrainResult:
    """Each run stopped at the first frame whose training loss is below ``below`` (0: never):
    from that frame on it keeps its parameters and boundary, and its curves end there (runs
    are independent, so this is exactly what stopping at that check gives)."""
    fields = result._asdict()
    for k, f in enumerate(stop_frames(result, below)):
        if f is None:
            continue
        for name in ("params", "grid_output", "weight_norm", "train_predicted", "test_predicted"):
            arr = fields[name] = np.array(fields[name])
            arr[f + 1 :, k] = arr[f, k]
        for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            arr = fields[name] = np.array(fields[name])
            arr[f + 1 :, k] = np.nan
    return TrainResult(**fields)


def stop_frames(result: TrainResult, below: float) -> list[int | None]:
    """Per run, the frame at which the training loss first fell below ``below`` (``None``:
    never, or only at the last frame, or ``below`` is 0)."""
    F, K = result.train_loss.shape
    out: list[int | None] = []
    for k in range(K):
        hit = np.flatnonzero(result.train_loss[:, k] < below) if below > 0 else np.empty(0)
        out.append(int(hit[0]) if len(hit) and hit[0] < F - 1 else None)
    return out


def network_of(setup: Setup, k: int) -> MLPSpec:
    """Run k's network (run B's differs when the comparison is about the activation)."""
    return setup.spec_b if k == 1 and setup.spec_b is not None else setup.spec


@kept(hash_funcs=HASH)
def neuron_maps(setup: Setup, k: int, frame: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Every unit's output over the plane at ``frame`` of run k, and the weight matrices."""
    spec, result = network_of(setup, k), training(setup)
    params = result.params[frame, k, : spec.n_params]
    maps = unit_maps(spec, params, setup.features, _thumb_axes(result.grid_axes))
    weights = [params[w].reshape(n_in, n_out) for w, _b, n_in, n_out in spec.layers]
    return maps, weights


def _thumb_axes(axes: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    return tuple(np.linspace(a[0], a[-1], THUMB_GRID) for a in axes)


@kept(hash_funcs=HASH)
def step_detail(setup: Setup, k: int, step: int) -> StepDetail:
    """One iteration of run k at ``step``, recomputed from its start (deterministic)."""
    return replay_step(network_of(setup, k), dataset(setup.data), setup.runs[k], step,
                       features=setup.features, epochs=setup.epochs,
                       batch_seed=setup.batch_seed, init_seed=setup.init_seed)  # fmt: skip
