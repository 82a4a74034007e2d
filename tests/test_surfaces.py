"""Loss surfaces: analytic derivatives agree with finite differences, listed minima are minima."""

import math

import numpy as np
import pytest

from engine.polynomials import Poly
from engine.surfaces import SURFACES, SURFACES_1D, SURFACES_2D, ill_conditioned_quadratic
from tests.numeric import central_difference

KEYS = list(SURFACES)
REQUIRED_2D = {
    "rosenbrock", "banana", "beale", "himmelblau", "rastrigin", "ackley", "booth", "matyas",
    "three_hump_camel", "six_hump_camel", "goldstein_price", "levi13", "styblinski_tang",
    "mccormick", "ill_conditioned", "saddle", "monkey_saddle", "plateau",
}  # fmt: skip

# Values quoted in REFERENCE.md §4 (BFGS), to the digits quoted there.
REFERENCE_MINIMA = {
    "rosenbrock": ([1, 1], 0.0),
    "banana": ([1, 1 / 3], 0.0),
    "beale": ([3, 0.5], 0.0),
    "himmelblau": ([-2.805118, 3.131312], 0.0),
    "booth": ([1, 3], 0.0),
    "six_hump_camel": ([0.0898, -0.7126], -1.0316),
    "goldstein_price": ([0, -1], 3.0),
    "levi13": ([1, 1], 0.0),
    "styblinski_tang": ([-2.903534, -2.903534], -78.3323),
    "mccormick": ([-0.54719, -1.54719], -1.9132),
    "asymmetric_double_well": ([-1.035579], -1.305428),
}


def _random_points(surface, n=150, seed=0):
    rng = np.random.default_rng(seed)
    low, high = surface.bounds[:, 0], surface.bounds[:, 1]
    pts = low + (high - low) * rng.random((n, surface.dim))
    if not surface.smooth:  # keep away from the kink at the origin
        pts = pts[np.linalg.norm(pts, axis=-1) > 1e-2]
    return pts


def test_registry_has_the_required_surfaces():
    assert set(SURFACES_2D) >= REQUIRED_2D
    assert len(SURFACES_2D) >= 16
    assert len(SURFACES_1D) >= 6
    assert "asymmetric_double_well" in SURFACES_1D
    assert set(SURFACES_1D) | set(SURFACES_2D) == set(SURFACES)


@pytest.mark.parametrize("key", KEYS)
def test_metadata_is_consistent(key):
    s = SURFACES[key]
    assert s.key == key and s.name and s.description and s.formula
    assert s.bounds.shape == (s.dim, 2) and np.all(s.bounds[:, 0] < s.bounds[:, 1])
    assert s.minima.ndim == 2 and s.minima.shape[1] == s.dim
    assert s.minima_values.shape == (len(s.minima),)
    assert s.stationary.ndim == 2 and s.stationary.shape[1] == s.dim
    assert s.default_start.shape == (s.dim,)
    assert np.all(s.bounds[:, 0] <= s.default_start) and np.all(s.default_start <= s.bounds[:, 1])
    for point in s.minima:  # minima lie inside the plotting window
        assert np.all(s.bounds[:, 0] <= point) and np.all(point <= s.bounds[:, 1])
    assert np.isfinite(s.value(s.default_start))
    assert np.linalg.norm(s.grad(s.default_start)) > 1e-6  # a start that actually moves


@pytest.mark.parametrize("key", KEYS)
def test_shapes_are_vectorised_over_leading_axes(key):
    s = SURFACES[key]
    grid = _random_points(s, 24).reshape(2, 3, 4, s.dim)[:, :, :3] if s.smooth else None
    if grid is None:
        grid = np.full((2, 3, 3, s.dim), 0.7)
    assert s.value(grid).shape == (2, 3, 3)
    assert s.grad(grid).shape == (2, 3, 3, s.dim)
    assert s.hessian(grid).shape == (2, 3, 3, s.dim, s.dim)
    point = grid[1, 2, 0]
    assert s.value(point).shape == ()
    np.testing.assert_array_equal(s.value(grid)[1, 2, 0], s.value(point))
    np.testing.assert_array_equal(s.grad(grid)[1, 2, 0], s.grad(point))
    with pytest.raises(ValueError, match=r"\(\.\.\., " + str(s.dim) + r"\)"):
        s.value(np.zeros((3, s.dim + 1)))


@pytest.mark.parametrize("key", KEYS)
def test_gradient_matches_central_differences(key):
    s = SURFACES[key]
    pts = _random_points(s)
    h = 1e-6 * float(np.max(s.bounds[:, 1] - s.bounds[:, 0]))
    fd = central_difference(s.value, pts, h)
    g = s.grad(pts)
    scale = 1.0 + np.abs(g) + np.abs(s.value(pts))[:, None] * 1e-3
    assert np.max(np.abs(fd - g) / scale) < 1e-5


@pytest.mark.parametrize("key", KEYS)
def test_hessian_matches_central_differences_of_the_gradient(key):
    s = SURFACES[key]
    pts = _random_points(s, seed=1)
    h = 1e-6 * float(np.max(s.bounds[:, 1] - s.bounds[:, 0]))
    fd = central_difference(s.grad, pts, h)  # (n, dim, dim): fd[..., j, i] = ∂g_j/∂p_i
    H = s.hessian(pts)
    np.testing.assert_array_equal(H, np.swapaxes(H, -1, -2))
    scale = 1.0 + np.abs(H) + np.linalg.norm(s.grad(pts), axis=-1)[:, None, None] * 1e-3
    assert np.max(np.abs(fd - H) / scale) < 1e-5


@pytest.mark.parametrize("key", KEYS)
def test_listed_minima_are_minima_with_the_listed_values(key):
    s = SURFACES[key]
    for point, value in zip(s.minima, s.minima_values, strict=True):
        assert s.value(point) == pytest.approx(value, abs=1e-12)
        assert np.max(np.abs(s.grad(point))) < 1e-9
        # No nearby point is lower: a ring of points at three radii.
        angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        for radius in (1e-3, 1e-2, 5e-2):
            if s.dim == 1:
                ring = point + radius * np.array([[-1.0], [1.0]])
            else:
                ring = point + radius * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
            assert np.all(s.value(ring) >= value - 1e-12)


@pytest.mark.parametrize("key", KEYS)
def test_stationary_points_have_zero_gradient(key):
    s = SURFACES[key]
    for point in s.stationary:
        assert np.max(np.abs(s.grad(point))) < 1e-9


@pytest.mark.parametrize("key", [k for k in KEYS if len(SURFACES[k].minima)])
def test_first_listed_minimum_is_global_within_the_window(key):
    s = SURFACES[key]
    axes = [np.linspace(lo, hi, 401 if s.dim == 2 else 20001) for lo, hi in s.bounds]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    assert s.value(grid).min() >= s.minima_values[0] - 1e-9
    assert s.minima_values[0] == pytest.approx(s.minima_values.min())


@pytest.mark.parametrize("key", sorted(REFERENCE_MINIMA))
def test_minima_agree_with_the_reference(key):
    s = SURFACES[key]
    where, value = REFERENCE_MINIMA[key]
    distances = np.linalg.norm(s.minima - np.asarray(where), axis=-1)
    i = int(np.argmin(distances))
    assert distances[i] < 1e-4
    assert s.minima_values[i] == pytest.approx(value, abs=1e-4)


def test_reference_facts_on_named_points():
    himmelblau = SURFACES["himmelblau"]
    assert himmelblau.value(himmelblau.stationary[0]) == pytest.approx(181.617, abs=1e-3)
    well = SURFACES["asymmetric_double_well"]
    assert well.minima[1, 0] == pytest.approx(0.960150, abs=1e-6)
    assert well.minima_values[1] == pytest.approx(-0.705854, abs=1e-6)
    assert SURFACES["plateau"].value(np.zeros(2)) == -1.0
    # Matyas is a quadratic with condition number 25.
    eig = np.linalg.eigvalsh(SURFACES["matyas"].hessian(np.zeros(2)))
    assert eig[1] / eig[0] == pytest.approx(25.0)


def test_saddles_have_curvature_of_both_signs():
    eig = np.linalg.eigvalsh(SURFACES["saddle"].hessian(np.zeros(2)))
    np.testing.assert_allclose(eig, [-2.0, 2.0])
    np.testing.assert_array_equal(SURFACES["monkey_saddle"].hessian(np.zeros(2)), 0.0)


def test_plateau_series_and_closed_form_join_smoothly():
    s = SURFACES["plateau"]
    for r in (0.5 - 1e-9, 0.5 + 1e-9, 1e-8, 0.0):
        p = np.array([r, 0.0])
        exact = -math.sin(r) / r + 0.01 * r**2 if r else -1.0
        assert s.value(p) == pytest.approx(exact, rel=1e-14, abs=1e-15)
    below, above = np.array([0.5 - 1e-12, 0.0]), np.array([0.5 + 1e-12, 0.0])
    np.testing.assert_allclose(s.grad(below), s.grad(above), rtol=1e-11)
    np.testing.assert_allclose(s.hessian(below), s.hessian(above), rtol=1e-11)
    # At the centre the Hessian is (1/3 + 0.02)·I: the limit of h(r) + 0.02.
    np.testing.assert_allclose(s.hessian(np.zeros(2)), (1 / 3 + 0.02) * np.eye(2), rtol=1e-15)


def test_ill_conditioned_quadratic_has_the_requested_spectrum():
    s = ill_conditioned_quadratic(condition=50.0, angle_deg=30.0, lam_max=2.0)
    eigvals, eigvecs = np.linalg.eigh(s.hessian(np.array([0.3, -0.2])))
    np.testing.assert_allclose(eigvals, [2.0 / 50.0, 2.0], rtol=1e-12)
    long_axis = eigvecs[:, 0] * np.sign(eigvecs[0, 0])
    np.testing.assert_allclose(long_axis, [math.cos(math.pi / 6), math.sin(math.pi / 6)])
    for bad in ({"condition": 0.5}, {"lam_max": 0.0}, {"angle_deg": math.nan}):
        with pytest.raises(ValueError, match="must be"):
            ill_conditioned_quadratic(**bad)


def test_poly_algebra_is_exact():
    x, y = Poly.variables(2)
    p = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    pts = np.array([[0.3, -1.2], [2.0, 0.5]])
    xs, ys = pts.T
    np.testing.assert_allclose(p(xs, ys), (1 - xs) ** 2 + 100 * (ys - xs**2) ** 2, rtol=1e-15)
    np.testing.assert_allclose(
        p.derivative(0)(xs, ys), -2 * (1 - xs) - 400 * xs * (ys - xs**2), rtol=1e-15
    )
    np.testing.assert_allclose(p.derivative(1)(xs, ys), 200 * (ys - xs**2), rtol=1e-15)
    (t,) = Poly.variables(1)
    np.testing.assert_array_equal((t**3 / 3).derivative(0).derivative(0).c, [0.0, 2.0])
    with pytest.raises(ValueError, match="different numbers of variables"):
        _ = x + t
    with pytest.raises(ValueError, match="non-negative integers"):
        _ = x**-1


@pytest.mark.parametrize("key", KEYS)
def test_value_and_grad_in_one_call_agrees(key):
    s = SURFACES[key]
    pts = _random_points(s, 40).reshape(-1, 4, s.dim)
    value, grad = s.value_and_grad(pts)
    np.testing.assert_allclose(value, s.value(pts), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(grad, s.grad(pts), rtol=1e-13, atol=1e-13)
