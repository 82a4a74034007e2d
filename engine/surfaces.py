"""Analytic loss surfaces in one and two dimensions.

Contract::

    s = SURFACES["rosenbrock"]
    s.value(p)    # (..., dim) -> (...)
    s.grad(p)     # (..., dim) -> (..., dim)
    s.hessian(p)  # (..., dim) -> (..., dim, dim)

Every derivative is analytic: polynomial surfaces are written once as exact ``Poly`` objects and
differentiated term by term; the others (Rastrigin, Ackley, Lévi, McCormick, the plateau, |x|)
have their derivatives written out below. Each surface also carries what a lesson needs to
draw and explain it: plot ``bounds`` ``(dim, 2)``, the known ``minima`` ``(m, dim)`` with their
values (local minima included where a lesson needs them), other ``stationary`` points (saddles,
maxima), a ``default_start``, whether the contour needs a log colour scale, its formula in LaTeX
and a one-line description of what it teaches.

The minimizers below were polished with Newton's method on these exact derivatives and agree
with REFERENCE.md §4; the tests check that every listed point has zero gradient and the listed
value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.polynomials import Poly, PolyBundle

Array = NDArray[np.float64]
Coords = Sequence[Array]
ValueFn = Callable[[Coords], Array]
GradFn = Callable[[Coords], list[Array]]
HessFn = Callable[[Coords], list[list[Array]]]

TWO_PI = 2.0 * math.pi


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
) -> Surface:
    """A surface from a polynomial expression ``build(x)`` / ``build(x, y)``.

    The gradient and Hessian are the exact term-by-term derivatives of the same polynomial.
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
    )


# --------------------------------------------------------------------------- two dimensions


def _rastrigin_terms(
    x: Array,
) -> tuple[Array, Array, Array]:
    """φ(x) = 10 + x² − 10 cos 2πx and its first two derivatives (Rastrigin is Σ φ(xᵢ))."""
    value = 10.0 + x**2 - 10.0 * np.cos(TWO_PI * x)
    first = 2.0 * x + 10.0 * TWO_PI * np.sin(TWO_PI * x)
    second = 2.0 + 10.0 * TWO_PI**2 * np.cos(TWO_PI * x)
    return value, first, second


def _separable(
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


def _ackley_value(c: Coords) -> Array:
    x, y = c
    r = np.sqrt(0.5 * (x**2 + y**2))
    e = np.exp(0.5 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y)))
    return -20.0 * np.exp(-0.2 * r) - e + math.e + 20.0


def _ackley_radial(x: Array, y: Array) -> tuple[Array, Array]:
    """For the cone term −20·exp(−0.2r), r = √(½(x²+y²)): its gradient is a(r)·p with
    a = 2e^{−0.2r}/r, and its Hessian a·I + (a'(r)/(2r))·p pᵀ. Returns (a, a'/(2r)); both are
    set to 0 at r = 0, where the cone has no derivative (zero subgradient)."""
    r = np.sqrt(0.5 * (x**2 + y**2))
    safe = np.where(r > 0, r, 1.0)
    decay = np.exp(-0.2 * safe)
    a = 2.0 * decay / safe
    da = 2.0 * decay * (-0.2 / safe - 1.0 / safe**2)
    return np.where(r > 0, a, 0.0), np.where(r > 0, da / (2.0 * safe), 0.0)


def _ackley_grad(c: Coords) -> list[Array]:
    x, y = c
    a, _ = _ackley_radial(x, y)
    e = np.exp(0.5 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y)))
    return [a * x + math.pi * np.sin(TWO_PI * x) * e, a * y + math.pi * np.sin(TWO_PI * y) * e]


def _ackley_hessian(c: Coords) -> list[list[Array]]:
    x, y = c
    a, b = _ackley_radial(x, y)
    e = np.exp(0.5 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y)))
    sx, sy = np.sin(TWO_PI * x), np.sin(TWO_PI * y)
    hxx = a + b * x * x + math.pi * e * (TWO_PI * np.cos(TWO_PI * x) - math.pi * sx**2)
    hyy = a + b * y * y + math.pi * e * (TWO_PI * np.cos(TWO_PI * y) - math.pi * sy**2)
    hxy = b * x * y - math.pi**2 * sx * sy * e
    return [[hxx, hxy], [hxy, hyy]]


def _levi_value(c: Coords) -> Array:
    x, y = c
    return (
        np.sin(3 * math.pi * x) ** 2
        + (x - 1) ** 2 * (1 + np.sin(3 * math.pi * y) ** 2)
        + (y - 1) ** 2 * (1 + np.sin(2 * math.pi * y) ** 2)
    )


def _levi_grad(c: Coords) -> list[Array]:
    x, y = c
    pi = math.pi
    gx = 3 * pi * np.sin(6 * pi * x) + 2 * (x - 1) * (1 + np.sin(3 * pi * y) ** 2)
    gy = (
        (x - 1) ** 2 * 3 * pi * np.sin(6 * pi * y)
        + 2 * (y - 1) * (1 + np.sin(2 * pi * y) ** 2)
        + (y - 1) ** 2 * 2 * pi * np.sin(4 * pi * y)
    )
    return [gx, gy]


def _levi_hessian(c: Coords) -> list[list[Array]]:
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


def _mccormick_value(c: Coords) -> Array:
    x, y = c
    return np.sin(x + y) + (x - y) ** 2 - 1.5 * x + 2.5 * y + 1.0


def _mccormick_grad(c: Coords) -> list[Array]:
    x, y = c
    cos = np.cos(x + y)
    return [cos + 2 * (x - y) - 1.5, cos - 2 * (x - y) + 2.5]


def _mccormick_hessian(c: Coords) -> list[list[Array]]:
    x, y = c
    s = -np.sin(x + y)
    return [[s + 2.0, s - 2.0], [s - 2.0, s + 2.0]]


# Plateau: f = −sin(r)/r + 0.01 r². Radial, so ∇f = (h(r) + 0.02)·p and
# ∇²f = (h + 0.02)·I + (h'(r)/r)·p pᵀ with h = (sin r − r cos r)/r³. Both h and h'/r cancel
# catastrophically near r = 0, so there they come from their Taylor series:
# h = Σ_{n≥1} (−1)^{n+1} 2n r^{2n−2}/(2n+1)!,  h'/r = Σ_{n≥2} (−1)^{n+1} 2n(2n−2) r^{2n−4}/(2n+1)!.
_SERIES_RADIUS = 0.5
_SERIES_TERMS = 10


def _plateau_radial(r2: Array) -> tuple[Array, Array, Array]:
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


def _plateau_value(c: Coords) -> Array:
    x, y = c
    r2 = x**2 + y**2
    return _plateau_radial(r2)[0] + 0.01 * r2


def _plateau_grad(c: Coords) -> list[Array]:
    x, y = c
    _, h, _ = _plateau_radial(x**2 + y**2)
    return [(h + 0.02) * x, (h + 0.02) * y]


def _plateau_hessian(c: Coords) -> list[list[Array]]:
    x, y = c
    _, h, dh = _plateau_radial(x**2 + y**2)
    return [[h + 0.02 + dh * x * x, dh * x * y], [dh * x * y, h + 0.02 + dh * y * y]]


def ill_conditioned_quadratic(
    condition: float = 25.0, angle_deg: float = 30.0, lam_max: float = 1.0
) -> Surface:
    """f = ½(λ₁u² + λ₂v²) in coordinates (u, v) rotated by ``angle_deg`` from (x, y).

    λ₂ = ``lam_max`` and λ₁ = λ₂/κ with κ = ``condition``: gradient descent is stable for
    lr < 2/λ₂, converges at rate (κ−1)/(κ+1) at best, and zig-zags across the valley.
    """
    if not (math.isfinite(condition) and condition >= 1):
        raise ValueError(f"condition must be a finite number ≥ 1, got {condition!r}")
    if not (math.isfinite(lam_max) and lam_max > 0):
        raise ValueError(f"lam_max must be a finite number > 0, got {lam_max!r}")
    if not math.isfinite(angle_deg):
        raise ValueError(f"angle_deg must be finite, got {angle_deg!r}")
    theta = math.radians(angle_deg)
    lam_small = lam_max / condition
    ct, st = math.cos(theta), math.sin(theta)

    def build(x: Poly, y: Poly) -> Poly:
        u = ct * x + st * y
        v = -st * x + ct * y
        return 0.5 * (lam_small * u**2 + lam_max * v**2)

    # Start on the long axis's far end, nudged off it so the zig-zag shows.
    reach = 4.0
    start = reach * np.array([ct, st]) + 0.6 * np.array([-st, ct])
    return polynomial_surface(
        "ill_conditioned",
        f"Ill-conditioned valley (κ = {condition:g})",
        "A long, narrow valley: the step that is safe across it is tiny along it, so plain "
        "gradient descent zig-zags and crawls; momentum straightens the path.",
        r"f = \tfrac12(\lambda_1 u^2 + \lambda_2 v^2),\ \ (u, v) = R_\theta (x, y),\ "
        rf"\kappa = \lambda_2/\lambda_1 = {condition:g}",
        build,
        2,
        [[-5.0, 5.0], [-5.0, 5.0]],
        [[0.0, 0.0]],
        start,
    )


def _build_2d() -> list[Surface]:
    rastrigin = _separable(_rastrigin_terms)
    return [
        polynomial_surface(
            "rosenbrock",
            "Rosenbrock",
            "A curved, flat-bottomed valley: finding the valley is easy, following it to the "
            "minimum is slow without momentum or adaptive steps.",
            r"f = (1-x)^2 + 100\,(y-x^2)^2",
            lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
            2,
            [[-2.0, 2.0], [-1.0, 3.0]],
            [[1.0, 1.0]],
            [-1.2, 1.0],
            log_color=True,
        ),
        polynomial_surface(
            "banana",
            "Distill's banana",
            "The gentler banana of Distill's momentum article: a curved valley where momentum "
            "overshoots the bend and oscillates before it settles.",
            r"f = (1-x)^2 + 20\,(3y-x^2)^2",
            lambda x, y: (1 - x) ** 2 + 20 * (3 * y - x**2) ** 2,
            2,
            [[-2.0, 2.0], [-0.6, 1.6]],
            [[1.0, 1.0 / 3.0]],
            [-1.5, 1.2],
            log_color=True,
        ),
        polynomial_surface(
            "beale",
            "Beale",
            "Flat plateaus and steep walls with narrow valleys — the surface of Alec Radford's "
            "famous optimizer race.",
            r"f = (1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2",
            lambda x, y: (
                (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
            ),
            2,
            [[-4.5, 4.5], [-4.5, 4.5]],
            [[3.0, 0.5]],
            [1.0, 1.5],
            log_color=True,
        ),
        polynomial_surface(
            "himmelblau",
            "Himmelblau",
            "Four equally good minima: where you end up depends only on where you start.",
            r"f = (x^2+y-11)^2 + (x+y^2-7)^2",
            lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
            2,
            [[-5.0, 5.0], [-5.0, 5.0]],
            [
                [3.0, 2.0],
                [-2.805118086952745, 3.131312518250573],
                [-3.779310253377747, -3.283185991286170],
                [3.584428340330492, -1.848126526964404],
            ],
            [-0.3, -0.4],
            log_color=True,
            stationary=[[-0.270844590667348, -0.923038556479981]],
        ),
        Surface(
            "rastrigin",
            "Rastrigin",
            "A bowl covered in regular bumps: hundreds of local minima trap small steps; "
            "momentum and noise help to hop over them.",
            r"f = 20 + \sum_i \left(x_i^2 - 10\cos 2\pi x_i\right)",
            2,
            np.array([[-5.12, 5.12], [-5.12, 5.12]]),
            np.zeros((1, 2)),
            np.zeros(1),
            np.array([3.3, 2.6]),
            *rastrigin,
        ),
        Surface(
            "ackley",
            "Ackley",
            "A nearly flat, egg-crate plain around one deep, sharp hole in the middle.",
            r"f = -20e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
            2,
            np.array([[-5.0, 5.0], [-5.0, 5.0]]),
            np.zeros((1, 2)),
            np.zeros(1),
            np.array([2.6, 3.3]),
            _ackley_value,
            _ackley_grad,
            _ackley_hessian,
            smooth=False,
        ),
        polynomial_surface(
            "booth",
            "Booth",
            "A tilted, moderately stretched bowl: a friendly first race where every optimizer "
            "arrives.",
            r"f = (x+2y-7)^2 + (2x+y-5)^2",
            lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
            2,
            [[-10.0, 10.0], [-10.0, 10.0]],
            [[1.0, 3.0]],
            [-7.0, -6.0],
            log_color=True,
        ),
        polynomial_surface(
            "matyas",
            "Matyas",
            "A very flat, diagonal valley (condition number 25): gradient descent slows to a "
            "crawl along its floor.",
            r"f = 0.26(x^2+y^2) - 0.48xy",
            lambda x, y: 0.26 * (x**2 + y**2) - 0.48 * x * y,
            2,
            [[-10.0, 10.0], [-10.0, 10.0]],
            [[0.0, 0.0]],
            [8.0, -3.0],
        ),
        polynomial_surface(
            "three_hump_camel",
            "Three-hump camel",
            "One global minimum between two shallower local ones: a start on the side decides "
            "which you find.",
            r"f = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2",
            lambda x, y: 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2,
            2,
            [[-2.5, 2.5], [-2.5, 2.5]],
            [
                [0.0, 0.0],
                [-1.747552345830289, 0.873776172915145],
                [1.747552345830289, -0.873776172915145],
            ],
            [2.0, 1.5],
            stationary=[
                [-1.07054229182366, 0.53527114591183],
                [1.07054229182366, -0.53527114591183],
            ],
        ),
        polynomial_surface(
            "six_hump_camel",
            "Six-hump camel",
            "Two global minima mirrored through the origin, surrounded by local ones.",
            r"f = (4 - 2.1x^2 + x^4/3)x^2 + xy + (4y^2 - 4)y^2",
            lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
            2,
            [[-2.0, 2.0], [-1.2, 1.2]],
            [[0.089842013100318, -0.71265640302074], [-0.089842013100318, 0.71265640302074]],
            [-1.5, 0.9],
        ),
        polynomial_surface(
            "goldstein_price",
            "Goldstein–Price",
            "Values from 3 to a million: only a log colour scale shows its shape, and only "
            "adaptive steps cope with gradients that vary this much.",
            r"f = [1 + (x+y+1)^2(19-14x+3x^2-14y+6xy+3y^2)]"
            r"\,[30 + (2x-3y)^2(18-32x+12x^2+48y-36xy+27y^2)]",
            lambda x, y: (
                (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2))
                * (
                    30
                    + (2 * x - 3 * y) ** 2
                    * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
                )
            ),
            2,
            [[-2.0, 2.0], [-2.0, 2.0]],
            [[0.0, -1.0]],
            [-1.2, 1.2],
            log_color=True,
        ),
        Surface(
            "levi13",
            "Lévi N.13",
            "Ripples in two directions at different frequencies on top of a tilted bowl.",
            r"f = \sin^2 3\pi x + (x-1)^2(1+\sin^2 3\pi y) + (y-1)^2(1+\sin^2 2\pi y)",
            2,
            np.array([[-4.0, 6.0], [-4.0, 6.0]]),
            np.ones((1, 2)),
            np.zeros(1),
            np.array([-3.0, 4.5]),
            _levi_value,
            _levi_grad,
            _levi_hessian,
        ),
        polynomial_surface(
            "styblinski_tang",
            "Styblinski–Tang",
            "Four basins of different depths: only one of them holds the global minimum.",
            r"f = \tfrac12 \sum_i (x_i^4 - 16x_i^2 + 5x_i)",
            lambda x, y: 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y),
            2,
            [[-5.0, 5.0], [-5.0, 5.0]],
            [
                [-2.903534027771177, -2.903534027771177],
                [2.746802770990837, -2.903534027771177],
                [-2.903534027771177, 2.746802770990837],
                [2.746802770990837, 2.746802770990837],
            ],
            [0.5, 4.5],
        ),
        Surface(
            "mccormick",
            "McCormick",
            "A tilted trough with a gentle wave along it.",
            r"f = \sin(x+y) + (x-y)^2 - 1.5x + 2.5y + 1",
            2,
            np.array([[-1.5, 4.0], [-3.0, 4.0]]),
            np.array([[-0.547197551196598, -1.547197551196598]]),
            np.array(
                [_mccormick_value([np.array(-0.547197551196598), np.array(-1.547197551196598)])]
            ),
            np.array([3.5, 3.0]),
            _mccormick_value,
            _mccormick_grad,
            _mccormick_hessian,
        ),
        ill_conditioned_quadratic(),
        polynomial_surface(
            "saddle",
            "Saddle",
            "Downhill only along y: started near the ridge, gradient descent slows almost to a "
            "stop at the saddle point before it escapes; noise and momentum escape sooner.",
            r"f = x^2 - y^2",
            lambda x, y: x**2 - y**2,
            2,
            [[-2.0, 2.0], [-2.0, 2.0]],
            [],
            [-1.9, 0.01],
            stationary=[[0.0, 0.0]],
        ),
        polynomial_surface(
            "monkey_saddle",
            "Monkey saddle",
            "A saddle with three valleys (room for a monkey's tail): the gradient and the "
            "curvature both vanish at the centre.",
            r"f = x^3 - 3xy^2",
            lambda x, y: x**3 - 3 * x * y**2,
            2,
            [[-1.5, 1.5], [-1.5, 1.5]],
            [],
            [1.2, 0.05],
            stationary=[[0.0, 0.0]],
        ),
        Surface(
            "plateau",
            "Plateau",
            "Far from the centre the ground is almost flat and rippled: gradients are tiny, so "
            "plain steps stall in a ring while adaptive methods keep moving.",
            r"f = -\frac{\sin r}{r} + 0.01\,r^2,\quad r = \sqrt{x^2+y^2}",
            2,
            np.array([[-15.0, 15.0], [-15.0, 15.0]]),
            np.zeros((1, 2)),
            np.array([-1.0]),
            np.array([9.0, 7.0]),
            _plateau_value,
            _plateau_grad,
            _plateau_hessian,
        ),
    ]


# --------------------------------------------------------------------------- one dimension


def _abs_value(c: Coords) -> Array:
    return np.abs(c[0])


def _abs_grad(c: Coords) -> list[Array]:
    return [np.sign(c[0])]


def _abs_hessian(c: Coords) -> list[list[Array]]:
    return [[np.zeros_like(c[0])]]


def _build_1d() -> list[Surface]:
    rastrigin = _separable(_rastrigin_terms)
    return [
        polynomial_surface(
            "quadratic_1d",
            "Quadratic bowl",
            "The simplest loss: gradient descent converges for lr·λ < 2, oscillates for "
            "1 < lr·λ < 2 and blows up beyond.",
            r"f = \tfrac12 \lambda x^2,\ \lambda = 1",
            lambda x: 0.5 * x**2,
            1,
            [[-3.0, 3.0]],
            [[0.0]],
            [2.5],
        ),
        polynomial_surface(
            "asymmetric_double_well",
            "Rolling ball: asymmetric double well",
            "A shallow local minimum next to a deeper global one: small steps stop in the first "
            "valley; with momentum the ball rolls through it and on to the global minimum.",
            r"f = x^4 - 2x^2 + 0.3x",
            lambda x: x**4 - 2 * x**2 + 0.3 * x,
            1,
            [[-2.0, 2.0]],
            [[-1.035578714088854], [0.960149555519106]],
            [1.9],
            stationary=[[0.075429158569748]],
        ),
        polynomial_surface(
            "double_well",
            "Symmetric double well",
            "Two equal minima with a hump between: the start decides the winner.",
            r"f = (x^2 - 1)^2",
            lambda x: (x**2 - 1) ** 2,
            1,
            [[-2.0, 2.0]],
            [[-1.0], [1.0]],
            [0.3],
            stationary=[[0.0]],
        ),
        Surface(
            "rastrigin_1d",
            "Bumpy bowl (1-D Rastrigin)",
            "A bowl with a local minimum near every integer: a small step gets stuck in the "
            "nearest one.",
            r"f = 10 + x^2 - 10\cos 2\pi x",
            1,
            np.array([[-5.12, 5.12]]),
            np.zeros((1, 1)),
            np.zeros(1),
            np.array([3.2]),
            *rastrigin,
        ),
        Surface(
            "abs_1d",
            "Absolute value",
            "A kink instead of a bowl: the gradient is ±1 everywhere, so a fixed step never "
            "settles — it bounces around the minimum until the learning rate decays.",
            r"f = |x|",
            1,
            np.array([[-3.0, 3.0]]),
            np.zeros((1, 1)),
            np.zeros(1),
            np.array([2.35]),
            _abs_value,
            _abs_grad,
            _abs_hessian,
            smooth=False,
        ),
        polynomial_surface(
            "quartic_1d",
            "Flat-bottomed bowl",
            "f = x⁴: the gradient vanishes faster than the loss near the minimum, so plain "
            "gradient descent crawls while adaptive optimizers keep their pace.",
            r"f = x^4",
            lambda x: x**4,
            1,
            [[-2.0, 2.0]],
            [[0.0]],
            [1.5],
        ),
    ]


def _registry() -> dict[str, Surface]:
    surfaces = _build_2d() + _build_1d()
    registry = {s.key: s for s in surfaces}
    if len(registry) != len(surfaces):
        raise RuntimeError("duplicate surface keys")
    return registry


SURFACES: dict[str, Surface] = _registry()
SURFACES_2D: tuple[str, ...] = tuple(k for k, s in SURFACES.items() if s.dim == 2)
SURFACES_1D: tuple[str, ...] = tuple(k for k, s in SURFACES.items() if s.dim == 1)
