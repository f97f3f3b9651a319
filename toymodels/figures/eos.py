"""Figures of the edge-of-stability claims (GD) and the edge-of-stochastic-stability claims (SGD).

Every figure is drawn from the artifacts of its claim; loss contours come from the model's
compiled loss. Conventions: squared losses carry the ½, sharpness = λ1(∇²L), time in steps.
"""

import numpy as np

from .. import plot, zoo
from ..style import OKABE_ITO, conventions_note, cycle, new, series
from . import figure

CONVENTIONS = "L with the ½ of squared losses; sharpness S = λ1(∇²L); time in optimizer steps k"


def _edge_point(model, points, lr):
    """The point of the sampled curve ``points`` (n, d) where the model's sharpness crosses 2/η
    (linear interpolation between the samples on either side)."""
    gap = model.numeric.sharpness(points) - 2 / lr
    i = int(np.flatnonzero(np.sign(gap[:-1]) != np.sign(gap[1:]))[0])
    w = gap[i] / (gap[i] - gap[i + 1])
    return (1 - w) * points[i] + w * points[i + 1]


@figure("eos_progressive_sharpening", claim="eos.progressive_sharpening",
        caption="GD on a tanh network (width 10, 20 samples of sin(2πx)): the sharpness rises to 2/η "
                "(dashed) and hovers there while the loss keeps falling, non-monotonically; at η/2 it "
                "rises further.")
def progressive_sharpening(artifacts):
    fig, axes = new(2, 1, width=10.5, height=4.2)
    plot.sharpness(steps=artifacts["steps"], values=artifacts["sharpness"], lr=artifacts["lr"],
                   loss=artifacts["loss"], loss_steps=artifacts["loss_steps"], axes=axes)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=len(artifacts["lr"]))
    conventions_note(fig, CONVENTIONS)
    return fig


def _sgd_keys(artifacts):
    return [int(b) for b in artifacts["batch_sizes"]]


@figure("eoss_curvatures", claim="eoss.minibs_hovers",
        caption="SGD on the tanh network: MiniBS = E_B λmax(H_B) rises to 2/η and hovers there; batch "
                "sharpness E_B[g_BᵀH_Bg_B/‖g_B‖²] and the full-batch λmax(H) stay below. Rows: batch size "
                "B; columns: η. The row B = n (full mode) is full-batch GD: there MiniBS = λmax(H), and the "
                "batch sharpness is the Rayleigh quotient of H along the gradient: near 0 while GD is "
                "stable (the gradient follows flat directions), at λmax(H) while GD oscillates along the "
                "top eigenvector at the edge, and it dips whenever that oscillation dies down. MiniBS carries "
                "a ±1 Monte Carlo s.e. band; "
                "the s.e., printed in each panel, is about 1% of 2/η, so the band is barely wider than the line.")
def curvatures(artifacts):
    lrs, sizes, n = artifacts["lr"], _sgd_keys(artifacts), int(artifacts["n_samples"])
    fig, axes = new(len(lrs), len(sizes), width=3.6 * len(lrs), height=2.8 * len(sizes), squeeze=False)
    for row, b in enumerate(sizes):
        steps = artifacts[f"B={b}/steps"]
        for col, lr in enumerate(lrs):
            ax = axes[row, col]
            se = artifacts[f"B={b}/minibs_se"][:, col]
            plot.curvatures(steps, lr, minibs=artifacts[f"B={b}/minibs"][:, col], minibs_se=se,
                            batch_sharpness=artifacts[f"B={b}/batch_sharpness"][:, col],
                            lambda_max=artifacts[f"B={b}/lambda"][:, col], ax=ax)
            ax.set_ylim(0, 1.35 * 2 / lr)
            ax.set_title(f"B = {b} = n: full-batch GD, η = {lr:g}" if b == n else f"B = {b}, η = {lr:g}")
            if np.any(se > 0):
                ax.text(0.98, 0.04, f"MiniBS s.e. ≈ {np.median(se):.2g} ({np.median(se) * lr / 2:.1%} of 2/η)",
                        transform=ax.transAxes, ha="right", va="bottom", fontsize=7)
            if row < len(sizes) - 1:
                ax.set_xlabel("")
            ax.set_ylabel("curvature (L with ½)" if col == 0 else "")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=5)
    conventions_note(fig, CONVENTIONS + f"; n = {n} samples; MiniBS and batch sharpness by Monte Carlo over batches")
    return fig


@figure("eoss_final_sharpness", claim="eoss.minibs_hovers",
        caption="The (η, B) phase diagram under SGD, second-half means, from a sweep over (η, B, seed): the "
                "full-batch sharpness λmax(H) (lines; band: smallest to largest seed) sits below 2/η (dashed), the "
                "lower the smaller B and the larger η, while MiniBS (crosses, seed mean) sits near 2/η at every "
                "B < n; batch sharpness (open circles, seed mean) mostly lies between them (at B = n it is full-batch GD's "
                "curvature along ∇L, which falls when GD settles below the edge, as at η = 0.3).")
def final_sharpness(artifacts):
    lrs, sizes, n = artifacts["lr"], _sgd_keys(artifacts), int(artifacts["n_samples"])
    fig, ax = new(1, 1, width=6.4, height=4.8)
    lam, minibs = artifacts["phase/lambda"], artifacts["phase/minibs"]  # (η, B, seed)
    batch = artifacts["phase/batch_sharpness"]
    for i, lr in enumerate(lrs):
        plot.seed_bands(sizes, lam[i], label=f"λmax(H), η = {lr:g}", index=i, ax=ax)
        ax.plot(sizes, minibs[i].mean(axis=-1), color=cycle(i)["color"], linestyle="none", marker="x", markersize=7)
        ax.plot(sizes, batch[i].mean(axis=-1), color=cycle(i)["color"], linestyle="none", marker="o",
                markerfacecolor="none", markersize=6)
        ax.axhline(2 / lr, color=cycle(i)["color"], linestyle="--", linewidth=0.9)
    ax.plot([], [], color="0.3", linestyle="none", marker="x", label="MiniBS (seed mean)")
    ax.plot([], [], color="0.3", linestyle="none", marker="o", markerfacecolor="none",
            label="batch sharpness (seed mean)")
    ax.plot([], [], color="0.3", linestyle="--", linewidth=0.9, label="2/η")
    ax.set(xlabel=f"batch size B (of n = {n} samples)", ylabel="curvature, second-half mean (L with ½)", xscale="log",
           title=f"SGD phase diagram over (η, B), {lam.shape[-1]} seeds", ylim=(0, 1.2 * 2 / lrs.min()))
    ax.set_xticks(sizes, [str(b) for b in sizes])
    ax.minorticks_off()
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    conventions_note(fig, CONVENTIONS)
    return fig


def _gd_paths(ax, paths, labels):
    """GD paths (steps, starts, 2) as dots joined by thin lines, one style per start."""
    for j, label in enumerate(labels):
        style = cycle(j)
        ax.plot(paths[:, j, 0], paths[:, j, 1], color=style["color"], linewidth=0.5, alpha=0.6)
        ax.plot(paths[:, j, 0], paths[:, j, 1], linestyle="none", marker=style["marker"], markersize=2.5,
                color=style["color"], label=label)


@figure("eos_zhu_plane", claim="eos.zhu_minimal",
        caption="GD at η = 0.1 from starts with the same GFS sharpness κ·2/η. Left: ½(1 − xyzw)² on the "
                "symmetric slice z = x, w = y, ending just below 2/η (star: the minimum with sharpness "
                "2/η). Right: ½(1 − xy)², which overshoots to much flatter minima.")
def zhu_plane(artifacts):
    lr = float(artifacts["path_lr"])
    fig, axes = new(2, 1, width=10.5, height=4.8)
    panels = (("zhu_minimal", lambda x, y: np.stack([x, y, x, y], -1), "z = x, w = y"),
              ("two_layer_scalar", None, ""))
    for ax, (name, plane, where) in zip(axes, panels):
        model = zoo.get(name)
        paths = artifacts[f"{name}/x"][..., :2]
        lo, hi = plot.box(paths, pad=0.12)
        plot.contours(model, (lo[0], hi[0]), (lo[1], hi[1]), ax=ax, plane=plane, log=True)
        curve = np.linspace(max(lo[0], 0.15), hi[0], 600)
        on_gamma = np.stack([curve, 1 / curve], -1) if plane is None else plane(curve, 1 / curve)
        star = _edge_point(model, on_gamma, lr)
        ax.plot(star[0], star[1], marker="*", markersize=12, color=OKABE_ITO["vermillion"], markeredgecolor="white",
                linestyle="none", label="sharpness 2/η on Γ", zorder=7)
        _gd_paths(ax, paths, [f"GD, GFS sharpness {kappa:g}·2/η" for kappa in artifacts["kappa"]])
        for j, end in enumerate(artifacts[f"{name}/final"][list(artifacts["lr"]).index(lr)]):
            ax.plot(end[0], end[1], linestyle="none", marker=cycle(j)["marker"], markersize=9,
                    color=cycle(j)["color"], markeredgecolor="black", zorder=6, label="end point" if j == 0 else None)
        ax.set(xlabel=str(model.params[0]), ylabel=str(model.params[1]),
               title=f"{model.formula}" + (f", {where}" if where else ""))
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4)
    conventions_note(fig, CONVENTIONS + f"; η = {lr:g}; first 400 steps and the end point; grey: log10 L contours")
    return fig


@figure("eos_lcosh_plane", claim="eos.alignment_lcosh",
        caption="GD at η = 0.1 on log cosh(xy) from six starts with different gradient-flow end points "
                "(all sharper than 2/η): the iterates align and end at the same point of the axis x = 0, "
                "just below y² = 2/η (star, where the sharpness on Γ is 2/η).")
def lcosh_plane(artifacts):
    lr = float(artifacts["path_lr"])
    model = zoo.get("lcosh_xy")
    paths = artifacts["x"]
    fig, (ax, zoom) = new(2, 1, width=10.5, height=4.8)
    lo, hi = plot.box(paths, pad=0.12)
    on_gamma = np.stack([np.zeros(600), np.linspace(0.01, hi[1] + 1, 600)], -1)
    star = _edge_point(model, on_gamma, lr)
    labels = [f"GD from ({p[0]:.2g}, {p[1]:.3g})" for p in paths[0]]
    for panel, (xlim, ylim) in ((ax, ((lo[0], hi[0]), (lo[1], hi[1]))),
                                (zoom, ((-0.3, 0.3), (star[1] - 0.08, star[1] + 0.3)))):
        plot.contours(model, xlim, ylim, ax=panel, log=True)
        panel.plot(*star, marker="*", markersize=13, color=OKABE_ITO["vermillion"], markeredgecolor="white",
                   linestyle="none", label="sharpness 2/η on Γ", zorder=5)
        _gd_paths(panel, paths, labels)
        panel.set(xlim=xlim, ylim=ylim, xlabel="x", ylabel="y")
    ax.set_title(model.formula)
    zoom.set_title("near the end point")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=4)
    conventions_note(fig, f"L = log cosh(xy) (no ½); sharpness S = λ1(∇²L); η = {lr:g}; first 400 steps; "
                          "grey: log10 L contours")
    return fig


@figure("eos_gfs_sharpness", claim="eos.gfs_sharpness_monotone",
        caption="Depth-4 scalar network, GD at η = 0.1 from the five starts (2/η < φ(w0) ≤ 2√2/η) that end "
                "closest to 2/η: the GFS sharpness φ (solid) decreases monotonically to just below 2/η while "
                "the sharpness λ1 (dotted) oscillates around it.")
def gfs_sharpness(artifacts):
    lr, depth = float(artifacts["lr"]), int(artifacts["depth"])
    steps = artifacts["steps"]
    fig, axes = new(2, 1, width=10.5, height=4.2, sharey=True)
    for j in range(artifacts["phi"].shape[1]):
        style = cycle(j)
        axes[0].plot(steps, artifacts["phi"][:, j], color=style["color"], linewidth=1.6)
        for parity in (0, 1):  # λ1 alternates between two branches: draw even and odd steps apart
            axes[1].plot(steps[parity::2], artifacts["sharpness"][parity::2, j], color=style["color"],
                         linewidth=1.0, linestyle="-" if parity == 0 else "--")
    for panel, title in zip(axes, ("GFS sharpness φ(w_k): monotone",
                                   "sharpness λ1(w_k): even (solid) and odd (dashed) steps")):
        plot.edge(panel, lr)
        panel.set(xlabel="steps k", title=title, ylim=(0.6 * 2 / lr, 1.5 * 2 / lr))
    axes[0].set_ylabel("sharpness (L with ½)")
    axes[0].legend(loc="upper right")
    fig.suptitle(f"½(w1⋯w{depth} − 1)², η = {lr:g}, five starts")
    conventions_note(fig, CONVENTIONS + "; φ(w) = Σ 1/(w_i² + s) with ∏(w_i² + s) = 1")
    return fig


@figure("eos_chen_bruna_orbit", claim="eos.chen_bruna_orbit",
        caption="GD on ¼(x² − μ)² at η = K/μ. Left: from 1.05√μ the iterates settle on a period-2 orbit "
                "around √μ (μ = 1). Right: the orbit points of every run (μ = 0.5, 1, 4, in units of √μ) on "
                "the curve of the Chen–Bruna relation η = 1/(δ²(√(μ/δ² − 3/4) + ½)).")
def chen_bruna(artifacts):
    fig, (left, right) = new(2, 1, width=10.5, height=4.2)
    x, ks = artifacts["path/x"], artifacts["path/K"]
    for j, k in enumerate(ks):
        left.plot(np.arange(len(x)), x[:, j], label=f"K = {k:.3g}", **cycle(j, markevery=1, markersize=2.5,
                                                                            linewidth=0.7))
    left.axhline(1, **series("manifold Γ", label="minimum √μ"))
    left.set(xlabel="steps k", ylabel="x_k / √μ", title="GD iterates, μ = 1", ylim=(0.76, 1.22))
    left.legend(fontsize=7.5, loc="upper center", ncols=4)
    # The relation in u = ηδ² and K = ημ: u² − (K + 1)u + 1 = 0 (derivations/eos_chen_bruna.py),
    # and δ/√μ = √(u/K).
    grid = np.linspace(1.0, 1.2, 200)
    root = np.sqrt((grid + 1) ** 2 - 4)
    for sign in (1, -1):
        right.plot(grid, np.sqrt(((grid + 1) + sign * root) / 2 / grid), **series(
            "theory", label="Chen–Bruna relation" if sign == 1 else None))
    for i, mu in enumerate(np.unique(artifacts["orbit/mu"])):
        sel = artifacts["orbit/mu"] == mu
        style = cycle(i)
        for side in (0, 1):
            right.plot(artifacts["orbit/K"][sel], artifacts["orbit/points"][sel, side], linestyle="none",
                       marker=style["marker"], color=style["color"], markersize=6 - 1.5 * i,
                       label=f"GD orbit, μ = {mu:g}" if side == 0 else None)
    right.set(xlabel="K = ημ", ylabel="orbit points δ / √μ", title="orbit points against the relation")
    right.legend(fontsize=7.5)
    conventions_note(fig, "f = ¼(x² − μ)²; GD x ← x − ηf'(x), η = K/μ")
    return fig


@figure("eoss_linear_stability", claim="eoss.linear_stability",
        caption="Mean-square growth per step of SGD at an interpolating minimum (1-D least squares, 16 "
                "samples) against η, from Monte Carlo chains (±2 s.e.), with the predicted threshold "
                "2a/(a² + c s²) (vertical line) and the other sampling scheme's (dotted).")
def linear_stability(artifacts):
    cases = sorted({k.rsplit("/", 1)[0] for k in artifacts if k.endswith("/lr")})
    steps = int(artifacts["steps"])
    fig, axes = new(2, 1, width=10.5, height=4.2, sharey=True)
    for ax, scheme, title in zip(axes, ("no_replace", "replace"), ("without replacement", "with replacement")):
        for i, key in enumerate(k for k in cases if k.endswith("/" + scheme)):
            style = cycle(i)
            lr, mean, se = (artifacts[f"{key}/{name}"] for name in ("lr", "mean_e2", "se_e2"))
            rate = mean ** (1 / steps)
            band = 2 * se / mean * rate / steps
            ax.errorbar(lr, rate, yerr=band, color=style["color"], marker=style["marker"], markersize=4,
                        linestyle="none", label=key.split("/")[0])
            right, wrong = artifacts[f"{key}/predicted"]
            ax.axvline(right, color=style["color"], linewidth=1.0)
            ax.axvline(wrong, color=style["color"], linewidth=1.0, linestyle=":")
        ax.axhline(1, color="0.4", linewidth=0.8)
        ax.set(xlabel="learning rate η", ylabel=f"(mean e_k²)^(1/k), k = {steps}", title=title)
    axes[0].legend()
    conventions_note(fig, "per-sample loss ½(w x_i − y_i)²; e = w − w*; c = (n − B)/(B(n − 1)) without, "
                          "1/B with replacement")
    return fig
