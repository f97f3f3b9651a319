"""Progress of long computations: off for library calls, turned on by the commands.

``toymodels reproduce`` shows a bar over the claims and, when it runs them in its own process,
a bar within each long simulation; :func:`shown` switches the inner bars on for a block. In a
worker process, :func:`reported` sends the inner progress to a callback instead (the parent
shows it beside the claim that is running).
"""

import time
from contextlib import contextmanager

from tqdm.auto import tqdm

_SHOWN = [False]
_REPORTER = [None]
#: Seconds between two reports of the same loop.
REPORT_EVERY = 0.5


@contextmanager
def shown(on=True):
    """Show the progress bars of long simulations inside this block (or hide them)."""
    before, _SHOWN[0] = _SHOWN[0], on
    try:
        yield
    finally:
        _SHOWN[0] = before


@contextmanager
def reported(callback):
    """Inside this block, long loops call ``callback(text)`` (e.g. "gd on tanh_net 1200/20000")
    at most every :data:`REPORT_EVERY` seconds instead of drawing a bar."""
    before, _REPORTER[0] = _REPORTER[0], callback
    try:
        yield
    finally:
        _REPORTER[0] = before


def note(text):
    """Tell the callback of :func:`reported` (if any) what a loop without a bar is doing, e.g. a
    compiled loop of the JAX engine, which reports nothing while it runs."""
    if _REPORTER[0] is not None:
        _REPORTER[0](text)


def bar(iterable, *, show=None, desc="", total=None, **kwargs):
    """``iterable`` wrapped in a transient tqdm bar, shown if ``show`` (None: as :func:`shown`
    says), or reported to the callback of :func:`reported` when one is set."""
    if _REPORTER[0] is not None:
        return _report(iterable, desc, len(iterable) if total is None else total, _REPORTER[0])
    return tqdm(iterable, disable=not (_SHOWN[0] if show is None else show), leave=False, desc=desc,
                total=total, **kwargs)


def _report(iterable, desc, total, callback):
    last = time.monotonic()
    for i, item in enumerate(iterable):
        now = time.monotonic()
        if now - last >= REPORT_EVERY:
            callback(f"{desc} {i}/{total}")
            last = now
        yield item
