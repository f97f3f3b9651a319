"""Valleys, wells and saddles: classic non-convex test functions."""

import sympy as sp

from ..eigensystem import eig2x2
from ..model import Model
from . import register


@register
def rosenbrock(a=1, b=100):
    """(a − x)² + b(y − x²)², the Rosenbrock function (standard scaling, no ½).

    Its only minimum is (a, a²) with Hessian [[2 + 8ba², −4ba], [−4ba, 2b]].
    """
    a, b = sp.nsimplify(a), sp.nsimplify(b)
    x, y = sp.symbols("x y", real=True)
    lam1, _, _, _ = eig2x2(2 + 8 * b * a**2, -4 * b * a, 2 * b, sp)
    return Model((a - x) ** 2 + b * (y - x**2) ** 2, [x, y], name="rosenbrock",
                 formula="(a − x)² + b(y − x²)²", source="Rosenbrock, Comput. J. 1960",
                 parameters={"a": a, "b": b}, min_loss=0, manifold=[x - a, y - a**2],
                 lambda1_on_manifold=lam1, description="Curved narrow valley with one minimum.")


@register
def rosenbrock_valley():
    """(y − x²)²: the Rosenbrock valley alone, Γ = {y = x²} with λ1 = 2(1 + 4x²) on Γ.

    Gradient flow has dy/dx = −1/(2x), so it conserves x·e^{2y}.
    """
    x, y = sp.symbols("x y", real=True)
    return Model((y - x**2) ** 2, [x, y], name="rosenbrock_valley", formula="(y − x²)²",
                 source="Arora, Li, Panigrahi, ICML 2022 (manifold of minima setting)",
                 min_loss=0, manifold=[y - x**2], lambda1_on_manifold=2 * (1 + 4 * x**2),
                 conserved=[x * sp.exp(2 * y)],
                 description="A curved one-dimensional manifold of minima.")


@register
def arora_valley():
    """(1 + x²)y²: the figure toy of Arora, Li, Panigrahi (ICML 2022); Γ = {y = 0}, λ1 = 2(1 + x²).

    Gradient flow conserves ln|x| + x²/2 − y²/2 (docs/theory/manifold.md), declared as x·e^{(x² − y²)/2},
    its signed exponential, which stays finite at x = 0.
    """
    x, y = sp.symbols("x y", real=True)
    return Model((1 + x**2) * y**2, [x, y], name="arora_valley", formula="(1 + x²)y²",
                 source="Arora, Li, Panigrahi, ICML 2022", min_loss=0, manifold=[y],
                 lambda1_on_manifold=2 * (1 + x**2), conserved=[x * sp.exp((x**2 - y**2) / 2)],
                 description="Flat manifold y = 0 whose sharpness grows with |x|.")


@register
def double_well():
    """(θ² − 1)²: minima θ = ±1 with L'' = 8, a maximum at 0; GD at η > 1/4 leaves the minima."""
    t = sp.Symbol("theta", real=True)
    return Model((t**2 - 1) ** 2, [t], name="double_well", formula="(θ² − 1)²",
                 source="Rosca et al., TMLR 2023 (escaping sharp minima)", min_loss=0,
                 manifold=[t**2 - 1], lambda1_on_manifold=12 * t**2 - 4,
                 description="Two minima of curvature 8.")


@register
def saddle():
    """½(θ1² − θ2²): a strict saddle at 0 with Hessian eigenvalues 1 and −1; unbounded below."""
    t1, t2 = sp.symbols("theta1 theta2", real=True)
    return Model((t1**2 - t2**2) / 2, [t1, t2], name="saddle", formula="½(θ1² − θ2²)",
                 source="Rosca et al., TMLR 2023 (escaping saddles)",
                 description="Unbounded below: no minimum, no manifold.")
