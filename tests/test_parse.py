import pytest
import sympy as sp

from toymodels import Model
from toymodels.errors import ModelSpecError, ParseError


def test_parses_exact_rationals_and_functions():
    m = Model.from_string("0.5*(a*b - 1)**2 + log(cosh(a)) + sqrt(b**2 + 1) - pi", params="a b")
    a, b = m.params
    expected = sp.Rational(1, 2) * (a * b - 1) ** 2 + sp.log(sp.cosh(a)) + sp.sqrt(b**2 + 1) - sp.pi
    assert sp.simplify(m.loss - expected) == 0
    assert m.formula.startswith("0.5*")


@pytest.mark.parametrize("text, fragment", [
    ("a.__class__", "attribute access"),
    ("__import__('os')", "dunder"),
    ("a.real", "attribute access"),
    ("open(a)", "unknown function 'open'"),
    ("exp(a, b)", "exactly one positional argument"),
    ("a[0]", "Subscript is not allowed"),
    ("(lambda: 1)()", "only plain function calls"),
    ("a ^ 2", "write '**'"),
    ("a +", "not a valid expression"),
    ("c * a", "unknown name 'c'"),
    ("'text'", "only numbers"),
    ("a if b else 1", "IfExp is not allowed"),
    ("", "empty"),
])
def test_rejects_unsafe_or_invalid_strings(text, fragment):
    with pytest.raises(ParseError, match=None) as info:
        Model.from_string(text, params="a b")
    assert fragment in str(info.value)


def test_bad_symbol_names_are_rejected():
    with pytest.raises(ModelSpecError, match="not a valid symbol name"):
        Model.from_string("a", params="a __b")
    with pytest.raises(ModelSpecError, match="space-separated"):
        Model.from_string("a", params="")


def test_sample_symbols_and_data_through_the_parser():
    m = Model.from_string("(w*x - y)**2/2", params="w", sample_symbols="x y", data=[[1, 2], [2, 4]])
    assert m.n_samples == 2
    assert float(m.numeric.loss([2.0])) == 0.0
