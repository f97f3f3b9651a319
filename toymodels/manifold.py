"""The manifold Γ of minima, given by constraints g(θ) = 0 (docs/theory/manifold.md).

Arora, Li, Panigrahi (ICML 2022, §3) work near a manifold Γ of minima with rank ∇²L = codim Γ
and a simple top eigenvalue λ1 on Γ. This module holds the geometry they need:

- :func:`project_to_manifold`: points brought onto Γ by the Gauss–Newton (minimum-norm
  Newton) iteration θ ← θ − Jᵀ(JJᵀ)⁻¹ g(θ), J = ∂g/∂θ, quadratic near a regular point of Γ;
- :func:`tangent_projector`: P^⊥ = I − Jᵀ(JJᵀ)⁻¹J, the orthogonal projection onto the tangent
  space of Γ (on Γ it is ∂Φ, the derivative of the limit map of gradient flow), from
  :func:`regular_jacobian` (a :class:`~toymodels.errors.SingularError` where rank J < M);
- :func:`first_order_distance`: ‖Jᵀ(JJᵀ)⁻¹g‖, the Gauss–Newton distance to Γ;
- :func:`closest_point`, :func:`distance_to_manifold`, :func:`normal_offset`: the orthogonal
  foot point on Γ, the distance to it, and the signed distance along u1;
- :func:`top_eigenpair`, :func:`lambda1_gradient`: λ1, u1 and ∇λ1 = ∇³L[u1, u1] (valid for
  simple λ1 only; a :class:`~toymodels.errors.SingularError` otherwise).

On a batch of points, ``errors="status"`` keeps the regular points and reports the others in
a status array instead of raising (:mod:`toymodels.pointwise`).

The limit map Φ itself is in :mod:`toymodels.limit_map`.
"""

import weakref

import numpy as np

from .compile import CompiledFunction, require_manifold
from .errors import InvalidInputError, SingularError
from .pointwise import Pointwise, first_point
from .status import FINISHED, NOT_CONVERGED, SINGULAR

#: JJᵀ counts as singular when its smallest eigenvalue is below this times its largest.
RANK_RTOL = 1e-12
#: λ1 counts as simple when λ1 − λ2 exceeds this times |λ1|.
GAP_RTOL = 1e-9


_COMPILED = weakref.WeakKeyDictionary()


def compiled(model, name, build):
    """A :class:`CompiledFunction` of ``model`` built once by ``build()`` and cached per model."""
    functions = _COMPILED.setdefault(model, {})
    if name not in functions:
        functions[name] = build()
    return functions[name]


def _states(model, theta):
    theta = model.numeric._theta(theta)
    if np.iscomplexobj(theta) or not np.all(np.isfinite(theta)):
        raise InvalidInputError("states must be real and finite")
    return theta.astype(float, copy=False)


def project_to_manifold(model, theta, *, tol=1e-13, max_iter=60):
    """Newton-project states (..., d) onto Γ; returns (points, converged mask).

    A state converges when ‖g‖∞ ≤ tol·(1 + ‖θ‖∞). States where J loses rank or the iteration
    does not settle in ``max_iter`` steps are reported as not converged (their points are
    the last iterate), so callers decide what to do with them.
    """
    numeric = model.numeric
    theta = np.array(numeric._theta(theta), dtype=float)
    converged = np.zeros(theta.shape[:-1], dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            g = numeric.constraints(theta)
            scale = 1 + np.max(np.abs(theta), axis=-1)
            converged = np.all(np.abs(g) <= tol * scale[..., None], axis=-1)
            if converged.all():
                break
            jac = numeric.constraints_jacobian(theta)
            gram = jac @ np.swapaxes(jac, -1, -2)
            regular = np.abs(np.linalg.det(gram)) > 1e-300
            safe_gram = np.where(regular[..., None, None], gram, np.eye(gram.shape[-1]))
            step = np.linalg.solve(safe_gram, g[..., None])[..., 0]
            update = np.swapaxes(jac, -1, -2) @ step[..., None]
            move = ~converged & regular & np.all(np.isfinite(update[..., 0]), axis=-1)
            theta = np.where(move[..., None], theta - update[..., 0], theta)
        g = numeric.constraints(theta)
        scale = 1 + np.max(np.abs(theta), axis=-1)
        converged = np.all(np.isfinite(theta), axis=-1) & np.all(np.abs(g) <= tol * scale[..., None], axis=-1)
    return theta, converged


def sample_manifold(model, n, rng, *, box=2.0, min_gram=1e-2):
    """``n`` points of Γ: Newton projections of uniform starts in [−box, box]^d.

    Points where the constraints are nearly singular (smallest eigenvalue of JJᵀ below
    ``min_gram``) are dropped, so every returned point is a regular point of Γ.
    """
    if n <= 0:
        raise InvalidInputError(f"need n > 0 points, got {n}")
    found = []
    for _ in range(20):
        starts = rng.uniform(-box, box, size=(4 * n, model.dim))
        points, ok = project_to_manifold(model, starts)
        points = points[ok]
        if len(points):
            jac = model.numeric.constraints_jacobian(points)
            smallest = np.linalg.eigvalsh(jac @ np.swapaxes(jac, -1, -2))[..., 0]
            points = points[(smallest > min_gram) & (np.max(np.abs(points), axis=-1) < 10 * box)]
        found.append(points)
        if sum(map(len, found)) >= n:
            break
    points = np.concatenate(found)[:n]
    if len(points) < n:
        raise InvalidInputError(f"found only {len(points)} regular points of Γ for {model.label()}")
    return points


def _gram(model, theta):
    """J (..., M, d), JJᵀ and the mask of points where JJᵀ is (numerically) singular."""
    require_manifold(model)
    jac = model.numeric.constraints_jacobian(theta)
    gram = jac @ np.swapaxes(jac, -1, -2)
    eig = np.linalg.eigvalsh(gram)
    return jac, gram, eig[..., 0] <= RANK_RTOL * np.maximum(eig[..., -1], np.finfo(float).tiny)


def _regular(model, theta) -> Pointwise:
    """J, (JJᵀ)⁻¹ and the status "singular" where J loses rank (JJᵀ replaced by I there)."""
    jac, gram, singular = _gram(model, theta)
    gram_inv = np.linalg.inv(np.where(singular[..., None, None], np.eye(gram.shape[-1]), gram))
    return Pointwise((jac, gram_inv), np.where(singular, SINGULAR, FINISHED), lambda: SingularError(
        f"the constraint Jacobian ∂g/∂θ of {model.label()} is rank-deficient at θ = "
        f"{first_point(theta, singular)} (smallest/largest eigenvalue of JJᵀ ≤ {RANK_RTOL:g}), so "
        "the tangent space of Γ is undefined there; move off that point, declare Γ by independent "
        "constraints (e.g. one equation per normal direction), or pass errors='status'"))


def regular_jacobian(model, theta, *, errors="raise"):
    """J = ∂g/∂θ (..., M, d) and the inverse of JJᵀ; a :class:`SingularError` where J loses rank
    (with ``errors="status"``: NaN there, and a status array appended; :mod:`toymodels.pointwise`).

    The constraints must be independent (rank J = M) for P^⊥ and the normal projection to
    exist; at a point where they are not, Γ is not a manifold with these equations.
    """
    return _regular(model, _states(model, theta)).result(errors)


def first_order_distance(model, theta):
    """‖Jᵀ(JJᵀ)⁻¹g(θ)‖ (...), the distance to Γ to first order; inf where J loses rank."""
    theta = _states(model, theta)
    jac, gram, singular = _gram(model, theta)
    gram_inv = np.linalg.inv(np.where(singular[..., None, None], np.eye(gram.shape[-1]), gram))
    step = normal_lift(jac, gram_inv, model.numeric.constraints(theta))
    return np.where(singular, np.inf, np.linalg.norm(step, axis=-1))


def normal_lift(jac, gram_inv, w):
    """Jᵀ(JJᵀ)⁻¹w (..., d) for w (..., M): the normal vector whose constraint rates are w."""
    return np.einsum("...ji,...jk,...k->...i", jac, gram_inv, w)


def tangent_projector(model, theta, *, errors="raise"):
    """P^⊥ = I − Jᵀ(JJᵀ)⁻¹J (..., d, d): orthogonal projection onto the tangent space of Γ.

    Defined at every point where the constraints are regular (on Γ it is the tangent space of
    Γ; off Γ, that of the level set of g through θ); ``errors`` as in :func:`regular_jacobian`.
    """
    regular = _regular(model, _states(model, theta))
    jac, gram_inv = regular.values
    return regular.then(np.eye(model.dim) - np.swapaxes(jac, -1, -2) @ gram_inv @ jac).result(errors)


def _foot(model, theta, tol=1e-13, max_iter=50) -> Pointwise:
    """The foot points of :func:`closest_point`, status "not_converged" where none was found."""
    x, ok = project_to_manifold(model, theta)
    done = np.zeros(ok.shape, dtype=bool)
    with np.errstate(all="ignore"):  # failed points go on as NaN until the end, then are reported
        for _ in range(max_iter):
            live = ok & ~done
            if not live.any():
                break
            projector, _ = tangent_projector(model, np.where(live[..., None], x, theta), errors="status")
            tangential = np.einsum("...ij,...j->...i", projector, theta - x)
            done |= live & (np.linalg.norm(tangential, axis=-1) <= tol * (1 + np.max(np.abs(theta), axis=-1)))
            moved, moved_ok = project_to_manifold(model, np.where(live[..., None], x + tangential, x))
            step = live & ~done
            x = np.where(step[..., None], moved, x)
            ok &= ~step | moved_ok
    status = np.where(ok & done, FINISHED, NOT_CONVERGED)
    return Pointwise((x,), status, lambda: SingularError(
        f"no orthogonal foot point on Γ found for θ = {first_point(theta, status != FINISHED)} of "
        f"{model.label()}: the point is too far from Γ or where the constraints are singular; use "
        "points near Γ, or pass errors='status'"))


def closest_point(model, theta, *, tol=1e-13, max_iter=50, errors="raise"):
    """The orthogonal foot point π(θ) on Γ (θ − π(θ) normal to Γ), shape (..., d).

    Alternates a tangential move toward θ with a Newton projection back onto Γ:
    x ← project(x + P^⊥(x)(θ − x)); the fixed point has θ − x in the normal space. Converges
    linearly at a rate ≈ distance × curvature of Γ, so it is meant for points near Γ; a
    :class:`SingularError` is raised where it does not converge (with ``errors="status"``:
    NaN there and status "not_converged"; :mod:`toymodels.pointwise`).
    """
    return _foot(model, _states(model, theta), tol, max_iter).result(errors)


def distance_to_manifold(model, theta, *, errors="raise"):
    """‖θ − π(θ)‖, the Euclidean distance to Γ, shape (...); ``errors`` as in :func:`closest_point`."""
    theta = _states(model, theta)
    foot = _foot(model, theta)
    return foot.then(np.linalg.norm(theta - foot.values[0], axis=-1)).result(errors)


def _third_derivative_uu(model):
    """∇³L[u, u] compiled in θ and u (``numeric.d3`` with v = u, fewer terms after CSE)."""
    u, v = model.direction_symbols("u"), model.direction_symbols("v")

    def build():  # per sample, averaged over the data when called, as numeric.d3 does
        entries = list(model.sample_d3.xreplace(dict(zip(v, u))))
        return CompiledFunction(f"{model.name}.d3_uu", entries, [model.params, u], model.sample_symbols,
                                shape=(model.dim,), doc="∇³L(θ)[u, u]")
    return compiled(model, "d3_uu", build)


def _top(model, theta, gap_rtol) -> Pointwise:
    """λ1, u1 and the status "singular" where λ1 is not simple."""
    values, vectors = model.numeric.eigh(theta)
    tied = np.zeros(values.shape[:-1], dtype=bool)
    if model.dim > 1:
        tied = values[..., 0] - values[..., 1] <= gap_rtol * np.abs(values[..., 0])
    return Pointwise((values[..., 0], vectors[..., :, 0]), np.where(tied, SINGULAR, FINISHED), lambda: SingularError(
        f"λ1 of ∇²L of {model.label()} is not simple at θ = {first_point(theta, tied)} "
        f"(λ1 = {values[tied][0, 0]:.6g}, λ2 = {values[tied][0, 1]:.6g}), so u1, ∇λ1 and the limiting flows "
        "of Arora, Li, Panigrahi (2022) are undefined there; they need λ1 > λ2 on Γ (or pass errors='status')"))


def top_eigenpair(model, theta, *, gap_rtol=GAP_RTOL, errors="raise"):
    """λ1 (...) and u1 (..., d) of ∇²L at θ; a :class:`SingularError` where λ1 is not simple
    (λ1 − λ2 ≤ gap_rtol·|λ1|), since u1, ∇λ1 and the limiting flows are undefined there (with
    ``errors="status"``: NaN there and status "singular"; :mod:`toymodels.pointwise`)."""
    return _top(model, _states(model, theta), gap_rtol).result(errors)


def lambda1_gradient(model, theta, *, gap_rtol=GAP_RTOL, errors="raise"):
    """λ1 (...), u1 (..., d) and ∇λ1 = ∇³L[u1, u1] (..., d) of ∇²L at θ.

    The formula for ∇λ1 holds for a simple eigenvalue only (first-order perturbation
    theory); where λ1 − λ2 ≤ gap_rtol·|λ1| a :class:`SingularError` is raised (``errors`` as
    in :func:`top_eigenpair`).
    """
    theta = _states(model, theta)
    top = _top(model, theta, gap_rtol)
    lam1, u1 = top.values
    return top.then(lam1, u1, _third_derivative_uu(model)(theta, u1, samples=model.numeric.samples())).result(errors)


def normal_offset(model, theta, *, errors="raise"):
    """Signed distance of θ to Γ along u1 at the foot point: (θ − π(θ))·u1(π(θ)), shape (...).

    The sign of u1 is fixed by u1·∇g_1 > 0, so the offset alternates in sign across Γ.
    ``errors`` as in :func:`closest_point` and :func:`top_eigenpair`.
    """
    theta = _states(model, theta)
    foot = _foot(model, theta)
    failed = foot.status != FINISHED
    x = np.where(failed[..., None], theta, foot.values[0])  # a placeholder where no foot was found
    top = _top(model, x, GAP_RTOL)
    u1 = top.values[1]
    normal = model.numeric.constraints_jacobian(x)[..., 0, :]
    sign = np.where(np.einsum("...i,...i->...", u1, normal) < 0, -1.0, 1.0)
    offset = sign * np.einsum("...i,...i->...", theta - x, u1)
    return Pointwise((offset,), np.where(failed, foot.status, top.status),
                     foot.error if failed.any() else top.error).result(errors)
