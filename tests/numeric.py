"""Numerical helpers shared by the tests."""

import numpy as np


def central_difference(fn, pts, h=1e-6):
    """∂fn/∂p_i by central differences on the last axis of ``pts``: the derivative index is the
    last axis of the result, after fn's own output axes."""
    cols = []
    for i in range(pts.shape[-1]):
        e = np.zeros(pts.shape[-1])
        e[i] = h
        cols.append((fn(pts + e) - fn(pts - e)) / (2 * h))
    return np.stack(cols, axis=-1)
