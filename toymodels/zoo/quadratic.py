"""Quadratics L = ½(θ − θ*)ᵀA(θ − θ*), the models on which GD and the PF are exact."""

import numpy as np
import sympy as sp

from ..errors import InvalidInputError
from ..model import Model
from . import register


def rational_rotation(d, seed) -> sp.Matrix:
    """An exact rational orthogonal matrix: the Cayley transform (I − S)(I + S)⁻¹ of a random
    skew-symmetric S with small integer entries, so that every derivation stays exact."""
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.integers(-3, 4, size=(d, d)), 1)
    skew = sp.Matrix(upper - upper.T) / 4
    eye = sp.eye(d)
    return (eye - skew) * (eye + skew).inv()


def _exact(value, what):
    if isinstance(value, bool) or not np.isfinite(float(value)):
        raise InvalidInputError(f"{what} must be a finite number, got {value!r}")
    return sp.nsimplify(value, rational=True) if not isinstance(value, sp.Basic) else value


@register
def quadratic(eigenvalues=(2, 0.02), rotation_seed=None, center=None):
    """½(θ − θ*)ᵀ A (θ − θ*) with A = Q diag(eigenvalues) Qᵀ.

    ``rotation_seed`` None keeps the eigenbasis on the axes; an integer draws an exact
    rational rotation Q. Negative and zero eigenvalues are allowed (a saddle, a valley).
    Defaults: eigenvalues 2 and 0.02 as in L = θᵀ diag(1, 0.01) θ of Rosca et al. (2023).
    """
    eigs = [_exact(v, "each eigenvalue") for v in np.atleast_1d(np.asarray(eigenvalues, dtype=object))]
    if not eigs:
        raise InvalidInputError("a quadratic needs at least one eigenvalue")
    d = len(eigs)
    rot = sp.eye(d) if rotation_seed is None else rational_rotation(d, rotation_seed)
    a = rot * sp.diag(*eigs) * rot.T
    center_vec = sp.zeros(d, 1) if center is None else sp.Matrix([_exact(c, "center") for c in center])
    if center_vec.shape != (d, 1):
        raise InvalidInputError(f"center must have {d} entries, one per eigenvalue")
    theta = sp.Matrix(sp.symbols(f"theta1:{d + 1}", real=True))
    diff = theta - center_vec
    loss = (diff.T * a * diff)[0, 0] / 2
    bounded = all(e >= 0 for e in eigs)
    # Γ = θ* + null(A): the constraints are the coordinates along the non-null eigenvectors.
    normal = [rot[:, i] for i, e in enumerate(eigs) if e != 0]
    return Model(loss, list(theta), name="quadratic", formula="½(θ − θ*)ᵀA(θ − θ*)",
                 source="Cohen et al., ICLR 2021 (stability threshold 2/η)",
                 description="Quadratic with prescribed Hessian eigenvalues; GD on it is linear.",
                 parameters={"eigenvalues": tuple(eigenvalues), "rotation_seed": rotation_seed,
                             "center": None if center is None else tuple(center)},
                 min_loss=0 if bounded else None,
                 manifold=[(u.T * diff)[0, 0] for u in normal] if bounded else None,
                 lambda1_on_manifold=max(eigs) if bounded else None)
