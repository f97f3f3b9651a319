"""What the run cells of a sweep share: naming axes, building models, starts, and batching cells.

A grid axis names a run parameter: a parameter of the zoo model (``n``, ``y``; written
``model.NAME`` where a run parameter has the same name, e.g. tanh_net's data ``model.seed``
beside SGD's ``seed``), a parameter of the run (the optimizer's ``lr``, a flow's ``order``),
``start`` (an index into ``starts``) or a coordinate of the start (a parameter symbol of the
model, e.g. ``a``). Cells that agree on every parameter outside ``batched`` and the start run
as one batch.
"""

import functools

import numpy as np

from .. import status, zoo
from ..errors import InvalidInputError, UnknownNameError
from .grid import Output

#: Summaries every run has: its status and the loss and sharpness where it ended.
FINAL = {
    "status": Output("status of the run (toymodels.status)", "1", "int8", flags=status.ALL),
    "final_loss": Output("loss at the last valid state", "loss units of the model"),
    "final_sharpness": Output("λmax(∇²L) at the last valid state", "1/lr"),
}


def status_codes(statuses) -> np.ndarray:
    """Statuses as int8 codes, their index in :data:`toymodels.status.ALL` (CF flag values)."""
    return np.array([status.ALL.index(s) for s in np.ravel(statuses)], dtype=np.int8)


@functools.lru_cache(maxsize=32)
def _model(name, params):
    """A zoo model compiled once per process for each parameter set."""
    model = zoo.get(name, **dict(params))
    model.numeric  # noqa: B018 (compile now, once)
    return model


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


class RunCells:
    """Base of :class:`~toymodels.sweep.Simulation` and :class:`~toymodels.sweep.Integration`:
    subclasses set ``outputs`` and implement ``_run_group(group, values) -> {output: (cells, ...)}``,
    ``group`` holding the parameters the batch shares, ``values`` the per-cell ones."""

    def __init__(self, model, runner, run_parameters, *, batched=(), x0=None, starts=None, fixed=None):
        self.model, self.runner = model, runner
        self.run_parameters, self.batched = set(run_parameters), set(batched)
        self.model_parameters = ({f"model.{p}" for p in zoo.parameters(model)}
                                 | (set(zoo.parameters(model)) - self.run_parameters - {"start"}))
        self.fixed = dict(sorted((fixed or {}).items()))
        self.x0 = None if x0 is None else tuple(float(v) for v in np.ravel(x0))
        self.starts = None if starts is None else tuple(tuple(float(v) for v in s) for s in starts)
        self._check_names(self.fixed, "fixed parameter")

    def _check_names(self, names, what):
        valid = self.model_parameters | self.run_parameters | {"start"} | set(self._coordinates())
        unknown = sorted(set(names) - valid)
        if unknown:
            raise UnknownNameError(f"{what} {', '.join(unknown)} is not a parameter of {self.model} or "
                                   f"{self.runner}; valid: {', '.join(sorted(valid))}")

    def _model_of(self, values):
        """The compiled zoo model for the model parameters among ``values`` (and ``fixed``)."""
        key = {k.removeprefix("model."): _plain(v) for k, v in {**self.fixed, **values}.items()
               if k in self.model_parameters}
        return _model(self.model, tuple(sorted(key.items())))

    def _coordinates(self):
        return [str(p) for p in self._model_of({}).params]

    def describe(self) -> dict:
        return {k: sorted(v) if isinstance(v, set) else v for k, v in vars(self).items() if not k.startswith("_")}

    def _starts(self, model, values, n):
        """(n, d) starts: ``x0`` (or the origin), or ``starts[start]``, with coordinates from the axes."""
        if "start" in values:
            if self.starts is None:
                raise InvalidInputError("a 'start' axis indexes the list starts=[...]; give that list")
            x0 = np.asarray(self.starts, dtype=float)[np.asarray(values["start"], dtype=int)]
        elif self.x0 is not None:
            x0 = np.tile(np.asarray(self.x0), (n, 1))
        else:
            x0 = np.zeros((n, model.dim))
        if x0.shape[-1] != model.dim:
            raise InvalidInputError(f"the start has {x0.shape[-1]} coordinates; {model.label()} has {model.dim}")
        for i, name in enumerate(str(p) for p in model.params):
            if name in values:
                x0[:, i] = values[name]
        return x0

    def __call__(self, block):
        values = {**{k: np.full(block.size, v) for k, v in self.fixed.items()}, **block.values}
        self._check_names(values, "grid axis")
        shared = sorted(k for k in values if k in self.model_parameters
                        or (k in self.run_parameters and k not in self.batched))
        keys = list(zip(*(values[k] for k in shared))) if shared else [()] * block.size
        results = {name: np.full((block.size, *out.shape), out.fill, dtype=out.dtype)
                   for name, out in self.outputs.items()}
        for key in dict.fromkeys(keys):
            cells = np.array([i for i, k in enumerate(keys) if k == key])
            group = dict(zip(shared, (_plain(v) for v in key)))
            for name, array in self._run_group(group, {k: v[cells] for k, v in values.items()}).items():
                results[name][cells] = array
        return results
