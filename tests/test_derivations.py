"""Every derivation script in derivations/ runs: each of its equations is asserted when it does."""

import pytest

from toymodels import derivation
from toymodels.errors import UnknownNameError


def test_there_are_derivations():
    assert len(derivation.names()) >= 3


@pytest.mark.parametrize("name", derivation.names())
def test_derivation_asserts_and_renders(name, tmp_path):
    page = derivation.derive(name)
    assert isinstance(page, derivation.Page) and page.blocks
    page.write(tmp_path / f"{name}.md")
    text = (tmp_path / f"{name}.md").read_text()
    assert text.startswith(f"# {page.title}") and "$$" in text


def test_assertions_can_fail():
    import sympy as sp

    x = sp.Symbol("x")
    derivation.assert_zero((x + 1) ** 2 - x**2 - 2 * x - 1, "a true identity")
    with pytest.raises(AssertionError, match="expected 0"):
        derivation.assert_zero((x + 1) ** 2 - x**2 - 1, "a false identity")
    with pytest.raises(AssertionError, match="to 50 digits"):
        derivation.assert_close(sp.pi, sp.Rational(355, 113), "π")


def test_unknown_derivation_lists_the_available_ones():
    with pytest.raises(UnknownNameError, match="available: .*phi_series"):
        derivation.derive("nope")
