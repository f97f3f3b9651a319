"""Cells that run :func:`toymodels.simulate`: a zoo model and an optimizer, batched over cells.

Axes are named as in :mod:`toymodels.sweep.cells`; run parameters are the optimizer's (``lr``,
``batch_size``, ``beta``) and ``seed`` (of SGD's batches). Cells that share the model, the
optimizer's scalar settings and the seed run as one batch: their starts are stacked and the
learning rate is an array with one entry per start.

Randomness (SGD): simulate draws the batches of a group of cells from one generator seeded by
the cell's ``seed``, so a stochastic cell is reproducible for a given grid and chunking, both
part of the store's fingerprint.
"""

import inspect

import numpy as np

from .. import optim, status
from ..errors import InvalidInputError, UnknownNameError, UnsupportedError
from ..simulate import CONVENTIONS, METRICS, simulate
from .cells import FINAL, RunCells, status_codes
from .grid import Output

#: Summaries of one run (each an output per cell).
SUMMARIES = {
    **FINAL,
    "stop_step": Output("step of the last valid state (the number of steps if the run never stopped)", "steps",
                        "int64"),
    "peak_loss": Output("largest loss over the saved states (a catapult's peak)", "loss units of the model"),
}
#: Summaries of the ``tail`` steps run after ``steps`` (stateless optimizers only).
TAIL = ("tail_sharpness", "tail_loss", "period")
PERIOD_RTOL = 1e-8


def orbit_period(states, rtol=PERIOD_RTOL) -> np.ndarray:
    """Smallest p ≤ T/2 with x_t = x_{t−p} (to ``rtol``·(1 + |x|)) over the last T/2 of ``states``
    (T + 1, n, d); 0 where no such p exists (no short period: chaos, or not yet settled)."""
    tail = len(states) - 1
    period = np.zeros(states.shape[1], dtype=np.int64)
    scale = 1 + np.max(np.abs(states), axis=(0, 2))
    for p in range(tail // 2, 0, -1):  # downwards: the smallest period found wins
        late = states[tail - tail // 2:]
        gap = np.max(np.abs(late[p:] - late[:-p]), axis=(0, 2)) if p < len(late) else np.inf
        period = np.where(gap <= rtol * scale, p, period)
    return period


class Simulation(RunCells):
    """Cells that run ``optimizer`` on zoo model ``model`` for ``steps`` steps from ``x0``.

    ``fixed``: model and optimizer parameters that are not on the grid. ``starts``: a list of
    starts, chosen per cell by a ``start`` axis. ``record``: metrics kept at every ``save_every``
    steps (outputs with dimension ``step``). ``summaries``: names from :data:`SUMMARIES`.
    ``tail``: after ``steps``, run ``tail`` more steps saving every step, and keep the
    sharpness and loss there and the period of the orbit (:func:`orbit_period`).
    ``extra``: a picklable callable ``extra(model, run, values) -> {name: (cells, ...) array}``
    with an ``outputs`` mapping, for summaries of your own. ``backend``: passed on to
    :func:`toymodels.simulate` when given.
    """

    def __init__(self, model, optimizer="gd", *, steps, x0=None, starts=None, fixed=None, record=(),
                 save_every=None, summaries=("status", "final_loss", "final_sharpness"), tail=0, extra=None,
                 max_norm=1e6, backend=None):
        if optimizer not in optim.BY_NAME:
            raise UnknownNameError(f"unknown optimizer {optimizer!r}; valid: {', '.join(optim.BY_NAME)}")
        self.optimizer, self.steps = optimizer, int(steps)
        names = set(inspect.signature(optim.BY_NAME[optimizer]).parameters)
        super().__init__(model, f"the {optimizer} optimizer", names | {"seed"}, batched={"lr"}, x0=x0, starts=starts,
                         fixed=fixed)
        self.record = tuple(record)
        self.save_every = int(save_every or max(1, self.steps))
        self.summaries = tuple(summaries)
        self.tail = int(tail)
        self.extra = extra
        self.max_norm = float(max_norm)
        self.backend = backend  # passed to simulate when given (the accelerated engine's backend=)
        unknown = sorted(set(self.record) - set(METRICS)) + sorted(set(self.summaries) - set(SUMMARIES))
        if unknown:
            raise UnknownNameError(f"unknown record or summary {', '.join(unknown)}; metrics: {', '.join(METRICS)}; "
                                   f"summaries: {', '.join(SUMMARIES)}")
        if self.tail and optimizer == "momentum":
            raise UnsupportedError("tail needs an optimizer without state (the second run would restart momentum)")

    def describe(self) -> dict:
        return {**super().describe(), "kind": "simulate", "extra": None if self.extra is None else repr(self.extra)}

    def attrs(self) -> dict:
        return {"kind": "toymodels sweep of simulate", "model": self.model, "optimizer": self.optimizer,
                "steps": self.steps, "fixed": str(self.fixed), "start": str(self.x0 or self.starts),
                "conventions": CONVENTIONS + "; lr in the model's parameter units; sharpness in 1/lr units"}

    @property
    def outputs(self) -> dict:
        out = {name: SUMMARIES[name] for name in self.summaries}
        saved = len(np.unique(np.r_[np.arange(0, self.steps + 1, self.save_every), self.steps]))
        for name in self.record:
            out[name] = Output(f"{name} at the saved steps", "as the metric", extra=(("step", saved),),
                               coords=(np.unique(np.r_[np.arange(0, self.steps + 1, self.save_every), self.steps]),))
        if self.tail:
            steps = (self.steps + np.arange(self.tail + 1),)
            out["tail_sharpness"] = Output("λmax(∇²L) over the last steps (the final orbit)", "1/lr",
                                           extra=(("tail", self.tail + 1),), coords=steps)
            out["tail_loss"] = Output("loss over the last steps", "loss units of the model",
                                      extra=(("tail", self.tail + 1),), coords=steps)
            out["period"] = Output(f"period of the final orbit (0: none up to {self.tail // 2})", "steps", "int64")
        if self.extra is not None:
            out.update(self.extra.outputs)
        return out

    @property
    def _engine(self):
        return {} if self.backend is None else {"backend": self.backend}

    def _run_group(self, group, values):
        n = len(next(iter(values.values())))
        model = self._model_of(group)
        settings = {k: v for k, v in group.items() if k in self.run_parameters - {"seed"}}
        if "lr" in self.run_parameters and "lr" not in values:
            raise InvalidInputError("the learning rate is neither on the grid nor fixed: add an 'lr' axis or fixed lr")
        if "lr" in values:
            settings["lr"] = np.asarray(values["lr"], dtype=float)
        optimizer = optim.BY_NAME[self.optimizer](**settings)
        record = tuple(dict.fromkeys(self.record + (("loss",) if "peak_loss" in self.summaries else ())))
        seed = int(group.get("seed", 0))
        run = simulate(model, optimizer, self._starts(model, values, n), self.steps, record=record,
                       save_every=self.save_every, seed=seed, max_norm=self.max_norm, progress=False, **self._engine)
        numeric = model.numeric
        found = {"status": status_codes(run.status), "stop_step": run.stop_step, "peak_loss": lambda: run["loss"].max(axis=0),
                 "final_loss": lambda: numeric.loss(run.final), "final_sharpness": lambda: numeric.sharpness(run.final)}
        out = {name: found[name]() if callable(found[name]) else found[name] for name in self.summaries}
        out.update({name: np.moveaxis(run[name], 0, -1) for name in self.record})
        if self.tail:
            out.update(self._tail(model, optimizer, run, seed))
        if self.extra is not None:
            out.update(self.extra(model, run, values))
        return out

    def _tail(self, model, optimizer, run, seed):
        more = simulate(model, optimizer, run.final, self.tail, record=("sharpness", "loss"), save_every=1,
                        seed=seed + 1, max_norm=self.max_norm, progress=False, **self._engine)
        settled = (run.status == status.FINISHED) & (more.status == status.FINISHED)
        keep = np.where(settled[None], more["sharpness"], np.nan)
        return {"tail_sharpness": keep.T, "tail_loss": np.where(settled[None], more["loss"], np.nan).T,
                "period": np.where(settled, orbit_period(more.x), -1)}
