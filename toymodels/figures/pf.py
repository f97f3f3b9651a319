"""Figures of the principal flow and the modified flows (Rosca, Wu, Qin, Dherin, TMLR 2023).

Each draws the runs of one claim (see :mod:`toymodels.figures`). Between GD iterates the PF is
complex; its real part is drawn, as in the paper.
"""

import numpy as np

from .. import plot, zoo
from ..style import conventions_note, cycle, new, series
from . import figure

#: Losses below this are drawn as the end of their curve (dal_tradeoff): they are round-off.
DISPLAY_FLOOR = 1e-16
FLOWS = ("gradient flow", "IGR flow", "order-2 BEA flow", "principal flow", "PF + non-principal term")


def _legend_below(fig, ax, ncols=4):
    """One legend for the figure, below its panels, where it covers no data."""
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=ncols)


@figure("pf_quadratic_paper", claim="pf.exact_quadratic",
        caption="The setting of Rosca et al.'s notebooks: L = ½θᵀAθ with Hessian eigenvalues 2 and "
                "0.02, start (−0.35, −0.2). The PF (real part of the closed-form solution) passes "
                "through every GD iterate, oscillating (η = 0.9, ηλ1 = 1.8) and diverging (η = 1.05, "
                "ηλ1 = 2.1); gradient flow and IGR cannot follow either.")
def quadratic_paper(artifacts):
    eigenvalues = artifacts["paper/eigenvalues"]
    model = zoo.get("quadratic", eigenvalues=tuple(eigenvalues.tolist()))
    lrs = artifacts["paper/lr"]
    fig, axes = new(ncols=len(lrs), height=4.6)
    for ax, lr in zip(np.atleast_1d(axes), lrs):
        key = f"paper/lr={lr}"
        runs = [(name, artifacts[f"{key}/{name}"]) for name in ("gradient flow", "IGR flow", "principal flow", "GD")]
        plot.paths(model, *runs, ax=ax)
        ax.set_title(f"η = {lr:g} (ηλ1 = {lr * eigenvalues.max():g})")
    _legend_below(fig, np.atleast_1d(axes)[0], ncols=5)
    conventions_note(fig, f"L = ½θᵀAθ (with ½), A = diag({', '.join(f'{e:g}' for e in eigenvalues)}); "
                          "GD iterate k drawn at flow time t = kη.")
    return fig


@figure("pf_tracks_gd_contours", claim="pf.tracks_gd_unstable",
        caption="GD where it oscillates across the valley (ηλ1 = 1.9 at the base point), with every "
                "flow integrated from the same start over the first 8 steps. Only the PF (real part) "
                "oscillates with GD. Equal scales on both axes.")
def tracks_gd_contours(artifacts):
    fig, axes = new(ncols=2, height=4.8)
    for ax, name in zip(axes, ("two_layer_scalar", "rosenbrock")):
        model = zoo.get(name)
        t, lr = artifacts[f"{name}/t"], float(artifacts[f"{name}/lr"])
        gd = artifacts[f"{name}/GD"][: int(round(t[-1] / lr)) + 1]  # the iterates within the drawn paths
        runs = [(k, artifacts[f"{name}/{k}"]) for k in FLOWS[:4]] + [("GD", gd)]
        plot.paths(model, *runs, ax=ax, equal=True, pad=0.08)
        values = ", ".join(f"{k} = {v}" for k, v in model.parameters.items())
        ax.set_title(f"{model.formula} ({values}), η = {lr:g}")
    _legend_below(fig, axes[0], ncols=3)
    conventions_note(fig, "losses as the zoo defines them (two_layer_scalar with ½, rosenbrock without). "
                          "Paths over t ∈ [0, 8η]; GD iterate k at t = kη.")
    return fig


@figure("pf_tracks_gd_errors", claim="pf.tracks_gd_unstable",
        caption="Distance to the GD iterate at t = kη of each flow integrated from the same start. "
                "On the quadratic the PF error is round-off; on the non-quadratic losses the PF leads "
                "while GD oscillates, then all flows share the offset along the valley that the "
                "dropped third-derivative terms caused.")
def tracks_gd_errors(artifacts):
    names = ("quadratic", "two_layer_scalar", "rosenbrock")
    fig, axes = new(ncols=3, height=3.6)
    for ax, name in zip(axes, names):
        for flow in FLOWS:
            errors = artifacts[f"{name}/error/{flow}"]
            steps = np.arange(len(errors))
            ax.semilogy(steps[1:], np.maximum(errors[1:], 1e-17), **series(flow))
        ax.set(title=name, xlabel="GD steps k (flow time t = kη)")
    axes[0].set_ylabel("‖θ_flow(kη) − θ_k‖")
    _legend_below(fig, axes[0], ncols=5)
    return fig


@figure("pf_local_error_orders", claim="pf.local_error_orders",
        caption="One-step error of each flow against one GD step on L = θ⁴/4 + θ²/2 at θ0 = 0.5, with "
                "the fitted slopes: 2 (gradient flow), 3 (IGR and PF), 4 (order-2 BEA and PF with its "
                "first non-principal term).")
def local_error_orders(artifacts):
    lrs = artifacts["lrs"]
    fig, ax = new(height=4.8)
    for i, flow in enumerate(FLOWS):
        plot.error_vs_eta(lrs, artifacts[f"error/{flow}"], slope=float(artifacts[f"slope/{flow}"]), label=flow,
                          ax=ax, style=series(flow, marker="o", markersize=3))
    ax.set(ylabel="|θ_flow(η) − θ_GD| after one step")
    _legend_below(fig, ax, ncols=2)
    conventions_note(fig, "L = θ⁴/4 + θ²/2; the flow is integrated for time t = η (one GD step).")
    return fig


@figure("pf_phi", claim="pf.escapes_sharp_minimum",
        caption="φ(x) = log(1 − x)/x, x = ηλ, the coefficient of each eigen-direction in the PF. "
                "Re φ < 0 for x < 2 (including x < 0: φ(−1) = −log 2) and Re φ > 0 for x > 2; the "
                "rate φ(ηλ)·λ of a direction is negative (it shrinks) for 0 < ηλ < 2 and positive (it "
                "grows) for ηλ > 2 and for λ < 0. Im φ ≠ 0 for x > 1 makes GD's sign flips a rotation in ℂ.")
def phi_regimes(artifacts):
    fig, ax = new()
    plot.phi(artifacts["phi/x"], artifacts["phi/value"], ax=ax)
    ax.legend(loc="lower right")
    return fig


@figure("pf_escape_double_well", claim="pf.escapes_sharp_minimum",
        caption="Escape from the minimum θ = 1 of (θ² − 1)², whose curvature 8 exceeds 2/η: GD and "
                "the PF leave at the predicted rate log(8η − 1)/η; gradient flow and IGR return.")
def escape_double_well(artifacts):
    model, minimum = zoo.get("double_well"), float(artifacts["double_well/minimum"])
    curvature = float(model.numeric.sharpness(np.array([minimum])))
    lrs = artifacts["double_well/lr"]
    start = float(artifacts[f"double_well/lr={lrs[0]}/GD"][0])
    fig, axes = new(ncols=len(lrs), height=4.2, squeeze=False)
    for ax, lr in zip(axes[0], lrs):
        key = f"double_well/lr={lr}"
        t = artifacts[f"{key}/t"]
        for name in ("gradient flow", "IGR flow", "principal flow", "GD"):
            path = artifacts[f"{key}/{name}"]
            ax.semilogy(t[: len(path)], np.maximum(np.abs(path - minimum), 1e-17), **series(name))
        rate = np.log(lr * curvature - 1) / lr  # GD multiplies the offset by |1 − ηλ| per step
        offset = abs(start - minimum)
        ax.semilogy(t, offset * np.exp(rate * t), **series("theory", label=f"{offset:g}·exp(t log(ηL'' − 1)/η)"))
        ax.set(title=f"η = {lr:g} (ηL'' = {lr * curvature:g})", xlabel="flow time t (one GD step = η)",
               ylim=(1e-16, 1))
    axes[0, 0].set_ylabel(f"|θ − {minimum:g}| (PF: real part)")
    _legend_below(fig, axes[0, 0], ncols=5)
    conventions_note(fig, f"L = (θ² − 1)² (no ½), L''({minimum:g}) = {curvature:g}; start θ0 = {start:.6g}.")
    return fig


@figure("dal_tradeoff", claim="dal.edge_step",
        caption="From the same random starts, the median loss over the starts that did not diverge "
                "(the diverged fraction is in the legend): fixed-lr GD against DAL with power p. "
                "p = 0.5 overshoots the edge and diverges, p = 1 stays at the edge without "
                "converging, larger p converges, more slowly.")
def dal_tradeoff(artifacts):
    models = sorted({k.split("/")[0] for k in artifacts})
    fig, axes = new(ncols=len(models), height=4.4)
    for ax, name in zip(np.atleast_1d(axes), models):
        labels = sorted({k.split("/")[1] for k in artifacts if k.startswith(name + "/")},
                        key=lambda s: (not s.startswith("GD"), s))
        lowest, gone = np.inf, []
        for i, label in enumerate(labels):
            diverged = float(artifacts[f"{name}/{label}/diverged"])
            if f"{name}/{label}/median loss" not in artifacts:  # every start diverged: nothing to draw
                gone.append(label)
                continue
            style = series("GD", linestyle="-", marker=None) if label.startswith("GD") else cycle(i, marker=None)
            loss = artifacts[f"{name}/{label}/median loss"]
            # below the display floor the median loss is round-off, then exactly 0: the curve ends there
            above = loss > DISPLAY_FLOOR
            end = len(loss) if above.all() else int(np.argmin(above)) + 1
            ax.semilogy(np.arange(end), np.maximum(loss[:end], DISPLAY_FLOOR),
                        **{**style, "label": f"{label} (diverged {diverged:.0%})"})
            if end < len(loss):
                ax.plot(end - 1, DISPLAY_FLOOR, marker="v", color=style["color"], linestyle="none", markersize=7)
            lowest = min(lowest, max(float(loss[:end].min()), DISPLAY_FLOOR))
        ax.set_ylim(bottom=lowest / 10)
        title = name + ("" if not gone else "\nevery start diverged: " + ", ".join(gone))
        ax.set(title=title, xlabel="optimizer steps")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7.5)
    np.atleast_1d(axes)[0].set_ylabel("median loss (starts that did not diverge)")
    conventions_note(fig, "DAL: η_t = min(2/v^p, 5), v = ‖H∇L‖/‖∇L‖ (Rosca et al. 2023). "
                          "two_layer_scalar with ½, rosenbrock without. "
                          f"▼: the median loss falls below {DISPLAY_FLOOR:g} "
                          "(round-off, then exactly 0).")
    return fig


@figure("gd_quadratic_regimes", claim="gd.quadratic_stability",
        caption="GD on a one-dimensional quadratic in each regime of ηλ: the distance to the "
                "minimum is multiplied by |1 − ηλ| each step, so it decays for 0 < ηλ < 2, stays "
                "at ηλ = 2 and grows otherwise.")
def quadratic_regimes(artifacts):
    ratios, distance = artifacts["d=1/lr·λ"], artifacts["d=1/distance"]
    fig, ax = new()
    for i in np.argsort(ratios):
        ax.semilogy(np.arange(len(distance)), distance[:, i], **cycle(i, label=f"ηλ = {ratios[i]:g}"))
    ax.set(xlabel="GD steps k", ylabel="|θ_k − θ*|")
    ax.legend(loc="upper left", ncols=2)
    conventions_note(fig, f"L = ½λ(θ − θ*)², lr η = {float(artifacts['lr']):g}.")
    return fig
