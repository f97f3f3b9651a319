"""dal.edge_step: the drift-adjusted learning rate steps at the edge of stability.

Rosca et al. (TMLR 2023, arXiv:2302.01952; docs/theory/principal-flow.md): η_t = min(2/v^p, η_max) with v = ‖H∇L‖/‖∇L‖. When ∇L
is an eigenvector u1, v = λ1 and p = 1 gives η_t = 2/λ1 exactly. Where GD with a fixed
learning rate diverges, DAL (p ≥ 1) stays stable; the power p trades stability for progress.
"""

import numpy as np

from .. import zoo
from ..optim import DAL, GD
from ..simulate import simulate
from ..status import DIVERGED
from ..verify import Verdict, at_most, claim, match, roundoff, stated

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


def _curves(label, run):
    """The median loss per step over the starts that did not diverge, and the diverged fraction."""
    diverged = run.status == DIVERGED
    arrays = {f"{label}/diverged": diverged.mean()}
    if not diverged.all():
        arrays[f"{label}/median loss"] = np.median(run["loss"][:, ~diverged], axis=1)
    return arrays


def tradeoff(model, lr_gd, starts, steps):
    """GD at a fixed lr against DAL with several p, from the same starts: a table row per
    optimizer, the arrays of :func:`_curves` per optimizer, and the starts where GD diverged."""
    gd = simulate(model, GD(lr_gd), starts, steps, record=("loss",))
    diverged = gd.status == DIVERGED
    rows = [{"optimizer": f"GD lr={lr_gd}", "diverged": float(diverged.mean())}]
    arrays = _curves(f"GD lr={lr_gd}", gd)
    for p in POWERS:
        run = simulate(model, DAL(p=p), starts, steps, record=("loss",))
        loss = run["loss"]
        reached = (loss < TARGET_LOSS).any(axis=0)
        first = np.argmax(loss < TARGET_LOSS, axis=0)
        used = run.lr[run.lr_steps[:, None] < run.stop_step[None]]  # steps each start really took
        rows.append({"optimizer": f"DAL p={p}", "diverged": float(np.mean(run.status == DIVERGED)),
                     "diverged where GD diverged": float(np.mean(run.status[diverged] == DIVERGED))
                     if diverged.any() else 0.0,
                     f"reached L < {TARGET_LOSS:g}": float(reached.mean()),
                     "median steps to it (starts that reached it)":
                         float(np.median(first[reached])) if reached.any() else None,
                     "median final loss": float(np.median(loss[-1])),
                     "median lr over the steps taken": float(np.median(used))})
        arrays |= _curves(f"DAL p={p}", run)
    return rows, arrays, diverged


def drift_against_dense_hessian(rng, n=200):
    """At random points: η_t of DAL (p = 1, from compiled Hessian-vector products), 2/v with
    v = ‖H∇L‖/‖∇L‖ from the dense Hessian, and 2/|Rayleigh quotient ∇LᵀH∇L/‖∇L‖²| (a wrong v)."""
    found = []
    for name, box in (("two_layer_scalar", 2.0), ("rosenbrock", 1.5)):
        numeric = zoo.get(name).numeric
        points = rng.uniform(-box, box, size=(n, 2))
        g, hess = numeric.grad(points), numeric.hess(points)
        hg = np.einsum("...ij,...j->...i", hess, g)
        lr, _ = DAL(p=1, lr_max=np.inf).lr_at(numeric, points)
        rayleigh = np.einsum("...i,...i->...", g, hg) / np.einsum("...i,...i->...", g, g)
        found.append((lr, 2 * np.linalg.norm(g, axis=-1) / np.linalg.norm(hg, axis=-1), 2 / np.abs(rayleigh)))
    return tuple(np.concatenate(parts) for parts in zip(*found))


@claim("dal.edge_step",
       "DAL with p = 1 takes η_t = 2/v, v = ‖H∇L‖/‖∇L‖, which is 2/λ1 when ∇L is aligned with u1; "
       "where fixed-lr GD diverges, DAL with p ≥ 1 stays stable. The trade-off in p is measured and "
       "shown: p < 1 oversteps the edge, p = 1 stays at it, larger p converges, more slowly as p grows.",
       "Rosca, Wu, Qin, Dherin, TMLR 2023, §6 (drift-adjusted learning rate), arXiv:2302.01952",
       conventions="η_t = min(2/v^p, 5), v = ‖H∇L‖/‖∇L‖; losses as in the zoo (two_layer_scalar with ½, "
                   "rosenbrock without); time in optimizer steps",
       models="quadratic (eigenvalues 4, 0.5, 0.1) and two_layer_scalar on the diagonal a = b (aligned "
              "points); two_layer_scalar (GD lr 0.5, starts in [−3, 3]²) and rosenbrock (GD lr 0.01, "
              "starts in [−1.5, 1.5]²)")
def edge_step(quick=False):
    aligned = [(DAL(p=1).lr_at(model.numeric, points)[0], 2 / lam1) for model, points, lam1 in aligned_points()]
    rng = np.random.default_rng(1)
    lr, dense, rayleigh = drift_against_dense_hessian(rng)
    same_formula = roundoff("the same formula computed two ways (Hessian-vector products, dense Hessian)")
    comparisons = [
        match("η_t vs 2/λ1 where ∇L ∥ u1 (quadratic axis, two_layer_scalar diagonal)",
              np.concatenate([a for a, _ in aligned]), np.concatenate([b for _, b in aligned]), rtol=EDGE_RTOL,
              provenance=same_formula),
        match("η_t vs 2‖∇L‖/‖H∇L‖ from the dense Hessian at 400 random points", lr, dense, rtol=EDGE_RTOL,
              provenance=same_formula, alternatives={"2/|∇LᵀH∇L/‖∇L‖²| (the Rayleigh quotient as v)": rayleigh})]
    n, steps = (50, 500) if quick else (200, 2000)
    details, artifacts = {}, {}
    for name, lr_gd, box in (("two_layer_scalar", 0.5, 3.0), ("rosenbrock", 0.01, 1.5)):
        starts = rng.uniform(-box, box, size=(n, 2))
        rows, arrays, diverged = tradeoff(zoo.get(name), lr_gd, starts, steps)
        stable = [r["diverged"] for r in rows if r["optimizer"] in ("DAL p=1.0", "DAL p=1.5", "DAL p=2.0")]
        comparisons.append(at_most(f"{name}: fraction of {n} starts in [−{box}, {box}]² where DAL with p ≥ 1 diverges",
                                   max(stable), 0.0, provenance=stated("no divergence (‖θ‖ > 1e6) at all"),
                                   alternatives={f"fixed-lr GD (lr {lr_gd}) is as stable": float(diverged.mean())}))
        details[f"{name} ({n} starts in [−{box}, {box}]², {steps} steps)"] = rows
        artifacts |= {f"{name}/{k}": v for k, v in arrays.items()}
    return Verdict(comparisons, details=details, artifacts=artifacts)
