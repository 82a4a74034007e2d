"""Runs kept one by one (ui/training/trained.py) are exactly the runs trained together.

A change to one run of a comparison retrains only that run, so a run trained alone, a run
trained in one engine call beside another and split off, and a run taken from the store for
another setup must be the same, number for number; and the store must not hand back a run for
a job that differs in anything that decides it.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.training import TrainResult, train
from figures.store import Store, weigh
from i18n import language
from ui.training import compute
from ui.training.params import LESSON, P
from ui.training.points import Point, encode_points
from ui.training.trained import RUNS, split, stack


def _setup(**overrides):
    values = LESSON.defaults() | {f"{P}epochs": 4} | {f"{P}{k}": v for k, v in overrides.items()}
    LESSON.constrain(values)
    return compute.setup_from(values, 0)


def _same(a: TrainResult, b: TrainResult) -> None:
    for name in TrainResult._fields:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, (list, tuple)):
            assert len(x) == len(y), name
            for u, v in zip(x, y, strict=True):
                np.testing.assert_array_equal(u, v, err_msg=name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)  # NaN equals NaN here


def test_two_runs_trained_together_and_split_are_each_run_trained_alone():
    setup = _setup(compare="optimizer")
    together = split(compute._train(setup, setup.spec, setup.runs))
    for k in range(2):
        _same(together[k], compute._train(setup, setup.spec, setup.runs[k : k + 1]))
    _same(stack(together), compute._train(setup, setup.spec, setup.runs))


def test_runs_of_different_lengths_stack_as_one_engine_call_gives_them():
    setup = _setup(compare="batch", batch=32, b_batch=1)
    alone = [compute._train(setup, setup.spec, setup.runs[k : k + 1]) for k in range(2)]
    assert alone[0].batch_loss.shape[0] < alone[1].batch_loss.shape[0]  # 40 vs 1280 steps
    _same(stack(alone), compute._train(setup, setup.spec, setup.runs))


def test_a_change_to_run_b_reuses_run_a_and_trains_b_as_if_anew(monkeypatch):
    RUNS.clear()
    first = compute.training(_setup(compare="optimizer"))
    trained: list[tuple[str, ...]] = []  # the labels of the runs of every engine call

    def spy(spec, data, runs, **kwargs):
        trained.append(tuple(r.label for r in runs))
        return train(spec, data, runs, **kwargs)

    monkeypatch.setattr(compute, "train", spy)
    second_setup = _setup(compare="optimizer", **{"1_lr": 0.05})
    second = compute.training(second_setup)
    assert [len(labels) for labels in trained] == [1]  # B alone: A came from the store
    assert trained[0][0].startswith("B")
    _same(split(first)[0], split(second)[0])
    RUNS.clear()
    _same(split(second)[1], compute._train(second_setup, second_setup.spec,
                                           second_setup.runs[1:]))  # fmt: skip
    trained.clear()
    compute.training(_setup(compare="optimizer", stop=0.3))  # only where to stop changed
    assert [len(labels) for labels in trained] == [2]  # both new (the store was cleared) ...
    compute.training(_setup(compare="optimizer", stop=0.2))
    assert len(trained) == 1  # ... then kept: the stopping loss is applied to the kept runs


def test_the_store_keys_a_run_by_everything_that_decides_it():
    base = _setup(compare="optimizer")
    job = compute.run_job(base, 0)
    # the same run: another B, another label, another stopping loss, Nesterov that Adam ignores
    for same in (_setup(compare="optimizer", **{"1_lr": 0.3}), _setup(compare="l2"),
                 _setup(compare="optimizer", stop=0.1)):  # fmt: skip
        assert compute.run_job(same, 0) == job
    adam = _setup(compare="optimizer", **{"0_opt": "adam", "0_nest": False})
    adam_nesterov = _setup(compare="optimizer", **{"0_opt": "adam", "0_nest": True})
    assert compute.run_job(adam, 0) == compute.run_job(adam_nesterov, 0)
    # another run: any setting that changes A's training
    for other in ({"0_lr": 0.3}, {"0_mom": 0.5}, {"batch": 16}, {"red": "sum"}, {"l2": 0.01},
                  {"l1": 0.01}, {"epochs": 5}, {"init_seed": 3}, {"data_seed": 2}, {"n": 300},
                  {"act": "tanh"}, {"w1": 4}, {"f_x1sq": True}, {"noise": 0.3}):  # fmt: skip
        assert compute.run_job(_setup(compare="optimizer", **other), 0) != job, other
    assert compute.run_job(_setup(compare="optimizer"), 0) != compute.run_job(base, 1)


def test_the_setup_key_ignores_values_that_change_nothing_and_keeps_the_rest():
    key = compute.setup_key(_setup(compare="optimizer"))
    # run B's settings for another comparison, a layer the network lacks, Nesterov for Adam
    for unused in ({"b_red": "mean"}, {"b_batch": 7}, {"b_l2": 0.5}, {"b_act": "sigmoid"},
                   {"b_layers": 4}, {"w5": 3}, {"1_nest": True}, {"x": "epochs"},
                   {"disc": True}, {"progress": 30}, {"step": 5}, {"thumbs": False}):  # fmt: skip
        assert compute.setup_key(_setup(compare="optimizer", **unused)) == key, unused
    for used in ({"1_lr": 0.3}, {"0_mom": 0.5}, {"batch": 16}, {"stop": 0.2}, {"w1": 4},
                 {"layers": 3}, {"compare": "none"}, {"data_seed": 2}, {"init_seed": 1},
                 {"pts": encode_points([Point(0.1, 0.2, 1)])}, {"f_x1sq": True}):  # fmt: skip
        assert compute.setup_key(_setup(**({"compare": "optimizer"} | used))) != key, used
    with language("pl"):  # the labels are in Polish: the same runs, trained once
        polish = _setup(compare="optimizer")
    assert polish.labels != _setup(compare="optimizer").labels
    assert compute.setup_key(polish) == key
    assert compute.setup_key(compute.setup_from(LESSON.defaults() | {f"{P}epochs": 4}, 1)) != (
        compute.setup_key(compute.setup_from(LESSON.defaults() | {f"{P}epochs": 4}, 0))
    )  # seed


def test_the_store_is_bounded_and_drops_the_least_recently_used():
    a, b, c = (_setup(**{"0_lr": lr}) for lr in (0.1, 0.2, 0.3))
    jobs = [compute.run_job(s, 0) for s in (a, b, c)]
    results = [compute._train(s, s.spec, s.runs[:1]) for s in (a, b, c)]
    store = Store(budget=int(2.5 * weigh(results[0])))  # room for two runs
    store.put(jobs[0], results[0])
    store.put(jobs[1], results[1])
    assert store.get(jobs[0]) is results[0]  # now the most recent
    store.put(jobs[2], results[2])
    assert store.get(jobs[1]) is None and store.get(jobs[0]) is results[0]
    assert store.get(jobs[2]) is results[2]
    assert len(store) == 2 and store.size <= store.budget


def test_stacking_runs_with_different_frames_is_refused():
    a = _setup(epochs=2)
    b = _setup(epochs=4, batch=400)
    with pytest.raises(ValueError, match="frame counts"):
        stack([compute._train(a, a.spec, a.runs[:1]), compute._train(b, b.spec, b.runs[:1])])
