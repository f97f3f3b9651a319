"""Vector fields that model gradient descent (docs/theory/modified-flows.md and docs/theory/principal-flow.md).

``gradient(m)``: gradient flow; ``modified(m, lr, order)``: backward-error-analysis flows
(order 1 is IGR); ``principal(m, lr)``: the principal flow of Rosca et al. (TMLR 2023);
``manifold_ngd(m)``, ``manifold_sqrt(m)``: the limiting flows on the manifold of minima of
normalized GD and GD on √(L − min L) (Arora, Li, Panigrahi, ICML 2022), in slow time T = η²k,
solved from X(0) = Φ(θ0) by ``solve_on_manifold``.
Each returns a :class:`VectorField` to pass to :func:`toymodels.integrate`.
"""

from .bea import MAX_ORDER, bea_coefficients, modified
from .field import VectorField
from .gradient import gradient
from .manifold import manifold_flow, manifold_ngd, manifold_sqrt, solve_on_manifold
from .principal import exact_quadratic_solution, phi, principal

__all__ = ["MAX_ORDER", "VectorField", "bea_coefficients", "exact_quadratic_solution", "gradient",
           "manifold_flow", "manifold_ngd", "manifold_sqrt", "modified", "phi", "principal",
           "solve_on_manifold"]
