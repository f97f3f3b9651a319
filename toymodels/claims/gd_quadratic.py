"""gd.quadratic_stability: GD on a quadratic is linear, and diverges exactly past 2/η.

On L = ½(θ − θ*)ᵀA(θ − θ*), θ_k − θ* = (I − ηA)^k (θ_0 − θ*) (docs/theory/gd-quadratic.md), so along each
eigenvector the error is multiplied by 1 − ηλ_i per step: GD diverges iff some |1 − ηλ_i| > 1,
which for A ≻ 0 is ηλ_max > 2 (Cohen et al., ICLR 2021). The reference here is computed
from the eigenvalues and rotation used to build the quadratic, not from the compiled model.
"""

import numpy as np

from .. import zoo
from ..optim import GD
from ..simulate import simulate
from ..zoo.quadratic import rational_rotation
from ..status import DIVERGED
from ..verify import Verdict, claim, match, roundoff, theory

#: Round-off after k steps is about k·ε relative to the largest state seen; 1e-12 leaves room.
EXACT_RTOL = 1e-12


def _closed_form(eigs, rotation, center, x0, lr, steps):
    q = np.array(rotation, dtype=float)
    factors = (1 - lr * np.asarray(eigs, dtype=float))[None, :] ** np.arange(steps + 1)[:, None]
    coords = (x0 - center) @ q
    return center + (factors * coords) @ q.T


#: ηλ in every regime of docs/theory/gd-quadratic.md: growth, monotone decay, oscillating decay, 2-cycle, divergence.
LR_TIMES_EIGENVALUE = (-0.5, 0.5, 1.5, 1.9, 2.0, 2.1)
LR = 0.1


def _exactness_cases(quick):
    """(eigenvalues, rotation seed, center) with lr = 0.1: each regime alone in d = 1, paired
    with a stable direction in d = 2 (axis-aligned and rotated), all together in d = 5.
    Quick mode keeps every d = 1 case (every regime) and every third of the others."""
    ratios = np.array(LR_TIMES_EIGENVALUE)
    alone = [((r / LR,), None, (0.3,)) for r in ratios]
    combined = [((r / LR, 0.5 / LR), seed, (0.2, -0.1)) for r in ratios for seed in (None, 3)]
    combined += [(tuple(np.delete(ratios, skip) / LR), seed, (0.1, -0.2, 0.3, 0.0, 0.5))
                 for skip in (4, 5) for seed in (7, 11)]
    return alone + (combined[::3] if quick else combined)


def _check_exactness(quick):
    """GD against the closed form in every case; the alternatives are the closed form one step
    ahead and the one of the loss without its ½ (A doubled), on the same runs."""
    parts, paths = {"GD": [], "closed form": [], "one step ahead": [], "A doubled": [], "scale": []}, {}
    rng = np.random.default_rng(5)
    for eigs, seed, center in _exactness_cases(quick):
        x0, steps = rng.uniform(-1, 1, len(eigs)), 30
        model = zoo.get("quadratic", eigenvalues=eigs, rotation_seed=seed, center=center)
        rotation = np.eye(len(eigs)) if seed is None else np.array(rational_rotation(len(eigs), seed), dtype=float)
        run = simulate(model, GD(LR), x0, steps, record=(), max_norm=1e30)
        reference = _closed_form(eigs, rotation, np.asarray(center), x0, LR, steps)
        parts["GD"].append(run.x)
        parts["closed form"].append(reference)
        parts["one step ahead"].append(_closed_form(eigs, rotation, np.asarray(center), x0, LR, steps + 1)[1:])
        parts["A doubled"].append(_closed_form(2 * np.asarray(eigs), rotation, np.asarray(center), x0, LR, steps))
        parts["scale"].append(np.full(run.x.shape, np.max(np.linalg.norm(reference, axis=-1))))
        if len(eigs) == 1:  # the figure's curves: |θ_k − θ*| in each regime of ηλ
            paths.setdefault("d=1/lr·λ", []).append(LR * eigs[0])
            paths.setdefault("d=1/distance", []).append(np.abs(run.x[:, 0] - center[0]))
    paths = {"lr": LR, "d=1/lr·λ": np.array(paths["d=1/lr·λ"]), "d=1/distance": np.stack(paths["d=1/distance"], -1)}
    flat = {k: np.concatenate([a.ravel() for a in v]) for k, v in parts.items()}
    return match("GD iterates vs (I − ηA)^k(θ0 − θ*) + θ*", flat["GD"], flat["closed form"],
                 atol=EXACT_RTOL * flat["scale"], provenance=roundoff(
                     "30 steps of float64 arithmetic accumulate about 30·2.2e-16 relative to the largest state"),
                 alternatives={k: flat[k] for k in ("one step ahead", "A doubled")}), paths


def _check_threshold(quick):
    """Sweep η across 2/λ_max on positive definite quadratics (one batch of starts per
    quadratic, one learning rate per start): the diverged status against ηλ_max > 2, and
    against thresholds just below, just above and at 2 (the 2-cycle counted as divergence)."""
    rows = []
    offsets = np.array((-0.1, -0.02, 0.0, 0.02, 0.1) if quick else
                       (-0.1, -0.05, -0.02, -0.005, 0.0, 0.005, 0.02, 0.05, 0.1))
    for eigs, seed in (((2.0, 0.02), None), ((4.0, 1.0, 0.3), 5), ((0.7,), None)):
        model = zoo.get("quadratic", eigenvalues=eigs, rotation_seed=seed)
        lrs = 2 / max(eigs) * (1 + offsets)
        run = simulate(model, GD(lrs), np.full((len(lrs), len(eigs)), 0.5), 4000, record=("loss",), save_every=4000)
        rows += [{"eigenvalues": eigs, "lr·λmax": float(lr * max(eigs)), "diverged": bool(status == DIVERGED),
                  "stop step": int(stop)} for lr, status, stop in zip(lrs, run.status, run.stop_step)]
    ratio = np.array([r["lr·λmax"] for r in rows])
    edge = 2 * (1 + 1e-12)  # lr·λmax = 2 up to the round-off of 2/λ·λ
    wrong = {"ηλmax > 1.9": ratio > 1.9, "ηλmax > 2.1": ratio > 2.1, "ηλmax ≥ 2 (the 2-cycle diverges)": ratio >= 2 - 1e-12}
    return match("diverged within 4000 steps ⇔ ηλmax > 2", np.array([r["diverged"] for r in rows]), ratio > edge,
                 provenance=theory("exact: the error along u_max is multiplied by |1 − ηλmax| each step"),
                 alternatives=wrong), rows


@claim("gd.quadratic_stability",
       "GD on a quadratic equals (I − ηA)^k(θ0 − θ*) + θ* in every regime of ηλ, and diverges "
       "exactly when ηλ_max > 2.",
       "Cohen, Kaur, Li, Kolter, Talwalkar, ICLR 2021",
       conventions="L = ½(θ − θ*)ᵀA(θ − θ*); time in GD steps; divergence = ‖θ‖ > 1e6 within 4000 steps",
       models="quadratic: lr·λ ∈ {−0.5, 0.5, 1.5, 1.9, 2.0, 2.1} at lr = 0.1 in d = 1, 2, 5 (axis-aligned "
              "and rotated); eigenvalues (2, 0.02), (4, 1, 0.3) rotated, (0.7,) for the threshold sweep")
def quadratic_stability(quick=False):
    exact, paths = _check_exactness(quick)
    threshold, rows = _check_threshold(quick)
    return Verdict([exact, threshold], details={"threshold": rows}, artifacts=paths)
