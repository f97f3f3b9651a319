"""Figures of the uv-model atlas: the catapult phase diagram and the period-doubling cascade.

Drawn from the artifacts of ``uv.catapult`` and ``uv.period_doubling`` (sweeps over the grid,
thresholds by bisection, doubling points from Newton-refined cycles); conventions: c = ηλ0,
λ = (‖u‖² + ‖v‖²)/n = ‖∇f‖², loss ½(f − y)², time in GD steps.
"""

import numpy as np

from .. import plot, status
from ..style import OKABE_ITO, conventions_note, cycle, new
from . import figure

CONVENTIONS = "c = ηλ0; λ = (‖u‖² + ‖v‖²)/n = ‖∇f‖² (the sharpness at a minimum); loss ½(f − y)²; GD steps"
REGIMES = ("lazy (no loss increase)", "catapult (final ηλ < 2)", "divergence", "other")


def regime_codes(artifacts):
    """0 lazy, 1 catapult, 2 divergence, 3 anything else (from the sweep's statuses and summaries)."""
    code = artifacts["status"]
    converged, diverged = code == status.ALL.index(status.CONVERGED), code == status.ALL.index(status.DIVERGED)
    c = artifacts["c"][:, None]
    lazy = converged & (c < 2)
    catapult = converged & (c > 2) & (artifacts["final_sharpness_lr"] < 2)
    return np.select([lazy, catapult, diverged], [0, 1, 2], default=3)


@figure("uv_catapult_phases", claim="uv.catapult",
        caption="The uv model's regimes over ηλ0 and width n (y = 0.1, f0 = 0.5, λ0 = 1), one GD run of the "
                "exact function-space map per cell: lazy convergence below ηλ0 = 2, a catapult up to the "
                "divergence threshold c*(n) (black: bisection), which approaches 4 like 1/n. Right: the final "
                "ηλ, below 2 after every catapult.")
def catapult_phases(artifacts):
    fig, axes = new(2, 1, width=11.5, height=4.4)
    c, n = artifacts["c"], artifacts["n"]
    plot.phase_diagram(c, n, regime_codes(artifacts), REGIMES, boundary=artifacts["c_star"],
                       boundary_label="c*(n), bisection", xlabel="ηλ0", ylabel="width n", logy=True, ax=axes[0])
    axes[0].set_title("regimes of GD")
    converged = artifacts["status"] == status.ALL.index(status.CONVERGED)
    for j, width in enumerate(n):
        final = np.where(converged[:, j], artifacts["final_sharpness_lr"][:, j], np.nan)
        axes[1].plot(c, final, **cycle(j, label=f"n = {width:g}", markevery=4))
    axes[1].plot([0, 2], [0, 2], color=OKABE_ITO["black"], linewidth=0.8, linestyle=":", label="ηλ = ηλ0")
    axes[1].axhline(2, color=OKABE_ITO["black"], linewidth=0.9, linestyle="--", label="ηλ = 2")
    axes[1].set(xlabel="ηλ0", ylabel="final ηλ (converged runs)", title="curvature at the end")
    axes[1].legend(ncols=2, fontsize=7)
    conventions_note(fig, CONVENTIONS)
    return fig


@figure("uv_bifurcation", claim="uv.period_doubling",
        caption="Bifurcation diagram of GD on the uv model with n = 1 (½(ab − 1)²): ηλ along the last steps "
                "of each run against η, from a sweep over η. Dashed: the period doublings P2→P4 … P16→P32 "
                "located from Newton-refined cycles (not from the simulated periods). Right: the cascade "
                "enlarged; the intervals shrink by Feigenbaum's δ ≈ 4.669.")
def bifurcation(artifacts):
    fig, axes = new(2, 1, width=11.5, height=4.4)
    lr, orbit, doublings = artifacts["lr"], artifacts["tail_sharpness"], artifacts["doublings"]
    plot.orbit_diagram(lr, orbit, doublings=doublings, ax=axes[0])
    axes[0].set_title("ηλ along the final orbit")
    axes[0].legend(loc="upper left", fontsize=7)
    zoom = (lr >= doublings[0] - 0.03) & (lr <= doublings[-1] + 0.01)
    plot.orbit_diagram(lr[zoom], orbit[zoom], doublings=doublings, ax=axes[1])
    upper = orbit[zoom] * lr[zoom, None]
    upper = upper[np.isfinite(upper) & (upper > 2)]
    axes[1].set(title="the cascade (upper branch)", ylim=(upper.min() - 0.05, upper.max() + 0.05))
    conventions_note(fig, "n = 1, y = 1, start (a, b) = (√0.1, 0); λ = λmax(∇²L); GD steps")
    return fig
