"""pf.tracks_gd_unstable: where GD oscillates (1 < ηλ1 < 2), the PF is the flow closest to it.

Rosca et al. (TMLR 2023): the modified flows of backward error analysis are power series in
ηH that diverge past η|λ| = 1, while the PF sums the principal ones in closed form. One-step
test: from sampled points, integrate each flow for t = η and measure |θ_flow(η) − θ_GD|
(complex modulus for the PF: its imaginary part counts as error). Points are sampled where
GD at the edge of stability lives: near the minima (two_layer_scalar: a point of Γ displaced
along u1; rosenbrock: near its minimum). Far from minima, where one GD step moves across
regions of different curvature, every flow is dominated by the non-principal terms; that
regime is measured and reported too, not tested.

Near ηλ1 = 1 the complex PF path winds around the branch point of log(1 − ηλ1) within one
step; :func:`toymodels.integrate` continues the branch along the path, without which those
points end in a step-size collapse at the branch cut.
"""

import numpy as np
from scipy.optimize import brentq

from .. import zoo
from ..flows import gradient, modified, principal
from ..integrate import integrate
from ..manifold import sample_manifold
from ..optim import GD
from ..simulate import simulate
from ..status import FINISHED
from ..verify import Verdict, at_least, at_most, claim, stated

REQUIRED_FRACTION = 0.9
ONE_STEP_FLOWS = ("gradient flow", "IGR flow", "order-2 BEA flow", "principal flow")
#: model: (lr, how one-step points are sampled near the minima, displacement scale,
#:         ηλ1 at the base point of the multi-step start, displacement of that start along u1)
SETTINGS = {
    "two_layer_scalar": (0.5, "Γ point + s·u1, s ~ U(−0.1, 0.1)", 0.1, 1.9, 0.05),
    "rosenbrock": (0.004, "(1, 1) + N(0, 0.3²) per coordinate", 0.3, 1.9, 0.01),
}
MULTI_STEPS = {True: 24, False: 60}
FIGURE_STEPS, SAMPLES_PER_STEP = 8, 12  # the flows drawn between GD iterates


def _flows(model, lr, nonprincipal=False):
    flows = [gradient(model), modified(model, lr, 1), modified(model, lr, 2), principal(model, lr)]
    return flows + [principal(model, lr, nonprincipal=True)] if nonprincipal else flows


def _start(field):
    return np.complex128 if field.complex else np.float64


def _near_minima(model, name, scale, rng, n):
    if name == "rosenbrock":
        return np.array([1.0, 1.0]) + scale * rng.standard_normal((n, 2))
    points = sample_manifold(model, n, rng, box=2.0)
    _, vectors = model.numeric.eigh(points)
    return points + vectors[..., :, 0] * rng.uniform(-scale, scale, size=(n, 1))


def one_step_errors(model, lr, points):
    """(4, n) errors |θ_flow(η) − θ_GD| of gradient flow, IGR, order-2 BEA and PF."""
    gd = points - lr * model.numeric.grad(points)
    errors = []
    for field in _flows(model, lr):
        sol = integrate(field, points.astype(_start(field)), lr, rtol=1e-10, atol=1e-12, max_steps=400)
        errors.append(np.where(sol.status == FINISHED, np.linalg.norm(sol.final - gd, axis=-1), np.inf))
    return np.array(errors)


def _regime_summary(errors):
    best = np.argmin(errors, axis=0)
    ratios = {f"median PF/{ONE_STEP_FLOWS[i]}": float(np.median(errors[3] / errors[i])) for i in range(3)}
    best = {f"{flow} most accurate (fraction)": float(np.mean(best == i)) for i, flow in enumerate(ONE_STEP_FLOWS)}
    return {"points": int(errors.shape[1]), **best, **ratios}


def edge_start(model, name, lr, target, displacement):
    """A point where GD oscillates slowly: the point of Γ (two_layer_scalar) or of the valley
    floor y = x² (rosenbrock) with ηλ1 = ``target``, displaced by ``displacement`` along u1."""
    numeric = model.numeric
    if name == "two_layer_scalar":  # on ab = 1, λ1 = a² + 1/a²
        a2 = (target / lr + np.sqrt((target / lr) ** 2 - 4)) / 2
        base = np.array([np.sqrt(a2), 1 / np.sqrt(a2)])
    else:
        x = brentq(lambda x: lr * numeric.sharpness(np.array([x, x * x])) - target, 0.0, 1.0)
        base = np.array([x, x * x])
    return base + displacement * numeric.eigh(base)[1][:, 0]


def multi_step(model, lr, start, steps, rtol):
    """Every flow (and the PF plus its non-principal term) integrated for ``steps`` GD steps
    from ``start`` at relative tolerance ``rtol``: per-step errors against GD, and fine paths
    of the first steps to draw."""
    gd = simulate(model, GD(lr), start, steps, record=()).x
    times = lr * np.arange(steps + 1)
    fine = lr * np.linspace(0, FIGURE_STEPS, FIGURE_STEPS * SAMPLES_PER_STEP + 1)
    errors, imag, arrays = {}, None, {"t": fine, "lr": lr, "GD": gd}
    saveat = np.union1d(times, fine)
    on_steps, on_fine = np.isin(saveat, times), np.isin(saveat, fine)
    for field in _flows(model, lr, nonprincipal=True):
        sol = integrate(field, start.astype(_start(field)), times[-1], saveat=saveat, rtol=rtol, atol=rtol * 1e-2)
        x, valid = sol.x[on_steps], sol.valid[on_steps]
        errors[field.label] = np.where(valid, np.linalg.norm(x - gd, axis=-1), np.inf)
        if field.label == "principal flow":
            imag = np.abs(x.imag).max(axis=-1)
        arrays[field.label] = sol.x[on_fine]
    others = np.min([errors[k] for k in ONE_STEP_FLOWS[:3]], axis=0)[1:]
    pf_best = errors["principal flow"][1:] <= others
    leading = steps if pf_best.all() else int(np.argmin(pf_best))
    summary = {"steps": steps, "PF closest for the first steps": leading,
               "PF closest at (fraction of steps)": float(pf_best.mean()),
               "error after 1 step (PF, best other)": [float(errors["principal flow"][1]), float(others[0])],
               "error at the last step (PF, best other)": [float(errors["principal flow"][-1]), float(others[-1])],
               "error at the last step, PF + non-principal term": float(errors["PF + non-principal term"][-1]),
               "max |Im θ_PF| at t = kη": float(imag.max())}
    arrays |= {f"error/{k}": v for k, v in errors.items()} | {"imag PF": imag}
    return summary, arrays


MULTI_STEP_NOTE = (
    "All flows start from a point where GD oscillates across the valley with |1 − ηλ1| = 0.9. "
    "Only the PF oscillates with it, so it leads by a wide margin while the oscillation lasts. "
    "Its own error grows from the terms it drops, −(η²/12)∇³L[∇L, ∇L] and higher: they scale "
    "with the square of the oscillation amplitude, and the drift along the valley that they "
    "cause is never undone. Once GD's oscillation has decayed, every flow sits near the valley "
    "floor, and what remains is that offset along it; there the PF's lead shrinks or is lost "
    "(see 'PF closest for the first steps'). The first non-principal term alone does not remove "
    "the offset (its error at the last step is reported alongside).")


@claim("pf.tracks_gd_unstable",
       "Where GD oscillates (1 < ηλ1 < 2), the principal flow is the most accurate one-step model "
       "of GD among gradient flow, IGR, order-2 BEA and PF at ≥ 90% of sampled points near the "
       "minima of two_layer_scalar and rosenbrock; on quadratics it tracks GD at every step.",
       "Rosca, Wu, Qin, Dherin, TMLR 2023, §4–5, arXiv:2302.01952",
       conventions="one-step error |θ_flow(η) − θ_GD| (complex modulus for the PF); flow time t, one "
                   "GD step = lr; two_layer_scalar ½(ab − 1)², rosenbrock (1 − x)² + 100(y − x²)² (no ½)",
       models="two_layer_scalar (y = 1), lr 0.5; rosenbrock (a = 1, b = 100), lr 0.004; "
              "quadratic (eigenvalues 3.6, 0.4, rotation_seed 1), lr 0.5")
def tracks_gd_unstable(quick=False):
    rng = np.random.default_rng(3)
    n = 60 if quick else 300
    details, artifacts, comparisons = {}, {}, []
    for name, (lr, sampling, scale, edge, displacement) in SETTINGS.items():
        model = zoo.get(name)
        pool = _near_minima(model, name, scale, rng, 20 * n)
        lam = lr * model.numeric.sharpness(pool)
        regimes = {}
        for label, lo, hi in (("1 < ηλ1 < 2", 1, 2), ("ηλ1 > 2", 2, 3)):
            points = pool[(lam > lo) & (lam < hi)][:n]
            regimes[label] = _regime_summary(one_step_errors(model, lr, points))
        far = rng.uniform(-2, 2, size=(20 * n, 2))
        far_lam = lr * model.numeric.sharpness(far)
        far_points = far[(far_lam > 1) & (far_lam < 2)][:n]
        regimes["1 < ηλ1 < 2, uniform in [−2, 2]² (reported, not tested)"] = _regime_summary(
            one_step_errors(model, lr, far_points))
        tested = regimes["1 < ηλ1 < 2"]
        comparisons.append(at_least(
            f"{name}, η = {lr}: fraction of {tested['points']} points near the minima with 1 < ηλ1 < 2 where the PF "
            "is the most accurate one-step model", tested["principal flow most accurate (fraction)"], REQUIRED_FRACTION,
            provenance=stated("the PF is exact on quadratics, so near the minima its error is the small "
                              "non-principal remainder"),
            alternatives={f"{flow} is the most accurate": tested[f"{flow} most accurate (fraction)"]
                          for flow in ONE_STEP_FLOWS[:3]}))
        start = edge_start(model, name, lr, edge, displacement)
        summary, arrays = multi_step(model, lr, start, MULTI_STEPS[quick], rtol=1e-8)
        details[name] = {"lr": lr, "sampling": sampling, "regimes": regimes,
                         f"multi-step from {np.array2string(start, precision=4)} (ηλ1 = {edge} at the "
                         f"base point, displaced {displacement} along u1)": summary}
        artifacts |= {f"{name}/{k}": v for k, v in arrays.items()}
    quad = zoo.get("quadratic", eigenvalues=(3.6, 0.4), rotation_seed=1)
    quad_summary, arrays = multi_step(quad, 0.5, np.array([0.7, -0.4]), 40, rtol=1e-10)
    pf_error, other = quad_summary["error at the last step (PF, best other)"]
    comparisons.append(at_most("quadratic (ηλ = 1.8, 0.2): error of the PF after 40 steps", pf_error, 1e-9,
                               provenance=stated("the PF is exact on quadratics; integration rtol 1e-10"),
                               alternatives={"the best of gradient flow, IGR, order-2 BEA tracks GD": other}))
    details["quadratic (ηλ = 1.8, 0.2)"] = quad_summary
    details["why the PF's lead ends on non-quadratic losses"] = MULTI_STEP_NOTE
    artifacts |= {f"quadratic/{k}": v for k, v in arrays.items()}
    return Verdict(comparisons, details=details, artifacts=artifacts)
