"""Bad input as a new user types it: a clear package error within a second, never a raw
traceback, a hang, or an option silently ignored (issue: reliability, items 3–7)."""

import subprocess
import sys
import time

import numpy as np
import pytest
import sympy as sp

import toymodels as tm
from toymodels import status
from toymodels.cli import main
from toymodels.errors import ParseError, ToyModelError, UnknownNameError, UnsupportedError

SIM = ["simulate", "two_layer_scalar", "--steps", "3"]


@pytest.mark.parametrize("loss", ["a**(10**10**10)", "9**9**9**9", "(9**999)**999", "1e308**4",
                                  "+".join(["a"] * 900), "(" * 300 + "a" + ")" * 300, "a/0", "2**-5000"])
def test_the_parser_refuses_huge_expressions_at_once(loss):
    start = time.perf_counter()
    with pytest.raises(ParseError):
        tm.Model.from_string(loss, "a")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("argv, message", [
    # item 4: no raw traceback
    (SIM + ["--lr", "0.1", "--x0", "a,b"], "--x0 'a,b': 'a' is not a number"),
    (SIM + ["--lr", "0.1", "--x0", "1,2", "--out", "/proc/run.npz"], "cannot write to the folder /proc"),
    # item 5: no silently ignored option
    (SIM + ["--lr", "0.1", "--x0", "1,2", "--batch-size", "4"], "--batch-size does not apply to the gd optimizer"),
    (SIM + ["--optimizer", "dal", "--lr", "0.1", "--x0", "1,2"], "--lr does not apply to the dal optimizer"),
    (SIM + ["--lr", "0.1", "--x0", "1,2", "--beta", "0.5"], "--beta does not apply to the gd optimizer"),
    (SIM + ["--optimizer", "momentum", "--lr", "0.1", "--x0", "1,2", "--replace"], "--replace does not apply"),
    (["show", "two_layer_scalar", "--loss", "a**2", "--params", "a"], "or --loss, not both"),
    (["show", "--loss", "a**2", "--params", "a", "--param", "y=2"], "--param sets parameters of a zoo model"),
    (["show", "two_layer_scalar", "--min-loss", "0"], "--min-loss belongs to --loss"),
    (["show", "two_layer_scalar", "--derivation", "phi_series"], "drop a model"),
    (SIM + ["--lr", "0.1", "--x0", "1,2,"], "has an empty entry (a stray comma?)"),
    (SIM + ["--lr", "0.1", "--x0", "1,2", "--out", "/nonexistent/dir/run.npz"],
     "the folder /nonexistent/dir does not exist"),
    # item 6: messages that mislead
    (SIM + ["--param", "y=abc", "--lr", "0.1", "--x0", "1,2"], "parameter y takes a number (default 1), got 'abc'"),
    (["show", "--loss", "a**2", "--params", "a", "--min-loss", "abc"], "min_loss must be a real number"),
    # item 3 through the CLI
    (["show", "--loss", "a**(10**10**10)", "--params", "a"], "larger than 1000"),
    (SIM + ["--lr", "0.1", "--x0", "1,2", "--seed", "-1"], "seed must be an integer >= 0"),
])
def test_cli_bad_input_gets_a_clear_error(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_simulate_out_into_a_missing_folder_creates_nothing(tmp_path, capsys):
    target = tmp_path / "typo" / "run.npz"
    assert main(SIM + ["--lr", "0.1", "--x0", "1,2", "--out", str(target)]) == 2
    assert not target.parent.exists()
    assert main(SIM + ["--lr", "0.1", "--x0", "1,2", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_show_into_a_closed_pipe_exits_quietly():
    # `toymodels show ... | head -1`: the reader leaves after one line
    reader = subprocess.Popen(["head", "-1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    shown = subprocess.run([sys.executable, "-m", "toymodels", "show", "tanh_net"], stdout=reader.stdin,
                           stderr=subprocess.PIPE, text=True, timeout=120)
    reader.stdin.close()
    reader.wait()
    assert shown.returncode == 141 and "Traceback" not in shown.stderr and shown.stderr == ""


def test_a_learning_rate_array_must_fit_the_starts():
    m = tm.zoo.get("two_layer_scalar")
    with pytest.raises(ToyModelError, match=r"lr has shape \(2,\), which does not fit the starts' batch shape \(3,\)"):
        tm.simulate(m, tm.optim.GD(np.array([0.1, 0.2])), np.ones((3, 2)), 3)
    with pytest.raises(ToyModelError, match=r"batch shape \(\)"):
        tm.simulate(m, tm.optim.GD(np.array([0.1, 0.2])), [1.0, 2.0], 3)
    run = tm.simulate(m, tm.optim.GD(np.array([0.1, 0.2])), np.ones((2, 2)), 3)  # one per start: fine
    assert run.lr[0].tolist() == [0.1, 0.2]


def test_a_metric_that_was_not_recorded_says_what_was():
    run = tm.simulate(tm.zoo.get("two_layer_scalar"), tm.optim.GD(0.1), [1.0, 2.0], 3, record=["loss"])
    with pytest.raises(UnknownNameError, match=r"'sharpness' was not recorded in this run \(recorded: loss\)"):
        run["sharpness"]


def test_user_symbols_are_accepted_by_name():
    a = sp.Symbol("a")  # no assumptions, unlike the real symbol a params string makes
    m = tm.Model(a**2, "a")
    assert m.params[0].name == "a" and m.numeric.loss([3.0]) == 9.0
    m = tm.Model.from_string("(a*b*c - 1)**2/2", "a b c", manifold=["a*b*c - 1"], min_loss=0,
                             lambda1_on_manifold="b**2*c**2 + a**2*c**2 + a**2*b**2")
    assert m.manifold[0].free_symbols == set(m.params)
    with pytest.raises(ToyModelError, match="unknown name 'd'"):
        tm.Model.from_string("a**2", "a", manifold=["a*d"])
    with pytest.raises(ToyModelError, match=r"uses z, which are not parameters of the model \(parameters: a\)"):
        tm.Model(a**2, "a", manifold=[sp.Symbol("z")])


def test_eigensystem_without_closed_form_says_why():
    with pytest.raises(UnsupportedError, match=r"couples the parameters \(x, y, z, w\) in a block larger than 2x2"):
        tm.zoo.get("zhu_minimal").eigensystem()


def test_a_finished_run_says_finished_and_the_cli_has_tol(capsys):
    run = tm.simulate(tm.zoo.get("two_layer_scalar"), tm.optim.GD(0.1), [1.0, 2.0], 3)
    assert run.status.tolist() == status.FINISHED
    assert main(SIM[:2] + ["--steps", "5000", "--lr", "0.2", "--x0", "2,0.5", "--tol", "1e-6"]) == 0
    out = capsys.readouterr().out
    assert "converged" in out and "status counts: converged 1" in out


def test_the_last_slots_of_a_run_that_stopped_early_record_the_stored_state():
    # momentum at lr 3.9 diverges at step 3; with save_every = 10 the remaining slots hold the
    # last valid state, and their loss must be that state's (it was the previous slot's before)
    m = tm.zoo.get("two_layer_scalar")
    run = tm.simulate(m, tm.optim.Momentum(3.9), np.array([[1.5, 0.5]]), 200, save_every=10)
    assert run.status.tolist() == [status.DIVERGED] and run.stop_step[0] < 10
    np.testing.assert_array_equal(run["loss"][1:], m.numeric.loss(run.x[1:]))
    assert run["loss"][-1, 0] > 1e6


def test_one_status_vocabulary_for_runs_and_solutions():
    sol = tm.integrate(tm.flows.gradient(tm.zoo.get("two_layer_scalar")), np.array([1.0, 2.0]), 1.0)
    run = tm.simulate(tm.zoo.get("two_layer_scalar"), tm.optim.GD(0.1), [1.0, 2.0], 3)
    assert sol.status == run.status == status.FINISHED
    assert set(status.ALL) >= {status.FINISHED, status.CONVERGED, status.DIVERGED, status.SINGULAR}

