"""One quick run of ``toymodels reproduce`` serves every test that needs the claims' verdicts."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from toymodels import claims
from toymodels.cache import VerdictCache
from toymodels.reproduce import Outcome, reproduce


@dataclass
class QuickRun:
    outcome: Outcome
    folder: Path
    verdicts: dict  # claim id -> Verdict, as cached by the run


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory) -> QuickRun:
    """``toymodels reproduce --quick --jobs 2`` into a temporary folder, run once per session."""
    folder = tmp_path_factory.mktemp("quick-report")
    outcome = reproduce(folder, quick=True, jobs=2, log=lambda *args: None)
    cache = VerdictCache(folder / ".toymodels-cache")
    return QuickRun(outcome, folder, {c.id: cache.load(c.id, True) for c in claims.all_claims()})
