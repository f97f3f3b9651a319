"""Run a discrete optimizer on a batch of starts: :func:`simulate`, on NumPy or on the JAX engine."""

from dataclasses import dataclass

import numpy as np

from . import backend as backends
from . import progress as progress_bars
from .errors import InvalidInputError, UnknownNameError
from .optim import SGD, GivenBatches, NumpyRandom, Optimizer, squared_norm
from .status import CONVERGED, DIVERGED, FINISHED
from .trajectory import Trajectory
from .validate import fits_batch, integer_at_least, positive_number

#: Metrics that can be recorded at the saved states, as functions of (numeric model, states);
#: written against ``numeric.xp``, so both backends record them.
METRICS = {
    "loss": lambda numeric, x: numeric.loss(x),
    "grad_norm": lambda numeric, x: numeric.xp.sqrt(squared_norm(numeric.grad(x), numeric.xp)),
    "sharpness": lambda numeric, x: numeric.sharpness(x),
}

CONVENTIONS = "GD step k compared with flow time t = k·lr; loss as defined by the model (squared losses carry ½)"


@dataclass(frozen=True)
class SavePlan:
    """Which states a run keeps: every ``save_every`` steps and the last one.

    ``saved_steps`` are the step indices of the saved states; the learning rate is recorded in the
    steps that start at a saved step (``lr_steps``). The run splits into ``n_full`` intervals of
    ``save_every`` steps and, if ``steps`` is not a multiple, a last one of ``remainder`` steps.
    """

    steps: int
    save_every: int

    @property
    def saved_steps(self):
        return np.unique(np.r_[np.arange(0, self.steps + 1, self.save_every), self.steps])

    @property
    def lr_steps(self):
        saved = self.saved_steps
        return saved[saved < self.steps]

    @property
    def n_full(self):
        return self.steps // self.save_every

    @property
    def remainder(self):
        return self.steps % self.save_every


def simulate(model, optimizer, x0, steps, record=("loss",), *, save_every=1, seed=0,
             max_norm=1e6, tol=None, progress=None, backend="auto", batches=None) -> Trajectory:
    """Run ``optimizer`` on ``model`` from every start in ``x0`` (shape (..., d)) at once.

    ``record`` names metrics from :data:`METRICS` evaluated at the saved states (every
    ``save_every`` steps and the last). A start stops as *diverged* at step k when its state
    is not finite, its norm exceeds ``max_norm``, or a recorded metric is not finite; as
    *converged* when its gradient norm falls to ``tol`` or below (if ``tol`` is given) or the
    update is undefined at an exact stationary point. Stopped starts keep their last valid
    state, so no NaN reaches the returned arrays. ``seed`` seeds the SGD batches (each backend
    draws its own reproducible sequence); ``batches`` (integer array (steps, *batch, batch_size))
    gives them instead, so a run can be replayed or compared across backends.
    ``backend``: ``"numpy"``, ``"jax"`` (the jitted engine, :mod:`toymodels.jax_simulate`) or
    ``"auto"`` (:func:`toymodels.backend.resolve`: JAX for long runs if installed).
    ``progress``: show a bar over the steps of a NumPy run (None: as
    :func:`toymodels.progress.shown` says).
    """
    if not isinstance(optimizer, Optimizer):
        raise InvalidInputError(f"optimizer must be a toymodels.optim optimizer, got {optimizer!r}")
    optimizer.check(model)
    steps = integer_at_least(steps, "steps", minimum=0)
    plan = SavePlan(steps, integer_at_least(save_every, "save_every"))
    seed = integer_at_least(seed, "seed", minimum=0)
    max_norm = positive_number(max_norm, "max_norm", allow_inf=True)
    tol = None if tol is None else positive_number(tol, "tol")
    unknown = sorted(set(record) - set(METRICS))
    if unknown:
        raise UnknownNameError(f"unknown metric {', '.join(unknown)}; recordable: {', '.join(METRICS)}")
    x = model.numeric._theta(x0, "x0").astype(float, copy=True)
    if not np.all(np.isfinite(x)):
        raise InvalidInputError("x0 contains NaN or infinite values")
    fits_batch(optimizer, x.shape[:-1])
    batches = _given_batches(model, optimizer, batches, steps, x.shape[:-1])
    chosen = backends.resolve(backend, backends.simulation_pays(steps))
    options = dict(seed=seed, max_norm=max_norm, tol=tol, batches=batches)
    if chosen == backends.JAX:
        from .jax_simulate import run
        progress_bars.note(f"{optimizer.name} on {model.name}: {steps} steps on the JAX engine")
        arrays = run(model, optimizer, x, plan, tuple(record), METRICS, **options)
    else:
        arrays = _run(model, optimizer, x, plan, tuple(record), progress=progress, **options)
    meta = {"model": model.label(), "formula": model.formula, **optimizer.describe(),
            "n_steps": steps, "seed": seed, "max_norm": max_norm, "tol": tol, "backend": chosen,
            "time_unit": "optimizer steps", "conventions": CONVENTIONS}
    xs, metrics, lrs, status, stop_step = arrays
    return Trajectory(xs, plan.saved_steps, metrics, lrs, plan.lr_steps, status.astype(str), stop_step, meta)


def _given_batches(model, optimizer, batches, steps, batch):
    if batches is None:
        return None
    if not isinstance(optimizer, SGD):
        raise InvalidInputError(f"batches are sample indices for SGD; {optimizer.name} draws none")
    batches = np.asarray(batches)
    shape = (steps, *batch, optimizer.batch_size)
    if batches.shape != shape or not np.issubdtype(batches.dtype, np.integer):
        raise InvalidInputError(f"batches must be an integer array of shape (steps, *batch, batch_size) = "
                                f"{shape}; got {batches.dtype} {batches.shape}")
    if batches.min() < 0 or batches.max() >= model.n_samples:
        raise InvalidInputError(f"batch indices must lie in [0, {model.n_samples})")
    return batches


def _run(model, optimizer, x, plan, record, *, seed, max_norm, tol, batches, progress):
    """The NumPy loop; returns (xs, metric values, lrs, status, stop_step)."""
    numeric = model.numeric
    batch = x.shape[:-1]
    saved_steps, lr_steps = plan.saved_steps, plan.lr_steps
    n_saved, save_every, steps = len(saved_steps), plan.save_every, plan.steps

    xs = np.empty((n_saved, *x.shape))
    metrics = {name: np.empty((n_saved, *batch)) for name in record}
    lrs = np.zeros((len(lr_steps), *batch))
    status = np.full(batch, FINISHED, dtype=object)
    stop_step = np.full(batch, steps)
    active = np.ones(batch, dtype=bool)
    everyone_active = True  # `active` is all True: the common case, where the loop skips its masks
    rng = NumpyRandom(seed)
    state = optimizer.init_state(numeric, x)
    squared_bound = float(max_norm) ** 2 if max_norm < 1e150 else np.inf
    # No entry beyond max_norm/√d in absolute value: every norm is within the bound. Two
    # reductions (NaN fails both comparisons) instead of a norm per start on the hot path.
    entry_bound = min(float(max_norm) / np.sqrt(x.shape[-1]), np.finfo(float).max)

    def stop(mask, label, k):
        nonlocal active, everyone_active
        if not mask.any():  # the common case, on the hot path
            return
        mask = mask & active
        status[mask] = label
        stop_step[mask] = k
        active = active & ~mask
        everyone_active = False

    def save(j, k):
        with np.errstate(all="ignore"):  # also called before the loop
            values = {name: METRICS[name](numeric, x) for name in record}
        bad = np.zeros(batch, dtype=bool)
        for v in values.values():
            bad |= ~np.isfinite(v)
        if j > 0 and bad.any():  # keep the previous saved state for starts that just broke
            stop(bad, DIVERGED, int(saved_steps[j - 1]))
            x[bad] = xs[j - 1][bad]
            for name in record:
                values[name][bad] = metrics[name][j - 1][bad]
        elif bad.any():  # the loss is undefined at these starts: they stop before the first step
            stop(bad, DIVERGED, 0)
        xs[j] = x
        for name in record:
            metrics[name][j] = values[name]

    save(0, 0)
    next_saved, next_lr = 1, 0
    # Non-finite values are expected (that is how divergence shows) and handled per start below.
    with np.errstate(all="ignore"):
        for k in progress_bars.bar(range(steps), show=progress, desc=f"{optimizer.name} on {model.name}",
                                   unit="step", mininterval=0.5):
            if not everyone_active and not active.any():
                break
            step = optimizer.step(numeric, x, state, rng if batches is None else GivenBatches(batches[k]))
            if next_lr < len(lr_steps) and lr_steps[next_lr] == k:
                lrs[next_lr] = step.lr if everyone_active else np.where(active, step.lr, 0.0)
                next_lr += 1
            if everyone_active and -entry_bound <= step.x.min() and step.x.max() <= entry_bound:
                x, state = step.x, step.state  # nobody stops by the bound: no masks to apply
            else:
                if squared_bound < np.inf:  # "≤" is False on NaN and inf entries
                    ok = squared_norm(step.x, np) <= squared_bound
                else:
                    ok = np.all(np.isfinite(step.x), axis=-1) & (np.sqrt(squared_norm(step.x, np)) <= max_norm)
                moving = active & ok
                x = np.where(moving[..., None], step.x, x)
                if step.state is not None:
                    state = np.where(moving[..., None], step.state, state)
                stop(~ok, DIVERGED, k)  # the state after step k is the last valid one
            if step.stationary is not None:
                stop(step.stationary, CONVERGED, k)
            if tol is not None:
                stop(np.sqrt(squared_norm(numeric.grad(x), np)) <= tol, CONVERGED, k + 1)
            if next_saved < n_saved and saved_steps[next_saved] == k + 1:
                save(next_saved, k + 1)
                next_saved += 1
    if next_saved < n_saved:  # every start stopped early: the remaining slots hold the frozen states
        with np.errstate(all="ignore"):
            values = {name: METRICS[name](numeric, x) for name in record}
        xs[next_saved:] = x
        for name in record:  # the metric of the stored state, not of an earlier saved one
            metrics[name][next_saved:] = values[name]
    return xs, metrics, lrs, status, stop_step
