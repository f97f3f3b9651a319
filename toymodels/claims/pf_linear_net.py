"""pf.linear_net: the principal flow on the two-layer linear network ½‖W2W1 − M‖²_F (2×2×2, d = 8).

Rosca, Wu, Qin, Dherin (TMLR 2023, §3–5, arXiv:2302.01952; docs/theory/principal-flow.md), on the
matrix network:

- on its quadratic approximation at a point θ* of Γ, L_q = ½(θ − θ*)ᵀ∇²L(θ*)(θ − θ*) (rank 4, four
  zero eigenvalues along Γ), the PF is GD at t = kη: the closed form to round-off and the
  integrated PF field to its integration tolerance, at η with ηλ1 = 1.8 (GD oscillates); gradient
  flow, IGR and order-2 BEA integrated on the same run are the rejected alternatives;
- near Γ where GD oscillates (1 < ηλ1 < 2), the PF is the most accurate one-step model of GD among
  gradient flow, IGR, order-2 BEA and PF at ≥ 90% of the sampled points, as in pf.tracks_gd_unstable.
"""

import numpy as np
import sympy as sp

from ..flows import exact_quadratic_solution, principal
from ..manifold import sample_manifold
from ..model import Model
from ..optim import GD
from ..simulate import simulate
from ..verify import Verdict, at_least, at_most, claim, roundoff, stated
from .manifold_linear_net import TARGET, model
from .pf_exact_quadratic import CLOSED_FORM_RTOL, INTEGRATED_RTOL, integrated_pf, step_error
from .pf_tracks_gd import ONE_STEP_FLOWS, REQUIRED_FRACTION, _regime_summary, multi_step, one_step_errors

EDGE = 1.8  # ηλ1 of the quadratic approximation
ONE_STEP_LR = 0.3  # 1 < ηλ1 < 2 ⇔ 3.33 < λ1 < 6.67, a band of Γ that contains the flattest minima (λ1 ≥ 4.29)
QUADRATIC_STEPS = {True: 12, False: 30}


def quadratic_approximation(net, centre):
    """½(θ − θ*)ᵀH(θ − θ*) with H = ∇²L(θ*) of ``net``: a quadratic model with the same parameters."""
    hess = net.numeric.hess(centre)
    offset = sp.Matrix([p - sp.Float(c) for p, c in zip(net.params, centre)])
    loss = (offset.T * sp.Matrix(hess.tolist()).applyfunc(sp.Float) * offset)[0, 0] / 2
    return Model(loss, net.params, name="linear_net_quadratic", formula="½(θ − θ*)ᵀ∇²L(θ*)(θ − θ*)",
                 description="The quadratic approximation of linear_net at a point of Γ.")


def _near_gamma(net, rng, n, scale=0.1):
    """Points of Γ displaced along u1 by U(−scale, scale), with 1 < ηλ1 < 2 at the displaced point."""
    points = sample_manifold(net, 20 * n, rng, box=1.5)
    _, vectors = net.numeric.eigh(points)
    moved = points + vectors[..., :, 0] * rng.uniform(-scale, scale, size=(len(points), 1))
    lam = ONE_STEP_LR * net.numeric.sharpness(moved)
    return moved[(lam > 1) & (lam < 2)][:n]


@claim("pf.linear_net",
       "On the two-layer linear network ½‖W2W1 − M‖²_F (2×2×2): on its quadratic approximation at a point of "
       f"Γ the principal flow is GD at t = kη (ηλ1 = {EDGE}, GD oscillating); near Γ where 1 < ηλ1 < 2 the PF "
       "is the most accurate one-step model of GD among gradient flow, IGR, order-2 BEA and PF at ≥ 90% of "
       "sampled points.",
       "Rosca, Wu, Qin, Dherin, TMLR 2023, §3–5, arXiv:2302.01952",
       conventions="L = ½‖W2W1 − M‖²_F; flow time t, one GD step = lr; errors ‖θ_flow(kη) − θ_k‖ (complex "
                   "modulus for the PF), relative to max(‖θ_k‖, ‖θ_0‖) on the quadratic",
       models=f"linear_net(target={TARGET}, data=whitened) and its quadratic approximation at a point of Γ; "
              f"one-step lr {ONE_STEP_LR}")
def linear_net_pf(quick=False):
    rng = np.random.default_rng(17)
    net = model()
    centre = sample_manifold(net, 1, rng, box=1.5)[0]
    quad = quadratic_approximation(net, centre)
    lam1 = float(net.numeric.sharpness(centre))
    lr = EDGE / lam1
    steps = QUADRATIC_STEPS[quick]
    x0 = centre + 0.1 * rng.standard_normal((3, net.dim))
    gd = simulate(quad, GD(lr), x0, steps, record=()).x
    closed = step_error(exact_quadratic_solution(quad, lr, x0, lr * np.arange(steps + 1)), gd)
    integrated = step_error(integrated_pf(principal(quad, lr), x0, steps, lr=lr).x, gd)
    summary, _ = multi_step(quad, lr, x0[0], steps, rtol=1e-10)
    pf_error, other = summary["error at the last step (PF, best other)"]
    scale = float(max(np.linalg.norm(gd[-1, 0]), np.linalg.norm(gd[0, 0])))
    integration = stated("DOP853 at rtol 1e-11 over the steps, measured per step (as pf.exact_quadratic)")
    points = _near_gamma(net, rng, 40 if quick else 200)
    tested = _regime_summary(one_step_errors(net, ONE_STEP_LR, points))
    return Verdict([
        at_most(f"quadratic approximation (ηλ1 = {EDGE}): closed-form PF vs GD, max over {steps} steps of the "
                "relative error", closed, CLOSED_FORM_RTOL,
                provenance=roundoff("the closed form is GD up to round-off")),
        at_most("the same, integrated PF field", integrated, INTEGRATED_RTOL, provenance=integration,
                alternatives={"the best of gradient flow, IGR, order-2 BEA (relative error at the last step, start 1)":
                              other / scale}),
        at_least(f"linear_net, η = {ONE_STEP_LR}: fraction of {tested['points']} points near Γ with 1 < ηλ1 < 2 where "
                 "the PF is the most accurate one-step model", tested["principal flow most accurate (fraction)"],
                 REQUIRED_FRACTION, provenance=stated("as pf.tracks_gd_unstable: near the minima the PF's error is the "
                                                      "small non-principal remainder"),
                 alternatives={f"{flow} is the most accurate": tested[f"{flow} most accurate (fraction)"]
                               for flow in ONE_STEP_FLOWS[:3]})],
        details={"centre θ* on Γ": centre, "λ1(θ*)": lam1, "lr on the quadratic": lr,
                 "quadratic multi-step (start 1)": summary, "PF relative error at the last step": pf_error / scale,
                 "one-step regime near Γ": tested})
