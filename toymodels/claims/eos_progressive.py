"""eos.progressive_sharpening: GD's sharpness rises to 2/η and hovers there (Cohen et al. 2021).

Cohen, Kaur, Li, Kolter, Talwalkar (ICLR 2021, arXiv:2103.00065; docs/theory/edge-of-stability.md): under GD the sharpness rises
(progressive sharpening) until it reaches 2/η, then hovers at or just above 2/η (the edge of
stability) while the loss keeps decreasing over long windows but not monotonically; a smaller η
lets the sharpness rise further. Model and start: :mod:`toymodels.claims.eos_network`.

Stated band: from the first step where S ≥ 2/η to the end of the run (the EoS window), at least
95% of the sharpness samples lie within ±15% of 2/η and their mean within ±5% of it. The same
window data are tested against bands centred at 1/η and 3/η, which must fail.
"""

import numpy as np

from ..diagnostics import sharpness
from ..optim import GD
from ..simulate import simulate
from ..status import FINISHED
from ..verify import Verdict, at_least, at_most, band, claim, match, stated
from .eos_network import DESCRIPTION, network, start

EOS_LRS = (0.5, 0.7, 1.0)
BAND = 0.15  # instantaneous band: |S·η/2 − 1| ≤ 0.15 ...
COVERAGE = 0.95  # ... for at least 95% of the window
MEAN_BAND = 0.05  # and |mean S·η/2 − 1| ≤ 0.05
MIN_INCREASES = 0.10  # non-monotone: the loss rises in at least 10% of the window's steps


def eos_window(steps, ratio):
    """Index of the first sample with S ≥ 2/η (ratio = S·η/2 ≥ 1), or None."""
    above = np.flatnonzero(ratio >= 1)
    return int(above[0]) if len(above) else None


def pre_edge_rises(steps, ratio, loss):
    """Fraction of steps where the loss rises before S first reaches 2/η (the whole run if never)."""
    first = eos_window(steps, ratio)
    end = len(loss) if first is None else int(steps[first])
    return float(np.mean(np.diff(loss[:end]) > 0)) if end > 1 else 0.0


def analyse(lr, steps, sharp, loss, half_max):
    """The comparisons for one η: ``sharp`` at ``steps``; ``loss`` at every step; ``half_max`` is
    the largest sharpness of the run at η/2. Returns (row of measured values, comparisons)."""
    ratio = sharp * lr / 2
    first = eos_window(steps, ratio)
    if first is None:
        return {"lr": lr, "reached 2/η": False}, [at_least(f"η = {lr}: largest S·η/2", ratio.max(), 1.0)]
    window, k0 = ratio[first:], int(steps[first])
    window_loss = loss[k0:]
    tenth = max(1, len(window_loss) // 10)
    rises = float(np.mean(np.diff(window_loss) > 0))
    row = {"lr": lr, "reached 2/η at step": k0, "window length (steps)": int(steps[-1] - k0),
           "S·η/2 quantiles 1%, 50%, 99%": np.quantile(window, [0.01, 0.5, 0.99])}
    label, claimed = f"η = {lr}", stated("the claim's band, fixed before the run")
    return row, [
        at_most(f"{label}: S·η/2 at the start", ratio[0], 0.5, provenance=claimed),
        band(f"{label}: S·η/2 over the EoS window ({row['window length (steps)']} steps)", window, 1.0, width=BAND,
             coverage=COVERAGE, provenance=claimed, alternatives={"hovers at 1/η": 0.5, "hovers at 3/η": 1.5}),
        match(f"{label}: mean S·η/2 over the window", window.mean(), 1.0, atol=MEAN_BAND, provenance=claimed),
        at_most(f"{label}: loss, mean over the last / first 10% of the window", window_loss[-tenth:].mean()
                / window_loss[:tenth].mean(), 1.0, provenance=claimed),
        at_least(f"{label}: fraction of window steps where the loss rises", rises, MIN_INCREASES, provenance=claimed,
                 alternatives={"the loss falls monotonically, as before S reaches 2/η":
                               pre_edge_rises(steps, ratio, loss)}),
        at_least(f"{label}: largest S of the run at η/2, ×η/2 (rises above the band of η)", half_max * lr / 2,
                 1 + BAND, provenance=claimed)]


@claim("eos.progressive_sharpening",
       "On a tanh network trained by GD on a 1-D regression, the sharpness rises from below 0.5·2/η to "
       "2/η and then stays within ±15% of 2/η (≥ 95% of the time, mean within ±5%) until the end of "
       "the run, while the loss decreases overall but rises in ≥ 10% of the steps; for η = 0.5, 0.7, 1; "
       "at η/2 the sharpness rises above the band of η.",
       "Cohen, Kaur, Li, Kolter, Talwalkar, ICLR 2021, arXiv:2103.00065",
       conventions="L = mean ½(f − y)² (with the ½); sharpness = λ1(∇²L), dense, every 20 steps (25 in "
                   "quick mode); "
                   "time in GD steps",
       models=DESCRIPTION, uses=(network,))
def progressive_sharpening(quick=False):
    model = network()
    steps, every = (5000, 25) if quick else (20000, 20)
    lrs = np.array(sorted(set(EOS_LRS) | {lr / 2 for lr in EOS_LRS}))
    run = simulate(model, GD(lrs), np.tile(start(), (len(lrs), 1)), steps, record=("loss",))
    saved = run.steps[::every]
    sharp = sharpness(model, run.x[::every])
    loss = run["loss"]
    rows, comparisons = [], [match("every run finished (no divergence)", run.status == FINISHED, True)]
    for lr in EOS_LRS:
        i, half = int(np.flatnonzero(lrs == lr)[0]), int(np.flatnonzero(lrs == lr / 2)[0])
        row, found = analyse(lr, saved, sharp[:, i], loss[:, i], sharp[:, half].max())
        rows.append(row)
        comparisons += found
    return Verdict(comparisons, details={"per η": rows, "steps": steps, "sharpness every": every},
                   artifacts={"lr": lrs, "steps": saved, "sharpness": sharp, "loss": loss[::5],
                              "loss_steps": run.steps[::5]})
