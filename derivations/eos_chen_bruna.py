"""The period-2 orbit of GD on ¼(x² − μ)² (Chen & Bruna 2023) and its stability."""

from pathlib import Path

import sympy as sp

from toymodels.derivation import Page, assert_zero


def derive() -> Page:
    page = Page("Period-2 orbit of GD on ¼(x² − μ)²",
                "Chen & Bruna, 2023 (beyond the edge of stability via two-step updates)")
    x, eta, mu, K = sp.symbols("delta eta mu K", positive=True)

    def step(z):
        return z - eta * z * (z**2 - mu)

    page.text("GD on f(x) = ¼(x² − μ)² is the map g(x) = x − ηx(x² − μ). A period-2 point δ solves "
              "g(g(δ)) = δ without being a fixed point (g(δ) ≠ δ, i.e. δ ∉ {0, ±√μ}).")
    quotient = sp.cancel((step(step(x)) - x) / (step(x) - x))
    symmetric = eta * x**2 - eta * mu - 2
    quartic = eta**2 * x**4 - eta * (eta * mu + 1) * x**2 + 1
    assert_zero(quotient + symmetric * quartic, "factorization of (g∘g(δ) − δ)/(g(δ) − δ)")
    page.equation(r"\frac{g(g(\delta)) - \delta}{g(\delta) - \delta}", -symmetric * quartic,
                  "The first factor is the symmetric orbit δ ↔ −δ (δ² = μ + 2/η); the orbit around √μ "
                  "solves the second.")
    # The second factor is the stated relation, squared: η = 1/(δ²(√(μ/δ² − 3/4) + ½)) means
    # √(μ/δ² − 3/4) = 1/(ηδ²) − ½ with the right-hand side ≥ 0, i.e. ηδ² ≤ 2.
    root = 1 / (eta * x**2) - sp.Rational(1, 2)
    assert_zero((root**2 - (mu / x**2 - sp.Rational(3, 4))) * eta**2 * x**4 - quartic,
                "squared Chen–Bruna relation equals the quartic factor")
    page.equation(r"\eta", 1 / (x**2 * (sp.sqrt(mu / x**2 - sp.Rational(3, 4)) + sp.Rational(1, 2))),
                  "is equivalent to the quartic factor = 0 together with ηδ² ≤ 2 (squaring "
                  "√(μ/δ² − 3/4) = 1/(ηδ²) − ½ gives exactly η²δ⁴ − η(ημ + 1)δ² + 1 = 0).")
    # With u = ηδ² and K = ημ the quartic is u² − (K + 1)u + 1 = 0.
    u = sp.Symbol("u", positive=True)
    assert_zero(quartic.subs(x, sp.sqrt(u / eta)).subs(mu, K / eta) - (u**2 - (K + 1) * u + 1),
                "quartic in u = ηδ², K = ημ")
    roots = sp.solve(u**2 - (K + 1) * u + 1, u)
    larger = max(roots, key=lambda r: r.subs(K, sp.Rational(11, 10)))
    page.text("With u = ηδ² and K = ημ the orbit points solve u² − (K + 1)u + 1 = 0: real and distinct "
              "exactly when K > 1 (discriminant (K + 1)² − 4), with u₁u₂ = 1, u₁ + u₂ = K + 1.")
    # Both points satisfy the branch condition u ≤ 2 iff the larger root is ≤ 2, i.e. K ≤ 3/2.
    assert_zero(larger.subs(K, sp.Rational(3, 2)) - 2, "larger root u = 2 at K = 3/2")
    page.text("The larger root reaches u = 2 at K = 3/2, so for 1 < K ≤ 3/2 both orbit points satisfy "
              "the stated relation (the claim uses 1 < K ≤ 1.121).")
    u1, u2 = roots
    multiplier = sp.expand((1 + K - 3 * u1) * (1 + K - 3 * u2))
    assert_zero(multiplier - (9 - 2 * (K + 1) ** 2), "orbit multiplier")
    page.equation(r"g'(\delta_1)\,g'(\delta_2)", 9 - 2 * (K + 1) ** 2,
                  "using g'(δ) = 1 + K − 3u: the orbit is stable for 1 < K < √5 − 1 ≈ 1.236.")
    return page


if __name__ == "__main__":
    derive().write(Path(__file__).with_suffix(".md"))
