"""Every derivation script in derivations/ runs: each of its equations is asserted when it does."""

import importlib.util
from pathlib import Path

import pytest

from toymodels.derivation import Page

SCRIPTS = sorted((Path(__file__).parent.parent / "derivations").glob("*.py"))


def load(path):
    spec = importlib.util.spec_from_file_location(f"derivation_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_derivations():
    assert len(SCRIPTS) >= 3


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_derivation_asserts_and_renders(path, tmp_path):
    page = load(path).derive()
    assert isinstance(page, Page) and page.blocks
    page.write(tmp_path / f"{path.stem}.md")
    text = (tmp_path / f"{path.stem}.md").read_text()
    assert text.startswith(f"# {page.title}") and "$$" in text
