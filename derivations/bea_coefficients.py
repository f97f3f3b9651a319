"""The backward-error-analysis coefficients of GD up to order 3, checked three ways."""

from pathlib import Path

import sympy as sp

from toymodels import Model
from toymodels.derivation import Page, assert_zero
from toymodels.flows import bea_coefficients

ORDER = 3


def scalar_bea_by_quadrature(order):
    """An independent derivation in 1-D. The exact time-h flow Φ of y' = F(y) satisfies
    ∫_y^Φ dz/F(z) = h. With Φ = y + h f (one Euler step, f = −L') and 1/F(y + s) Taylor-expanded
    in s, this reads Σ_m (h f)^{m+1}/(m+1)! · ∂_y^m(1/F)(y) = h. Writing F = f + h g_1 + h² g_2 + …
    and 1/F = Σ_k h^k b_k (b_0 = 1/f, b_k = −b_0 Σ_{i=1..k} g_i b_{k−i}), the coefficient of
    h^{n+1} is linear in g_n, which fixes it."""
    y = sp.Symbol("y")
    f = -sp.Function("L")(y).diff(y)
    g = [f]
    for n in range(1, order + 1):
        unknown = sp.Symbol("g_n")
        series = g + [unknown]
        inverse = [1 / f]
        for k in range(1, n + 1):
            inverse.append(-inverse[0] * sum(series[i] * inverse[k - i] for i in range(1, k + 1)))
        # terms of total power h^{n+1}: m + 1 + k = n + 1
        equation = sum(f ** (m + 1) / sp.factorial(m + 1) * sp.diff(inverse[n - m], y, m)
                       for m in range(n + 1))
        g.append(sp.solve(equation, unknown)[0])
    return y, g[1:]


def derive() -> Page:
    page = Page("Modified flows of GD by backward error analysis",
                "Hairer, Lubich, Wanner, Geometric Numerical Integration, §IX.1; Barrett & Dherin, "
                "ICLR 2021; Rosca et al., TMLR 2023")
    page.text("GD is explicit Euler on θ' = −∇L. toymodels derives the modified field "
              "$f_\\eta = f_0 + \\eta f_1 + \\eta^2 f_2 + \\dots$ by matching the Lie series of its time-η flow, "
              "$\\theta + \\sum_{j \\ge 1} (\\eta^j/j!)\\, D_f^{j-1} f$, to θ − η∇L order by order "
              "(toymodels.flows.bea_coefficients). Three independent checks follow.")

    # 1. Known vector formulas on a generic cubic in two variables.
    a, b = sp.symbols("a b")
    coeffs = sp.symbols("k0:10")
    monomials = [a**i * b**j for i in range(4) for j in range(4 - i)][:10]
    generic = Model(sum(c * m for c, m in zip(coeffs, monomials)) + a**4 + b**4, [a, b], constants=coeffs)
    f0, f1, f2 = bea_coefficients(generic, 2)
    g, hess = generic.grad, generic.hess
    assert_zero(f1 + hess * g / 2, "order 1 (IGR)")
    assert_zero(f2 + hess * hess * g / 3 + generic.d3(list(g), list(g)) / 12, "order 2")
    page.text("**Vector formulas** (asserted on a quartic in two variables with ten symbolic "
              "coefficients):")
    page.equation("f_1", r"-\tfrac{1}{2} H \nabla L", "the IGR flow of Barrett & Dherin;")
    page.equation("f_2", r"-\tfrac{1}{3} H^2 \nabla L - \tfrac{1}{12} \nabla^3 L[\nabla L, \nabla L]",
                  "the third-order flow of Rosca et al.")

    # 2. Principal terms: on a generic quadratic every f_p equals −H^p ∇L/(p + 1), the series of φ.
    entries = sp.symbols("A11 A12 A22")
    quad = Model((entries[0] * a**2 + 2 * entries[1] * a * b + entries[2] * b**2) / 2, [a, b], constants=entries)
    for p, f in enumerate(bea_coefficients(quad, ORDER)):
        assert_zero(f + quad.hess**p * quad.grad / (p + 1), f"principal coefficient of order {p}")
    page.text(f"**Principal terms.** On a quadratic with a generic symmetric A, "
              f"$f_p = -H^p \\nabla L/(p + 1)$ for p = 0…{ORDER}: the coefficients of "
              "$-\\sum_p \\eta^p H^p \\nabla L/(p + 1) = \\varphi(\\eta H)\\nabla L$, the principal flow.")

    # 3. The scalar case, derived independently by quadrature, up to order 3.
    theta = sp.Symbol("theta")
    scalar = Model(sp.Function("L")(theta), [theta])
    y, by_quadrature = scalar_bea_by_quadrature(ORDER)
    ours = bea_coefficients(scalar, ORDER)
    function = sp.Function("L")(theta)
    readable = {function.diff(theta, k): sp.Symbol("L" + "'" * k) for k in range(6, 0, -1)}
    for n in range(1, ORDER + 1):
        assert_zero(ours[n][0].subs(theta, y) - by_quadrature[n - 1], f"scalar order {n}")
        page.equation(f"f_{n}", sp.factor(sp.expand(ours[n][0]).subs(readable)),
                      "" if n < ORDER else "(1-D, L a generic function; identical to the "
                      "coefficients obtained independently from ∫ dz/F(z) = h.)")
    return page


if __name__ == "__main__":
    derive().write(Path(__file__).with_suffix(".md"))
