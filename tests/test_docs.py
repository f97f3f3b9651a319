"""The documentation builds with warnings as errors, and every citation of a docs page in the
code points at a page that exists."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for folder in ("toymodels", "derivations", "tests", "benchmarks", "examples", "docs")
           for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md")] + [ROOT / "README.md"]


def test_docs_build_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                             "-d", str(tmp_path / "site")], capture_output=True, text=True,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    page = (tmp_path / "site" / "theory" / "principal-flow.html").read_text(encoding="utf-8")
    assert "<math" in page and "MATHPLACEHOLDER" not in page  # formulas rendered, none left as TeX
    api = (tmp_path / "site" / "api" / "plot.html").read_text(encoding="utf-8")
    assert "toymodels.plot.paths" in api and '<a href="../theory/conventions.html">' in api  # citations link


@pytest.mark.parametrize("page", sorted((ROOT / "docs" / "tutorials").glob("*.md")), ids=lambda p: p.stem)
def test_tutorial_code_runs(page):
    import matplotlib.pyplot as plt

    namespace = {}
    for block in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S):
        exec(compile(block, str(page), "exec"), namespace)  # our own documentation, not user input
    plt.close("all")


def test_every_cited_docs_page_exists():
    cited = {m for p in SOURCES for m in re.findall(r"docs/theory/[\w-]+\.md", p.read_text(encoding="utf-8"))}
    assert cited and all((ROOT / page).exists() for page in cited), sorted(p for p in cited if not (ROOT / p).exists())


def test_nothing_outside_the_claims_cites_the_old_notes():
    old = re.compile(r"(?<![\w/-])theory\.md")  # the notes' file, not in the repository (not test-a-theory.md)
    citing = [p.relative_to(ROOT) for p in SOURCES if old.search(p.read_text(encoding="utf-8"))
              and p.name not in ("test_claims.py", "test_docs.py")]
    assert citing == []
