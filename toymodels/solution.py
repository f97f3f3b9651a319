"""The :class:`Solution`: what an integration of a flow produced.

States are saved at the requested times ``t``; ``x[j]`` is the state at ``t[j]``, with the
batch axes of the starts and the parameter axis last. As in Diffrax (Kidger), an expected
failure is a per-start ``status``, not an exception. A start that stops (diverged, or its step
size collapsed) keeps its last valid state in every later slot, so the arrays never hold NaN;
``stop_time`` and ``valid`` say which slots are real.
"""

from dataclasses import dataclass, field

import numpy as np

from . import display
from .atomic import META_KEY, join, meta_array, meta_from_array, read_npz, write_npz


@dataclass
class Solution:
    """Saved states and per-start status of one batched integration.

    Attributes
    ----------
    t : (n_save,) save times; ``x`` : (n_save, *batch, d) states there (real or complex).
    status : (*batch) "finished", "diverged" (state left ``max_norm`` or became non-finite) or
        "step_size_collapse" (adaptive step below ``min_step`` where the field is finite) or
        "max_steps" (the step budget was spent).
    stop_time : (*batch) time of the last valid state of each start (t1 if it finished).
    n_steps : (*batch) accepted steps taken by each start.
    meta : method, tolerances, step size, time unit (docs/theory/conventions.md) and the field's labels;
        ``meta["status_messages"]`` says why, for a status caused by an error the field raised
        (e.g. the first SingularError's message).
    """

    t: np.ndarray
    x: np.ndarray
    status: np.ndarray
    stop_time: np.ndarray
    n_steps: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def valid(self) -> np.ndarray:
        """(n_save, *batch) True where the saved state was reached before the start stopped."""
        expand = (slice(None),) + (None,) * self.stop_time.ndim
        return self.t[expand] <= self.stop_time[None]

    @property
    def final(self) -> np.ndarray:
        """(*batch, d) the state at the last save time (the last valid one of a start that stopped)."""
        return self.x[-1]

    def _repr_html_(self):
        return display.run_html(self)

    def to_arrays(self, prefix="") -> dict:
        """The solution as a flat dict of arrays under ``prefix``, the form of claim artifacts and
        of the reproduce cache; :meth:`from_arrays` reads it back."""
        arrays = {"t": self.t, "x": self.x, "status": self.status.astype(str), "stop_time": self.stop_time,
                  "n_steps": self.n_steps, META_KEY: meta_array(self.meta)}
        return {join(prefix, k): v for k, v in arrays.items()}

    @classmethod
    def from_arrays(cls, arrays, prefix="") -> "Solution":
        """The solution stored by :meth:`to_arrays` under ``prefix``."""
        f = {k: arrays[join(prefix, k)] for k in ("t", "x", "status", "stop_time", "n_steps", META_KEY)}
        return cls(f["t"], f["x"], f["status"], f["stop_time"], f["n_steps"], meta_from_array(f[META_KEY]))

    def save(self, path):
        """Write the solution to an ``.npz`` file atomically."""
        write_npz(path, self.to_arrays())

    @classmethod
    def load(cls, path):
        """Read a solution written by :meth:`save`."""
        return cls.from_arrays(read_npz(path))
