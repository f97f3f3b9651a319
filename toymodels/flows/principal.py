"""The principal flow (PF) of Rosca, Wu, Qin, Dherin (TMLR 2023, §3; arXiv:2302.01952);
docs/theory/principal-flow.md.

    dθ/dt = φ(ηH)∇L = Σ_i φ(ηλ_i)(∇L·u_i)u_i,   φ(x) = log(1 − x)/x,

the sum of every backward-error term made of H and ∇L only. For ηλ > 1 the log is complex,
log(1 − x) = log(x − 1) + iπ, so the PF lives in ℂ^d: that is how it represents GD's
period-2 oscillation. On quadratics it is exact: at t = kη it equals the k-th GD iterate.
"""

import numpy as np

from ..errors import InvalidInputError, SingularError, UnsupportedError
from ..validate import positive_number
from .field import VectorField

#: |1 − ηλ| below this counts as the log singularity ηλ = 1.
SINGULAR_TOL = 1e-12
#: Below this |x| the complex φ uses its series (NumPy's complex log1p loses digits there).
_SERIES_RADIUS = 1e-2
_SERIES_TERMS = 14


def phi(x):
    """φ(x) = log(1 − x)/x on arrays, complex-valued, with φ(0) = −1 exactly and φ(1) = −∞.

    Real x > 1 gives log(x − 1) + iπ (the branch of docs/theory/principal-flow.md, as from (1 − x) + 0j);
    complex x with Re x > 1 continues that branch. This single-valued φ has its cut on
    {Re x = 1, Im x > 0}; a trajectory that crosses it is continued by :func:`continued_logs`.
    Real x uses log1p for accuracy near 0; complex x the series −Σ x^p/(p + 1) for |x| < 0.01.
    """
    x = np.asarray(x)
    singular, zero = x == 1, x == 0
    regular = np.where(singular | zero, 0.5, x)  # placeholders, overwritten below
    if not np.iscomplexobj(x):
        regular = regular.astype(float)
        # log1p is accurate near 0; for x ≥ 1/2, 1 − x is exact (Sterbenz), so log is too.
        log_abs = np.where(regular < 0.5, np.log1p(-np.minimum(regular, 0.5)), np.log(np.abs(1 - regular)))
        log = log_abs + 1j * np.pi * (regular > 1)
    else:
        # For Re x > 1 take log(x − 1) + iπ: NumPy's principal log(1 − x) has its cut on the
        # real axis x > 1 itself and would jump by 2πi as soon as Im x changes sign there.
        log = np.where(regular.real > 1, np.log(regular - 1) + 1j * np.pi, np.log(1 - regular))
    value = np.where(zero, -1.0 + 0j, np.where(singular, -np.inf + 0j, log / regular))
    if np.iscomplexobj(x):
        small = np.abs(x) < _SERIES_RADIUS
        if small.any():
            value[small] = -sum(x[small] ** p / (p + 1) for p in range(_SERIES_TERMS))
    return value


def phi_prime(x):
    """φ'(x) = −(1/x)(1/(1 − x) + φ(x)), with the series −Σ_{p≥1} p x^{p−1}/(p + 1) for |x| < 0.01."""
    x = np.asarray(x) + 0j
    small = np.abs(x) < _SERIES_RADIUS
    safe = np.where(small, 0.5, x)
    value = -(1 / (1 - safe) + phi(safe)) / safe
    if small.any():
        value[small] = -sum(p * x[small] ** (p - 1) / (p + 1) for p in range(1, _SERIES_TERMS))
    return value


def _check_singular(x, lr, allow_singular):
    """x = ηλ, or a clear error where ηλ = 1 (unless allowed: then |1 − x| = SINGULAR_TOL)."""
    hit = np.abs(1 - x) < SINGULAR_TOL
    if np.any(hit):
        if not allow_singular:
            lam = np.asarray(x)[hit].ravel()[0] / lr
            raise SingularError(
                f"lr·λ = 1 (λ = {lam:.6g}, lr = {lr:.6g}): the principal flow has a log singularity "
                "there, since GD removes that eigen-component in one step. Change lr slightly, or "
                "pass allow_singular=True to cut the log at |1 − lr·λ| = "
                f"{SINGULAR_TOL:g} (documented in toymodels.flows.principal)")
        x = np.where(hit, 1 - SINGULAR_TOL, x)
    return x


def continued_logs(x, log, reference):
    """The integer k per eigenvalue such that log(1 − x) + 2πik is nearest the branch
    ``reference`` (eigenvalues and logs at an earlier point of the same trajectory), and a mask
    of the states where that choice is ambiguous (off by more than π/2 from the reference).

    The PF's right-hand side is multi-valued in complex θ: a complex path can wind around the
    branch point ηλ = 1, and near a minimum with 1 < ηλ1 < 2 it does, within one step. The
    solution of the ODE is then defined by analytic continuation along the path, which is what
    this gives when the reference is an earlier state of the path close enough to it; an
    ambiguous choice means the step from the reference was too long. Each eigenvalue is
    matched to the nearest reference eigenvalue, so a change of their order does not swap
    branches.
    """
    d = x.shape[-1]
    ref_x, ref_log = reference[..., :d], reference[..., d:]
    nearest = np.argmin(np.abs(x[..., :, None] - ref_x[..., None, :]), axis=-1)
    target = ref_log if (nearest == np.arange(d)).all() else np.take_along_axis(ref_log, nearest, axis=-1)
    k = np.round((target.imag - log.imag) / (2 * np.pi))
    ambiguous = np.any(np.abs(log.imag + 2 * np.pi * k - target.imag) > np.pi / 2, axis=-1)
    return k, ambiguous


def _phi_of_eigenvalues(x, reference):
    """φ at the eigenvalues x = ηλ on their continued branches (:func:`continued_logs`), the
    branch offsets k, and the branch values (x, log(1 − x)) to pass on."""
    phi_x = phi(x)
    log = x * phi_x
    if reference is None:
        return phi_x, np.zeros(x.shape), np.concatenate([x, log], axis=-1)
    k, ambiguous = continued_logs(x, log, reference)
    shifted = k != 0
    if shifted.any():
        log = log + 2j * np.pi * k
        phi_x = np.where(shifted, log / np.where(shifted, x, 1), phi_x)
    if ambiguous.any():  # NaN makes the integrator reject the step and retry a shorter one
        phi_x = np.where(ambiguous[..., None], np.nan, phi_x)
    return phi_x, k, np.concatenate([x, log], axis=-1)


EIGENSYSTEMS = ("auto", "closed_form", "numeric")
#: Eigenvalues of a 2x2 block closer than this (relative) use φ' instead of a divided difference.
_COALESCED = 1e-6


def _phi_times_gradient_blocks(hess, grad, blocks, lr, allow_singular, reference):
    """φ(ηH)g for a Hessian of 1x1 and 2x2 blocks, without eigenvectors.

    A 2x2 block with eigenvalues x± = m ± r of ηA satisfies φ(ηA) = s·I + q·(ηA − m·I) with
    s = (φ(x+) + φ(x−))/2 and q = (φ(x+) − φ(x−))/(x+ − x−) (Sylvester; check it on the two
    eigenvectors). ηA − m·I = η[[h, b], [b, −h]], h = (a − c)/2, involves no cancellation, and
    the form stays exact where x+ → x− (q → φ'(m)) and where a complex symmetric block is not
    diagonalizable, where eigenvectors fail.
    """
    eigenvalues, pairs = [], []
    for block in blocks:
        if len(block) == 1:
            eigenvalues.append(lr * hess[..., block[0], block[0]])
        else:
            i, j = block
            h, b = (hess[..., i, i] - hess[..., j, j]) / 2, hess[..., i, j]
            m = lr * (hess[..., i, i] + hess[..., j, j]) / 2
            radius = lr * np.sqrt(h * h + b * b + 0j)
            pairs.append((block, len(eigenvalues), h, b, m))
            eigenvalues += [m + radius, m - radius]
    x = _check_singular(np.stack(eigenvalues, axis=-1), lr, allow_singular)
    if not np.iscomplexobj(hess):
        x = x.real
    phi_x, k, branch = _phi_of_eigenvalues(x, reference)
    value = np.empty(grad.shape, dtype=complex)
    col = 0
    for block in blocks:  # the 1x1 blocks
        if len(block) == 1:
            value[..., block[0]] = phi_x[..., col] * grad[..., block[0]]
        col += len(block)
    for (i, j), col, h, b, m in pairs:
        gap = x[..., col] - x[..., col + 1]
        close = (np.abs(gap) <= _COALESCED * (1 + np.abs(m))) & (k[..., col] == k[..., col + 1])
        q = (phi_x[..., col] - phi_x[..., col + 1]) / np.where(close, 1, gap)
        if close.any():  # the divided difference cancels: the derivative, on the same sheet
            q = np.where(close, phi_prime(m) - 2j * np.pi * k[..., col] / np.where(m == 0, 1, m) ** 2, q)
        s = (phi_x[..., col] + phi_x[..., col + 1]) / 2
        g_i, g_j = grad[..., i], grad[..., j]
        value[..., i] = s * g_i + q * lr * (h * g_i + b * g_j)
        value[..., j] = s * g_j + q * lr * (b * g_i - h * g_j)
    return value, branch


def _phi_times_gradient_eig(hess, grad, lr, allow_singular, reference):
    """φ(ηH)g as U φ(ηΛ) U⁻¹ g with LAPACK (any Hessian); NaN at states where H or g is not
    finite (an integrator's trial state past an overflow), which LAPACK refuses."""
    finite = np.all(np.isfinite(hess), axis=(-2, -1)) & np.all(np.isfinite(grad), axis=-1)
    if not finite.all():
        hess = np.where(finite[..., None, None], hess, 0.0)  # φ(0) = −1: no singular placeholder
        grad = np.where(finite[..., None], grad, 0.0)
        value, branch = _phi_times_gradient_eig(hess, grad, lr, allow_singular, reference)
        return np.where(finite[..., None], value, np.nan), branch
    if not np.iscomplexobj(hess):
        # Real symmetric: U orthogonal, and U φ(Λ) Uᵀ is backward stable whatever the gaps.
        values, vectors = np.linalg.eigh(hess)
        coords = np.einsum("...ji,...j->...i", vectors, grad)
    else:
        # Complex symmetric H is not normal: project with a solve, not with Uᵀ (docs/theory/principal-flow.md).
        values, vectors = np.linalg.eig(hess)
        coords = np.linalg.solve(vectors, grad[..., None])[..., 0]
    phi_x, _, branch = _phi_of_eigenvalues(_check_singular(lr * values, lr, allow_singular), reference)
    return np.einsum("...ij,...j->...i", vectors, phi_x * coords), branch


def principal(model, lr, *, nonprincipal=False, allow_singular=False, eigensystem="auto") -> VectorField:
    """The PF dθ/dt = φ(ηH)∇L of GD with learning rate ``lr`` (complex-valued).

    ``nonprincipal=True`` adds the first non-principal BEA term −(η²/12)∇³L[∇L, ∇L], which
    raises the local order from 3 to 4. At lr·λ = 1 the log is singular and a
    :class:`~toymodels.errors.SingularError` is raised, unless ``allow_singular=True``, which
    evaluates φ at |1 − lr·λ| = SINGULAR_TOL instead (a large finite rate that removes the
    component, as GD does in one step).

    ``eigensystem``: "closed_form" uses the formulas for 1x1 and 2x2 Hessian blocks (no
    eigenvectors, see :func:`_phi_times_gradient_blocks`; faster than LAPACK on small blocks),
    "numeric" uses numpy.linalg.eigh (real θ) or eig (complex θ), "auto" the closed form
    wherever the model's Hessian has one.

    Called on θ alone, the field uses the branch of log(1 − ηλ) of docs/theory/principal-flow.md.
    :func:`toymodels.integrate` instead calls ``field.continued(θ, reference)``, which continues
    the branch along each trajectory (:func:`continued_logs`).
    """
    lr = positive_number(lr, "lr")
    numeric = model.numeric
    if eigensystem not in EIGENSYSTEMS:
        raise InvalidInputError(f"eigensystem must be one of {', '.join(EIGENSYSTEMS)}, got {eigensystem!r}")
    closed_form = numeric.closed_form_eigensystem and eigensystem != "numeric"
    if eigensystem == "closed_form" and not closed_form:
        raise UnsupportedError(f"{model.label()} has a Hessian block larger than 2x2, so no closed-form "
                               "eigensystem; use eigensystem='numeric' or 'auto'")

    def continued(theta, reference=None):
        theta = numeric._theta(theta)
        grad, hess = numeric.grad(theta), numeric.hess(theta)
        if closed_form:
            value, branch = _phi_times_gradient_blocks(hess, grad, model.hessian_blocks, lr, allow_singular,
                                                       reference)
        else:
            value, branch = _phi_times_gradient_eig(hess, grad, lr, allow_singular, reference)
        if nonprincipal:
            value = value - lr**2 / 12 * numeric.d3(theta, grad, grad)
        return value, branch

    label = "PF + non-principal term" if nonprincipal else "principal flow"
    return VectorField("pf_np" if nonprincipal else "pf", label, lambda theta: continued(theta)[0], model, lr,
                       complex=True, continued=continued,
                       meta={"nonprincipal": nonprincipal, "allow_singular": allow_singular,
                             "eigensystem": "closed_form" if closed_form else "numeric"})


def is_quadratic(model) -> bool:
    """True when the Hessian is constant, so GD and the PF are linear."""
    return not model.has_data and all(not e.free_symbols for e in model.hess)


def exact_quadratic_solution(model, lr, x0, times):
    """The closed-form PF of a quadratic model at ``times`` (docs/theory/principal-flow.md).

    θ(t) = θ0 + U diag(((1 − ηλ_i)^{t/η} − 1)/λ_i) Uᵀ∇L(θ0), which equals
    θ* + exp((t/η) log(I − ηA))(θ0 − θ*) without needing θ* (λ_i = 0 gives −t). Returns an
    array (len(times), ..., d), complex between grid points, real at t = kη.
    """
    if not is_quadratic(model):
        raise InvalidInputError(f"{model.label()} is not quadratic (its Hessian depends on θ); the "
                                "closed-form PF exists only for quadratics: integrate the field instead")
    lr = positive_number(lr, "lr")
    numeric = model.numeric
    x0 = numeric._theta(x0)
    times = np.asarray(times, dtype=float)
    hess = np.array(model.hess, dtype=float)
    values, vectors = np.linalg.eigh(hess)
    coords = numeric.grad(x0) @ vectors  # (..., d)
    log_factor = lr * values * phi(lr * values)  # log(1 − ηλ) on the branch of docs/theory/principal-flow.md, via log1p
    exponent = (times[:, None] / lr) * log_factor  # (T, d)
    growth = np.where(lr * values == 1, np.where(times[:, None] > 0, -1.0, 0.0), np.expm1(exponent))
    safe = np.where(values == 0, 1.0, values)
    psi = np.where(values == 0, -times[:, None] + 0j, growth / safe)  # ((1 − ηλ)^{t/η} − 1)/λ
    shape = (len(times),) + (1,) * (x0.ndim - 1) + (len(values),)
    return x0 + np.einsum("ij,t...j->t...i", vectors, psi.reshape(shape) * coords)
