"""Points a learner clicked onto the plane, kept in the link as one short code.

A point lives in the plane's displayed coordinates (standardised inputs). For 2-D
classification it is ``(x1, x2, label)`` with label 0, 1 or 2; for a 1-D regression dataset it
is ``(x, target)``, stored as ``Point(x1=x, x2=target, label=0)``.

The format (what a teacher reads in ``?...=DKgKRh``):

* Every coordinate is snapped to the grid k / 20 (a step of 0.05) for k = −80 … 80, i.e. to
  [−4, 4]; a value outside is clamped to −4 or 4 first, and halves round up (0.025 → 0.05).
  Let i = k + 80 ∈ 0 … 160 (161 levels) for each axis.
* A point is the number n = (label · 161 + i1) · 161 + i2 ∈ 0 … 77 762, written as exactly 3
  base-64 digits, most significant first, with the URL-safe alphabet of RFC 4648 §5:
  ``A–Z`` = 0–25, ``a–z`` = 26–51, ``0–9`` = 52–61, ``-`` = 62, ``_`` = 63.
* The points follow one another in the order they were added, with no separator; no points is
  the empty text. Examples: (0, 0, class 0) = ``DKg``, (0, 0, class 1) = ``Jfh``,
  (1, −1, class 1) = ``KRh``, (−4, −4, class 0) = ``AAA``, (4, 4, class 2) = ``S_C``.

At most ``MAX_POINTS`` points, so a code is at most ``MAX_TEXT`` characters. Decoding is strict
and never evaluates anything: the length is checked before anything else, then every character
and every point; a digit triple above 77 762 (a class beyond 2) is refused. Each valid code has
exactly one decoding and each list of snapped points exactly one code, so
``encode_points(decode_points(s)) == s`` for every valid ``s`` and
``decode_points(encode_points(p))`` is ``p`` snapped to the grid.

Functions (all pure; a list of points is an immutable tuple):

* ``quantise(value)`` — one coordinate snapped to the grid.
* ``encode_points(points)`` / ``decode_points(text)`` / ``validate_text(text)`` — the code.
* ``add_point(points, x1, x2, label)``, ``at_cap(points)``, ``remove_nearest(points, x1, x2)``.
* ``points_arrays(points)`` — the inputs ``X`` (n, 2) and the labels ``y`` (n,) as float64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from i18n import N_, Problem

MAX_POINTS = 60  # enough to draw a boundary by hand; keeps the link short (≤ 180 characters)
CHARS_PER_POINT = 3
MAX_TEXT = MAX_POINTS * CHARS_PER_POINT
N_LABELS = 3  # classes 0, 1, 2
LIMIT = 4.0  # coordinates are clamped to [−LIMIT, LIMIT]: standardised inputs rarely leave it
PER_UNIT = 20  # grid steps per unit: a step of 0.05, finer than a click can aim
STEP = 1 / PER_UNIT
_K = round(LIMIT * PER_UNIT)  # 80: grid index k runs over −80 … 80
_LEVELS = 2 * _K + 1  # 161 values per axis
_CODES = N_LABELS * _LEVELS * _LEVELS  # 77 763 valid point codes, < 64³ = 262 144
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"  # RFC 4648 §5
_DIGIT = {c: i for i, c in enumerate(ALPHABET)}


class Point(NamedTuple):
    """A hand-added point: inputs (or x and target) on the grid, and its class."""

    x1: float
    x2: float
    label: int


def _index(value: float) -> int:
    """The grid index k ∈ −80 … 80 of a finite ``value`` (clamped, halves rounded up)."""
    if not math.isfinite(value):
        raise Problem(
            N_("a point's coordinates must be finite numbers, got {value}"), value=repr(value)
        )
    clamped = min(max(float(value), -LIMIT), LIMIT)
    return min(max(math.floor(clamped * PER_UNIT + 0.5), -_K), _K)


def quantise(value: float) -> float:
    """``value`` snapped to the grid k / 20 in [−4, 4] (clamped outside; halves round up).

    ``k / 20`` is the float nearest to the decimal (e.g. ``-3.85``), so snapped values print
    and compare as a person expects.

    Raises:
        ValueError: for NaN or ±inf.
    """
    return _index(value) / PER_UNIT


def _point(x1: float, x2: float, label: int) -> Point:
    if isinstance(label, bool) or not isinstance(label, int | np.integer):
        raise Problem(N_("a point's label must be a whole number, got {label}"), label=repr(label))
    if not 0 <= label < N_LABELS:
        raise Problem(N_("a point's label must be 0, 1 or 2, got {label}"), label=int(label))
    return Point(quantise(x1), quantise(x2), int(label))


def encode_points(points: Sequence[Point]) -> str:
    """The code of ``points`` (snapped first), 3 characters per point; ``()`` gives ``""``.

    Raises:
        ValueError: for more than ``MAX_POINTS`` points, a label outside 0–2 or a non-finite
            coordinate.
    """
    if len(points) > MAX_POINTS:
        raise Problem(
            N_("at most {limit} points fit in a link, got {n}"), limit=MAX_POINTS, n=len(points)
        )
    chars = []
    for x1, x2, label in points:
        point = _point(x1, x2, label)
        n = (point.label * _LEVELS + _index(point.x1) + _K) * _LEVELS + _index(point.x2) + _K
        chars += [ALPHABET[n // 4096], ALPHABET[n // 64 % 64], ALPHABET[n % 64]]
    return "".join(chars)


def decode_points(text: str) -> tuple[Point, ...]:
    """The points a code stands for, or ValueError with a short reason a person can act on.

    Checks, in order: the length (at most ``MAX_TEXT``, before anything is parsed), the
    characters (only ``ALPHABET``), the length again (a multiple of 3), then each point's code
    (a class of 0, 1 or 2).
    """
    if not isinstance(text, str):
        raise Problem(N_("the points must be text, got {kind}"), kind=type(text).__name__)
    if len(text) > MAX_TEXT:
        raise Problem(
            N_("{n} characters is too long for the points: {limit} points, the most a link "
               "holds, take {chars}"),
            n=len(text), limit=MAX_POINTS, chars=MAX_TEXT,
        )  # fmt: skip
    for position, char in enumerate(text, start=1):
        if char not in _DIGIT:
            raise Problem(
                N_("character {position} of the points is not a letter, digit, `-` or `_`"),
                position=position,
            )
    if len(text) % CHARS_PER_POINT:
        raise Problem(
            N_("the points are {n} characters long, but each point takes {each}: the link "
               "looks cut short"),
            n=len(text), each=CHARS_PER_POINT,
        )  # fmt: skip
    points = []
    for start in range(0, len(text), CHARS_PER_POINT):
        a, b, c = (_DIGIT[char] for char in text[start : start + CHARS_PER_POINT])
        n = a * 4096 + b * 64 + c
        if n >= _CODES:
            raise Problem(
                N_("point {point} has class {label}; the classes are 0, 1 and 2"),
                point=start // CHARS_PER_POINT + 1,
                label=n // (_LEVELS * _LEVELS),
            )
        rest, i2 = divmod(n, _LEVELS)
        label, i1 = divmod(rest, _LEVELS)
        points.append(Point((i1 - _K) / PER_UNIT, (i2 - _K) / PER_UNIT, label))
    return tuple(points)


def validate_text(text: str) -> str:
    """``text`` if it is a valid code (the canonical one, since each code is unique), else
    ValueError saying why — what a URL parameter's parser calls."""
    return encode_points(decode_points(text))


def at_cap(points: Sequence[Point]) -> bool:
    """Whether ``points`` already holds ``MAX_POINTS`` points (a click adds nothing more)."""
    return len(points) >= MAX_POINTS


def add_point(points: Sequence[Point], x1: float, x2: float, label: int) -> tuple[Point, ...]:
    """``points`` with ``(x1, x2, label)`` snapped to the grid appended; unchanged at the cap.

    A point may repeat one already there (the same spot clicked twice counts twice).

    Raises:
        ValueError: for a label outside 0–2 or a non-finite coordinate.
    """
    point = _point(x1, x2, label)
    if at_cap(points):
        return tuple(points)
    return (*points, point)


def remove_nearest(points: Sequence[Point], x1: float, x2: float) -> tuple[Point, ...]:
    """``points`` without the one nearest to ``(x1, x2)``, whatever its class.

    Nearest by Euclidean distance √((p.x1 − x1)² + (p.x2 − x2)²); of equally near points the
    first added goes. No points: returned unchanged. The click itself is not snapped.
    """
    if not points:
        return tuple(points)
    distances = [math.hypot(p.x1 - x1, p.x2 - x2) for p in points]
    nearest = distances.index(min(distances))
    return (*points[:nearest], *points[nearest + 1 :])


def points_arrays(points: Sequence[Point]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The points as arrays: ``X`` (n, 2) = (x1, x2) and ``y`` (n,) = the labels, float64.

    For regression points ``X[:, 0]`` is x and ``X[:, 1]`` the target (``y`` is all 0).
    """
    X = np.array([(p.x1, p.x2) for p in points], dtype=np.float64).reshape(len(points), 2)
    y = np.array([p.label for p in points], dtype=np.float64)
    return X, y
