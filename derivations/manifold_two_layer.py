"""Φ, λ1 on Γ and the limiting flows of two_layer_scalar ½(ab − y)² in the coordinate w = a² − b²."""

from pathlib import Path

import sympy as sp

from toymodels.derivation import Page, assert_zero


def derive() -> Page:
    page = Page("Flow on the manifold of minima of ½(ab − y)²",
                "Arora, Li, Panigrahi, ICML 2022, §4–5; docs/theory/manifold.md")
    a, b, w, w0, T = sp.symbols("a b w w_0 T", real=True)
    t = sp.Symbol("t", positive=True)
    y = sp.Symbol("y", positive=True)
    loss = (a * b - y) ** 2 / 2
    grad = sp.Matrix([sp.diff(loss, v) for v in (a, b)])

    page.text("Gradient flow θ' = −∇L conserves w = a² − b², since ∇w·∇L = 0:")
    grad_w = sp.Matrix([2 * a, -2 * b])
    assert_zero((grad_w.T * grad)[0], "∇(a² − b²)·∇L")
    page.equation(r"\nabla(a^2 - b^2)\cdot\nabla L", 0)

    page.text("So the limit map Φ(a, b) is the point of Γ = {ab = y} with the same w. On the branch "
              "a > 0 (the other is its negative):")
    a_star = sp.sqrt((w + sp.sqrt(w**2 + 4 * y**2)) / 2)
    b_star = y / a_star
    assert_zero(a_star * b_star - y, "Φ lies on ab = y")
    assert_zero(a_star**2 - b_star**2 - w, "Φ keeps w")
    page.equation(r"\Phi(a, b)", sp.Matrix([a_star, b_star]).T, "with w = a² − b² of the start.")

    page.text("On Γ, parametrized by a = t, b = y/t, the Hessian is [[b², y], [y, a²]] (rank 1):")
    on_gamma = {a: t, b: y / t}
    hess = sp.hessian(loss, (a, b)).subs(on_gamma)
    lam = sp.Symbol("lambda")
    charpoly = sp.expand((hess - lam * sp.eye(2)).det())
    lam1 = t**2 + y**2 / t**2
    assert_zero(charpoly - lam * (lam - lam1), "eigenvalues 0 and a² + b² on Γ")
    page.equation(r"\lambda_1", "a^2 + b^2 = \\sqrt{w^2 + 4y^2}", "and λ2 = 0.")
    assert_zero(lam1**2 - ((t**2 - y**2 / t**2) ** 2 + 4 * y**2), "(a² + b²)² = w² + 4y² on Γ")

    page.text("∇λ1 = ∇³L[u1, u1] with the unit normal u1 = (b, a)/√(a² + b²); the tangent space is "
              "spanned by τ = (a, −b), so P^⊥v = (v·τ)τ/|τ|². The tangential part of ∇³L[u1, u1] is "
              "that of ∇(a² + b²):")
    u, v = sp.symbols("u0 u1", real=True)
    uhu = sum(ui * sp.diff(sum(uj * sp.diff(loss, pj) for uj, pj in zip((u, v), (a, b))), pi)
              for ui, pi in zip((u, v), (a, b)))
    normal = sp.Matrix([b, a]) / sp.sqrt(a**2 + b**2)
    d3 = sp.Matrix([sp.diff(uhu, p) for p in (a, b)]).subs({u: normal[0], v: normal[1]})
    tau = sp.Matrix([a, -b])
    grad_lam1 = sp.Matrix([2 * a, 2 * b])
    assert_zero(sp.simplify(((d3 - grad_lam1).T * tau)[0].subs(on_gamma)), "P^⊥∇λ1 = P^⊥∇(a² + b²) on Γ")
    page.equation(r"P^\perp\nabla^3L[u_1, u_1]", r"P^\perp\nabla(a^2 + b^2) \quad\text{on } \Gamma")

    page.text("Along a flow dX/dT = −c P^⊥∇f(λ1), the coordinate w changes at "
              "dw/dT = −c f'(λ1)(∇w·τ)(∇λ1·τ)/|τ|²:")
    rate = {}
    for name, c, f in (("NGD", sp.Rational(1, 4), sp.log(lam)), ("√L", sp.Rational(1, 8), lam)):
        fprime = sp.diff(f, lam).subs(lam, lam1)
        dw = (-c * fprime * (grad_w.T * tau)[0] * (grad_lam1.T * tau)[0] / (tau.T * tau)[0]).subs(on_gamma)
        rate[name] = dw
    w_on = t**2 - y**2 / t**2
    ngd_rate = -w / sp.sqrt(w**2 + 4 * y**2)
    sqrt_rate = -w / 2
    # λ1 = √(w² + 4y²) was asserted above (equal squares, both positive), so −w/λ1 is the rate
    assert_zero(sp.simplify(rate["NGD"] + w_on / lam1), "NGD flow in w")
    assert_zero(sp.simplify(rate["√L"] - sqrt_rate.subs(w, w_on)), "√L flow in w")
    page.equation(r"\frac{dw}{dT}\Big|_{\mathrm{NGD}} = -\tfrac14 \nabla w\cdot P^\perp\nabla\log\lambda_1",
                  ngd_rate)
    page.equation(r"\frac{dw}{dT}\Big|_{\sqrt{L}} = -\tfrac18 \nabla w\cdot P^\perp\nabla\lambda_1", sqrt_rate)

    page.text("Closed forms. The √L flow is linear in w; the NGD flow has the implicit solution "
              "G(w(T)) = G(w0) − T (for w of the sign of w0):")
    sqrt_solution = w0 * sp.exp(-T / 2)
    assert_zero(sp.diff(sqrt_solution, T) - sqrt_rate.subs(w, sqrt_solution), "√L solution")
    page.equation("w(T)", sqrt_solution, "so $\\lambda_1(T) = \\sqrt{w_0^2 e^{-T} + 4y^2}$ decreases to 2y, at a = b.")
    G = sp.sqrt(w**2 + 4 * y**2) + 2 * y * sp.log(w / (2 * y + sp.sqrt(w**2 + 4 * y**2)))
    assert_zero(sp.simplify(sp.diff(G, w) * ngd_rate + 1), "dG/dT = −1 along the NGD flow")
    page.equation("G(w)", G, "(w > 0; for w < 0 use G(|w|)), with dG/dT = −1.")
    return page


if __name__ == "__main__":
    derive().write(Path(__file__).with_suffix(".md"))
