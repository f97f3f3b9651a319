"""Claims: statements from the literature, each an executable check with a verdict.

A :class:`Claim` has an id (``area.name``), a statement, its source, the models it runs on,
and a function ``check(quick) -> Verdict``. Claims register themselves with :func:`claim` when
their module is imported (every module of this package is imported below);
:func:`all_claims` lists them and :func:`select` finds them by id or pattern.

A verdict's ``artifacts`` are the runs behind it, as a flat dict of NumPy arrays keyed by
names such as ``"two_layer_scalar/gd_x"``: figures are drawn from them (never from a second
simulation) and the cache of ``toymodels reproduce`` stores them in an ``.npz`` file.
"""

import fnmatch
import importlib
import pkgutil
import time
from dataclasses import dataclass, field

import numpy as np

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


def checked_artifacts(artifacts) -> dict:
    """``artifacts`` as a flat dict of numeric or string NumPy arrays, or an error naming the bad key."""
    checked = {}
    for key, value in artifacts.items():
        array = np.asarray(value)
        if not isinstance(key, str) or array.dtype.kind not in "biufcU":
            raise TypeError(f"artifact {key!r} must be a str key with a numeric or string array, got "
                            f"{array.dtype}; flatten nested results into keys like 'model/name'")
        checked[key] = array
    return checked


@dataclass(frozen=True)
class Claim:
    """A registered claim: ``run(quick)`` executes it and returns a timed :class:`Verdict`."""

    id: str
    statement: str
    source: str
    check: object
    conventions: str = ""
    models: str = ""

    def run(self, quick=False) -> Verdict:
        start = time.perf_counter()
        verdict = self.check(quick)
        verdict.claim_id = self.id
        verdict.seconds = time.perf_counter() - start
        verdict.artifacts = checked_artifacts(verdict.artifacts)
        return verdict


_REGISTRY: dict[str, Claim] = {}


def claim(id, statement, source, conventions="", models=""):
    """Decorator registering ``check(quick) -> Verdict`` as claim ``id``.

    ``conventions`` states the loss scaling and time unit; ``models`` the models and their
    parameters, as the report shows them.
    """

    def register(check):
        if id in _REGISTRY:
            raise ValueError(f"claim {id!r} is registered twice")
        _REGISTRY[id] = Claim(id, statement, source, check, conventions, models)
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


# Importing the claim modules registers them: a new claim is a new module in this package.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
