"""Failures of a map evaluated at a batch of points belong to the points, not the batch.

The geometry of Γ and the limit map (:mod:`toymodels.manifold`, :mod:`toymodels.limit_map`)
take ``errors=``: ``"raise"`` (the default) raises a clear error naming the first bad point;
``"status"`` returns the values with NaN at the failed points and appends a status array of
:mod:`toymodels.status` to the return, so the other points of the batch are kept.
"""

from dataclasses import dataclass

import numpy as np

from .errors import InvalidInputError
from .status import FINISHED

ERRORS = ("raise", "status")


def check_errors(errors):
    """``errors`` if it is one of :data:`ERRORS`, else a clear error."""
    if errors not in ERRORS:
        raise InvalidInputError(f"errors must be 'raise' or 'status', got {errors!r}")
    return errors


def first_point(theta, mask):
    """The first point of ``theta`` where ``mask`` is True, printed for a message."""
    return np.array2string(np.asarray(theta)[mask][0], precision=6)


def finish(errors, values, status, error):
    """The return of a batched map: ``values`` (a tuple) as they are when every ``status`` is
    FINISHED; else with ``errors="raise"`` the exception ``error()`` is raised, and with
    ``errors="status"`` the failed points' values become NaN and ``status`` is appended."""
    failed = status != FINISHED
    if errors == "raise":
        if np.any(failed):
            raise error()
        return values[0] if len(values) == 1 else values
    masked = []
    for value in values:
        value = np.asarray(value, dtype=float)
        extra = (None,) * (value.ndim - failed.ndim)
        masked.append(np.where(failed[(...,) + extra], np.nan, value))
    return (*masked, status)


@dataclass(frozen=True)
class Pointwise:
    """What a batched map computed before deciding how to report failures: its ``values``,
    the ``status`` of each point and ``error() -> Exception`` for the failed ones. Maps built on
    another keep its status with :meth:`then`; the public function ends with :meth:`result`."""

    values: tuple
    status: np.ndarray
    error: object

    def then(self, *values) -> "Pointwise":
        """New values computed from these, at the same points with the same status."""
        return Pointwise(values, self.status, self.error)

    def result(self, errors):
        """The public return for ``errors`` ("raise" or "status"), see :func:`finish`."""
        return finish(check_errors(errors), self.values, self.status, self.error)
