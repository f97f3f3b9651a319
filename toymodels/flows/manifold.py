"""Limiting flows on the manifold of minima Γ (Arora, Li, Panigrahi, ICML 2022; arXiv:2205.09745;
docs/theory/manifold.md).

In slow time T = η²k (k optimizer steps), the limit map Φ of the iterates follows

- normalized GD, θ ← θ − η∇L/‖∇L‖:          dX/dT = −¼ P^⊥∇log λ1(X)   (their §4),
- GD on √(L − min L), θ ← θ − η∇√(L − L*):  dX/dT = −⅛ P^⊥∇λ1(X)       (their §5),

with X(0) = Φ(θ0), P^⊥ the projection onto the tangent space of Γ and ∇λ1 = ∇³L[u1, u1].
Both decrease λ1: dλ1/dT = −‖P^⊥∇λ1‖²/(4λ1) and −‖P^⊥∇λ1‖²/8.

Γ is invariant under these fields, and the fields here add −κJᵀ(JJᵀ)⁻¹g(X), which vanishes on
Γ and makes g decay like e^{−κT} off it (J P^⊥ = 0, so dg/dT = −κg): the integration error
cannot carry X away from Γ. :func:`solve_on_manifold` starts at Φ(θ0) and Newton-projects the
saved states onto Γ as well.
"""

from dataclasses import replace

import numpy as np

from ..compile import require_manifold
from ..errors import InvalidInputError, UnsupportedError
from ..integrate import integrate
from ..limit_map import limit_map
from ..manifold import lambda1_gradient, normal_lift, project_to_manifold, regular_jacobian
from .field import VectorField

TIME_UNIT = "slow time T = η²k (k optimizer steps)"
OBJECTIVES = ("lambda1", "log_lambda1")
#: Rate κ at which the stabilizing term pulls X back onto Γ (per unit of T).
STABILIZATION = 1.0


def manifold_flow(model, coefficient, objective, *, name=None, label=None) -> VectorField:
    """dX/dT = −coefficient·P^⊥∇f(X) − κJᵀ(JJᵀ)⁻¹g(X), with f = λ1 or log λ1 (``objective``).

    The building block of :func:`manifold_ngd` (¼, log λ1) and :func:`manifold_sqrt` (⅛, λ1);
    other constants give the wrong flows that the claims reject.
    """
    require_manifold(model)
    if objective not in OBJECTIVES:
        raise InvalidInputError(f"unknown objective {objective!r}; valid: {', '.join(OBJECTIVES)}")
    coefficient = float(coefficient)
    log = objective == "log_lambda1"

    numeric = model.numeric

    def field(x):
        jac, gram_inv = regular_jacobian(model, x)
        lam1, _, grad_lam1 = lambda1_gradient(model, x)
        grad_f = grad_lam1 / lam1[..., None] if log else grad_lam1
        # P^⊥∇f = ∇f − Jᵀ(JJᵀ)⁻¹J∇f; the second term pulls X back onto Γ (module docstring).
        tangent = grad_f - normal_lift(jac, gram_inv, np.einsum("...ij,...j->...i", jac, grad_f))
        return -coefficient * tangent - STABILIZATION * normal_lift(jac, gram_inv, numeric.constraints(x))

    f_text = "∇log λ1" if log else "∇λ1"
    name = name or f"manifold_{coefficient:g}_{objective}"
    label = label or f"dX/dT = −{coefficient:g} P⊥{f_text}"
    return VectorField(name, label, field, model, time_unit=TIME_UNIT,
                       meta={"coefficient": coefficient, "objective": objective,
                             "stabilization": STABILIZATION})


def manifold_ngd(model) -> VectorField:
    """The limiting flow of normalized GD: dX/dT = −¼ P^⊥∇log λ1 (T = η²k)."""
    return manifold_flow(model, 0.25, "log_lambda1", name="manifold_ngd",
                         label="NGD limiting flow −¼ P⊥∇log λ1")


def manifold_sqrt(model) -> VectorField:
    """The limiting flow of GD on √(L − min L): dX/dT = −⅛ P^⊥∇λ1 (T = η²k).

    Needs the model's minimum value, like the optimizer it models.
    """
    if model.min_loss is None:
        raise UnsupportedError(
            f"the √L limiting flow models GD on sqrt(L - min L), which needs the minimum value of "
            f"the loss of {model.label()}; construct the model with min_loss=<value>")
    return manifold_flow(model, 0.125, "lambda1", name="manifold_sqrt",
                         label="√L-GD limiting flow −⅛ P⊥∇λ1")


def solve_on_manifold(field, theta0, t1, *, saveat=None, rtol=1e-11, atol=1e-13, **options):
    """Integrate a manifold flow from X(0) = Φ(θ0) to slow time ``t1``; states on Γ.

    ``theta0`` (..., d) may lie off Γ: the start is its limit map Φ (:mod:`toymodels.limit_map`).
    Saved states are Newton-projected onto Γ (a correction of the order of ``rtol``).
    Returns a :class:`~toymodels.solution.Solution` in slow time T.
    """
    model = field.model
    start = limit_map(model, theta0)
    sol = integrate(field, start, t1, saveat=saveat, rtol=rtol, atol=atol, **options)
    on_gamma, _ = project_to_manifold(model, sol.x)
    return replace(sol, x=np.where(sol.valid[..., None], on_gamma, sol.x))
