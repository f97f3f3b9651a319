"""The manifold Γ of minima, given by constraints g(θ) = 0 (theory.md §5).

Points are brought onto Γ by the Gauss–Newton (minimum-norm Newton) iteration
θ ← θ − Jᵀ(JJᵀ)⁻¹ g(θ), J = ∂g/∂θ, which converges quadratically near a regular point of Γ.
"""

import numpy as np

from .errors import InvalidInputError


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
