"""Validation of numeric arguments, with messages that say what is wrong and what to do."""

import math

import numpy as np

from .errors import InvalidInputError


def positive_number(value, what, *, allow_inf=False) -> float:
    """``value`` as a float > 0 (finite unless ``allow_inf``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{what} must be a single number > 0, got {value!r}") from None
    if not number > 0 or (math.isinf(number) and not allow_inf):
        raise InvalidInputError(f"{what} must be a finite number > 0, got {value!r}")
    return number


def positive_rates(value, what):
    """A float > 0, or an array of them: one learning rate per start, so an lr sweep runs as
    one batch of an optimizer."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{what} must be a number or an array of numbers, got {value!r}") from None
    if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise InvalidInputError(f"{what} must be finite and > 0, got {value!r}")
    return float(array) if array.ndim == 0 else array


def integer_at_least(value, what, minimum=1) -> int:
    """``value`` as an int ≥ ``minimum`` (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidInputError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def fits_batch(optimizer, batch):
    """Check that a learning rate given per start (an array, for a sweep) broadcasts to the
    batch shape of the starts without enlarging it."""
    for name, value in vars(optimizer).items():
        if name == "lr" and isinstance(value, np.ndarray):
            try:
                fits = np.broadcast_shapes(value.shape, batch) == tuple(batch)
            except ValueError:
                fits = False
            if not fits:
                raise InvalidInputError(
                    f"{name} has shape {value.shape}, which does not fit the starts' batch shape "
                    f"{tuple(batch)} (x0 without its last axis); give one {name} per start, of shape "
                    f"{tuple(batch)}, or a single number")
