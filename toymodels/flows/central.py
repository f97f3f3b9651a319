"""The central flow of gradient descent at the edge of stability (Cohen, Damian, Talwalkar,
Kolter, Lee, ICLR 2025, arXiv:2410.24206; docs/theory/central-flows.md).

GD at the edge oscillates along the top Hessian eigenvectors; the central flow follows its time
average. In flow time t (one GD step = η units, docs/theory/conventions.md):

    dw/dt = −[∇L(w) + ½∇⟨H(w), Σ⟩],    Σ = U X Uᵀ,

where U holds the eigenvectors whose eigenvalues are at the edge 2/η, and X ⪰ 0 is the
oscillation covariance in those directions: Σ = 0 below the edge; with one eigenvalue at the
edge, X = σ² = max(0, 2⟨−∇L, ∇S⟩/‖∇S‖²) (their eq. for the one-eigenvalue flow), which holds
S = 2/η; with k ≤ 3 eigenvalues at the edge, X solves the semidefinite complementarity problem
X ⪰ 0, −d(UᵀHU)/dt ⪰ 0, ⟨X, −d(UᵀHU)/dt⟩ = 0 (:mod:`toymodels.sdcp`), using
d(u_kᵀHu_l)/dt = ⟨g_kl, dw/dt⟩, g_kl = ∇³L[u_k, u_l].

The time-averaged loss it predicts is L(w) + ½⟨H, Σ⟩ = L(w) + tr Σ/η on the edge.

Held on the edge: the complementarity is written for R = −d(UᵀHU)/dt + κ((2/η)I − UᵀHU),
i.e. Q = ⟨g_kl, ∇L⟩ + κ(2/η − λ_k)δ_kl and R = Q + ½G(X): the edge eigenvalues may rise at most
at rate κ·(distance to 2/η), so they relax onto 2/η (and stay there exactly when they start
there), and below the edge by more than ⟨−∇L, ∇S⟩/κ the flow is gradient flow. This is the stabilization the manifold flows use (docs/theory/manifold.md); it
makes the field continuous, so :func:`toymodels.integrate` (rk4 or dop853) integrates it with
no event detection. The price: a start below the edge reaches it exponentially (time ~1/κ)
instead of at a finite time, a path shift of O(|⟨∇L, ∇S⟩|/κ²).
"""

from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedError
from ..sdcp import MAX_K, SDCPSolution, solve_sdcp
from .field import VectorField

#: Eigenvalues within this fraction below 2/η enter the complementarity problem (they get X = 0
#: there unless the flow is pushing them up faster than κ·(distance to the edge)).
EDGE_BAND = 0.05


@dataclass(frozen=True)
class CentralState:
    """The central flow's quantities at states w (batch shape (...)): the oscillation covariance
    ``sigma`` (..., d, d), the drift ``velocity`` dw/dt (..., d), the loss L(w) and the predicted
    time-averaged loss ``avg_loss`` = L(w) + ½⟨H, Σ⟩ (= L(w) + tr Σ/η on the edge)."""

    sigma: np.ndarray
    velocity: np.ndarray
    loss: np.ndarray
    avg_loss: np.ndarray


@dataclass(frozen=True)
class EdgeSolution:
    """At one state: the ``k`` edge eigenvectors ``U`` (d, k), the problem (Q, G) and its solution
    (an :class:`~toymodels.sdcp.SDCPSolution`; for k = 1 the closed form σ² = max(0, −2Q/G))."""

    U: np.ndarray
    Q: np.ndarray
    G: np.ndarray
    g: np.ndarray
    solution: SDCPSolution

    @property
    def k(self) -> int:
        return self.U.shape[1]


def _edge_solution(numeric, w, grad, lam, vec, edge, kappa, edge_band) -> EdgeSolution:
    """The complementarity problem at one state w (module docstring); ``lam`` descending."""
    k = int(np.sum(lam >= edge * (1 - edge_band)))
    if k > MAX_K:
        raise UnsupportedError(f"{k} Hessian eigenvalues are within {edge_band:.0%} of the edge 2/η = {edge:g} "
                               f"at w = {w}; the central flow here solves k ≤ {MAX_K}")
    U = vec[:, :k]
    g = np.empty((k, k, len(w)))
    for i in range(k):
        for j in range(i, k):
            g[i, j] = g[j, i] = numeric.d3(w, U[:, i], U[:, j])
    G = np.einsum("ijn,kln->ijkl", g, g)
    Q = np.einsum("ijn,n->ij", g, grad) + kappa * np.diag(edge - lam[:k])
    if k == 1:  # the closed form σ² = max(0, −2Q/G)
        X = np.array([[max(0.0, -2 * Q[0, 0] / G[0, 0, 0, 0])]])
        solution = SDCPSolution(X, Q + 0.5 * G[0, 0, 0, 0] * X, int(X[0, 0] > 0), 0.0)
    else:
        solution = solve_sdcp(Q, G)
    return EdgeSolution(U, Q, G, g, solution)


def _eigh_descending(hess):
    lam, vec = np.linalg.eigh(hess)
    return lam[..., ::-1], vec[..., ::-1]


def _drift(numeric, flat, edge, kappa, edge_band):
    """(Σ, dw/dt, H) at the states ``flat`` (n, d)."""
    grad, hess = numeric.grad(flat), numeric.hess(flat)
    lam, vec = _eigh_descending(hess)
    d = flat.shape[-1]
    sigma = np.zeros((len(flat), d, d))
    velocity = -grad
    for n in np.flatnonzero(lam[:, 0] >= edge * (1 - edge_band)):
        at = _edge_solution(numeric, flat[n], grad[n], lam[n], vec[n], edge, kappa, edge_band)
        X = at.solution.X
        sigma[n] = at.U @ X @ at.U.T
        velocity[n] -= 0.5 * np.einsum("ij,ijn->n", X, at.g)
    return sigma, velocity, hess


def edge_solution(model, lr, w, *, kappa=None, edge_band=EDGE_BAND) -> EdgeSolution:
    """The edge eigenvectors and the complementarity problem with its solution at one state ``w`` (d,)."""
    numeric = model.numeric
    w = np.asarray(w, dtype=float)
    lam, vec = _eigh_descending(numeric.hess(w))
    return _edge_solution(numeric, w, numeric.grad(w), lam, vec, 2.0 / lr, _kappa(lr, kappa), edge_band)


def _kappa(lr, kappa):
    return 1.0 / lr if kappa is None else float(kappa)


def central_state(model, lr, w, *, kappa=None, edge_band=EDGE_BAND) -> CentralState:
    """Σ, dw/dt and the predicted time-averaged loss of the central flow at states ``w`` (..., d)."""
    numeric = model.numeric
    w = np.asarray(w, dtype=float)
    flat = w.reshape(-1, w.shape[-1])
    sigma, velocity, hess = _drift(numeric, flat, 2.0 / lr, _kappa(lr, kappa), edge_band)
    loss = numeric.loss(flat)
    avg = loss + 0.5 * np.einsum("nij,nij->n", hess, sigma)
    shape, d = w.shape[:-1], w.shape[-1]
    return CentralState(sigma.reshape(*shape, d, d), velocity.reshape(w.shape), loss.reshape(shape),
                        avg.reshape(shape))


def central(model, lr, *, kappa=None, edge_band=EDGE_BAND) -> VectorField:
    """The GD central flow of ``model`` at learning rate ``lr`` (module docstring), in flow time.

    ``kappa``: rate (per unit of flow time) at which the edge eigenvalues relax to 2/η; default
    1/lr, i.e. one GD step. Evaluate Σ and the predicted average loss with :func:`central_state`.
    """
    if model.has_data:
        raise UnsupportedError("the central flow here is for full-batch GD on a model without data")
    lr, numeric = float(lr), model.numeric
    kappa = _kappa(lr, kappa)

    def field(w):
        flat = w.reshape(-1, w.shape[-1])
        return _drift(numeric, flat, 2.0 / lr, kappa, edge_band)[1].reshape(w.shape)

    return VectorField("central", "central flow −∇L − ½∇⟨H, Σ⟩", field, model, lr=lr,
                       meta={"kappa": kappa, "edge_band": edge_band})
