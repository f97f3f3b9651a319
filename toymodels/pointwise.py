"""Failures of a map evaluated at a batch of points belong to the points, not the batch.

The geometry of Γ and the limit map (:mod:`toymodels.manifold`, :mod:`toymodels.limit_map`)
take ``errors=``: ``"raise"`` (the default) raises a clear error naming the first bad point;
``"status"`` returns the values with NaN at the failed points and appends a status array of
:mod:`toymodels.status` to the return, so the other points of the batch are kept.
"""

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
