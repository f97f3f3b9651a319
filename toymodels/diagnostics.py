"""Diagnostics of states: sharpness, mini-batch sharpness, batch sharpness, GFS sharpness.

Conventions (docs/theory/conventions.md): squared losses carry the ½, sharpness S(θ) = λ1(∇²L(θ)) is the top
(largest algebraic) Hessian eigenvalue. For a model with data, a mini-batch B of ``batch_size``
sample indices has loss L_B (the mean of the per-sample losses over B, repeated indices
counted with their multiplicity), gradient g_B and Hessian H_B (docs/theory/eoss.md):

- MiniBS = E_B[λmax(H_B)] (Andreyev & Beneventano 2024, arXiv:2412.20553, first version). By Jensen and the
  convexity of λmax, MiniBS ≥ λmax(E_B H_B) = λmax(H).
- Batch sharpness = E_B[g_Bᵀ H_B g_B / ‖g_B‖²] (their later versions); ≤ MiniBS batch by batch.

The expectation over B is exact when the number of distinct batches is small (all of them are
enumerated, with their probabilities), and a Monte Carlo mean with its standard error
otherwise. Both are vectorized over batches: H_B for many batches is one matrix product of
the batch-count matrix with the per-sample Hessians.

For scalar networks ½(∏_i w_i − y)², the gradient-flow solution (GFS) from w and its sharpness
follow from the conserved quantities w_i² − w_j² of gradient flow (Kreisler, Nacson, Soudry,
Carmon, ICML 2023, arXiv:2305.13064; docs/theory/edge-of-stability.md).
"""

from dataclasses import dataclass
from itertools import chain, combinations, combinations_with_replacement
from math import comb, lgamma, log

import numpy as np
import sympy as sp

from . import backend as backends
from . import lanczos
from .errors import InvalidInputError, SingularError, ToyModelError, UnsupportedError
from .optim import draw_batches

#: Dense eigendecomposition up to this dimension, Lanczos above it (``method="auto"``). Per
#: state the compiled Hessian plus LAPACK is ~10x faster than Lanczos at d = 60
#: (``python -m benchmarks eos``), but deriving and compiling the symbolic Hessian grows like d²
#: (about 4 s at d = 60), while Lanczos needs only the d compiled Hessian-vector products.
DENSE_MAX_DIM = 64
#: Enumerate every batch when there are at most this many distinct ones.
MAX_EXACT_BATCHES = 4096
#: Monte Carlo batches when there are more.
MONTE_CARLO_BATCHES = 1024
#: Memory for the mini-batch Hessians of one chunk of batches.
CHUNK_BYTES = 1 << 26


# -- states ----------------------------------------------------------------------------------
def finite_states(model, theta, what="theta"):
    """``theta`` as a float array (..., d), or an error if a state is not finite (diverged)."""
    theta = model.numeric._theta(theta, what)
    if np.iscomplexobj(theta):
        raise UnsupportedError("diagnostics are defined for real states; got a complex array")
    bad = ~np.all(np.isfinite(theta), axis=-1)
    if bad.any():
        raise InvalidInputError(
            f"{int(bad.sum())} of the {bad.size} states of {model.label()} are not finite (a diverged "
            "run?); diagnostics are defined only at finite states: use the states a Trajectory "
            "marks valid (run.x[run.valid]) or run.final, which keeps each start's last valid state")
    return theta


# -- sharpness -------------------------------------------------------------------------------
def sharpness(model, theta, *, batch=None, method="auto", tol=1e-12, seed=0, backend="auto"):
    """λ1 of ∇²L (or of ∇²L_B for sample indices ``batch``, (B,) or one row per state) at
    states ``theta`` (..., d).

    ``method``: ``"dense"`` uses the compiled Hessian and its closed-form or LAPACK
    eigenvalues (batched over states); ``"lanczos"`` runs Lanczos on Hessian-vector products for
    all states at once (:mod:`toymodels.lanczos`), without forming H, until every state's Ritz
    residual is at most ``tol``·‖H‖ (so an eigenvalue lies within that distance; 32 iterations,
    then d, where the Krylov space is exhausted); ``"auto"`` is dense up to
    d = :data:`DENSE_MAX_DIM`. ``seed`` fixes the Lanczos start vector, so results are
    reproducible. ``backend``: ``"numpy"`` (symbolic derivatives), ``"jax"`` (the engine's
    autodiff, :mod:`toymodels.jax_model`) or ``"auto"`` (JAX for large workloads, if installed).
    """
    theta = finite_states(model, theta)
    if method == "auto":
        method = "dense" if model.dim <= DENSE_MAX_DIM else "lanczos"
    if method not in ("dense", "lanczos"):
        raise InvalidInputError(f"method must be 'auto', 'dense' or 'lanczos', got {method!r}")
    chosen = _backend(model, theta, backend)
    if method == "dense":
        if chosen == backends.JAX:
            values = _engine(model).call("sharpness", theta, batch=batch)
        else:
            values = model.numeric.sharpness(theta, batch)
    else:
        values = _lanczos_top(model, theta, batch, tol, seed, chosen)
    if not np.all(np.isfinite(values)):
        raise InvalidInputError(f"the Hessian of {model.label()} is not finite at some of the states "
                                "(the loss overflows there); sharpness is undefined")
    return values


def _lanczos_top(model, theta, batch, tol, seed, chosen):
    d = model.dim
    flat = theta.reshape(-1, d)
    if batch is not None:
        batch = np.asarray(batch)
        model.numeric.samples(batch)  # checks the indices
        if batch.ndim > 1:
            batch = np.broadcast_to(batch, (*theta.shape[:-1], batch.shape[-1])).reshape(len(flat), -1)
    start = lanczos.start_vectors(seed, len(flat), d)
    iterations = lanczos.first_iterations(d)
    while True:
        if chosen == backends.JAX:
            top, residual, norm = _engine(model).lanczos_top(flat, start, iterations, batch)
        else:
            top, residual, norm = lanczos.top_eigenvalue(
                lambda v: model.numeric.hvp(flat, v, batch), start, iterations, np,
                lanczos.numpy_loop, lanczos.numpy_set_at)
        if np.all(residual <= tol * norm) or not np.all(np.isfinite(top)):
            return top.reshape(theta.shape[:-1])
        if iterations == d:
            worst = int(np.argmax(residual / np.maximum(norm, 1e-300)))
            raise ToyModelError(f"Lanczos did not reach tol {tol:g} at state {worst} of {model.label()} "
                                f"after d = {d} iterations (residual {residual[worst]:.2e}, ‖H‖ "
                                f"{norm[worst]:.2e}); raise tol or use method='dense'")
        iterations = d


def _engine(model):
    """The JAX engine's model (imported only when the JAX backend is chosen)."""
    from .jax_model import engine as build

    return build(model)


# -- per-sample quantities -----------------------------------------------------------------------
def _require_data(model):
    if not model.has_data:
        raise UnsupportedError(f"{model.label()} has no data: mini-batch quantities need a model "
                               "with sample symbols and a dataset")


def _each_sample(model):
    # Batch indices of shape (n, 1) against states of shape (..., 1, d) broadcast to (..., n, 1):
    # the compiled function then averages over a trailing axis of length one, i.e. not at all.
    return np.arange(model.n_samples)[:, None]


def hessian(model, theta, *, batch=None, backend="auto"):
    """∇²L (or ∇²L_B for sample indices ``batch``) at states ``theta`` (..., d): shape (..., d, d);
    symbolic (``backend="numpy"``) or by the engine's autodiff (``"jax"``); ``"auto"``: JAX for
    large workloads, if installed."""
    theta = finite_states(model, theta)
    if _backend(model, theta, backend) == backends.JAX:
        return _engine(model).call("hess", theta, batch=batch)
    return model.numeric.hess(theta, batch)


def per_sample_gradients(model, theta, *, backend="auto"):
    """∇ℓ_i(θ) for every sample i: shape (..., n, d)."""
    return _per_sample(model, theta, "grad", backend)


def per_sample_hessians(model, theta, *, backend="auto"):
    """∇²ℓ_i(θ) for every sample i: shape (..., n, d, d)."""
    return _per_sample(model, theta, "hess", backend)


def _per_sample(model, theta, what, backend):
    _require_data(model)
    theta = finite_states(model, theta)
    if _backend(model, theta, backend) == backends.JAX:
        return _engine(model).call_per_sample(what, theta)
    return getattr(model.numeric, what)(theta[..., None, :], _each_sample(model))


def _backend(model, theta, backend):
    """The backend for a diagnostic at states ``theta``: ``"auto"`` weighs states × d²."""
    states = int(np.prod(theta.shape[:-1], dtype=np.int64))
    return backends.resolve(backend, backends.diagnostic_pays(states, model.dim))


# -- batches -------------------------------------------------------------------------------------
def _check_batch_size(model, batch_size):
    _require_data(model)
    n = model.n_samples
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= n:
        raise InvalidInputError(f"batch_size must be an integer in [1, {n}] (the dataset of "
                                f"{model.label()} has {n} samples), got {batch_size!r}")
    return int(batch_size)


def count_batches(n_samples, batch_size, replace=False) -> int:
    """Number of distinct batches: subsets without replacement, multisets with replacement."""
    return comb(n_samples + batch_size - 1, batch_size) if replace else comb(n_samples, batch_size)


def all_batches(n_samples, batch_size, replace=False):
    """Every distinct batch as a count matrix (M, n) (how often each sample is in it) and the
    probability (M,) of drawing it: uniform over subsets without replacement, multinomial
    B!/∏c_i! / n^B over multisets with replacement (i.i.d. indices)."""
    pick = combinations_with_replacement if replace else combinations
    total = count_batches(n_samples, batch_size, replace)
    rows = np.fromiter(chain.from_iterable(pick(range(n_samples), batch_size)), dtype=np.intp,
                       count=total * batch_size).reshape(total, batch_size)
    counts = _counts(rows, n_samples)
    if not replace:
        return counts, np.full(total, 1.0 / total)
    log_factorials = np.array([lgamma(c + 1) for c in range(batch_size + 1)])
    log_p = lgamma(batch_size + 1) - log_factorials[counts].sum(axis=1) - batch_size * log(n_samples)
    return counts, np.exp(log_p)


def _counts(rows, n_samples):
    counts = np.zeros((len(rows), n_samples), dtype=np.int64)
    np.add.at(counts, (np.arange(len(rows))[:, None], rows), 1)
    return counts


@dataclass(frozen=True)
class BatchEstimate:
    """E_B of a per-batch quantity at each state: ``value`` (...), its Monte Carlo standard error
    ``stderr`` (zeros when ``exact``), and the number of batches it averages over."""

    value: np.ndarray
    stderr: np.ndarray
    exact: bool
    n_batches: int


def minibatch_curvatures(model, theta, batch_size, *, replace=False, n_batches=None,
                         max_exact=MAX_EXACT_BATCHES, seed=0, backend="auto"):
    """MiniBS = E_B λmax(H_B) and batch sharpness E_B[g_Bᵀ H_B g_B/‖g_B‖²], on the same batches.

    With ``n_batches=None`` every distinct batch is enumerated when there are at most
    ``max_exact`` of them (exact expectation), else ``MONTE_CARLO_BATCHES`` batches are drawn
    as SGD draws them (seeded by ``seed``); an integer ``n_batches`` always draws that many.
    The per-sample derivatives come from ``backend`` (as in :func:`per_sample_hessians`).
    Returns two :class:`BatchEstimate`. Raises :class:`SingularError` where some g_B is exactly
    zero (batch sharpness is undefined there, e.g. at an interpolating minimum).
    """
    return _expectations(model, theta, batch_size, replace, n_batches, max_exact, seed, backend, rayleigh=True)


def minibatch_sharpness(model, theta, batch_size, *, replace=False, n_batches=None,
                        max_exact=MAX_EXACT_BATCHES, seed=0, backend="auto") -> BatchEstimate:
    """MiniBS = E_B[λmax(H_B)] at states ``theta``; options as in :func:`minibatch_curvatures`."""
    return _expectations(model, theta, batch_size, replace, n_batches, max_exact, seed, backend, rayleigh=False)[0]


def batch_sharpness(model, theta, batch_size, *, replace=False, n_batches=None,
                    max_exact=MAX_EXACT_BATCHES, seed=0, backend="auto") -> BatchEstimate:
    """E_B[g_Bᵀ H_B g_B / ‖g_B‖²] at states ``theta``; options as in :func:`minibatch_curvatures`."""
    return _expectations(model, theta, batch_size, replace, n_batches, max_exact, seed, backend, rayleigh=True)[1]


def _expectations(model, theta, batch_size, replace, n_batches, max_exact, seed, backend, rayleigh):
    batch_size = _check_batch_size(model, batch_size)
    theta = finite_states(model, theta)
    n = model.n_samples
    if n_batches is None and count_batches(n, batch_size, replace) <= max_exact:
        counts, weights = all_batches(n, batch_size, replace)
        exact = True
    else:
        draws = MONTE_CARLO_BATCHES if n_batches is None else n_batches
        if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 2:
            raise InvalidInputError(f"n_batches (the number of Monte Carlo batches) must be an integer "
                                    f">= 2, so that a standard error exists; got {n_batches!r}")
        rows = draw_batches(n, batch_size, (int(draws),), np.random.default_rng(seed), replace)
        counts, weights = _counts(rows, n), np.full(int(draws), 1.0 / draws)
        exact = False
    per_batch = _per_batch(model, theta, counts / batch_size, rayleigh, backend)
    return tuple(_estimate(values, weights, exact) for values in per_batch)


def _per_batch(model, theta, weights, rayleigh, backend):
    """λmax(H_B) and, if ``rayleigh``, g_Bᵀ H_B g_B/‖g_B‖² for every batch (the rows of
    ``weights`` (M, n), each the batch's sample counts over B): arrays (..., M)."""
    d, batch_shape = model.dim, theta.shape[:-1]
    flat_h = per_sample_hessians(model, theta, backend=backend).reshape(*batch_shape, model.n_samples, d * d)
    gradients = per_sample_gradients(model, theta, backend=backend) if rayleigh else None
    states = int(np.prod(batch_shape, dtype=np.int64))
    chunk = max(1, CHUNK_BYTES // (8 * d * d * states))
    tops, quotients = [], []
    for start in range(0, len(weights), chunk):  # chunks of batches bound the memory
        w = weights[start:start + chunk]
        h_b = (w @ flat_h).reshape(*batch_shape, len(w), d, d)
        tops.append(np.linalg.eigvalsh(h_b)[..., -1])
        if rayleigh:
            g_b = w @ gradients
            norm2 = np.einsum("...i,...i->...", g_b, g_b)
            if np.any(norm2 == 0):
                raise SingularError("a mini-batch gradient is exactly zero (an interpolating minimum?), "
                                    "so g_Bᵀ H_B g_B / ‖g_B‖² is undefined there; evaluate batch "
                                    "sharpness away from stationary points")
            h_g = np.matmul(h_b, g_b[..., None])[..., 0]
            quotients.append(np.einsum("...i,...i->...", g_b, h_g) / norm2)
    top = np.concatenate(tops, axis=-1)
    return (top, np.concatenate(quotients, axis=-1)) if rayleigh else (top,)


def _estimate(values, weights, exact):
    mean = values @ weights
    if exact:
        return BatchEstimate(mean, np.zeros_like(mean), True, len(weights))
    k = len(weights)
    stderr = np.sqrt(np.sum((values - mean[..., None]) ** 2, axis=-1) / (k * (k - 1)))
    return BatchEstimate(mean, stderr, False, k)


# -- gradient-flow solution of scalar networks ---------------------------------------------------
def scalar_network_target(model) -> float:
    """y of a scalar network L = ½(∏_i θ_i − y)², read off and verified symbolically."""
    if model.manifold is None or len(model.manifold) != 1 or model.has_data:
        raise UnsupportedError(f"{model.label()} is not a scalar network ½(∏θ_i − y)²")
    product = sp.Mul(*model.params)
    target = sp.simplify(product - model.manifold[0])
    if target.free_symbols or target == 0 or sp.expand(model.loss - (product - target) ** 2 / 2) != 0:
        raise UnsupportedError(f"{model.label()} is not a scalar network ½(∏θ_i − y)² with y ≠ 0; "
                               "the GFS formulas of Kreisler et al. (2023) apply only to those")
    return float(target)


def gradient_flow_solution(model, w):
    """The limit of gradient flow from w on ½(∏ w_i − y)²: w*_i with w*_i² = w_i² + s.

    Gradient flow conserves w_i² − w_j², so the solution shifts every w_i² by the same s, fixed
    by ∏ w*_i² = y². With m = min_i w_i² and s = e^u − m, u solves
    g(u) = Σ_i log(w_i² − m + e^u) − 2 log|y| = 0; g is increasing and convex in u, so Newton's
    method from a point right of the root (g ≥ D·u − 2 log|y| there) converges monotonically.
    Signs follow w; if they give ∏ w* the wrong sign, the weight of least magnitude, the one
    gradient flow drives through zero, flips.
    """
    y = scalar_network_target(model)
    w = finite_states(model, w, "w")
    squares = w * w
    shifted = squares - squares.min(axis=-1, keepdims=True)
    depth = model.dim
    u = np.full(w.shape[:-1], 2 * log(abs(y)) / depth + 1.0)  # g(u) ≥ D·u − 2 log|y| > 0 here
    for _ in range(200):
        e = np.exp(u)[..., None]
        g = np.log(shifted + e).sum(axis=-1) - 2 * log(abs(y))
        step = g / (e / (shifted + e)).sum(axis=-1)
        u = u - step
        if np.all(np.abs(step) <= 4 * np.finfo(float).eps * np.maximum(1.0, np.abs(u))):
            break
    solution = np.sqrt(shifted + np.exp(u)[..., None])
    signs = np.where(w < 0, -1.0, 1.0)
    wrong = np.prod(signs, axis=-1) * np.sign(y) < 0
    smallest = np.argmin(np.abs(w), axis=-1)
    flip = np.where(wrong[..., None] & (np.arange(depth) == smallest[..., None]), -1.0, 1.0)
    return signs * flip * solution


def gfs_sharpness(model, w):
    """φ(w) = y² Σ_i 1/w*_i², the sharpness at the gradient-flow solution of a scalar network
    (on Γ, λ1 = Σ_i ∏_{j≠i} w*_j² = y² Σ_i 1/w*_i²; Kreisler et al., ICML 2023)."""
    y = scalar_network_target(model)
    return y * y * np.sum(1.0 / gradient_flow_solution(model, w) ** 2, axis=-1)
