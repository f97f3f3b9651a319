"""What a check returns: a :class:`Comparison` of a measured quantity with its expected value,
the tolerance and where it comes from (:class:`Provenance`), and the wrong alternatives the same
data reject (:class:`Rejection`).

One number, the **margin**, is used throughout: the deviation from what is expected, in units
of the tolerance. A comparison passes when its margin is ≤ 1; a wrong alternative is rejected
when its margin (its deviation from the same data, in units of the same tolerance) exceeds the
factor the check demands, 1 unless stated. So "margin 0.02" means the measurement used 2% of its
tolerance, and "rejected by 40" that the wrong hypothesis misses by 40 tolerances.
"""

import math
from dataclasses import asdict, dataclass, field

import numpy as np

ROUNDOFF, THEORY, STATED, CALIBRATED = "round-off", "theory", "stated before the run", "calibrated"
UNCERTAINTY = "measurement uncertainty"
KINDS = (ROUNDOFF, THEORY, STATED, CALIBRATED, UNCERTAINTY)


@dataclass(frozen=True)
class Provenance:
    """Where a tolerance comes from: its ``kind`` (round-off; theory; stated before the run;
    calibrated, with the data it was calibrated on, never the data it judges; or measurement
    uncertainty, a stated number of standard errors of the estimate) and why it has this value."""

    kind: str
    why: str
    on: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"provenance kind must be one of {', '.join(map(repr, KINDS))}; got {self.kind!r}")
        if self.kind == CALIBRATED and not self.on:
            raise ValueError("a calibrated tolerance must say which data it was calibrated on (on=...)")

    def __str__(self):
        return f"{self.kind}{f' on {self.on}' if self.on else ''}: {self.why}"


def roundoff(why):
    """A tolerance set by floating-point round-off."""
    return Provenance(ROUNDOFF, why)


def theory(why):
    """A tolerance the theory gives (an error term, a proven band, a convergence order)."""
    return Provenance(THEORY, why)


def stated(why):
    """A tolerance fixed before the run, as part of the statement being tested."""
    return Provenance(STATED, why)


def uncertainty(why):
    """A tolerance of a stated number of standard errors of the measured estimate."""
    return Provenance(UNCERTAINTY, why)


def calibrated(why, on):
    """A constant the theory leaves open, calibrated on data ``on`` that the check does not judge."""
    return Provenance(CALIBRATED, why, on)


@dataclass(frozen=True)
class Rejection:
    """A wrong alternative tried on the same data: its margin in units of the tolerance, and
    whether that exceeds ``required`` (the factor the check demands)."""

    name: str
    margin: float
    required: float = 1.0

    @property
    def rejected(self) -> bool:
        return bool(self.margin > self.required)


@dataclass(frozen=True)
class Comparison:
    """A measured quantity against its expected value (see the module docstring for ``margin``).

    ``passed`` is: margin ≤ 1 and every alternative rejected (a check that cannot tell the
    right hypothesis from a wrong one proves nothing). ``data`` holds the numbers behind the
    summary (per-η values, a fit), for the report's details.
    """

    name: str
    measured: object
    expected: object
    tolerance: str
    provenance: Provenance
    margin: float
    alternatives: tuple = ()
    data: dict = field(default_factory=dict)

    @property
    def within(self) -> bool:
        """The measurement is within its tolerance (margin ≤ 1)."""
        return bool(self.margin <= 1)

    @property
    def passed(self) -> bool:
        return self.within and all(r.rejected for r in self.alternatives)

    def explain(self) -> str:
        """A readable account: verdict, measured, expected, tolerance and margin, and each alternative."""
        lines = [f"{'PASS' if self.passed else 'FAIL'}: {self.name}",
                 f"  measured:  {show(self.measured)}", f"  expected:  {show(self.expected)}",
                 f"  tolerance: {self.tolerance} [{self.provenance}]",
                 f"  margin:    {show(self.margin)} (deviation in units of the tolerance; passes ≤ 1)"]
        for r in self.alternatives:
            verdict = "rejected" if r.rejected else "NOT rejected"
            lines.append(f"  wrong alternative {r.name!r}: margin {show(r.margin)} ({verdict}; needs > {r.required:g})")
        return "\n".join(lines)

    def assert_(self) -> "Comparison":
        """Raise AssertionError with :meth:`explain` unless the comparison passed (for pytest)."""
        if not self.passed:
            raise AssertionError(self.explain())
        return self

    def to_json(self) -> dict:
        out = asdict(self)
        out["passed"] = self.passed
        out["alternatives"] = [{**asdict(r), "rejected": r.rejected} for r in self.alternatives]
        return jsonable(out)

    @classmethod
    def from_json(cls, data) -> "Comparison":
        alternatives = tuple(Rejection(r["name"], float(r["margin"]), float(r["required"]))
                             for r in data["alternatives"])
        return cls(data["name"], data["measured"], data["expected"], data["tolerance"],
                   Provenance(**data["provenance"]), float(data["margin"]), alternatives, data.get("data", {}))


def check(*comparisons):
    """Assert every comparison (AssertionError listing each failed one); returns them."""
    failed = [c.explain() for c in comparisons if not c.passed]
    if failed:
        raise AssertionError("\n".join(failed))
    return comparisons


def jsonable(value):
    """``value`` with NumPy scalars and arrays as Python numbers and lists, non-finite floats and
    complex numbers as strings."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (np.complexfloating, complex)):
        return str(complex(value))
    return value


def show(value) -> str:
    """A short text for a number, a list of numbers or anything else."""
    if isinstance(value, str):
        try:
            value = float(value)  # "inf" and "nan" stored by jsonable
        except ValueError:
            return value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "∞" if value == math.inf else f"{value:.4g}"
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(np.ravel(np.asarray(value, dtype=object)))
        text = ", ".join(show(v) for v in items[:6])
        return f"[{text}{', …' if len(items) > 6 else ''}]"
    return str(value)
