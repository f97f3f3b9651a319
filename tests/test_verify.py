"""toymodels.verify: each check passes on data that satisfy it, fails on data built to violate
it, and each wrong alternative is rejected on the same data; failures read well in pytest."""

import json

import numpy as np
import pytest

from toymodels import verify
from toymodels.errors import InvalidInputError
from toymodels.verify import (Verdict, at_least, at_most, band, bound, calibrated, match, monotone, order, roundoff,
                              stated, theory, zscore)

ETA = 0.08 / 2.0 ** np.arange(5)


def test_match_passes_fails_and_rejects_a_wrong_value():
    ok = match("x", [1.0, 2.0], [1.0 + 1e-13, 2.0], rtol=1e-12, provenance=roundoff("float64"),
               alternatives={"twice": [2.0, 4.0]})
    assert ok.passed and ok.margin < 0.1 and ok.alternatives[0].rejected and ok.alternatives[0].margin > 1e11
    assert not match("x", [1.0, 2.0], [1.0, 2.1], rtol=1e-3).passed
    assert not match("x", 1.0, 1.0, atol=1e-3, alternatives={"too close": 1.0 + 1e-4}).passed  # not rejected
    flags = match("diverged ⇔ ηλ > 2", np.array([0, 0, 1], bool), np.array([0, 0, 1], bool),
                  alternatives={"ηλ > 1.9": np.array([0, 1, 1], bool)})
    assert flags.passed and flags.alternatives[0].margin == 2  # one disagreement, a half-count tolerance
    assert not match("flags", np.array([0, 1], bool), np.array([0, 0], bool)).passed
    assert not match("nan", np.nan, 1.0, atol=1.0).passed  # a NaN is never within tolerance


def test_order_by_fit_and_by_halving():
    err = 0.3 * ETA * (1 + 0.2 * ETA)
    fit = order("slope", ETA, err, 1, tol=0.1, provenance=theory("next term O(η²)"), alternatives={"order 2": 2})
    assert fit.passed and abs(fit.measured - 1) < 0.05 and fit.alternatives[0].margin > 9
    assert not order("slope", ETA, 0.3 * ETA**2, 1, tol=0.1).passed  # wrong slope
    halving = order("halving", ETA, err, 1, tol=0.1, method="halving", alternatives={"order ½": 0.5})
    assert halving.passed and len(halving.measured) == len(ETA) - 1 and halving.alternatives[0].rejected
    assert not order("halving", ETA, np.sqrt(ETA), 1, tol=0.1, method="halving").passed
    noisy = 0.3 * ETA * np.exp(0.05 * np.random.default_rng(0).standard_normal(len(ETA)))
    ci = order("ci", ETA, noisy, 1)  # tolerance = 95% confidence interval of the fitted slope
    assert ci.provenance.kind == verify.comparison.UNCERTAINTY and ci.passed
    assert not order("ci", ETA, noisy * ETA**0.5, 1).passed
    assert not order("bad", ETA, np.r_[err[:-1], 0.0], 1, tol=0.1).passed  # a zero error has no log


def test_bound_fails_when_exceeded_and_rejects_wrong_errors():
    err = 0.1 * ETA * (1 + np.sin(np.arange(5)) / 3)
    wrong = 0.05 + 0.0 * ETA  # an O(1) error: the wrong flow
    ok = bound("err ≤ Cη", ETA, err, C=0.2, provenance=calibrated("2x err/η", on="other starts"),
               alternatives={"wrong flow": wrong}, reject_by=10)
    assert ok.passed and ok.margin <= 1 and ok.alternatives[0].margin == pytest.approx(0.05 / (0.2 * ETA[-1]))
    assert not bound("err ≤ Cη", ETA, np.r_[err[:-1], 0.2 * ETA[-1] * 1.01], C=0.2).passed  # exceeded once
    assert not bound("inf", ETA, np.r_[err[:-1], np.inf], C=0.2).passed
    assert not bound("weak", ETA, err, C=0.2, alternatives={"small": 2 * err}, reject_by=10).passed


def test_band_with_coverage_and_wrong_centres():
    values = 1 + 0.05 * np.sin(np.arange(200))
    ok = band("hovers at 2/η", values, 1.0, width=0.15, coverage=0.95, provenance=stated("the claim's band"),
              alternatives={"1/η": 0.5, "3/η": 1.5})
    assert ok.passed and all(r.rejected for r in ok.alternatives)
    missed = np.r_[values[:180], np.full(20, 1.3)]  # 10% of the samples outside: coverage 90% < 95%
    assert not band("hovers", missed, 1.0, width=0.15, coverage=0.95).passed
    assert band("hovers", missed, 1.0, width=0.15, coverage=0.9).passed


def test_monotone_with_slack_and_a_rising_alternative():
    values = np.exp(-np.linspace(0, 3, 50))
    wiggly = values * (1 + 0.1 * (np.arange(50) % 2))
    ok = monotone("φ decreases", values, slack=1e-13, alternatives={"λ1 itself": wiggly}, reject_by=1e3)
    assert ok.passed and ok.alternatives[0].rejected
    assert not monotone("φ decreases", wiggly, slack=1e-2).passed
    assert monotone("φ decreases", wiggly, slack=0.2).passed
    assert monotone("rises", values[::-1], increasing=True).passed
    columns = np.stack([values, values[::-1]], axis=-1)
    assert not monotone("each column", columns, slack=1e-12).passed  # axis 0: the second column rises


def test_zscore_and_wrong_predictions():
    ok = zscore("boundary", 1.02, 0.01, 1.0, z=4, alternatives={"other scheme": 1.2, "GD": 1.01})
    assert ok.within and ok.alternatives[0].rejected and not ok.alternatives[1].rejected and not ok.passed
    assert not zscore("boundary", 1.1, 0.01, 1.0).passed
    assert zscore("arrays", [1.0, 2.0], [0.1, 0.1], [1.05, 1.95]).passed


def test_at_most_and_at_least():
    assert at_most("gap", 1e-4, 1e-3, alternatives={"stuck": 0.2}).passed
    assert not at_most("gap", 2e-3, 1e-3).passed
    assert at_least("fraction", 0.95, 0.9, alternatives={"IGR best": 0.05}).passed
    assert not at_least("fraction", 0.85, 0.9).passed and not at_least("negative", -1.0, 0.0).passed
    assert at_least("positive", [0.1, 2.0], 0.0).passed and not at_least("zero", [0.0, 1.0], 0.1).passed


def test_failed_check_message_lists_everything():
    failed = bound("Φ vs flow", ETA, 0.3 * ETA, C=0.2, provenance=theory("O(η)"), alternatives={"¼": 0.1 * ETA})
    with pytest.raises(AssertionError) as info:
        failed.assert_()
    text = str(info.value)
    for word in ("FAIL: Φ vs flow", "measured:", "expected:", "tolerance:", "C = 0.2", "theory: O(η)", "margin:",
                 "wrong alternative '¼'", "NOT rejected"):
        assert word in text
    with pytest.raises(AssertionError, match="FAIL: Φ vs flow"):
        verify.check(match("fine", 1.0, 1.0), failed)


def test_provenance_is_validated():
    with pytest.raises(ValueError, match="calibrated on"):
        verify.Provenance("calibrated", "a constant")
    with pytest.raises(ValueError, match="must be one of"):
        verify.Provenance("chosen until green", "no")
    assert "calibrated on the quick sweep" in str(calibrated("3x", on="the quick sweep"))


def test_verdict_derives_pass_and_round_trips_through_json():
    good, bad = match("a", 1.0, 1.0, alternatives={"2": 2.0}), match("b", 1.0, 2.0)
    assert Verdict([good]).passed and not Verdict([good, bad]).passed and not Verdict([]).passed
    assert not Verdict([good], error="ValueError: a bug").passed
    verdict = Verdict([good, bad], details={"x": np.arange(3)}, claim_id="t.x")
    data = json.loads(json.dumps(verdict.to_json()))
    again = Verdict.from_json(data)
    assert again.comparisons == verdict.comparisons and again.summary == verdict.summary
    assert "1/2 within tolerance" in verdict.summary and "1/1 wrong alternatives rejected" in verdict.summary
    assert "rejects no alternative" in Verdict([bad]).summary
    with pytest.raises(AssertionError, match="FAIL: b"):
        verdict.assert_()


def test_shared_run_is_computed_once_per_arguments():
    calls = []

    @verify.shared_run("test run")
    def expensive(x, quick=False):
        calls.append(x)
        return x * 2

    assert expensive(2) == expensive(2) == 4 and expensive(3) == 6 and calls == [2, 3]
    expensive.clear()
    assert expensive(2) == 4 and calls == [2, 3, 2] and expensive.name == "test run"
    a = verify.Claim("a.x", "", "", None, uses=("r1",))
    b = verify.Claim("b.x", "", "", None, uses=("r1", "r2"))
    c = verify.Claim("c.x", "", "", None, uses=("r2",))
    d = verify.Claim("d.x", "", "", None)
    assert sorted(verify.groups([a, d, c, b])) == [["a.x", "b.x", "c.x"], ["d.x"]]


USER_CLAIM = '''
from toymodels.verify import Verdict, claim, match, stated

@claim("user.{name}", "one equals one", "a test")
def check(quick):
    return Verdict([match("one", 1.0, {value}, atol=0.1, provenance=stated("exact"))])
'''


def test_a_user_module_registers_claims_with_its_source_hash(tmp_path, monkeypatch):
    monkeypatch.setattr(verify.claim_module, "_REGISTRY", dict(verify.claim_module._REGISTRY))
    path = tmp_path / "mine.py"
    path.write_text(USER_CLAIM.format(name="one", value=1.0))
    (loaded,) = verify.load_claims(path)
    assert loaded.id == "user.one" and loaded.origin == str(path.resolve()) and len(loaded.source_hash) == 64
    assert verify.load_claims(path) == [loaded] and loaded.run().passed
    bad = tmp_path / "broken.py"
    bad.write_text("raise RuntimeError('oops')")
    with pytest.raises(InvalidInputError, match="cannot load claims from .*RuntimeError: oops"):
        verify.load_claims(bad)
    with pytest.raises(InvalidInputError, match="Python file"):
        verify.load_claims(tmp_path / "missing.py")
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1")
    with pytest.raises(InvalidInputError, match="defines no claim"):
        verify.load_claims(empty)


def test_json_of_complex_and_non_finite_values():
    comparison = match("φ(2)", np.array([1j * np.pi / 2]), np.array([1j * np.pi / 2]), atol=1e-15,
                       data={"worst": np.inf, "value": 0.5 + 1j})
    text = json.dumps(comparison.to_json())
    assert '"inf"' in text and "(0.5+1j)" in text and comparison.passed
