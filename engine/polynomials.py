"""Exact polynomials in one or two variables, so polynomial surfaces get analytic derivatives.

A ``Poly`` holds a dense coefficient array ``c`` with ``c[i, j]`` the coefficient of ``xⁱ yʲ``
(``c[i]`` of ``xⁱ`` in one variable). Sums, products and integer powers are exact (they only
add and convolve coefficient arrays), and ``derivative(axis)`` differentiates term by term, so a
surface written as ``(1 - x)**2 + 100 * (y - x**2)**2`` has a gradient and Hessian that are exact
polynomials too — no finite differences and no hand-expanded formulas to get wrong.

Evaluation is Horner's scheme (``numpy.polynomial.polynomial.polyval`` / ``polyval2d``),
vectorised over any array of points.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.polynomial import polynomial as npoly
from numpy.typing import NDArray

Array = NDArray[np.float64]
_FEW_POINTS = 64  # below this many points PolyBundle sums dense slabs (see __call__)


class Poly:
    """A polynomial in ``ndim`` (1 or 2) variables with float64 coefficients."""

    def __init__(self, coefficients: object) -> None:
        self.c = np.atleast_1d(np.asarray(coefficients, dtype=np.float64))
        if self.c.ndim not in (1, 2):
            raise ValueError(f"Poly supports 1 or 2 variables, got {self.c.ndim}")

    @classmethod
    def variables(cls, ndim: int) -> tuple[Poly, ...]:
        """The coordinate polynomials: ``x`` for ndim 1, ``(x, y)`` for ndim 2."""
        out = []
        for axis in range(ndim):
            c = np.zeros((2,) * ndim)
            c[tuple(1 if a == axis else 0 for a in range(ndim))] = 1.0
            out.append(cls(c))
        return tuple(out)

    @property
    def ndim(self) -> int:
        return int(self.c.ndim)

    def _coerce(self, other: object) -> Poly:
        if isinstance(other, Poly):
            if other.ndim != self.ndim:
                raise ValueError("cannot combine polynomials in different numbers of variables")
            return other
        c = np.zeros((1,) * self.ndim)
        c[(0,) * self.ndim] = float(other)  # type: ignore[arg-type]
        return Poly(c)

    def __add__(self, other: object) -> Poly:
        b = self._coerce(other)
        shape = tuple(max(p, q) for p, q in zip(self.c.shape, b.c.shape, strict=True))
        out = np.zeros(shape)
        out[tuple(slice(0, n) for n in self.c.shape)] += self.c
        out[tuple(slice(0, n) for n in b.c.shape)] += b.c
        return Poly(out)

    __radd__ = __add__

    def __neg__(self) -> Poly:
        return Poly(-self.c)

    def __sub__(self, other: object) -> Poly:
        return self + (-self._coerce(other))

    def __rsub__(self, other: object) -> Poly:
        return self._coerce(other) - self

    def __mul__(self, other: object) -> Poly:
        b = self._coerce(other)
        shape = tuple(p + q - 1 for p, q in zip(self.c.shape, b.c.shape, strict=True))
        out = np.zeros(shape)
        for index in itertools.product(*(range(n) for n in self.c.shape)):
            a = self.c[index]
            if a != 0.0:
                out[tuple(slice(i, i + n) for i, n in zip(index, b.c.shape, strict=True))] += (
                    a * b.c
                )
        return Poly(out)

    __rmul__ = __mul__

    def __truediv__(self, divisor: float) -> Poly:
        return Poly(self.c / float(divisor))

    def __pow__(self, exponent: int) -> Poly:
        if not isinstance(exponent, int) or exponent < 0:
            raise ValueError(f"Poly powers must be non-negative integers, got {exponent!r}")
        result = self._coerce(1.0)
        for _ in range(exponent):
            result = result * self
        return result

    def derivative(self, axis: int) -> Poly:
        """∂/∂(variable ``axis``), exact."""
        if self.c.shape[axis] == 1:  # constant in this variable
            return Poly(np.zeros((1,) * self.ndim))
        return Poly(npoly.polyder(self.c, axis=axis))

    def __call__(self, *coords: Array) -> Array:
        """Evaluate at coordinate arrays of one shape (one array per variable)."""
        if len(coords) != self.ndim:
            raise ValueError(f"expected {self.ndim} coordinate arrays, got {len(coords)}")
        if self.ndim == 1:
            return np.asarray(npoly.polyval(coords[0], self.c), dtype=np.float64)
        return np.asarray(npoly.polyval2d(coords[0], coords[1], self.c), dtype=np.float64)


class PolyBundle:
    """Several polynomials in the same variables, evaluated together.

    Every monomial xⁱyʲ that any of the polynomials uses is computed once, as one gather from
    the powers of x and y; the polynomials are then Σ_j c_kj · monomial_j, a sum over the
    monomials taken in a fixed order. That is a handful of array operations whatever the degree
    (a surface's value and gradient cost about as much as hand-written formulas), and since no
    sum runs across points (no BLAS), a point's result does not depend on how many other points
    share the call: a run's trajectory is the same alone or in a crowd.
    """

    def __init__(self, polys: list[Poly]) -> None:
        if not polys or len({p.ndim for p in polys}) != 1:
            raise ValueError("a PolyBundle needs one or more polynomials in the same variables")
        self.ndim = polys[0].ndim
        self.size = len(polys)
        exponents: dict[tuple[int, ...], int] = {}
        for p in polys:
            for index in zip(*np.nonzero(p.c), strict=True):
                exponents.setdefault(tuple(int(i) for i in index), len(exponents))
        monomials = list(exponents) or [(0,) * self.ndim]
        # exponent of each variable in each monomial: (ndim, n_monomials)
        self._exponents = np.array(monomials, dtype=np.intp).T.reshape(self.ndim, -1)
        self._max_power = [int(e.max()) for e in self._exponents]
        # coefficient of monomial j in polynomial k, laid out (n_monomials, n_polys, 1)
        coefficients = np.zeros((len(monomials), self.size))
        for k, p in enumerate(polys):
            for index in zip(*np.nonzero(p.c), strict=True):
                key = tuple(int(i) for i in index)
                coefficients[exponents[key], k] = p.c[key]
        self._coefficients = coefficients[:, :, None]  # (n_monomials, n_polys, 1)
        # Each polynomial's non-zero terms (monomial index, coefficient), in monomial order:
        # skipping a zero term never changes a running sum, so both ways give the same bits.
        self._terms = [
            [(j, float(coefficients[j, k])) for j in range(len(monomials)) if coefficients[j, k]]
            for k in range(self.size)
        ]

    def __call__(self, *coords: Array) -> Array:
        """Every polynomial at the coordinate arrays (one array per variable, one shape):
        ``(n_polys, *shape)``."""
        if len(coords) != self.ndim:
            raise ValueError(f"expected {self.ndim} coordinate arrays, got {len(coords)}")
        arrays = [np.asarray(c, dtype=np.float64) for c in coords]
        shape = arrays[0].shape
        monomials = None
        for axis, a in enumerate(arrays):
            table = _powers(a.reshape(-1), self._max_power[axis])[self._exponents[axis]]
            monomials = table if monomials is None else monomials * table
        assert monomials is not None
        # A running sum over the terms in monomial order: the same order of additions for
        # every point (sum() may pair terms depending on the shape). Few points: one slab of
        # all polynomials per monomial (fewest calls); many: only the non-zero terms (fewest
        # operations). Zero terms add exactly nothing, so both give the same values.
        m = monomials.shape[1]
        if m <= _FEW_POINTS:
            terms = self._coefficients * monomials[:, None, :]
            values = terms[0].copy()
            for term in terms[1:]:
                values += term
            return values.reshape(self.size, *shape)
        values = np.zeros((self.size, m))
        scratch = np.empty(m)
        for k, row_terms in enumerate(self._terms):
            row = values[k]
            for j, coefficient in row_terms:
                np.multiply(monomials[j], coefficient, out=scratch)
                np.add(row, scratch, out=row)
        return values.reshape(self.size, *shape)


def _powers(x: Array, highest: int) -> Array:
    """``(highest + 1, m)``: rows x⁰ = 1, x¹, …, x^highest by repeated multiplication."""
    out = np.empty((highest + 1, len(x)))
    out[0] = 1.0
    for i in range(1, highest + 1):
        np.multiply(out[i - 1], x, out=out[i])
    return out
