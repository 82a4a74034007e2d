"""Reading figure JSON in tests."""

import base64

import numpy as np


def decode(value):
    """A Plotly array from JSON: a list, or the typed-array form the frames use."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.array([np.nan if v is None else v for v in value], dtype=float)
