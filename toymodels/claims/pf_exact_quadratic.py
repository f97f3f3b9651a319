"""pf.exact_quadratic: on quadratics the principal flow is GD, in every regime of ηλ.

Rosca et al. (TMLR 2023, §3; theory.md §3): for L = ½(θ − θ*)ᵀA(θ − θ*) the PF solution is
θ* + exp((t/η) log(I − ηA))(θ0 − θ*), which at t = kη is exactly (I − ηA)^k(θ0 − θ*) + θ*.
Checked twice: the closed form against simulated GD (round-off only), and the integrated PF
field (DOP853) against simulated GD (integration tolerance).
"""

import numpy as np

from .. import zoo
from ..flows import exact_quadratic_solution, principal
from ..integrate import integrate
from ..optim import GD
from ..simulate import simulate
from . import Verdict, claim
from .gd_quadratic import LR, _exactness_cases

CLOSED_FORM_RTOL = 1e-12
INTEGRATED_RTOL = 1e-9
STEPS = 30


@claim("pf.exact_quadratic",
       "On quadratics the principal flow equals GD at t = kη in every regime "
       "(ηλ ∈ {−0.5, 0.5, 1.5, 1.9, 2.0, 2.1}; d = 1, 2, 5; axis-aligned and rotated eigenbases).",
       "Rosca, Wu, Qin, Dherin, TMLR 2023, §3",
       conventions=f"L = ½(θ − θ*)ᵀA(θ − θ*); lr = {LR}; flow time t, one GD step = lr; {STEPS} steps")
def exact_quadratic(quick=False):
    rng = np.random.default_rng(11)
    rows, worst_closed, worst_integrated = [], 0.0, 0.0
    for eigs, seed, center in _exactness_cases(quick):
        model = zoo.get("quadratic", eigenvalues=eigs, rotation_seed=seed, center=center)
        x0 = rng.uniform(-1, 1, size=(3, len(eigs)))  # three starts per quadratic
        gd = simulate(model, GD(LR), x0, STEPS, record=(), max_norm=1e30).x
        times = LR * np.arange(STEPS + 1)
        scale = np.max(np.linalg.norm(gd, axis=-1))
        closed = exact_quadratic_solution(model, LR, x0, times)
        err_closed = float(np.max(np.linalg.norm(closed - gd, axis=-1)) / scale)
        sol = integrate(principal(model, LR), x0.astype(complex), times[-1], saveat=times,
                        rtol=1e-13, atol=1e-14 * scale, max_norm=1e30)
        err_integrated = float(np.max(np.linalg.norm(sol.x - gd, axis=-1)) / scale)
        worst_closed, worst_integrated = max(worst_closed, err_closed), max(worst_integrated, err_integrated)
        rows.append({"d": len(eigs), "rotation_seed": seed, "lr·λ": [round(LR * e, 3) for e in eigs],
                     "closed form rel. error": err_closed, "integrated PF rel. error": err_integrated,
                     "integration status": sorted(set(sol.status.ravel().tolist()))})
    passed = worst_closed <= CLOSED_FORM_RTOL and worst_integrated <= INTEGRATED_RTOL
    return Verdict(
        passed=passed,
        measured=f"closed form {worst_closed:.1e}, integrated PF {worst_integrated:.1e} (max rel. error "
                 f"over {len(rows)} quadratics × 3 starts × {STEPS} steps)",
        expected="PF(kη) = GD iterate k",
        tolerance=f"closed form ≤ {CLOSED_FORM_RTOL:g}, integrated ≤ {INTEGRATED_RTOL:g} (relative to "
                  "the largest state of the run)",
        tolerance_reason="the closed form differs from GD by round-off only; DOP853 at rtol 1e-13 adds "
                         "its local errors over 30 steps of growth up to 1.5^30",
        details={"cases": rows})
