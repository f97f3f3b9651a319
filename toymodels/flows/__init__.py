"""Vector fields that model gradient descent (docs/theory/modified-flows.md and docs/theory/principal-flow.md).

``gradient(m)``: gradient flow; ``modified(m, lr, order)``: backward-error-analysis flows
(order 1 is IGR); ``principal(m, lr)``: the principal flow of Rosca et al. (TMLR 2023);
``manifold_ngd(m)``, ``manifold_sqrt(m)``: the limiting flows on the manifold of minima of
normalized GD and GD on √(L − min L) (Arora, Li, Panigrahi, ICML 2022), in slow time T = η²k,
solved from X(0) = Φ(θ0) by ``solve_on_manifold``; ``central(m, lr)``: the central flow of GD at
the edge of stability (Cohen et al., ICLR 2025), solved by ``solve_stiff``.
Each returns a :class:`VectorField` to pass to :func:`toymodels.integrate`.
"""

from .bea import MAX_ORDER, bea_coefficients, modified
from .central import central, central_state, edge_solution
from .field import VectorField
from .gradient import gradient
from .manifold import manifold_flow, manifold_ngd, manifold_sqrt, solve_on_manifold
from .principal import exact_quadratic_solution, phi, principal
from .stiff import solve_stiff

__all__ = ["MAX_ORDER", "VectorField", "bea_coefficients", "central", "central_state", "edge_solution",
           "exact_quadratic_solution", "gradient", "manifold_flow", "manifold_ngd", "manifold_sqrt", "modified", "phi", "principal",
           "solve_on_manifold", "solve_stiff"]
