"""Parity with torch.optim itself (float64, single-tensor code path); skipped without torch."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_optimizers import CONFIGS, IDS, _grad_sequence, _run

torch = pytest.importorskip("torch")

TORCH_CLASSES = {
    "sgd": "SGD",
    "keras_sgd": "SGD",  # with a constant lr the Keras form is torch's SGD (v = −γ·b)
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
}


@pytest.mark.parametrize(("key", "hparams"), CONFIGS, ids=IDS)
def test_trajectory_matches_torch_optim_over_400_steps(key, hparams):
    rng = np.random.default_rng(11)
    params0 = rng.standard_normal((5, 3))
    grads = _grad_sequence(rng, 400, (5, 3))
    engine = _run(key, hparams, params0, grads)

    param = torch.tensor(params0, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, TORCH_CLASSES[key])([param], foreach=False, **hparams)
    expected = []
    for g in grads:
        param.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        expected.append(param.detach().numpy().copy())
    expected = np.array(expected)
    scale = np.max(np.abs(expected), axis=0)
    assert np.max(np.abs(engine - expected) / scale) < 1e-10
