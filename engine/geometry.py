"""A narrow network as a chain of geometric maps of the plane ("uncrumpling the paper ball").

With hidden layers of 2 units (or 3) every layer's output is again a plane (or a 3-D space),
so a layer z_l = a_{l−1} W_l + b_l, a_l = act(z_l) can be drawn as three moves of the data:
the linear map a_{l−1} W_l (rotate, stretch, shear, flip), the shift + b_l, and the
activation (tanh and sigmoid bend, relu folds). The output unit then makes one straight cut
h·w + b = 0 through the last hidden layer's output h. Contract:

* ``check_geometry_spec(spec)`` raises ValueError (quoting the value) unless the network is
  one the lesson can draw: 2 inputs, 1 … 6 hidden layers all of width 2 or all of width 3,
  one output unit (``sigmoid_bce``, ``tanh_mse`` or ``hinge``), activation tanh, relu,
  leaky_relu or sigmoid.
* ``input_grid(extent, lines, samples)`` is the reference grid ``(2·lines, samples, 2)``:
  ``lines`` vertical then ``lines`` horizontal polylines across ``extent``, each densely
  sampled so that it bends when mapped.
* ``stages(spec, params, X, y, grid)`` maps the points and the grid through the network, one
  ``Stage`` per move: the input, then per hidden layer "linear", "shift", "activation"
  (1 + 3L stages). It uses ``engine.nn``'s own operations, so the last stage's points are
  ``forward(spec, params[None], X).post[-1][0]`` bit for bit. Every stage carries the
  separability of its points (``fit_linear_cut``).
* ``output_cut(spec, params)`` is the output unit's cut (w ``(d,)``, b): logit z = h·w + b.
* ``cut_segment(w, b, box)`` is the part of the line h·w + b = 0 inside a box, or None.
* ``fit_linear_cut(points, labels)`` fits L2-regularised logistic regression by Newton's
  method and returns (accuracy of its straight cut, w, b): how linearly separable the points
  are. Deterministic; NaN accuracy (never an exception) for non-finite points.
* ``logit_grid(spec, params, axes)`` is the output logit over the input plane ``(G_y, G_x)``:
  its zero contour, the decision boundary, is the output's straight cut pulled back through
  the layers.
* ``train_snapshots(spec, data, ...)`` trains one network with ``engine.training.train`` and
  returns its parameters at evenly spaced frames, for scrubbing through training.

Everything is pure NumPy: no input is changed, nothing is random except through seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.datasets import Dataset
from engine.nn import MLPSpec, activate, forward, unflatten
from engine.optimizers import OPTIMIZERS
from engine.training import TrainRun, train
from i18n import N_, Problem

Array = NDArray[np.float64]

STAGE_KINDS = ("input", "linear", "shift", "activation")
GEOMETRY_ACTIVATIONS = ("tanh", "relu", "leaky_relu", "sigmoid")
GEOMETRY_OUTPUTS = ("sigmoid_bce", "tanh_mse", "hinge")
GEOMETRY_WIDTHS = (2, 3)
GEOMETRY_MAX_DEPTH = 6
# A direction whose variance, in units of the largest |coordinate|², is below this is flat.
_RANK_TOL = 1e-20
# Keeps the Newton system solvable when every point is fitted and p(1 − p) → 0.
_HESSIAN_JITTER = 1e-12


class Stage(NamedTuple):
    """The data and the reference grid after one move of the network.

    Attributes:
        kind: one of ``STAGE_KINDS``.
        layer: 0 for the input, l = 1 … L for the moves of hidden layer l.
        points: ``(n, d)`` the data points (d = 2 at the input, the layer's width after it).
        grid: ``(lines, samples, d)`` the reference grid's polylines mapped the same way.
        separability: accuracy of the best straight cut through ``points``, as
            ``fit_linear_cut`` measures it; NaN if a point is not finite.
    """

    kind: str
    layer: int
    points: Array
    grid: Array
    separability: float


def check_geometry_spec(spec: MLPSpec) -> None:
    """Refuse networks whose layers are not planes (or 3-D spaces) the lesson can draw.

    Raises:
        ValueError: not 2 inputs; not 1 … 6 hidden layers of one width, 2 or 3; not one output
            unit of ``sigmoid_bce``, ``tanh_mse`` or ``hinge``; an activation other than tanh,
            relu, leaky_relu or sigmoid. The message quotes the value.
    """
    if spec.n_inputs != 2:
        raise Problem(N_("the geometry lesson needs 2 inputs (the plane), got {n_inputs}"),
                      n_inputs=spec.n_inputs)  # fmt: skip
    if not 1 <= len(spec.hidden) <= GEOMETRY_MAX_DEPTH:
        raise Problem(
            N_("the geometry lesson needs 1 to {most} hidden layers, got {layers} "
               "(hidden={hidden})"),
            most=GEOMETRY_MAX_DEPTH, layers=len(spec.hidden), hidden=spec.hidden,
        )  # fmt: skip
    if len(set(spec.hidden)) != 1 or spec.hidden[0] not in GEOMETRY_WIDTHS:
        raise Problem(
            N_("the geometry lesson needs hidden layers all of width 2 or all of width 3, "
               "got hidden={hidden}"),
            hidden=spec.hidden,
        )  # fmt: skip
    if spec.output not in GEOMETRY_OUTPUTS or spec.n_outputs != 1:
        raise Problem(
            N_("the geometry lesson needs one output unit, one of {outputs}, got "
               "output={output} with n_outputs={n_outputs}"),
            outputs=GEOMETRY_OUTPUTS, output=repr(spec.output), n_outputs=spec.n_outputs,
        )  # fmt: skip
    if spec.activation not in GEOMETRY_ACTIVATIONS:
        raise Problem(
            N_("the geometry lesson draws the activations {activations}, got {activation}"),
            activations=GEOMETRY_ACTIVATIONS,
            activation=repr(spec.activation),
        )


def input_grid(extent: Sequence[float], lines: int = 13, samples: int = 49) -> Array:
    """The reference grid over the input plane, as polylines.

    Line i < ``lines`` is vertical, x = x_i, y running over ``samples`` values from ymin to
    ymax; line ``lines`` + j is horizontal, y = y_j, x running from xmin to xmax (x_i and y_j
    evenly spaced, ends included). Dense samples let a line bend when a layer maps it.

    Args:
        extent: (xmin, xmax, ymin, ymax), finite, xmin < xmax and ymin < ymax.
        lines: polylines per direction, ≥ 2.
        samples: points per polyline, ≥ 2.

    Returns:
        ``(2·lines, samples, 2)``.

    Raises:
        ValueError: a bad extent or count (quoted).
    """
    xmin, xmax, ymin, ymax = (float(v) for v in extent)
    if not (all(map(math.isfinite, (xmin, xmax, ymin, ymax))) and xmin < xmax and ymin < ymax):
        raise ValueError(
            f"extent must be finite (xmin, xmax, ymin, ymax) with min < max, got {extent}"
        )
    if lines < 2 or samples < 2:
        raise ValueError(f"lines and samples must be ≥ 2, got lines={lines}, samples={samples}")
    xs_lines, ys_lines = np.linspace(xmin, xmax, lines), np.linspace(ymin, ymax, lines)
    xs_dense, ys_dense = np.linspace(xmin, xmax, samples), np.linspace(ymin, ymax, samples)
    vertical = np.stack(np.broadcast_arrays(xs_lines[:, None], ys_dense[None, :]), axis=-1)
    horizontal = np.stack(np.broadcast_arrays(xs_dense[None, :], ys_lines[:, None]), axis=-1)
    return np.concatenate([vertical, horizontal])  # (2·lines, samples, 2)


def stages(
    spec: MLPSpec, params: ArrayLike, X: ArrayLike, y: ArrayLike, grid: ArrayLike
) -> list[Stage]:
    """The points and the grid after every move of every hidden layer.

    Stage 0 is the input a_0 = X; hidden layer l then gives three stages:
    linear a_{l−1} W_l, shift a_{l−1} W_l + b_l = z_l, activation a_l = act(z_l). The products
    and sums are ``engine.nn.forward``'s own (one network as a batch of one), so the last
    stage's points equal ``forward(spec, params[None], X).post[-1][0]`` bit for bit.

    Args:
        spec: a network ``check_geometry_spec`` accepts.
        params: ``(P,)`` one network's flat parameters.
        X: ``(n, 2)`` input points.
        y: ``(n,)`` their labels, 0 or 1.
        grid: ``(lines, samples, 2)`` polylines in the input plane (``input_grid``).

    Returns:
        1 + 3L ``Stage`` s, input first.

    Raises:
        ValueError: a spec the lesson cannot draw, or shapes that do not fit.
    """
    check_geometry_spec(spec)
    theta = np.asarray(params, dtype=np.float64)
    points = np.array(X, dtype=np.float64)  # copies: the stages never alias the caller's arrays
    labels = np.asarray(y, dtype=np.float64)
    lines = np.array(grid, dtype=np.float64)
    if theta.shape != (spec.n_params,):
        raise ValueError(f"params must be ({spec.n_params},), got {theta.shape}")
    if points.ndim != 2 or points.shape[1] != 2 or labels.shape != (len(points),):
        raise ValueError(f"X must be (n, 2) and y (n,), got {points.shape} and {labels.shape}")
    if lines.ndim != 3 or lines.shape[2] != 2:
        raise ValueError(f"grid must be (lines, samples, 2), got {lines.shape}")
    n_lines, n_samples, _ = lines.shape

    def stage(kind: str, layer: int, moved: Array, moved_grid: Array) -> Stage:
        separability = fit_linear_cut(moved[0], labels)[0]
        return Stage(
            kind, layer, moved[0], moved_grid[0].reshape(n_lines, n_samples, -1), separability
        )

    # The points go through exactly forward's operations on the same (1, n, 2) batch; the grid
    # goes through the same operations as a batch of its own.
    a, g = points[None], lines.reshape(1, -1, 2)  # (1, n, 2), (1, lines·samples, 2)
    out = [stage("input", 0, a, g)]
    hidden = unflatten(spec, theta[None])[:-1]  # the output layer is a cut, not a move
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged network is data: NaN
        for layer, (W, b) in enumerate(hidden, start=1):
            linear, linear_g = np.matmul(a, W), np.matmul(g, W)  # a_{l−1} W_l  (1, ·, width)
            shifted, shifted_g = linear + b[:, None, :], linear_g + b[:, None, :]  # z_l
            a, g = activate(spec.activation, shifted), activate(spec.activation, shifted_g)
            out += [
                stage("linear", layer, linear, linear_g),
                stage("shift", layer, shifted, shifted_g),
                stage("activation", layer, a, g),
            ]
    return out


def output_cut(spec: MLPSpec, params: ArrayLike) -> tuple[Array, float]:
    """The output unit's straight cut through the last hidden layer's output.

    The logit is z = h·w + b for the last hidden output h ``(d,)``, so the cut is the line
    (d = 2) or plane (d = 3) h·w + b = 0, class 1 where z > 0.

    Args:
        spec: a network ``check_geometry_spec`` accepts.
        params: ``(P,)`` one network.

    Returns:
        (w ``(d,)`` — the output layer's weights W_L[:, 0], b = b_L[0]).
    """
    check_geometry_spec(spec)
    theta = np.asarray(params, dtype=np.float64)
    if theta.shape != (spec.n_params,):
        raise ValueError(f"params must be ({spec.n_params},), got {theta.shape}")
    W, b = unflatten(spec, theta[None])[-1]  # (1, d, 1), (1, 1)
    return W[0, :, 0].copy(), float(b[0, 0])


def cut_segment(w: ArrayLike, b: float, box: Sequence[float]) -> Array | None:
    """The part of the line h·w + b = 0 inside ``box``, by Liang–Barsky clipping.

    The line is p(t) = p₀ + t·u with p₀ = −b·w/‖w‖² (its point nearest the origin) and
    u = (−w₂, w₁); each axis keeps the t with min ≤ p(t) ≤ max, and the segment is the
    intersection of those ranges. A zero component of w gives an axis-parallel line.

    Args:
        w: ``(2,)`` the normal of the line.
        b: the offset.
        box: (xmin, xmax, ymin, ymax).

    Returns:
        ``(2, 2)`` the two endpoints (rows), or None when the line misses the box, w = 0 (no
        line) or a value is not finite.
    """
    normal = np.asarray(w, dtype=np.float64)
    if normal.shape != (2,):
        raise ValueError(
            f"cut_segment draws a line in the plane: w must be (2,), got {normal.shape}"
        )
    low = np.array([box[0], box[2]], dtype=np.float64)
    high = np.array([box[1], box[3]], dtype=np.float64)
    if not (np.all(np.isfinite(normal)) and math.isfinite(b)) or not np.any(normal):
        return None
    # Scale so that ‖w‖ = 1 before squaring: no overflow or underflow for huge or tiny w.
    size = float(np.max(np.abs(normal)))
    unit, offset = normal / size, b / size
    unit_norm = float(np.hypot(*unit))
    unit, offset = unit / unit_norm, offset / unit_norm
    origin = -offset * unit  # (2,) the line's point nearest (0, 0)
    direction = np.array([-unit[1], unit[0]])
    t_lo, t_hi = -math.inf, math.inf
    for axis in range(2):
        if direction[axis] == 0.0:  # parallel to this axis' slab: inside it or not at all
            if not low[axis] <= origin[axis] <= high[axis]:
                return None
            continue
        t1 = (low[axis] - origin[axis]) / direction[axis]
        t2 = (high[axis] - origin[axis]) / direction[axis]
        t_lo, t_hi = max(t_lo, min(t1, t2)), min(t_hi, max(t1, t2))
    if not t_lo <= t_hi:
        return None
    ends = origin + np.array([[t_lo], [t_hi]]) * direction  # (2, 2)
    return np.clip(ends, low, high)  # rounding must not put an end outside the box


def fit_linear_cut(
    points: ArrayLike, labels: ArrayLike, *, l2: float = 1e-3, iterations: int = 30
) -> tuple[float, Array, float]:
    """How linearly separable the points are: the accuracy of a fitted straight cut.

    Logistic regression, p_i = σ(x_i·w + b), minimising
    J = (1/n)·Σ_i [log(1 + e^{z_i}) − y_i z_i] + (λ/2)‖u‖², z_i = x̃_i·u + c,
    in whitened coordinates x̃ = (x − μ)·V Λ^{−½} (V, Λ the eigenvectors and eigenvalues of the
    points' covariance; directions with no spread are dropped). Newton's method (IRLS),
    θ ← θ − t·H⁻¹∇J with H = Ãᵀ diag(p(1 − p)) Ã / n + λ·I_u and t halved until J decreases
    enough (Armijo), from u = 0 and c = logit(share of class 1). The L2 term on u (not on the
    bias) keeps the weights finite when the classes are separable. Whitening conditions the
    system and makes the measurement affine invariant: points mapped by an invertible affine
    map (a layer's W and + b) have the same separability, which is what the lesson shows.

    Args:
        points: ``(n, d)`` any d ≥ 1.
        labels: ``(n,)`` 0 or 1.
        l2: λ > 0 on the whitened weights.
        iterations: Newton steps at most (fewer once the Newton decrement vanishes).

    Returns:
        (accuracy ∈ [0, 1] of [x·w + b > 0] against the labels, w ``(d,)``, b) with w, b in the
        points' own coordinates (the accuracy is evaluated in the whitened frame: the same
        cut, without the rounding of huge coordinates). All one class: accuracy 1, w = 0,
        b = ±1. A non-finite point or no points: NaN accuracy, NaN w and b.

    Raises:
        ValueError: bad shapes, labels other than 0/1, l2 ≤ 0 or iterations < 1.
    """
    x = np.asarray(points, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"points must be (n, d) and labels (n,), got {x.shape} and {y.shape}")
    if not np.all((y == 0.0) | (y == 1.0)):
        raise ValueError(f"labels must be 0 or 1, got values {np.unique(y)[:5]}")
    if not (math.isfinite(l2) and l2 > 0.0):
        raise ValueError(f"l2 must be > 0, got {l2!r}")
    if iterations < 1:
        raise ValueError(f"iterations must be ≥ 1, got {iterations!r}")
    n, d = x.shape
    if n == 0 or not np.all(np.isfinite(x)):
        return math.nan, np.full(d, np.nan), math.nan
    share = float(y.mean())
    if share in (0.0, 1.0):  # one class: any constant cut is right; the bias would run off
        return 1.0, np.zeros(d), 1.0 if share == 1.0 else -1.0

    scale = float(np.max(np.abs(x)))
    scale = scale if scale > 0.0 else 1.0
    scaled = x / scale  # |coordinates| ≤ 1: the covariance cannot overflow
    mean = scaled.mean(axis=0)  # (d,)
    centred = scaled - mean  # (n, d)
    variances, axes = np.linalg.eigh(centred.T @ centred / n)  # (d,), (d, d)
    keep = variances > _RANK_TOL
    whiten = axes[:, keep] / np.sqrt(variances[keep])  # (d, k)
    k = int(keep.sum())
    design = np.concatenate([centred @ whiten, np.ones((n, 1))], axis=1)  # (n, k + 1)
    penalty = np.concatenate([np.full(k, l2), [0.0]])  # (k + 1,) the bias is free

    def objective(theta: Array) -> float:
        z = design @ theta
        return float(np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(penalty * theta**2))

    theta = np.zeros(k + 1)
    theta[-1] = math.log(share / (1.0 - share))
    value = objective(theta)
    for _ in range(iterations):
        p = _sigmoid(design @ theta)  # (n,)
        grad = design.T @ (p - y) / n + penalty * theta  # (k + 1,)
        hessian = (design.T * (p * (1.0 - p))) @ design / n + np.diag(penalty)
        hessian += _HESSIAN_JITTER * np.eye(k + 1)
        step = np.linalg.solve(hessian, grad)
        decrement = float(grad @ step)  # ≈ 2·(J − J_min) near the minimum
        if not decrement > 1e-18:
            break
        t = 1.0
        while t > 1e-12:
            candidate = theta - t * step
            candidate_value = objective(candidate)
            if candidate_value <= value - 0.25 * t * decrement:
                break
            t *= 0.5
        else:
            break  # no decrease left within rounding: converged
        theta, value = candidate, candidate_value

    accuracy = float(np.mean((design @ theta > 0.0) == (y == 1.0)))
    weights = whiten @ theta[:k]  # (d,) for the scaled, centred points
    return accuracy, weights / scale, float(theta[k] - mean @ weights)


def _sigmoid(z: Array) -> Array:
    """σ(z) without overflow for any finite z."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def logit_grid(spec: MLPSpec, params: ArrayLike, axes: Sequence[ArrayLike]) -> Array:
    """The output logit z over the input plane, through ``engine.nn.forward``.

    z = 0 is the decision boundary: the output's straight cut h·w + b = 0 in the last hidden
    plane, pulled back through the layers to the input.

    Args:
        spec: a network ``check_geometry_spec`` accepts.
        params: ``(P,)`` one network.
        axes: (xs ``(G_x,)``, ys ``(G_y,)``).

    Returns:
        ``(G_y, G_x)`` z at (xs[ix], ys[iy]) in [iy, ix], row = y as a heatmap draws it.
    """
    check_geometry_spec(spec)
    theta = np.asarray(params, dtype=np.float64)
    if theta.shape != (spec.n_params,):
        raise ValueError(f"params must be ({spec.n_params},), got {theta.shape}")
    xs, ys = (np.asarray(a, dtype=np.float64) for a in axes)
    if xs.ndim != 1 or ys.ndim != 1:
        raise ValueError(f"axes must be two 1-D arrays, got {xs.shape} and {ys.shape}")
    mesh_x, mesh_y = np.meshgrid(xs, ys, indexing="xy")  # (G_y, G_x) each
    plane = np.stack([mesh_x.ravel(), mesh_y.ravel()], axis=-1)  # (G_y·G_x, 2), x fastest
    with np.errstate(over="ignore", invalid="ignore"):
        logits = forward(spec, theta[None], plane, keep_pre=False).logits  # (1, G_y·G_x, 1)
    return logits[0, :, 0].reshape(len(ys), len(xs))


def train_snapshots(
    spec: MLPSpec,
    data: Dataset,
    *,
    epochs: float,
    lr: float,
    optimizer: str = "adam",
    batch_size: int = 32,
    init_seed: int = 0,
    batch_seed: int = 0,
    snapshots: int = 21,
) -> tuple[Array, NDArray[np.intp]]:
    """Train one network and keep its parameters at evenly spaced frames.

    One ``TrainRun`` of ``OPTIMIZERS[optimizer](lr=lr)`` (the optimizer's other
    hyper-parameters at torch's defaults) through ``engine.training.train``: frame f is at step
    round(f·T/(F − 1)) of T = round(epochs · steps per epoch). The prediction grid and the
    recorded activations are kept at their minimum: this lesson maps its own points.

    Args:
        spec: a network ``check_geometry_spec`` accepts.
        data: a two-class dataset with 2-D inputs.
        epochs: passes over the training set.
        lr: the learning rate.
        optimizer: a key of ``engine.optimizers.OPTIMIZERS``.
        batch_size: examples per step.
        init_seed: seeds the initial weights; batch_seed seeds the batches.
        snapshots: F, frames to keep, 2 … 120 (fewer if training has fewer steps).

    Returns:
        (params ``(F, P)``, steps ``(F,)`` the optimizer step of each frame); row 0 is the
        initial network. A diverged run's frames are NaN from the divergence on.

    Raises:
        ValueError: a spec the lesson cannot draw, an unknown optimizer, or settings
            ``engine.training.train`` refuses.
    """
    check_geometry_spec(spec)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
    run = TrainRun(OPTIMIZERS[optimizer](lr=lr), batch_size)
    result = train(
        spec,
        data,
        [run],
        epochs=epochs,
        init_seed=init_seed,
        batch_seed=batch_seed,
        n_frames=snapshots,
        grid_size=10,
        activation_points=0,
    )
    return result.params[:, 0, :].copy(), result.frame_steps[:, 0].copy()
