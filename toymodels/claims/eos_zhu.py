"""eos.zhu_minimal: on ½(1 − xyzw)², GD from symmetric starts ends just below 2/η.

Zhu, Wang, Wang, Zhou, Ge (ICLR 2023; docs/theory/edge-of-stability.md): from a symmetric start z = x, w = y (GD keeps
the symmetry), GD converges to a minimum xy = 1 whose sharpness 2(x² + y²) lies in
(2/η − (20/3)η, 2/η), while the degree-2 model ½(1 − xy)² overshoots to a clearly flatter minimum.

"Comparable starts": both models start at y0 = 0.05 with x0 chosen so that the gradient-flow
solution (GFS) has the same sharpness κ·2/η, κ ∈ {1.1, 1.25, 1.5}, i.e. both starts lie in the
edge-of-stability regime by the same factor. Gradient flow conserves x² − y² (and z² − w² …), so
with c = x0² − y0² the GFS has x*² + y*² = √(c² + 4): sharpness 2√(c² + 4) for the degree-4 model
(λ1 = Σ 1/θ_i² on its minima) and √(c² + 4) for the degree-2 one (λ1 = x² + y²).
"""

import numpy as np

from .. import zoo
from ..diagnostics import gfs_sharpness, sharpness
from ..optim import GD
from ..simulate import simulate
from ..status import DIVERGED
from ..verify import Verdict, at_least, claim, match, stated, theory

BAND = 20 / 3  # the band (2/η − (20/3)η, 2/η) of Zhu et al.
KAPPAS = (1.1, 1.25, 1.5)
Y0 = 0.05
#: A run has converged when its loss is below this (its sharpness is then that of a minimum).
CONVERGED_LOSS = 1e-20


def zhu_starts(lr, kappas=KAPPAS, y0=Y0):
    """Symmetric 4-D starts (x0, y0, x0, y0) whose GFS sharpness is κ·2/η."""
    c = np.sqrt((np.asarray(kappas) / lr) ** 2 - 4)
    x0 = np.sqrt(c + y0**2)
    return np.stack([x0, np.full_like(x0, y0), x0, np.full_like(x0, y0)], axis=-1)


def degree2_starts(lr, kappas=KAPPAS, y0=Y0):
    """Starts (x0, y0) of ½(1 − xy)² whose GFS sharpness √(c² + 4) is κ·2/η."""
    c = np.sqrt((2 * np.asarray(kappas) / lr) ** 2 - 4)
    return np.stack([np.sqrt(c + y0**2), np.full_like(c, y0)], axis=-1)


def run_both(lrs, steps):
    """GD on both models for every η (rows) and κ (columns); final sharpness and loss of each."""
    lrs = np.asarray(lrs, dtype=float)
    results = {}
    for name, starts in (("zhu_minimal", zhu_starts), ("two_layer_scalar", degree2_starts)):
        model = zoo.get(name)
        x0 = np.stack([starts(lr) for lr in lrs])
        run = simulate(model, GD(lrs[:, None]), x0, steps, record=("loss",), max_norm=1e3)
        results[name] = (model, x0, run)
    return results


@claim("eos.zhu_minimal",
       "On ½(1 − xyzw)² GD from symmetric starts z = x, w = y whose gradient-flow solution is sharper "
       "than 2/η converges to a minimum with sharpness in (2/η − (20/3)η, 2/η); the degree-2 model "
       "½(1 − xy)² from comparable starts (same GFS sharpness κ·2/η) ends below that band.",
       "Zhu, Wang, Wang, Zhou, Ge, ICLR 2023",
       conventions="L = ½(1 − xyzw)² and ½(1 − xy)² (with the ½); sharpness = λ1(∇²L); starts y0 = 0.05, "
                   "GFS sharpness κ·2/η, κ ∈ {1.1, 1.25, 1.5}",
       models="zhu_minimal, two_layer_scalar(y=1)")
def zhu_minimal(quick=False):
    lrs = (0.2, 0.1) if quick else (0.2, 0.1, 0.05, 0.025)
    steps = int(np.ceil(50 / min(lrs) ** 2))  # the last oscillations decay like (1 − O(η²))^k
    results = run_both(lrs, steps)
    artifacts = {}
    edge = 2 / np.asarray(lrs)[:, None]
    finals = {}
    for name, (model, x0, run) in results.items():
        final = sharpness(model, run.final)
        converged = (run.status != DIVERGED) & (run["loss"][-1] <= CONVERGED_LOSS)
        finals[name] = (final, converged)
        artifacts[f"{name}/x"] = run.x[:400, 1]  # the η = 0.1 paths, first 400 steps
        artifacts[f"{name}/final"] = run.final
        artifacts[f"{name}/final_sharpness"] = final
        artifacts[f"{name}/gfs_sharpness"] = gfs_sharpness(model, x0)
    artifacts["lr"] = np.asarray(lrs)
    artifacts["path_lr"] = lrs[1]  # the learning rate of the stored paths
    artifacts["kappa"] = np.asarray(KAPPAS)
    s4, ok4 = finals["zhu_minimal"]
    s2, ok2 = finals["two_layer_scalar"]
    lr_col = np.asarray(lrs)[:, None]
    gap4, gap2 = (edge - s4) / lr_col, (edge - s2) / lr_col
    gfs_gap = (edge - artifacts["zhu_minimal/gfs_sharpness"]) / lr_col
    rows = [{"lr": lr, "κ": kappa, "degree 4: (2/η − S)/η": gap4[i, j], "degree 2: (2/η − S)/η": gap2[i, j]}
            for i, lr in enumerate(lrs) for j, kappa in enumerate(KAPPAS)]
    return Verdict([
        match(f"both models converged (loss ≤ {CONVERGED_LOSS:g} after {steps} steps), every η and κ",
              np.concatenate([ok4.ravel(), ok2.ravel()]), True, provenance=stated(
                  "at loss ≤ 1e-20 the final sharpness is that of the minimum to ~1e-10, far inside the band")),
        match("degree 4: (2/η − S)/η in the band (0, 20/3), every η and κ", gap4, BAND / 2, atol=BAND / 2,
              provenance=theory("the band (2/η − (20/3)η, 2/η) of Zhu et al."),
              alternatives={"GD ends at its gradient-flow solution (sharpness κ·2/η)": gfs_gap}),
        at_least("degree 2 ends flatter, below the band: (2/η − S)/η", gap2, BAND,
                 provenance=stated("the claim: comparable starts of the degree-2 model end below the band"),
                 alternatives={"the degree-4 model ends as flat": gap4})],
        details={"runs": rows, "steps": steps}, artifacts=artifacts)
