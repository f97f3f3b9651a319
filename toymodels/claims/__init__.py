"""Claims: statements from the literature, each an executable check with a verdict.

A :class:`Claim` has an id (``area.name``), a statement, its source, and a function
``check(quick) -> Verdict``. Claims register themselves with :func:`claim` when their module
is imported; :func:`all_claims` lists them and :func:`select` finds them by id or pattern.
"""

import fnmatch
import time
from dataclasses import dataclass, field

from ..errors import UnknownNameError


@dataclass
class Verdict:
    """The outcome of a claim: what was measured against what was expected, and why."""

    passed: bool
    measured: object
    expected: str
    tolerance: str
    tolerance_reason: str
    details: dict = field(default_factory=dict)
    artifacts: dict = field(default_factory=dict, repr=False)
    claim_id: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"id": self.claim_id, "passed": bool(self.passed), "measured": self.measured,
                "expected": self.expected, "tolerance": self.tolerance,
                "tolerance_reason": self.tolerance_reason, "details": self.details,
                "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class Claim:
    """A registered claim: ``run(quick)`` executes it and returns a timed :class:`Verdict`."""

    id: str
    statement: str
    source: str
    check: object
    conventions: str = ""

    def run(self, quick=False) -> Verdict:
        start = time.perf_counter()
        verdict = self.check(quick)
        verdict.claim_id = self.id
        verdict.seconds = time.perf_counter() - start
        return verdict


_REGISTRY: dict[str, Claim] = {}


def claim(id, statement, source, conventions=""):
    """Decorator registering ``check(quick) -> Verdict`` as claim ``id``."""

    def register(check):
        if id in _REGISTRY:
            raise ValueError(f"claim {id!r} is registered twice")
        _REGISTRY[id] = Claim(id, statement, source, check, conventions)
        return check

    return register


def all_claims() -> list[Claim]:
    """Every registered claim, sorted by id."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def select(patterns) -> list[Claim]:
    """Claims whose id equals or matches (shell-style) one of ``patterns``; all if empty."""
    if not patterns:
        return all_claims()
    chosen = [c for c in all_claims() if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)]
    missing = [p for p in patterns if not any(fnmatch.fnmatchcase(c.id, p) for c in all_claims())]
    if missing:
        raise UnknownNameError(f"no claim matches {', '.join(missing)}; registered claims: "
                               f"{', '.join(c.id for c in all_claims())}")
    return chosen


# Importing the claim modules registers them.
from . import gd_quadratic, zoo_conformance  # noqa: E402,F401
