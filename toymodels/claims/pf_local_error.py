"""pf.local_error_orders: the one-step error of each modified flow against one GD step.

Backward error analysis (Barrett & Dherin, arXiv:2009.11162; docs/theory/modified-flows.md): the time-η flow of a field that matches GD to order
η^k has one-step error O(η^{k+1}). Gradient flow: slope 2; IGR and the PF: 3 (the PF lacks
the non-principal term −(η²/12)∇³L[∇L, ∇L]); order-2 BEA and PF plus that term: 4.
"""

import numpy as np

from ..flows import VectorField, gradient, modified, principal
from ..integrate import integrate
from ..model import Model
from ..verify import Verdict, claim, order, stated

SLOPE_TOL = 0.2
EXPECTED = {"gradient flow": 2, "IGR flow": 3, "principal flow": 3, "order-2 BEA flow": 4,
            "PF + non-principal term": 4, "IGR with η/4 (wrong)": 2}
THETA0 = 0.5


def quartic_model():
    """L = θ⁴/4 + θ²/2, the non-quadratic test loss of docs/theory/modified-flows.md."""
    return Model.from_string("theta**4/4 + theta**2/2", params="theta", name="quartic",
                             min_loss=0, description="θ⁴/4 + θ²/2")


def one_step_errors(make_field, model, lrs):
    """|θ_flow(η) − (θ0 − η∇L(θ0))| for each η in ``lrs``."""
    x0 = np.array([THETA0])
    errors = []
    for lr in lrs:
        field = make_field(lr)
        start = x0.astype(complex) if field.complex else x0
        sol = integrate(field, start, lr, rtol=1e-13, atol=1e-18)
        gd = x0 - lr * model.numeric.grad(x0)
        errors.append(float(np.abs(sol.final - gd)[0]))
    return np.array(errors)


@claim("pf.local_error_orders",
       "One-step error against one GD step, fitted over η: slope 2 for gradient flow, 3 for IGR, "
       "3 for the PF, 4 for order-2 BEA and 4 for the PF plus its first non-principal term.",
       "Rosca et al., TMLR 2023 (§3 and Appendix); Barrett & Dherin, ICLR 2021",
       conventions=f"L = θ⁴/4 + θ²/2 at θ0 = {THETA0}; flow time t = η (one GD step)",
       models=f"quartic L = θ⁴/4 + θ²/2 (d = 1), θ0 = {THETA0}, η from 0.01 to 0.16 (5 values quick, 9 full)")
def local_error_orders(quick=False):
    model = quartic_model()
    numeric = model.numeric
    lrs = np.geomspace(0.01, 0.16, 5 if quick else 9)
    makers = {
        "gradient flow": lambda lr: gradient(model),
        "IGR flow": lambda lr: modified(model, lr, 1),
        "principal flow": lambda lr: principal(model, lr),
        "order-2 BEA flow": lambda lr: modified(model, lr, 2),
        "PF + non-principal term": lambda lr: principal(model, lr, nonprincipal=True),
    }
    # A wrong IGR (η/4 instead of η/2) leaves the η² term of the one-step error: order 2, not 3.
    makers["IGR with η/4 (wrong)"] = lambda lr: VectorField(
        "wrong_igr", "wrong IGR", lambda t: -numeric.grad(t) - lr / 4 * numeric.hvp(t, numeric.grad(t)), model, lr)
    provenance = stated(f"over η ∈ [{lrs[0]:.2g}, {lrs[-1]:.2g}] the next-order terms bend the fitted line by "
                        "less than 0.1")
    comparisons, artifacts = [], {"lrs": lrs}
    for name, make in makers.items():
        errors = one_step_errors(make, model, lrs)
        found = order(f"{name}: slope of log one-step error vs log η", lrs, errors, EXPECTED[name], tol=SLOPE_TOL,
                      provenance=provenance, alternatives={f"order {EXPECTED[name] + k}": EXPECTED[name] + k
                                                           for k in (-1, 1)})
        comparisons.append(found)
        if name in EXPECTED and "wrong" not in name:
            artifacts |= {f"error/{name}": errors, f"slope/{name}": found.measured}
    return Verdict(comparisons, artifacts=artifacts)
