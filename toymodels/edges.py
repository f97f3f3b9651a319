"""Every optimizer's edge of stability: exact linear-stability thresholds and the preconditioned
sharpness (docs/theory/central-flows.md).

On the quadratic ½λθ² a linear-update optimizer is a linear map z ← A(ηλ, β) z of its state
z = (θ, memory). :func:`threshold` derives A symbolically by running the optimizer's own update
function (:mod:`toymodels.optim`: ``heavy_ball_update``, ...) on SymPy symbols, and returns the
critical h = ηλ where an eigenvalue of A crosses −1 (det(A + I) = 0), the period-2 instability
that GD shows at ηλ = 2 (Cohen et al., ICLR 2021, arXiv:2103.00065). :func:`bisect_threshold`
checks it against a bisection on the spectral radius of the map that the optimizer's *class*
applies on a 1-D quadratic (so a complex pair leaving the unit disk first would show).

For adaptive optimizers with preconditioner P, the edge is on λ1(P⁻¹H) (Cohen et al.,
"Adaptive gradient methods at the edge of stability", arXiv:2207.14484):
:func:`preconditioned_sharpness`.
"""

from dataclasses import dataclass

import numpy as np
import sympy as sp

from . import optim
from .errors import UnknownNameError

h, beta = sp.symbols("h beta", positive=True)


@dataclass(frozen=True)
class Threshold:
    """The symbolic threshold ``h`` (critical ηλ) of an optimizer, its companion matrix ``A`` in
    (h, β) and the polynomial det(A + I) whose root it is."""

    name: str
    h: sp.Expr
    A: sp.Matrix
    flip: sp.Expr

    def at(self, b):
        """The threshold ηλ at β = ``b`` as a float."""
        return float(self.h.subs(beta, b))


def _updates():
    """(name -> function (g, θ, m, lr) -> (θ', m')) for the linear optimizers, at momentum β."""
    return {"gd": lambda g, x, m, lr: (x - lr * g, m),
            "heavy_ball": lambda g, x, m, lr: optim.heavy_ball_update(g, x, m, lr, beta),
            "nesterov": lambda g, x, m, lr: optim.nesterov_update(g, x, m, lr, beta),
            "ema_momentum": lambda g, x, m, lr: optim.ema_momentum_update(g, x, m, lr, beta)}


NAMES = ("gd", "heavy_ball", "nesterov", "ema_momentum")


def threshold(name) -> Threshold:
    """The exact threshold of optimizer ``name`` (one of :data:`NAMES`), derived from its update.

    With λ = 1 and lr = h (only ηλ matters on ½λθ²), A = ∂(θ', m')/∂(θ, m); the threshold is the
    smallest positive root in h of det(A + I), which is linear in h for these methods.
    """
    if name not in NAMES:
        raise UnknownNameError(f"no threshold for {name!r}; linear optimizers: {', '.join(NAMES)}")
    x, m = sp.symbols("theta m", real=True)
    new_x, new_m = _updates()[name](x, x, m, h)  # gradient of ½θ² is θ
    state = [x] if name == "gd" else [x, m]
    outputs = [new_x] if name == "gd" else [new_x, new_m]
    A = sp.Matrix(outputs).jacobian(state)
    flip = sp.factor((A + sp.eye(len(state))).det())
    roots = [r for r in sp.solve(flip, h) if r.is_positive is not False]
    if len(roots) != 1:
        raise ValueError(f"det(A + I) of {name} has {len(roots)} positive roots in h: {roots}")
    return Threshold(name, sp.simplify(roots[0]), A, flip)


def _optimizer(name, lr, b):
    return {"gd": lambda: optim.GD(lr), "heavy_ball": lambda: optim.Momentum(lr, b),
            "nesterov": lambda: optim.Nesterov(lr, b), "ema_momentum": lambda: optim.EMAMomentum(lr, b)}[name]()


class _Quadratic:
    """The numeric interface of ½θ² (gradient θ) that an optimizer's step needs."""

    xp = np

    @staticmethod
    def grad(x):
        return x


def spectral_radius(name, hh, b):
    """ρ of the map that optimizer ``name`` (its class, at lr = ``hh``, β = ``b``) applies on ½θ²,
    measured by stepping the basis states of (θ, m)."""
    opt = _optimizer(name, hh, b)
    basis = np.eye(1 if name == "gd" else 2)
    x, state = basis[:, :1], basis[:, 1:] if name != "gd" else None
    step = opt.step(_Quadratic, x, state, None)
    columns = step.x if name == "gd" else np.concatenate([step.x, step.state], axis=-1)
    return float(np.max(np.abs(np.linalg.eigvals(columns.T))))


def bisect_threshold(name, b, lo=1e-6, hi=None, tol=1e-13):
    """The smallest h where ρ > 1, by bisection on the optimizer's own map, from a stable ``lo``
    to an unstable ``hi`` (default: 4× the symbolic threshold, checked unstable)."""
    hi = 4 * threshold(name).at(b) if hi is None else hi
    if spectral_radius(name, lo, b) > 1 or spectral_radius(name, hi, b) <= 1:
        raise ValueError(f"bisection for {name} at β = {b} needs ρ ≤ 1 at h = {lo} and ρ > 1 at h = {hi}")
    while hi - lo > tol * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if spectral_radius(name, mid, b) <= 1 + 1e-15 else (lo, mid)
    return 0.5 * (lo + hi)


def preconditioned_sharpness(model, x, p):
    """λ1(P⁻¹H) = λ1(P^{-1/2} H P^{-1/2}) at states ``x`` (..., d) for P = diag(``p``), p (..., d)
    or a scalar; the quantity that adaptive methods hold at their edge."""
    hess = model.numeric.hess(x)
    r = 1 / np.sqrt(np.broadcast_to(np.asarray(p, dtype=float), np.shape(x)))
    return np.linalg.eigvalsh(hess * r[..., :, None] * r[..., None, :])[..., -1]
