"""manifold.enters_eos: after the approach, the iterates cross Γ in a two-step cycle at the edge.

Arora, Li, Panigrahi (ICML 2022, §4–5, arXiv:2205.09745; docs/theory/manifold.md). Near Γ, normalized GD moves by exactly η
per step, along u1 to leading order, so once the signed distance x_k to Γ along u1 is within
one step it alternates x, x − η (the cycle need not be symmetric): |x_k| is 2-periodic and
mean(|x_k|, |x_{k+1}|) = η/2. When the cycle is fully asymmetric (one point within rounding
of Γ, seen on arora_valley), the small point may land on either side, so the sign of x_k need
not change every step; |x_k| stays 2-periodic, and that is what is tested (the fraction of
sign changes is reported). With η_eff = η/‖∇L‖ = η/(λ1|x_k|) to leading order,
λ1·η_eff = η/|x_k|, whose harmonic mean over the two steps is exactly 2: GD at the edge of
stability, 2/η_eff = λ1 on average. (Its arithmetic mean is ≥ 2, with equality only for a
symmetric cycle: reported as the rejected alternative.)

The analogue for GD on √(L − L*), stated here: near Γ, ∇√(L − L*) ≈ sign(x)√(λ1/2)u1, so the
step length is s = η√(λ1/2) (λ1 at Φ(θ_k)) and mean(|x_k|, |x_{k+1}|) = s/2; the learning rate
on ∇L is η_eff = η/(2√(L − L*)) and again the harmonic mean of λ1·η_eff is 2.

Corrections (curvature of Γ, third derivatives, λ1 at θ_k rather than on Γ) are O(η) relative,
so the test is a bound: over a window of WINDOW steps starting two steps after the approach
step k0, ||x_{k+2}| − |x_k||/s and every two-step relative deviation are ≤ C·η, at every η of
the sweep. The theorem has no constant: C is calibrated per model and optimizer as 3 × the
largest deviation/η of the quick sweep from another start (the cycle is in its first steps), which
no check judges. Rejected on the same data: a mean of one step s instead of s/2, and an
arithmetic instead of harmonic mean of λ1·η_eff equal to 2 (true only for a symmetric cycle).
"""

import numpy as np

from ..verify import Verdict, bound, calibrated, claim
from .manifold_flows import SAFETY
from .manifold_runs import CALIBRATION_STARTS, HEAD_STEPS, LABELS, MODELS, OPTIMIZERS, limiting_flows, sweep

WINDOW = 128


def cycle_statistics(run):
    """Per η: approach step, 2-periodicity of |x_k| and the two-step deviations over the window."""
    k0 = run.approach_steps()
    offset, lr, sharp = run.head_offset, run.head_lr, run.head_sharpness
    step = run.step_length(slice(0, len(offset)))
    rows = []
    for j, eta in enumerate(run.eta):
        if k0[j] < 0 or k0[j] + 3 + WINDOW > len(lr):
            rows.append({"η": float(eta), "k0": int(k0[j]), "error": "no approach within the head of the run"})
            continue
        k = np.arange(k0[j] + 2, k0[j] + 2 + WINDOW)
        x, x_next = offset[k, j], offset[k + 1, j]
        h, h_next = sharp[k, j] * lr[k, j], sharp[k + 1, j] * lr[k + 1, j]
        half = step[k, j] / 2
        mean_dev = (np.abs(x) + np.abs(x_next)) / 2 / half - 1
        harmonic_dev = 2 / (1 / h + 1 / h_next) / 2 - 1
        period = np.abs(np.abs(offset[k + 2, j]) - np.abs(x)) / step[k, j]
        rows.append({
            "η": float(eta), "k0": int(k0[j]), "max ||x_k+2| − |x_k||/s": float(np.max(period)),
            "sign changes (fraction of steps)": float(np.mean(x * x_next < 0)),
            "max |mean(|x|)/(s/2) − 1|": float(np.max(np.abs(mean_dev))),
            "max |harmonic mean(λ1η_eff)/2 − 1|": float(np.max(np.abs(harmonic_dev))),
            "cycle (x_k, x_k+1) at the window start": [float(x[0]), float(x_next[0])],
            ONE_STEP: float(np.max(np.abs((mean_dev + 1) / 2 - 1))),
            ARITHMETIC: float(np.max(np.abs((h + h_next) / 4 - 1)))})
    return rows


TESTED = ("max ||x_k+2| − |x_k||/s", "max |mean(|x|)/(s/2) − 1|", "max |harmonic mean(λ1η_eff)/2 − 1|")
ONE_STEP = "mean(|x_k|, |x_k+1|) = s (one step), max |mean/s − 1|"
ARITHMETIC = "arithmetic mean of λ1η_eff = 2, max |mean/2 − 1|"


def deviations(rows, keys=TESTED):
    """Per η the largest of the ``keys`` deviations (∞ where the run never approached Γ)."""
    return np.array([max(r[q] for q in keys) if "error" not in r else np.inf for r in rows])


def cycle_comparison(run):
    """The largest two-step deviation per η against C·η, C calibrated on the calibration start."""
    reference = sweep(run.model.name, run.optimizer, True, calibration=True)  # the cycle: first 400 steps
    ratio = float(np.max(deviations(cycle_statistics(reference)) / reference.eta))
    rows = cycle_statistics(run)
    provenance = calibrated(f"{SAFETY:g} × the largest deviation/η ({ratio:.3g}) on the other start; the "
                            "theorem gives the identities to leading order, without a constant",
                            on=f"the first {HEAD_STEPS} steps of the quick sweep from "
                               f"{CALIBRATION_STARTS[run.model.name]}")
    return bound(f"{run.model.name}, {LABELS[run.optimizer]}: two-step cycle deviations", run.eta, deviations(rows),
                 SAFETY * ratio, provenance=provenance, data={"per η": rows},
                 alternatives={k: deviations(rows, (k,)) for k in (ONE_STEP, ARITHMETIC)})


@claim("manifold.enters_eos",
       "After the approach to Γ, the distance to Γ along u1 under normalized GD settles into a two-step "
       "cycle whose mean is η/2, with harmonic mean of λ1·η_eff over the cycle equal to 2 "
       "(η_eff = η/‖∇L‖); for GD on √(L − min L) the mean is η√(λ1/2)/2 and the harmonic mean of "
       "λ1·η/(2√(L − L*)) is 2. Deviations ≤ C·η over η = 0.08 halved ≥ 4 times, C calibrated on another start.",
       "Arora, Li, Panigrahi, ICML 2022, §4–5 (entering the edge of stability), arXiv:2205.09745",
       conventions="λ1 = λ1(∇²L(θ_k)) (squared losses carry ½); distance along u1 = (θ − π(θ))·u1 at "
                   "the foot point π(θ) on Γ; η_eff = the learning rate used on ∇L",
       models="the runs of manifold.ngd_flow and manifold.sqrt_flow", uses=(sweep, limiting_flows))
def enters_eos(quick=False):
    comparisons, artifacts = [], {}
    for optimizer in OPTIMIZERS:
        for name in MODELS:
            run = sweep(name, optimizer, quick)
            comparisons.append(cycle_comparison(run))
            artifacts[f"{name}/{optimizer}/eta"] = run.eta
            artifacts[f"{name}/{optimizer}/offset"] = run.head_offset
            artifacts[f"{name}/{optimizer}/step_length"] = run.step_length(slice(0, len(run.head_offset)))
            artifacts[f"{name}/{optimizer}/lambda1_lr"] = run.head_sharpness[:-1] * run.head_lr
            artifacts[f"{name}/{optimizer}/k0"] = run.approach_steps()
    return Verdict(comparisons, artifacts=artifacts)
