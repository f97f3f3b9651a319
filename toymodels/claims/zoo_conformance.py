"""zoo.conformance: every zoo entry's stated facts hold at sampled points.

For an entry with a stated minimum and manifold Γ = {g = 0}: at Newton-projected points of Γ,
L = min L, ∇L = 0, rank ∇²L = codim Γ (= number of constraints), and λ1 equals the stated
closed form; at random points L ≥ min L. The tolerances are floating-point ones: the points
satisfy g = 0 to ~1e-13, so residuals of 1e-8 (gradient) and 1e-9 relative (λ1) leave room
for conditioning while still rejecting any wrong formula by many orders of magnitude.
"""

import numpy as np
import sympy as sp

from .. import zoo
from ..limit_map import conserved_jacobian
from ..manifold import sample_manifold
from ..verify import Verdict, at_most, claim, match, roundoff
from ..zoo.edge_valleys import VALLEYS
from ..zoo.linear_nets import path_point, target_matrix

GRAD_TOL = 1e-8
LAMBDA1_RTOL = 1e-9
LOSS_TOL = 1e-12
RANK_RTOL = 1e-7
CONSERVED_RTOL = 1e-10

#: The target of the matrix linear networks (σ1 ≈ 2.144 > σ2 ≈ 0.863, so λ1 is simple at the flattest minima).
LINEAR_TARGET = ((2, 0.5), (0.3, 1))
#: Entries checked beyond the defaults, to exercise parameters (rotations, depth, noise, ...).
VARIANTS = [
    ("quadratic", {"eigenvalues": (3, 1, 0.5, 0, 0.1), "rotation_seed": 1, "center": (1, 0, -1, 2, 0.5)}),
    ("quadratic", {"eigenvalues": (1, -1)}),
    ("two_layer_scalar", {"y": -2}),
    ("deep_scalar", {"depth": 5, "y": 2}),
    ("rosenbrock", {"a": 2, "b": 10}),
    ("chen_bruna", {"mu": 3}),
    ("linear_regression", {"noise": 0.3, "n": 12, "dim": 3, "seed": 4}),
    ("linear_net", {"depth": 3, "width": 2}),
    ("linear_net", {"target": LINEAR_TARGET, "data": "whitened"}),
    ("linear_net", {"target": LINEAR_TARGET, "data": "whitened", "width": 3}),
    ("linear_net", {"target": ((1, 2, 0.5),), "data": "whitened"}),
    ("linear_net", {"target": LINEAR_TARGET, "n": 6}),
]


def check_entry(model, rng, n_points=20, box=2.0):
    """Check one model's stated facts; returns a dict of residuals and ``ok``."""
    numeric = model.numeric
    report = {"model": model.label(), "ok": True}
    random_points = rng.uniform(-box, box, size=(200, model.dim))
    if model.min_loss is not None:
        below = float(np.min(numeric.loss(random_points)) - float(model.min_loss))
        report["min over random points minus stated min"] = below
        report["ok"] &= below >= -LOSS_TOL
    if model.conserved is not None:
        # ∇c·∇L = 0: gradient flow conserves c. Relative to ‖∇c‖‖∇L‖, round-off is ~1e-15.
        jac, grad = conserved_jacobian(model, random_points), numeric.grad(random_points)
        scale = np.linalg.norm(jac, axis=-1) * np.linalg.norm(grad, axis=-1)[..., None]
        drift = float(np.max(np.abs(jac @ grad[..., None])[..., 0] / np.maximum(scale, 1e-300)))
        report["max |∇c·∇L| / (‖∇c‖‖∇L‖) of the conserved quantities"] = drift
        report["ok"] &= drift <= CONSERVED_RTOL
    if model.manifold is None:
        report["manifold"] = "none stated"
        return report
    points = sample_manifold(model, n_points, rng, box=box)
    lam, _ = numeric.eigh(points) if numeric.closed_form_eigensystem else (
        np.linalg.eigvalsh(numeric.hess(points))[..., ::-1], None)
    grad = float(np.max(np.linalg.norm(numeric.grad(points), axis=-1)))
    rank = np.sum(np.abs(lam) > RANK_RTOL * np.abs(lam[..., :1]), axis=-1)
    report.update({"points on Γ": len(points), "max ‖∇L‖ on Γ": grad,
                   "rank H on Γ": sorted(set(rank.tolist())), "codim Γ": len(model.manifold)})
    report["ok"] &= grad <= GRAD_TOL and bool(np.all(rank == len(model.manifold)))
    if model.min_loss is not None:
        gap = float(np.max(np.abs(numeric.loss(points) - float(model.min_loss))))
        report["max |L − min L| on Γ"] = gap
        report["ok"] &= gap <= LOSS_TOL * (1 + abs(float(model.min_loss)))
    if model.lambda1_on_manifold is not None:
        stated = np.broadcast_to(numeric.lambda1_on_manifold(points), lam[..., 0].shape)
        rel = float(np.max(np.abs(lam[..., 0] - stated) / np.maximum(1.0, np.abs(stated))))
        report["max rel. error of stated λ1"] = rel
        report["ok"] &= rel <= LAMBDA1_RTOL
        report["_lambda1"] = (lam[..., 0], stated)
    return report


def valley_hessians(rng, n_points=20, box=8.0):
    """(computed, stated) Hessians of every edge valley at random points of its floor (floor
    coordinates 0, the others uniform in [−box, box]): stated = the Valley block ⊕ 0."""
    computed, stated = [], []
    for name, valley in VALLEYS.items():
        model = zoo.get(name)
        points = rng.uniform(-box, box, size=(n_points, model.dim))
        points[:, list(valley.floor)] = 0.0
        block = sp.lambdify([model.params], valley.block, "numpy")
        expected = np.zeros((n_points, model.dim, model.dim))
        floor = np.ix_(range(n_points), valley.floor, valley.floor)
        expected[floor] = np.array([np.asarray(block(p), dtype=float) for p in points])
        computed.append(model.numeric.hess(points).reshape(n_points, -1))
        stated.append(expected.reshape(n_points, -1))
    return np.concatenate([c.ravel() for c in computed]), np.concatenate([s.ravel() for s in stated])


@claim("zoo.conformance",
       "Every zoo entry's stated facts hold: L = min L, ∇L = 0 and rank ∇²L = codim Γ on its "
       "manifold of minima Γ, the stated λ1 on Γ, no sampled point below the stated minimum, and "
       "∇c·∇L = 0 for every quantity c it declares conserved by gradient flow; on the floor of every edge "
       "valley, ∇²L is the stated block ⊕ 0. For the two-layer "
       "linear network on whitened data, λ1 = 2σ1(M) on Γ where its top singular path is balanced.",
       "toymodels catalog metadata (each entry cites its paper); Mulayoff & Michaeli, ICML 2020, "
       "arXiv:2002.04710 (flattest minima of linear networks)",
       conventions="losses exactly as each entry states them; λ1 = top eigenvalue of ∇²L",
       models="every zoo entry with its default parameters, and the variants listed in the details")
def conformance(quick=False):
    rng = np.random.default_rng(20231)
    entries = [(name, {}) for name in zoo.names()] + VARIANTS
    reports = [check_entry(zoo.get(name, **params), rng, n_points=8 if quick else 40) for name, params in entries]
    computed, stated = (np.concatenate(part) for part in zip(*(r.pop("_lambda1") for r in reports if "_lambda1" in r)))

    def worst(key):  # the value of ``key`` for each entry that has it
        return [r[key] for r in reports if key in r]

    floating = roundoff("points are projected onto Γ to ‖g‖ ≈ 1e-13; the tolerance allows for the conditioning "
                        "of ∇L and λ1 there and is far below any formula error")
    on_gamma = [r for r in reports if "codim Γ" in r]
    valley_h, valley_stated = valley_hessians(rng, 8 if quick else 40)
    flattest, two_sigma1, frobenius, frobenius_m = flattest_linear_minima(rng, 4 if quick else 20)
    return Verdict([
        match("linear_net (whitened, depth 2): λ1 on Γ where the top singular path is balanced and the others "
              "are not, vs 2σ1(M)", flattest, two_sigma1, rtol=LAMBDA1_RTOL, provenance=floating,
              alternatives={"‖W1‖²_F + ‖W2‖²_F (the whole network balanced would be needed)": frobenius,
                            "2‖M‖_F (every path counts)": frobenius_m}),
        at_most("stated min L minus the smallest L at 200 random points, per entry",
                [-v for v in worst("min over random points minus stated min")], LOSS_TOL, provenance=floating),
        at_most("max ‖∇L‖ on Γ, per entry", worst("max ‖∇L‖ on Γ"), GRAD_TOL, provenance=floating),
        at_most("max |L − min L| on Γ, per entry", worst("max |L − min L| on Γ"), LOSS_TOL, provenance=floating),
        match(f"rank ∇²L on Γ (eigenvalues above {RANK_RTOL:g}·λ1) vs codim Γ, per entry",
              [max(r["rank H on Γ"]) for r in on_gamma] + [min(r["rank H on Γ"]) for r in on_gamma],
              [r["codim Γ"] for r in on_gamma] * 2, provenance=floating),
        match("λ1 of ∇²L on Γ vs the stated closed form, at every sampled point", computed, stated,
              atol=LAMBDA1_RTOL, rtol=LAMBDA1_RTOL, provenance=floating,
              alternatives={"2 × stated (the loss without its ½)": 2 * stated, "stated / 2": stated / 2}),
        at_most("max |∇c·∇L|/(‖∇c‖‖∇L‖) of the declared conserved quantities, per entry",
                worst("max |∇c·∇L| / (‖∇c‖‖∇L‖) of the conserved quantities"), CONSERVED_RTOL,
                provenance=roundoff("∇c·∇L = 0 exactly; round-off is ~1e-15 relative")),
        match("∇²L on the floor of each edge valley vs the stated block ⊕ 0, entrywise", valley_h, valley_stated,
              atol=LAMBDA1_RTOL, rtol=LAMBDA1_RTOL, provenance=floating,
              alternatives={"2 × the stated block": 2 * valley_stated})],
        details={"entries": reports, "failed": [r["model"] for r in reports if not r["ok"]]})


def flattest_linear_minima(rng, n_points):
    """λ1 of ∇²L at points of Γ of the whitened depth-2 linear nets of VARIANTS whose top singular
    path is balanced (gain √σ1 in each layer) and whose other paths and the weights W2 ignores are
    not: (λ1, 2σ1(M), ‖W1‖²_F + ‖W2‖²_F, 2‖M‖_F) per point (Mulayoff & Michaeli, ICML 2020,
    arXiv:2002.04710)."""
    measured, minimum, frobenius, frobenius_m = [], [], [], []
    for name, params in VARIANTS:
        if name != "linear_net" or params.get("data") != "whitened":
            continue
        model = zoo.get(name, **params)
        _, sigma, vt = np.linalg.svd(target_matrix(model))
        top_input = vt[0]
        for seed in rng.integers(0, 2**31, size=n_points):
            # other gains g_i ∈ [σ_i/√σ1, 0.9√σ1] keep the top path the largest in both layers; the weights
            # that W2 ignores (width > rank M) avoid the top input direction and keep σmax(W1) = √σ1
            rest = rng.uniform(sigma[1:] / np.sqrt(sigma[0]), 0.9 * np.sqrt(sigma[0]))
            spare, null = model.parameters["width"] - len(sigma), None
            if spare:
                null = rng.standard_normal((spare, model.parameters["dim"]))
                null -= np.outer(null @ top_input, top_input)
                room = sigma[0] - np.max(rest**2, initial=0.0)
                null *= 0.9 * np.sqrt(room) / np.linalg.norm(null)
            theta = path_point(model, np.r_[np.sqrt(sigma[0]), rest], rotation_seed=int(seed), null=null)
            measured.append(np.linalg.eigvalsh(model.numeric.hess(theta))[-1])
            minimum.append(2 * sigma[0])
            frobenius.append(float(np.sum(theta**2)))
            frobenius_m.append(2 * np.linalg.norm(sigma))
    return tuple(map(np.array, (measured, minimum, frobenius, frobenius_m)))
