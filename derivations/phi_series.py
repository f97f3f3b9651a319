"""φ(x) = log(1 − x)/x of the principal flow: its series, special values and the sign of Re φ."""

from pathlib import Path

import sympy as sp

from toymodels.derivation import Page, assert_close, assert_zero


def derive() -> Page:
    x = sp.Symbol("x")
    page = Page("The function φ of the principal flow", "Rosca, Wu, Qin, Dherin, TMLR 2023, §3")
    phi = sp.log(1 - x) / x
    order = 8
    series = sp.series(phi, x, 0, order).removeO()
    principal_sum = -sum(x**p / (p + 1) for p in range(order))
    assert_zero(series - principal_sum, "series of φ")
    page.text("The principal flow is θ' = φ(ηH)∇L. Its Taylor series sums the backward-error terms "
              "$-\\frac{\\eta^p}{p+1} H^p \\nabla L$ made of H and ∇L only:")
    page.equation(r"\varphi(x) = \frac{\log(1-x)}{x}", sp.latex(principal_sum) + r" + O(x^{8})")
    assert_zero(sp.limit(phi, x, 0) + 1, "φ(0)")
    page.equation(r"\lim_{x\to 0}\varphi(x)", -1, "so at η → 0 the PF is gradient flow.")
    # Branch for x > 1: log(1 − x) = log(x − 1) + iπ (the limit from Im x > 0... i.e. (1 − x) + 0j).
    t = sp.Symbol("t", positive=True)
    branch = sp.log(t) + sp.I * sp.pi  # log(1 − x) at x = 1 + t
    assert_close(sp.log(sp.Float(-1.5, 60) + sp.I * sp.Float("1e-70", 60)), branch.subs(t, sp.Rational(3, 2)),
                 "branch of log(1 − x) above the cut")
    page.equation(r"\log(1 - x)\big|_{x = 1 + t}", branch, "for t > 0, the branch of (1 − x) + 0j.")
    phi_two = (branch / (1 + t)).subs(t, 1)
    assert_zero(phi_two - sp.I * sp.pi / 2, "φ(2)")
    page.equation(r"\varphi(2)", sp.I * sp.pi / 2, "the period-2 oscillation of GD at ηλ = 2.")
    re_phi = sp.log(t) / (1 + t)  # Re φ(1 + t)
    assert sp.solve(sp.Eq(re_phi, 0), t) == [1]
    assert all(sp.sign(re_phi.subs(t, v)) == s for v, s in ((sp.Rational(1, 2), -1), (sp.Integer(3), 1)))
    page.text("For x > 1, Re φ(x) = log(x − 1)/x, which vanishes only at x = 2 and is positive for "
              "x > 2: a direction with ηλ > 2 pushes the loss up along the PF "
              "(dL/dt = Σ Re φ(ηλ_i)(∇L·u_i)²). For x < 1, log(1 − x)/x < 0 (asserted at sample points).")
    for value in (sp.Rational(-3), sp.Rational(-1, 2), sp.Rational(1, 2), sp.Rational(9, 10)):
        assert phi.subs(x, value) < 0
    return page


if __name__ == "__main__":
    derive().write(Path(__file__).with_suffix(".md"))
