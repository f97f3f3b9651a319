"""Closed-form eigensystems of symmetric matrices made of 1x1 and 2x2 blocks.

For a symmetric 2x2 block [[a, b], [b, c]] the eigenvalues are
``(a + c)/2 ± sqrt(((a - c)/2)**2 + b**2)``; :func:`eig2x2` gives the eigenvectors in a form
for SymPy (display, derivations) and one for NumPy (batched numerics, an order of magnitude
faster than batched LAPACK on small blocks).

The block structure is read off the symbolic Hessian: entries that are identically zero
split the parameters into connected groups. Every group of size one or two has a closed
form; larger groups fall back to :func:`numpy.linalg.eigh`.
"""

from dataclasses import dataclass

import numpy as np
import sympy as sp


def hessian_blocks(hess: sp.Matrix) -> list[tuple[int, ...]]:
    """Index groups of the connected components of the non-zero pattern of ``hess``."""
    d = hess.shape[0]
    seen, blocks = set(), []
    for start in range(d):
        if start in seen:
            continue
        stack, group = [start], set()
        while stack:
            i = stack.pop()
            if i in group:
                continue
            group.add(i)
            stack.extend(j for j in range(d) if j not in group and hess[i, j] != 0)
        seen |= group
        blocks.append(tuple(sorted(group)))
    return blocks


def has_closed_form(blocks) -> bool:
    """True when every block is 1x1 or 2x2."""
    return all(len(b) <= 2 for b in blocks)


def eig2x2(a, b, c, xp):
    """Eigenpairs of real symmetric [[a, b], [b, c]]; ``xp`` is ``numpy`` or ``sympy``.

    Returns ``(lam_plus, lam_minus, cos_t, sin_t)``: the larger eigenvalue has eigenvector
    ``(cos_t, sin_t)`` and the smaller one ``(-sin_t, cos_t)``. SymPy gets the rotation angle
    t = atan2(2b, a − c)/2. NumPy gets the same vector up to sign without trigonometry: with
    g = (a − c)/2, r = √(g² + b²) and s = r + |g|, it is (s, b) for a ≥ c and (b, s) for a < c,
    normalized; the larger entry is s ≥ |b|, so there is no cancellation. Entries whose
    squares overflow or underflow are recomputed with ``hypot``.
    """
    mean, half_gap = (a + c) / 2, (a - c) / 2
    if xp is sp:
        radius = sp.sqrt(half_gap**2 + b**2)
        angle = sp.atan2(2 * b, a - c) / 2
        return mean + radius, mean - radius, sp.cos(angle), sp.sin(angle)
    # In place, with few temporaries: on large batches this is memory-bound.
    with np.errstate(over="ignore", under="ignore"):
        radius = np.asarray(half_gap * half_gap)  # asarray: 0-d arrays, not scalars, for out=
        radius += b * b
        np.sqrt(radius, out=radius)
        big = np.asarray(np.abs(half_gap))
        big += radius
        norm = np.asarray(big * big)
        norm += b * b
        np.sqrt(norm, out=norm)
    lost = ~(np.isfinite(norm) & ((norm > 0) | (b == 0) & (half_gap == 0)))
    if np.any(lost):  # squares that overflowed or underflowed: hypot, only there
        radius = np.where(lost, np.hypot(half_gap, b), radius)
        big = np.where(lost, radius + np.abs(half_gap), big)
        norm = np.where(lost, np.hypot(big, b), norm)
    isotropic = big == 0  # a multiple of the identity: any basis, take the axes
    if np.any(isotropic):
        big, norm = np.where(isotropic, 1.0, big), np.where(isotropic, 1.0, norm)
    big /= norm
    small = b / norm
    first_axis = half_gap >= 0
    return (mean + radius, mean - radius, np.where(first_axis, big, small),
            np.where(first_axis, small, big))


def eig2x2_complex(a, b, c):
    """Eigenpairs of complex symmetric [[a, b], [b, c]] (NumPy arrays).

    Returns ``(lam_plus, lam_minus, u_plus, u_minus)``, Re λ+ ≥ Re λ− (the principal square
    root has Re ≥ 0), vectors with a trailing axis of length 2. The rotation angle of the real
    case has no quadrant-safe complex analogue, so each eigenvector is the larger of the two
    candidate columns of adj(H − λI), normalized so that uᵀu = 1 (the bilinear normalization
    that makes U⁻¹ = Uᵀ for complex symmetric H; docs/theory/principal-flow.md). A multiple of the identity
    falls back to the coordinate axes.
    """
    mean, half_gap = (a + c) / 2, (a - c) / 2
    radius = np.sqrt(half_gap**2 + b**2)
    lam = np.stack([mean + radius, mean - radius])  # (2, ...): λ+ then λ−
    first = np.stack([lam - c, np.broadcast_to(b, lam.shape)], axis=-1)
    second = np.stack([np.broadcast_to(b, lam.shape), lam - a], axis=-1)
    pick = np.abs(first).sum(-1) >= np.abs(second).sum(-1)
    vec = np.where(pick[..., None], first, second)
    norm = np.sqrt(np.sum(vec * vec, axis=-1))
    degenerate = np.abs(norm) <= 1e-150
    axes = np.eye(2).reshape((2,) + (1,) * (vec.ndim - 2) + (2,))
    vec = np.where(degenerate[..., None], axes, vec / np.where(degenerate, 1, norm)[..., None])
    return lam[0], lam[1], vec[0], vec[1]


@dataclass(frozen=True)
class SymbolicEigensystem:
    """Closed-form eigenpairs of a Hessian; ``pairs`` is a list of (eigenvalue, eigenvector).

    Within a 2x2 block the pairs come larger first. Across blocks no order is implied: which
    eigenvalue is λ1 depends on the point, so numeric code sorts at each point.
    """

    pairs: list

    @property
    def eigenvalues(self):
        return [lam for lam, _ in self.pairs]


def symbolic_eigensystem(hess: sp.Matrix):
    """The closed-form eigensystem of ``hess``, or ``None`` when a block is larger than 2x2."""
    d = hess.shape[0]
    blocks = hessian_blocks(hess)
    if not has_closed_form(blocks):
        return None
    pairs = []
    for block in blocks:
        if len(block) == 1:
            (i,) = block
            pairs.append((hess[i, i], sp.Matrix([int(k == i) for k in range(d)])))
            continue
        i, j = block
        lam_plus, lam_minus, cos_t, sin_t = eig2x2(hess[i, i], hess[i, j], hess[j, j], sp)
        for lam, (ci, cj) in ((lam_plus, (cos_t, sin_t)), (lam_minus, (-sin_t, cos_t))):
            vec = sp.zeros(d, 1)
            vec[i], vec[j] = ci, cj
            pairs.append((lam, vec))
    return SymbolicEigensystem(pairs)


def blockwise_eigh(hess: np.ndarray, blocks) -> tuple[np.ndarray, np.ndarray]:
    """Eigenpairs of a batch of Hessians (..., d, d) with the given 1x1/2x2 block structure.

    Returns eigenvalues (..., d) in descending order and eigenvectors (..., d, d) whose
    column k belongs to eigenvalue k, as :func:`numpy.linalg.eigh` would after reversal.
    Complex symmetric Hessians (complex θ) are supported with uᵀu = 1 normalization.
    """
    if blocks == [(0, 1)]:  # d = 2: already ordered, Re λ+ ≥ Re λ−
        entries = hess[..., 0, 0], hess[..., 0, 1], hess[..., 1, 1]
        if np.iscomplexobj(hess):
            lam_plus, lam_minus, u_plus, u_minus = eig2x2_complex(*entries)
            return np.stack([lam_plus, lam_minus], axis=-1), np.stack([u_plus, u_minus], axis=-1)
        values, vectors = np.empty(hess.shape[:-1]), np.empty(hess.shape)
        values[..., 0], values[..., 1], cos_t, sin_t = eig2x2(*entries, np)
        vectors[..., 0, 0], vectors[..., 1, 0] = cos_t, sin_t
        vectors[..., 0, 1], vectors[..., 1, 1] = -sin_t, cos_t
        return values, vectors
    values = np.empty(hess.shape[:-1], dtype=hess.dtype)
    vectors = np.zeros(hess.shape, dtype=hess.dtype)
    col = 0
    for block in blocks:
        if len(block) == 1:
            (i,) = block
            values[..., col] = hess[..., i, i]
            vectors[..., i, col] = 1.0
            col += 1
            continue
        i, j = block
        entries = hess[..., i, i], hess[..., i, j], hess[..., j, j]
        if np.iscomplexobj(hess):
            lam_plus, lam_minus, u_plus, u_minus = eig2x2_complex(*entries)
            values[..., col], values[..., col + 1] = lam_plus, lam_minus
            vectors[..., i, col], vectors[..., j, col] = u_plus[..., 0], u_plus[..., 1]
            vectors[..., i, col + 1], vectors[..., j, col + 1] = u_minus[..., 0], u_minus[..., 1]
        else:
            lam_plus, lam_minus, cos_t, sin_t = eig2x2(*entries, np)
            values[..., col], values[..., col + 1] = lam_plus, lam_minus
            vectors[..., i, col], vectors[..., j, col] = cos_t, sin_t
            vectors[..., i, col + 1], vectors[..., j, col + 1] = -sin_t, cos_t
        col += 2
    # Complex eigenvalues (complex θ) are ordered by their real parts.
    order = np.argsort(-values.real, axis=-1, kind="stable")
    values = np.take_along_axis(values, order, axis=-1)
    vectors = np.take_along_axis(vectors, order[..., None, :], axis=-1)
    return values, vectors


def dense_eigh(hess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`numpy.linalg.eigh` reordered to descending eigenvalues (λ1 first)."""
    values, vectors = np.linalg.eigh(hess)
    return values[..., ::-1], vectors[..., ::-1]
