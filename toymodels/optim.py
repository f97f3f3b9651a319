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


def _beta(value, what="beta"):
    """A momentum or averaging coefficient in [0, 1)."""
    try:
        beta = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{what} must be a number, got {value!r}") from None
    if not 0 <= beta < 1:
        raise InvalidInputError(f"{what} must lie in [0, 1), got {value!r}")
    return beta


# Pure updates: (gradient, state arrays, hyper-parameters) -> new arrays, with array operations
# only, so that they run on NumPy arrays, on other array namespaces, and on SymPy symbols (the
# stability thresholds of toymodels.edges are derived from these very functions).

def heavy_ball_update(g, x, m, lr, beta):
    """Heavy ball (Polyak 1964): m ← βm − ηg, θ ← θ + m."""
    m = beta * m - lr * g
    return x + m, m


def nesterov_update(g, x, v, lr, beta):
    """Nesterov momentum in PyTorch's form (Sutskever et al. 2013): v ← βv + g, θ ← θ − η(g + βv)."""
    v = beta * v + g
    return x - lr * (g + beta * v), v


def ema_momentum_update(g, x, m, lr, beta, p=1):
    """EMA momentum (Adam's numerator) with a frozen preconditioner P = diag(p):
    m ← βm + (1 − β)g, θ ← θ − ηP⁻¹m."""
    m = beta * m + (1 - beta) * g
    return x - lr * m / p, m


def rms_update(g2, nu, beta2):
    """The second-moment average ν ← β₂ν + (1 − β₂)g² (g² per coordinate, or ‖g‖² for a scalar ν)."""
    return beta2 * nu + (1 - beta2) * g2


class Momentum(Optimizer):
    """Heavy-ball momentum (Polyak 1964): m ← βm − η∇L(θ), θ ← θ + m, with m₀ = 0.

    Linear stability on a quadratic: ηλ < 2 + 2β (docs/theory/central-flows.md, :mod:`toymodels.edges`).
    """

    name = "momentum"

    def __init__(self, lr, beta=0.9):
        self.lr = positive_rates(lr, "lr")
        self.beta = _beta(beta)

    def init_state(self, numeric, x):
        return numeric.xp.zeros_like(x)

    def step(self, numeric, x, state, rng):
        x, m = heavy_ball_update(numeric.grad(x), x, state, _per_state(self.lr, numeric.xp), self.beta)
        return Step(x, self.lr, state=m)


class Nesterov(Momentum):
    """Nesterov momentum, PyTorch form: v ← βv + ∇L(θ), θ ← θ − η(∇L(θ) + βv), v₀ = 0.

    Linear stability on a quadratic: ηλ < (2 + 2β)/(1 + 2β).
    """

    name = "nesterov"

    def step(self, numeric, x, state, rng):
        x, v = nesterov_update(numeric.grad(x), x, state, _per_state(self.lr, numeric.xp), self.beta)
        return Step(x, self.lr, state=v)


class EMAMomentum(Momentum):
    """EMA momentum with a frozen diagonal preconditioner P = diag(``preconditioner``) (1: none):
    m ← βm + (1 − β)∇L(θ), θ ← θ − ηP⁻¹m, m₀ = 0. Adam's update with its second moment frozen.

    Linear stability on a quadratic: ηλ1(P⁻¹H) < (2 + 2β)/(1 − β), 38 at β = 0.9
    (Cohen et al., "Adaptive gradient methods at the edge of stability", arXiv:2207.14484).
    """

    name = "ema_momentum"

    def __init__(self, lr, beta=0.9, preconditioner=1.0):
        super().__init__(lr, beta)
        p = np.asarray(preconditioner, dtype=float)
        if not np.all(np.isfinite(p)) or np.any(p <= 0):
            raise InvalidInputError(f"preconditioner must be positive and finite, got {preconditioner!r}")
        self.preconditioner = float(p) if p.ndim == 0 else p

    def step(self, numeric, x, state, rng):
        x, m = ema_momentum_update(numeric.grad(x), x, state, _per_state(self.lr, numeric.xp), self.beta,
                                   self.preconditioner)
        return Step(x, self.lr, state=m)


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012): ν ← β₂ν + (1 − β₂)g², θ ← θ − ηg/(√ν + δ).

    ``scalar=True``: one ν for all coordinates, the average of ‖g‖² (the scalar RMSProp whose
    central flow Cohen et al. derive, ICLR 2025, arXiv:2410.24206; its effective sharpness
    ηS/√ν sits at 2). ν₀ = g₀² (‖g₀‖²), so no bias correction is needed. The state is ν,
    shape (..., d) or (..., 1); the preconditioner P = √ν + δ is :meth:`preconditioner`.
    """

    name = "rmsprop"

    def __init__(self, lr, beta2=0.99, eps=0.0, scalar=False):
        self.lr = positive_rates(lr, "lr")
        self.beta2 = _beta(beta2, "beta2")
        self.eps = float(eps)
        if not self.eps >= 0:
            raise InvalidInputError(f"eps must be a number >= 0, got {eps!r}")
        self.scalar = bool(scalar)

    def _g2(self, g, xp):
        return squared_norm(g, xp)[..., None] if self.scalar else g * g

    def init_state(self, numeric, x):
        return self._g2(numeric.grad(x), numeric.xp)

    def preconditioner(self, state, xp=np):
        """P = √ν + δ (broadcast to (..., d) by the caller for the scalar form)."""
        return xp.sqrt(state) + self.eps

    def step(self, numeric, x, state, rng):
        xp, g = numeric.xp, numeric.grad(x)
        nu = rms_update(self._g2(g, xp), state, self.beta2)
        used = _per_state(self.lr, xp) / self.preconditioner(nu, xp)
        return Step(x - used * g, self.lr, state=nu)


class Adam(Optimizer):
    """Adam (Kingma & Ba, ICLR 2015) with bias correction: m ← β₁m + (1 − β₁)g,
    ν ← β₂ν + (1 − β₂)g², θ ← θ − η m̂/(√ν̂ + δ), m̂ = m/(1 − β₁ᵏ), ν̂ = ν/(1 − β₂ᵏ).

    The state packs (m, ν, k) along the last axis, shape (..., 2d + 1), so a batch of runs
    keeps one array; :meth:`preconditioner` gives P = √ν̂ + δ, whose λ1(P⁻¹H) Cohen et al.
    (arXiv:2207.14484) find at 38/η for β₁ = 0.9 in full-batch training.
    """

    name = "adam"

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-12):
        self.lr = positive_rates(lr, "lr")
        self.beta1, self.beta2 = _beta(beta1, "beta1"), _beta(beta2, "beta2")
        self.eps = float(eps)
        if not self.eps >= 0:
            raise InvalidInputError(f"eps must be a number >= 0, got {eps!r}")

    def init_state(self, numeric, x):
        return numeric.xp.zeros((*x.shape[:-1], 2 * x.shape[-1] + 1))

    def preconditioner(self, state, xp=np):
        """P = √ν̂ + δ at the packed state (..., 2d + 1)."""
        d = (state.shape[-1] - 1) // 2
        k = state[..., -1:]
        return xp.sqrt(state[..., d:2 * d] / (1 - self.beta2**k)) + self.eps

    def step(self, numeric, x, state, rng):
        xp, d = numeric.xp, x.shape[-1]
        g = numeric.grad(x)
        k = state[..., -1:] + 1
        m = self.beta1 * state[..., :d] + (1 - self.beta1) * g
        nu = rms_update(g * g, state[..., d:2 * d], self.beta2)
        new = xp.concatenate([m, nu, k], axis=-1)
        update = m / (1 - self.beta1**k) / self.preconditioner(new, xp)
        return Step(x - _per_state(self.lr, xp) * update, self.lr, state=new)


#: Optimizers by the short names used on the command line.
BY_NAME = {cls.name: cls for cls in (GD, NormalizedGD, SqrtLossGD, SGD, DAL, Momentum, Nesterov, EMAMomentum,
                                      RMSProp, Adam)}
