"""The ``Surface`` object: a loss f: ℝ^dim → ℝ with analytic derivatives and what a lesson
needs to draw it, and ``polynomial_surface``, which builds one from an exact polynomial.

The catalogue of surfaces is ``engine.surfaces``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.polynomials import Poly, PolyBundle
from engine.surface_formulas import Coords, GradFn, HessFn, ValueFn

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Surface:
    """A loss surface f: ℝ^dim → ℝ with analytic gradient and Hessian.

    Attributes:
        key: registry key (URL-safe).
        name: display name.
        description: one line on what the surface teaches.
        formula: f in LaTeX.
        dim: 1 or 2.
        bounds: ``(dim, 2)`` low/high of the plotting window.
        minima: ``(m, dim)`` known minimizers (global first).
        minima_values: ``(m,)`` f at ``minima``.
        default_start: ``(dim,)`` a start that shows the surface's character.
        log_color: the contour needs a log colour scale (values span many decades).
        stationary: ``(s, dim)`` (None: none) other points with zero gradient (saddles, maxima).
        smooth: False when the gradient is undefined on a set of measure zero (Ackley's
            centre, |x| at 0); there the engine uses the zero subgradient.
        name_template: for a name that holds a number (the valley's κ), the name as a
            catalogue template (``N_``), so the UI can translate it and write the number as
            the language does; ``name == name_template.format(**name_values)`` in English.
            None: ``name`` itself is the catalogue's text.
        name_values: the numbers ``name_template`` names.
    """

    key: str
    name: str
    description: str
    formula: str
    dim: int
    bounds: Array
    minima: Array
    minima_values: Array
    default_start: Array
    _value: ValueFn = field(repr=False)
    _grad: GradFn = field(repr=False)
    _hessian: HessFn = field(repr=False)
    log_color: bool = False
    stationary: Array | None = None
    smooth: bool = True
    _value_and_grad: Callable[[Coords], Array] | None = field(default=None, repr=False)
    name_template: str | None = None
    name_values: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        points = np.empty(0) if self.stationary is None else self.stationary
        object.__setattr__(self, "stationary", _points(points, self.dim))

    def _coords(self, p: ArrayLike) -> list[Array]:
        arr = np.asarray(p, dtype=np.float64)
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise ValueError(
                f"{self.name} takes points of shape (..., {self.dim}), got {arr.shape}"
            )
        return [arr[..., i] for i in range(self.dim)]

    def value(self, p: ArrayLike) -> Array:
        """f(p): ``(..., dim)`` → ``(...)``."""
        coords = self._coords(p)
        return np.asarray(self._value(coords) + np.zeros_like(coords[0]), dtype=np.float64)

    def grad(self, p: ArrayLike) -> Array:
        """∇f(p): ``(..., dim)`` → ``(..., dim)``."""
        coords = self._coords(p)
        zero = np.zeros_like(coords[0])
        return np.stack([g + zero for g in self._grad(coords)], axis=-1)

    def value_and_grad(self, p: ArrayLike) -> tuple[Array, Array]:
        """(f(p), ∇f(p)) in one call — what the runner asks for at every step."""
        if self._value_and_grad is None:
            return self.value(p), self.grad(p)
        both = self._value_and_grad(self._coords(p))  # (1 + dim, ...)
        grads = both[1:].reshape(self.dim, -1).T.copy()  # (m, dim), contiguous
        return both[0], grads.reshape(*both.shape[1:], self.dim)

    def hessian(self, p: ArrayLike) -> Array:
        """∇²f(p): ``(..., dim)`` → ``(..., dim, dim)``, symmetric."""
        coords = self._coords(p)
        zero = np.zeros_like(coords[0])
        rows = [np.stack([h + zero for h in row], axis=-1) for row in self._hessian(coords)]
        return np.stack(rows, axis=-2)


def _points(rows: ArrayLike, dim: int) -> Array:
    return np.asarray(rows, dtype=np.float64).reshape(-1, dim)


def polynomial_surface(
    key: str,
    name: str,
    description: str,
    formula: str,
    build: Callable[..., Poly],
    dim: int,
    bounds: ArrayLike,
    minima: ArrayLike,
    default_start: ArrayLike,
    *,
    log_color: bool = False,
    stationary: ArrayLike = (),
    name_template: str | None = None,
    name_values: Mapping[str, float] | None = None,
) -> Surface:
    """A surface from a polynomial expression ``build(x)`` / ``build(x, y)``.

    The gradient and Hessian are the exact term-by-term derivatives of the same polynomial.
    ``name_template`` and ``name_values``: see ``Surface``.
    """
    poly = build(*Poly.variables(dim))
    grads = [poly.derivative(i) for i in range(dim)]
    value_bundle = PolyBundle([poly])
    grad_bundle = PolyBundle(grads)
    both_bundle = PolyBundle([poly, *grads])
    hess_bundle = PolyBundle([g.derivative(j) for g in grads for j in range(dim)])

    def hessian(c: Coords) -> list[list[Array]]:
        flat = hess_bundle(*c)
        return [list(flat[i * dim : (i + 1) * dim]) for i in range(dim)]

    minima_arr = _points(minima, dim)
    return Surface(
        key=key,
        name=name,
        description=description,
        formula=formula,
        dim=dim,
        bounds=np.asarray(bounds, dtype=np.float64).reshape(dim, 2),
        minima=minima_arr,
        minima_values=poly(*minima_arr.T) if len(minima_arr) else np.empty(0),
        default_start=np.asarray(default_start, dtype=np.float64),
        _value=lambda c: value_bundle(*c)[0],
        _grad=lambda c: list(grad_bundle(*c)),
        _hessian=hessian,
        log_color=log_color,
        stationary=_points(stationary, dim),
        _value_and_grad=lambda c: both_bundle(*c),
        name_template=name_template,
        name_values=dict(name_values or {}),
    )
