"""Cells that run :func:`toymodels.simulate`: a zoo model and an optimizer, batched over cells.

Each grid axis is a run parameter, found by its name: a parameter of the zoo model (``n``,
``y``; written ``model.NAME`` where a run parameter has the same name, e.g. tanh_net's data
``model.seed``), of the optimizer (``lr``, ``batch_size``, ``beta``), ``seed`` (of SGD's
batches), ``start`` (an index into ``starts``) or a coordinate of the start (a parameter symbol
of the model, e.g. ``a``). Cells
that share the model, the optimizer's scalar settings and the seed run as one batch: their
starts are stacked and the learning rate is an array with one entry per start.

Randomness (SGD): simulate draws the batches of a group of cells from one generator seeded by
the cell's ``seed``, so a stochastic cell is reproducible for a given grid and chunking, both
part of the store's fingerprint.
"""

import functools
import inspect

import numpy as np

from .. import optim, status, zoo
from ..errors import InvalidInputError, UnknownNameError, UnsupportedError
from ..simulate import CONVENTIONS, METRICS, simulate
from .grid import Output

#: Summaries of one run (each an output per cell).
SUMMARIES = {
    "status": Output("status of the run (toymodels.status)", "1", "int8", flags=status.ALL),
    "stop_step": Output("step of the last valid state (the number of steps if the run never stopped)", "steps",
                        "int64"),
    "final_loss": Output("loss at the last valid state", "loss units of the model"),
    "final_sharpness": Output("λmax(∇²L) at the last valid state", "1/lr"),
    "peak_loss": Output("largest loss over the saved states (a catapult's peak)", "loss units of the model"),
}
#: Summaries of the ``tail`` steps run after ``steps`` (stateless optimizers only).
TAIL = ("tail_sharpness", "tail_loss", "period")
PERIOD_RTOL = 1e-8


@functools.lru_cache(maxsize=32)
def _model(name, params):
    """A zoo model compiled once per process for each parameter set."""
    model = zoo.get(name, **dict(params))
    model.numeric  # noqa: B018 (compile now, once)
    return model


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


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


class Simulation:
    """Cells that run ``optimizer`` on zoo model ``model`` for ``steps`` steps from ``x0``.

    ``fixed``: model and optimizer parameters that are not on the grid. ``starts``: a list of
    starts, chosen per cell by a ``start`` axis. ``record``: metrics kept at every ``save_every``
    steps (outputs with dimension ``step``). ``summaries``: names from :data:`SUMMARIES`.
    ``tail``: after ``steps``, run ``tail`` more steps saving every step, and keep the
    sharpness and loss there and the period of the orbit (:func:`orbit_period`).
    ``extra``: a picklable callable ``extra(model, run, values) -> {name: (cells, ...) array}``
    with an ``outputs`` mapping, for summaries of your own.
    """

    def __init__(self, model, optimizer="gd", *, steps, x0=None, starts=None, fixed=None, record=(),
                 save_every=None, summaries=("status", "final_loss", "final_sharpness"), tail=0, extra=None,
                 max_norm=1e6):
        if optimizer not in optim.BY_NAME:
            raise UnknownNameError(f"unknown optimizer {optimizer!r}; valid: {', '.join(optim.BY_NAME)}")
        self.model, self.optimizer, self.steps = model, optimizer, int(steps)
        self.fixed = dict(sorted((fixed or {}).items()))
        self.x0 = None if x0 is None else tuple(float(v) for v in np.ravel(x0))
        self.starts = None if starts is None else tuple(tuple(float(v) for v in s) for s in starts)
        self.record = tuple(record)
        self.save_every = int(save_every or max(1, self.steps))
        self.summaries = tuple(summaries)
        self.tail = int(tail)
        self.extra = extra
        self.max_norm = float(max_norm)
        self.optimizer_parameters = set(inspect.signature(optim.BY_NAME[optimizer]).parameters)
        run_names = self.optimizer_parameters | {"seed", "start"}
        # A model parameter is addressed as "model.NAME", or as NAME when no run parameter has that
        # name (tanh_net's data "seed" is "model.seed"; "seed" is the seed of SGD's batches).
        self.model_parameters = {f"model.{p}" for p in zoo.parameters(model)} | (set(zoo.parameters(model)) - run_names)
        unknown = sorted(set(self.record) - set(METRICS)) + sorted(set(self.summaries) - set(SUMMARIES))
        if unknown:
            raise UnknownNameError(f"unknown record or summary {', '.join(unknown)}; metrics: {', '.join(METRICS)}; "
                                   f"summaries: {', '.join(SUMMARIES)}")
        if self.tail and optimizer == "momentum":
            raise UnsupportedError("tail needs an optimizer without state (the second run would restart momentum)")
        self._check_names(self.fixed, "fixed parameter")

    def _check_names(self, names, what):
        valid = self.model_parameters | self.optimizer_parameters | {"seed", "start"}
        unknown = sorted(set(names) - valid - set(self._coordinates()))
        if unknown:
            raise UnknownNameError(f"{what} {', '.join(unknown)} is not a parameter of {self.model} or "
                                   f"{self.optimizer}; valid: {', '.join(sorted(valid | set(self._coordinates())))}")

    @functools.cached_property
    def _reference(self):
        return _model(self.model, self._model_key(self.fixed))

    def _model_key(self, values):
        """The model's parameters among ``values`` as sorted (zoo name, value) pairs."""
        return tuple(sorted((k.removeprefix("model."), v) for k, v in values.items() if k in self.model_parameters))

    def _coordinates(self):
        return [str(p) for p in self._reference.params]

    def describe(self) -> dict:
        return {"kind": "simulate", **{k: v for k, v in vars(self).items() if not k.startswith("_")},
                "extra": None if self.extra is None else repr(self.extra)}

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

    def __call__(self, block):
        values = {**{k: np.full(block.size, v) for k, v in self.fixed.items()}, **block.values}
        self._check_names(values, "grid axis")
        if "lr" in self.optimizer_parameters and "lr" not in values:
            raise InvalidInputError("the learning rate is neither on the grid nor fixed: add an 'lr' axis or fixed lr")
        scalar = sorted(k for k in values if k in self.model_parameters or k == "seed"
                        or (k in self.optimizer_parameters and k != "lr"))
        keys = list(zip(*(values[k] for k in scalar))) if scalar else [()] * block.size
        results = {name: np.full((block.size, *out.shape), out.fill, dtype=out.dtype)
                   for name, out in self.outputs.items()}
        for key in dict.fromkeys(keys):
            cells = np.array([i for i, k in enumerate(keys) if k == key])
            group = dict(zip(scalar, (_plain(v) for v in key)))
            for name, array in self._run_group(group, {k: v[cells] for k, v in values.items()}).items():
                results[name][cells] = array
        return results

    def _starts(self, model, values, n):
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

    def _run_group(self, group, values):
        n = len(next(iter(values.values())))
        model = _model(self.model, self._model_key(group))
        settings = {k: v for k, v in group.items() if k in self.optimizer_parameters}
        if "lr" in values:
            settings["lr"] = np.asarray(values["lr"], dtype=float)
        optimizer = optim.BY_NAME[self.optimizer](**settings)
        record = tuple(dict.fromkeys(self.record + (("loss",) if "peak_loss" in self.summaries else ())))
        seed = int(group.get("seed", 0))
        run = simulate(model, optimizer, self._starts(model, values, n), self.steps, record=record,
                       save_every=self.save_every, seed=seed, max_norm=self.max_norm, progress=False)
        codes = np.array([status.ALL.index(s) for s in run.status.reshape(-1)], dtype=np.int8)
        numeric = model.numeric
        found = {"status": codes, "stop_step": run.stop_step, "peak_loss": lambda: run["loss"].max(axis=0),
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
                        seed=seed + 1, max_norm=self.max_norm, progress=False)
        settled = (run.status == status.FINISHED) & (more.status == status.FINISHED)
        keep = np.where(settled[None], more["sharpness"], np.nan)
        return {"tail_sharpness": keep.T, "tail_loss": np.where(settled[None], more["loss"], np.nan).T,
                "period": np.where(settled, orbit_period(more.x), -1)}
