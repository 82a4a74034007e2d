"""One seed, independent streams (engine/seeding.py)."""

import numpy as np

from engine.batching import BatchSchedule, make_batches
from engine.seeding import BATCHES, MINIBATCH_SAMPLES, stream


def test_each_purpose_has_its_own_reproducible_stream():
    data = np.random.default_rng(0).random(8)
    batches, samples = stream(0, BATCHES).random(8), stream(0, MINIBATCH_SAMPLES).random(8)
    assert not np.allclose(batches, data) and not np.allclose(samples, data)
    assert not np.allclose(batches, samples)
    np.testing.assert_array_equal(stream(0, BATCHES).random(8), batches)  # same seed, same draws
    assert not np.allclose(stream(1, BATCHES).random(8), batches)


def test_the_batch_order_does_not_reuse_the_datas_numbers():
    order = make_batches(BatchSchedule(256, 64, seed=0), 4).flat
    assert not np.array_equal(order, np.random.default_rng(0).permutation(256))
    assert sorted(order.tolist()) == list(range(256))  # still one permutation per epoch
