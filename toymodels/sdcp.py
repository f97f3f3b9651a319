"""Small semidefinite complementarity problems (SDCP), solved without a general SDP solver.

Find X ∈ Sym(k), k ≤ 3, with

    X ⪰ 0,   R(X) = Q + ½G(X) ⪰ 0,   ⟨X, R(X)⟩ = 0,

where G(X)_kl = Σ_ij G[k, l, i, j] X_ij with G positive semidefinite as a map on Sym(k) (a
Gram tensor G[k, l, i, j] = ⟨g_kl, g_ij⟩). This is the problem the central flow solves for the
oscillation covariance Σ when k eigenvalues sit at the edge of stability (Cohen, Damian,
Talwalkar, Kolter, Lee, ICLR 2025, arXiv:2410.24206, §4; docs/theory/central-flows.md). It is
the optimality condition of the convex problem min_{X ⪰ 0} φ(X) = ⟨Q, X⟩ + ¼⟨X, G(X)⟩, so with
G positive definite the solution is unique and can be found by enumerating the faces of the
cone (the rank r of X):

- r = 0: X = 0 when Q ⪰ 0;
- r = k: the linear solve ½G(X) = −Q when its solution is ⪰ 0;
- k = 2, r = 1: X = s vvᵀ with v a stationary point of q(v)²/l(v) on the circle, q = vᵀQv,
  l = ⟨vvᵀ, G(vvᵀ)⟩: with v ∝ (1, t) the stationarity condition 2q′l − ql′ = 0 is a
  polynomial of degree 5 in t, whose real roots (and t = ∞) are the candidates; s = −2q/l;
- k = 3, r = 1 or 2: the face is searched on a grid over the sphere (v for r = 1, the null
  vector n of X for r = 2), polished by Nelder–Mead, then by Levenberg–Marquardt on R(BBᵀ)B = 0
  (X = BBᵀ), and accepted only if its complementarity
  residual is at round-off (``KKT_TOL``): exact to round-off, but not a closed form.

A candidate is accepted when X ⪰ 0 and R ⪰ 0 up to ``KKT_TOL`` (relative); of several, the one
with the smallest φ (they coincide when the solution is unique).
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares, minimize

from .errors import SingularError, UnsupportedError

KKT_TOL = 1e-9
MAX_K = 3


@dataclass(frozen=True)
class SDCPSolution:
    """X, R(X), the rank of X (the face of the cone), and the largest violation of X ⪰ 0,
    R ⪰ 0 and ⟨X, R⟩ = 0 relative to the scale of the problem."""

    X: np.ndarray
    R: np.ndarray
    rank: int
    residual: float


def _apply(G, X):
    return np.einsum("klij,ij->kl", G, X)


def _phi(Q, G, X):
    return float(np.sum(Q * X) + 0.25 * np.sum(X * _apply(G, X)))


def residual(Q, G, X):
    """Largest violation of X ⪰ 0, R ⪰ 0, ⟨X, R⟩ = 0, relative to the scale of Q and G(X)."""
    R = Q + 0.5 * _apply(G, X)
    scale = max(np.abs(Q).max(), np.abs(0.5 * _apply(G, X)).max(), 1e-300)
    neg = max(-np.linalg.eigvalsh(X).min(), -np.linalg.eigvalsh(R).min(), 0.0)
    comp = abs(np.sum(X * R)) / max(np.abs(X).max(), 1e-300)
    return max(neg, comp) / scale, R


def _sym_basis(k):
    """An orthonormal basis of Sym(k) (for the linear solve ½G(X) = −Q in k(k+1)/2 unknowns)."""
    basis = []
    for i in range(k):
        for j in range(i, k):
            E = np.zeros((k, k))
            E[i, j] = E[j, i] = 1.0 if i == j else 1 / np.sqrt(2)
            basis.append(E)
    return np.array(basis)


def _full_rank(Q, G):
    B = _sym_basis(len(Q))
    M = 0.5 * np.einsum("aij,ijkl,bkl->ab", B, G, B)
    rhs = -np.einsum("aij,ij->a", B, Q)
    try:
        coef = np.linalg.solve(M, rhs)
    except np.linalg.LinAlgError:
        return None
    return np.einsum("a,aij->ij", coef, B)


def _rank_one(Q, G, v):
    """X = s vvᵀ with s = −2q/l (the minimizer of φ on the ray), or None if q ≥ 0."""
    P = np.outer(v, v)
    q, l = float(v @ Q @ v), float(np.sum(P * _apply(G, P)))
    if q >= 0 or l <= 0:
        return None
    return (-2 * q / l) * P


def _circle_candidates(Q, G):
    """Rank-one candidates for k = 2: the stationary points of q²/l, v ∝ (1, t), and t = ∞."""
    # vvᵀ ∝ [[1, t], [t, t²]] = E0 + t E1 + t² E2
    E = [np.array([[1.0, 0], [0, 0]]), np.array([[0, 1.0], [1.0, 0]]), np.array([[0, 0], [0, 1.0]])]
    q = np.array([np.sum(Q * e) for e in E])  # coefficients of t⁰, t¹, t²
    GE = [_apply(G, e) for e in E]
    l = np.zeros(5)
    for a in range(3):
        for b in range(3):
            l[a + b] += np.sum(E[a] * GE[b])
    P = np.polynomial.polynomial
    stationary = P.polysub(2 * P.polymul(P.polyder(q), l), P.polymul(q, P.polyder(l)))
    roots = P.polyroots(stationary) if np.any(stationary) else np.array([])
    ts = [r.real for r in roots if abs(r.imag) <= 1e-9 * max(1.0, abs(r))]
    vs = [np.array([1.0, t]) / np.hypot(1.0, t) for t in ts] + [np.array([0.0, 1.0])]
    return [X for X in (_rank_one(Q, G, v) for v in vs) if X is not None]


def _sphere(n=400):
    """Fibonacci points on the unit sphere (a grid for the k = 3 faces)."""
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    phi = np.pi * (1 + 5**0.5) * i
    r = np.sqrt(1 - z**2)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=-1)


def _unit(angles):
    a, b = angles
    return np.array([np.sin(a) * np.cos(b), np.sin(a) * np.sin(b), np.cos(a)])


def _rank_two(Q, G, n):
    """X on the face {X ⪰ 0, X n = 0}: the minimizer of φ over Sym(n^⊥), if it is ⪰ 0 (else None)."""
    basis = np.linalg.svd(np.eye(3) - np.outer(n, n))[0][:, :2]  # orthonormal basis of n^⊥
    Qf = basis.T @ Q @ basis
    Gf = np.einsum("ka,lb,klij,ic,jd->abcd", basis, basis, G, basis, basis)
    Y = _full_rank(Qf, Gf)
    return None if Y is None or np.linalg.eigvalsh(Y).min() < 0 else basis @ Y @ basis.T


def _sphere_candidates(Q, G, face):
    """Candidates on the faces of rank 1 (``face`` = _rank_one) or 2 for k = 3: grid, then polish."""
    def value(v):
        X = face(Q, G, v / np.linalg.norm(v))
        return 0.0 if X is None else _phi(Q, G, X)  # φ(0) = 0: an empty face is no better than X = 0

    grid = _sphere()
    start = grid[int(np.argmin([value(v) for v in grid]))]
    angles0 = [np.arccos(np.clip(start[2], -1, 1)), np.arctan2(start[1], start[0])]
    best = minimize(lambda a: value(_unit(a)), angles0, method="Nelder-Mead",
                    options={"xatol": 1e-10, "fatol": 1e-300, "maxiter": 2000})
    X = face(Q, G, _unit(best.x))
    return [] if X is None else [_polish(Q, G, X)]


def _polish(Q, G, X):
    """Newton-type polish of a face candidate: X = BBᵀ (B of the rank of X) with R(BBᵀ)B = 0,
    by Levenberg–Marquardt (which tolerates the rotation freedom B → BO)."""
    eig, vec = np.linalg.eigh(X)
    keep = eig > 1e-6 * max(eig.max(), 1e-300)
    B0 = vec[:, keep] * np.sqrt(eig[keep])
    shape = B0.shape

    def equations(b):
        B = b.reshape(shape)
        return ((Q + 0.5 * _apply(G, B @ B.T)) @ B).ravel()

    B = least_squares(equations, B0.ravel(), method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15).x.reshape(shape)
    return B @ B.T


def solve_sdcp(Q, G) -> SDCPSolution:
    """The solution of the SDCP (module docstring) for one problem: Q (k, k), G (k, k, k, k), k ≤ 3.

    Raises :class:`~toymodels.errors.SingularError` when no face gives a solution within
    ``KKT_TOL`` (G singular on the relevant face, so the solution is not unique or not found).
    """
    Q = 0.5 * (np.asarray(Q, dtype=float) + np.asarray(Q, dtype=float).T)
    G = np.asarray(G, dtype=float)
    k = len(Q)
    if k > MAX_K or G.shape != (k, k, k, k):
        raise UnsupportedError(f"solve_sdcp handles k ≤ {MAX_K} eigenvalues at the edge with G of shape "
                               f"(k, k, k, k); got Q {Q.shape} and G {G.shape}")
    candidates = [np.zeros((k, k))]
    full = _full_rank(Q, G)
    if full is not None:
        candidates.append(0.5 * (full + full.T))
    if k == 2:
        candidates += _circle_candidates(Q, G)
    elif k == 3:
        candidates += _sphere_candidates(Q, G, _rank_one) + _sphere_candidates(Q, G, _rank_two)
    scored = []
    for X in candidates:
        res, R = residual(Q, G, X)
        if res <= KKT_TOL:
            scored.append((_phi(Q, G, X), res, X, R))
    if not scored:
        raise SingularError(f"no face of the PSD cone solves this {k}×{k} SDCP to {KKT_TOL:g} (G may be "
                            "singular, so the edge directions' Σ is not determined)")
    _, res, X, R = min(scored, key=lambda c: c[0])
    eig = np.linalg.eigvalsh(X)
    rank = int(np.sum(eig > KKT_TOL * max(eig.max(), 1e-300)))
    return SDCPSolution(X, R, rank, res)
