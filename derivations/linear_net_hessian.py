"""The Hessian of ½‖W2W1 − M‖²_F on its manifold of minima, λ1 there, and its minimum 2σ1(M)."""

from pathlib import Path

import mpmath
import sympy as sp

from toymodels.derivation import Page, assert_zero

DIGITS = 50


def _matrix(name, rows, cols):
    return sp.Matrix(rows, cols, sp.symbols(f"{name}_1:{rows * cols + 1}", real=True))


def _top_eigenvalue(matrix):
    """The largest eigenvalue of a symmetric rational matrix, to DIGITS digits (mpmath)."""
    with mpmath.workdps(DIGITS + 20):
        exact = [[mpmath.mpf(int(e.p)) / int(e.q) for e in row] for row in sp.Matrix(matrix).tolist()]
        return max(mpmath.eigsy(mpmath.matrix(exact), eigvals_only=True))


def _sigma_max_squared(matrix):
    return _top_eigenvalue(matrix.T * matrix)


def _assert_digits(a, b, what):
    with mpmath.workdps(DIGITS + 20):
        if abs(a - b) > mpmath.mpf(10) ** (-DIGITS) * max(1, abs(b)):
            raise AssertionError(f"{what}: {a} != {b} to {DIGITS} digits")


def derive() -> Page:
    page = Page("Two-layer linear network ½‖W2W1 − M‖²_F: Hessian on Γ, λ1 and its minimum 2σ1(M)",
                "Mulayoff & Michaeli, ICML 2020, arXiv:2002.04710 (flat minima of linear networks); Arora, "
                "Cohen, Hazan, ICML 2018, arXiv:1802.06509, and Du, Hu, Lee, NeurIPS 2018, arXiv:1806.00900 "
                "(balancedness); docs/theory/manifold.md")
    w1, w2, m = _matrix("a", 2, 2), _matrix("b", 2, 2), _matrix("m", 2, 2)
    params = list(w1) + list(w2)
    residual = w2 * w1 - m
    loss = sum(residual.applyfunc(lambda e: e**2)) / 2

    page.text("Sizes 2×2×2 (d = 8), W1 = (a_ij), W2 = (b_ij), M = (m_ij) symbolic. Gradient flow conserves "
              "every entry of W1W1ᵀ − W2ᵀW2 (its gradient is orthogonal to ∇L):")
    balance = w1 * w1.T - w2.T * w2
    grad = sp.Matrix([sp.diff(loss, p) for p in params])
    for i, j in ((0, 0), (0, 1), (1, 1)):
        assert_zero((sp.Matrix([sp.diff(balance[i, j], p) for p in params]).T * grad)[0],
                    f"∇(W1W1ᵀ − W2ᵀW2)_{i + 1}{j + 1}·∇L")
    page.equation(r"\nabla (W_1W_1^\top - W_2^\top W_2)_{ij}\cdot\nabla L", 0,
                  "Three quantities (the upper triangle) against d − 4 = 4 directions along Γ = {W2W1 = M}: they "
                  "do not pin the limit map Φ, which toymodels finds by integrating gradient flow.")

    page.text("On Γ the residual vanishes, so ∇²L = JᵀJ with J the Jacobian of θ ↦ W2W1, "
              "J(dW1, dW2) = dW2 W1 + W2 dW1:")
    jac = (w2 * w1).reshape(4, 1).jacobian(params)
    hess_on_gamma = sp.hessian(loss, params).subs(dict(zip(m, w2 * w1)))
    assert_zero(hess_on_gamma - jac.T * jac, "∇²L on Γ = JᵀJ")
    page.equation(r"\nabla^2 L\big|_{\Gamma}", r"J^\top J,\quad J(dW_1, dW_2) = dW_2\,W_1 + W_2\,dW_1")

    page.text("λ1 = max ‖dW2 W1 + W2 dW1‖²_F over ‖dW1‖² + ‖dW2‖² = 1. By the triangle inequality and "
              "Cauchy–Schwarz it is at most σmax(W1)² + σmax(W2)², with equality at dW2 = α p u1ᵀ, "
              "dW1 = β q v1ᵀ, (α, β) ∝ (σmax(W1), σmax(W2)), where W1ᵀu1 = σmax(W1)v1 and W2q = σmax(W2)p. Checked to "
              f"{DIGITS} digits (mpmath) at points of Γ for random rational W1, W2 (M = W2W1):")
    rng = sp.Rational
    points = [((rng(3, 2), rng(-1, 3), rng(2, 5), rng(7, 4)), (rng(1, 2), rng(5, 3), rng(-6, 5), rng(2, 7))),
              ((rng(-2), rng(1, 7), rng(3), rng(1, 2)), (rng(4, 9), rng(-1), rng(5, 2), rng(3, 11)))]
    for a_values, b_values in points:
        subs = dict(zip(list(w1) + list(w2), a_values + b_values))
        with mpmath.workdps(DIGITS + 20):  # the sum at the working precision, not mpmath's default
            _assert_digits(_top_eigenvalue((jac.T * jac).subs(subs)),
                           _sigma_max_squared(w1.subs(subs)) + _sigma_max_squared(w2.subs(subs)),
                           "λ1(JᵀJ) = σmax(W1)² + σmax(W2)²")
    page.equation(r"\lambda_1\big|_{\Gamma}", r"\sigma_{\max}(W_1)^2 + \sigma_{\max}(W_2)^2")

    page.text("With s = σmax(W1), t = σmax(W2) and st ≥ σmax(W2W1) = σ1(M) (submultiplicativity):")
    s, t, sigma1 = sp.symbols("s t sigma_1", positive=True)
    assert_zero((s**2 + t**2 - 2 * sigma1) - ((s - t) ** 2 + 2 * (s * t - sigma1)), "λ1 − 2σ1 as a sum")
    page.equation(r"\lambda_1 - 2\sigma_1(M)", r"(s - t)^2 + 2\,(st - \sigma_1(M)) \;\ge\; 0",
                  "so λ1 ≥ 2σ1(M), with equality exactly when s = t = √σ1(M): the top singular path carries "
                  "the same gain in both layers. The other paths may stay unbalanced.")

    page.text("Attained: M = diag(4, 1), Q the rotation [[3/5, −4/5], [4/5, 3/5]], W1 = Q diag(2, g), "
              "W2 = diag(2, 1/g) Qᵀ. The top path has gain 2 = √σ1 in each layer; the second path has gains "
              "g and 1/g, unbalanced for g ≠ 1. For 1/2 ≤ g ≤ 2, λ1 = 8 = 2σ1(M) exactly:")
    q = sp.Matrix([[rng(3, 5), rng(-4, 5)], [rng(4, 5), rng(3, 5)]])
    for g in (rng(3, 2), rng(1, 2), rng(2)):
        a_mat, b_mat = q * sp.diag(2, g), sp.diag(2, 1 / g) * q.T
        assert_zero(b_mat * a_mat - sp.diag(4, 1), "W2W1 = M")
        hess = (jac.T * jac).subs(dict(zip(list(w1) + list(w2), list(a_mat) + list(b_mat))))
        assert_zero(sp.Matrix([(hess - 8 * sp.eye(8)).det()]), "8 is an eigenvalue")
        _assert_digits(_top_eigenvalue(hess), mpmath.mpf(8), "λ1 = 2σ1(M) = 8")
    page.equation(r"\lambda_1\big|_{g \in \{1/2,\,3/2,\,2\}}", 8, "while with the top path unbalanced "
                  "(gains 3 and 4/3) λ1 = 9 + 16/9:")
    a_mat, b_mat = q * sp.diag(3, 1), sp.diag(rng(4, 3), 1) * q.T
    hess = (jac.T * jac).subs(dict(zip(list(w1) + list(w2), list(a_mat) + list(b_mat))))
    with mpmath.workdps(DIGITS + 20):
        _assert_digits(_top_eigenvalue(hess), mpmath.mpf(9) + mpmath.mpf(16) / 9, "λ1 at an unbalanced top path")
    page.equation(r"\lambda_1\big|_{\text{gains }3,\,4/3}", sp.Rational(97, 9))
    return page


if __name__ == "__main__":
    derive().write(Path(__file__).with_suffix(".md"))
