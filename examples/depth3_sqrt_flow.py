"""A researcher's own claim, checked like the built-in ones.

GD on √(L − min L) for the depth-3 scalar network L = ½(abc − 1)², typed as a string, follows
the limiting flow dX/dT = −⅛ P^⊥∇λ1 on the manifold of minima Γ = {abc = 1} at O(η): with
T = η²k, ‖Φ(θ_k) − X(T)‖ ≤ C·η over several η (Arora, Li, Panigrahi, ICML 2022, §5,
arXiv:2205.09745). The theorem gives no C, so C is calibrated on another start, which the
check does not judge; the flows with the wrong constant (¼) or objective (log λ1) must break
the same bound by 10x. Run it with

    toymodels verify --claims examples/depth3_sqrt_flow.py 'mine.*' --quick
    toymodels reproduce --claims examples/depth3_sqrt_flow.py --only 'mine.*' --quick --out depth3-report
"""

import matplotlib.pyplot as plt
import numpy as np

import toymodels as tm
from toymodels.figures import figure
from toymodels.flows import manifold_flow, solve_on_manifold
from toymodels.limit_map import limit_map
from toymodels.verify import Verdict, bound, calibrated, claim, shared_run

model = tm.Model.from_string("(a*b*c - 1)**2/2", params="a b c", min_loss=0, manifold=["a*b*c - 1"],
                             name="depth3")
START, OTHER_START = (1.8, 0.8, 0.75), (0.7, 1.5, 1.1)  # off Γ: abc = 1.08 and 1.155
T = 0.32  # slow time of the comparison
FLOWS = {"−⅛ P⊥∇λ1 (the claim)": (0.125, "lambda1"), "−¼ P⊥∇log λ1 (normalized GD's flow)": (0.25, "log_lambda1"),
         "−¼ P⊥∇λ1": (0.25, "lambda1"), "−⅛ P⊥∇log λ1": (0.125, "log_lambda1")}


@shared_run("depth-3 √L-GD sweep")
def phi_at_T(start, quick):
    """η = 0.08 halved 3 (quick) or 4 times, one batch: Φ(θ_k) at k = T/η² for each η."""
    etas = 0.08 / 2.0 ** np.arange(4 if quick else 5)
    steps = np.rint(T / etas**2).astype(int)
    run = tm.simulate(model, tm.optim.SqrtLossGD(etas), np.tile(start, (len(etas), 1)), steps.max(), record=())
    return etas, limit_map(model, run.x[steps, np.arange(len(etas))])


def errors(start, quick, flow):
    """‖Φ(θ_k) − X(T)‖₂ for each η, X the flow (coefficient, objective) from Φ(θ0)."""
    etas, phi = phi_at_T(start, quick)
    x_t = solve_on_manifold(manifold_flow(model, *flow), np.array(start), T, saveat=[T]).x[-1]
    return etas, np.linalg.norm(phi - x_t, axis=-1)


@claim("mine.depth3_sqrt_flow", "GD on √(L − min L) for ½(abc − 1)² follows dX/dT = −⅛ P⊥∇λ1 at O(η).",
       "Arora, Li, Panigrahi, ICML 2022, §5, arXiv:2205.09745",
       models=f"½(abc − 1)² from {START}; C calibrated from {OTHER_START}", uses=(phi_at_T,))
def depth3_sqrt_flow(quick):
    err = {name: errors(START, quick, flow)[1] for name, flow in FLOWS.items()}
    right, *wrong = FLOWS
    other_etas, other = errors(OTHER_START, True, FLOWS[right])
    c = 3 * np.max(other / other_etas)
    etas = phi_at_T(START, quick)[0]
    check = bound("‖Φ(θ_k) − X(T)‖₂ at T = η²k = 0.32", etas, err[right], c, reject_by=10,
                  provenance=calibrated("3 × the largest err/η", on=f"the quick sweep from {OTHER_START}"),
                  alternatives={name: err[name] for name in wrong})
    return Verdict([check], artifacts={"eta": etas, "C": c, **{f"err/{k}": v for k, v in err.items()}})


@figure("mine_depth3_sqrt_flow", claim="mine.depth3_sqrt_flow",
        caption="‖Φ(θ_k) − X(T)‖ against η for the claimed flow and the wrong ones, with the bound C·η.")
def draw(artifacts):
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    eta = artifacts["eta"]
    for i, name in enumerate(FLOWS):  # the claimed flow first, with its bound C·η
        tm.plot.error_vs_eta(eta, artifacts[f"err/{name}"], bound=float(artifacts["C"]) if i == 0 else None,
                             label=name, ax=ax, style={"marker": "o"})
    ax.set_xticks(eta, [f"{e:g}" for e in eta], minor=False)
    ax.set_xticks([], minor=True)
    ax.set(ylabel="‖Φ(θ_k) − X(T)‖₂", title="½(abc − 1)², GD on √L")
    ax.legend(fontsize=7)
    return fig
