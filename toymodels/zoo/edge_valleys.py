"""Edge-of-stability valleys: toys where GD's sharpness rises to 2/η and stays there.

Each is a cubic valley g(x, y) plus a small linear tilt −ε(…) that pushes the valley
coordinates y towards higher curvature (progressive sharpening). On the valley floor x = 0 the
Hessian is known in closed form, which the entry states as :class:`Valley` (its "edge facts"),
checked at sampled points by the ``zoo.conformance`` claim. They have no minimum (the tilt is
unbounded below) and no manifold of minima. Central flows and self-stabilization on them:
docs/theory/central-flows.md.
"""

from dataclasses import dataclass

import sympy as sp

from ..errors import InvalidInputError
from ..model import Model
from . import register


@dataclass(frozen=True)
class Valley:
    """Stated facts of an edge toy on its valley floor: the coordinates ``floor`` (indices)
    vanish there, and the Hessian there is ``block`` (a SymPy matrix in the other coordinates,
    acting on the floor coordinates) ⊕ 0, so its top eigenvalues are those of ``block``."""

    floor: tuple
    block: sp.Matrix


_x, _y, _z = sp.symbols("x y z", real=True)
_y1, _y2, _y3 = sp.symbols("y1 y2 y3", real=True)
_CODIM2_BLOCK = sp.Matrix([[_y1, _y3 / sp.sqrt(2)], [_y3 / sp.sqrt(2), _y2]])

#: Edge facts by zoo name, read by the zoo.conformance claim.
VALLEYS = {"progressive_valley": Valley((0,), sp.Matrix([[_y]])),
           "curved_valley": Valley((0,), sp.Matrix([[_y + _z**2]])),
           "codim2_valley": Valley((0, 1), _CODIM2_BLOCK)}


def _epsilon(eps):
    eps = sp.nsimplify(eps)
    if not eps > 0:
        raise InvalidInputError(f"eps must be a positive number (the tilt that drives sharpening), got {eps}")
    return eps


@register
def progressive_valley(eps=1e-4):
    """½(y + x)x² − ε(x + y) (Berthier's 2-D example): the valley x = 0 has sharpness S = y.

    The tilt raises y at speed ε per unit of flow time, so S grows until 2/η (progressive
    sharpening); GD then hovers at the edge while y stays near 2/η. Every linear-update
    optimizer reaches its own edge on it (docs/theory/central-flows.md).
    """
    eps = _epsilon(eps)
    x, y = _x, _y
    return Model((y + x) * x**2 / 2 - eps * (x + y), [x, y], name="progressive_valley",
                 formula="½(y + x)x² − ε(x + y)", parameters={"eps": eps},
                 source="Berthier's valley, as in Cohen, Damian, Talwalkar, Kolter, Lee, ICLR 2025, arXiv:2410.24206",
                 description="Progressive sharpening: S = y on the valley x = 0 rises until 2/η.")


@register
def curved_valley(eps=1e-4):
    """½(y + z² + x)x² − ε(x + y + z): on the valley x = 0, H = diag(y + z², 0, 0), so S = y + z².

    The tilt raises S to 2/η; the central flow then slides along y + z² = 2/η towards the point
    where ∇S = (·, 1, 2z) is parallel to the tilt's (1, 1) in (y, z): z = ½, y = 2/η − ¼.
    """
    eps = _epsilon(eps)
    x, y, z = _x, _y, _z
    return Model((y + z**2 + x) * x**2 / 2 - eps * (x + y + z), [x, y, z], name="curved_valley",
                 formula="½(y + z² + x)x² − ε(x + y + z)", parameters={"eps": eps},
                 source="a 3-D extension of Berthier's valley; central flow of Cohen et al., ICLR 2025, "
                        "arXiv:2410.24206",
                 description="One eigenvalue at the edge on a curved constraint y + z² = 2/η.")


@register
def codim2_valley(eps=1e-4):
    """½xᵀH[y]x + ½(x₁³ + x₂³) − ε(x₁ + 2y₁ + y₂ + y₃), H[y] = [[y₁, y₃/√2], [y₃/√2, y₂]].

    Berthier's codimension-2 example: on the valley x = 0 the Hessian is H[y] ⊕ 0, so its two
    top eigenvalues are those of H[y]; the tilt raises both to 2/η, where two eigenvalues sit
    at the edge at once and the central flow's Σ is a 2×2 matrix (docs/theory/central-flows.md).
    """
    eps = _epsilon(eps)
    x1, x2 = sp.symbols("x1 x2", real=True)
    y1, y2, y3, block = _y1, _y2, _y3, _CODIM2_BLOCK
    xv = sp.Matrix([x1, x2])
    g = (xv.T * block * xv)[0, 0] / 2 + (x1**3 + x2**3) / 2
    return Model(g - eps * (x1 + 2 * y1 + y2 + y3), [x1, x2, y1, y2, y3], name="codim2_valley",
                 formula="½xᵀH[y]x + ½(x₁³ + x₂³) − ε(x₁ + 2y₁ + y₂ + y₃)", parameters={"eps": eps},
                 source="Berthier's codimension-2 example, as in Cohen et al., ICLR 2025, arXiv:2410.24206",
                 description="Two eigenvalues at the edge: Σ solves a 2×2 semidefinite complementarity problem.")
