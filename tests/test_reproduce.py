"""`toymodels reproduce`: the report lists every claim, every figure is a valid image, the cache
resumes an interrupted run and distrusts a corrupted entry, and bad input gets a clear error."""

import json
import re

import matplotlib.image
import numpy as np
import pytest

from toymodels import claims, derivation, figures
from toymodels.cache import CorruptCacheWarning
from toymodels.claims import Claim, Verdict
from toymodels.cli import main
from toymodels.errors import InvalidInputError, OutputError, UnknownNameError
from toymodels.mathml import extract_math
from toymodels.reproduce import reproduce
from toymodels.verify import match


def test_the_quick_report_lists_every_claim_with_its_verdict(quick_run):
    assert quick_run.outcome.failed == []
    report = (quick_run.folder / "REPORT.md").read_text()
    html = (quick_run.folder / "report.html").read_text()
    listed = json.loads((quick_run.folder / "verdicts.json").read_text())
    ids = [c.id for c in claims.all_claims()]
    assert [v["id"] for v in listed] == ids
    for claim_id in ids:
        assert f"### {claim_id}\n\n**PASS.**" in report
        assert f"<h3>{claim_id}</h3>" in html
    assert "## Derivations" in report and "<math" in html


def test_every_figure_is_written_as_valid_png_and_pdf(quick_run):
    specs = [s for s in figures.all_figures() if s.claim in quick_run.verdicts]
    assert len(specs) >= 8
    for spec in specs:
        png = quick_run.folder / "figures" / f"{spec.name}.png"
        pdf = quick_run.folder / "figures" / f"{spec.name}.pdf"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        height, width = matplotlib.image.imread(png).shape[:2]
        assert height > 300 and width > 300
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


def test_the_html_report_is_self_contained(quick_run):
    html = (quick_run.folder / "report.html").read_text()
    assert 'src="figures/' not in html and html.count('src="data:image/png;base64,') >= 8
    assert "<script" not in html and 'src="http' not in html and 'href="http' not in html


def test_the_html_report_renders_math_and_sizes_figures_alike(quick_run):
    html = (quick_run.folder / "report.html").read_text()
    assert "<th></th>" not in html  # key–value tables have no empty header row
    assert "MATHPLACEHOLDER" not in html and 'display="inline"' in html  # prose formulas are MathML
    assert "D_f^" not in html and "e^{" not in html  # no raw TeX left in the prose
    widths = [int(w) for w in re.findall(r'src="data:image/png;base64,[^"]+" width="(\d+)"', html)]
    assert len(widths) == html.count("data:image/png") and min(widths) >= 500  # one scale: 100 px per inch


def test_every_derivation_formula_converts_to_mathml():
    for name in derivation.names():
        _, formulas = extract_math(derivation.derive(name).markdown())
        assert formulas and not [f for f in formulas if "<pre>" in f or "<code>" in f], name


@pytest.fixture
def fake_claims(monkeypatch):
    """Two cheap claims; ``calls`` counts their runs and ``interrupt`` makes the second one stop
    the run as Ctrl-C would."""
    state = {"calls": {"test.first": 0, "test.second": 0}, "interrupt": False}

    def check(claim_id):
        def run(quick):
            state["calls"][claim_id] += 1
            if claim_id == "test.second" and state["interrupt"]:
                raise KeyboardInterrupt
            return Verdict([match("one", 1.0, 1.0)], artifacts={"x": np.arange(3.0)})
        return run

    for claim_id in state["calls"]:
        monkeypatch.setitem(claims._REGISTRY, claim_id,
                            Claim(claim_id, "a test claim", "nowhere", check(claim_id), models="none"))
    return state


def test_an_interrupted_run_keeps_the_old_report_and_resumes(tmp_path, fake_claims):
    reproduce(tmp_path, patterns=["test.*"], log=lambda *a: None)
    before = (tmp_path / "REPORT.md").read_text()
    for entry in (tmp_path / ".toymodels-cache").iterdir():
        entry.unlink()
    fake_claims["interrupt"] = True
    with pytest.raises(KeyboardInterrupt):
        reproduce(tmp_path, patterns=["test.*"], log=lambda *a: None)
    assert (tmp_path / "REPORT.md").read_text() == before
    assert not list(tmp_path.rglob(".*.tmp*"))  # no half-written file
    fake_claims["interrupt"] = False
    outcome = reproduce(tmp_path, patterns=["test.*"], log=lambda *a: None)
    assert outcome.failed == []
    assert fake_claims["calls"] == {"test.first": 2, "test.second": 3}  # the first one was not rerun
    assert "(from the cache of an earlier run)" in (tmp_path / "REPORT.md").read_text()


def test_a_corrupted_cache_entry_is_recomputed_with_a_warning(tmp_path, fake_claims):
    reproduce(tmp_path, patterns=["test.first"], log=lambda *a: None)
    (entry,) = (tmp_path / ".toymodels-cache").glob("test.first.full.*.npz")
    entry.write_bytes(b"not an npz file")
    with pytest.warns(CorruptCacheWarning, match="does not match the recorded checksum"):
        reproduce(tmp_path, patterns=["test.first"], log=lambda *a: None)
    assert fake_claims["calls"]["test.first"] == 2
    json_entry = entry.with_suffix(".json")
    json_entry.write_text("{truncated")
    with pytest.warns(CorruptCacheWarning, match="recomputing"):
        reproduce(tmp_path, patterns=["test.first"], log=lambda *a: None)
    assert fake_claims["calls"]["test.first"] == 3


def test_a_claim_that_raises_is_a_failed_verdict_and_exit_status_1(tmp_path, monkeypatch, capsys):
    def broken(quick):
        raise ValueError("a bug")

    monkeypatch.setitem(claims._REGISTRY, "test.broken", Claim("test.broken", "s", "src", broken))
    assert main(["reproduce", "--only", "test.broken", "--out", str(tmp_path)]) == 1
    assert "FAILED: test.broken" in capsys.readouterr().err
    verdict = json.loads((tmp_path / "verdicts.json").read_text())[0]
    assert not verdict["passed"] and "ValueError: a bug" in verdict["details"]["traceback"]
    assert verdict["error"] == "ValueError: a bug"


def test_bad_input(tmp_path, capsys):
    with pytest.raises(UnknownNameError, match="registered claims: .*pf.exact_quadratic"):
        reproduce(tmp_path, patterns=["nope.*"])
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot create the output folder .*--out"):
        reproduce(blocker / "report", patterns=["gd.*"])
    with pytest.raises(InvalidInputError, match="--jobs must be a positive integer"):
        reproduce(tmp_path, jobs=0)
    assert main(["reproduce", "--only", "nope.*", "--out", str(tmp_path)]) == 2
    assert "no claim matches nope.*; registered claims:" in capsys.readouterr().err


def test_the_cache_is_keyed_by_code_version_and_mode(tmp_path, fake_claims, monkeypatch):
    import toymodels.cache as cache_module

    reproduce(tmp_path, patterns=["test.first"], log=lambda *a: None)
    reproduce(tmp_path, patterns=["test.first"], log=lambda *a: None)
    assert fake_claims["calls"]["test.first"] == 1  # the second run used the cache
    reproduce(tmp_path, patterns=["test.first"], quick=True, log=lambda *a: None)
    assert fake_claims["calls"]["test.first"] == 2  # quick and full results are kept apart
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "edited source")
    reproduce(tmp_path, patterns=["test.first"], log=lambda *a: None)
    assert fake_claims["calls"]["test.first"] == 3  # new code: recomputed


def test_a_source_edit_during_the_run_is_not_cached(tmp_path, fake_claims, monkeypatch):
    import toymodels.cache as cache_module

    store = cache_module.VerdictCache(tmp_path, fingerprint="the code at the start")
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "the code after an edit")
    verdict = claims.select(["test.first"])[0].run(quick=False)
    with pytest.warns(CorruptCacheWarning, match="source changed during the run"):
        store.store(verdict, quick=False)
    assert store.load("test.first", False) is None and not list(tmp_path.iterdir())
