"""Batch schedules: seeded, prefix-stable, and each mode draws what it says."""

import numpy as np
import pytest

from engine.batching import BatchSchedule, make_batches, steps_per_epoch


def _epoch_batches(batches, epoch):
    return [batches.batch(t) for t in range(len(batches.epoch)) if batches.epoch[t] == epoch]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("reshuffle", [False, True])
def test_without_replacement_every_epoch_is_a_permutation(reshuffle, drop_last):
    schedule = BatchSchedule(10, 3, reshuffle=reshuffle, drop_last=drop_last, seed=4)
    per_epoch = steps_per_epoch(schedule)
    assert per_epoch == (3 if drop_last else 4)
    batches = make_batches(schedule, 3 * per_epoch)
    expected_sizes = [3, 3, 3] if drop_last else [3, 3, 3, 1]
    np.testing.assert_array_equal(batches.sizes, expected_sizes * 3)
    epochs = [np.concatenate(_epoch_batches(batches, e)) for e in range(3)]
    for seen in epochs:
        assert len(set(seen.tolist())) == len(seen)  # no example twice within an epoch
        if not drop_last:
            np.testing.assert_array_equal(np.sort(seen), np.arange(10))
    same_order = np.array_equal(epochs[0], epochs[1]) and np.array_equal(epochs[1], epochs[2])
    assert same_order is (not reshuffle)


def test_with_replacement_draws_iid_indices_in_range():
    schedule = BatchSchedule(5, 2, replacement=True, seed=1)
    batches = make_batches(schedule, 3000)
    flat = batches.flat
    assert flat.min() >= 0 and flat.max() <= 4
    counts = np.bincount(flat, minlength=5) / len(flat)
    np.testing.assert_allclose(counts, 0.2, atol=0.02)
    # Some batch repeats an example: impossible without replacement.
    assert any(len(set(batches.batch(t).tolist())) < 2 for t in range(3000))


@pytest.mark.parametrize("replacement", [False, True])
def test_same_seed_same_batches_and_prefix_stable(replacement):
    schedule = BatchSchedule(37, 5, replacement=replacement, seed=9)
    short, long = make_batches(schedule, 11), make_batches(schedule, 100)
    for t in range(11):
        np.testing.assert_array_equal(short.batch(t), long.batch(t))
    again = make_batches(BatchSchedule(37, 5, replacement=replacement, seed=9), 100)
    np.testing.assert_array_equal(again.flat, long.flat)
    other = make_batches(BatchSchedule(37, 5, replacement=replacement, seed=10), 100)
    assert not np.array_equal(other.flat, long.flat)


def test_true_sgd_and_full_batch_extremes():
    sgd = make_batches(BatchSchedule(4, 1, seed=0), 8)
    assert np.all(sgd.sizes == 1)
    np.testing.assert_array_equal(sgd.examples_seen, np.arange(9))
    full = make_batches(BatchSchedule(6, 6, reshuffle=False), 3)
    for t in range(3):
        np.testing.assert_array_equal(np.sort(full.batch(t)), np.arange(6))
    np.testing.assert_array_equal(full.epoch, [0, 1, 2])
    assert make_batches(BatchSchedule(6, 6), 0).flat.size == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_examples": 0, "batch_size": 1}, "n_examples must be ≥ 1, got 0"),
        ({"n_examples": 8, "batch_size": 9}, "between 1 and n_examples=8, got 9"),
        ({"n_examples": 8, "batch_size": 0}, "got 0"),
        ({"n_examples": 8, "batch_size": 2.5}, "batch_size must be an integer, got 2.5"),
        ({"n_examples": 8, "batch_size": True}, "must be an integer, got True"),
        ({"n_examples": 8, "batch_size": 2, "seed": -1}, "seed must be ≥ 0, got -1"),
    ],
)
def test_invalid_schedules_are_refused_with_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        BatchSchedule(**kwargs)
    with pytest.raises(ValueError, match="n_steps must be ≥ 0"):
        make_batches(BatchSchedule(4, 2), -1)
