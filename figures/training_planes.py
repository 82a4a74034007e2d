"""The planes of the training stage: a network's prediction over the plane as images.

plotly.js drops heatmap and contour traces while it animates scatter traces (plotly.js #4491;
see figures/raster.py), so the stage's planes are layout images, one per frame, which a frame
swaps with no redraw. ``plane_images`` makes them: the grid's predictions refined
``UPSAMPLE`` times (bilinearly, ``_finer``), turned into indices of a palette of a few dozen
shades (``plane_indices``, ``plane_palette``) and encoded as palette PNGs of about 1 KB
(``figures.raster.indexed_pngs``). Two classes: blue ↔ vermillion as sure as the network is,
white at P = ½, and a thin white line, the decision boundary (``_whiteness``); C classes: the
argmax class's colour as sure as it is; a diverged network: grey. The thumbnails of
figures/training_panels.py share the grey and the colour mixing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from figures.raster import indexed_pngs, png_uri
from figures.store import Store
from figures.style import OKABE_ITO

Array = NDArray[np.float64]

# The network's thumbnails (figures/training_panels.py) are uint8 heatmaps: P ∈ [0, 1] →
# 0 … LEVELS, and GREY for a diverged (NaN) network. A flat region of value b is base64 of
# b, b, b, …; plotly's to_json writes every "/" in it as \u002f (six characters), so GREY is
# 250, not 255 (whose run holds a "/").
LEVELS = 248
GREY = 250
GREY_COLOUR = "#c8c8c8"
# Share of a class's colour in the plane at confidence d = |2P − 1|: HEAT · d^CURVE. Sure
# regions are clearly coloured, yet lighter than the points drawn on them in the full colour
# with a dark outline; the square root makes P = 0.8 already half as strong as P = 1.
HEAT = 0.6
CURVE = 0.5
SHADES = 16  # confidence steps per class in a plane's image: faint bands, ~1 KB a PNG
# Pixels per grid cell and axis in a plane's image: the boundary at half a cell's detail.
# A 40 × 40 grid as 79 × 79 pixels: ~1 KB a PNG (one pixel a point: ~0.45 KB, too coarse
# for a thin line; three: ~1.4 KB).
UPSAMPLE = 2
LINE = 1.5  # the white decision boundary's width in image pixels (see _whiteness)


def _mixed(colour: str, share: float) -> tuple[int, int, int]:
    r, g, b = (round(255 - share * (255 - int(colour[i : i + 2], 16))) for i in (1, 3, 5))
    return r, g, b


def mix(colour: str, share: float) -> str:
    """``colour`` (#rrggbb) mixed with white, ``share`` of the colour kept."""
    return "rgb({},{},{})".format(*_mixed(colour, share))


def u1_grid(levels: NDArray[np.uint8]) -> dict[str, str]:
    """Plotly's typed-array form of a 2-D uint8 array (what plotly.py writes for one)."""
    rows, cols = levels.shape
    encoded = base64.b64encode(np.ascontiguousarray(levels, dtype=np.uint8).tobytes())
    return {"dtype": "u1", "bdata": encoded.decode("ascii"), "shape": f"{rows}, {cols}"}


def u1_array(values: NDArray[np.uint8]) -> dict[str, str]:
    """Plotly's typed-array form of a 1-D uint8 array."""
    encoded = base64.b64encode(np.ascontiguousarray(values, dtype=np.uint8).tobytes())
    return {"dtype": "u1", "bdata": encoded.decode("ascii")}


def shades_per_class(n_classes: int) -> int:
    """Confidence steps per class in a plane's palette: ``SHADES``, fewer when C · steps + 1
    (the grey) would pass the 256 colours of a palette PNG (more than 15 classes)."""
    return max(2, min(SHADES, 255 // n_classes))


def plane_palette(n_classes: int) -> NDArray[np.uint8]:
    """The colours of a plane's image, ``(N, 3)``; ``GREY_COLOUR`` is the last.

    Two classes, index i = Q + v for v in −Q … Q (Q = ``SHADES``): white at v = 0, then
    blue (v < 0, class 0) or vermillion (class 1) with a share HEAT · |v| / Q of the colour —
    in P's order, so that a smooth P gives small steps between neighbours (a small PNG).
    C classes, index c · Q + b (Q = ``shades_per_class(C)``): class c's Okabe–Ito colour,
    from a share 0.06 (b = 0) to HEAT (b = Q − 1), as sure as the network is.
    """
    grey = _mixed(GREY_COLOUR, 1.0)
    if n_classes == 2:
        side = [HEAT * v / SHADES for v in range(SHADES, 0, -1)]
        colours = [_mixed(OKABE_ITO[0], a) for a in side]
        colours += [(255, 255, 255)] + [_mixed(OKABE_ITO[1], a) for a in side[::-1]]
    else:
        Q = shades_per_class(n_classes)
        colours = [_mixed(OKABE_ITO[c % len(OKABE_ITO)], 0.06 + (HEAT - 0.06) * b / (Q - 1))
                   for c in range(n_classes) for b in range(Q)]  # fmt: skip
    return np.array([*colours, grey], dtype=np.uint8)


def _whiteness(p: NDArray[np.floating]) -> NDArray[np.floating]:
    """``(..., H, W)`` P(class 1) → how white each pixel is, 0 … 1: the decision boundary
    P = ½ drawn as a line ``LINE`` pixels wide with anti-aliased edges (white to ``LINE / 2``
    from it, fading out over the next pixel), from each pixel's distance to it, |P − ½| / |∇P|
    to first order (∇P per pixel). From the distance, not from |P − ½| alone: the line is as
    wide where P jumps across ½ as where it creeps, with no gaps, and no beads where the
    boundary runs diagonally (as marking the cells next to a sign change gives). Only pixels
    within two pixels (a 5 × 5 square) of the other side, or at P = ½ itself, count: where P
    flattens out just off ½, the first-order distance would be far too short. Computed in
    ``p``'s precision (float32 for the stage: a colour needs no more)."""
    dy, dx = np.gradient(p, axis=(-2, -1))
    slope = np.sqrt(dx * dx + dy * dy)  # |∇P| (np.hypot guards overflow, at twice the cost)
    distance = np.abs(p - 0.5) / np.maximum(slope, 1e-12)
    above, below = p > 0.5, p < 0.5
    near = (above & _dilate(~above, 2)) | (below & _dilate(~below, 2)) | ~(above | below)
    return np.where(near, np.clip(LINE / 2 + 0.5 - distance, 0.0, 1.0), 0.0).astype(p.dtype)


def _dilate(mask: NDArray[np.bool_], reach: int) -> NDArray[np.bool_]:
    """Whether any pixel of a square of 2 · reach + 1 pixels around each pixel of ``(..., H,
    W)`` is set (the square clipped at the edges), a row then a column."""
    out = mask
    for axis in (-1, -2):
        grown = out.copy()
        n = out.shape[axis]
        for shift in range(1, min(reach, n - 1) + 1):
            ahead = [slice(None)] * out.ndim
            behind = [slice(None)] * out.ndim
            ahead[axis], behind[axis] = slice(shift, None), slice(None, n - shift)
            grown[tuple(ahead)] |= out[tuple(behind)]
            grown[tuple(behind)] |= out[tuple(ahead)]
        out = grown
    return out


def plane_indices(output: ArrayLike, multi: bool, discretize: bool) -> NDArray[np.uint8]:
    """Grid predictions → indices into ``plane_palette(C)``; NaN (a diverged network) → the
    grey, its last.

    Two classes, ``(..., H, W)`` P(class 1): index Q + v, v = sign(P − ½) · round(Q ·
    |2P − 1|^CURVE · (1 − w)) with w the boundary's whiteness (``_whiteness``): a shade mixed
    with white is a lighter shade of the palette. ``discretize``: v = ±round(Q · (1 − w)),
    the class's colour, mixed with white on the boundary only.
    C classes, ``(..., H, W, C)``: index c · Q + b, the argmax class c, and its confidence
    max P from 1/C → 1 in Q steps b; the middle step when ``discretize``. Computed in the
    output's precision (float32 or float64; integers as float64).
    """
    out = np.asarray(output)
    out = out if out.dtype in (np.float32, np.float64) else out.astype(np.float64)
    if not multi:
        finite = np.isfinite(out)
        p = np.clip(np.where(finite, out, 0.5), 0.0, 1.0)
        white = _whiteness(p)
        sure = np.ones_like(p) if discretize else np.abs(2 * p - 1) ** CURVE
        # a shade mixed with white is a lighter shade of the palette: share · (1 − white)
        v = np.sign(p - 0.5) * np.round(SHADES * sure * (1 - white))
        index, grey = v + SHADES, 2 * SHADES + 1
    else:
        C = out.shape[-1]
        Q = shades_per_class(C)
        finite = np.all(np.isfinite(out), axis=-1)
        probs = np.where(finite[..., None], out, 0.0)
        step = np.round((probs.max(axis=-1) - 1 / C) / (1 - 1 / C) * (Q - 1))
        step = np.full_like(step, (Q - 1) // 2) if discretize else np.clip(step, 0, Q - 1)
        index, grey = probs.argmax(axis=-1) * Q + step, C * Q
    return np.where(finite, index, grey).astype(np.uint8)


def _finer(values: NDArray[np.floating], factor: int, multi: bool) -> NDArray[np.floating]:
    """``(F, Gy, Gx[, C])`` grid values bilinearly interpolated to ``(F, Sy, Sx[, C])``, S =
    factor · (G − 1) + 1: the grid's points kept and ``factor − 1`` new ones between two."""

    def weights(G: int) -> Array:  # (S, G): row s interpolates point s / factor
        t = np.arange(factor * (G - 1) + 1) / factor
        left = np.minimum(np.floor(t).astype(int), max(G - 2, 0))
        w = np.zeros((len(t), G), dtype=values.dtype)
        w[np.arange(len(t)), left] = 1 - (t - left)
        w[np.arange(len(t)), np.minimum(left + 1, G - 1)] += t - left
        return w

    grids = np.moveaxis(values, -1, 1) if multi else values  # (F[, C], Gy, Gx)
    fine = weights(grids.shape[-2]) @ grids @ weights(grids.shape[-1]).T
    return np.moveaxis(fine, 1, -1) if multi else fine


def plane_images(
    k: int, output: Array, grid_axes: Sequence[Array], axes: dict[str, str], name: str,
    discretize: bool,
) -> list[dict[str, Any]]:  # fmt: skip
    """Run k's prediction over the plane, a layout image per frame: a palette PNG of the grid
    refined ``UPSAMPLE`` times (``plane_indices``, ``plane_palette``), each pixel centred on
    its point — the image reaches half a pixel past the grid, which the plane's axes clip —
    under the traces, where the browser's smoothing blends the pixels."""
    (x0, x1), (y0, y1) = ((float(a[0]), float(a[-1])) for a in grid_axes)
    rows, cols = (UPSAMPLE * (n - 1) + 1 for n in output.shape[2:4])  # the image's pixels
    half_x, half_y = (x1 - x0) / (2 * (cols - 1)), (y1 - y0) / (2 * (rows - 1))
    place = {"name": name, "xref": axes["xaxis"], "yref": axes["yaxis"], "x": x0 - half_x,
             "y": y1 + half_y, "sizex": x1 - x0 + 2 * half_x, "sizey": y1 - y0 + 2 * half_y,
             "xanchor": "left", "yanchor": "top", "sizing": "stretch",
             "layer": "below"}  # fmt: skip
    images = [{"source": source, **place} for source in plane_sources(output[:, k], discretize)]
    return images


# A plane's images depend on its predictions alone: a chart that changes around them — the
# curves' x-axis, the other run of a comparison, a label in another language — reuses them
# instead of encoding 120 PNGs again (~12 ms a run).
SOURCES = Store(16_000_000)  # ~170 KB a run of 120 frames: ~90 runs a process


def plane_sources(output: Array, discretize: bool) -> list[str]:
    """One run's ``(F, Gy, Gx[, C])`` predictions as F PNG data URIs (see ``plane_images``),
    encoded once per distinct predictions (``SOURCES``)."""
    values = np.ascontiguousarray(output, dtype=np.float32)
    digest = hashlib.blake2b(values.tobytes(), digest_size=20)
    digest.update(repr((values.shape, bool(discretize))).encode())
    key = digest.digest()
    found: list[str] | None = SOURCES.get(key)
    if found is None:
        found = _encoded(values, discretize)
        SOURCES.put(key, found, sum(map(len, found)))
    return found


def _encoded(output: NDArray[np.float32], discretize: bool) -> list[str]:
    multi = output.ndim == 4
    fine = _finer(output, UPSAMPLE, multi)  # (F, S, S[, C]), float32
    indices = plane_indices(fine, multi, discretize)  # (F, S, S), row 0 at y[0]
    palette = plane_palette(output.shape[-1] if multi else 2)
    top_down = indices[:, ::-1]  # image rows from the top
    first: dict[bytes, int] = {}  # a diverged run's grey frames: one image, encoded once
    which: list[int] = []
    unique: list[NDArray[np.uint8]] = []
    for frame in top_down:
        key = frame.tobytes()
        if key not in first:
            first[key] = len(unique)
            unique.append(frame)
        which.append(first[key])
    sources = [png_uri(png) for png in indexed_pngs(np.array(unique), palette)]
    return [sources[i] for i in which]
