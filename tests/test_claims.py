"""Every registered claim passes (quick sizes), and each check rejects a wrong statement."""

import numpy as np
import pytest
import sympy as sp

from toymodels import Model, claims
from toymodels.claims import gd_quadratic, zoo_conformance
from toymodels.errors import UnknownNameError


@pytest.mark.parametrize("claim", claims.all_claims(), ids=lambda c: c.id)
def test_claim_passes(claim, quick_run):
    verdict = quick_run.verdicts[claim.id]
    verdict.assert_()
    as_json = verdict.to_json()
    assert {"id", "passed", "comparisons", "summary"} <= set(as_json)
    for comparison in as_json["comparisons"]:
        assert {"measured", "expected", "tolerance", "provenance", "margin", "alternatives"} <= set(comparison)
        assert comparison["provenance"]["why"]
    assert verdict.rejections, f"{claim.id} rejects no wrong alternative"  # every built-in claim rejects one
    assert claim.source and claim.statement and claim.models
    assert "theory.md" not in claim.source  # the papers are cited, not our notes


def test_select_by_pattern_and_unknown_ids():
    assert [c.id for c in claims.select(["gd.*"])] == ["gd.quadratic_stability"]
    with pytest.raises(UnknownNameError, match="registered claims: .*zoo.conformance"):
        claims.select(["nope.*"])


a, b = sp.symbols("a b", real=True)
TRUE_FACTS = dict(min_loss=0, manifold=[a * b - 1], lambda1_on_manifold=a**2 + b**2, conserved=[a**2 - b**2])


@pytest.mark.parametrize("wrong", [
    {"lambda1_on_manifold": a**2 + 2 * b**2},  # wrong λ1 on Γ
    {"lambda1_on_manifold": 2 * (a**2 + b**2)},  # λ1 of the loss without the ½
    {"min_loss": sp.Rational(1, 10)},  # wrong minimum value
    {"min_loss": 1},  # a stated minimum above sampled values
    {"manifold": [a * b - 2]},  # wrong manifold: ∇L ≠ 0 there
    {"manifold": [a - 1, b - 1]},  # wrong codimension: rank H = 1, not 2
    {"conserved": [a**2 + b**2]},  # not conserved by gradient flow (a² − b² is)
])
def test_conformance_rejects_wrong_facts(wrong):
    right = Model((a * b - 1) ** 2 / 2, [a, b], **TRUE_FACTS)
    assert zoo_conformance.check_entry(right, np.random.default_rng(0))["ok"]
    model = Model((a * b - 1) ** 2 / 2, [a, b], **{**TRUE_FACTS, **wrong})
    assert not zoo_conformance.check_entry(model, np.random.default_rng(0))["ok"]


def test_quadratic_reference_rejects_a_wrong_formula():
    eigs, x0, lr = (3.0, 0.5), np.array([0.4, -0.7]), 0.6
    right = gd_quadratic._closed_form(eigs, np.eye(2), np.zeros(2), x0, lr, 10)
    x = x0.copy()
    for _ in range(10):
        x = x - lr * np.array(eigs) * x
    assert np.max(np.abs(right[-1] - x)) / np.max(np.abs(right)) < gd_quadratic.EXACT_RTOL
    # one step too many, or the loss without the ½ (doubling A), is rejected by ~10 orders
    shifted = gd_quadratic._closed_form(eigs, np.eye(2), np.zeros(2), x0, lr, 11)[1:]
    doubled = gd_quadratic._closed_form(tuple(2 * e for e in eigs), np.eye(2), np.zeros(2), x0, lr, 10)
    for wrong in (shifted, doubled):
        assert np.max(np.abs(wrong[-1] - x)) / np.max(np.abs(right)) > 1e3 * gd_quadratic.EXACT_RTOL


def test_threshold_check_rejects_a_wrong_threshold():
    comparison, rows = gd_quadratic._check_threshold(quick=True)
    comparison.assert_()
    assert [r.name for r in comparison.alternatives if r.rejected] == [
        "ηλmax > 1.9", "ηλmax > 2.1", "ηλmax ≥ 2 (the 2-cycle diverges)"]
    diverged = np.array([r["diverged"] for r in rows])
    ratio = np.array([r["lr·λmax"] for r in rows])
    for wrong_threshold in (1.0, 1.96, 2.04):  # 1/η-style or slightly off thresholds
        assert not np.array_equal(diverged, ratio > wrong_threshold)
