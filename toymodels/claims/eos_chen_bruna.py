"""eos.chen_bruna_orbit: GD on ¼(x² − μ)² with η = K/μ, 1 < K ≤ 1.121, settles on a 2-cycle.

Chen & Bruna (2023; docs/theory/edge-of-stability.md): both orbit points δ satisfy η = 1/(δ²(√(μ/δ² − 3/4) + ½)).
``derivations/eos_chen_bruna.py`` derives it: the orbit points solve u² − (K + 1)u + 1 = 0 in
u = ηδ², which is the stated relation squared, and the orbit multiplier is 9 − 2(K + 1)², so the
orbit attracts for 1 < K < √5 − 1. The reference here is that formula evaluated at the simulated
orbit, independent of the simulation.
"""

import numpy as np

from .. import zoo
from ..optim import GD
from ..simulate import simulate
from ..verify import Verdict, at_least, at_most, claim, match, roundoff, stated

#: |η − formula(δ)|: the orbit is reached to round-off, so the residual is ~1e-15; 1e-10 as stated.
ORBIT_TOL = 1e-10
#: A wrong formula must miss by at least this much (10⁷ times the tolerance).
REJECT = 1e-3
K_VALUES = (1.01, 1.03, 1.06, 1.09, 1.121)
MU_VALUES = (0.5, 1.0, 4.0)
#: Enough steps for the slowest orbit (K = 1.01, multiplier 0.92 per two steps) to close to round-off.
STEPS = 1500


def chen_bruna_lr(delta, mu):
    """η = 1/(δ²(√(μ/δ² − 3/4) + ½)), the relation the orbit points satisfy."""
    return 1.0 / (delta**2 * (np.sqrt(mu / delta**2 - 0.75) + 0.5))


#: Wrong relations evaluated on the same orbit points: a flipped sign, a wrong constant, and the
#: naive "edge of stability at the orbit points" guess η = 2/f''(δ).
WRONG = {
    "η = 1/(δ²(√(μ/δ² − 3/4) − ½))": lambda d, mu: 1.0 / (d**2 * (np.sqrt(mu / d**2 - 0.75) - 0.5)),
    "η = 1/(δ²(√(μ/δ² − 1/4) + ½))": lambda d, mu: 1.0 / (d**2 * (np.sqrt(mu / d**2 - 0.25) + 0.5)),
    "η = 2/f''(δ) = 2/(3δ² − μ)": lambda d, mu: 2.0 / (3 * d**2 - mu),
}


def orbit(mu, ks, steps):
    """GD from x0 = 1.05√μ at η = K/μ for every K; returns the run and the last three states."""
    model = zoo.get("chen_bruna", mu=mu)
    lrs = np.asarray(ks) / mu
    x0 = np.full((len(ks), 1), 1.05 * np.sqrt(mu))
    run = simulate(model, GD(lrs), x0, steps, record=("loss",))
    return run, run.x[-3:, :, 0], lrs


@claim("eos.chen_bruna_orbit",
       "On ¼(x² − μ)² with η = K/μ, 1 < K ≤ 1.121, GD converges to a period-2 orbit {δ1, δ2} whose "
       "two points both satisfy η = 1/(δ²(√(μ/δ² − 3/4) + ½)) to 1e-10.",
       "Chen & Bruna, 2023 (beyond the edge of stability via two-step updates)",
       conventions="f = ¼(x² − μ)² as in the paper; GD x ← x − ηf'(x); start 1.05√μ; 1500 steps",
       models="chen_bruna(mu) for mu in (0.5, 1, 4)")
def chen_bruna_orbit(quick=False):
    ks = K_VALUES[::2] if quick else K_VALUES
    rows, artifacts, points, orbit_k = [], {}, [], []
    parts = {"η": [], "formula": [], "closure": [], "gap": [], **{name: [] for name in WRONG}}
    for mu in MU_VALUES:
        run, last, lrs = orbit(mu, ks, STEPS)
        d1, d2 = last[-1], last[-2]
        parts["η"] += [lrs, lrs]
        parts["formula"] += [chen_bruna_lr(d1, mu), chen_bruna_lr(d2, mu)]
        parts["closure"].append(np.abs(last[-1] - last[-3]))
        parts["gap"].append(np.abs(d1 - d2) / np.sqrt(mu))
        for name, formula in WRONG.items():
            parts[name] += [formula(d1, mu), formula(d2, mu)]
        rows += [{"mu": mu, "K": k, "lr": float(lr), "δ1": float(min(a, b)), "δ2": float(max(a, b)),
                  "predicted multiplier 9 − 2(K+1)²": 9 - 2 * (k + 1) ** 2} for k, lr, a, b in zip(ks, lrs, d1, d2)]
        if mu == 1.0:
            artifacts.update({"path/x": run.x[:60, :, 0], "path/K": np.asarray(ks)})
        points.append(np.stack([d1, d2], axis=-1) / np.sqrt(mu))
        orbit_k.append(np.asarray(ks))
    artifacts.update({"orbit/K": np.concatenate(orbit_k), "orbit/points": np.concatenate(points),
                      "orbit/mu": np.repeat(MU_VALUES, len(ks))})
    flat = {k: np.concatenate(v) for k, v in parts.items()}
    # Below the threshold (K = 0.95) the same start converges to the minimum √μ: no orbit.
    _, below, _ = orbit(1.0, [0.95], STEPS)
    attracting = roundoff("GD reaches the attracting orbit to round-off (multiplier 9 − 2(K+1)² ∈ (0.0, 0.92) per "
                          "two steps, derived), so only float64 round-off (~1e-15) remains")
    return Verdict([
        match(f"η vs 1/(δ²(√(μ/δ² − 3/4) + ½)) at both points of {len(rows)} orbits", flat["η"], flat["formula"],
              atol=ORBIT_TOL, provenance=attracting, alternatives={k: flat[k] for k in WRONG},
              reject_by=REJECT / ORBIT_TOL),
        at_most("period-2 closure |x_k+2 − x_k| after 1500 steps", flat["closure"], 1e-13, provenance=attracting),
        at_least("|δ1 − δ2|/√μ: a true 2-cycle, not the minimum", flat["gap"], 1e-2,
                 provenance=stated("the orbit points differ at O(√(K − 1)), ≥ 0.1 here"),
                 alternatives={"GD at K = 0.95 (below the threshold) orbits too": abs(below[-1, 0] - below[-2, 0])})],
        details={"orbits": rows}, artifacts=artifacts)
