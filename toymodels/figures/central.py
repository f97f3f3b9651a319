"""Figures of the central-flow and optimizer-edge claims (docs/theory/central-flows.md).

Drawn from the claims' artifacts with :mod:`toymodels.plot`; nothing is re-run.
"""

import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import plot
from ..style import conventions_note, new, series
from . import figure

CONVENTIONS = ("curved valley ½(y + z² + x)x² − ε(x + y + z), η = 0.3; flow time t = ηk; averages over windows "
               "of 3 whole self-stabilization cycles")


def _middle(artifacts):
    eps = np.atleast_1d(artifacts["eps"])
    return f"eps={eps[len(eps) // 2]:g}", float(eps[len(eps) // 2])


@figure("central_valley_path", claim="central.curved_valley",
        caption="GD on the curved valley (grey iterates), its averages over windows of whole self-stabilization "
                "cycles (blue dots), the central flow (red) and gradient flow (dotted) in the (y, z) plane. "
                "The central flow slides along the edge y + z² = 2/η (dashed) with GD's averages; gradient flow "
                "leaves it.")
def valley_path(artifacts):
    key, eps = _middle(artifacts)
    lr = float(artifacts["lr"])
    fig, ax = new(1, 1, width=6.4, height=4.8)
    gd = artifacts[f"{key}/gd_x"]
    ax.plot(gd[:, 1], gd[:, 2], color="0.7", linewidth=0.4, label="GD iterates")
    ax.plot(artifacts[f"{key}/cf_path"][:, 1], artifacts[f"{key}/cf_path"][:, 2], **series("central flow"))
    gf = artifacts[f"{key}/gf_path"]
    ax.plot(gf[:, 1], gf[:, 2], **series("gradient flow"))
    mean = artifacts[f"{key}/gd_mean"]
    ax.plot(mean[:, 1], mean[:, 2], **series("GD, time-averaged"))
    z = np.linspace(0, max(gd[:, 2].max(), 1.0), 200)
    ax.plot(2 / lr - z**2, z, **series("2/η", label="edge y + z² = 2/η"))
    ax.set(xlabel="y", ylabel="z", xlim=(gd[:, 1].min() - 0.1, 2 / lr + 0.1), ylim=(-0.05, 1.15 * gd[:, 2].max()),
           title=f"ε = {eps:g}")
    ax.legend(loc="upper left")
    conventions_note(fig, CONVENTIONS)
    return fig


@figure("central_averaged_loss", claim="central.curved_valley",
        caption="Left: GD's loss averaged over whole cycles against the central flow's prediction L(w) + σ²/η "
                "and the wrong L(w) and L(w) + σ²/(2η). Right: GD's ⟨x²⟩ against the central flow's σ². One "
                "row per tilt ε.")
def averaged_loss(artifacts):
    eps = np.atleast_1d(artifacts["eps"])
    fig, axes = new(2, len(eps), width=10.5, height=3.0 * len(eps), squeeze=False)
    for row, e in enumerate(eps):
        key = f"eps={e:g}"
        centre = (artifacts[f"{key}/window_start"] + artifacts[f"{key}/window_stop"]) / 2
        loss, avg = artifacts[f"{key}/cf_loss"], artifacts[f"{key}/cf_avg_loss"]
        plot.time_averages(centre, artifacts[f"{key}/gd_loss"],
                           {"L(w) + σ²/η": avg, "L(w)": loss, "L(w) + σ²/(2η)": (loss + avg) / 2},
                           ax=axes[row, 0], ylabel=f"loss, ε = {e:g}")
        plot.time_averages(centre, artifacts[f"{key}/gd_x2"], {"σ² (central flow)": artifacts[f"{key}/cf_sigma2"]},
                           ax=axes[row, 1], ylabel=f"⟨x²⟩, ε = {e:g}")
        if row < len(eps) - 1:
            for ax in axes[row]:
                ax.set_xlabel("")
    for ax in axes[0]:
        ax.legend(loc="best")
    conventions_note(fig, CONVENTIONS)
    return fig


@figure("edges_hover", claim="edges.hover",
        caption="Each optimizer's sharpness on the progressive valley divided by its own stability threshold "
                "(preconditioned for RMSProp and Adam): all settle at 1 (dashed), far from where GD's edge 2/η "
                "would put them (dotted, same colour). Adam settles a few percent below its frozen-preconditioner "
                "threshold 38/η.")
def hover(artifacts):
    labels = {"gd": "GD (2/η)", "heavy_ball": "heavy ball β = 0.9 ((2 + 2β)/η)",
              "nesterov": "Nesterov β = 0.9 ((2 + 2β)/((1 + 2β)η))", "ema_momentum": "EMA momentum (38/η)",
              "scalar_rmsprop": "scalar RMSProp (ηS/√ν = 2)", "adam": "Adam (ηλ1(P⁻¹H) vs 38)"}
    curves = {}
    for key, label in labels.items():
        if f"{key}/steps" in artifacts:
            gd_edge = float(artifacts[f"{key}/gd_edge"])  # NaN where GD's edge has no meaning (RMSProp)
            curves[label] = (artifacts[f"{key}/steps"], artifacts[f"{key}/ratio"], None if np.isnan(gd_edge) else gd_edge)
    fig, axes = new(3, 2, width=11.0, height=6.4, squeeze=False)
    for ax, (label, curve) in zip(axes.ravel(), curves.items()):
        plot.edge_ratios({label: curve}, ax=ax)
        top = max(1.3, 1.15 * (curve[2] or 0))
        ax.set(ylim=(0, top), title=label, ylabel="η·S / threshold")
        ax.xaxis.set_major_locator(MaxNLocator(4))  # long step counts: few ticks, no overlap
        ax.legend(loc="lower right", fontsize=7)
    for ax in axes.ravel()[len(curves):]:
        ax.set_visible(False)
    conventions_note(fig, "progressive valley ½(y + x)x² − ε(x + y); sharpness λ1(∇²L) (preconditioned: λ1(P⁻¹H)); "
                          "time in optimizer steps; dotted: GD's edge 2/η on the same scale")
    return fig
