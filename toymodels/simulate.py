"""Run a discrete optimizer on a batch of starts: :func:`simulate`."""

import numpy as np

from . import progress as progress_bars
from .errors import InvalidInputError, UnknownNameError
from .optim import Optimizer
from .status import CONVERGED, DIVERGED, FINISHED
from .trajectory import Trajectory
from .validate import fits_batch, integer_at_least, positive_number

#: Metrics that can be recorded at the saved states, as functions of (numeric model, states).
METRICS = {
    "loss": lambda numeric, x: numeric.loss(x),
    "grad_norm": lambda numeric, x: np.linalg.norm(numeric.grad(x), axis=-1),
    "sharpness": lambda numeric, x: numeric.sharpness(x),
}

CONVENTIONS = "GD step k compared with flow time t = k·lr; loss as defined by the model (squared losses carry ½)"


def simulate(model, optimizer, x0, steps, record=("loss",), *, save_every=1, seed=0,
             max_norm=1e6, tol=None, progress=None) -> Trajectory:
    """Run ``optimizer`` on ``model`` from every start in ``x0`` (shape (..., d)) at once.

    ``record`` names metrics from :data:`METRICS` evaluated at the saved states (every
    ``save_every`` steps and the last). A start stops as *diverged* at step k when its state
    is not finite, its norm exceeds ``max_norm``, or a recorded metric is not finite; as
    *converged* when its gradient norm falls to ``tol`` or below (if ``tol`` is given) or the
    update is undefined at an exact stationary point. Stopped starts keep their last valid
    state, so no NaN reaches the returned arrays. ``seed`` seeds the generator of SGD batches.
    ``progress``: show a bar over the steps (None: as :func:`toymodels.progress.shown` says).
    """
    if not isinstance(optimizer, Optimizer):
        raise InvalidInputError(f"optimizer must be a toymodels.optim optimizer, got {optimizer!r}")
    optimizer.check(model)
    steps = integer_at_least(steps, "steps", minimum=0)
    save_every = integer_at_least(save_every, "save_every")
    seed = integer_at_least(seed, "seed", minimum=0)
    max_norm = positive_number(max_norm, "max_norm", allow_inf=True)
    tol = None if tol is None else positive_number(tol, "tol")
    unknown = sorted(set(record) - set(METRICS))
    if unknown:
        raise UnknownNameError(f"unknown metric {', '.join(unknown)}; recordable: {', '.join(METRICS)}")
    numeric = model.numeric
    x = numeric._theta(x0, "x0").astype(float, copy=True)
    if not np.all(np.isfinite(x)):
        raise InvalidInputError("x0 contains NaN or infinite values")
    batch = x.shape[:-1]
    fits_batch(optimizer, batch)
    saved_steps = np.unique(np.r_[np.arange(0, steps + 1, save_every), steps])
    lr_steps = saved_steps[saved_steps < steps]
    n_saved = len(saved_steps)

    xs = np.empty((n_saved, *x.shape))
    metrics = {name: np.empty((n_saved, *batch)) for name in record}
    lrs = np.zeros((len(lr_steps), *batch))
    status = np.full(batch, FINISHED, dtype=object)
    stop_step = np.full(batch, steps)
    active = np.ones(batch, dtype=bool)
    rng = np.random.default_rng(seed)
    state = optimizer.init_state(numeric, x)
    squared_bound = float(max_norm) ** 2 if max_norm < 1e150 else np.inf

    def stop(mask, label, k):
        nonlocal active
        if not mask.any():  # the common case, on the hot path
            return
        mask = mask & active
        status[mask] = label
        stop_step[mask] = k
        active = active & ~mask

    def save(j, k):
        with np.errstate(all="ignore"):  # also called before the loop
            values = {name: METRICS[name](numeric, x) for name in record}
        bad = np.zeros(batch, dtype=bool)
        for v in values.values():
            bad |= ~np.isfinite(v)
        if j > 0 and bad.any():  # keep the previous saved state for starts that just broke
            stop(bad, DIVERGED, k - 1 if save_every == 1 else int(saved_steps[j - 1]))
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
            if not active.any():
                break
            step = optimizer.step(numeric, x, state, rng)
            if squared_bound < np.inf:  # one pass; "not ≤" also catches NaN and inf entries
                bad = ~(np.einsum("...i,...i->...", step.x, step.x) <= squared_bound)
            else:
                bad = ~np.all(np.isfinite(step.x), axis=-1) | (np.linalg.norm(step.x, axis=-1) > max_norm)
            if next_lr < len(lr_steps) and lr_steps[next_lr] == k:
                lrs[next_lr] = np.where(active, step.lr, 0.0)
                next_lr += 1
            moving = active & ~bad
            everyone = moving.all()
            x = step.x if everyone else np.where(moving[..., None], step.x, x)
            if step.state is not None:
                state = step.state if everyone else np.where(moving[..., None], step.state, state)
            stop(bad, DIVERGED, k)  # the state after step k is the last valid one
            if step.stationary is not None:
                stop(step.stationary, CONVERGED, k)
            if tol is not None:
                stop(np.linalg.norm(numeric.grad(x), axis=-1) <= tol, CONVERGED, k + 1)
            if next_saved < n_saved and saved_steps[next_saved] == k + 1:
                save(next_saved, k + 1)
                next_saved += 1
    if next_saved < n_saved:  # every start stopped early: the remaining slots hold the frozen states
        with np.errstate(all="ignore"):
            values = {name: METRICS[name](numeric, x) for name in record}
        xs[next_saved:] = x
        for name in record:  # the metric of the stored state, not of an earlier saved one
            metrics[name][next_saved:] = values[name]

    meta = {"model": model.label(), "formula": model.formula, **optimizer.describe(),
            "n_steps": steps, "seed": seed, "max_norm": max_norm, "tol": tol,
            "time_unit": "optimizer steps", "conventions": CONVENTIONS}
    return Trajectory(xs, saved_steps, metrics, lrs, lr_steps, status.astype(str), stop_step, meta)
