"""eoss.minibs_ge_sharpness: MiniBS ≥ λmax(H) ≥ … and batch sharpness ≤ MiniBS, exactly.

Andreyev & Beneventano (2024–2025: E_B H_B = H for uniformly drawn batches, and
λmax is convex, so by Jensen MiniBS = E_B λmax(H_B) ≥ λmax(E_B H_B) = λmax(H); batch by batch the
Rayleigh quotient g_Bᵀ H_B g_B/‖g_B‖² ≤ λmax(H_B), so batch sharpness ≤ MiniBS. Batch sharpness
has no general order against λmax(H). Checked with exact expectations (every batch enumerated,
both sampling schemes) at random points of every data model of the zoo and of variants;
``tests/test_eos_claims.py`` runs the same check as a hypothesis property test.
"""

import numpy as np

from .. import zoo
from ..diagnostics import all_batches, count_batches, minibatch_curvatures, per_sample_hessians, sharpness
from ..verify import Verdict, at_least, at_most, claim, roundoff, stated
from .eos_network import network

#: Round-off of λmax of a d×d symmetric matrix is ~d·ε·‖H‖; 1e-12·(1 + |λ|) covers d ≤ 30.
ROUNDOFF = 1e-12
MAX_EXACT = 2000

VARIANTS = [("linear_regression", {"n": 10, "dim": 3, "noise": 0.3, "seed": 4}),
            ("linear_net", {"depth": 3, "width": 2, "n": 10}),
            ("tanh_net", {"width": 3, "n": 10, "seed": 2})]


def data_models():
    """Every zoo entry with data (default parameters), the variants, and the EoS network."""
    models = [zoo.get(name) for name in zoo.names()]
    models = [m for m in models if m.has_data]
    return models + [zoo.get(name, **params) for name, params in VARIANTS] + [network()]


def exact_batch_sizes(n, replace):
    return [b for b in range(1, n + 1) if count_batches(n, b, replace) <= MAX_EXACT]


def check_model(model, points):
    """Margins of the two inequalities over every exact (B, scheme) at ``points``."""
    n = model.n_samples
    lam = sharpness(model, points)
    tol = ROUNDOFF * (1 + np.abs(lam))
    hessians = per_sample_hessians(model, points)
    full = model.numeric.hess(points)
    out = {"model": model.label(), "d": model.dim, "n": n, "points": len(points), "cases": 0,
           "min (MiniBS − λmax)/(1 + |λmax|)": np.inf, "min (MiniBS − batch sharpness)/(1 + |λmax|)": np.inf,
           "max |E_B H_B − H|": 0.0, "|MiniBS − λmax| at B = n (no replacement)": 0.0,
           "cases with MiniBS > λmax + round-off (B < n)": 0, "cases with B < n": 0,
           "cases with batch sharpness > λmax": 0, "cases with batch sharpness < λmax": 0,
           "max (MiniBS − λmax)/(1 + |λmax|)": -np.inf, "max (MiniBS − batch sharpness)/(1 + |λmax|)": -np.inf}
    for replace in (False, True):
        for b in exact_batch_sizes(n, replace):
            counts, probability = all_batches(n, b, replace)
            mean_h = np.einsum("m,mn,...nij->...ij", probability, counts / b, hessians)
            out["max |E_B H_B − H|"] = max(out["max |E_B H_B − H|"], float(np.max(np.abs(mean_h - full))))
            minibs, batch = minibatch_curvatures(model, points, b, replace=replace, max_exact=MAX_EXACT)
            assert minibs.exact
            scale = 1 + np.abs(lam)
            out["cases"] += len(points)
            out["min (MiniBS − λmax)/(1 + |λmax|)"] = min(out["min (MiniBS − λmax)/(1 + |λmax|)"],
                                                         float(np.min((minibs.value - lam) / scale)))
            key = "min (MiniBS − batch sharpness)/(1 + |λmax|)"
            out[key] = min(out[key], float(np.min((minibs.value - batch.value) / scale)))
            for name, other in (("λmax", lam), ("batch sharpness", batch.value)):
                key = f"max (MiniBS − {name})/(1 + |λmax|)"
                out[key] = max(out[key], float(np.max((minibs.value - other) / scale)))
            out["cases with batch sharpness > λmax"] += int(np.sum(batch.value > lam + tol))
            out["cases with batch sharpness < λmax"] += int(np.sum(batch.value < lam - tol))
            if b == n and not replace:
                equality = np.abs(minibs.value - lam) / scale
                out["|MiniBS − λmax| at B = n (no replacement)"] = float(np.max(equality))
            elif b < n:
                out["cases with B < n"] += len(points)
                out["cases with MiniBS > λmax + round-off (B < n)"] += int(np.sum(minibs.value > lam + tol))
    return out


@claim("eoss.minibs_ge_sharpness",
       "At random points of every data model, MiniBS = E_B λmax(H_B) ≥ λmax(H) and batch sharpness "
       "E_B[g_Bᵀ H_B g_B/‖g_B‖²] ≤ MiniBS, exactly (all batches enumerated, both sampling schemes); "
       "batch sharpness has no fixed order against λmax(H).",
       "Andreyev & Beneventano, 2024–2025; Jensen's inequality for convex λmax",
       conventions="L_B = mean of ½(f − y)² over the batch (repeated indices counted); λ = top eigenvalue; "
                   "batches uniform without replacement, or i.i.d. indices with replacement",
       models="linear_regression, linear_net, tanh_net (defaults and variants), the EoS tanh network",
       uses=(network,))
def minibs_ge_sharpness(quick=False):
    rng = np.random.default_rng(6)
    count = 3 if quick else 20
    reports = [check_model(m, rng.uniform(-1.5, 1.5, size=(count, m.dim))) for m in data_models()]

    def worst(key, pick):
        return pick(r[key] for r in reports)

    exact = roundoff("every expectation is exact (enumerated batches), so only floating-point round-off of the "
                     "eigenvalues (~d·ε·‖H‖) remains")
    cases = sum(r["cases"] for r in reports)
    above = sum(r["cases with batch sharpness > λmax"] for r in reports)
    below = sum(r["cases with batch sharpness < λmax"] for r in reports)
    return Verdict([
        at_least(f"min (MiniBS − λmax(H))/(1 + |λmax|) over {cases} (point, B, scheme) cases",
                 worst("min (MiniBS − λmax)/(1 + |λmax|)", min), -ROUNDOFF, provenance=exact,
                 alternatives={"MiniBS ≤ λmax(H) (the reverse)": -worst("max (MiniBS − λmax)/(1 + |λmax|)", max)}),
        at_least("min (MiniBS − batch sharpness)/(1 + |λmax|), every case",
                 worst("min (MiniBS − batch sharpness)/(1 + |λmax|)", min), -ROUNDOFF, provenance=exact,
                 alternatives={"batch sharpness ≥ MiniBS (the reverse)":
                               -worst("max (MiniBS − batch sharpness)/(1 + |λmax|)", max)}),
        at_most("max |E_B H_B − H| (the premise of Jensen)", worst("max |E_B H_B − H|", max), 100 * ROUNDOFF,
                provenance=exact),
        at_most("|MiniBS − λmax|/(1 + |λmax|) at B = n without replacement (one batch: equality)",
                worst("|MiniBS − λmax| at B = n (no replacement)", max), ROUNDOFF, provenance=exact),
        at_least("no fixed order of batch sharpness and λmax(H): cases on the rarer side", min(above, below), 1,
                 provenance=stated("one counterexample each way refutes a fixed order"))],
        details={"models": reports, "batch sharpness above / below λmax (cases)": [above, below]})
