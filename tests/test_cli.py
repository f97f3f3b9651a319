"""The command line, called in-process as a user would call it."""

import json

import numpy as np
import pytest

from toymodels import claims
from toymodels.claims import Claim, Verdict
from toymodels.verify import match
from toymodels.cli import main
from toymodels.trajectory import Trajectory


def test_list_names_every_model(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "two_layer_scalar" in out and "zhu_minimal" in out


def test_show_prints_derivations_and_latex(capsys):
    assert main(["show", "two_layer_scalar", "--param", "y=2"]) == 0
    out = capsys.readouterr().out
    assert "a*b - 2 = 0" in out and "λ1 on Γ: a**2 + b**2" in out and "Hessian" in out
    assert main(["show", "arora_valley", "--latex"]) == 0
    assert r"\left(x^{2} + 1\right)" in capsys.readouterr().out
    assert main(["show", "quadratic", "--param", "eigenvalues=3,1", "--param", "rotation_seed=2"]) == 0


def test_word_parameters_are_read_as_strings(capsys):
    assert main(["show", "linear_regression", "--param", "inputs=uniform", "--param", "n=4"]) == 0
    assert "inputs=uniform" in capsys.readouterr().out
    assert main(["show", "linear_regression", "--param", "inputs=__import__('os')"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_show_custom_loss(capsys):
    assert main(["show", "--loss", "(a*b-1)**2/2", "--params", "a b", "--min-loss", "0"]) == 0
    assert "minimum value: 0" in capsys.readouterr().out


def test_simulate_prints_a_summary_and_writes_the_run(tmp_path, capsys):
    out = tmp_path / "run.npz"
    assert main(["simulate", "two_layer_scalar", "--optimizer", "gd", "--lr", "0.1", "--x0", "2,0.5",
                 "--steps", "50", "--out", str(out)]) == 0
    assert "finished" in capsys.readouterr().out
    run = Trajectory.load(out)
    assert run.x.shape == (51, 2) and np.all(np.isfinite(run.x))
    assert main(["simulate", "linear_regression", "--optimizer", "sgd", "--lr", "0.1",
                 "--batch-size", "4", "--x0", "0,0", "--steps", "20"]) == 0
    assert main(["simulate", "two_layer_scalar", "--optimizer", "dal", "--x0", "2,0.5", "--steps", "20"]) == 0


@pytest.mark.parametrize("argv, message", [
    (["show", "nosuchmodel"], "valid names"),
    (["show", "deep_scalar", "--param", "width=3"], "valid parameters"),
    (["show", "--loss", "a.__class__", "--params", "a"], "attribute access"),
    (["show", "--loss", "__import__('os').system('true')", "--params", "a"], "rejected"),
    (["simulate", "two_layer_scalar", "--lr", "0.1", "--x0", "1,2,3"], "shape (..., 2)"),
    (["simulate", "two_layer_scalar", "--lr", "-0.1", "--x0", "1,2"], "lr must be finite and > 0"),
    (["simulate", "two_layer_scalar", "--optimizer", "lbfgs", "--lr", "0.1", "--x0", "1,2"], "unknown optimizer"),
    (["simulate", "linear_regression", "--optimizer", "sgd", "--lr", "0.1", "--batch-size", "99",
      "--x0", "0,0"], "larger than the dataset"),
    (["simulate", "saddle", "--optimizer", "sqrt_gd", "--lr", "0.1", "--x0", "1,2"], "min_loss"),
    (["verify", "no.such.claim"], "registered claims"),
])
def test_bad_input_gives_a_clear_error_and_exit_status_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_verify_json_reports_verdicts(capsys):
    assert main(["verify", "gd.*", "--json", "--quick"]) == 0
    verdicts = json.loads(capsys.readouterr().out)
    assert [v["id"] for v in verdicts] == ["gd.quadratic_stability"] and verdicts[0]["passed"]


def test_failing_claim_gives_exit_status_1(monkeypatch, tmp_path, capsys):
    failing = Claim("test.fails", "a claim that fails", "nowhere",
                    lambda quick: Verdict([match("one", 1.0, 0.0)]))
    monkeypatch.setitem(claims._REGISTRY, "test.fails", failing)
    assert main(["verify", "test.fails"]) == 1
    assert main(["reproduce", "--only", "test.fails", "--out", str(tmp_path)]) == 1
    assert "FAILED: test.fails" in capsys.readouterr().err


def test_reproduce_writes_the_report(tmp_path, capsys):
    assert main(["reproduce", "--quick", "--only", "gd.*", "--out", str(tmp_path)]) == 0
    assert "every claim passed" in capsys.readouterr().out
    assert "### gd.quadratic_stability\n\n**PASS.**" in (tmp_path / "REPORT.md").read_text()
    assert json.loads((tmp_path / "verdicts.json").read_text())[0]["passed"]
    assert (tmp_path / "figures" / "gd_quadratic_regimes.png").exists()
    assert not list(tmp_path.glob(".*.tmp*"))  # atomic writes leave no temporary files


def test_show_prints_a_derivation(capsys):
    assert main(["show", "--derivation", "phi_series"]) == 0
    assert "# The function φ of the principal flow" in capsys.readouterr().out
    assert main(["show", "--derivation", "phi_series", "--latex"]) == 0
    assert r"\[ \varphi(2) = \frac{i \pi}{2} \]" in capsys.readouterr().out
    assert main(["show", "--derivation", "nope"]) == 2
    assert "available: " in capsys.readouterr().err
