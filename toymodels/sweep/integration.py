"""Cells that integrate a flow of a zoo model with :func:`toymodels.integrate`, batched over starts.

The flows are those of :mod:`toymodels.flows` that model GD at a learning rate: ``gradient``,
``modified`` (backward error analysis of ``order``; 1 is IGR) and ``principal``. A cell
integrates to the flow time of ``steps`` GD steps, t = steps·lr (docs/theory/conventions.md),
so a sweep of flows lines up with a sweep of GD. Run parameters: ``lr`` and ``order``; cells
that share them and the model run as one batch of starts. The principal flow is complex past
ηλ = 1: its states are integrated as complex numbers and summarized by their real part.
"""

import numpy as np

from .. import flows
from ..errors import UnknownNameError
from ..integrate import integrate
from .cells import FINAL, RunCells, status_codes
from .grid import Output

FLOWS = {"gradient": lambda model, lr, order: flows.gradient(model),
         "modified": lambda model, lr, order: flows.modified(model, lr, order),
         "principal": lambda model, lr, order: flows.principal(model, lr)}


class Integration(RunCells):
    """Cells that integrate flow ``flow`` of zoo model ``model`` to t = steps·lr from ``x0``.

    ``fixed``: parameters not on the grid (``lr`` and, for ``modified``, ``order``); ``method``,
    ``rtol``, ``atol``: as in :func:`toymodels.integrate`. Outputs: status, final loss and
    sharpness (of the real part), and the final state (dimension ``parameter``).
    """

    def __init__(self, model, flow, *, steps, x0=None, starts=None, fixed=None, method="dop853", rtol=1e-10,
                 atol=1e-12):
        if flow not in FLOWS:
            raise UnknownNameError(f"unknown flow {flow!r}; valid: {', '.join(FLOWS)}")
        self.flow, self.steps, self.method, self.rtol, self.atol = flow, int(steps), method, float(rtol), float(atol)
        super().__init__(model, f"the {flow} flow", {"lr", "order"}, x0=x0, starts=starts, fixed=fixed)

    def describe(self) -> dict:
        return {**super().describe(), "kind": "integrate"}

    def attrs(self) -> dict:
        return {"kind": "toymodels sweep of integrate", "model": self.model, "flow": self.flow, "steps": self.steps,
                "fixed": str(self.fixed), "start": str(self.x0 or self.starts),
                "conventions": "flow integrated to t = steps·lr, the time of GD step `steps` (t = kη); sharpness in "
                               "1/lr units; the principal flow summarized by the real part of its state"}

    @property
    def outputs(self) -> dict:
        names = self._coordinates()  # integer coordinates: Zarr v3 has no specified string type yet
        return {**FINAL, "final_state": Output(f"state at the end (real part), parameters ({', '.join(names)})",
                                                "parameter units", extra=(("parameter", len(names)),),
                                                coords=(np.arange(len(names)),))}

    def _run_group(self, group, values):
        model = self._model_of(group)
        lr = float(group.get("lr", np.nan))
        field = FLOWS[self.flow](model, lr, int(group.get("order", 1)))
        x0 = self._starts(model, values, len(next(iter(values.values()))))
        solution = integrate(field, x0.astype(complex) if self.flow == "principal" else x0, self.steps * lr,
                             method=self.method, rtol=self.rtol, atol=self.atol)
        final = np.real(solution.final)
        numeric = model.numeric
        with np.errstate(all="ignore"):  # a diverged start's last state may be far out
            return {"status": status_codes(solution.status), "final_loss": numeric.loss(final),
                    "final_sharpness": numeric.sharpness(final), "final_state": final}
