"""The top (largest algebraic) Hessian eigenvalue of many states at once, by Lanczos on
Hessian-vector products, written once against an array namespace (NumPy or ``jax.numpy``).

Every state runs its own Lanczos recurrence (Lanczos 1950; Golub & Van Loan, *Matrix
Computations*, 4th ed., §10.1) in one batched loop: each iteration is one batched HVP, with full
reorthogonalization against the stored basis (applied twice, which keeps it orthogonal to
working precision). After m iterations the top eigenvalue θ of the m×m tridiagonal matrix T and
its eigenvector s give the residual r = |β_m s_m| = ‖Hy − θy‖ of the Ritz pair (Golub & Van Loan,
(10.1.8)); a symmetric H has
an eigenvalue within r of θ (Golub & Van Loan, Thm 8.1.13 (Bauer–Fike for symmetric matrices)),
and Lanczos from a random start reaches the extreme eigenvalues first. A state whose Krylov space
is exhausted (β = 0, e.g. after d iterations) has r = 0: θ is then exact up to rounding.
Negative eigenvalues need no shift, unlike power iteration (tanh networks have them).
"""

import numpy as np


def top_eigenvalue(hvp, start, iterations, xp, fori_loop, set_at):
    """Ritz value θ (N,), residual r (N,) and ‖T‖₂ (N,) (the scale against which r is small)
    after ``iterations`` Lanczos steps on every state.

    ``hvp(v)`` maps (N, d) directions to H v for the N states; ``start`` (N, d) is the start
    vector. ``fori_loop(n, body, carry)`` and ``set_at(array, index, value)`` are the loop and the
    indexed update of the backend (a Python loop and item assignment for NumPy).
    """
    n_states, d = start.shape
    m = iterations
    q0 = start / xp.linalg.norm(start, axis=-1, keepdims=True)

    def body(j, carry):
        basis, q, q_prev, beta_prev, alphas, betas, alive = carry
        basis = set_at(basis, (slice(None), j), q)
        w = hvp(q)
        scale = xp.linalg.norm(w, axis=-1)
        alpha = xp.sum(q * w, axis=-1)
        w = w - alpha[:, None] * q - beta_prev[:, None] * q_prev
        for _ in range(2):  # full reorthogonalization, twice ("twice is enough", Kahan)
            w = w - xp.matmul(xp.matmul(basis, w[:, :, None])[:, :, 0][:, None, :], basis)[:, 0]
        beta = xp.linalg.norm(w, axis=-1)
        # the Krylov space is exhausted where β vanishes relative to ‖Hq‖: the recurrence stops
        # there; later diagonal entries repeat α₀ (a Rayleigh quotient ≤ λ1), so θ is unchanged
        going = alive & (beta > 1e-12 * scale)
        alphas = set_at(alphas, (slice(None), j), xp.where(alive, alpha, alphas[:, 0]))
        betas = set_at(betas, (slice(None), j), xp.where(going, beta, 0.0))
        q_next = xp.where(going[:, None], w / xp.where(going, beta, 1.0)[:, None], 0.0)
        return basis, q_next, q, xp.where(going, beta, 0.0), alphas, betas, going

    carry = (xp.zeros((n_states, m, d), dtype=start.dtype), q0, xp.zeros_like(q0),
             xp.zeros(n_states, dtype=start.dtype), xp.zeros((n_states, m), dtype=start.dtype),
             xp.zeros((n_states, m), dtype=start.dtype), xp.ones(n_states, dtype=bool))
    _, _, _, _, alphas, betas, _ = fori_loop(m, body, carry)
    off = betas * (xp.arange(m) < m - 1)  # T[i, i+1] = β_i; the last β is the residual's
    upper = off[:, :, None] * xp.eye(m, k=1)
    tridiagonal = alphas[:, :, None] * xp.eye(m) + upper + xp.swapaxes(upper, -1, -2)
    values = xp.linalg.eigvalsh(tridiagonal)
    top, norm = values[:, -1], xp.maximum(xp.abs(values[:, 0]), xp.abs(values[:, -1]))
    # the top eigenvector of T by two steps of inverse iteration with a shift just above θ (each
    # shrinks the other components by the shift over their gap), not by eigh: only its last entry
    # is needed, and LAPACK's eigenvectors cost 100x more on a busy machine (OpenBLAS threads)
    shifted = tridiagonal - (top + 1e-13 * norm + 1e-300)[:, None, None] * xp.eye(m)
    vector = xp.ones((n_states, m, 1))
    for _ in range(2):
        vector = xp.linalg.solve(shifted, vector)
        vector = vector / xp.linalg.norm(vector, axis=1, keepdims=True)
    last = vector[:, -1, 0]
    return top, xp.abs(betas[:, -1] * last), norm


def numpy_loop(n, body, carry):
    for i in range(n):
        carry = body(i, carry)
    return carry


def numpy_set_at(array, index, value):
    array[index] = value
    return array


def first_iterations(d):
    """Lanczos iterations of the first attempt; if a state has not converged, the second attempt
    takes d, where the Krylov space is exhausted (Lanczos restarts from scratch, so growing in
    several steps would repeat more work than it saves)."""
    return int(min(d, 32))


def start_vectors(seed, n_states, d):
    """One random start vector from ``seed``, shared by all states (reproducible results)."""
    return np.broadcast_to(np.random.default_rng(seed).standard_normal(d), (n_states, d)).copy()
