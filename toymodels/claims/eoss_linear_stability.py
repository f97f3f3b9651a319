"""eoss.linear_stability: the mean-square stability threshold of SGD at an interpolating minimum.

Wu, Ma, E (NeurIPS 2018, exact in one dimension: near an interpolating minimum,
e = w − w* evolves as e ← (1 − η h_B) e with h_B the mean per-sample curvature of the batch, so
E[e_{k+1}²] = [(1 − ηa)² + η² c s²] E[e_k²] with a = mean h_i, s² = their variance and
c = (n − B)/(B(n − 1)) for batches drawn without replacement, c = 1/B with replacement. SGD is
stable in mean square iff the bracket ≤ 1, i.e. η ≤ η* = 2a/(a² + c s²).

Simulation: N independent SGD chains (``toymodels.simulate`` with the package's SGD) per η on a
grid around the thresholds, k steps from e0 = 1; the mean of e_k² over the chains estimates the
k-step mean-square growth, with its standard error. The simulated boundary is the root of a
weighted quadratic fit of log(mean e_k²)/k against η, with a delta-method standard error. It
is compared with η* for the right c and for the other scheme's c, and with the noiseless GD
threshold 2/a. The data: ``linear_regression(dim=1, inputs="uniform")``, 16 samples with
bounded curvatures x_i² ≤ 3, so that e_k² has finite moments of every order and the Monte Carlo
standard errors are reliable (with Gaussian inputs the k-step products are heavy-tailed and the
sample mean of e_k² underestimates its expectation).
"""

import numpy as np

from .. import zoo
from ..optim import SGD
from ..simulate import simulate
from ..verify import Verdict, claim, uncertainty, zscore

MODEL = {"n": 16, "dim": 1, "noise": 0.0, "seed": 0, "inputs": "uniform"}
BATCH_SIZES = (2, 4, 8)
STEPS = 4
Z_TOL = 4.0  # |simulated − predicted| ≤ 4 standard errors (two-sided p ≈ 6e-5 per comparison)
GRID = np.linspace(-0.08, 0.08, 9)  # relative offsets around the midpoint of the two predictions


def curvature_moments(model):
    """a = mean of the per-sample curvatures h_i = x_i², s² = their (population) variance."""
    h = model.data[:, 0] ** 2
    return float(h.mean()), float(h.var())


def noise_factor(n, b, replace):
    """c in E[(h_B − a)²] = c s²: 1/B with replacement, (n − B)/(B(n − 1)) without."""
    return 1.0 / b if replace else (n - b) / (b * (n - 1))


def threshold(a, s2, c):
    """η* = 2a/(a² + c s²), where (1 − ηa)² + η² c s² = 1."""
    return 2 * a / (a * a + c * s2)


def simulated_boundary(model, lrs, b, replace, chains, seed):
    """Mean-square growth per step on the grid and the fitted root with its standard error."""
    w_star = float(model.data[0, 1] / model.data[0, 0])  # noise-free data: y_i = β x_i
    x0 = np.full((len(lrs), chains, 1), w_star + 1.0)
    run = simulate(model, SGD(lrs[:, None], b, replace=replace), x0, STEPS, record=(), save_every=STEPS,
                   seed=seed, max_norm=1e12)
    e2 = (run.final[..., 0] - w_star) ** 2
    mean, se = e2.mean(axis=-1), e2.std(axis=-1, ddof=1) / np.sqrt(chains)
    log_rate, log_se = np.log(mean) / STEPS, se / mean / STEPS
    centre = lrs.mean()
    design = np.stack([np.ones_like(lrs), lrs - centre, (lrs - centre) ** 2], axis=-1)
    weights = 1 / log_se**2
    cov = np.linalg.inv(design.T @ (design * weights[:, None]))
    coef = cov @ (design.T @ (weights * log_rate))
    roots = np.roots(coef[::-1])
    root = float(np.real(roots[np.argmin(np.abs(roots))])) + centre
    t = root - centre
    slope = coef[1] + 2 * coef[2] * t
    gradient = -np.array([1.0, t, t * t]) / slope  # d(root)/d(coef_j) = −t^j / f'(root)
    root_se = float(np.sqrt(gradient @ cov @ gradient))
    chi2 = float(np.sum(((log_rate - design @ coef) / log_se) ** 2))
    return root, root_se, chi2, mean, se


@claim("eoss.linear_stability",
       "At an interpolating minimum of 1-D least squares, SGD with batch size B is mean-square stable "
       "exactly for η ≤ 2a/(a² + c s²), c = (n − B)/(B(n − 1)) without replacement and 1/B with "
       "replacement: the simulated stability boundary matches it within 4 standard errors for B = 2, 4, 8 "
       "and both schemes, and rejects the other scheme's c and the GD threshold 2/a.",
       "Wu, Ma, E, NeurIPS 2018",
       conventions="per-sample loss ½(w x_i − y_i)², curvatures h_i = x_i²; mean-square growth of "
                   f"e = w − w* over {STEPS} SGD steps from e0 = 1",
       models="linear_regression(n=16, dim=1, noise=0, seed=0, inputs='uniform')")
def linear_stability(quick=False):
    model = zoo.get("linear_regression", **MODEL)
    n = model.n_samples
    a, s2 = curvature_moments(model)
    chains = 20000 if quick else 100000
    rows, comparisons, artifacts = [], [], {}
    for b in BATCH_SIZES:
        for replace in (False, True):
            right = threshold(a, s2, noise_factor(n, b, replace))
            wrong = threshold(a, s2, noise_factor(n, b, not replace))
            lrs = 0.5 * (right + wrong) * (1 + GRID)
            root, se, chi2, mean, mean_se = simulated_boundary(model, lrs, b, replace, chains, seed=10 * b + replace)
            scheme = "with replacement" if replace else "without replacement"
            comparisons.append(zscore(
                f"B = {b}, {scheme}: simulated mean-square stability boundary vs 2a/(a² + c s²)", root, se, right,
                z=Z_TOL, provenance=uncertainty(f"{Z_TOL:g} delta-method standard errors of the fitted root "
                                                f"(Monte Carlo over {chains} chains per η)"),
                alternatives={"the other scheme's c": wrong, "the GD threshold 2/a": 2 / a}))
            rows.append({"B": b, "sampling": scheme, f"χ² of the quadratic fit ({len(lrs) - 3} dof)": chi2})
            key = f"B={b}/{'replace' if replace else 'no_replace'}"
            artifacts.update({f"{key}/lr": lrs, f"{key}/mean_e2": mean, f"{key}/se_e2": mean_se,
                              f"{key}/predicted": np.array([right, wrong])})
    artifacts["steps"] = np.array(STEPS)
    return Verdict(comparisons, details={"a (mean curvature)": a, "s² (curvature variance)": s2, "chains per η": chains,
                                         "fits": rows}, artifacts=artifacts)
