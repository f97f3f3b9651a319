"""The uv model's dynamics: its exact function-space map, the catapult threshold, and the
period-doubling cascade of its edge-of-stability attractor, located from cycle stability.

For the width-n uv model ½(uᵀv/√n − y)² (zoo entry ``uv``), GD closes on f = uᵀv/√n and
λ = (‖u‖² + ‖v‖²)/n (the NTK ‖∇f‖², the sharpness at a minimum): with Δ = f − y,

    f' = f − ηΔλ + η²Δ²f/n,        λ' = λ(1 + η²Δ²/n) − 4ηΔf/n

(Lewkowycz et al. 2020, arXiv 2003.02218, eqs. (3)–(4) in their notation; Kalra, He, Barkeshli,
ICLR 2025, arXiv 2311.02076, §3; docs/theory/edge-of-stability.md). Learning rates are given as
c = ηλ0. Doubling points are found as the η where a Newton-refined periodic orbit's multiplier
crosses −1, never from periods detected in simulations (biased by about 4/N over N steps).
"""

from dataclasses import dataclass

import numpy as np

from . import status
from .errors import InvalidInputError, SingularError
from .sweep.grid import Output

BOUND = 1e8  # |f| or λ beyond this is divergence
CONVERGED_RESIDUAL = 1e-12  # |f − y| at or below this is convergence


def step(f, lam, lr, n, y):
    """One GD step of the uv model in function space: (f, λ) -> (f', λ')."""
    delta = f - y
    return f - lr * delta * lam + lr**2 * delta**2 * f / n, lam * (1 + lr**2 * delta**2 / n) - 4 * lr * delta * f / n


def jacobian(f, lam, lr, n, y):
    """∂(f', λ')/∂(f, λ) of :func:`step`, shape (..., 2, 2)."""
    delta = f - y
    rows = [[1 - lr * lam + lr**2 * (2 * delta * f + delta**2) / n, -lr * delta],
            [2 * lam * lr**2 * delta / n - 4 * lr * (2 * f - y) / n, 1 + lr**2 * delta**2 / n]]
    return np.stack([np.stack(np.broadcast_arrays(*r), -1) for r in rows], -2)


def start(n, f0, lam0):
    """Weights (u, v) of width n with uᵀv/√n = f0 and (‖u‖² + ‖v‖²)/n = λ0 (all units equal)."""
    if abs(f0) > lam0 * np.sqrt(n) / 2:
        raise InvalidInputError(f"no weights of width {n} have f = {f0} and λ = {lam0}: need |f| ≤ λ√n/2")
    # every unit alike: u_i = (s + t)/√2, v_i = (s − t)/√2 with s² − t² = 2f0/√n and s² + t² = λ0
    s = np.sqrt(lam0 / 2 + f0 / np.sqrt(n))
    t = np.sqrt(max(lam0 / 2 - f0 / np.sqrt(n), 0.0))
    u, v = np.full(n, (s + t) / np.sqrt(2)), np.full(n, (s - t) / np.sqrt(2))
    return np.concatenate([u, v])


@dataclass
class MapRun:
    """Final (f, λ), status (toymodels.status), the step it stopped, and the peak loss ½Δ²."""

    f: np.ndarray
    lam: np.ndarray
    status: np.ndarray
    stop_step: np.ndarray
    peak_loss: np.ndarray


def iterate(lr, n, y, f0, lam0, steps):
    """Run :func:`step` from (f0, λ0) for ``steps`` steps, vectorized over broadcast arguments.

    A cell is *diverged* when |f| or λ leaves :data:`BOUND` (it keeps its last valid state),
    *converged* when |f − y| ≤ :data:`CONVERGED_RESIDUAL`, *finished* otherwise.
    """
    lr, n, y, f, lam = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (lr, n, y, f0, lam0)))
    f, lam = f.copy(), lam.copy()
    state = np.full(f.shape, status.FINISHED, dtype=object)
    stop = np.full(f.shape, steps)
    active = np.ones(f.shape, dtype=bool)
    peak = (f - y) ** 2 / 2
    with np.errstate(all="ignore"):  # overflow is how divergence shows; it is caught below
        for k in range(steps):
            nf, nl = step(f, lam, lr, n, y)
            bad = active & ~((np.abs(nf) <= BOUND) & (np.abs(nl) <= BOUND))
            state[bad], stop[bad] = status.DIVERGED, k
            active &= ~bad
            f, lam = np.where(active, nf, f), np.where(active, nl, lam)
            peak = np.maximum(peak, np.where(active, (f - y) ** 2 / 2, 0))
            done = active & (np.abs(f - y) <= CONVERGED_RESIDUAL)
            state[done], stop[done] = status.CONVERGED, k + 1
            active &= ~done
            if not active.any():
                break
    return MapRun(f, lam, state.astype(str), stop, peak)


def catapult_threshold(n, y, f0, lam0, *, low=2.0, high=6.0, steps=4000, xtol=1e-9):
    """c* = η*λ0, the divergence threshold, by bisection on c between ``low`` (must not diverge)
    and ``high`` (must diverge), vectorized over ``n``; assumes one crossing in between (a sweep
    over c checks that). Returns c* (midpoint of the final bracket)."""
    n = np.asarray(n, dtype=float)
    lo, hi = np.full(n.shape, low), np.full(n.shape, high)
    for edge, must in ((lo, False), (hi, True)):
        diverged = iterate(edge / lam0, n, y, f0, lam0, steps).status == status.DIVERGED
        if np.any(diverged != must):
            raise InvalidInputError(f"c = {edge[0]:g} {'does not diverge' if must else 'diverges'} for some n; "
                                    "give a bracket [low, high] with divergence at high only")
    while np.max(hi - lo) > xtol:
        mid = (lo + hi) / 2
        diverged = iterate(mid / lam0, n, y, f0, lam0, steps).status == status.DIVERGED
        lo, hi = np.where(diverged, lo, mid), np.where(diverged, mid, hi)
    return (lo + hi) / 2


class CatapultCells:
    """Sweep cells: the function-space map from (f0, λ0) at c = ηλ0 (axis ``c``) and width (axis
    ``n``); outputs the status, final ηλ, peak and final loss, and the steps taken."""

    def __init__(self, y, f0, lam0, steps):
        self.y, self.f0, self.lam0, self.steps = float(y), float(f0), float(lam0), int(steps)

    outputs = {
        "status": Output("status of the run (toymodels.status)", "1", "int8", flags=status.ALL),
        "final_sharpness_lr": Output("ηλ at the last valid state (λ = ‖∇f‖², the sharpness at a minimum)", "1"),
        "peak_loss": Output("largest loss ½(f − y)² along the run", "loss"),
        "final_loss": Output("loss ½(f − y)² at the last valid state", "loss"),
        "stop_step": Output("step of the last valid state", "steps", "int64"),
    }

    def describe(self):
        return {"kind": "uv function-space map", **vars(self)}

    def attrs(self):
        return {"kind": "toymodels sweep of the uv model's function-space map", "model": "uv", **vars(self),
                "conventions": "c = ηλ0; λ = (‖u‖² + ‖v‖²)/n = ‖∇f‖²; loss ½(f − y)²; GD steps"}

    def __call__(self, block):
        c, n = block.values["c"], block.values["n"]
        lr = c / self.lam0
        run = iterate(lr, n, self.y, self.f0, self.lam0, self.steps)
        return {"status": np.array([status.ALL.index(s) for s in run.status], dtype=np.int8),
                "final_sharpness_lr": lr * run.lam, "peak_loss": run.peak_loss,
                "final_loss": (run.f - self.y) ** 2 / 2, "stop_step": run.stop_step}


# -- periodic orbits and their multipliers ----------------------------------------------------------

@dataclass(frozen=True)
class Route:
    """A map x -> F(x) and its Jacobian at learning rate ``lr``: one way of computing GD."""

    name: str
    step: object  # (x, lr) -> x'
    jacobian: object  # (x, lr) -> (d, d)


def function_space_route(n=1, y=1.0) -> Route:
    """The reduced map on (f, λ) (:func:`step`, :func:`jacobian`)."""
    return Route(f"function-space map (f, λ), n = {n}",
                 lambda x, lr: np.array(step(x[0], x[1], lr, n, y)),
                 lambda x, lr: jacobian(x[0], x[1], lr, n, y))


def parameter_space_route(model) -> Route:
    """GD on the model's parameters, θ' = θ − η∇L with Jacobian I − η∇²L (compiled from SymPy)."""
    numeric = model.numeric
    eye = np.eye(model.dim)
    return Route(f"parameter-space GD on {model.label()}", lambda x, lr: x - lr * numeric.grad(x),
                 lambda x, lr: eye - lr * numeric.hess(x))


def periodic_orbit(route, x, lr, period, *, iterations=60, tol=1e-13):
    """Newton's method on F^P(x) − x from ``x``; returns the orbit point and the cycle's Jacobian
    (the product of the Jacobians along the orbit)."""
    for _ in range(iterations):
        y, product = x, np.eye(len(x))
        for _ in range(period):
            product = route.jacobian(y, lr) @ product
            y = route.step(y, lr)
        residual = y - x
        if np.max(np.abs(residual)) <= tol * (1 + np.max(np.abs(x))):
            return x, product
        x = x - np.linalg.solve(product - np.eye(len(x)), residual)
    raise SingularError(f"Newton did not find a period-{period} orbit of the {route.name} at η = {lr!r}; "
                        "start it closer to the cycle (iterate the map onto the attractor first)")


def lowest_multiplier(route, x, lr, period):
    """The refined orbit point and the cycle multiplier with the lowest real part (the one that
    crosses −1 at a period doubling)."""
    x, product = periodic_orbit(route, x, lr, period)
    return x, float(np.min(np.linalg.eigvals(product).real))


def settle(route, x, lr, steps):
    """``steps`` iterations of the map from ``x`` (onto the attractor)."""
    for _ in range(steps):
        x = route.step(x, lr)
    return x


@dataclass
class Doubling:
    """A period-doubling point: the η where the period-``period`` cycle's multiplier is −1."""

    period: int
    lr: float
    bracket: float  # width of the final bisection bracket
    orbit: np.ndarray


def doubling_points(route, x0, first_lr, count=4, *, period=2, xtol=1e-12, settle_steps=20000):
    """The first ``count`` period doublings P → 2P from period ``period`` upwards, starting the
    search just above ``first_lr`` (where the period-P cycle is stable).

    For each P: from a stable P-cycle, η is raised in steps (a twelfth of the last interval, which
    the cascade shrinks by ≈ 4.7, so no step jumps over the next doubling) until the multiplier drops below −1, then bisected to ``xtol``
    with the cycle continued by Newton's method from the last stable orbit."""
    found, lr, width, x = [], first_lr, 0.05, settle(route, np.asarray(x0, dtype=float), first_lr, settle_steps)
    for _ in range(count):
        x, mu = lowest_multiplier(route, settle(route, x, lr, settle_steps), lr, period)
        half = settle(route, x, lr, period // 2)
        if period > 1 and np.max(np.abs(half - x)) <= 1e-6 * (1 + np.max(np.abs(x))):
            raise SingularError(f"the orbit found at η = {lr!r} has period {period // 2}, not {period}: the "
                                "attractor did not settle onto the doubled cycle; give more settle_steps")
        lo, x_lo, hi = lr, x, None
        while hi is None:
            trial = lo + width / 12
            x_trial, mu = lowest_multiplier(route, x_lo, trial, period)
            if mu < -1:
                hi = trial
            else:
                lo, x_lo = trial, x_trial
        while hi - lo > xtol:
            mid = (lo + hi) / 2
            x_mid, mu = lowest_multiplier(route, x_lo, mid, period)
            if mu < -1:
                hi = mid
            else:
                lo, x_lo = mid, x_mid
        found.append(Doubling(period, (lo + hi) / 2, hi - lo, x_lo))
        width = hi - (found[-2].lr if len(found) > 1 else first_lr)
        lr, x, period = hi + width / 10, x_lo, 2 * period
        # Just past the doubling the 2P-cycle is stable and close to the P-cycle: settle onto it.
        x = settle(route, x + 1e-6, lr, settle_steps)
    return found
