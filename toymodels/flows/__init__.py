"""Vector fields that model gradient descent (theory.md §2–3).

``gradient(m)``: gradient flow; ``modified(m, lr, order)``: backward-error-analysis flows
(order 1 is IGR); ``principal(m, lr)``: the principal flow of Rosca et al. (TMLR 2023).
Each returns a :class:`VectorField` to pass to :func:`toymodels.integrate`.
"""

from .bea import MAX_ORDER, bea_coefficients, modified
from .field import VectorField
from .gradient import gradient
from .principal import exact_quadratic_solution, phi, principal

__all__ = ["MAX_ORDER", "VectorField", "bea_coefficients", "exact_quadratic_solution", "gradient",
           "modified", "phi", "principal"]
