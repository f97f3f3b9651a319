"""dal.edge_step: the drift-adjusted learning rate steps at the edge of stability.

Rosca et al. (TMLR 2023; theory.md §3): η_t = min(2/v^p, η_max) with v = ‖H∇L‖/‖∇L‖. When ∇L
is an eigenvector u1, v = λ1 and p = 1 gives η_t = 2/λ1 exactly. Where GD with a fixed
learning rate diverges, DAL (p ≥ 1) stays stable; the power p trades stability for progress.
"""

import numpy as np

from .. import zoo
from ..optim import DAL, GD
from ..simulate import simulate
from . import Verdict, claim

EDGE_RTOL = 1e-12
POWERS = (0.5, 1.0, 1.5, 2.0)
TARGET_LOSS = 1e-8


def aligned_points():
    """Points where ∇L ∥ u1 exactly: an eigen-axis of a quadratic, and the diagonal a = b of
    two_layer_scalar with a² > 1/2 (a ≠ 1, where ∇L = 0), where ∇L = (a² − 1)(a, a) is the
    eigenvector of λ1 = 3a² − 1."""
    quad = zoo.get("quadratic", eigenvalues=(4.0, 0.5, 0.1))
    axes = np.array([[0.7, 0.0, 0.0]])
    a = np.array([0.8, 0.9, 1.2, 1.5, 2.0])
    return [(quad, axes, np.array([4.0])), (zoo.get("two_layer_scalar"), np.stack([a, a], -1), 3 * a**2 - 1)]


def tradeoff(model, lr_gd, starts, steps):
    """GD at a fixed lr against DAL with several p, from the same starts."""
    gd = simulate(model, GD(lr_gd), starts, steps, record=("loss",), save_every=steps)
    diverged = gd.status == "diverged"
    rows = [{"optimizer": f"GD lr={lr_gd}", "diverged": float(diverged.mean())}]
    for p in POWERS:
        run = simulate(model, DAL(p=p), starts, steps, record=("loss",))
        loss = run["loss"]
        reached = (loss < TARGET_LOSS).any(axis=0)
        first = np.argmax(loss < TARGET_LOSS, axis=0)
        rows.append({"optimizer": f"DAL p={p}", "diverged": float(np.mean(run.status == "diverged")),
                     "diverged where GD diverged": float(np.mean(run.status[diverged] == "diverged"))
                     if diverged.any() else 0.0,
                     f"reached L < {TARGET_LOSS:g}": float(reached.mean()),
                     "median steps to it (starts that reached it)":
                         float(np.median(first[reached])) if reached.any() else None,
                     "median final loss": float(np.median(loss[-1])),
                     "median lr": float(np.median(run.lr))})
    return rows, diverged


@claim("dal.edge_step",
       "DAL with p = 1 takes η_t = 2/λ1 when ∇L is aligned with u1; where fixed-lr GD diverges, DAL "
       "with p ≥ 1 stays stable; larger p trades speed at the edge for monotone progress.",
       "Rosca, Wu, Qin, Dherin, TMLR 2023, §6 (drift-adjusted learning rate)",
       conventions="η_t = min(2/v^p, 5), v = ‖H∇L‖/‖∇L‖; losses as in the zoo")
def edge_step(quick=False):
    worst = 0.0
    for model, points, lam1 in aligned_points():
        lr, _ = DAL(p=1).lr_at(model.numeric, points)
        worst = max(worst, float(np.max(np.abs(lr - 2 / lam1) / (2 / lam1))))
    rng = np.random.default_rng(1)
    n, steps = (50, 500) if quick else (200, 2000)
    details = {"max rel. error of η_t − 2/λ1 at aligned points": worst}
    passed = worst <= EDGE_RTOL
    for name, lr_gd, box in (("two_layer_scalar", 0.5, 3.0), ("rosenbrock", 0.01, 1.5)):
        starts = rng.uniform(-box, box, size=(n, 2))
        rows, diverged = tradeoff(zoo.get(name), lr_gd, starts, steps)
        stable = all(r["diverged"] == 0 for r in rows if r["optimizer"] in ("DAL p=1.0", "DAL p=1.5", "DAL p=2.0"))
        passed &= stable and diverged.any()
        details[f"{name} ({n} starts in [−{box}, {box}]², {steps} steps)"] = rows
    return Verdict(
        passed=passed,
        measured=f"rel. error of η_t vs 2/λ1: {worst:.1e}; DAL p ≥ 1 diverged on 0 starts where GD diverged",
        expected="η_t = 2/λ1 at aligned points; no divergence for p ≥ 1",
        tolerance=f"{EDGE_RTOL:g} relative (round-off); divergence = ‖θ‖ > 1e6",
        tolerance_reason="v = λ1 exactly when ∇L is an eigenvector, so only round-off remains",
        details=details)
