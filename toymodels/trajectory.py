"""The :class:`Trajectory`: what a run of a discrete optimizer produced.

States are saved on a grid of steps (``steps``); ``x[j]`` is the state after ``steps[j]``
optimizer steps, with the batch axes of the starts and the parameter axis last. A start that
stops (diverged, or converged exactly) keeps its last valid state in every later slot, so the
arrays never hold NaN; ``stop_step`` and ``valid`` say which slots are real.
"""

from dataclasses import dataclass, field

import numpy as np

from . import status as statuses
from . import display
from .atomic import META_KEY, join, meta_array, meta_from_array, read_npz, write_npz
from .errors import UnknownNameError



@dataclass
class Trajectory:
    """States, recorded metrics and per-start status of one batched run.

    Attributes
    ----------
    x : (n_saved, *batch, d) states; ``steps`` : (n_saved,) step index of each saved state.
    metrics : name -> (n_saved, *batch) values at the saved states (loss, grad_norm, sharpness).
    lr : (n_lr, *batch) the learning rate actually used (the factor on the gradient) in the
        steps that start at ``lr_steps``; 0 for a start that has stopped.
    status : (*batch) a status of :mod:`toymodels.status`: "finished" (all steps taken),
        "converged" or "diverged".
    stop_step : (*batch) the step of the last valid state of a start that stopped (``n_steps``
        if it never did); a diverged start left the bounds in the step after it.
    meta : model label, optimizer and its hyper-parameters, seed, conventions.
    """

    x: np.ndarray
    steps: np.ndarray
    metrics: dict
    lr: np.ndarray
    lr_steps: np.ndarray
    status: np.ndarray
    stop_step: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def valid(self) -> np.ndarray:
        """(n_saved, *batch) True where the saved state was reached before the start stopped."""
        expand = (slice(None),) + (None,) * self.stop_step.ndim
        return self.steps[expand] <= self.stop_step[None]

    @property
    def final(self) -> np.ndarray:
        """(*batch, d) the last valid state of every start."""
        return self.x[-1]

    def __getitem__(self, name):
        """The recorded metric ``name`` (n_saved, *batch); a clear error naming what was recorded."""
        if name not in self.metrics:
            recorded = ", ".join(sorted(self.metrics)) or "nothing"
            raise UnknownNameError(f"{name!r} was not recorded in this run (recorded: {recorded}); pass "
                                   f"record=[..., {name!r}] to simulate")
        return self.metrics[name]

    def summary(self) -> str:
        """A short text table: status and final metrics of each start (at most 20 rows)."""
        lines = [f"{self.meta.get('model', '?')} with {self.meta.get('optimizer', '?')}, "
                 f"{self.meta.get('n_steps', '?')} steps; {self.meta.get('conventions', '')}"]
        flat_status = self.status.reshape(-1)
        flat_stop = self.stop_step.reshape(-1)
        flat_x = self.final.reshape(-1, self.final.shape[-1])
        names = sorted(self.metrics)
        header = ["start", "status", "stop step", "final state"] + [f"final {n}" for n in names]
        lines.append(" | ".join(header))
        for i in range(min(len(flat_status), 20)):
            values = [f"{self.metrics[n][-1].reshape(-1)[i]:.6g}" for n in names]
            state = ", ".join(f"{v:.6g}" for v in flat_x[i])
            lines.append(" | ".join([str(i), flat_status[i], str(flat_stop[i]), f"({state})", *values]))
        if len(flat_status) > 20:
            lines.append(f"... {len(flat_status) - 20} more starts")
        counts = {s: int((flat_status == s).sum()) for s in statuses.ALL if (flat_status == s).any()}
        lines.append("status counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        return "\n".join(lines)

    def _repr_html_(self):
        return display.run_html(self)

    def to_arrays(self, prefix="") -> dict:
        """The run as a flat dict of arrays under ``prefix`` (``prefix/x``, ``prefix/meta``…), the
        form of claim artifacts and of the reproduce cache; :meth:`from_arrays` reads it back."""
        arrays = {"x": self.x, "steps": self.steps, "lr": self.lr, "lr_steps": self.lr_steps,
                  "status": self.status.astype(str), "stop_step": self.stop_step, META_KEY: meta_array(self.meta)}
        arrays |= {f"metric_{k}": v for k, v in self.metrics.items()}
        return {join(prefix, k): v for k, v in arrays.items()}

    @classmethod
    def from_arrays(cls, arrays, prefix="") -> "Trajectory":
        """The run stored by :meth:`to_arrays` under ``prefix``."""
        head = join(prefix, "metric_")
        metrics = {k[len(head):]: v for k, v in arrays.items() if k.startswith(head)}
        f = {k: arrays[join(prefix, k)] for k in ("x", "steps", "lr", "lr_steps", "status", "stop_step", META_KEY)}
        return cls(f["x"], f["steps"], metrics, f["lr"], f["lr_steps"], f["status"], f["stop_step"],
                   meta_from_array(f[META_KEY]))

    def save(self, path):
        """Write the run to an ``.npz`` file atomically."""
        write_npz(path, self.to_arrays())

    @classmethod
    def load(cls, path):
        """Read a run written by :meth:`save`."""
        return cls.from_arrays(read_npz(path))
