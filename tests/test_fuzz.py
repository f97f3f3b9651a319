"""Property-based fuzzing of the parser, the model constructor and the command line (hypothesis):
over a thousand generated loss strings, parameter lists and argument vectors. Each must end in
a result or a package error (ToyModelError, or argparse's usage error) within 2 seconds, never
in a traceback from elsewhere, and the CLI writes no file except at its --out path."""

import signal
import string
from contextlib import contextmanager
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import toymodels as tm
from toymodels.cli import main
from toymodels.errors import ToyModelError
from toymodels.parse import parse_expression

#: Seconds an example may take (the issue's bound on a hang).
LIMIT = 2.0


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds=LIMIT):
    """Raise Hang if the block runs longer than ``seconds`` (checked between Python bytecodes)."""
    def expired(signum, frame):
        raise Hang(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


NAMES = ["a", "b", "c", "x", "y", "w1", "theta", "q", "pi", "E", "__import__", "os", "exp", "lambda_"]
FUNCTIONS = ["exp", "log", "sqrt", "sin", "cos", "tanh", "abs", "logcosh", "eval", "open", "getattr",
             "__import__", "print"]
NUMBERS = st.one_of(st.integers(-10**6, 10**6).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.sampled_from(["10**10**10", "9**9**9", "1e308", "1e-320", "0", "0.0", "2**64", "1_000",
                                     "0x1f", "1j", "True", "None", "'s'", "...", "[1]"]))
ATOMS = st.one_of(NUMBERS, st.sampled_from(NAMES))


def _combine(children):
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "^", "%", "//", "@", "<", "and",
                                                   "if", ","]), children).map(lambda t: f"{t[0]} {t[1]} {t[2]}")
    call = st.tuples(st.sampled_from(FUNCTIONS), st.lists(children, max_size=2)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})")
    unary = st.tuples(st.sampled_from(["-", "+", "~", "not "]), children).map("".join)
    other = st.one_of(children.map(lambda c: f"({c})"), children.map(lambda c: f"{c}.__class__"),
                      children.map(lambda c: f"{c}[0]"), children.map(lambda c: f"lambda: {c}"))
    return st.one_of(binary, call, unary, other)


EXPRESSIONS = st.recursive(ATOMS, _combine, max_leaves=12)
LOSS_STRINGS = st.one_of(EXPRESSIONS, st.text(max_size=40), st.text(alphabet="ab*()+-/.0123456789e ", max_size=30))
PARAM_LISTS = st.lists(st.sampled_from(NAMES + ["1a", "a-b", "", " ", "for", "a a", "ü", "a.b"]), max_size=4).map(" ".join)


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=LOSS_STRINGS)
def test_the_parser_returns_an_expression_or_a_parse_error(text):
    symbols = {n: sp.Symbol(n, real=True) for n in ("a", "b", "c", "x", "y")}
    with time_limit():
        try:
            result = parse_expression(text, symbols)
        except ToyModelError:
            return
    assert isinstance(result, sp.Expr) and result.free_symbols <= set(symbols.values())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(EXPRESSIONS, LOSS_STRINGS), params=PARAM_LISTS,
       manifold=st.one_of(st.none(), st.lists(EXPRESSIONS, max_size=2)), min_loss=st.one_of(st.none(), ATOMS))
def test_model_from_string_builds_a_model_or_says_what_is_wrong(text, params, manifold, min_loss):
    with time_limit():
        try:
            model = tm.Model.from_string(text, params, manifold=manifold, min_loss=min_loss)
        except ToyModelError:
            return
    assert model.dim >= 1 and isinstance(model.loss, sp.Expr)


MODELS = ["two_layer_scalar", "quadratic", "saddle", "rosenbrock", "double_well", "nosuch", ""]
WORDS = st.one_of(st.sampled_from(["0.1", "-1", "0", "1e9", "nan", "inf", "1,2", "1,2,", ",", "a,b", "2,0.5,1",
                                   "abc", "", "none", "y=2", "y=abc", "eigenvalues=3,1", "center=1",
                                   "__import__('os')", "1e400", "10**10"]), st.text(max_size=8))
OPTIONS = {
    "--lr": WORDS, "--x0": WORDS, "--steps": st.sampled_from(["0", "5", "-3", "x", "50"]),
    "--optimizer": st.sampled_from(["gd", "ngd", "sqrt_gd", "sgd", "dal", "momentum", "adam"]),
    "--batch-size": WORDS, "--p": WORDS, "--lr-max": WORDS, "--beta": WORDS, "--seed": WORDS,
    "--save-every": st.sampled_from(["1", "0", "7", "x"]), "--tol": WORDS, "--record": st.sampled_from(
        ["loss", "loss,sharpness", "nope", "", ",", "grad_norm,"]),
    "--param": WORDS, "--loss": LOSS_STRINGS, "--params": PARAM_LISTS, "--min-loss": WORDS,
    "--derivation": st.sampled_from(["phi_series", "nope", ""]),
    "--backend": st.sampled_from(["numpy", "jax", "auto", "torch", ""]),
}
FLAGS = ["--replace", "--latex", "--json", "--quick", "--help"]


@st.composite
def argument_vectors(draw):
    if draw(st.integers(0, 2)) == 0:  # a valid run with one or two options changed or added
        argv = ["simulate", draw(st.sampled_from(MODELS[:5])), "--lr", "0.1", "--x0", "1,2", "--steps", "5"]
        for _ in range(draw(st.integers(1, 2))):
            option = draw(st.sampled_from(sorted(OPTIONS)))
            argv += [option, draw(OPTIONS[option])]
        return argv
    command = draw(st.sampled_from(["show", "simulate", "simulate", "verify", "reproduce", "list", "bogus"]))
    argv = [command]
    if command in ("show", "simulate") and draw(st.booleans()):
        argv.append(draw(st.sampled_from(MODELS)))
    # claim patterns that match no claim: running real claims takes longer than the bound, by design
    patterns = st.text(alphabet=string.ascii_lowercase + "._", max_size=10).map(lambda t: "zz" + t)
    if command == "verify":
        argv += draw(st.lists(patterns, min_size=1, max_size=2))
    if command == "reproduce":
        argv += ["--only", draw(patterns)]
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.integers(0, 4)) == 0:
            argv.append(draw(st.sampled_from(FLAGS)))
        else:
            option = draw(st.sampled_from(sorted(OPTIONS)))
            argv += [option, draw(OPTIONS[option])]
    return argv


def _files(folder):
    return {p.relative_to(folder) for p in Path(folder).rglob("*") if p.is_file()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(argv=argument_vectors(), out=st.sampled_from([None, "run.npz", "sub/run.npz", "report"]))
def test_the_cli_never_shows_a_traceback_hangs_or_writes_elsewhere(argv, out, tmp_path_factory, monkeypatch, capsys):
    work = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(work)
    if out is not None and argv[0] in ("simulate", "reproduce"):
        argv = [*argv, "--out", out]
    with time_limit():
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse: usage errors (2) and --help (0)
            code = exit_.code
    event(f"{argv[0]} exit {code}")
    assert code in (0, 1, 2), (argv, code)
    err = capsys.readouterr().err
    assert "Traceback" not in err, (argv, err)
    written = _files(work)
    allowed = {Path(out)} if out is not None and out.endswith(".npz") else set()
    assert all(p in allowed or (out is not None and p.parts[0] == out) for p in written), (argv, written)
