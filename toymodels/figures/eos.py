"""Figures of the edge-of-stability claims (GD) and the edge-of-stochastic-stability claims (SGD).

Every figure is drawn from the artifacts of its claim; loss contours come from the model's
compiled loss. Conventions: squared losses carry the ½, sharpness = λ1(∇²L), time in steps.
"""

import numpy as np

from .. import zoo
from . import figure
from ..style import OKABE_ITO, SERIES, conventions_note, cycle, new, series

CONVENTIONS = "L with the ½ of squared losses; sharpness S = λ1(∇²L); time in optimizer steps k"
#: Unnamed series of the SGD figures (no named style exists for them yet).
def _edge(ax, lr, **kwargs):
    ax.axhline(2 / lr, **series("2/η", **kwargs))


@figure("eos_progressive_sharpening", claim="eos.progressive_sharpening",
        caption="GD on a tanh network (width 10, 20 samples of sin(2πx)): the sharpness rises to 2/η "
                "(dashed) and hovers there while the loss keeps falling, non-monotonically; at η/2 it "
                "rises further.")
def progressive_sharpening(artifacts):
    fig, (left, right) = new(2, 1, width=10.5, height=4.2)
    lrs, steps = artifacts["lr"], artifacts["steps"]
    for i, lr in enumerate(lrs):
        style = cycle(i, markevery=max(1, len(steps) // 8))
        left.plot(steps, artifacts["sharpness"][:, i], label=f"η = {lr:g}", **style)
        left.axhline(2 / lr, color=style["color"], linestyle="--", linewidth=0.9)
        right.plot(artifacts["loss_steps"], artifacts["loss"][:, i], label=f"η = {lr:g}",
                   **{**style, "marker": None, "linewidth": 0.8})
    left.set_ylim(0, 1.25 * 2 / lrs.min())
    left.set(xlabel="steps k", ylabel="sharpness λ1(∇²L)", title="sharpness; dashed: 2/η")
    right.set(xlabel="steps k", ylabel="training loss L", yscale="log", title="loss")
    left.legend(ncols=2)
    conventions_note(fig, CONVENTIONS)
    return fig


def _sgd_keys(artifacts):
    return [int(b) for b in artifacts["batch_sizes"]]


@figure("eoss_curvatures", claim="eoss.minibs_hovers",
        caption="SGD on the tanh network: MiniBS = E_B λmax(H_B) rises to 2/η and hovers there; batch "
                "sharpness E_B[g_BᵀH_Bg_B/‖g_B‖²] and the full-batch λmax(H) stay below. Rows: batch size "
                "B (B = 20 is GD); columns: η. Bands: ±1 Monte Carlo s.e. of MiniBS.")
def curvatures(artifacts):
    lrs, sizes = artifacts["lr"], _sgd_keys(artifacts)
    fig, axes = new(len(lrs), len(sizes), width=3.4 * len(lrs), height=2.6 * len(sizes), squeeze=False)
    for row, b in enumerate(sizes):
        steps = artifacts[f"B={b}/steps"]
        for col, lr in enumerate(lrs):
            ax = axes[row, col]
            minibs, se = artifacts[f"B={b}/minibs"][:, col], artifacts[f"B={b}/minibs_se"][:, col]
            ax.fill_between(steps, minibs - se, minibs + se, color=SERIES["MiniBS"]["color"], alpha=0.2, linewidth=0)
            ax.plot(steps, minibs, **series("MiniBS"))
            ax.plot(steps, artifacts[f"B={b}/batch_sharpness"][:, col], **series("batch sharpness"))
            ax.plot(steps, artifacts[f"B={b}/lambda"][:, col], **series("λmax(H)"))
            _edge(ax, lr)
            ax.set_ylim(0, 1.35 * 2 / lr)
            ax.set_title(f"B = {b}, η = {lr:g}")
            if row == len(sizes) - 1:
                ax.set_xlabel("steps k")
            if col == 0:
                ax.set_ylabel("curvature (L with ½)")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=4)
    conventions_note(fig, CONVENTIONS + "; MiniBS and batch sharpness by Monte Carlo over batches")
    return fig


@figure("eoss_final_sharpness", claim="eoss.minibs_hovers",
        caption="Second-half means under SGD against batch size: MiniBS sits near 2/η (dashed) at every B, "
                "the full-batch sharpness λmax(H) is lower, the lower the smaller B and the larger η.")
def final_sharpness(artifacts):
    lrs, sizes = artifacts["lr"], _sgd_keys(artifacts)
    fig, ax = new(1, 1, width=6.4, height=4.4)
    for col, lr in enumerate(lrs):
        style = cycle(col)
        half = {b: len(artifacts[f"B={b}/steps"]) // 2 for b in sizes}
        lam = [artifacts[f"B={b}/lambda"][half[b]:, col].mean() for b in sizes]
        mb = [artifacts[f"B={b}/minibs"][half[b]:, col].mean() for b in sizes]
        ax.plot(sizes, lam, label=f"λmax(H), η = {lr:g}", **{**style, "markevery": 1, "markersize": 6})
        ax.plot(sizes, mb, label=f"MiniBS, η = {lr:g}", color=style["color"], linestyle="none",
                marker="x", markersize=7)
        ax.axhline(2 / lr, color=style["color"], linestyle="--", linewidth=0.9)
    ax.set(xlabel="batch size B (of n = 20 samples)", ylabel="second-half mean (L with ½)",
           xscale="log", title="full-batch sharpness against batch size; dashed: 2/η")
    ax.set_xticks(sizes, [str(b) for b in sizes])
    ax.minorticks_off()
    ax.legend(ncols=2, loc="lower right")
    conventions_note(fig, CONVENTIONS)
    return fig


def _contours(ax, loss, xs, ys):
    grid_x, grid_y = np.meshgrid(xs, ys)
    values = loss(grid_x, grid_y)
    with np.errstate(divide="ignore"):
        levels = np.log10(np.maximum(values, 1e-300))
    ax.contour(grid_x, grid_y, levels, levels=np.arange(-4, 3.5, 0.5), colors="0.7", linewidths=0.5,
               linestyles="solid")


def _plane_limits(paths, pad=0.3):
    lo, hi = paths.reshape(-1, 2).min(axis=0), paths.reshape(-1, 2).max(axis=0)
    return np.linspace(lo[0] - pad, hi[0] + pad, 200), np.linspace(lo[1] - pad, hi[1] + pad, 200)


@figure("eos_zhu_plane", claim="eos.zhu_minimal",
        caption="GD at η = 0.1 from starts with the same GFS sharpness κ·2/η. Left: ½(1 − xyzw)² on the "
                "symmetric slice z = x, w = y, ending just below 2/η (star: the minimum with sharpness "
                "2/η). Right: ½(1 − xy)², which overshoots to much flatter minima.")
def zhu_plane(artifacts):
    lr = float(artifacts["lr"][1])
    fig, axes = new(2, 1, width=10.5, height=4.6)
    four = zoo.get("zhu_minimal").numeric
    two = zoo.get("two_layer_scalar").numeric
    panels = (("zhu_minimal", lambda x, y: four.loss(np.stack([x, y, x, y], -1)), 2.0,
               "½(1 − xyzw)², z = x, w = y"),
              ("two_layer_scalar", lambda x, y: two.loss(np.stack([x, y], -1)), 1.0, "½(1 − xy)²"))
    for ax, (name, loss, factor, title) in zip(axes, panels):
        paths = artifacts[f"{name}/x"][..., :2]
        xs, ys = _plane_limits(paths)
        _contours(ax, loss, xs, ys)
        curve = np.linspace(max(xs[0], 0.15), xs[-1], 300)
        ax.plot(curve, 1 / curve, **series("manifold Γ", label="minima xy = 1"))
        # On xy = 1 the sharpness is factor·(x² + 1/x²); it equals 2/η where x² + 1/x² = q:
        q = 2 / (factor * lr)
        x_edge = np.sqrt((q + np.sqrt(q * q - 4)) / 2)
        ax.plot(x_edge, 1 / x_edge, marker="*", markersize=12, color=OKABE_ITO["vermillion"],
                linestyle="none", label="sharpness 2/η on Γ")
        for j, kappa in enumerate(artifacts["kappa"]):
            style = cycle(j)
            ax.plot(paths[:, j, 0], paths[:, j, 1], color=style["color"], linewidth=0.5, alpha=0.6)
            ax.plot(paths[:, j, 0], paths[:, j, 1], linestyle="none", marker=style["marker"], markersize=2.5,
                    color=style["color"], label=f"GD, GFS sharpness {kappa:g}·2/η")
            end = artifacts[f"{name}/final"][1, j]
            ax.plot(end[0], end[1], linestyle="none", marker=style["marker"], markersize=9, color=style["color"],
                    markeredgecolor="black", zorder=6, label="end point" if j == 0 else None)
        ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), xlabel="x", ylabel="y", title=title)
    axes[0].legend(loc="upper right", fontsize=7.5)
    conventions_note(fig, CONVENTIONS + f"; η = {lr:g}; first 400 steps and the end point; grey: log10 L contours")
    return fig


@figure("eos_lcosh_plane", claim="eos.alignment_lcosh",
        caption="GD at η = 0.1 on log cosh(xy) from six starts with different gradient-flow end points "
                "(all sharper than 2/η): the iterates align and end at the same point of the axis x = 0, "
                "just below y² = 2/η (star).")
def lcosh_plane(artifacts):
    lr = float(artifacts["lr"][0])
    numeric = zoo.get("lcosh_xy").numeric
    paths = artifacts["x"]
    fig, (ax, zoom) = new(2, 1, width=10.5, height=4.6)
    xs, ys = _plane_limits(paths)
    for panel in (ax, zoom):
        _contours(panel, lambda x, y: numeric.loss(np.stack([x, y], -1)), xs, ys)
        panel.axvline(0, **series("manifold Γ", label="minima x = 0"))
        panel.plot(0, np.sqrt(2 / lr), marker="*", markersize=13, color=OKABE_ITO["vermillion"],
                   markeredgecolor="white", linestyle="none", label="y² = 2/η", zorder=5)
        for j in range(paths.shape[1]):
            style = cycle(j)
            panel.plot(paths[:, j, 0], paths[:, j, 1], color=style["color"], linewidth=0.5, alpha=0.6)
            panel.plot(paths[:, j, 0], paths[:, j, 1], linestyle="none", marker=style["marker"],
                       markersize=2.5, color=style["color"],
                       label=f"GD from ({paths[0, j, 0]:.2g}, {paths[0, j, 1]:.3g})")
        panel.set(xlabel="x", ylabel="y")
    ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), title="log cosh(xy)")
    end = np.sqrt(2 / lr)
    zoom.set(xlim=(-0.3, 0.3), ylim=(end - 0.08, end + 0.3), title="near the end point")
    ax.legend(loc="lower right", fontsize=7.5)
    conventions_note(fig, CONVENTIONS + f"; η = {lr:g}; first 400 steps; grey: log10 L contours")
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
        _edge(panel, lr)
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
