"""Backward error analysis of GD: the modified flows f_η = f_0 + η f_1 + η² f_2 + ….

GD is explicit Euler on θ' = −∇L. The exact time-η flow of a field f is the Lie series
θ + Σ_{j≥1} (η^j/j!) D_f^{j−1} f with D_f g = (∂g/∂θ) f. Requiring that this equals θ − η∇L
to order η^{k+1} fixes f_1, …, f_k one after the other (Hairer, Lubich, Wanner, Geometric
Numerical Integration, §IX.1; docs/theory/modified-flows.md): f_n is minus the η^{n+1} coefficient of the
Lie series built from f_0, …, f_{n−1}. Order 1 is the implicit gradient regularization flow
(Barrett & Dherin, ICLR 2021; arXiv:2009.11162), order 2 the "third-order flow" of Rosca et al.
(TMLR 2023; arXiv:2302.01952).
"""

from functools import lru_cache

import numpy as np
import sympy as sp

from ..compile import CompiledFunction
from ..errors import InvalidInputError
from ..validate import positive_number
from .field import VectorField

#: Highest order derived: the Lie series grows combinatorially; on rosenbrock order 4 takes
#: about 2 s and order 5 about 4 s, and each further order roughly doubles that.
MAX_ORDER = 5


def _expanded(matrix):
    return matrix.applyfunc(sp.expand) if all(e.is_polynomial() for e in matrix) else matrix


#: Orders whose coefficients are closed forms in ∇L, H and ∇³L (f_1 = −½H∇L, f_2 = −⅓H²∇L −
#: (1/12)∇³L[∇L, ∇L], derivations/bea_coefficients.py): :func:`modified` composes them from the compiled
#: Hessian-vector and third-derivative products instead of deriving the Lie series (order 2 on the
#: 2×3×2 linear network, d = 12, took 7 s to derive that way).
CLOSED_FORM_ORDER = 2


def _check_order(order):
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 0 <= order <= MAX_ORDER:
        raise InvalidInputError(f"the order of a modified flow must be an integer in [0, {MAX_ORDER}], "
                                f"got {order!r}; orders above {MAX_ORDER} take too long to derive "
                                "symbolically (the Lie series grows combinatorially)")


@lru_cache(maxsize=None)
def bea_coefficients(model, order) -> tuple:
    """(f_0, …, f_order) as SymPy column vectors in the model's parameters."""
    _check_order(order)
    params = model.params
    jacobians = {}

    def jac(key, vector):
        if key not in jacobians:
            jacobians[key] = vector.jacobian(params)
        return jacobians[key]

    coefficients = [-model.grad]
    for n in range(1, order + 1):
        # Powers P_j = D_F^{j−1} F of the known part F = Σ_{i<n} η^i f_i, kept as
        # {power of η: vector} up to the power that can still reach η^{n+1}.
        power_series = {i: coefficients[i] for i in range(n)}
        keys = {i: ("f", i) for i in range(n)}
        top = sp.zeros(len(params), 1)
        for j in range(2, n + 2):
            highest = n + 1 - j
            new_series, new_keys = {}, {}
            for p in range(highest + 1):
                total = sp.zeros(len(params), 1)
                for a in range(p + 1):
                    if a in power_series and p - a < n:
                        total += jac(keys[a], power_series[a]) * coefficients[p - a]
                new_series[p], new_keys[p] = _expanded(total), ("P", n, j, p)
            power_series, keys = new_series, new_keys
            top += power_series[highest] / sp.factorial(j)
        coefficients.append(_expanded(-top))
    return tuple(coefficients)


@lru_cache(maxsize=None)
def _compiled_coefficients(model, order):
    return [CompiledFunction(f"{model.name}.bea_f{i}", list(f), [model.params], (), (model.dim,),
                             doc=f"BEA coefficient f_{i} of {model.label()}")
            for i, f in enumerate(bea_coefficients(model, order))]


def modified(model, lr, order) -> VectorField:
    """The order-``order`` modified flow Σ_{i≤order} lr^i f_i of GD with learning rate ``lr``.

    order 0 is gradient flow, 1 the IGR flow −∇L − (η/2)H∇L, 2 adds
    −η²[(1/3)H²∇L + (1/12)∇³L[∇L, ∇L]]; these are composed from the compiled products
    (CLOSED_FORM_ORDER), higher orders compiled from :func:`bea_coefficients`.
    """
    lr = positive_number(lr, "lr")
    _check_order(order)
    numeric = model.numeric
    field = _closed_form(numeric, lr, order) if order <= CLOSED_FORM_ORDER else _lie_series(model, lr, order)

    names = {0: "gradient flow", 1: "IGR flow", 2: "order-2 BEA flow"}
    return VectorField(f"bea{order}", names.get(order, f"order-{order} BEA flow"), field, model, lr,
                       meta={"order": order})


def _closed_form(numeric, lr, order):
    """The field of order ≤ 2 from ∇L, H∇L, H²∇L and ∇³L[∇L, ∇L] (CLOSED_FORM_ORDER)."""

    def field(theta):
        theta = numeric._theta(theta)
        grad = numeric.grad(theta)
        if order == 0:
            return -grad
        hg = numeric.hvp(theta, grad)
        value = -grad - lr / 2 * hg
        if order == 2:
            value = value - lr**2 * (numeric.hvp(theta, hg) / 3 + numeric.d3(theta, grad, grad) / 12)
        return value
    return field


def _lie_series(model, lr, order):
    """The field Σ_{i≤order} lr^i f_i from the symbolic coefficients (:func:`bea_coefficients`)."""
    parts, numeric = _compiled_coefficients(model, order), model.numeric

    def field(theta):
        theta = numeric._theta(theta)
        return sum(lr**i * f(theta) for i, f in enumerate(parts))
    return field
