"""The researcher's own claims: a theory test in a few lines with the public checks, a claim
module run by `toymodels verify --claims` and `toymodels reproduce --claims` beside the built-in
claims (with its figure), and a cache that never answers an edited claim with a stale verdict."""

import importlib.metadata
import json
import re
from pathlib import Path

import numpy as np
import pytest

from toymodels import figures, report, verify
from toymodels.cache import VerdictCache
from toymodels.cli import main
from toymodels.reproduce import reproduce, run_claims
from toymodels.verify import order, theory

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "depth3_sqrt_flow.py"


@pytest.fixture(autouse=True)
def own_registry(monkeypatch):
    """Claims and figures loaded by a test leave the registries (and the loaded-file record) as they were."""
    monkeypatch.setattr(verify.claim_module, "_REGISTRY", dict(verify.claim_module._REGISTRY))
    monkeypatch.setattr(verify.claim_module, "_LOADED", dict(verify.claim_module._LOADED))
    monkeypatch.setattr(figures, "_FIGURES", dict(figures._FIGURES))


def test_a_theory_test_in_ten_lines():
    # GD on L = λθ²/2 against gradient flow at t = 1: (1 − ηλ)^(1/η) vs e^(−λ), a first-order error
    lam, eta = 2.0, 0.1 / 2.0 ** np.arange(5)
    err = np.abs((1 - eta * lam) ** (1 / eta) - np.exp(-lam))
    check = order("GD vs gradient flow at t = 1", eta, err, expected=1, tol=0.1,
                  provenance=theory("Euler's method has global error O(η)"), alternatives={"order 2": 2})
    check.assert_()
    with pytest.raises(AssertionError, match="measured:.*\n.*expected:  2"):
        order("the same data claimed second order", eta, err, expected=2, tol=0.1).assert_()


def test_the_readme_theory_test_runs_as_written():
    blocks = re.findall(r"```python\n(.*?)\n```", (EXAMPLE.parents[1] / "README.md").read_text(), flags=re.S)
    (snippet,) = [b for b in blocks if "def test_gd_is_first_order_in_eta" in b]
    namespace = {}
    exec(compile(snippet, "README theory test", "exec"), namespace)  # our own documentation, not user input
    namespace["test_gd_is_first_order_in_eta"]()


def test_verify_runs_the_example_claim_from_its_file(capsys):
    assert main(["verify", "--claims", str(EXAMPLE), "mine.*", "--quick", "--json"]) == 0
    (verdict,) = json.loads(capsys.readouterr().out)
    (comparison,) = verdict["comparisons"]
    assert verdict["id"] == "mine.depth3_sqrt_flow" and verdict["passed"]
    assert comparison["provenance"]["kind"] == "calibrated" and "(0.7, 1.5, 1.1)" in comparison["provenance"]["on"]
    assert len(comparison["alternatives"]) == 3 and all(a["rejected"] for a in comparison["alternatives"])


def test_reproduce_reports_the_user_claim_with_its_figure(tmp_path):
    outcome = reproduce(tmp_path, quick=True, patterns=["mine.*", "gd.*"], claim_files=[EXAMPLE], log=lambda *a: None)
    assert outcome.failed == []
    report = (tmp_path / "REPORT.md").read_text()
    assert "### mine.depth3_sqrt_flow\n\n**PASS.**" in report and "### gd.quadratic_stability" in report
    assert f"| defined in | {EXAMPLE} |" in report and "calibrated on the quick sweep from (0.7, 1.5, 1.1)" in report
    assert "| −¼ P⊥∇log λ1 (normalized GD's flow) |" in report
    assert (tmp_path / "figures" / "mine_depth3_sqrt_flow.png").read_bytes()[:4] == b"\x89PNG"


CLAIM = '''
from toymodels.verify import Verdict, claim, match, stated

@claim("mine.edited", "one is one", "a test")
def edited(quick):
    return Verdict([match("one", 1.0, {value}, atol=0.5, provenance=stated("a test"))])
'''


def test_the_cache_keys_a_user_claim_by_its_source(tmp_path):
    path, cache = tmp_path / "mine.py", VerdictCache(tmp_path)

    def run():
        (claim,) = verify.load_claims(path)
        ((verdict, cached),) = run_claims([claim], True, 1, cache, False, log=lambda *a: None).values()
        return verdict, cached

    path.write_text(CLAIM.format(value=1.0))
    assert run()[1] is False and run()[1] is True  # the second run is answered from the cache
    path.write_text(CLAIM.format(value=2.0))  # an edited claim: recomputed, and now it fails
    verdict, cached = run()
    assert not cached and not verdict.passed


def test_a_claim_module_with_a_mistake_gives_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text("from toymodels.verify import claim\n\n@claim('gd.quadratic_stability', 's', 'src')\n"
                   "def clash(quick):\n    pass\n")
    assert main(["verify", "--claims", str(bad)]) == 2
    assert "registered twice" in capsys.readouterr().err
    assert main(["verify", "--claims", str(tmp_path / "nope.txt")]) == 2
    assert "needs a Python file" in capsys.readouterr().err


def test_claims_of_an_installed_package_are_loaded_by_entry_point(tmp_path, monkeypatch):
    (tmp_path / "their_claims.py").write_text(CLAIM.format(value=1.0).replace("mine.edited", "theirs.one"))
    monkeypatch.syspath_prepend(str(tmp_path))
    point = importlib.metadata.EntryPoint("theirs", "their_claims", verify.claim_module.ENTRY_POINT_GROUP)
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [point] if group == point.group else [])
    verify.load_entry_points()
    (claim,) = verify.select(["theirs.*"])
    assert claim.run().passed and claim.source_hash  # outside toymodels: keyed by its source in the cache


def test_the_report_flags_a_verdict_that_rejects_nothing():
    lonely = verify.Verdict([verify.match("one", 1.0, 1.0)], nothing_rejected="a definition, not a hypothesis")
    lines = "\n".join(report.comparison_lines(lonely))
    assert "**Rejects no alternative.** a definition, not a hypothesis" in lines
    assert "rejects no alternative" in lonely.summary
