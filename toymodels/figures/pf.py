"""Figures of the principal flow and the modified flows (Rosca, Wu, Qin, Dherin, TMLR 2023).

Each draws the runs of one claim (see :mod:`toymodels.figures`). Between GD iterates the PF is
complex; its real part is drawn, as in the paper.
"""

import numpy as np

from .. import zoo
from . import figure
from .style import conventions_note, cycle, new, series

FLOWS = ("gradient flow", "IGR flow", "order-2 BEA flow", "principal flow", "PF + non-principal term")


def _contours(ax, model, x, y, levels=14):
    """Filled-line contours of the model's loss over the box spanned by ``x`` and ``y``."""
    grid = np.stack(np.meshgrid(x, y), axis=-1)
    loss = model.numeric.loss(grid)
    ax.contour(x, y, loss, levels=np.quantile(loss, np.linspace(0.02, 0.98, levels)),
               colors="0.75", linewidths=0.7)


def _box(paths, pad=0.15):
    """Axis limits around every point of ``paths`` (arrays (..., 2)), padded."""
    points = np.concatenate([np.real(p).reshape(-1, 2) for p in paths])
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.maximum(hi - lo, 1e-3)
    return lo - pad * span, hi + pad * span


def _flows_over_contours(ax, model, gd, flows, title, gamma=None):
    """GD iterates (joined by thin lines) and the named flow paths over the loss contours."""
    lo, hi = _box([gd, *flows.values()])
    x, y = np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200)
    _contours(ax, model, x, y)
    if gamma is not None:
        with np.errstate(divide="ignore"):
            curve = gamma(x)
        finite = np.isfinite(curve)
        ax.plot(x[finite], curve[finite], **series("manifold Γ", label="minima Γ"))
    for name, path in flows.items():
        ax.plot(path[:, 0].real, path[:, 1].real, **series(name))
    ax.plot(gd[:, 0], gd[:, 1], color="black", linewidth=0.5, alpha=0.5)
    ax.plot(gd[:, 0], gd[:, 1], **series("GD"))
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), title=title)
    ax.grid(False)  # the contours are the reference lines


@figure("pf_quadratic_paper", claim="pf.exact_quadratic",
        caption="The setting of Rosca et al.'s notebooks: L = ½θᵀAθ with Hessian eigenvalues 2 and "
                "0.02, start (−0.35, −0.2). The PF (real part of the closed-form solution) passes "
                "through every GD iterate, oscillating (η = 0.9, ηλ1 = 1.8) and diverging (η = 1.05, "
                "ηλ1 = 2.1); gradient flow and IGR cannot follow either.")
def quadratic_paper(artifacts):
    model = zoo.get("quadratic", eigenvalues=(2, 0.02))
    keys = sorted({k.split("/")[1] for k in artifacts if k.startswith("paper/")})
    fig, axes = new(ncols=len(keys))
    for ax, key in zip(np.atleast_1d(axes), keys):
        lr = float(key.split("=")[1])
        flows = {name: artifacts[f"paper/{key}/{name}"] for name in ("gradient flow", "IGR flow", "principal flow")}
        _flows_over_contours(ax, model, artifacts[f"paper/{key}/GD"], flows,
                             f"η = {lr:g} (ηλ1 = {2 * lr:g})")
        ax.set(xlabel="θ1", ylabel="θ2")
    np.atleast_1d(axes)[0].legend(loc="lower left")
    conventions_note(fig, "L = ½θᵀAθ (with ½), A = diag(2, 0.02); GD iterate k drawn at flow time t = kη.")
    return fig


@figure("pf_tracks_gd_contours", claim="pf.tracks_gd_unstable",
        caption="GD where it oscillates across the valley (ηλ1 = 1.9 at the base point), with every "
                "flow integrated from the same start over the first 8 steps. Only the PF (real part) "
                "oscillates with GD.")
def tracks_gd_contours(artifacts):
    panels = (("two_layer_scalar", zoo.get("two_layer_scalar"), "½(ab − 1)², η = 0.5", ("a", "b"),
               lambda a: 1 / a),
              ("rosenbrock", zoo.get("rosenbrock"), "Rosenbrock (1 − x)² + 100(y − x²)², η = 0.004",
               ("x", "y"), None))
    fig, axes = new(ncols=2)
    for ax, (name, model, title, labels, gamma) in zip(axes, panels):
        t, lr = artifacts[f"{name}/t"], float(artifacts[f"{name}/lr"])
        gd = artifacts[f"{name}/GD"][: int(round(t[-1] / lr)) + 1]  # the iterates within the drawn paths
        flows = {k: artifacts[f"{name}/{k}"] for k in FLOWS[:4]}
        _flows_over_contours(ax, model, gd, flows, title, gamma)
        ax.set(xlabel=labels[0], ylabel=labels[1])
        ax.set_aspect("equal", adjustable="box")  # distances to GD as they are
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
    conventions_note(fig, "two_layer_scalar with ½; Rosenbrock without ½. Paths over t ∈ [0, 8η]; "
                          "GD iterate k at t = kη.")
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
    axes[0].legend(loc="center right")
    return fig


@figure("pf_local_error_orders", claim="pf.local_error_orders",
        caption="One-step error of each flow against one GD step on L = θ⁴/4 + θ²/2 at θ0 = 0.5, with "
                "the fitted slopes: 2 (gradient flow), 3 (IGR and PF), 4 (order-2 BEA and PF with its "
                "first non-principal term).")
def local_error_orders(artifacts):
    lrs = artifacts["lrs"]
    fig, ax = new()
    for flow in FLOWS:
        slope = float(artifacts[f"slope/{flow}"])
        ax.loglog(lrs, artifacts[f"error/{flow}"], **series(flow, label=f"{flow} (slope {slope:.2f})",
                                                              marker="o", markersize=3))
    ax.set(xlabel="learning rate η", ylabel="|θ_flow(η) − θ_GD| after one step")
    ax.legend(loc="upper left")
    conventions_note(fig, "L = θ⁴/4 + θ²/2; the flow is integrated for time t = η (one GD step).")
    return fig


@figure("pf_phi", claim="pf.escapes_sharp_minimum",
        caption="φ(x) = log(1 − x)/x, x = ηλ, the coefficient of each eigen-direction in the PF. "
                "Re φ < 0 (the component shrinks) for 0 < x < 2 and Re φ > 0 (it grows) for x > 2 or "
                "x < 0; Im φ ≠ 0 for x > 1 makes GD's sign flips a rotation in ℂ.")
def phi_regimes(artifacts):
    x, value = artifacts["phi/x"], artifacts["phi/value"]
    fig, ax = new()
    for lo, hi, shade, text in ((-1.5, 0, "0.93", "λ < 0:\ngrowth"), (0, 1, "1.0", "monotone\ndecay"),
                                (1, 2, "0.96", "oscillating\ndecay"), (2, 4, "0.9", "oscillating\ndivergence")):
        ax.axvspan(lo, hi, color=shade, zorder=0)
        ax.text((lo + hi) / 2, 2.6, text, ha="center", va="top", fontsize=8)
    for part, style, label in ((value.real, cycle(0, marker=None), "Re φ(x)"),
                               (value.imag, cycle(1, marker=None), "Im φ(x)")):
        for piece in (x < 1, x > 1):  # no line across the singularity at x = 1
            ax.plot(x[piece], part[piece], **style, label=label if piece[0] else None)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.plot([0], [-1], "ko", markersize=4)
    ax.annotate("φ(0) = −1", (0, -1), (0.15, -1.6), fontsize=8)
    ax.plot([2], [0], "ko", markersize=4)
    ax.annotate("φ(2) = iπ/2", (2, 0), (2.15, -0.7), fontsize=8)
    ax.set(xlim=(-1.5, 4), ylim=(-3, 2.7), xlabel="x = ηλ", ylabel="φ(x)")
    ax.legend(loc="lower right")
    return fig


@figure("pf_escape_double_well", claim="pf.escapes_sharp_minimum",
        caption="Escape from the minimum θ = 1 of (θ² − 1)², whose curvature 8 exceeds 2/η: GD and "
                "the PF leave at the predicted rate log(8η − 1)/η; gradient flow and IGR return.")
def escape_double_well(artifacts):
    keys = sorted({k.split("/")[1] for k in artifacts if k.startswith("double_well/")})
    fig, axes = new(ncols=len(keys), height=3.8, squeeze=False)
    for ax, key in zip(axes[0], keys):
        lr = float(key.split("=")[1])
        t = artifacts[f"double_well/{key}/t"]
        for name in ("gradient flow", "IGR flow", "principal flow", "GD"):
            path = artifacts[f"double_well/{key}/{name}"]
            ax.semilogy(t[: len(path)], np.maximum(np.abs(path - 1), 1e-17), **series(name))
        rate = np.log(8 * lr - 1) / lr
        ax.semilogy(t, 1e-3 * np.exp(rate * t), **series("theory", label="1e-3·exp(t log(8η − 1)/η)"))
        ax.set(title=f"η = {lr:g} (ηλ = {8 * lr:g})", xlabel="flow time t (one GD step = η)",
               ylim=(1e-16, 1))
    axes[0, 0].set_ylabel("|θ − 1| (PF: real part)")
    axes[0, 0].legend(loc="lower left")
    conventions_note(fig, "L = (θ² − 1)² (no ½), L''(1) = 8; start θ0 = 1.001.")
    return fig


@figure("dal_tradeoff", claim="dal.edge_step",
        caption="From the same random starts, the median loss over the starts that did not diverge "
                "(the diverged fraction is in the legend): fixed-lr GD against DAL with power p. "
                "p = 0.5 overshoots the edge and diverges, p = 1 stays at the edge without "
                "converging, larger p converges, more slowly.")
def dal_tradeoff(artifacts):
    models = sorted({k.split("/")[0] for k in artifacts})
    fig, axes = new(ncols=len(models), height=3.8)
    for ax, name in zip(np.atleast_1d(axes), models):
        labels = sorted({k.split("/")[1] for k in artifacts if k.startswith(name + "/")},
                        key=lambda s: (not s.startswith("GD"), s))
        for i, label in enumerate(labels):
            diverged = float(artifacts[f"{name}/{label}/diverged"])
            style = series("GD", linestyle="-", marker=None) if label.startswith("GD") else cycle(i, marker=None)
            text = f"{label} (diverged {diverged:.0%})"
            if f"{name}/{label}/median loss" in artifacts:
                loss = artifacts[f"{name}/{label}/median loss"]
                ax.semilogy(np.arange(len(loss)), np.maximum(loss, 1e-32), **{**style, "label": text})
            else:  # every start diverged: a legend entry without a line
                ax.plot([], [], **{**style, "label": text})
        ax.set(title=name, xlabel="optimizer steps", ylim=(1e-32, 1e3))
        ax.legend(loc="center right", bbox_to_anchor=(1, 0.27), fontsize=7.5)  # between the curves
    np.atleast_1d(axes)[0].set_ylabel("median loss (starts that did not diverge)")
    conventions_note(fig, "DAL: η_t = min(2/v^p, 5), v = ‖H∇L‖/‖∇L‖ (Rosca et al. 2023). "
                          "two_layer_scalar with ½, rosenbrock without.")
    return fig


@figure("gd_quadratic_regimes", claim="gd.quadratic_stability",
        caption="GD on a one-dimensional quadratic in each regime of ηλ: the distance to the "
                "minimum is multiplied by |1 − ηλ| each step, so it decays for 0 < ηλ < 2, stays "
                "at ηλ = 2 and grows otherwise.")
def quadratic_regimes(artifacts):
    keys = sorted((k for k in artifacts if k.startswith("d=1/")), key=lambda k: float(k.split("=")[-1]))
    fig, ax = new()
    for i, key in enumerate(keys):
        path = np.abs(artifacts[key])
        ax.semilogy(np.arange(len(path)), path, **cycle(i, label=f"ηλ = {key.split('=')[-1]}"))
    ax.set(xlabel="GD steps k", ylabel="|θ_k − θ*|")
    ax.legend(loc="upper left", ncols=2)
    conventions_note(fig, "L = ½λ(θ − θ*)², lr η = 0.1.")
    return fig
