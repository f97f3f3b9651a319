"""Time averages of GD at the edge of stability over whole self-stabilization cycles.

At the edge GD moves in bursts (Damian, Nichani, Lee, ICLR 2023, arXiv:2209.15594, §4;
docs/theory/central-flows.md): the oscillation x along the top eigenvector stays tiny
(|x| ~ 1e-5 on the toys) for most of a cycle, then grows to ~1e-1 for a few steps, which pulls
the sharpness back below 2/η. A time average over a window that cuts a cycle in two is wrong by
a fraction of one cycle's weight, and a window of a few hundred steps can miss the bursts and
be wrong by orders of magnitude. So averages here are over windows made of whole cycles: from
one burst's onset to the onset ``cycles`` bursts later. A window holding fewer whole cycles than
asked is an error (:class:`ShortWindowError`), never a silent number.

A burst's onset is an upward crossing of the two-step mean of x² (which removes the period-2
flip of x) through ``level``; by default the mean of that series over the run after the first
crossing, a detection threshold that is not the quantity judged.
"""

from dataclasses import dataclass

import numpy as np

from .errors import ToyModelError


class ShortWindowError(ToyModelError, ValueError):
    """A time-average window holds too few whole self-stabilization cycles to be trusted."""


@dataclass(frozen=True)
class CycleWindows:
    """Windows [start, stop) of GD steps, each made of ``cycles`` whole cycles, the onsets of
    every burst found, and the mean cycle length in steps."""

    start: np.ndarray
    stop: np.ndarray
    onsets: np.ndarray
    cycles: int

    @property
    def mean_cycle(self) -> float:
        return float(np.mean(np.diff(self.onsets))) if len(self.onsets) > 1 else float("nan")

    def average(self, series):
        """Mean of ``series`` (steps first, any trailing shape) over each window: (n_windows, ...)."""
        series = np.asarray(series)
        return np.stack([series[a:b].mean(axis=0) for a, b in zip(self.start, self.stop)])


def burst_onsets(x2, level=None):
    """Steps where the two-step mean of ``x2`` (the squared oscillation per step) crosses ``level``
    upwards."""
    x2 = np.asarray(x2, dtype=float)
    smooth = 0.5 * (x2[1:] + x2[:-1])
    if level is None:
        first = np.flatnonzero(smooth > smooth.mean())
        level = smooth[first[0]:].mean() if first.size else np.inf
    return np.flatnonzero((smooth[1:] > level) & (smooth[:-1] <= level)) + 1


def cycle_windows(x2, cycles=3, *, min_windows=1, level=None, what="GD run") -> CycleWindows:
    """Consecutive windows of ``cycles`` whole cycles each over the run ``x2`` (squared
    oscillation per step). Raises :class:`ShortWindowError` when fewer than ``min_windows``
    such windows fit, saying how many bursts were found and what to do."""
    if cycles < 1:
        raise ShortWindowError(f"a window needs at least one whole cycle, got cycles={cycles}")
    onsets = burst_onsets(x2, level)
    bounds = onsets[::cycles]
    if len(bounds) - 1 < min_windows:
        raise ShortWindowError(
            f"the {what} holds {max(len(onsets) - 1, 0)} whole self-stabilization cycles, too few for "
            f"{min_windows} window(s) of {cycles} cycles: an average over part of a cycle is not "
            "meaningful at the edge of stability; run more steps or use a smaller tilt")
    return CycleWindows(bounds[:-1], bounds[1:], onsets, cycles)
