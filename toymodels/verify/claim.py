"""Claims: a statement, its source, and a check ``check(quick) -> Verdict``; the registry of
claims, the shared runs they declare, and loading the researcher's own claim modules.

A :class:`Verdict` is a list of :class:`~toymodels.verify.Comparison` (pass/fail is derived
from them), the runs behind it (``artifacts``: a flat dict of NumPy arrays keyed like
``"two_layer_scalar/gd_x"``, from which figures are drawn and which ``toymodels reproduce``
caches as ``.npz``) and ``details`` (every measured value, as JSON). A claim defined outside
the toymodels package records the SHA-256 of its module's source, so the cache of
``toymodels reproduce`` never answers an edited claim with a stale verdict.
"""

import fnmatch
import hashlib
import importlib.metadata
import importlib.util
import inspect
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError, UnknownNameError
from .comparison import Comparison, jsonable, show

PACKAGE = Path(__file__).resolve().parents[1]
ENTRY_POINT_GROUP = "toymodels.claims"


@dataclass
class Verdict:
    """The outcome of a claim: its comparisons, the runs behind them, and every measured value.

    ``nothing_rejected``: why no comparison tries a wrong alternative, when none does (the
    report flags such a verdict). ``error``: the exception of a claim that crashed.
    """

    comparisons: list
    artifacts: dict = field(default_factory=dict, repr=False)
    details: dict = field(default_factory=dict)
    nothing_rejected: str = ""
    claim_id: str = ""
    seconds: float = 0.0
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and bool(self.comparisons) and all(c.passed for c in self.comparisons)

    @property
    def rejections(self) -> list:
        """(comparison, rejection) for every wrong alternative tried."""
        return [(c, r) for c in self.comparisons for r in c.alternatives]

    @property
    def summary(self) -> str:
        """One line: how many comparisons hold, the tightest one, the weakest rejection."""
        if self.error:
            return f"error: {self.error}"
        if not self.comparisons:
            return "no comparisons"
        within = sum(c.within for c in self.comparisons)
        tight = max(self.comparisons, key=lambda c: c.margin)
        text = (f"{within}/{len(self.comparisons)} within tolerance (largest margin {show(tight.margin)}: "
                f"{tight.name})")
        if not self.rejections:
            return text + "; rejects no alternative"
        weak_c, weak = min(self.rejections, key=lambda cr: cr[1].margin / cr[1].required)
        rejected = sum(r.rejected for _, r in self.rejections)
        return (text + f"; {rejected}/{len(self.rejections)} wrong alternatives rejected (smallest margin "
                f"{show(weak.margin)}: {weak.name})")

    def explain(self) -> str:
        return "\n".join(c.explain() for c in self.comparisons) or self.summary

    def assert_(self) -> "Verdict":
        """Raise AssertionError listing every failed comparison unless the verdict passed."""
        if not self.passed:
            raise AssertionError("\n".join([c.explain() for c in self.comparisons if not c.passed]
                                           or [self.summary]))
        return self

    def to_json(self) -> dict:
        return jsonable({"id": self.claim_id, "passed": self.passed, "summary": self.summary,
                         "comparisons": [c.to_json() for c in self.comparisons],
                         "nothing_rejected": self.nothing_rejected, "error": self.error,
                         "details": self.details, "seconds": round(self.seconds, 3)})

    @classmethod
    def from_json(cls, data, artifacts=None) -> "Verdict":
        return cls([Comparison.from_json(c) for c in data["comparisons"]], artifacts or {}, data["details"],
                   data["nothing_rejected"], data["id"], float(data["seconds"]), data["error"])


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
    """A registered claim: ``run(quick)`` executes it and returns a timed :class:`Verdict`.

    ``uses``: names of the shared runs it reads; ``origin``: the file of a claim defined
    outside toymodels and ``source_hash`` the SHA-256 of that file ("" for built-in claims).
    """

    id: str
    statement: str
    source: str
    check: object
    conventions: str = ""
    models: str = ""
    uses: tuple = ()
    origin: str = ""
    source_hash: str = ""

    def run(self, quick=False) -> Verdict:
        start = time.perf_counter()
        verdict = self.check(quick)
        if not isinstance(verdict, Verdict):
            raise TypeError(f"claim {self.id} returned {type(verdict).__name__}; a claim's check must "
                            "return toymodels.verify.Verdict([...comparisons...])")
        verdict.claim_id = self.id
        verdict.seconds = time.perf_counter() - start
        verdict.artifacts = checked_artifacts(verdict.artifacts)
        return verdict


_REGISTRY: dict[str, Claim] = {}


def _origin(check):
    """(file, SHA-256 of its source) of a check defined outside the toymodels package, else ("", "")."""
    path = Path(inspect.getsourcefile(check) or "").resolve()
    if PACKAGE in path.parents or not path.is_file():
        return "", ""
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()


def claim(id, statement, source, *, conventions="", models="", uses=()):
    """Decorator registering ``check(quick) -> Verdict`` as claim ``id`` (``area.name``).

    ``conventions`` states the loss scaling and time unit, ``models`` the models and their
    parameters, as the report shows them; ``uses`` the :func:`shared_run` functions it reads
    (claims that share a run are computed in one process by ``toymodels reproduce``).
    """

    def register(check):
        if id in _REGISTRY:
            raise ValueError(f"claim {id!r} is registered twice (from {_REGISTRY[id].origin or 'toymodels'}); "
                             "give each claim its own id")
        names = tuple(run.name for run in uses)
        _REGISTRY[id] = Claim(id, statement, source, check, conventions, models, names, *_origin(check))
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


def source_hash(claim_id) -> str:
    """The SHA-256 of the source of a claim defined outside toymodels ("" if built in or unknown)."""
    return _REGISTRY[claim_id].source_hash if claim_id in _REGISTRY else ""


class SharedRun:
    """An expensive computation that several claims read, declared by name: computed once per
    process for each set of arguments, and only when a claim asks for it."""

    def __init__(self, name, function):
        self.name, self.function, self._results = name, function, {}
        self.__doc__, self.__wrapped__ = function.__doc__, function

    def __call__(self, *args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        if key not in self._results:
            self._results[key] = self.function(*args, **kwargs)
        return self._results[key]

    def clear(self):
        """Forget every result (the next call recomputes)."""
        self._results.clear()

    def __repr__(self):
        return f"<shared run {self.name!r}: {len(self._results)} computed>"


def shared_run(name):
    """Decorator declaring ``function`` a shared run called ``name`` (see :class:`SharedRun`)."""
    return lambda function: SharedRun(name, function)


def groups(selected) -> list[list[str]]:
    """Ids of ``selected`` claims grouped so that claims sharing a run are in one group."""
    found = []  # (ids, shared run names)
    for c in selected:
        joined = [g for g in found if g[1] & set(c.uses)]
        merged = ([c.id] + [i for g in joined for i in g[0]], set(c.uses).union(*(g[1] for g in joined)))
        found = [g for g in found if g not in joined] + [merged]
    return [sorted(ids) for ids, _ in found]


_LOADED: dict[Path, tuple] = {}  # path -> (SHA-256 of its source, its claims)


def load_claims(path) -> list[Claim]:
    """Import the researcher's claim module at ``path`` (a .py file); its ``@claim`` functions join
    the registry. Loading the same file again returns the same claims, unless its source has
    changed: then its claims are replaced by the new ones."""
    path = Path(path).resolve()
    if path.suffix != ".py" or not path.is_file():
        raise InvalidInputError(f"--claims needs a Python file defining @claim functions; {path} is not one")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if path in _LOADED:
        if _LOADED[path][0] == digest:
            return _LOADED[path][1]
        for old in _LOADED.pop(path)[1]:
            _REGISTRY.pop(old.id, None)
    before = set(_REGISTRY)
    name = f"toymodels_user_claims.{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        for claim_id in set(_REGISTRY) - before:
            del _REGISTRY[claim_id]
        raise InvalidInputError(f"cannot load claims from {path}: {type(exc).__name__}: {exc}") from exc
    found = [_REGISTRY[i] for i in sorted(set(_REGISTRY) - before)]
    if not found:
        raise InvalidInputError(f"{path} defines no claim; decorate a function with toymodels.verify.claim")
    _LOADED[path] = (digest, found)
    return found


def load_entry_points():
    """Import every module installed under the ``toymodels.claims`` entry-point group."""
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except Exception as exc:
            raise InvalidInputError(f"cannot load the claims of entry point {entry.name!r} ({entry.value}): "
                                    f"{type(exc).__name__}: {exc}") from exc
