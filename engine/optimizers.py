"""Optimizers that reproduce torch.optim's update rules exactly, vectorised over runs.

Contract (optax-style pure functions held in a NamedTuple)::

    opt = OPTIMIZERS["sgd"](lr=0.1, momentum=0.9, nesterov=True)  # -> Optimizer
    state = opt.init(params)                     # params: float64 (..., dim)
    updates, state = opt.update(grads, state, params)
    params = apply_updates(params, updates)      # params + updates

* Registry keys and keyword names follow torch.optim (``sgd``, ``adagrad``, ``rmsprop``, ``adam``,
  ``adamw``) with torch's defaults; ``keras_sgd`` is the Keras/seed formulation of momentum.
* Every leading axis of ``params`` is an independent run. Every numeric hyper-parameter may be a
  scalar or an array broadcastable to ``params.shape[:-1] + (1,)``, so one call steps K runs with K
  learning rates. Boolean switches (``nesterov``, ``centered``, ``amsgrad``) are shared by a group.
* ``update`` never mutates its inputs; the state is a NamedTuple of arrays whose field names follow
  torch's state dict (``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ...) for the lessons.
* Each optimizer is a chain of small building blocks (optax's design). A block carries both the
  code of one line of the update rule and that line in LaTeX; ``Optimizer.latex`` is assembled
  from the blocks that actually run, so the formula shown can never drift from the code.
  Notation: γ learning rate, μ momentum, τ dampening, λ weight decay, t the step (from 1), and
  ``g`` is rewritten line by line until the last line turns it into the parameter update.
* Invalid hyper-parameters raise ``ValueError`` quoting the bad value, at construction.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine import optimizer_blocks as ob
from engine.optimizer_blocks import Block, Fields
from i18n import N_, Problem

Array = NDArray[np.float64]
# A block's code: (g, state fields to rebind, params, step t) -> new g. Never mutates arrays.


class SGDState(NamedTuple):
    """State of ``sgd``: the step count and torch's momentum buffer b (zeros when μ = 0)."""

    step: NDArray[np.int64]
    momentum_buffer: Array


class KerasSGDState(NamedTuple):
    """State of ``keras_sgd``: the velocity v, a displacement per step (v = −γ·b of torch)."""

    step: NDArray[np.int64]
    velocity: Array


class AdagradState(NamedTuple):
    """State of ``adagrad``: the running sum of squared gradients (torch's ``sum``)."""

    step: NDArray[np.int64]
    sum: Array


class RMSpropState(NamedTuple):
    """State of ``rmsprop``: squared-gradient average, gradient average (centered), momentum."""

    step: NDArray[np.int64]
    square_avg: Array
    grad_avg: Array
    momentum_buffer: Array


class AdamState(NamedTuple):
    """State of ``adam``/``adamw``: first and second moments and amsgrad's running maximum."""

    step: NDArray[np.int64]
    exp_avg: Array
    exp_avg_sq: Array
    max_exp_avg_sq: Array


State = SGDState | KerasSGDState | AdagradState | RMSpropState | AdamState


class Optimizer(NamedTuple):
    """A configured optimizer: pure ``init``/``update`` plus what the UI needs to explain it.

    Attributes:
        key: registry key (``"sgd"``, ``"adam"``, ...).
        name: display name for these hyper-parameters (e.g. "SGD + Nesterov momentum").
        hparams: every hyper-parameter, defaults filled in, as given (scalars or arrays).
        init: ``params (..., dim) -> state``.
        update: ``(grads, state, params) -> (updates, state)``.
        latex: the update rule that runs, one aligned line per block.
        velocity_field: state field drawn as the velocity/first moment arrow (or None).
        second_moment_field: state field drawn as the second-moment box (or None).
    """

    key: str
    name: str
    hparams: Mapping[str, Any]
    init: Callable[[Array], State]
    update: Callable[[Array, State, Array], tuple[Array, State]]
    latex: str
    velocity_field: str | None
    second_moment_field: str | None


def apply_updates(params: ArrayLike, updates: ArrayLike) -> Array:
    """Return ``params + updates`` (a new array; torch's in-place ``param.add_``)."""
    return np.asarray(params, dtype=np.float64) + np.asarray(updates, dtype=np.float64)


# --------------------------------------------------------------------------- validation

# The sentence a learner reads for each hyper-parameter out of its range (one per parameter,
# so that a translation names it in the grammar of its language).
_INVALID = {
    "learning rate": N_("Invalid learning rate: {value} (must be finite and in {interval})"),
    "momentum": N_("Invalid momentum: {value} (must be finite and in {interval})"),
    "dampening": N_("Invalid dampening: {value} (must be finite and in {interval})"),
    "weight_decay": N_("Invalid weight_decay: {value} (must be finite and in {interval})"),
    "lr_decay": N_("Invalid lr_decay: {value} (must be finite and in {interval})"),
    "initial_accumulator_value": N_(
        "Invalid initial_accumulator_value: {value} (must be finite and in {interval})"
    ),
    "epsilon": N_("Invalid epsilon: {value} (must be finite and in {interval})"),
    "alpha": N_("Invalid alpha: {value} (must be finite and in {interval})"),
    "beta parameter at index 0": N_(
        "Invalid beta parameter at index 0: {value} (must be finite and in {interval})"
    ),
    "beta parameter at index 1": N_(
        "Invalid beta parameter at index 1: {value} (must be finite and in {interval})"
    ),
}


def _hparam(name: str, value: ArrayLike, low: float, high: float, *, high_open: bool) -> Array:
    """Convert a hyper-parameter to float64 and check ``low <= value < high`` (or ``<= high``).

    Raises:
        Problem: (a ValueError) quoting the value when any element is non-finite or out of
            range; ``name`` is a key of ``_INVALID``.
    """
    arr = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(arr) | (arr < low) | ((arr >= high) if high_open else (arr > high))
    if np.any(bad):
        shown = arr.item() if arr.ndim == 0 else arr.tolist()
        interval = f"[{low:g}, {high:g}{')' if high_open else ']'}"
        raise Problem(_INVALID[name], value=shown, interval=interval)
    return arr


def _nonneg(name: str, value: ArrayLike) -> Array:
    return _hparam(name, value, 0.0, np.inf, high_open=True)


def _unit(name: str, value: ArrayLike) -> Array:
    """A coefficient in [0, 1): momentum, a beta or an averaging constant."""
    return _hparam(name, value, 0.0, 1.0, high_open=True)


def _check_broadcast(hparams: Mapping[str, Any], params: Array) -> None:
    """Hyper-parameter arrays must broadcast to ``params.shape[:-1] + (1,)`` (one per run)."""
    target = (*params.shape[:-1], 1)
    flat = {}
    for name, value in hparams.items():
        if isinstance(value, tuple):  # betas: check each coefficient on its own
            flat.update({f"{name}[{i}]": v for i, v in enumerate(value)})
        elif not isinstance(value, bool):
            flat[name] = value
    for name, value in flat.items():
        shape = np.shape(value)
        try:
            ok = np.broadcast_shapes(shape, target) == target
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"Hyper-parameter {name} has shape {shape}, which does not broadcast to "
                f"{target} (one value per run for params of shape {params.shape})"
            )


def _chain(
    key: str,
    name: str,
    hparams: Mapping[str, Any],
    state_cls: type[State],
    initial: Mapping[str, float],
    blocks: list[Block],
    velocity_field: str | None,
    second_moment_field: str | None,
) -> Optimizer:
    """Build an Optimizer that runs ``blocks`` in order on a state of type ``state_cls``.

    ``initial`` maps every state field except ``step`` to its starting value (filled to the
    shape of ``params``); the step counter t is shared by the blocks and starts at 1.
    """

    fns = [b.fn for b in blocks]

    def init(params: Array) -> State:
        params = np.asarray(params, dtype=np.float64)
        _check_broadcast(hparams, params)
        fields = {f: np.full(params.shape, v, dtype=np.float64) for f, v in initial.items()}
        return state_cls(step=np.asarray(0, dtype=np.int64), **fields)

    def update(grads: Array, state: State, params: Array) -> tuple[Array, State]:
        g = np.asarray(grads, dtype=np.float64)
        params = np.asarray(params, dtype=np.float64)
        step = int(state.step) + 1
        fields: Fields = {f: getattr(state, f) for f in initial}  # rebinding only, no mutation
        for fn in fns:
            g = fn(g, fields, params, step)
        return g, state_cls(step=np.asarray(step, dtype=np.int64), **fields)

    latex = r"\begin{aligned} " + r" \\ ".join(b.latex for b in blocks) + r" \end{aligned}"
    return Optimizer(
        key, name, dict(hparams), init, update, latex, velocity_field, second_moment_field
    )


# --------------------------------------------------------------------------- optimizers


def sgd(
    lr: ArrayLike = 1e-3,
    momentum: ArrayLike = 0.0,
    dampening: ArrayLike = 0.0,
    weight_decay: ArrayLike = 0.0,
    nesterov: bool = False,
) -> Optimizer:
    """Stochastic gradient descent with optional momentum, exactly as torch.optim.SGD.

    g ← g + λθ;  b ← μb + (1 − τ)g (b ← g at t = 1);  g ← b or g + μb (Nesterov);  θ ← θ − γg.

    Momentum must be in [0, 1) here (torch allows ≥ 1, which never converges); Nesterov needs
    μ > 0 and τ = 0, as in torch.
    """
    lr_, mu = _nonneg("learning rate", lr), _unit("momentum", momentum)
    tau = _hparam("dampening", dampening, 0.0, 1.0, high_open=False)
    wd = _nonneg("weight_decay", weight_decay)
    if nesterov and (np.any(mu <= 0) or np.any(tau != 0)):
        raise Problem(
            N_(
                "Nesterov momentum requires momentum > 0 and zero dampening "
                "(got momentum={momentum}, dampening={dampening})"
            ),
            momentum=mu.tolist(),
            dampening=tau.tolist(),
        )
    blocks = [ob.coupled_weight_decay(wd)] if ob.active(wd) else []
    if ob.active(mu):
        blocks.append(ob.momentum_trace(mu, tau, bool(nesterov)))
    blocks.append(ob.scale_by_lr(lr_))
    name = "SGD + Nesterov" if nesterov else ("SGD + momentum" if ob.active(mu) else "SGD")
    hparams = {
        "lr": lr,
        "momentum": momentum,
        "dampening": dampening,
        "weight_decay": weight_decay,
        "nesterov": bool(nesterov),
    }
    return _chain(
        "sgd", name, hparams, SGDState, {"momentum_buffer": 0.0}, blocks, "momentum_buffer", None
    )


def keras_sgd(lr: ArrayLike = 1e-2, momentum: ArrayLike = 0.0, nesterov: bool = False) -> Optimizer:
    """Momentum in the Keras convention of seed 001: the velocity already contains γ.

    v ← μv − γg;  θ ← θ + v (heavy ball) or θ ← θ + μv − γg (Nesterov). With a constant γ this
    gives torch's trajectory (v = −γ·b); they part ways when γ changes during a run.
    """
    lr_, mu = _nonneg("learning rate", lr), _unit("momentum", momentum)
    if nesterov and np.any(mu <= 0):
        raise Problem(
            N_("Nesterov momentum requires momentum > 0 (got {momentum})"), momentum=mu.tolist()
        )
    name = "Keras SGD + Nesterov" if nesterov else "Keras SGD + momentum"
    hparams = {"lr": lr, "momentum": momentum, "nesterov": bool(nesterov)}
    blocks = [ob.keras_momentum(lr_, mu, bool(nesterov))]
    return _chain(
        "keras_sgd", name, hparams, KerasSGDState, {"velocity": 0.0}, blocks, "velocity", None
    )


def adagrad(
    lr: ArrayLike = 1e-2,
    lr_decay: ArrayLike = 0.0,
    weight_decay: ArrayLike = 0.0,
    initial_accumulator_value: ArrayLike = 0.0,
    eps: ArrayLike = 1e-10,
) -> Optimizer:
    """Adagrad as torch.optim.Adagrad: per-coordinate steps shrink with the gradients' history.

    γ̃ ← γ / (1 + (t − 1)δ);  g ← g + λθ;  s ← s + g²;  θ ← θ − γ̃·g / (√s + ε).
    """
    lr_, decay = _nonneg("learning rate", lr), _nonneg("lr_decay", lr_decay)
    wd = _nonneg("weight_decay", weight_decay)
    acc0 = _nonneg("initial_accumulator_value", initial_accumulator_value)
    eps_ = _nonneg("epsilon", eps)
    if acc0.ndim:
        raise ValueError(
            f"initial_accumulator_value must be a scalar (got an array {acc0.tolist()!r})"
        )
    blocks = [ob.coupled_weight_decay(wd)] if ob.active(wd) else []
    blocks += [ob.scale_by_adagrad(eps_), ob.scale_by_lr(lr_, lr_decay=decay)]
    hparams = {
        "lr": lr,
        "lr_decay": lr_decay,
        "weight_decay": weight_decay,
        "initial_accumulator_value": initial_accumulator_value,
        "eps": eps,
    }
    return _chain(
        "adagrad", "Adagrad", hparams, AdagradState, {"sum": float(acc0)}, blocks, None, "sum"
    )


def rmsprop(
    lr: ArrayLike = 1e-2,
    alpha: ArrayLike = 0.99,
    eps: ArrayLike = 1e-8,
    weight_decay: ArrayLike = 0.0,
    momentum: ArrayLike = 0.0,
    centered: bool = False,
) -> Optimizer:
    """RMSprop as torch.optim.RMSprop (ε outside the square root, optional centering/momentum).

    g ← g + λθ;  v ← αv + (1 − α)g²;  [ḡ ← αḡ + (1 − α)g;  ṽ = v − ḡ²];
    g ← g / (√ṽ + ε);  [b ← μb + g;  g ← b];  θ ← θ − γg.
    """
    lr_, a = _nonneg("learning rate", lr), _unit("alpha", alpha)
    eps_, wd = _nonneg("epsilon", eps), _nonneg("weight_decay", weight_decay)
    mu = _unit("momentum", momentum)
    blocks = [ob.coupled_weight_decay(wd)] if ob.active(wd) else []
    blocks.append(ob.scale_by_rms(a, eps_, bool(centered)))
    if ob.active(mu):
        blocks.append(ob.momentum_trace(mu, np.zeros(()), nesterov=False))
    blocks.append(ob.scale_by_lr(lr_))
    name = ("Centered RMSprop" if centered else "RMSprop") + (
        " + momentum" if ob.active(mu) else ""
    )
    hparams = {
        "lr": lr,
        "alpha": alpha,
        "eps": eps,
        "weight_decay": weight_decay,
        "momentum": momentum,
        "centered": bool(centered),
    }
    initial = {"square_avg": 0.0, "grad_avg": 0.0, "momentum_buffer": 0.0}
    velocity = "momentum_buffer" if ob.active(mu) else None
    return _chain("rmsprop", name, hparams, RMSpropState, initial, blocks, velocity, "square_avg")


def _adam_family(
    key: str,
    lr: ArrayLike,
    betas: tuple[ArrayLike, ArrayLike],
    eps: ArrayLike,
    weight_decay: ArrayLike,
    amsgrad: bool,
) -> Optimizer:
    """Shared body of ``adam`` (coupled L2) and ``adamw`` (decoupled decay)."""
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    lr_ = _nonneg("learning rate", lr)
    b1, b2 = (
        _unit("beta parameter at index 0", betas[0]),
        _unit("beta parameter at index 1", betas[1]),
    )
    eps_, wd = _nonneg("epsilon", eps), _nonneg("weight_decay", weight_decay)
    blocks = [ob.coupled_weight_decay(wd)] if key == "adam" and ob.active(wd) else []
    blocks.append(ob.scale_by_adam(b1, b2, eps_, bool(amsgrad)))
    decoupled = wd if key == "adamw" else None
    blocks.append(ob.scale_by_lr(lr_, decoupled_decay=decoupled))
    name = ("AdamW" if key == "adamw" else "Adam") + (" (AMSGrad)" if amsgrad else "")
    hparams = {
        "lr": lr,
        "betas": (betas[0], betas[1]),
        "eps": eps,
        "weight_decay": weight_decay,
        "amsgrad": bool(amsgrad),
    }
    initial = {"exp_avg": 0.0, "exp_avg_sq": 0.0, "max_exp_avg_sq": 0.0}
    return _chain(key, name, hparams, AdamState, initial, blocks, "exp_avg", "exp_avg_sq")


def adam(
    lr: ArrayLike = 1e-3,
    betas: tuple[ArrayLike, ArrayLike] = (0.9, 0.999),
    eps: ArrayLike = 1e-8,
    weight_decay: ArrayLike = 0.0,
    amsgrad: bool = False,
) -> Optimizer:
    """Adam as torch.optim.Adam (weight decay is coupled L2: g ← g + λθ).

    m ← β1 m + (1 − β1)g;  v ← β2 v + (1 − β2)g²;
    θ ← θ − γ · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε).
    """
    return _adam_family("adam", lr, betas, eps, weight_decay, amsgrad)


def adamw(
    lr: ArrayLike = 1e-3,
    betas: tuple[ArrayLike, ArrayLike] = (0.9, 0.999),
    eps: ArrayLike = 1e-8,
    weight_decay: ArrayLike = 1e-2,
    amsgrad: bool = False,
) -> Optimizer:
    """AdamW as torch.optim.AdamW: decoupled decay θ ← θ(1 − γλ) then the Adam step."""
    return _adam_family("adamw", lr, betas, eps, weight_decay, amsgrad)


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class OptimizerSpec:
    """A registry entry: call it with keyword hyper-parameters to get an Optimizer."""

    key: str
    name: str
    summary: str
    build: Callable[..., Optimizer]

    def __call__(self, **hparams: Any) -> Optimizer:
        return self.build(**hparams)

    @property
    def defaults(self) -> dict[str, Any]:
        """torch's default value of every hyper-parameter, by keyword."""
        params = inspect.signature(self.build).parameters.values()
        return {p.name: p.default for p in params}


OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.key: spec
    for spec in (
        OptimizerSpec(
            "sgd", N_("SGD"), N_("Step against the gradient; momentum adds a rolling ball."), sgd
        ),
        OptimizerSpec(
            "keras_sgd",
            N_("SGD (Keras form)"),
            N_("Momentum written with a velocity that holds γ."),
            keras_sgd,
        ),
        OptimizerSpec(
            "adagrad", N_("Adagrad"), N_("Steps shrink where gradients have been large."), adagrad
        ),
        OptimizerSpec(
            "rmsprop", N_("RMSprop"), N_("Divide by a running RMS of recent gradients."), rmsprop
        ),
        OptimizerSpec(
            "adam", N_("Adam"), N_("Momentum plus RMS scaling, with bias correction."), adam
        ),
        OptimizerSpec(
            "adamw", N_("AdamW"), N_("Adam with weight decay taken out of the gradient."), adamw
        ),
    )
}
