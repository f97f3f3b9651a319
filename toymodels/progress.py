"""Progress bars on the terminal: off for library calls, turned on by the commands.

``toymodels reproduce`` shows a bar over the claims and, when it runs them in its own process,
a bar within each long simulation; :func:`shown` switches the inner bars on for a block.
"""

from contextlib import contextmanager

from tqdm.auto import tqdm

_SHOWN = [False]


@contextmanager
def shown(on=True):
    """Show the progress bars of long simulations inside this block (or hide them)."""
    before, _SHOWN[0] = _SHOWN[0], on
    try:
        yield
    finally:
        _SHOWN[0] = before


def bar(iterable, *, show=None, **kwargs):
    """``iterable`` wrapped in a transient tqdm bar, shown if ``show`` (None: as :func:`shown` says)."""
    return tqdm(iterable, disable=not (_SHOWN[0] if show is None else show), leave=False, **kwargs)
