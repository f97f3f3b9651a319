"""The k = 2 complementarity solution of the central flow on the codimension-2 valley."""

from pathlib import Path

import sympy as sp

from toymodels.derivation import Page, assert_zero


def derive() -> Page:
    page = Page("Two eigenvalues at the edge: Σ on the codimension-2 valley",
                "Cohen, Damian, Talwalkar, Kolter, Lee, ICLR 2025, arXiv:2410.24206 (central flow with several "
                "eigenvalues at the edge: a semidefinite complementarity problem)")
    x1, x2, y1, y2, y3, eps, eta = sp.symbols("x1 x2 y1 y2 y3 epsilon eta", positive=True)
    s11, s12, s22 = sp.symbols("Sigma11 Sigma12 Sigma22", real=True)
    block = sp.Matrix([[y1, y3 / sp.sqrt(2)], [y3 / sp.sqrt(2), y2]])
    xv = sp.Matrix([x1, x2])
    L = (xv.T * block * xv)[0, 0] / 2 + (x1**3 + x2**3) / 2 - eps * (x1 + 2 * y1 + y2 + y3)
    Sigma = sp.Matrix([[s11, s12], [s12, s22]])
    page.text("L = ½xᵀH[y]x + ½(x₁³ + x₂³) − ε(x₁ + 2y₁ + y₂ + y₃), H[y] = [[y₁, y₃/√2], [y₃/√2, y₂]]. "
              "On the floor x = 0 the Hessian is H[y] ⊕ 0, so Σ lives on the x-block and "
              "⟨H, Σ⟩ = Σ_ij H[y]_ij Σ_ij there.")
    H_x = sp.hessian(L, [x1, x2]).subs({x1: 0, x2: 0})
    assert_zero(H_x - block, "x-block of the Hessian on the floor")
    pairing = sum(H_x[i, j] * Sigma[i, j] for i in range(2) for j in range(2))
    ys = [y1, y2, y3]
    drift = sp.Matrix([-(sp.diff(L, y) + sp.diff(pairing, y) / 2) for y in ys]).subs({x1: 0, x2: 0})
    page.text("The central flow in the valley coordinates: dy/dt = −[∂_yL + ½∂_y⟨H, Σ⟩]. With both "
              "eigenvalues held at 2/η the flow stops (H[y] = (2/η)I is a point), so dy/dt = 0:")
    solution = sp.solve(list(drift), [s11, s12, s22], dict=True)[0]
    closed = sp.Matrix([[4, sp.sqrt(2)], [sp.sqrt(2), 2]]) * eps
    assert_zero(Sigma.subs(solution) - closed, "Σ from dy/dt = 0")
    page.equation(r"\Sigma", closed, "")
    assert_zero(closed.det() - 6 * eps**2, "det Σ")
    page.text("Σ is positive definite (trace 6ε, determinant 6ε²), so the full-rank face of the "
              "complementarity problem holds: X ≻ 0 with R = 0. Independent one-eigenvalue flows would set "
              "Σ₁₂ = 0, which leaves dy₃/dt = ε ≠ 0: they cannot hold the off-diagonal entry y₃ still.")
    assert_zero(drift[2].subs({s12: 0}) - eps, "dy3/dt with Σ12 = 0")
    page.text("At the flow's actual fixed point x is not exactly 0 (x = O(ε) balances the tilt on x₁ and "
              "the cubic terms), which changes Σ by a relative O(ε); the claim central.two_edges measures "
              "it from the exact solver (toymodels.sdcp) at the fixed point.")
    return page


if __name__ == "__main__":
    derive().write(Path(__file__).with_suffix(".md"))
