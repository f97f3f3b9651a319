"""Linear-stability thresholds of GD, heavy ball, Nesterov and EMA momentum on a quadratic."""

from pathlib import Path

import sympy as sp

from toymodels.derivation import Page, assert_zero
from toymodels.edges import NAMES, beta, threshold

EXPECTED = {"gd": sp.Integer(2), "heavy_ball": 2 + 2 * beta, "nesterov": (2 + 2 * beta) / (1 + 2 * beta),
            "ema_momentum": (2 + 2 * beta) / (1 - beta)}
TITLES = {"gd": "GD θ ← θ − ηg", "heavy_ball": "heavy ball m ← βm − ηg, θ ← θ + m",
          "nesterov": "Nesterov (PyTorch) v ← βv + g, θ ← θ − η(g + βv)",
          "ema_momentum": "EMA momentum m ← βm + (1 − β)g, θ ← θ − ηP⁻¹m (P frozen; on λ1(P⁻¹H))"}


def derive() -> Page:
    page = Page("Every optimizer's edge: linear-stability thresholds on ½λθ²",
                "Cohen et al., ICLR 2021, arXiv:2103.00065 (GD, 2/η); Cohen et al., arXiv:2207.14484 "
                "(momentum and Adam, (2 + 2β)/((1 − β)η) = 38/η at β = 0.9)")
    page.text("On L = ½λθ² a linear optimizer maps its state z = (θ, m) to A(h, β)z with h = ηλ. Each matrix "
              "below is the Jacobian of the optimizer's own update function in toymodels.optim, applied to "
              "SymPy symbols (toymodels.edges.threshold). An eigenvalue leaves the unit disk through −1 (the "
              "period-2 flip of the edge of stability) where det(A + I) = 0.")
    for name in NAMES:
        t = threshold(name)
        assert_zero(t.h - EXPECTED[name], f"threshold of {name}")
        page.equation(f"A_{{\\text{{{name.replace('_', ' ')}}}}}", t.A, TITLES[name])
        page.equation(r"\det(A + I)", t.flip, "")
        page.equation(r"h^*", t.h, "")
        if name != "gd":
            # below h*, the complex eigenvalues have modulus √β or β < 1: the flip is the first exit
            lam = sp.Symbol("lambda")
            char = sp.expand((t.A - lam * sp.eye(2)).det())
            constant = char.subs(lam, 0)
            page.equation(r"\det A", sp.factor(constant),
                          "the product of the two eigenvalues: when they are complex their modulus is its "
                          "square root, below 1 for β < 1, so they cannot leave the disk before the real flip.")
    assert_zero(EXPECTED["ema_momentum"].subs(beta, sp.Rational(9, 10)) - 38, "38 at β = 0.9")
    page.text("At β = 0.9: heavy ball 3.8, Nesterov 19/14 ≈ 1.357, EMA momentum 38.")
    return page


if __name__ == "__main__":
    derive().write(Path(__file__).with_suffix(".md"))
