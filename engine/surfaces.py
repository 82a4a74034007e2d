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

import numpy as np
from numpy.typing import NDArray

from engine import surface_formulas as formulas
from engine.polynomials import Poly
from engine.surface_model import Surface, polynomial_surface
from i18n import N_

Array = NDArray[np.float64]


# --------------------------------------------------------------------------- two dimensions


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
    name = N_("Ill-conditioned valley (κ = {kappa})")
    return polynomial_surface(
        "ill_conditioned",
        name.format(kappa=f"{condition:g}"),
        N_(
            "A long, narrow valley: the step that is safe across it is tiny along it, so plain "
            "gradient descent zig-zags and crawls; momentum straightens the path."
        ),
        r"f = \tfrac12(\lambda_1 u^2 + \lambda_2 v^2),\ \ (u, v) = R_\theta (x, y),\ "
        rf"\kappa = \lambda_2/\lambda_1 = {condition:g}",
        build,
        2,
        [[-5.0, 5.0], [-5.0, 5.0]],
        [[0.0, 0.0]],
        start,
        name_template=name,
        name_values={"kappa": float(condition)},
    )


def _build_2d() -> list[Surface]:
    rastrigin = formulas.separable(formulas.rastrigin_terms)
    return [
        polynomial_surface(
            "rosenbrock",
            N_("Rosenbrock"),
            N_(
                "A curved, flat-bottomed valley: finding the valley is easy, following it to the "
                "minimum is slow without momentum or adaptive steps."
            ),
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
            N_("Distill's banana"),
            N_(
                "The gentler banana of Distill's momentum article: a curved valley where momentum "
                "overshoots the bend and oscillates before it settles."
            ),
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
            N_("Beale"),
            N_(
                "Flat plateaus and steep walls with narrow valleys — the surface of Alec Radford's "
                "famous optimizer race."
            ),
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
            N_("Himmelblau"),
            N_("Four equally good minima: where you end up depends only on where you start."),
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
            N_("Rastrigin"),
            N_(
                "A bowl covered in regular bumps: hundreds of local minima trap small steps; "
                "momentum and noise help to hop over them."
            ),
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
            N_("Ackley"),
            N_("A nearly flat, egg-crate plain around one deep, sharp hole in the middle."),
            r"f = -20e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
            2,
            np.array([[-5.0, 5.0], [-5.0, 5.0]]),
            np.zeros((1, 2)),
            np.zeros(1),
            np.array([2.6, 3.3]),
            formulas.ackley_value,
            formulas.ackley_grad,
            formulas.ackley_hessian,
            smooth=False,
        ),
        polynomial_surface(
            "booth",
            N_("Booth"),
            N_(
                "A tilted, moderately stretched bowl: a friendly first race where every optimizer "
                "arrives."
            ),
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
            N_("Matyas"),
            N_(
                "A very flat, diagonal valley (condition number 25): gradient descent slows to a "
                "crawl along its floor."
            ),
            r"f = 0.26(x^2+y^2) - 0.48xy",
            lambda x, y: 0.26 * (x**2 + y**2) - 0.48 * x * y,
            2,
            [[-10.0, 10.0], [-10.0, 10.0]],
            [[0.0, 0.0]],
            [8.0, -3.0],
        ),
        polynomial_surface(
            "three_hump_camel",
            N_("Three-hump camel"),
            N_(
                "One global minimum between two shallower local ones: a start on the side decides "
                "which you find."
            ),
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
            N_("Six-hump camel"),
            N_("Two global minima mirrored through the origin, surrounded by local ones."),
            r"f = (4 - 2.1x^2 + x^4/3)x^2 + xy + (4y^2 - 4)y^2",
            lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
            2,
            [[-2.0, 2.0], [-1.2, 1.2]],
            [[0.089842013100318, -0.71265640302074], [-0.089842013100318, 0.71265640302074]],
            [-1.5, 0.9],
        ),
        polynomial_surface(
            "goldstein_price",
            N_("Goldstein–Price"),
            N_(
                "Values from 3 to a million: only a log colour scale shows its shape, and only "
                "adaptive steps cope with gradients that vary this much."
            ),
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
            N_("Lévi N.13"),
            N_("Ripples in two directions at different frequencies on top of a tilted bowl."),
            r"f = \sin^2 3\pi x + (x-1)^2(1+\sin^2 3\pi y) + (y-1)^2(1+\sin^2 2\pi y)",
            2,
            np.array([[-4.0, 6.0], [-4.0, 6.0]]),
            np.ones((1, 2)),
            np.zeros(1),
            np.array([-3.0, 4.5]),
            formulas.levi_value,
            formulas.levi_grad,
            formulas.levi_hessian,
        ),
        polynomial_surface(
            "styblinski_tang",
            N_("Styblinski–Tang"),
            N_("Four basins of different depths: only one of them holds the global minimum."),
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
            N_("McCormick"),
            N_("A tilted trough with a gentle wave along it."),
            r"f = \sin(x+y) + (x-y)^2 - 1.5x + 2.5y + 1",
            2,
            np.array([[-1.5, 4.0], [-3.0, 4.0]]),
            np.array([[-0.547197551196598, -1.547197551196598]]),
            np.array(
                [
                    formulas.mccormick_value(
                        [np.array(-0.547197551196598), np.array(-1.547197551196598)]
                    )
                ]
            ),
            np.array([3.5, 3.0]),
            formulas.mccormick_value,
            formulas.mccormick_grad,
            formulas.mccormick_hessian,
        ),
        ill_conditioned_quadratic(),
        polynomial_surface(
            "saddle",
            N_("Saddle"),
            N_(
                "Downhill only along y: started near the ridge, gradient descent slows almost to a "
                "stop at the saddle point before it escapes; noise and momentum escape sooner."
            ),
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
            N_("Monkey saddle"),
            N_(
                "A saddle with three valleys (room for a monkey's tail): the gradient and the "
                "curvature both vanish at the centre."
            ),
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
            N_("Plateau"),
            N_(
                "Far from the centre the ground is almost flat and rippled: gradients are tiny, so "
                "plain steps stall in a ring while adaptive methods keep moving."
            ),
            r"f = -\frac{\sin r}{r} + 0.01\,r^2,\quad r = \sqrt{x^2+y^2}",
            2,
            np.array([[-15.0, 15.0], [-15.0, 15.0]]),
            np.zeros((1, 2)),
            np.array([-1.0]),
            np.array([9.0, 7.0]),
            formulas.plateau_value,
            formulas.plateau_grad,
            formulas.plateau_hessian,
        ),
    ]


# --------------------------------------------------------------------------- one dimension


def _build_1d() -> list[Surface]:
    rastrigin = formulas.separable(formulas.rastrigin_terms)
    return [
        polynomial_surface(
            "quadratic_1d",
            N_("Quadratic bowl"),
            N_(
                "The simplest loss: gradient descent converges for lr·λ < 2, oscillates for "
                "1 < lr·λ < 2 and blows up beyond."
            ),
            r"f = \tfrac12 \lambda x^2,\ \lambda = 1",
            lambda x: 0.5 * x**2,
            1,
            [[-3.0, 3.0]],
            [[0.0]],
            [2.5],
        ),
        polynomial_surface(
            "asymmetric_double_well",
            N_("Rolling ball: asymmetric double well"),
            N_(
                "A shallow local minimum next to a deeper global one: small steps stop in the "
                "first valley; with momentum the ball rolls through it and on to the global "
                "minimum."
            ),
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
            N_("Symmetric double well"),
            N_("Two equal minima with a hump between: the start decides the winner."),
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
            N_("Bumpy bowl (1-D Rastrigin)"),
            N_(
                "A bowl with a local minimum near every integer: a small step gets stuck in the "
                "nearest one."
            ),
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
            N_("Absolute value"),
            N_(
                "A kink instead of a bowl: the gradient is ±1 everywhere, so a fixed step never "
                "settles — it bounces around the minimum until the learning rate decays."
            ),
            r"f = |x|",
            1,
            np.array([[-3.0, 3.0]]),
            np.zeros((1, 1)),
            np.zeros(1),
            np.array([2.35]),
            formulas.abs_value,
            formulas.abs_grad,
            formulas.abs_hessian,
            smooth=False,
        ),
        polynomial_surface(
            "quartic_1d",
            N_("Flat-bottomed bowl"),
            N_(
                "f = x⁴: the gradient vanishes faster than the loss near the minimum, so plain "
                "gradient descent crawls while adaptive optimizers keep their pace."
            ),
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
