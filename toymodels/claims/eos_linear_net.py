"""eos.linear_net: GD on the two-layer linear network enters the edge of stability and settles flatter.

On ½‖W2W1 − M‖²_F (whitened data, 2×2×2), λ1 on Γ = {W2W1 = M} ranges over [2σ1(M), ∞)
(derivations/linear_net_hessian.py), so for η < 1/σ1(M) stable minima (λ1 ≤ 2/η, linear stability
of GD; Wu, Ma, E, NeurIPS 2018; docs/theory/edge-of-stability.md) exist. From a start whose
gradient-flow minimum Φ(θ0) is too sharp, 2/λ1(Φ(θ0)) < η, GD cannot settle there: its sharpness
exceeds 2/η (the edge of stability; Cohen et al., ICLR 2021, arXiv:2103.00065) and it converges to
another, flatter minimum with λ1 ≤ 2/η. Tested per start and η of the window:

- the sharpness λ1(θ_k) of the iterates exceeds 2/η (max ηλ1 ≥ 2); a control run from the same
  start at η = 0.9·2/λ1(Φ(θ0)), below the window, stays below (the rejected alternative);
- the run converges (L ≤ CONVERGED_LOSS at the end) to a minimum with ηλ1 ≤ 2; gradient flow's
  minimum Φ(θ0), ηλ1(Φ(θ0)) > 2, is rejected on the same runs.

For η > 1/σ1(M) no minimum is stable (2/η < 2σ1(M) ≤ λ1 everywhere on Γ): GD does not converge to
one; the orbit it settles on is reported (its period, losses and sharpness; measured: a 2-cycle with a
balanced top path from one start, divergence from the other) and its loss is checked to stay away from 0.
"""

import numpy as np

from ..limit_map import limit_map
from ..optim import GD
from ..simulate import simulate
from ..status import DIVERGED
from ..verify import Verdict, at_least, at_most, claim, stated, theory
from ..zoo.linear_nets import target_matrix
from .manifold_linear_net import TARGET, model, top_path

#: Starts W1 = c·A, W2 = M A⁻¹/c (A as in manifold.linear_net_*), off Γ by a seeded N(0, 0.02²) step.
START_GAINS = (2.3, 2.6)
MIX = np.array([[1.0, 0.2], [-0.1, 0.8]])
#: η inside the window (2/λ1(Φ(θ0)), 1/σ1(M)), as fractions of the way across it.
WINDOW_FRACTIONS = {True: (0.2, 0.5, 0.8), False: (0.1, 0.3, 0.5, 0.7, 0.9)}
ABOVE = 0.5  # > 1/σ1(M) ≈ 0.4665: the orbit
STEPS = {True: 6000, False: 20000}
CONVERGED_LOSS = 1e-20
ORBIT_TAIL = 200


def starts():
    target = np.array(TARGET, dtype=float)
    rng = np.random.default_rng(5)
    return np.array([np.r_[(c * MIX).ravel(), (target @ np.linalg.inv(MIX) / c).ravel()] + 0.02 * rng.standard_normal(8)
                     for c in START_GAINS])


def _orbit(loss, sharpness, status, stop_step):
    """Period (1, 2 or 4, else 0) of the last ORBIT_TAIL losses and their range, or where the run diverged."""
    if status == DIVERGED:
        return {"status": f"diverged (left the bound |θ| ≤ 1e3 after step {int(stop_step)})"}
    tail = loss[-ORBIT_TAIL:]
    period = next((p for p in (1, 2, 4) if np.allclose(tail[p:], tail[:-p], rtol=1e-9, atol=0)), 0)
    return {"period (0: none of 1, 2, 4)": period, "loss on the orbit": [float(tail.min()), float(tail.max())],
            "λ1 on the orbit": [float(sharpness[-ORBIT_TAIL:].min()), float(sharpness[-ORBIT_TAIL:].max())]}


@claim("eos.linear_net",
       "On the two-layer linear network ½‖W2W1 − M‖²_F (2×2×2), GD with 2/λ1(Φ(θ0)) < η < 1/σ1(M) "
       "enters the edge of stability (ηλ1(θ_k) ≥ 2) and converges to a flatter minimum with λ1 ≤ 2/η, not to gradient "
       "flow's minimum Φ(θ0); above 1/σ1(M) no minimum is stable and GD settles on an orbit with L > 0.",
       "Cohen et al., ICLR 2021, arXiv:2103.00065 (edge of stability); Wu, Ma, E, NeurIPS 2018 (linear "
       "stability λ1 ≤ 2/η); Mulayoff & Michaeli, ICML 2020, arXiv:2002.04710 (min λ1 = 2σ1(M) on Γ)",
       conventions="L = ½‖W2W1 − M‖²_F; sharpness = λ1(∇²L); Φ = limit of gradient flow (integrated)",
       models=f"linear_net(target={TARGET}, data=whitened); starts W1 = c·A, W2 = M A⁻¹/c off Γ by N(0, 0.02²), "
              f"c ∈ {START_GAINS}; η across the window, {ABOVE} above 1/σ1(M)")
def linear_net_eos(quick=False):
    net = model()
    numeric = net.numeric
    sigma1 = float(np.linalg.svd(target_matrix(net), compute_uv=False)[0])
    x0 = starts()
    lam_phi0 = numeric.sharpness(limit_map(net, x0))
    low = 2 / lam_phi0
    fractions = np.array(WINDOW_FRACTIONS[quick])
    window = low[:, None] + fractions[None] * (1 / sigma1 - low[:, None])  # (starts, η)
    control = 0.9 * low[:, None]
    lrs = np.concatenate([window, control, np.full((len(x0), 1), ABOVE)], axis=1)
    run = simulate(net, GD(lrs), np.repeat(x0[:, None], lrs.shape[1], axis=1), STEPS[quick],
                   record=("loss", "sharpness"), max_norm=1e3)
    loss, sharp = run["loss"], run["sharpness"]
    n = len(fractions)
    inside = (slice(None), slice(0, n))
    edge = np.max(lrs[None] * sharp, axis=0)  # (starts, runs): max_k ηλ1(θ_k)
    final = lrs * sharp[-1]
    stability = theory("linear stability of GD at a minimum: it attracts only if ηλ1 ≤ 2 (Wu, Ma, E 2018)")
    comparisons = [
        at_least("max_k ηλ1(θ_k) of each run in the window (the edge of stability reached)", edge[inside], 2.0,
                 provenance=stability,
                 alternatives={"below the window (control: the same starts at η = 0.9·2/λ1(Φ(θ0)))": edge[:, n]}),
        at_most(f"final L of each run in the window after {STEPS[quick]} steps", loss[-1][inside], CONVERGED_LOSS,
                provenance=stated("converged: L at round-off level, so the final sharpness is that of a minimum")),
        at_most("ηλ1 at the end of each run in the window", final[inside], 2.0, provenance=stability,
                alternatives={"GD ends at gradient flow's minimum Φ(θ0): ηλ1(Φ(θ0))":
                              lrs[inside] * lam_phi0[:, None]}),
        at_least(f"η = {ABOVE} > 1/σ1(M) = {1 / sigma1:.4g}: min L over the last {ORBIT_TAIL} steps",
                 loss[-ORBIT_TAIL:, :, -1].min(), 1e-6,
                 provenance=theory("no minimum is linearly stable: 2/η < 2σ1(M) ≤ λ1 on Γ"),
                 alternatives={"GD converges to a minimum (as in the window): largest final L there":
                               float(loss[-1][inside].max())})]
    s, t, whole = top_path(run.x[-1])
    details = {"2σ1(M)": 2 * sigma1, "1/σ1(M)": 1 / sigma1, "λ1(Φ(θ0)) per start": lam_phi0,
               "window (2/λ1(Φ(θ0)), 1/σ1(M)) per start": [[float(a), 1 / sigma1] for a in low],
               "η per start (window…, control, above)": lrs, "final λ1": sharp[-1], "2/η": 2 / lrs,
               "final top singular values (σmax(W1), σmax(W2))": np.stack([s, t], axis=-1),
               "final ‖W1W1ᵀ − W2ᵀW2‖_F": whole, "status": run.status,
               "orbit above 1/σ1(M)": [_orbit(loss[:, i, -1], sharp[:, i, -1], run.status[i, -1], run.stop_step[i, -1])
                                       for i in range(len(x0))]}
    artifacts = {"steps": run.steps, "lr": lrs, "loss": loss, "sharpness": sharp, "two_sigma1": np.array(2 * sigma1),
                 "lambda1_phi0": lam_phi0}
    return Verdict(comparisons, details=details, artifacts=artifacts)
