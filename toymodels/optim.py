"""Discrete optimizers: one update rule each, applied to a whole batch of states at once.

An optimizer stores its hyper-parameters (validated on construction) and implements
``step(numeric, x, state, rng) -> Step``. ``x`` has shape (..., d). Each rule is written once,
against the array namespace ``numeric.xp`` (NumPy for the compiled SymPy functions of
:mod:`toymodels.compile`, ``jax.numpy`` for the engine of :mod:`toymodels.jax_model`), so the same
code runs on both backends; ``rng`` draws mini-batches (:class:`NumpyRandom`, or the engine's
JAX keys). The returned
:class:`Step` carries the new states, the learning rate actually used (the scalar that
multiplies the gradient in this step) and a mask of states where the update is undefined
because a stationary point was reached exactly (zero gradient for normalized GD, L = min L
for GD on √(L − min L)); :func:`toymodels.simulate` records those as converged.
"""

from dataclasses import dataclass

import numpy as np

from .errors import InvalidInputError, UnsupportedError
from .validate import positive_number, positive_rates


def _per_state(lr, xp):
    """lr ready to multiply a (..., d) array: a float, or an array with a trailing axis."""
    return lr if np.ndim(lr) == 0 else xp.asarray(lr)[..., None]




def squared_norm(v, xp):
    """Σ_i v_i² over the last axis. Column by column when the axis is short: a reduction over a
    trailing axis of a few entries is 3–8x slower (NumPy's einsum, and XLA on a CPU)."""
    if v.shape[-1] <= 8:
        return sum((v[..., i] * v[..., i] for i in range(1, v.shape[-1])), v[..., 0] * v[..., 0])
    return xp.sum(v * v, axis=-1)


@dataclass
class Step:
    """One update: new states ``x``, the learning rate used (broadcastable to the batch shape),
    the mask of exact stationary points (or None) and the optimizer's new memory (or None)."""

    x: np.ndarray
    lr: np.ndarray
    stationary: np.ndarray | None = None
    state: object = None


class Optimizer:
    """Base class: ``init_state`` for optimizers with memory, ``step`` for the update.

    Learning rates may be arrays that broadcast against the batch shape of the starts, so a
    sweep over learning rates runs as one batch.
    """

    name = "optimizer"

    def init_state(self, numeric, x):
        return None

    def check(self, model):
        """Raise if this optimizer cannot run on ``model``."""

    def describe(self) -> dict:
        params = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()}
        return {"optimizer": self.name, **params}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.describe().items() if k != "optimizer")
        return f"{type(self).__name__}({args})"


class GD(Optimizer):
    """Gradient descent θ ← θ − η∇L(θ) (docs/theory/conventions.md)."""

    name = "gd"

    def __init__(self, lr):
        self.lr = positive_rates(lr, "lr")

    def step(self, numeric, x, state, rng):
        xp = numeric.xp
        return Step(x - _per_state(self.lr, xp) * numeric.grad(x), self.lr)


def _scaled_step(x, grad, lr, scale, xp):
    """θ − (lr/scale)∇L with the lr used on ∇L, and the mask where scale = 0: there the update
    is undefined (an exact stationary point), so the state does not move and lr 0 is recorded."""
    stationary = scale == 0
    used = xp.asarray(lr) / xp.where(stationary, xp.inf, scale)
    return Step(x - used[..., None] * grad, used, stationary)


class NormalizedGD(Optimizer):
    """Normalized GD θ ← θ − η∇L/‖∇L‖ (Arora, Li, Panigrahi, ICML 2022, §4).

    The learning rate actually used (the factor on ∇L) is η/‖∇L‖.
    """

    name = "ngd"

    def __init__(self, lr):
        self.lr = positive_rates(lr, "lr")

    def step(self, numeric, x, state, rng):
        xp, grad = numeric.xp, numeric.grad(x)
        return _scaled_step(x, grad, self.lr, xp.sqrt(squared_norm(grad, xp)), xp)


class SqrtLossGD(Optimizer):
    """GD on √(L − min L): θ ← θ − η∇L/(2√(L − min L)) (Arora, Li, Panigrahi, ICML 2022, §5).

    Needs the model's known minimum value. The learning rate used on ∇L is η/(2√(L − L*)).
    """

    name = "sqrt_gd"

    def __init__(self, lr):
        self.lr = positive_rates(lr, "lr")

    def check(self, model):
        if model.min_loss is None:
            raise UnsupportedError(
                f"GD on sqrt(L - min L) needs the minimum value of the loss of {model.label()}, "
                "which is not known; construct the model with min_loss=<value>")

    def step(self, numeric, x, state, rng):
        xp = numeric.xp
        excess = xp.maximum(numeric.loss(x) - float(numeric.model.min_loss), 0.0)
        return _scaled_step(x, numeric.grad(x), self.lr, 2 * xp.sqrt(excess), xp)


def draw_batches(n_samples, batch_size, shape, rng, replace=False):
    """Mini-batches of sample indices, shape (*shape, batch_size), each drawn independently.

    Without replacement a batch is a uniformly random subset of ``batch_size`` distinct samples
    (the first entries of a random permutation); with replacement its indices are i.i.d.
    uniform. SGD and the Monte Carlo estimates of :mod:`toymodels.diagnostics` share this rule.
    ``rng`` is a :class:`numpy.random.Generator` or anything with its ``integers`` and
    ``random`` methods (the engine's JAX keys), so both backends draw by the same rule.
    """
    if replace:
        return rng.integers(0, n_samples, size=(*shape, batch_size))
    return rng.random((*shape, n_samples)).argsort(axis=-1)[..., :batch_size]


class NumpyRandom:
    """The mini-batch source of a NumPy run: :func:`draw_batches` from a seeded Generator."""

    def __init__(self, seed):
        self.generator = np.random.default_rng(seed)

    def draw_batches(self, n_samples, batch_size, shape, replace):
        return draw_batches(n_samples, batch_size, shape, self.generator, replace)


class GivenBatches:
    """The mini-batches of one step given in advance (``simulate(..., batches=...)``), shape
    (*shape, batch_size): replays a run, or runs both backends on the same batches."""

    def __init__(self, indices):
        self.indices = indices

    def draw_batches(self, n_samples, batch_size, shape, replace):
        return self.indices


class SGD(Optimizer):
    """Mini-batch SGD θ ← θ − η∇L_B(θ), with a fresh batch B for every state at every step.

    Without replacement (default) B is a uniformly random subset of ``batch_size`` distinct
    samples (docs/theory/eoss.md); with replacement its indices are drawn independently. The batches
    come from the random source :func:`toymodels.simulate` seeds (or the batches it is given).
    """

    name = "sgd"

    def __init__(self, lr, batch_size, replace=False):
        self.lr = positive_rates(lr, "lr")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise InvalidInputError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.replace = bool(replace)

    def check(self, model):
        if not model.has_data:
            raise UnsupportedError(f"SGD needs a model with data; {model.label()} has none")
        if self.batch_size > model.n_samples:
            raise InvalidInputError(f"batch_size {self.batch_size} is larger than the dataset of "
                                    f"{model.label()} ({model.n_samples} samples)")

    def draw_batches(self, n_samples, shape, rng):
        """Sample indices of shape (*shape, batch_size) from a :class:`numpy.random.Generator`."""
        return draw_batches(n_samples, self.batch_size, shape, rng, self.replace)

    def step(self, numeric, x, state, rng):
        xp = numeric.xp
        batch = rng.draw_batches(numeric.model.n_samples, self.batch_size, x.shape[:-1], self.replace)
        return Step(x - _per_state(self.lr, xp) * numeric.grad(x, batch), self.lr)


class DAL(Optimizer):
    """Drift-adjusted learning rate (Rosca et al., TMLR 2023, §6; arXiv:2302.01952;
    docs/theory/principal-flow.md).

    η_t = min(2 / v(θ)^p, lr_max) with v(θ) = ‖H∇L‖/‖∇L‖; p = 0 is GD with lr 2 capped at
    lr_max, p = 1 steps at the edge of stability along the gradient direction.
    """

    name = "dal"

    def __init__(self, p=1.0, lr_max=5.0):
        try:
            self.p = float(p)
        except (TypeError, ValueError):
            raise InvalidInputError(f"p must be a number, got {p!r}") from None
        if not np.isfinite(self.p) or self.p < 0:
            raise InvalidInputError(f"p must be a finite number >= 0, got {p!r}")
        self.lr_max = positive_number(lr_max, "lr_max", allow_inf=True)  # inf: no cap

    def lr_at(self, numeric, x, grad=None):
        """η_t at states x and the mask of states with zero gradient (where v is undefined)."""
        xp = numeric.xp
        grad = numeric.grad(x) if grad is None else grad
        grad_norm = xp.sqrt(squared_norm(grad, xp))
        stationary = grad_norm == 0
        v = xp.sqrt(squared_norm(numeric.hvp(x, grad), xp)) / xp.where(stationary, 1.0, grad_norm)
        flat = v == 0  # no curvature along ∇L: 2/v⁰ = 2 for p = 0, else the cap
        power = xp.where(flat, 1.0, v) ** self.p
        lr = xp.minimum(xp.where(flat & (self.p > 0), xp.inf, 2.0 / power), self.lr_max)
        return xp.where(stationary, 0.0, lr), stationary

    def step(self, numeric, x, state, rng):
        grad = numeric.grad(x)
        lr, stationary = self.lr_at(numeric, x, grad)
        return Step(x - lr[..., None] * grad, lr, stationary)


class Momentum(Optimizer):
    """Heavy-ball momentum (Polyak 1964): m ← βm − η∇L(θ), θ ← θ + m, with m₀ = 0."""

    name = "momentum"

    def __init__(self, lr, beta=0.9):
        self.lr = positive_rates(lr, "lr")
        try:
            self.beta = float(beta)
        except (TypeError, ValueError):
            raise InvalidInputError(f"beta must be a number, got {beta!r}") from None
        if not 0 <= self.beta < 1:
            raise InvalidInputError(f"beta must lie in [0, 1), got {beta!r}")

    def init_state(self, numeric, x):
        return numeric.xp.zeros_like(x)

    def step(self, numeric, x, state, rng):
        xp = numeric.xp
        velocity = self.beta * state - _per_state(self.lr, xp) * numeric.grad(x)
        return Step(x + velocity, self.lr, state=velocity)


#: Optimizers by the short names used on the command line.
BY_NAME = {cls.name: cls for cls in (GD, NormalizedGD, SqrtLossGD, SGD, DAL, Momentum)}
