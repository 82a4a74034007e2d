"""A surface as a banded raster image, for animated figures.

Plotly drops contour and heatmap traces while it animates other traces (plotly.js #4491), so an
animated figure draws its surface as a layout image instead: the values are quantised into
bands (which read like filled contours) and coloured with Viridis, encoded as a PNG by hand
(zlib + struct from the standard library) and embedded as a data URI. A 180 × 180 image is a
few tens of kilobytes — smaller than the same surface as JSON numbers.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
from numpy.typing import ArrayLike, NDArray

VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
           "#6ece58", "#b5de2b", "#fde725")  # fmt: skip


def _stops() -> NDArray[np.float64]:
    return np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in VIRIDIS], dtype=float)


def banded_rgb(values: ArrayLike, bands: int = 24) -> NDArray[np.uint8]:
    """``(H, W)`` values → ``(H, W, 3)`` Viridis colours in ``bands`` equal steps (NaN: white)."""
    z = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(z)
    low, high = (float(z[finite].min()), float(z[finite].max())) if finite.any() else (0.0, 1.0)
    t = (z - low) / (high - low) if high > low else np.zeros_like(z)
    t = np.floor(np.clip(t, 0.0, 1.0 - 1e-12) * bands) / max(bands - 1, 1)
    stops = _stops()
    position = np.where(finite, t, 0.0) * (len(stops) - 1)
    i = np.clip(np.floor(position).astype(int), 0, len(stops) - 2)
    frac = (position - i)[..., None]
    rgb = stops[i] * (1 - frac) + stops[i + 1] * frac
    rgb[~finite] = 255.0
    return np.round(rgb).astype(np.uint8)


def png_data_uri(rgb: NDArray[np.uint8]) -> str:
    """A PNG (8-bit RGB, no interlace) of ``rgb (H, W, 3)`` as a ``data:`` URI."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))  # filter 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
