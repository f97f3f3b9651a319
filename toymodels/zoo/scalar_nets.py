"""Scalar linear networks: products of scalar weights fitted to a target."""

import sympy as sp

from ..errors import InvalidInputError
from ..model import Model
from . import register


def _scalar_net(weights, y, **metadata):
    product = sp.Mul(*weights)
    # On Γ = {∏w = y} the Hessian is ∇(∏w)∇(∏w)ᵀ, so λ1 = ‖∇∏w‖² = Σ_i ∏_{j≠i} w_j².
    lam1 = sum(sp.diff(product, w) ** 2 for w in weights)
    # Gradient flow conserves w_i² − w_j² (w_i ∂L/∂w_i = (∏w − y)∏w for every i), so Φ has a
    # closed form (Kreisler et al., ICML 2023): d − 1 differences fix the point of Γ.
    conserved = [weights[0] ** 2 - w**2 for w in weights[1:]]
    return Model((product - y) ** 2 / 2, weights, min_loss=0, manifold=[product - y],
                 lambda1_on_manifold=lam1, conserved=conserved, **metadata)


@register
def two_layer_scalar(y=1):
    """½(ab − y)²: the two-layer scalar network (Arora, Li, Panigrahi 2022; Rosca et al. 2023).

    Γ = {ab = y}, where λ1 = a² + b²; gradient flow conserves a² − b².
    """
    y = sp.nsimplify(y)
    if y == 0:
        raise InvalidInputError("two_layer_scalar needs y != 0 (at y = 0 the minima ab = 0 form "
                                "two crossing lines, not a manifold)")
    a, b = sp.symbols("a b", real=True)
    return _scalar_net([a, b], y, name="two_layer_scalar", formula="½(ab − y)²",
                       source="Arora, Li, Panigrahi, ICML 2022; Rosca et al., TMLR 2023",
                       parameters={"y": y}, description="Two-layer scalar linear network.")


@register
def deep_scalar(depth=3, y=1):
    """½(∏_i w_i − y)²: a depth-D scalar network (Kreisler, Nacson, Soudry, Carmon, ICML 2023).

    Gradient flow conserves w_i² − w_j²; on Γ = {∏w = y}, λ1 = Σ_i ∏_{j≠i} w_j².
    """
    if not isinstance(depth, int) or depth < 1:
        raise InvalidInputError(f"depth must be a positive integer, got {depth!r}")
    y = sp.nsimplify(y)
    if y == 0:
        raise InvalidInputError("deep_scalar needs y != 0")
    weights = sp.symbols(f"w1:{depth + 1}", real=True)
    return _scalar_net(list(weights), y, name="deep_scalar", formula="½(∏_i w_i − y)²",
                       source="Kreisler, Nacson, Soudry, Carmon, ICML 2023",
                       parameters={"depth": depth, "y": y}, description="Deep scalar linear network.")


@register
def zhu_minimal():
    """½(1 − xyzw)²: the minimal edge-of-stability model of Zhu, Wang, Wang, Zhou, Ge (ICLR 2023).

    Γ = {xyzw = 1} is 3-dimensional in ℝ⁴; on it λ1 = Σ 1/θ_i² (= 2(x² + y²) on the symmetric
    slice z = x, w = y).
    """
    x, y, z, w = sp.symbols("x y z w", real=True)
    return _scalar_net([x, y, z, w], 1, name="zhu_minimal", formula="½(1 − xyzw)²",
                       source="Zhu, Wang, Wang, Zhou, Ge, ICLR 2023",
                       description="Degree-4 model where GD ends just below 2/η.")


@register
def uv(n=2, y=1):
    """½(uᵀv/√n − y)²: the two-layer linear network of width n on one example x = 1 (the uv model).

    Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari 2020 (arXiv 2003.02218, §2; catapult) and
    Kalra, He, Barkeshli, ICLR 2025 (arXiv 2311.02076, §3; edge-of-stability route to chaos).
    Parameters (u_1…u_n, v_1…v_n). n = 1 *is* ``two_layer_scalar`` (the same Model, parameters
    a, b). Γ = {uᵀv = √n·y}, where λ1 = (‖u‖² + ‖v‖²)/n, the NTK ‖∇f‖². GD on this loss
    closes on (f, λ) = (uᵀv/√n, (‖u‖² + ‖v‖²)/n): see :mod:`toymodels.uv`.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidInputError(f"uv needs an integer width n >= 1, got {n!r}")
    if n == 1:
        return two_layer_scalar(y)
    y = sp.nsimplify(y)
    if y == 0:
        raise InvalidInputError("uv needs y != 0 (at y = 0 the minima uᵀv = 0 form a cone, singular at 0); "
                                "the function-space map of toymodels.uv takes y = 0")
    u = sp.symbols(f"u1:{n + 1}", real=True)
    v = sp.symbols(f"v1:{n + 1}", real=True)
    root = sp.sqrt(n)
    f = sum(ui * vi for ui, vi in zip(u, v)) / root
    return Model((f - y) ** 2 / 2, [*u, *v], min_loss=0, manifold=[f - y],
                 lambda1_on_manifold=sum(w**2 for w in (*u, *v)) / n, name="uv", formula="½(uᵀv/√n − y)²",
                 source="Lewkowycz et al. 2020 (arXiv 2003.02218); Kalra, He, Barkeshli, ICLR 2025 (arXiv 2311.02076)",
                 parameters={"n": n, "y": y}, description="Two-layer linear network of width n on one example.")
