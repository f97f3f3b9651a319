"""The JAX engine's run loop: :func:`toymodels.simulate` with ``backend="jax"``.

One jitted function runs every start at once: an outer ``lax.scan`` over the save intervals and
an inner ``lax.fori_loop`` over the optimizer steps of one interval, with the optimizer's own
``step`` (written once against ``xp``, :mod:`toymodels.optim`) traced on
:class:`~toymodels.jax_model.JaxModel`. Recording, saving, divergence and statuses follow the
NumPy loop of :mod:`toymodels.simulate` step for step (``tests/test_engine.py`` holds the two to
1e-12 and to the same statuses at the same steps). Floating-point hyper-parameters (learning
rates, β, p) are arguments of the compiled loop, so a sweep over them compiles once. Nothing here
is specific to a CPU: on a machine where JAX sees a GPU the same loop runs there.
"""

import copy

import jax
import jax.numpy as jnp
import numpy as np

from . import status as statuses
from .backend import x64
from .jax_model import engine
from .optim import GivenBatches, draw_batches, squared_norm

#: Save intervals run in blocks of about this many steps: first without masks while every start
#: is active, and again interval by interval, with masks, if a start stopped in the block (the
#: masks cost more than the optimizer step itself on a CPU: a GD step over 10⁴ starts is 3.5 µs
#: bare and 20 µs with them).
BLOCK_STEPS = 64
#: Masked intervals of at least this many steps are skipped once every start has stopped (the
#: branch costs more than it saves on shorter ones).
SKIP_FROM = 16
_CODE = {label: code for code, label in enumerate(statuses.ALL)}


class JaxRandom:
    """Mini-batches from a JAX key, by the rule of :func:`toymodels.optim.draw_batches`."""

    def __init__(self, key):
        self.key = key

    def _next(self):
        self.key, sub = jax.random.split(self.key)
        return sub

    def integers(self, low, high, size):
        return jax.random.randint(self._next(), size, low, high)

    def random(self, size):
        return jax.random.uniform(self._next(), size, dtype=jnp.float64)

    def draw_batches(self, n_samples, batch_size, shape, replace):
        return draw_batches(n_samples, batch_size, shape, self, replace)


def _split_hyper(optimizer):
    """(traced, static): floating-point hyper-parameters become arguments of the compiled loop;
    integers and flags (batch size, sampling scheme) fix array shapes and stay constants."""
    traced, static = {}, {}
    for name, value in vars(optimizer).items():
        is_float = isinstance(value, float) or (isinstance(value, np.ndarray) and value.dtype.kind == "f")
        (traced if is_float else static)[name] = value
    return traced, static


def run(model, optimizer, x, plan, record, metrics, *, seed, max_norm, tol, batches):
    """Run on the engine; returns NumPy arrays (xs, metric values, lrs, status, stop_step)."""
    numeric = engine(model)
    traced, static = _split_hyper(optimizer)
    # compiled loops live with the model's engine (and go with it); JAX retraces for new shapes
    key = ("simulate", type(optimizer), tuple(sorted(static.items())), tuple(record), plan.save_every,
           plan.n_full, plan.remainder, float(max_norm), tol is None, batches is None)
    with x64():
        if key not in numeric.compiled:
            numeric.compiled[key] = jax.jit(_loop(numeric, optimizer, plan, record, metrics, max_norm,
                                                  tol is None, batches is None))
        hyper = {k: jnp.asarray(v) for k, v in traced.items()}
        out = numeric.compiled[key](jnp.asarray(x), hyper, jnp.asarray(0.0 if tol is None else tol),
                                    jax.random.key(seed), None if batches is None else jnp.asarray(batches))
        xs, values, lrs, code, stop = jax.device_get(out)
    status = np.asarray(statuses.ALL)[code]  # a string array, as Trajectory keeps it
    return (np.asarray(xs), {k: np.asarray(v) for k, v in values.items()}, np.asarray(lrs), status,
            np.asarray(stop, dtype=np.int64))


def _loop(numeric, prototype, plan, record, metrics, max_norm, no_tol, no_batches):
    """The run as a function of (x0, traced hyper-parameters, tol, key, batches)."""
    squared_bound = float(max_norm) ** 2 if max_norm < 1e150 else None
    diverged, converged = _CODE[statuses.DIVERGED], _CODE[statuses.CONVERGED]

    def evaluate(x):
        return {name: metrics[name](numeric, x) for name in record}

    def stop(flags, mask, code, k):
        active, status, stop_step = flags
        newly = mask & active
        return active & ~mask, jnp.where(newly, code, status), jnp.where(newly, k, stop_step)

    def function(x0, hyper, tol, key, batches):
        optimizer = copy.copy(prototype)
        optimizer.__dict__.update(hyper)

        def rng(k):
            return JaxRandom(jax.random.fold_in(key, k)) if no_batches else GivenBatches(batches[k])

        def out_of_bounds(x):
            if squared_bound is not None:  # "not ≤" also catches NaN and inf entries
                return ~(squared_norm(x, jnp) <= squared_bound)
            return ~jnp.all(jnp.isfinite(x), axis=-1) | (jnp.sqrt(squared_norm(x, jnp)) > max_norm)

        def converges(x):
            return jnp.sqrt(squared_norm(numeric.grad(x), jnp)) <= tol

        def one_step(k, i, carry):
            x, state, flags, lr0 = carry
            step = optimizer.step(numeric, x, state, rng(k))
            bad = out_of_bounds(step.x)
            active = flags[0]
            lr0 = jnp.where(i == 0, jnp.where(active, step.lr, 0.0), lr0)
            moving = (active & ~bad)[..., None]
            x = jnp.where(moving, step.x, x)
            if step.state is not None:
                state = jnp.where(moving, step.state, state)
            flags = stop(flags, bad, diverged, k)  # the state after step k is the last valid one
            if step.stationary is not None:
                flags = stop(flags, step.stationary, converged, k)
            if not no_tol:
                flags = stop(flags, converges(x), converged, k + 1)
            return x, state, flags, lr0

        def quiet_step(k, x, state, quiet):
            """One step with no masks; ``quiet`` turns False where a start would have stopped."""
            step = optimizer.step(numeric, x, state, rng(k))
            quiet = quiet & ~out_of_bounds(step.x)
            if step.stationary is not None:
                quiet = quiet & ~step.stationary
            if not no_tol:
                quiet = quiet & ~converges(step.x)
            return step, quiet

        def masked_interval(length):
            """Save interval ``length`` step by step, with the stops and masks of the NumPy loop."""
            def advance(carry, start):
                x, state, flags, previous = carry

                def steps(inner):
                    if length == 1:
                        return one_step(start, 0, inner)
                    return jax.lax.fori_loop(0, length, lambda i, c: one_step(start + i, i, c), inner)

                inner = (x, state, flags, jnp.zeros(x.shape[:-1]))
                if length < SKIP_FROM:
                    x, state, flags, lr0 = steps(inner)
                else:  # skip the interval when every start has stopped
                    x, state, flags, lr0 = jax.lax.cond(flags[0].any(), steps, lambda c: c, inner)
                values = evaluate(x)
                bad = _not_finite(values, x)  # keep the previous saved state for starts that just broke
                flags = stop(flags, bad, diverged, start)  # the previous saved step
                x = jnp.where(bad[..., None], previous[0], x)
                values = {name: jnp.where(bad, previous[1][name], v) for name, v in values.items()}
                return (x, state, flags, (x, values)), (x, values, lr0)
            return advance

        def quiet_interval(carry, start):
            """Save interval ``plan.save_every`` with no masks, for when every start is active."""
            x, state, quiet = carry
            step, quiet = quiet_step(start, x, state, quiet)
            lr0 = jnp.broadcast_to(step.lr, x.shape[:-1]).astype(x.dtype)
            x, state = step.x, step.state

            def body(i, c):
                step, quiet = quiet_step(start + i, c[0], c[1], c[2])
                return step.x, step.state, quiet

            if plan.save_every > 1:
                x, state, quiet = jax.lax.fori_loop(1, plan.save_every, body, (x, state, quiet))
            values = evaluate(x)
            return (x, state, quiet & ~_not_finite(values, x)), (x, values, lr0)

        def block(carry, starts):
            """Save intervals from ``starts``: first without masks while every start is active, and
            again interval by interval (the same steps, so the same states) if a start stopped."""
            def masked(carry):
                return jax.lax.scan(masked_interval(plan.save_every), carry, starts)

            def attempt(carry):
                x, state, flags, _ = carry
                (x, state, quiet), out = jax.lax.scan(quiet_interval, (x, state, jnp.ones(x.shape[:-1], dtype=bool)),
                                                      starts)
                last = (out[0][-1], {name: v[-1] for name, v in out[1].items()})
                return jax.lax.cond(quiet.all(), lambda _: ((x, state, flags, last), out), masked, carry)

            return jax.lax.cond(carry[2][0].all(), attempt, masked, carry)

        batch = x0.shape[:-1]
        values = evaluate(x0)
        flags = (jnp.ones(batch, dtype=bool), jnp.zeros(batch, dtype=jnp.int32),
                 jnp.full(batch, plan.steps, dtype=jnp.int64))
        flags = stop(flags, _not_finite(values, x0), diverged, 0)  # undefined at the start
        state = prototype.init_state(numeric, x0)
        carry = (x0, state, flags, (x0, values))
        per_block = max(1, BLOCK_STEPS // plan.save_every)
        n_blocks = plan.n_full // per_block
        starts = jnp.arange(plan.n_full) * plan.save_every
        carry, blocked = jax.lax.scan(block, carry, starts[:n_blocks * per_block].reshape(n_blocks, per_block))
        pieces = [jax.tree.map(lambda a: a.reshape(-1, *a.shape[2:]), blocked)]
        if plan.n_full > n_blocks * per_block:  # the intervals that do not fill a block
            carry, rest = jax.lax.scan(masked_interval(plan.save_every), carry, starts[n_blocks * per_block:])
            pieces.append(rest)
        if plan.remainder:
            carry, last = masked_interval(plan.remainder)(carry, plan.n_full * plan.save_every)
            pieces.append(jax.tree.map(lambda a: a[None], last))
        xs, saved, lrs = jax.tree.map(lambda *a: jnp.concatenate(a), *pieces)
        xs = jnp.concatenate([x0[None], xs])
        saved = {name: jnp.concatenate([values[name][None], saved[name]]) for name in record}
        _, status, stop_step = carry[2]
        return xs, saved, lrs, status, stop_step

    return function


def _not_finite(values, x):
    bad = jnp.zeros(x.shape[:-1], dtype=bool)
    for v in values.values():
        bad = bad | ~jnp.isfinite(v)
    return bad
