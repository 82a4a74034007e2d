"""Value, gradient and Hessian of the loss surfaces that are not polynomials.

Each function takes the coordinate arrays ``c = (x, y)`` (or ``(x,)``) of any shape and returns
arrays of that shape: ``*_value`` f, ``*_grad`` the list [∂f/∂x, ∂f/∂y], ``*_hessian`` the
nested list of second derivatives. ``engine.surfaces`` wraps them into ``Surface`` objects; the
tests check every one against central finite differences.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Coords = Sequence[Array]
ValueFn = Callable[[Coords], Array]
GradFn = Callable[[Coords], list[Array]]
HessFn = Callable[[Coords], list[list[Array]]]

TWO_PI = 2.0 * math.pi


def rastrigin_terms(
    x: Array,
) -> tuple[Array, Array, Array]:
    """φ(x) = 10 + x² − 10 cos 2πx and its first two derivatives (Rastrigin is Σ φ(xᵢ))."""
    value = 10.0 + x**2 - 10.0 * np.cos(TWO_PI * x)
    first = 2.0 * x + 10.0 * TWO_PI * np.sin(TWO_PI * x)
    second = 2.0 + 10.0 * TWO_PI**2 * np.cos(TWO_PI * x)
    return value, first, second


def separable(
    terms: Callable[[Array], tuple[Array, Array, Array]],
) -> tuple[ValueFn, GradFn, HessFn]:
    """f(p) = Σᵢ φ(pᵢ): gradient φ'(pᵢ), diagonal Hessian φ''(pᵢ)."""

    def value(c: Coords) -> Array:
        return np.asarray(sum(terms(x)[0] for x in c), dtype=np.float64)

    def grad(c: Coords) -> list[Array]:
        return [terms(x)[1] for x in c]

    def hessian(c: Coords) -> list[list[Array]]:
        diag = [terms(x)[2] for x in c]
        zero = np.zeros_like(c[0])
        return [[diag[i] if i == j else zero for j in range(len(c))] for i in range(len(c))]

    return value, grad, hessian


def ackley_value(c: Coords) -> Array:
    x, y = c
    r = np.sqrt(0.5 * (x**2 + y**2))
    e = np.exp(0.5 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y)))
    return -20.0 * np.exp(-0.2 * r) - e + math.e + 20.0


def ackley_radial(x: Array, y: Array) -> tuple[Array, Array]:
    """For the cone term −20·exp(−0.2r), r = √(½(x²+y²)): its gradient is a(r)·p with
    a = 2e^{−0.2r}/r, and its Hessian a·I + (a'(r)/(2r))·p pᵀ. Returns (a, a'/(2r)); both are
    set to 0 at r = 0, where the cone has no derivative (zero subgradient)."""
    r = np.sqrt(0.5 * (x**2 + y**2))
    safe = np.where(r > 0, r, 1.0)
    decay = np.exp(-0.2 * safe)
    a = 2.0 * decay / safe
    da = 2.0 * decay * (-0.2 / safe - 1.0 / safe**2)
    return np.where(r > 0, a, 0.0), np.where(r > 0, da / (2.0 * safe), 0.0)


def ackley_grad(c: Coords) -> list[Array]:
    x, y = c
    a, _ = ackley_radial(x, y)
    e = np.exp(0.5 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y)))
    return [a * x + math.pi * np.sin(TWO_PI * x) * e, a * y + math.pi * np.sin(TWO_PI * y) * e]


def ackley_hessian(c: Coords) -> list[list[Array]]:
    x, y = c
    a, b = ackley_radial(x, y)
    e = np.exp(0.5 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y)))
    sx, sy = np.sin(TWO_PI * x), np.sin(TWO_PI * y)
    hxx = a + b * x * x + math.pi * e * (TWO_PI * np.cos(TWO_PI * x) - math.pi * sx**2)
    hyy = a + b * y * y + math.pi * e * (TWO_PI * np.cos(TWO_PI * y) - math.pi * sy**2)
    hxy = b * x * y - math.pi**2 * sx * sy * e
    return [[hxx, hxy], [hxy, hyy]]


def levi_value(c: Coords) -> Array:
    x, y = c
    return (
        np.sin(3 * math.pi * x) ** 2
        + (x - 1) ** 2 * (1 + np.sin(3 * math.pi * y) ** 2)
        + (y - 1) ** 2 * (1 + np.sin(2 * math.pi * y) ** 2)
    )


def levi_grad(c: Coords) -> list[Array]:
    x, y = c
    pi = math.pi
    gx = 3 * pi * np.sin(6 * pi * x) + 2 * (x - 1) * (1 + np.sin(3 * pi * y) ** 2)
    gy = (
        (x - 1) ** 2 * 3 * pi * np.sin(6 * pi * y)
        + 2 * (y - 1) * (1 + np.sin(2 * pi * y) ** 2)
        + (y - 1) ** 2 * 2 * pi * np.sin(4 * pi * y)
    )
    return [gx, gy]


def levi_hessian(c: Coords) -> list[list[Array]]:
    x, y = c
    pi = math.pi
    hxx = 18 * pi**2 * np.cos(6 * pi * x) + 2 * (1 + np.sin(3 * pi * y) ** 2)
    hxy = 6 * pi * (x - 1) * np.sin(6 * pi * y)
    hyy = (
        18 * pi**2 * (x - 1) ** 2 * np.cos(6 * pi * y)
        + 2 * (1 + np.sin(2 * pi * y) ** 2)
        + 8 * pi * (y - 1) * np.sin(4 * pi * y)
        + 8 * pi**2 * (y - 1) ** 2 * np.cos(4 * pi * y)
    )
    return [[hxx, hxy], [hxy, hyy]]


def mccormick_value(c: Coords) -> Array:
    x, y = c
    return np.sin(x + y) + (x - y) ** 2 - 1.5 * x + 2.5 * y + 1.0


def mccormick_grad(c: Coords) -> list[Array]:
    x, y = c
    cos = np.cos(x + y)
    return [cos + 2 * (x - y) - 1.5, cos - 2 * (x - y) + 2.5]


def mccormick_hessian(c: Coords) -> list[list[Array]]:
    x, y = c
    s = -np.sin(x + y)
    return [[s + 2.0, s - 2.0], [s - 2.0, s + 2.0]]


# Plateau: f = −sin(r)/r + 0.01 r². Radial, so ∇f = (h(r) + 0.02)·p and
# ∇²f = (h + 0.02)·I + (h'(r)/r)·p pᵀ with h = (sin r − r cos r)/r³. Both h and h'/r cancel
# catastrophically near r = 0, so there they come from their Taylor series:
# h = Σ_{n≥1} (−1)^{n+1} 2n r^{2n−2}/(2n+1)!,  h'/r = Σ_{n≥2} (−1)^{n+1} 2n(2n−2) r^{2n−4}/(2n+1)!.
_SERIES_RADIUS = 0.5
_SERIES_TERMS = 10


def plateau_radial(r2: Array) -> tuple[Array, Array, Array]:
    """(−sin r / r, h, h'/r) at r² = ``r2``, accurate for every r ≥ 0."""
    r = np.sqrt(r2)
    small = r < _SERIES_RADIUS
    rs = np.where(small, 1.0, r)  # avoid 0/0 in the unused branch
    sinc = np.sin(rs) / rs
    h = (np.sin(rs) - rs * np.cos(rs)) / rs**3
    dh = (r2 * np.sin(rs) - 3 * np.sin(rs) + 3 * rs * np.cos(rs)) / rs**5
    sinc_s = np.zeros_like(r2)
    h_s = np.zeros_like(r2)
    dh_s = np.zeros_like(r2)
    for n in range(_SERIES_TERMS, -1, -1):  # smallest terms first
        sign = (-1.0) ** n
        sinc_s += sign * r2**n / math.factorial(2 * n + 1)
        if n >= 1:
            h_s += -sign * 2 * n * r2 ** (n - 1) / math.factorial(2 * n + 1)
        if n >= 2:
            dh_s += -sign * 2 * n * (2 * n - 2) * r2 ** (n - 2) / math.factorial(2 * n + 1)
    return (
        -np.where(small, sinc_s, sinc),
        np.where(small, h_s, h),
        np.where(small, dh_s, dh),
    )


def plateau_value(c: Coords) -> Array:
    x, y = c
    r2 = x**2 + y**2
    return plateau_radial(r2)[0] + 0.01 * r2


def plateau_grad(c: Coords) -> list[Array]:
    x, y = c
    _, h, _ = plateau_radial(x**2 + y**2)
    return [(h + 0.02) * x, (h + 0.02) * y]


def plateau_hessian(c: Coords) -> list[list[Array]]:
    x, y = c
    _, h, dh = plateau_radial(x**2 + y**2)
    return [[h + 0.02 + dh * x * x, dh * x * y], [dh * x * y, h + 0.02 + dh * y * y]]


def abs_value(c: Coords) -> Array:
    return np.abs(c[0])


def abs_grad(c: Coords) -> list[Array]:
    return [np.sign(c[0])]


def abs_hessian(c: Coords) -> list[list[Array]]:
    return [[np.zeros_like(c[0])]]
