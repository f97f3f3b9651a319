"""σ² of the one-eigenvalue central flow, and δ² = 2α/β on the curved valley."""

from pathlib import Path

import sympy as sp

from toymodels.derivation import Page, assert_zero


def derive() -> Page:
    page = Page("The oscillation variance σ² of the central flow at one edge eigenvalue",
                "Cohen, Damian, Talwalkar, Kolter, Lee, ICLR 2025, arXiv:2410.24206 (one-eigenvalue central "
                "flow); Damian, Nichani, Lee, ICLR 2023, arXiv:2209.15594 (δ² = 2α/β)")
    d = 3
    gl = sp.Matrix(sp.symbols(f"gL_0:{d}", real=True))  # ∇L
    gs = sp.Matrix(sp.symbols(f"gS_0:{d}", real=True))  # ∇S
    s2 = sp.Symbol("sigma2", real=True)
    velocity = -(gl + s2 / 2 * gs)
    page.text("In flow time (one GD step = η), dw/dt = −[∇L + ½σ²∇S] with ∇S = ∇³L[u, u]. Holding the "
              "sharpness on the edge means dS/dt = ⟨∇S, dw/dt⟩ = 0:")
    dS = (gs.T * velocity)[0, 0]
    solution = sp.solve(dS, s2)[0]
    expected = 2 * (-gl.T * gs)[0, 0] / (gs.T * gs)[0, 0]
    assert_zero(solution - expected, "σ² from dS/dt = 0")
    page.equation(r"\sigma^2", r"\frac{2\langle -\nabla L, \nabla S\rangle}{\lVert \nabla S\rVert^2}",
                  "and σ² = max(0, ·): when the flow is leaving the edge downwards no oscillation is needed "
                  "(the k = 1 case of the complementarity problem X ≥ 0, R = ⟨∇S, ∇L⟩ + ½‖∇S‖²X ≥ 0, XR = 0).")
    page.text("Time-averaged loss: L(w + x u) ≈ L(w) + ½Sx² along the oscillation, so its average is "
              "L(w) + ½Sσ² = L(w) + σ²/η on the edge S = 2/η.")

    x, y, z, eps, eta = sp.symbols("x y z epsilon eta", real=True)
    L = (y + z**2 + x) * x**2 / 2 - eps * (x + y + z)
    params = [x, y, z]
    H = sp.hessian(L, params)
    floor = {x: 0}
    assert_zero(H.subs(floor) - sp.diag(y + z**2, 0, 0), "Hessian on the floor x = 0")
    page.equation(r"\nabla^2 L\big|_{x=0}", sp.diag(y + z**2, 0, 0), "on the curved valley "
                  "½(y + z² + x)x² − ε(x + y + z): u = e_x and S = y + z².")
    u = sp.Matrix([1, 0, 0])
    grad_S = sp.Matrix([sum(sp.diff(H[i, j], p) * u[i] * u[j] for i in range(3) for j in range(3)) for p in params])
    grad_L = sp.Matrix([sp.diff(L, p) for p in params]).subs(floor)
    grad_S = grad_S.subs(floor)
    assert_zero(grad_S - sp.Matrix([3, 1, 2 * z]), "∇S on the floor")
    perp = grad_S - u * (u.T * grad_S)[0, 0]
    alpha = -(grad_L.T * perp)[0, 0]
    beta = (perp.T * perp)[0, 0]
    delta2 = sp.simplify(2 * alpha / beta)
    assert_zero(delta2 - 2 * eps * (1 + 2 * z) / (1 + 4 * z**2), "δ² = 2α/β on the floor")
    page.equation(r"\delta^2 = \frac{2\alpha}{\beta}", 2 * eps * (1 + 2 * z) / (1 + 4 * z**2),
                  "with α = −∇L·∇S_⊥, β = ‖∇S_⊥‖², ∇S_⊥ = (0, 1, 2z): the component of ∇S along u (3) "
                  "is removed because the oscillation coordinate x is averaged out.")
    full = sp.simplify(2 * (-grad_L.T * grad_S)[0, 0] / (grad_S.T * grad_S)[0, 0])
    assert_zero(full - 2 * eps * (2 + z) / (5 + 2 * z**2), "σ² with the full ∇S at x = 0")
    page.text(f"With the full ∇S = (3, 1, 2z) at x = 0 the formula would give {sp.latex(full)} instead: the "
              "central flow itself moves x to its quasi-static offset (dx/dt ≈ 0), where its σ² agrees with "
              "δ² to leading order (the claims central.self_stabilization measures |δ²/σ² − 1| ≈ 1e-4 and "
              "reject the full-∇S value).")
    return page


if __name__ == "__main__":
    derive().write(Path(__file__).with_suffix(".md"))
