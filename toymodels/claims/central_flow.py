"""central.*: the central flow and self-stabilization checked against GD on edge valleys.

Cohen, Damian, Talwalkar, Kolter, Lee (ICLR 2025, arXiv:2410.24206) and Damian, Nichani, Lee
(ICLR 2023, arXiv:2209.15594); docs/theory/central-flows.md. Runs: :mod:`.central_runs`.

Which constants are printed theorems: the central flow's equations (one eigenvalue and the SDCP)
and the time-averaged loss L + tr Σ/η are the paper's; the 2α/β amplitude is Damian et al.'s.
The error constants below (C in path ≤ C·ε, the relative bands) are not printed anywhere: they
were fixed on exploration runs at other tilts (``central_runs.EXPLORATION``) and each check
states a wrong alternative that the same data must reject. The closed form Σ/ε = [[4, √2],
[√2, 2]] of the two-edge toy is derived here (derivations/central_sdcp.py), not printed.
"""

import numpy as np
from scipy.optimize import root

from .. import zoo
from ..cycles import cycle_windows
from ..flows.central import central, edge_solution
from ..optim import GD
from ..sdcp import KKT_TOL
from ..simulate import simulate
from ..verify import Verdict, at_most, bound, calibrated, claim, match, roundoff
from .central_runs import (CYCLES, DAGGER_EPSILON, EPSILONS, EXPLORATION, LR, SLOW_TIME, START, dagger_run,
                           valley_run)

PATH_C = 6.0  # path error ≤ 6ε: the exploration's largest was 3.6ε
BAND = 0.08  # |⟨x²⟩/σ² − 1| and the loss correction within 8%: the exploration's largest was 5.1%
DAGGER_C = 2.0  # dagger vs central flow ≤ 2ε in (y, z): the exploration gave 0.65ε
TWO_EDGE_BAND = 0.05  # GD ⟨xxᵀ⟩ within 5% of max|Σ| entrywise: the exploration's largest was 2.2%
SDCP_C = 1.0  # |Σ(w*)/ε − closed form| ≤ 1·ε relative: the exploration gave 0.24ε
EXPLORED = "exploration runs at other tilts, listed in central_runs.EXPLORATION"
CONVENTIONS = ("loss as stated (cubic valley, no ½ on the tilt); η = 0.3; flow time t = ηk; averages over "
               f"windows of {CYCLES} whole self-stabilization cycles; x = the valley-normal coordinate")
CURVED = "curved_valley(eps): ½(y + z² + x)x² − ε(x + y + z), start (10⁻³, 5, 0), K = round(3/(ηε)) steps"


def _flatten(runs, attribute):
    return np.concatenate([getattr(r, attribute) for r in runs])


@claim("central.curved_valley",
       "On the curved valley at η = 0.3, the central flow follows GD's time-averaged path within 6ε over "
       "three tilts ε (gradient flow misses by orders of magnitude); GD's ⟨x²⟩ matches the central flow's σ² "
       "and GD's ⟨L⟩ matches L(w) + σ²/η, each within 8% of the predicted value, rejecting σ²/2, 2σ², L(w) "
       "alone and L(w) + σ²/(2η). Averages over windows of 3 whole self-stabilization cycles; the constants "
       "6ε and 8% are not printed theorems: fixed on exploration runs at other ε.",
       "Cohen, Damian, Talwalkar, Kolter, Lee, ICLR 2025, arXiv:2410.24206 (central flow, §3, eq. for the "
       "one-eigenvalue flow; time-averaged loss)",
       conventions=CONVENTIONS, models=CURVED, uses=(valley_run,))
def curved_valley(quick=False):
    eps = np.array(EPSILONS[quick])
    runs = [valley_run(e) for e in eps]
    path = [float(np.max(np.abs(r.gd_mean - r.cf_mean))) for r in runs]
    gf = [float(np.max(np.abs(r.gd_mean - r.gf_mean))) for r in runs]
    gd_x2, sigma2 = _flatten(runs, "gd_x2"), _flatten(runs, "cf_sigma2")
    gd_loss, cf_loss, cf_avg = _flatten(runs, "gd_loss"), _flatten(runs, "cf_loss"), _flatten(runs, "cf_avg_loss")
    correction = cf_avg - cf_loss
    explored = calibrated(f"largest value on the exploration runs times ~1.6 (C = {PATH_C:g}, band {BAND:.0%})",
                          on=EXPLORED)
    comparisons = [
        bound("max over windows of |⟨GD⟩ − ⟨central flow⟩| (x, y, z), per ε", eps, path, PATH_C,
              provenance=explored, alternatives={"gradient flow in place of the central flow": gf}),
        match("GD ⟨x²⟩ vs the central flow's σ², every window of every ε", gd_x2, sigma2, rtol=BAND,
              provenance=explored, alternatives={"σ²/2": sigma2 / 2, "2σ²": 2 * sigma2}),
        match("GD ⟨L⟩ vs L(w) + σ²/η, every window (tolerance 8% of σ²/η)", gd_loss, cf_avg,
              atol=BAND * correction, provenance=explored,
              alternatives={"L(w) alone": cf_loss, "L(w) + σ²/(2η)": cf_loss + correction / 2})]
    rows = [{"ε": r.eps, "GD steps": r.steps, "windows": len(r.windows.start),
             "mean cycle (steps)": r.windows.mean_cycle, "max path error / ε": p / r.eps,
             "gradient flow error / ε": g / r.eps, "max |⟨x²⟩/σ² − 1|": float(np.max(np.abs(r.gd_x2 / r.cf_sigma2 - 1))),
             "max |loss correction ratio − 1|": float(np.max(np.abs((r.gd_loss - r.cf_loss) / (r.cf_avg_loss - r.cf_loss) - 1))),
             "central-flow evaluations": r.cf_evaluations} for r, p, g in zip(runs, path, gf)]
    artifacts = {}
    for r in runs:
        key = f"eps={r.eps:g}"
        artifacts.update({f"{key}/gd_x": r.x[::max(1, r.steps // 4000)], f"{key}/window_start": r.windows.start,
                          f"{key}/window_stop": r.windows.stop, f"{key}/gd_mean": r.gd_mean, f"{key}/cf_mean": r.cf_mean,
                          f"{key}/gf_mean": r.gf_mean, f"{key}/gd_loss": r.gd_loss, f"{key}/cf_loss": r.cf_loss,
                          f"{key}/cf_avg_loss": r.cf_avg_loss, f"{key}/gd_x2": r.gd_x2, f"{key}/cf_sigma2": r.cf_sigma2,
                          f"{key}/path_steps": r.path_steps, f"{key}/cf_path": r.cf_path, f"{key}/gf_path": r.gf_path})
    artifacts["eps"], artifacts["lr"] = eps, np.array(LR)
    return Verdict(comparisons, artifacts=artifacts,
                   details={"per ε": rows, "η": LR, "start": START, "slow time εt": SLOW_TIME, "exploration": EXPLORATION})


@claim("central.self_stabilization",
       "On the curved valley at η = 0.3, the projected-GD (dagger) path on the stable set {S ≤ 2/η, ∇L·u = 0} "
       "follows the central flow within 2ε in (y, z), and GD's ⟨x²⟩ matches δ² = 2α/β (α = −∇L·∇S_⊥, "
       "β = ‖∇S_⊥‖²) averaged along the dagger path within 8%, rejecting δ² computed with the full ∇S. "
       "The constants 2ε and 8% are not printed theorems: fixed on exploration runs at other ε.",
       "Damian, Nichani, Lee, ICLR 2023, arXiv:2209.15594 (§4, Thm. 1 and the 2α/β equilibrium)",
       conventions=CONVENTIONS + "; dagger: one Newton projection per GD step", models=CURVED,
       uses=(valley_run, dagger_run))
def self_stabilization(quick=False):
    eps = DAGGER_EPSILON[quick]
    base, d = valley_run(eps), dagger_run(eps)
    along = float(np.max(np.abs(d.mean[:, 1:] - base.cf_mean[:, 1:])))
    gf = float(np.max(np.abs(base.gf_mean[:, 1:] - base.cf_mean[:, 1:])))
    explored = calibrated(f"largest value on the exploration runs times ~1.6–3 (C = {DAGGER_C:g}, band {BAND:.0%})",
                          on=EXPLORED)
    comparisons = [
        bound("max over windows of |⟨dagger⟩ − ⟨central flow⟩| in (y, z)", [eps], [along], DAGGER_C,
              provenance=explored, alternatives={"gradient flow in place of the dagger path": [gf]}),
        match("GD ⟨x²⟩ vs ⟨2α/β⟩ along the dagger path, every window", base.gd_x2, d.delta2, rtol=BAND,
              provenance=explored, alternatives={"2α/β with the full ∇S in place of ∇S_⊥": d.delta2_full_gradient})]
    return Verdict(comparisons, artifacts={"dagger": d.path[::max(1, len(d.path) // 4000)], "dagger_mean": d.mean,
                                           "delta2": d.delta2, "gd_x2": base.gd_x2, "cf_sigma2": base.cf_sigma2},
                   details={"ε": eps, "dagger vs central flow / ε": along / eps, "gradient flow / ε": gf / eps,
                            "max |⟨x²⟩/δ² − 1|": float(np.max(np.abs(base.gd_x2 / d.delta2 - 1))),
                            "max |δ²/σ² − 1|": float(np.max(np.abs(d.delta2 / base.cf_sigma2 - 1)))})


TWO_EDGE_EPSILON = {True: 5e-4, False: 1.5e-4}
TWO_EDGE_START = (1e-3, 1e-3, 5.0, 5.0, 0.0)
TWO_EDGE_TIME = 9.0  # slow time εηK: both edge eigenvalues reach 2/η by ≈ 1.7 (y₂ rises at rate ε); the tail is 6–9
CLOSED_FORM = np.array([[4.0, np.sqrt(2)], [np.sqrt(2), 2.0]])  # Σ/ε, derivations/central_sdcp.py


@claim("central.two_edges",
       "On Berthier's codimension-2 valley at η = 0.3, two Hessian eigenvalues sit at 2/η and the central "
       "flow's Σ solves a 2×2 semidefinite complementarity problem: at the flow's fixed point the exact solver's "
       "Σ/ε equals the closed form [[4, √2], [√2, 2]] up to relative O(ε) (≤ 1·ε), and GD's averaged xxᵀ/ε "
       "matches it entrywise within 5% of its largest entry, rejecting independent edges (Σ₁₂ = 0). The "
       "closed form is derived here, not printed; 1·ε and 5% were fixed on exploration runs at other ε.",
       "Cohen, Damian, Talwalkar, Kolter, Lee, ICLR 2025, arXiv:2410.24206 (the SDCP for several eigenvalues "
       "at the edge)",
       conventions=CONVENTIONS.replace("x = the valley-normal coordinate", "x = (x₁, x₂)"),
       models="codim2_valley(eps): ½xᵀH[y]x + ½(x₁³ + x₂³) − ε(x₁ + 2y₁ + y₂ + y₃), start (10⁻³, 10⁻³, 5, 5, 0), "
              "K = round(9/(ηε)) steps, averages over the last third (whole cycles)")
def two_edges(quick=False):
    eps = TWO_EDGE_EPSILON[quick]
    model = zoo.get("codim2_valley", eps=eps)
    steps = int(round(TWO_EDGE_TIME / (LR * eps)))
    run = simulate(model, GD(LR), np.array(TWO_EDGE_START), steps, record=())
    tail = run.x[2 * steps // 3:]
    windows = cycle_windows((tail[:, :2] ** 2).sum(-1), 10, min_windows=2, what=f"two-edge GD tail at ε = {eps:g}")
    inside = tail[windows.start[0]:windows.stop[-1]]
    gd_xx = np.einsum("ni,nj->ij", inside[:, :2], inside[:, :2]) / len(inside) / eps
    field = central(model, LR)
    fixed = root(lambda w: field(w[None])[0], inside.mean(axis=0), method="hybr", options={"xtol": 1e-14})
    at = edge_solution(model, LR, fixed.x)
    solution = at.solution
    sigma = (at.U @ solution.X @ at.U.T)[:2, :2] / eps
    scale = np.abs(CLOSED_FORM).max()
    independent = np.diag(np.diag(CLOSED_FORM))
    explored = calibrated("largest value on the exploration runs times 2–4", on=EXPLORED)
    comparisons = [
        match("edge eigenvalues at the fixed point (k) and the rank of the solver's X", [at.k, solution.rank], [2, 2]),
        at_most("the solver's complementarity residual (relative)", solution.residual, KKT_TOL,
                provenance=roundoff("X ⪰ 0, R ⪰ 0 and ⟨X, R⟩ = 0 hold to round-off at an exact solution")),
        bound("|Σ(w*)/ε − closed form| / max|closed form|", [eps], [np.abs(sigma - CLOSED_FORM).max() / scale], SDCP_C,
              provenance=explored,
              alternatives={"independent edges (Σ₁₂ = 0)": [np.abs(sigma - independent).max() / scale]}),
        match("GD ⟨xxᵀ⟩/ε vs the closed form, entrywise", gd_xx, CLOSED_FORM, atol=TWO_EDGE_BAND * scale,
              provenance=explored, alternatives={"independent edges (Σ₁₂ = 0)": independent})]
    return Verdict(comparisons, artifacts={"gd_xx": gd_xx, "sigma_fixed_point": sigma, "fixed_point": fixed.x,
                                           "closed_form": CLOSED_FORM},
                   details={"ε": eps, "GD steps": steps, "whole cycles averaged": int(len(windows.start) * 10),
                            "GD ⟨y⟩ over the tail": inside[:, 2:].mean(axis=0), "2/η": 2 / LR,
                            "fixed point w*": fixed.x, "|dw/dt| at w*": float(np.abs(fixed.fun).max()),
                            "Σ(w*)/ε": sigma, "GD ⟨xxᵀ⟩/ε": gd_xx})
