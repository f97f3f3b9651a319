"""Figures of the manifold.* claims (Arora, Li, Panigrahi, ICML 2022): paths on loss contours,
λ1 against slow time, error against η, and the edge-of-stability cycle.

Everything is drawn from the claims' artifacts; loss contours and Γ come from the models'
compiled loss and constraints.
"""

import numpy as np

from .. import plot, zoo
from ..claims.manifold_runs import LABELS, MODELS, OPTIMIZERS, flow_name
from ..style import conventions_note, cycle, new, series
from . import figure

CONVENTIONS = ("Losses as in the zoo (squared losses carry ½); λ1 = top eigenvalue of ∇²L; slow time "
               "T = η²k for k optimizer steps; flows start at Φ(θ0), T = 0.")
TITLES = {"two_layer_scalar": "½(ab − 1)²", "arora_valley": "(1 + x²)y²", "rosenbrock_valley": "(y − x²)²",
          "zhu_minimal": "½(1 − xyzw)²"}
OPTIMIZER_SERIES = {"ngd": "normalized GD", "sqrt": "GD on √(L − min L)"}
SHORT = {"ngd": "normalized GD", "sqrt": "GD on √L"}


def _contours(ax, model, x, flow):
    """Loss contours and Γ over a box around the iterates and the flow, equal scales."""
    lo, hi = plot.box(x, flow, pad=0.25, equal=True)
    plot.contours(model, (lo[0], hi[0]), (lo[1], hi[1]), ax=ax, levels=10, resolution=300)
    ax.set_aspect("equal", adjustable="box")


def _paths(artifacts, optimizer):
    fig, axes = new(4, 1, width=15, height=4.4)
    for ax, name in zip(axes, MODELS):
        model = zoo.get(name)
        prefix = f"{name}/{optimizer}"
        eta = artifacts[f"{prefix}/eta"][0]
        x, phi = artifacts[f"{prefix}/iterates"], artifacts[f"{prefix}/phi"]
        flow_t, flow_x = artifacts[f"{prefix}/flow_T"], artifacts[f"{prefix}/flow_x"]
        _, coefficient, objective = OPTIMIZERS[optimizer]
        flow_label = f"limiting flow {flow_name(coefficient, objective)}"
        if model.dim == 2:
            _contours(ax, model, x, flow_x)
            ax.plot(x[:, 0], x[:, 1], color="0.3", linewidth=0.4, alpha=0.4)
            ax.plot(x[:, 0], x[:, 1], **series(OPTIMIZER_SERIES[optimizer], label=f"θ_k, η = {eta:g}",
                                               markersize=2, alpha=0.6))
            every = max(1, len(phi) // 25)
            ax.plot(phi[::every, 0], phi[::every, 1], linestyle="none", marker="s", markersize=4.5,
                    markerfacecolor="white", color=series("limiting flow")["color"], label="Φ(θ_k)", zorder=3)
            ax.plot(flow_x[:, 0], flow_x[:, 1], **series("limiting flow", label=flow_label, zorder=4))
            ax.set_xlabel(str(model.params[0]))
            ax.set_ylabel(str(model.params[1]))
            planar = ax
        else:  # Γ is 3-dimensional in ℝ⁴: coordinates against slow time
            phi_t = artifacts[f"{prefix}/phi_T"]
            for i, p in enumerate(model.params):
                style = cycle(i, markevery=None, marker="none")
                ax.plot(flow_t, flow_x[:, i], **{**style, "label": f"{p}: flow"})
                every = max(1, len(phi) // 40)
                ax.plot(phi_t[::every], phi[::every, i], linestyle="none", marker="o", markersize=3,
                        color=style["color"], label=f"{p}: Φ(θ_k)")
            ax.set_xlabel("slow time T = η²k")
            ax.set_ylabel("coordinate of Φ(θ_k) and X(T)")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=6.5, ncol=4)
        ax.set_title(f"{TITLES[name]} ({name})")
    fig.legend(*planar.get_legend_handles_labels(), loc="outside lower center", ncols=4)
    fig.suptitle(f"{LABELS[optimizer]}: iterates zigzag across Γ while Φ(θ_k) follows the limiting flow")
    conventions_note(fig, CONVENTIONS + f" Iterates: first 400 steps at η = {eta:g}; Φ(θ_k) up to T = 5.")
    return fig


@figure("manifold_paths_ngd", claim="manifold.ngd_flow",
        caption="Normalized GD at η = 0.08 on four models: the iterates oscillate across the manifold of "
                "minima Γ (blue) while their limit points Φ(θ_k) follow the flow "
                "$-\\frac{1}{4} P^\\perp \\nabla \\log \\lambda_1$ toward the "
                "flattest point of Γ. zhu_minimal (Γ ⊂ ℝ⁴) is shown by coordinates against T.")
def ngd_paths(artifacts):
    return _paths(artifacts, "ngd")


@figure("manifold_paths_sqrt", claim="manifold.sqrt_flow",
        caption="GD on √(L − min L) at η = 0.08: Φ(θ_k) follows $-\\frac{1}{8} P^\\perp \\nabla \\lambda_1$.")
def sqrt_paths(artifacts):
    return _paths(artifacts, "sqrt")


@figure("manifold_lambda1", claim="manifold.lambda1_decreases",
        caption="λ1(Φ(θ_k)) against slow time T = η²k for η = 0.08 … 0.005: the runs collapse onto λ1 along "
                "the limiting flow and decrease to the minimum of λ1 on Γ (dashed).")
def lambda1_curves(artifacts):
    fig, axes = new(4, 2, width=15, height=7.5)
    for row, optimizer in enumerate(OPTIMIZERS):
        for col, name in enumerate(MODELS):
            ax = axes[row, col]
            prefix = f"{name}/{optimizer}"
            curves = {f"η = {eta:g}": (artifacts[f"{prefix}/{j}/T"], artifacts[f"{prefix}/{j}/lambda1"])
                      for j, eta in enumerate(artifacts[f"{prefix}/eta"])}
            flow = (artifacts[f"{prefix}/flow_T"], artifacts[f"{prefix}/flow_lambda1"])
            plot.lambda1_along_manifold(curves, flow=flow,
                                        minimum=float(artifacts[f"{name}/lambda1_min"]), ax=ax)
            ax.set_title(f"{LABELS[optimizer]}, {name}", fontsize=9)
            if col == 0:
                ax.legend(fontsize=7, loc="upper right")
    conventions_note(fig, CONVENTIONS)
    return fig


@figure("manifold_error", claim="manifold.constants_discriminate",
        caption="‖Φ(θ_k) − X(T)‖₂ at fixed T against η (log–log) for the right limiting flow (filled) and "
                "the three wrong ones (¼ ↔ ⅛, λ1 ↔ log λ1): the right error stays below C·η = 0.2η, the "
                "wrong ones stay O(1). The fitted slope is given where the error follows a power law.")
def error_against_eta(artifacts):
    fig, axes = new(4, 2, width=15, height=7.8)
    for row, optimizer in enumerate(OPTIMIZERS):
        for col, name in enumerate(MODELS):
            ax = axes[row, col]
            prefix = f"{name}/{optimizer}"
            eta, right = artifacts[f"{prefix}/eta"], str(artifacts[f"{prefix}/right"])
            flows = sorted(k[len(f"{prefix}/err/"):] for k in artifacts if k.startswith(f"{prefix}/err/"))
            # cycle entry 3 is vermillion, the colour of the bound ("theory"): skip it
            for i, flow in zip((0, 1, 2, 4), flows):
                style = cycle(i, markevery=None, markersize=4, linewidth=2.4 if flow == right else 1.0)
                plot.error_vs_eta(eta, artifacts[f"{prefix}/err/{flow}"], label=flow, ax=ax, style=style)
            slope = float(artifacts[f"{prefix}/slope"])
            bound = float(artifacts[f"{prefix}/C"])  # calibrated on another start, per model and optimizer
            ax.loglog(eta, bound * eta, **series("theory", label="bound C·η (C calibrated on another start)"))
            ax.text(0.97, 0.04, f"right flow: {'no clean slope' if np.isnan(slope) else 'slope %.2f' % slope}",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=8)
            ax.set_xticks(eta, [f"{e:g}" for e in eta], minor=False)
            ax.set_xticks([], minor=True)
            ax.tick_params(axis="x", labelsize=7)
            ax.set_title(f"{SHORT[optimizer]}, {name}", fontsize=9)
            ax.set_ylabel("‖Φ(θ_k) − X(T)‖₂ at k = T/η²")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=8.5)
    conventions_note(fig, CONVENTIONS + " Thick line: the optimizer's own limiting flow (normalized GD: "
                                        "−¼ P⊥∇log λ1; GD on √(L − min L): −⅛ P⊥∇λ1).")
    return fig


@figure("manifold_eos", claim="manifold.enters_eos",
        caption="The edge-of-stability cycle at η = 0.02: the signed distance to Γ along u1 (in units of the "
                "step length s) alternates between a and a − 1 after the approach (dotted line, k0); the "
                "two-step mean of |x|/(s/2) and the two-step harmonic mean of λ1·η_eff/2 are 1.")
def eos_cycle(artifacts):
    fig, axes = new(4, 2, width=15, height=7.0)
    for row, optimizer in enumerate(OPTIMIZERS):
        for col, name in enumerate(MODELS):
            ax = axes[row, col]
            prefix = f"{name}/{optimizer}"
            j = int(np.argmin(np.abs(artifacts[f"{prefix}/eta"] - 0.02)))
            x = artifacts[f"{prefix}/offset"][:, j]
            s = artifacts[f"{prefix}/step_length"][:, j]
            h = artifacts[f"{prefix}/lambda1_lr"][:, j]
            k0 = int(artifacts[f"{prefix}/k0"][j])
            k = np.arange(min(len(h) - 1, k0 + 80))
            ax.plot(k, x[k] / s[k], color="0.4", linewidth=0.6, marker="o", markersize=2.5,
                    label="x_k / s (signed distance along u1)")
            mean = (np.abs(x[k]) + np.abs(x[k + 1])) / s[k]
            harmonic = 1 / (1 / h[k] + 1 / h[k + 1])
            ax.plot(k, mean, **cycle(0, markevery=None, marker="none", label="mean(|x_k|, |x_k+1|) / (s/2)"))
            ax.plot(k, harmonic, **cycle(1, markevery=None, marker="none",
                                         label="harmonic mean(λ1η_eff) / 2"))
            ax.axvline(k0, color="0.2", linestyle=":", linewidth=1.0)
            ax.set_ylim(-1.2, 1.6)
            ax.set_title(f"{LABELS[optimizer]}, {name}, η = {artifacts[f'{prefix}/eta'][j]:g}", fontsize=9)
            ax.set_xlabel("steps k")
            ax.set_ylabel("normalized value")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
    conventions_note(fig, CONVENTIONS + " s = η (normalized GD) or η√(λ1(Φ)/2) (GD on √L); "
                                        "η_eff = lr used on ∇L.")
    return fig
