"""eoss.minibs_hovers: under SGD, MiniBS settles at 2/η while the full-batch sharpness stays lower.

Andreyev & Beneventano (2024–2025: under SGD it is a mini-batch curvature that
rises to 2/η and hovers there, not λmax(H), which settles lower, the lower the smaller the batch
or the larger η. The first version names MiniBS = E_B λmax(H_B); later versions name batch
sharpness E_B[g_Bᵀ H_B g_B/‖g_B‖²]. Both are measured here on the same batches, with λmax(H).
Model and start: :mod:`toymodels.claims.eos_network` (n = 20 samples); B = 20 is GD.

At η = 1 with B = 5 SGD is catapulted out of the basin in most seeds (the loss explodes and the
tanh units saturate), so η stays ≤ 0.7; a run that leaves ‖θ‖ ≤ 1e3 fails the claim.

Stated band: over the second half of each run, the mean of MiniBS·η/2 lies within ±10% of 1
and at least 90% of its samples within ±20%; λmax(H) averages below 2/η and below MiniBS by
more than 3 standard errors of the Monte Carlo MiniBS estimate. The full-batch sharpness
(second-half mean) increases with B at every η and decreases with η at every B.
"""

import numpy as np

from .. import status
from ..diagnostics import minibatch_curvatures, sharpness
from ..sweep import Output, Simulation, sweep
from ..verify import Verdict, at_least, at_most, band, claim, match, monotone, stated, uncertainty
from .eos_network import DESCRIPTION, NETWORK, network, start

NETWORK_PARAMETERS = {f"model.{k}": v for k, v in NETWORK.items()}  # "seed" alone is SGD's seed

MEAN_BAND = 0.10
SAMPLE_BAND = 0.20
COVERAGE = 0.90
MC_BATCHES = {True: 64, False: 128}  # per state (quick, full); the same batches at every state


class Curvatures:
    """Sweep summary: λmax(H), MiniBS (with its Monte Carlo s.e.) and batch sharpness at the saved
    states of each SGD run of a group (one batch size B, one seed)."""

    def __init__(self, saved, mc_batches):
        self.saved, self.mc_batches = saved, mc_batches
        curve = (("step", saved),)
        self.outputs = {"lambda": Output("λmax(H) at the saved states", "1/lr", extra=curve),
                        "minibs": Output("MiniBS = E_B λmax(H_B) at the saved states", "1/lr", extra=curve),
                        "minibs_se": Output("Monte Carlo standard error of MiniBS", "1/lr", extra=curve),
                        "batch_sharpness": Output("E_B[g_BᵀH_Bg_B/‖g_B‖²] at the saved states", "1/lr", extra=curve)}

    def __repr__(self):
        return f"Curvatures(saved={self.saved}, mc_batches={self.mc_batches})"

    def __call__(self, model, run, values):
        b, seed = int(values["batch_size"][0]), int(values["seed"][0])
        if b == model.n_samples:  # one batch: MiniBS = batch sharpness's curvature = λmax, exactly
            minibs, bs = minibatch_curvatures(model, run.x, b)
        else:
            minibs, bs = minibatch_curvatures(model, run.x, b, n_batches=self.mc_batches, seed=b + 1000 * seed)
        return {"lambda": sharpness(model, run.x).T, "minibs": minibs.value.T, "minibs_se": minibs.stderr.T,
                "batch_sharpness": bs.value.T}


def curvature_runs(lrs, batch_sizes, seeds, steps, every, mc_batches):
    """SGD from the shared start for every (η, B, seed) as a sweep; MiniBS, batch sharpness and
    λmax at the saved states (an xarray Dataset over lr, batch_size, seed)."""
    saved = len(np.unique(np.r_[np.arange(0, steps + 1, every), steps]))
    cells = Simulation("tanh_net", "sgd", steps=steps, x0=start(), save_every=every, summaries=("status",),
                       fixed=NETWORK_PARAMETERS, extra=Curvatures(saved, mc_batches), max_norm=1e3)
    return sweep(cells, {"lr": np.asarray(lrs), "batch_size": np.asarray(batch_sizes), "seed": np.asarray(seeds)},
                 chunks={"lr": len(lrs), "batch_size": 1, "seed": 1})


def summarize(lr, b, seed, n, cell):
    half = cell.step.size // 2
    scale = lr / 2
    mb, bs, lam = (cell[k].values[half:] * scale for k in ("minibs", "batch_sharpness", "lambda"))
    se = float(np.mean(cell["minibs_se"].values[half:]) * scale)
    return {"lr": lr, "B": b, "seed": seed, "MiniBS·η/2 mean": float(mb.mean()),
            "MiniBS·η/2 within ±20%": float(np.mean(np.abs(mb - 1) <= SAMPLE_BAND)),
            "MiniBS·η/2 quantiles 5%, 95%": [float(q) for q in np.quantile(mb, [0.05, 0.95])],
            "MiniBS Monte Carlo s.e. ×η/2": se,
            "batch sharpness·η/2 mean": float(bs.mean()), "λmax·η/2 mean": float(lam.mean()),
            "λmax mean": float(lam.mean() / scale), "λmax·η/2 max": float(lam.max()),
            "|MiniBS·η/2 − 1|": float(abs(mb.mean() - 1)),
            "|batch sharpness·η/2 − 1|": float(abs(bs.mean() - 1)), "is GD": b == n, "samples": mb}


@claim("eoss.minibs_hovers",
       "Under SGD on a tanh network (n = 20) for η ∈ {0.3, 0.4, 0.5, 0.6, 0.7}, B ∈ {5, 10} and 3 seeds, MiniBS = E_B λmax(H_B) "
       "rises to 2/η and hovers there (second-half mean within ±10%, ≥ 90% of samples within ±20%) while "
       "λmax(H) stays below it; the full-batch sharpness (seed average) is lower for smaller B and for larger η. "
       "Batch sharpness is measured alongside.",
       "Andreyev & Beneventano, 2024–2025 (edge of stochastic stability)",
       conventions="L = mean ½(f − y)²; batches without replacement, a fresh batch per step; MiniBS and "
                   "batch sharpness by Monte Carlo over 128 batches (64 in quick mode; s.e. reported); λmax dense",
       models=DESCRIPTION, uses=(network,))
def minibs_hovers(quick=False):
    n = network().n_samples
    lrs = (0.5, 0.7) if quick else (0.3, 0.4, 0.5, 0.6, 0.7)
    batch_sizes = (5, 10) if quick else (5, 10, n)
    seeds = (0, 1) if quick else (0, 1, 2)
    steps, every = (5000, 100) if quick else (16000, 100)
    ds = curvature_runs(lrs, batch_sizes, seeds, steps, every, MC_BATCHES[quick])
    rows = [summarize(lr, b, seed, n, ds.sel(lr=lr, batch_size=b, seed=seed))
            for b in batch_sizes for lr in lrs for seed in seeds]
    sgd = [r for r in rows if not r["is GD"]]
    claimed = stated("the claim's band, fixed before the run")
    comparisons = [
        match("every run finished (‖θ‖ ≤ 1e3)", ds.status.values == status.ALL.index(status.FINISHED), True,
              provenance=claimed),
        match("MiniBS·η/2, second-half mean, every SGD run", [r["MiniBS·η/2 mean"] for r in sgd], 1.0, atol=MEAN_BAND,
              provenance=claimed, alternatives={"MiniBS hovers at 1/η": 0.5})]
    comparisons += [band(f"η = {r['lr']}, B = {r['B']}, seed {r['seed']}: MiniBS·η/2 samples, second half", samples,
                         1.0, width=SAMPLE_BAND, coverage=COVERAGE, provenance=claimed,
                         alternatives={"hovers at 1/η": 0.5, "hovers at 3/η": 1.5})
                    for r, samples in ((r, r.pop("samples")) for r in sgd)]
    for r in rows:
        r.pop("samples", None)
    # λmax(H), second-half mean, averaged over seeds: the phase diagram over (η, B)
    half = ds.step.size // 2
    lam = ds["lambda"].isel(step=slice(half, None)).mean("step")
    table = lam.mean("seed")
    comparisons += [
        at_most("λmax(H)·η/2, second-half mean, every SGD run (below 2/η)", [r["λmax·η/2 mean"] for r in sgd], 1.0,
                provenance=claimed),
        at_least("(MiniBS − λmax(H))·η/2 in Monte Carlo standard errors of MiniBS, every SGD run",
                 [(r["MiniBS·η/2 mean"] - r["λmax·η/2 mean"]) / r["MiniBS Monte Carlo s.e. ×η/2"] for r in sgd], 3.0,
                 provenance=uncertainty("3 standard errors of the Monte Carlo MiniBS estimate")),
        monotone("λmax(H) (second-half mean, seed average) increases with B, at every η",
                 table.transpose("lr", "batch_size").values, increasing=True, axis=1, provenance=claimed),
        monotone("λmax(H) (second-half mean, seed average) decreases with η, at every B",
                 table.transpose("lr", "batch_size").values, axis=0, provenance=claimed)]
    gap_minibs = [r["|MiniBS·η/2 − 1|"] for r in sgd]
    gap_batch = [r["|batch sharpness·η/2 − 1|"] for r in sgd]
    closer = {"MiniBS closer to 2/η in": int(np.sum(np.less(gap_minibs, gap_batch))), "of (η, B) runs": len(sgd),
              "mean |MiniBS·η/2 − 1|": float(np.mean(gap_minibs)),
              "mean |batch sharpness·η/2 − 1|": float(np.mean(gap_batch))}
    artifacts = {"lr": np.asarray(lrs), "batch_sizes": np.asarray(batch_sizes), "seeds": np.asarray(seeds),
                 "n_samples": n}
    for b in batch_sizes:  # the curves of seed 0, as the figure of the curvatures draws them
        cell = ds.sel(batch_size=b, seed=seeds[0])
        artifacts[f"B={b}/steps"] = ds.step.values
        for key in ("lambda", "minibs", "minibs_se", "batch_sharpness"):
            artifacts[f"B={b}/{key}"] = cell[key].transpose("step", "lr").values
    for key in ("lambda", "minibs", "batch_sharpness"):  # the phase diagram: (lr, B, seed) second-half means
        artifacts[f"phase/{key}"] = ds[key].isel(step=slice(half, None)).mean("step").transpose(
            "lr", "batch_size", "seed").values
    return Verdict(comparisons, details={"runs (second half of each run)": rows, "which sits closer to 2/η": closer,
                                         "steps": steps, "saved every": every}, artifacts=artifacts)
