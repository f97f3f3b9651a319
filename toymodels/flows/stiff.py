"""A stiff flow from one start, with dense output: :func:`solve_stiff`.

The central flow and gradient flow on the edge toys are stiff: the valley direction relaxes at
rate 2/η per unit of flow time while the path moves at rate ε, so an explicit method
(:func:`toymodels.integrate`) must take steps of about one GD step over 1/ε steps. The implicit
variable-order BDF method (orders 1–5, the NDF form of Shampine & Reichelt, SIAM J. Sci. Comput.
1997; scipy's ``BDF``) takes steps set by the slow motion instead: about 10³–10⁴ field
evaluations instead of 10⁵–10⁶. (Radau stalls at the fixed point of the two-edge toy and
LSODA takes 10⁵ evaluations on the curved valley; BDF does both.)
"""

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from ..status import FINISHED, NOT_CONVERGED


@dataclass(frozen=True)
class StiffSolution:
    """``at(t)``: states at flow times t (shape (*t.shape, d)), from the dense output;
    ``status`` (:mod:`toymodels.status`), ``message``, ``t1`` and the number of evaluations."""

    dense: object
    status: str
    message: str
    t1: float
    evaluations: int

    def at(self, t):
        t = np.asarray(t, dtype=float)
        return np.moveaxis(self.dense(t.ravel()), 0, -1).reshape(*t.shape, -1)


def solve_stiff(field, x0, t1, *, rtol=1e-9, atol=1e-12) -> StiffSolution:
    """Integrate dθ/dt = ``field(θ)`` from one start ``x0`` (d,) to flow time ``t1`` by BDF."""
    x0 = np.asarray(x0, dtype=float)
    sol = solve_ivp(lambda t, w: field(w[None])[0], (0.0, float(t1)), x0, method="BDF", dense_output=True,
                    rtol=rtol, atol=atol)
    return StiffSolution(sol.sol, FINISHED if sol.status == 0 else NOT_CONVERGED, sol.message, float(t1), sol.nfev)
