"""On a quadratic the principal flow at t = kη is exactly the k-th GD iterate."""

from pathlib import Path

import sympy as sp

from toymodels.derivation import Page, assert_zero


def derive() -> Page:
    page = Page("The principal flow is exact on quadratics", "Rosca, Wu, Qin, Dherin, TMLR 2023, §3")
    eta, lam, t, c0 = sp.symbols("eta lambda t c_0")
    k = sp.Symbol("k")
    page.text("For L = ½(θ − θ*)ᵀA(θ − θ*) the gradient is A(θ − θ*), so along an eigenvector u of A "
              "(eigenvalue λ) the coordinate c = uᵀ(θ − θ*) has ∇L·u = λc, and the PF "
              "θ' = φ(ηH)∇L reads c' = φ(ηλ) λ c with φ(x) = log(1 − x)/x.")
    solution = c0 * sp.exp(t / eta * sp.log(1 - eta * lam))
    phi = sp.log(1 - eta * lam) / (eta * lam)
    assert_zero(sp.diff(solution, t) - phi * lam * solution, "c(t) solves the PF")
    page.equation("c(t)", solution, "solves it, with c(0) = c_0.")
    for kk in range(7):  # exp(k log z) = z^k for every integer k, on any branch of the log
        assert_zero(solution.subs(t, kk * eta) - c0 * (1 - eta * lam) ** kk, f"c({kk}η) = (1 − ηλ)^{kk} c0")
    page.equation(r"c(k\eta)", c0 * (1 - eta * lam) ** k,
                  "which is k steps of GD, c ← (1 − ηλ)c, whatever the sign of 1 − ηλ (asserted for "
                  "k = 0…6 with η, λ symbolic; for ηλ > 1 the log is complex and c(t) is complex "
                  "between grid points).")
    # The matrix form on an exact 2x2 example with ηλ = 1/2 and 3/2 (η = 1).
    a = sp.Matrix([[1, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]])
    p, d = a.diagonalize(normalize=True)
    assert {d[0, 0], d[1, 1]} == {sp.Rational(1, 2), sp.Rational(3, 2)}
    theta0 = sp.Matrix([sp.Rational(1, 3), -1])
    for kk in range(1, 5):  # SymPy's log(−1/2) = log(1/2) + iπ, the branch of docs/theory/principal-flow.md
        flow = p * sp.diag(*[sp.exp(kk * sp.log(1 - d[i, i])) for i in range(2)]) * p.T * theta0
        assert_zero(flow - (sp.eye(2) - a) ** kk * theta0, f"matrix PF at t = {kk}η")
    page.text("Checked in matrix form for A = [[1, ½], [½, 1]], η = 1 (ηλ = ½ and 3/2, the second in "
              "the oscillating regime): exp(k log(I − ηA)) θ0 = (I − ηA)^k θ0 for k = 1…4.")
    return page


if __name__ == "__main__":
    derive().write(Path(__file__).with_suffix(".md"))
