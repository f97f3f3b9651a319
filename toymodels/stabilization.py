"""Self-stabilization (Damian, Nichani, Lee, ICLR 2023, arXiv:2209.15594; docs/theory/central-flows.md).

Near the stable set M = {S ≤ 2/η, ∇L·u = 0} (u the top Hessian eigenvector, S its eigenvalue),
with x the displacement along u and y = S − 2/η, GD follows x' ≈ −(1 + ηy)x,
y' ≈ y + η(α − βx²/2) with

    α = −∇L·∇S_⊥,   β = ‖∇S_⊥‖²,   ∇S_⊥ = (I − uuᵀ)∇S,   ∇S = ∇³L[u, u],

so the time average of x² is δ² = 2α/β (their §4.2), and GD tracks the projected gradient
descent ("dagger") trajectory θ†_{k+1} = proj_M(θ†_k − η∇L(θ†_k)) (their Thm. 1). The
projection here is the Newton step of their code (``linear_project``):
θ ← θ − max(0, S − 2/η)∇S_⊥/‖∇S_⊥‖² − u(u·∇L)/S, repeated ``newton_steps`` times.
"""

from dataclasses import dataclass

import numpy as np

from .errors import SingularError


@dataclass(frozen=True)
class StableSetGeometry:
    """At states w: S, u, ∇L, ∇S_⊥, α, β and δ² = 2α/β (each with the batch shape first)."""

    sharpness: np.ndarray
    u: np.ndarray
    grad: np.ndarray
    grad_s_perp: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray

    @property
    def delta2(self):
        """δ² = 2α/β, the predicted time average of x² (0 where α ≤ 0: nothing pushes S up)."""
        return np.maximum(0.0, 2 * self.alpha / self.beta)


def geometry(model, w) -> StableSetGeometry:
    """S, u, ∇S_⊥, α and β at states ``w`` (..., d)."""
    numeric = model.numeric
    w = np.asarray(w, dtype=float)
    lam, vec = np.linalg.eigh(numeric.hess(w))
    s, u = lam[..., -1], vec[..., :, -1]
    grad = numeric.grad(w)
    grad_s = numeric.d3(w, u, u)
    perp = grad_s - np.einsum("...i,...->...i", u, np.einsum("...i,...i->...", u, grad_s))
    beta = np.einsum("...i,...i->...", perp, perp)
    if np.any(beta == 0):
        raise SingularError("∇S_⊥ = 0: the sharpness does not change off the top eigenvector, so the "
                            "stable set has no normal direction and self-stabilization is undefined")
    alpha = -np.einsum("...i,...i->...", grad, perp)
    return StableSetGeometry(s, u, grad, perp, alpha, beta)


def project(model, lr, w, newton_steps=3):
    """Newton projection of ``w`` onto M = {S ≤ 2/η, ∇L·u = 0} (module docstring)."""
    w = np.array(w, dtype=float)
    for _ in range(newton_steps):
        g = geometry(model, w)
        excess = np.maximum(0.0, g.sharpness - 2.0 / lr)
        along = np.einsum("...i,...i->...", g.u, g.grad)
        w = w - (excess / g.beta)[..., None] * g.grad_s_perp - (along / g.sharpness)[..., None] * g.u
    return w


def dagger(model, lr, w0, steps, *, newton_steps=1, save_every=1):
    """The projected-GD ("dagger") path from proj_M(w0): states at steps 0, save_every, … (n, d).

    One Newton step per GD step (default) suffices: each GD step leaves the path O(η‖∇L‖)
    off M, and the next step's projection removes the remainder of the last one.
    """
    w = project(model, lr, w0)
    grad = model.numeric.grad
    saved = [w]
    for k in range(1, steps + 1):
        w = project(model, lr, w - lr * grad(w), newton_steps)
        if k % save_every == 0:
            saved.append(w)
    return np.array(saved)
