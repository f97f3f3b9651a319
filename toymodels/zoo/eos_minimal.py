"""Minimal models of the edge of stability from the literature (docs/theory/edge-of-stability.md)."""

import sympy as sp

from ..errors import InvalidInputError
from ..functions import logcosh
from ..model import Model
from . import register


@register
def chen_bruna(mu=1):
    """¼(x² − μ)² (Chen & Bruna 2023): at η = K/μ, 1 < K ≤ 1.121, GD settles on a 2-cycle.

    Minima x = ±√μ with curvature 2μ.
    """
    mu = sp.nsimplify(mu)
    if not mu > 0:
        raise InvalidInputError(f"chen_bruna needs mu > 0, got {mu}")
    x = sp.Symbol("x", real=True)
    return Model((x**2 - mu) ** 2 / 4, [x], name="chen_bruna", formula="¼(x² − μ)²",
                 source="Chen & Bruna, 2023 (beyond the edge of stability via two-step updates)",
                 parameters={"mu": mu}, min_loss=0, manifold=[x**2 - mu],
                 lambda1_on_manifold=3 * x**2 - mu, description="One-dimensional EoS model.")


@register
def lcosh_xy():
    """log cosh(xy) (Song & Yun 2023; the ℓ(xy) models of Ahn et al. 2023).

    Minima: the axes xy = 0, where λ1 = x² + y² (ℓ''(0) = 1); gradient flow conserves y² − x².
    Away from the origin the constraint xy = 0 is regular. The loss is the stable
    :class:`~toymodels.functions.logcosh`, so large |xy| does not overflow.
    """
    x, y = sp.symbols("x y", real=True)
    return Model(logcosh(x * y), [x, y], name="lcosh_xy", formula="log cosh(xy)",
                 source="Song & Yun, 2023; Ahn et al., 2023", min_loss=0, manifold=[x * y],
                 lambda1_on_manifold=x**2 + y**2, conserved=[y**2 - x**2],
                 description="Trajectory alignment: GD ends just below 2/η.")
