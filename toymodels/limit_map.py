"""The limit map Φ of gradient flow onto the manifold of minima Γ (Arora, Li, Panigrahi, ICML 2022,
arXiv:2205.09745; docs/theory/manifold.md).

Φ(θ) = lim_{t→∞} of gradient flow θ' = −∇L started at θ (Arora, Li, Panigrahi, ICML 2022,
§3). Two ways to compute it, chosen by :func:`limit_map`:

- ``"conserved"``: when the model declares quantities c(θ) conserved by gradient flow
  (``Model(conserved=...)``), Φ(θ) is the point X of Γ with c(X) = c(θ). It is found by
  continuation along the level set {c = c(θ)}: X solves g(X) = (1 − τ)g(θ), c(X) = c(θ) for
  τ = 0 → 1, in steps that Newton's method corrects and that are accepted only when the
  correction is small. Following the level set from θ (instead of one Newton solve from θ)
  lands on the branch that gradient flow reaches, as long as g moves monotonically along the
  flow (true when L is a function of g, as for every zoo entry that declares conserved
  quantities: scalar nets, arora_valley, rosenbrock_valley). For scalar nets one Newton solve
  from θ can land on a copy with two signs flipped (same squares, same product); the
  continuation does not (tested against the scalar-net formula and against gradient flow).
- ``"flow"``: integrate gradient flow (DOP853) until the first-order distance to Γ falls
  below ``switch_distance``, then Newton-project onto Γ. Near Γ, Φ(θ) and the projection
  differ by O(distance²) (∂Φ = P^⊥ on Γ), so the stated accuracy is about
  switch_distance² + the integration tolerance.

Points where Φ is undefined or not reached (gradient flow ending at a saddle, a singular
Jacobian on the way, no convergence within ``max_time``) raise :class:`LimitMapError`; with
``errors="status"`` they are NaN and a status array is returned beside Φ
(:mod:`toymodels.pointwise`), so the other points of a batch are kept.
"""

import numpy as np
import sympy as sp

from .compile import CompiledFunction, require_manifold
from .errors import InvalidInputError, LimitMapError, ModelSpecError
from .integrate import integrate
from .manifold import compiled, first_order_distance, project_to_manifold
from .pointwise import check_errors, finish, first_point
from .status import FINISHED, NOT_CONVERGED

METHODS = ("auto", "conserved", "flow")


def _conserved_functions(model):
    """Compiled c(θ) and ∂c/∂θ of the model's conserved quantities (cached per model)."""
    exprs = model.conserved

    def values():
        return CompiledFunction(f"{model.name}.conserved", exprs, [model.params], shape=(len(exprs),),
                                doc="conserved quantities c(θ) of gradient flow")

    def jacobian():
        jac = sp.Matrix(exprs).jacobian(model.params)
        return CompiledFunction(f"{model.name}.conserved_jacobian", list(jac), [model.params],
                                shape=(len(exprs), model.dim), doc="∂c/∂θ")
    return compiled(model, "conserved", values), compiled(model, "conserved_jacobian", jacobian)


def conserved_quantities(model, theta):
    """c(θ), shape (..., d − M), the declared quantities conserved by gradient flow."""
    if model.conserved is None:
        raise InvalidInputError(f"{model.label()} declares no conserved quantities")
    return _conserved_functions(model)[0](model.numeric._theta(theta))


def conserved_jacobian(model, theta):
    """∂c/∂θ, shape (..., d − M, d), of the declared conserved quantities."""
    if model.conserved is None:
        raise InvalidInputError(f"{model.label()} declares no conserved quantities")
    return _conserved_functions(model)[1](model.numeric._theta(theta))


def _check_counts(model, *, required=True):
    """True when the declared conserved quantities pin Φ (one per direction along Γ). Otherwise
    False if there are none or (``required=False``, the automatic choice) too few or too many,
    else a ModelSpecError: e.g. the balance quantities of a matrix linear network are fewer than
    the directions along Γ, so "auto" integrates gradient flow for it."""
    require_manifold(model)
    if model.conserved is None:
        return False
    if len(model.conserved) + len(model.manifold) != model.dim:
        if not required:
            return False
        raise ModelSpecError(
            f"{model.label()} declares {len(model.conserved)} conserved quantities and "
            f"{len(model.manifold)} constraints, but Φ from conserved quantities needs "
            f"d − M = {model.dim - len(model.manifold)} of them (one per direction along Γ)")
    return True


def _error(model, theta, status, why):
    """The LimitMapError for the points of ``theta`` whose ``status`` is not FINISHED."""
    mask = status != FINISHED
    return lambda: LimitMapError(f"Φ is not defined or was not reached at θ = {first_point(theta, mask)} of "
                                 f"{model.label()} ({int(mask.sum())} point(s)): {why}; or pass "
                                 "errors='status' to keep the other points")


def _newton_system(model, x, target_g, target_c):
    """Residual F(x) = (g(x) − target_g, c(x) − target_c) and its Jacobian (..., d, d)."""
    numeric = model.numeric
    conserved, conserved_jac = _conserved_functions(model)
    residual = np.concatenate([numeric.constraints(x) - target_g, conserved(x) - target_c], axis=-1)
    jac = np.concatenate([numeric.constraints_jacobian(x), conserved_jac(x)], axis=-2)
    return residual, jac


def _newton_step(jac, residual):
    """Solve jac·step = residual per point; (step, ok) with ok False where jac is singular."""
    scale = np.max(np.abs(jac), axis=(-2, -1), keepdims=True)
    scaled = jac / np.where(scale > 0, scale, 1.0)
    ok = np.abs(np.linalg.det(scaled)) > 1e-13
    safe = np.where(ok[..., None, None], scaled, np.eye(jac.shape[-1]))
    step = np.linalg.solve(safe, residual[..., None])[..., 0] / np.where(scale > 0, scale, 1.0)[..., 0]
    return np.where(ok[..., None], step, 0.0), ok


def limit_map_conserved(model, theta, *, tol=1e-10, max_rounds=400, errors="raise"):
    """Φ(θ) from the declared conserved quantities (see the module docstring), shape (..., d).

    Predictor–corrector continuation in τ with a step size per point: an Euler predictor
    along dX/dτ, then Newton corrections; a step is accepted only if Newton converges close to
    the predictor (within a quarter of the step), so the path cannot jump to another solution
    of the same equations (e.g. a sign-flipped copy); otherwise the step is cut by 4.
    ``tol`` bounds the residuals |g(X)| and |c(X) − c(θ)| relative to 1 + max(|X|, |c|) for a
    step to be accepted; three Newton steps at τ = 1 then polish X to rounding level.
    ``errors``: see :mod:`toymodels.pointwise`.
    """
    check_errors(errors)
    if not _check_counts(model):
        raise InvalidInputError(f"{model.label()} declares no conserved quantities; use method='flow'")
    numeric = model.numeric
    theta = np.array(numeric._theta(theta), dtype=float)
    if not np.all(np.isfinite(theta)):
        raise InvalidInputError("theta contains NaN or infinite values")
    shape, d = theta.shape, model.dim
    flat = theta.reshape(-1, d)
    g0 = numeric.constraints(flat)
    c0 = conserved_quantities(model, flat)
    x = flat.copy()
    tau, h = np.zeros(len(flat)), np.ones(len(flat))
    failed = np.zeros(len(flat), dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(max_rounds):
            i = np.flatnonzero((tau < 1) & ~failed)
            if i.size == 0:
                break
            step = np.minimum(h[i], 1 - tau[i])
            _, jac = _newton_system(model, x[i], (1 - tau[i])[:, None] * g0[i], c0[i])
            tangent, regular = _newton_step(jac, np.concatenate([-g0[i], np.zeros_like(c0[i])], axis=-1))
            predicted = x[i] + step[:, None] * tangent
            target = (1 - tau[i] - step)[:, None] * g0[i]
            y = predicted
            for _ in range(6):
                residual, jac = _newton_system(model, y, target, c0[i])
                correction, ok = _newton_step(jac, residual)
                regular &= ok
                y = y - correction
            residual, _ = _newton_system(model, y, target, c0[i])
            size = 1 + np.max(np.abs(np.concatenate([y, c0[i]], axis=-1)), axis=-1)
            moved = np.linalg.norm(y - predicted, axis=-1)
            accept = (regular & np.all(np.isfinite(y), axis=-1)
                      & (np.max(np.abs(residual), axis=-1) <= tol * size)
                      & (moved <= 0.25 * step * np.linalg.norm(tangent, axis=-1) + 1e-12 * size))
            x[i[accept]] = y[accept]
            lands = step >= 1 - tau[i]  # this step ends exactly at τ = 1
            tau[i[accept]] = np.where(lands, 1.0, tau[i] + step)[accept]
            h[i] = np.where(accept, 2 * step, step / 4)
            failed[i] |= h[i] < 1e-9
        failed |= tau < 1
        for _ in range(3):  # polish at τ = 1 to the requested tolerance
            residual, jac = _newton_system(model, x, 0.0, c0)
            correction, ok = _newton_step(jac, residual)
            x = np.where(ok[:, None], x - correction, x)
        residual, _ = _newton_system(model, x, 0.0, c0)
        size = 1 + np.max(np.abs(np.concatenate([x, c0], axis=-1)), axis=-1)
        failed |= ~np.all(np.isfinite(x), axis=-1) | (np.max(np.abs(residual), axis=-1) > tol * size)
    status = np.where(failed, NOT_CONVERGED, FINISHED)
    return finish(errors, (x.reshape(shape),), status.reshape(shape[:-1]), _error(
        model, flat, status, "the level set of the conserved quantities through θ does not reach Γ by "
        "continuation (a singular Jacobian on the way: gradient flow from θ ends at a saddle, or g is "
        "not monotone along it); start elsewhere, or try method='flow'"))


def limit_map_flow(model, theta, *, switch_distance=1e-7, rtol=1e-11, atol=1e-13, max_time=1e4,
                   errors="raise"):
    """Φ(θ) by integrating gradient flow to convergence (see the module docstring), shape (..., d).

    Integrates in chunks of doubling length up to ``max_time``; a start stops when its
    first-order distance ‖Jᵀ(JJᵀ)⁻¹g‖ to Γ is ≤ ``switch_distance``, and is then projected.
    ``errors``: see :mod:`toymodels.pointwise`; a start whose integration stopped keeps its
    integration status (diverged, step_size_collapse, ...), one that did not reach Γ gets
    "not_converged".
    """
    check_errors(errors)
    require_manifold(model)
    numeric = model.numeric
    theta = np.array(numeric._theta(theta), dtype=float)
    if not np.all(np.isfinite(theta)):
        raise InvalidInputError("theta contains NaN or infinite values")
    flat = theta.reshape(-1, model.dim).copy()
    numeric_grad = numeric.grad

    def field(x):  # gradient flow (flows.gradient builds the same field; flows import this module)
        return -numeric_grad(x)

    def near(x):
        return first_order_distance(model, x) <= switch_distance

    start = flat.copy()
    status = np.full(len(flat), FINISHED, dtype=object)
    active = ~near(flat)
    elapsed, chunk = 0.0, 1.0
    while np.any(active) and elapsed < max_time:
        idx = np.flatnonzero(active)
        sol = integrate(field, flat[idx], chunk, rtol=rtol, atol=atol)
        flat[idx] = sol.final
        status[idx] = sol.status
        active[idx] = (sol.status == FINISHED) & ~near(sol.final)
        elapsed += chunk
        chunk = min(2 * chunk, max_time - elapsed)
    stopped = status != FINISHED
    status[active] = NOT_CONVERGED
    x, ok = project_to_manifold(model, flat)
    status[(status == FINISHED) & ~ok] = NOT_CONVERGED
    status = status.astype(str)
    if stopped.any():
        why = ("the integration of gradient flow stopped (it diverged, or its step size collapsed: the flow "
               "is stiff where λ1 is large, e.g. near a very unbalanced point); declare conserved "
               "quantities for a closed form, or start nearer Γ")
    elif active.any():
        why = (f"gradient flow did not come within {switch_distance:g} of Γ by time {max_time:g} (it may "
               "end at a saddle); start elsewhere or raise max_time")
    else:
        why = "the end point of gradient flow could not be projected onto Γ"
    return finish(errors, (x.reshape(theta.shape),), status.reshape(theta.shape[:-1]),
                  _error(model, start, status, why))


def limit_map(model, theta, *, method="auto", **options):
    """Φ(θ), shape (..., d): ``"conserved"`` when the model declares d − M conserved quantities
    (``method="auto"``), else ``"flow"``; ``options`` go to the chosen method. With
    ``errors="status"`` it returns (Φ, status): Φ is NaN where it was not reached, and status
    says why per point (:mod:`toymodels.status`)."""
    if method not in METHODS:
        raise InvalidInputError(f"unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    if method == "auto":
        method = "conserved" if _check_counts(model, required=False) else "flow"
    return limit_map_conserved(model, theta, **options) if method == "conserved" else \
        limit_map_flow(model, theta, **options)
