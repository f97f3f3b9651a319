"""The README's commands are what CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    return re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_starts_with_the_two_commands():
    reproduce, tests = _readme_commands()[:2]
    assert reproduce.endswith("toymodels reproduce")
    assert tests.endswith("pytest")


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _readme_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_every_package_folder_is_installed():
    pyproject = (ROOT / "pyproject.toml").read_text()
    listed = set(re.findall(r'"(toymodels[\w.]*)"', pyproject.split("packages = [")[1].split("]")[0]))
    folders = {"toymodels." + ".".join(p.parent.relative_to(ROOT / "toymodels").parts)
               for p in (ROOT / "toymodels").rglob("__init__.py")}
    folders = {f.rstrip(".") for f in folders} | {"toymodels.derivations"}
    assert folders == listed


def test_readme_quickstart_runs(capsys):
    quickstart = re.findall(r"```python\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S)[0]
    import matplotlib.pyplot as plt

    namespace = {}
    exec(compile(quickstart, "README quickstart", "exec"), namespace)  # our own documentation, not user input
    out = capsys.readouterr().out
    assert "sharpness × lr: 1.98" in out and "PF  error per step" in out
    # the two one-call figures: GD, IGR and the PF over the contours; the sharpness against 2/η
    labels = [t.get_text() for t in namespace["ax"].legend().get_texts()]
    assert labels[:2] == ["minima Γ", "GD"] and labels[2] == "IGR flow" and labels[3].startswith("principal flow")
    assert any(line.get_label() == "2/η = 4" for line in namespace["axes"][0].get_lines())
    plt.close("all")


def test_readme_lists_every_claim_and_zoo_entry():
    from toymodels import claims, zoo

    readme = (ROOT / "README.md").read_text()
    assert all(f"`{c.id}`" in readme for c in claims.all_claims())
    assert all(f"`{name}`" in readme for name in zoo.names())
