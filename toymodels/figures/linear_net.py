"""Figures of the two-layer linear network ½‖W2W1 − M‖²_F (2×2×2): λ1 along the limiting flows with
its minimum 2σ1(M), the balance of the top singular path, the error against η, and GD at the edge.

Drawn from the artifacts of manifold.linear_net_flows, manifold.linear_net_balances and
eos.linear_net with :mod:`toymodels.plot` (Arora, Li, Panigrahi, ICML 2022, arXiv:2205.09745;
Mulayoff & Michaeli, ICML 2020, arXiv:2002.04710; docs/theory/manifold.md).
"""

import numpy as np
from matplotlib.ticker import NullFormatter

from .. import plot
from ..claims.manifold_linear_net import TARGET
from ..claims.manifold_runs import LABELS, OPTIMIZERS, flow_name
from ..style import conventions_note, cycle, new, series
from . import figure

EOS_STEPS = 150  # the edge-of-stability phase and the start of convergence
CONVENTIONS = (f"L = ½‖W2W1 − M‖²_F, M = {[list(r) for r in TARGET]}; λ1 = top eigenvalue of ∇²L; slow time "
               "T = η²k for k optimizer steps; flows start at Φ(θ0), T = 0.")


def _per_optimizer(draw):
    """A figure with one panel per optimizer, ``draw(ax, optimizer, prefix)`` filling each."""
    fig, axes = new(2, 1, width=11, height=4.4)
    for ax, optimizer in zip(axes, OPTIMIZERS):
        draw(ax, optimizer, f"linear_net/{optimizer}")
        ax.legend(fontsize=7, loc="lower right" if ax.get_yscale() == "log" else "upper right")
    conventions_note(fig, CONVENTIONS)
    return fig


def _per_eta(artifacts, optimizer, quantity):
    prefix = f"linear_net/{optimizer}"
    return {f"η = {eta:g}": (artifacts[f"{prefix}/{j}/T"], artifacts[f"{prefix}/{j}/{quantity}"])
            for j, eta in enumerate(artifacts[f"{prefix}/eta"])}


@figure("linear_net_lambda1", claim="manifold.linear_net_balances",
        caption="The 2×2×2 linear network ½‖W2W1 − M‖²_F: λ1(Φ(θ_k)) against slow time T = η²k under normalized "
                "GD and GD on √L for η = 0.08 … 0.005, on λ1 along the limiting flow (wide pale line), down to "
                "its minimum 2σ1(M) on Γ (dotted).")
def lambda1_curves(artifacts):
    two_sigma1 = float(artifacts["linear_net/two_sigma1"])

    def draw(ax, optimizer, prefix):
        plot.lambda1_along_manifold(_per_eta(artifacts, optimizer, "lambda1"),
                                    flow=(artifacts[f"{prefix}/flow_T"], artifacts[f"{prefix}/flow_lambda1"]),
                                    minimum=two_sigma1, ax=ax)
        ax.set_title(f"{LABELS[optimizer]}; dotted: 2σ1(M) = {two_sigma1:.4g}", fontsize=9)
    return _per_optimizer(draw)


@figure("linear_net_balance", claim="manifold.linear_net_balances",
        caption="The imbalance σmax(W1)² − σmax(W2)² of the top singular path at Φ(θ_k) against T: both limiting "
                "flows drive it to 0 (the flattest minima, λ1 = 2σ1(M)), while W1W1ᵀ − W2ᵀW2 as a whole stays "
                "away from 0 (reported in the claim).")
def balance_curves(artifacts):
    def draw(ax, optimizer, prefix):
        for j, (label, (t, imbalance)) in enumerate(_per_eta(artifacts, optimizer, "imbalance").items()):
            ax.plot(t, imbalance, **cycle(j, label=label, linewidth=1.0, markevery=max(1, len(t) // 8)))
        ax.plot(artifacts[f"{prefix}/flow_T"], artifacts[f"{prefix}/flow_imbalance"],
                **series("limiting flow", linewidth=7, alpha=0.3, zorder=0))
        ax.axhline(0.0, **series("min λ1 on Γ", label="balanced top path"))
        ax.set(xlabel="slow time T = η²k", ylabel="σmax(W1)² − σmax(W2)² at Φ(θ_k)")
        ax.set_title(LABELS[optimizer], fontsize=9)
    return _per_optimizer(draw)


@figure("linear_net_error", claim="manifold.linear_net_flows",
        caption="‖Φ(θ_k) − X(T)‖₂ at T = 0.32 (quick) or 0.64 against η on the 2×2×2 linear network, for the right "
                "limiting flow (thick) and the three wrong ones (¼ ↔ ⅛, λ1 ↔ log λ1), with the bound C·η "
                "(C calibrated on another start).")
def error_against_eta(artifacts):
    def draw(ax, optimizer, prefix):
        right = flow_name(*OPTIMIZERS[optimizer][1:])
        flows = sorted(k[len(f"{prefix}/err/"):] for k in artifacts if k.startswith(f"{prefix}/err/"))
        eta = artifacts[f"{prefix}/eta"]
        for i, flow in zip((0, 1, 2, 4), flows):  # cycle entry 3 is the colour of the bound
            style = cycle(i, markevery=None, markersize=4, linewidth=2.4 if flow == right else 1.0)
            plot.error_vs_eta(eta, artifacts[f"{prefix}/err/{flow}"], label=flow, ax=ax, style=style)
        c = float(artifacts[f"{prefix}/C"])
        ax.loglog(eta, c * eta, **series("theory", label=f"bound C·η, C = {c:.3g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on η = 0.005 … 0.08
        ax.set(ylabel="‖Φ(θ_k) − X(T)‖₂")
        ax.set_title(f"{LABELS[optimizer]}: right flow {right}", fontsize=9)
    return _per_optimizer(draw)


@figure("linear_net_eos", claim="eos.linear_net",
        caption="GD on the 2×2×2 linear network from an unbalanced start whose gradient-flow minimum is too sharp "
                "(λ1(Φ(θ0)) > 2/η). Left and middle: for η in (2/λ1(Φ(θ0)), 1/σ1(M)) the sharpness passes 2/η "
                "(dashed, one per η) while the loss jumps, then GD converges to a flatter minimum just below 2/η. "
                "Right: above 1/σ1(M) (η = 0.5) no minimum is stable (2/η < 2σ1(M), dotted) and GD settles on a "
                "two-step orbit.")
def edge_of_stability(artifacts):
    steps, lr = artifacts["steps"], artifacts["lr"][0]
    two_sigma1 = float(artifacts["two_sigma1"])
    keep = steps <= EOS_STEPS
    window = np.arange(lr.size - 2)  # the last two runs are the control (below) and η = 0.5 (above)
    fig, axes = new(3, 1, width=15, height=4.4)
    plot.sharpness(steps=steps[keep], values=artifacts["sharpness"][keep, 0][:, window], lr=lr[window],
                   loss=artifacts["loss"][keep, 0][:, window], loss_steps=steps[keep], axes=axes[:2])
    axes[0].axhline(two_sigma1, **series("min λ1 on Γ", label="2σ1(M)"))
    axes[0].legend(fontsize=7, loc="upper right")
    above = lr.size - 1
    plot.sharpness(steps=steps[keep], values=artifacts["sharpness"][keep, 0, above], lr=lr[above], axes=axes[2:])
    axes[2].axhline(two_sigma1, **series("min λ1 on Γ", label="2σ1(M)"))
    axes[2].set_title(f"η = {lr[above]:g} > 1/σ1(M) = {2 / two_sigma1:.4g}: the orbit")
    axes[2].set_ylim(0, 1.2 * np.max(artifacts["sharpness"][keep, 0, above]))
    axes[2].legend(fontsize=7, loc="upper right")
    conventions_note(fig, f"L = ½‖W2W1 − M‖²_F, M = {[list(r) for r in TARGET]}; sharpness = λ1(∇²L); first start of "
                          f"the claim, first {EOS_STEPS} steps.")
    return fig
