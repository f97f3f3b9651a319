"""Φ, λ1 on Γ and the limiting flows of arora_valley (1 + x²)y², in the coordinate x on Γ = {y = 0}."""

from pathlib import Path

import sympy as sp

from toymodels.derivation import Page, assert_close, assert_zero


POINTS = [(sp.Rational(3, 2), sp.Rational(1, 5)), (sp.Rational(-1, 3), sp.Rational(7, 10)), (2, -1)]


def derive() -> Page:
    page = Page("Flow on the manifold of minima of (1 + x²)y²",
                "Arora, Li, Panigrahi, ICML 2022 (their figure toy), §4–5; docs/theory/manifold.md")
    x, y, T, x0 = sp.symbols("x y T x_0", real=True)
    loss = (1 + x**2) * y**2
    grad = sp.Matrix([sp.diff(loss, x), sp.diff(loss, y)])

    page.text("Gradient flow conserves ln|x| + x²/2 − y²/2, declared in the zoo as its signed "
              "exponential $c = x\\,e^{(x^2 - y^2)/2}$, which is finite at x = 0:")
    c = x * sp.exp((x**2 - y**2) / 2)
    assert_zero(sp.simplify((sp.Matrix([sp.diff(c, x), sp.diff(c, y)]).T * grad)[0]), "∇c·∇L = 0")
    page.equation(r"\nabla\left(x e^{(x^2 - y^2)/2}\right)\cdot\nabla L", 0)

    page.text("So Φ(x, y) = (X, 0) with $X e^{X^2/2} = x\\, e^{(x^2 - y^2)/2}$, i.e. "
              "$X^2 e^{X^2} = x^2 e^{x^2 - y^2}$: $X^2 = W(x^2 e^{x^2 - y^2})$ with W the Lambert function, "
              "X of the sign of x.")
    argument = x**2 * sp.exp(x**2 - y**2)
    phi_x = sp.sqrt(sp.LambertW(argument))
    for xv, yv in POINTS:  # SymPy does not reduce W(z)e^{W(z)}, so the identity is checked to 50 digits
        point = {x: xv, y: yv}
        assert_close((x / abs(x) * phi_x * sp.exp(phi_x**2 / 2)).subs(point), c.subs(point), f"Φ at {point}")
    page.equation(r"\Phi(x, y)", r"\left(\operatorname{sign}(x)\sqrt{W\!\left(x^2 e^{x^2 - y^2}\right)},\ 0\right)",
                  "(c(Φ) = c(x, y) checked to 50 digits at three points).")

    page.text("On Γ = {y = 0} the Hessian is diag(0, 2(1 + x²)), so λ1 = 2(1 + x²) with u1 = (0, 1), "
              "and ∇λ1 = ∇³L[u1, u1] = ∇(∂²L/∂y²):")
    hess = sp.hessian(loss, (x, y)).subs(y, 0)
    assert_zero(hess - sp.diag(0, 2 * (1 + x**2)), "Hessian on Γ")
    d3 = sp.Matrix([sp.diff(sp.diff(loss, y, 2), v) for v in (x, y)]).subs(y, 0)
    assert_zero(d3 - sp.Matrix([4 * x, 0]), "∇³L[u1, u1] on Γ")
    page.equation(r"\nabla\lambda_1 = \nabla^3 L[u_1, u_1]", d3.T, "already tangent to Γ (P^⊥ = diag(1, 0)).")

    page.text("The limiting flows in the coordinate x (T = η²k):")
    lam1 = 2 * (1 + x**2)
    ngd = -sp.Rational(1, 4) * sp.diff(sp.log(lam1), x)
    sqrt_flow = -sp.Rational(1, 8) * sp.diff(lam1, x)
    assert_zero(ngd + x / (2 * (1 + x**2)), "NGD flow")
    assert_zero(sqrt_flow + x / 2, "√L flow")
    page.equation(r"\frac{dx}{dT}\Big|_{\mathrm{NGD}}", -x / (2 * (1 + x**2)))
    page.equation(r"\frac{dx}{dT}\Big|_{\sqrt{L}}", -x / 2)

    page.text("Closed-form solutions from x(0) = x0 > 0 (odd in x0). √L: exponential decay. NGD: "
              "ln x + x²/2 decreases at rate 1/2, so $x(T)^2 = W(x_0^2 e^{x_0^2 - T})$:")
    sqrt_solution = x0 * sp.exp(-T / 2)
    assert_zero(sp.diff(sqrt_solution, T) + sqrt_solution / 2, "√L solution")
    page.equation("x(T)", sqrt_solution, "so $\\lambda_1 = 2(1 + x_0^2 e^{-T})$.")
    invariant = sp.log(x) + x**2 / 2
    assert_zero(sp.simplify(sp.diff(invariant, x) * (-x / (2 * (1 + x**2))) + sp.Rational(1, 2)),
                "d(ln x + x²/2)/dT = −1/2")
    ngd_solution = sp.sqrt(sp.LambertW(x0**2 * sp.exp(x0**2 - T)))
    residual = sp.diff(ngd_solution, T) + ngd_solution / (2 * (1 + ngd_solution**2))
    for xv, tv in ((sp.Rational(3, 2), sp.Rational(1, 3)), (sp.Rational(1, 5), 2), (3, sp.Rational(7, 2))):
        point = {x0: xv, T: tv}
        assert_close(residual.subs(point), 0, f"NGD solution solves the flow at {point}")
        assert_close(ngd_solution.subs({x0: xv, T: 0}), xv, f"NGD solution starts at x0 = {xv}")
    page.equation("x(T)", ngd_solution, "(dx/dT and x(0) checked to 50 digits at three points).")
    return page


if __name__ == "__main__":
    derive().write(Path(__file__).with_suffix(".md"))
