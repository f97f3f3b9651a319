"""Integrate an autonomous flow dθ/dt = f(θ) from a batch of starts: :func:`integrate`.

Two methods, chosen by name:

- ``"rk4"``: the classical fixed-step Runge–Kutta method of order 4.
- ``"dop853"``: the adaptive Dormand–Prince 8(5,3) pair with Hairer's error estimator and
  step-size controller (Hairer, Nørsett & Wanner, *Solving Ordinary Differential Equations I*,
  2nd ed., §II.10; coefficients from scipy's DOP853). Every start has its own time and step
  size and is accepted or rejected on its own error, so one stiff start does not slow the others.

One entry point and a :class:`~toymodels.solution.Solution` with a per-start status instead of
exceptions for expected failures, after Diffrax (Kidger).
"""

import math

import numpy as np
from scipy.integrate._ivp import dop853_coefficients as _dop

from .errors import InvalidInputError, SingularError
from .solution import Solution
from .status import DIVERGED, FINISHED, MAX_STEPS, SINGULAR, STEP_SIZE_COLLAPSE
from .validate import integer_at_least, positive_number

METHODS = ("rk4", "dop853")
TIME_UNIT = "flow time t (one GD step = lr units, docs/theory/conventions.md)"

# scipy's controller constants for explicit Runge-Kutta: safety factor and bounds on the change
# of h per step. The exponent is -1/(q+1) for the order-7 error estimate of DOP853.
SAFETY, MIN_FACTOR, MAX_FACTOR, EXPONENT = 0.9, 0.2, 10.0, -1 / 8
_N = _dop.N_STAGES  # 12 stages; the error estimate also uses f at the new state (stage 13)
_A, _B, _E3, _E5 = _dop.A[:_N, :_N], _dop.B, _dop.E3, _dop.E5

COMPLEX_MESSAGE = "this field is complex-valued; pass a complex x0 (e.g. x0.astype(complex))"


def _check_saveat(saveat, t1):
    try:
        times = np.array(saveat, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError(f"saveat must be a 1-D array of times, got {saveat!r}") from None
    if times.ndim != 1 or times.size == 0 or not np.all(np.isfinite(times)):
        raise InvalidInputError(f"saveat must be a non-empty 1-D array of finite times, got {saveat!r}")
    backwards = np.flatnonzero(np.diff(times) <= 0)
    if backwards.size:
        j = int(backwards[0])
        raise InvalidInputError(f"saveat must be strictly increasing, but saveat[{j + 1}] = "
                                f"{float(times[j + 1])!r} follows saveat[{j}] = {float(times[j])!r}")
    if times[0] < 0 or times[-1] > t1:
        raise InvalidInputError(f"saveat must lie in [0, t1] = [0, {t1!r}], got times from "
                                f"{float(times[0])!r} to {float(times[-1])!r}")
    return times


def _check_x0(x0):
    x = np.asarray(x0)
    if x.dtype.kind not in "iufc" or x.ndim == 0 or x.shape[-1] == 0:
        raise InvalidInputError(f"x0 must be a numeric array of shape (..., d) with d >= 1, "
                                f"got {x.dtype} array of shape {x.shape}")
    x = x.astype(complex if x.dtype.kind == "c" else float)
    if not np.all(np.isfinite(x)):
        raise InvalidInputError("x0 contains NaN or infinite values")
    return x


#: Errors a field may raise for some states of a batch: the batch is then evaluated start by
#: start, so that the failure belongs to the starts that caused it (a SingularError makes the
#: start "singular", the others make its value non-finite, as for a field that returns NaN).
PER_START_ERRORS = (SingularError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError)


def _wrap(field, dtype, messages):
    """``field`` as ``evaluate(x, reference) -> (dθ/dt, branch, singular)``, checked to return
    θ's shape and real values when θ is real. ``branch`` is None unless the field is
    multi-valued and has ``continued`` (the principal flow): then ``reference`` is the branch at
    the last known state of each start, and the branch at ``x`` comes back with the value.
    ``singular`` is None, or the mask of the starts (rows of ``x``) where the field raised a
    :class:`~toymodels.errors.SingularError`; there, and where it raised another of
    :data:`PER_START_ERRORS`, the value is NaN; the first message of each kind of error is
    kept in ``messages`` (status -> text), for the Solution to say why."""
    continued = getattr(field, "continued", None)

    def call(x, reference):
        out, branch = continued(x, reference) if continued is not None else (field(x), None)
        out = np.asarray(out)
        if out.shape != x.shape:
            raise InvalidInputError(f"the field returned shape {out.shape} for states of shape "
                                    f"{x.shape}; it must return dθ/dt with the shape of θ")
        if np.iscomplexobj(out) and dtype.kind != "c":
            raise InvalidInputError(COMPLEX_MESSAGE)
        return out, branch

    def one_by_one(x, reference):
        out = np.full(x.shape, np.nan, dtype=np.result_type(dtype, float))
        singular = np.zeros(len(x), dtype=bool)
        branches = [None] * len(x)
        for i in range(len(x)):
            try:
                value, branches[i] = call(x[i:i + 1], None if reference is None else reference[i:i + 1])
            except PER_START_ERRORS as exc:
                singular[i] = isinstance(exc, SingularError)
                messages.setdefault(SINGULAR if singular[i] else DIVERGED, f"{type(exc).__name__}: {exc}")
                continue
            out = out.astype(np.result_type(out, value), copy=False)
            out[i] = value[0]
        if continued is None:
            return out, None, singular
        known = [b for b in branches if b is not None]
        if not known:  # every start failed: they all stop here, so no branch is carried on
            return out, reference, singular
        width = known[0].shape[1:]
        fill = (lambda i: reference[i]) if reference is not None else (lambda i: np.full(width, np.nan))
        return out, np.stack([b[0] if b is not None else fill(i) for i, b in enumerate(branches)]), singular

    def evaluate(x, reference=None):
        try:
            out, branch = call(x, reference)
        except PER_START_ERRORS:
            flat = x.reshape(-1, x.shape[-1])
            ref = None if reference is None else reference.reshape(len(flat), -1)
            out, branch, singular = one_by_one(flat, ref)
            return out.reshape(x.shape), branch, singular
        return out, branch, None

    return evaluate


def _rms(v):
    return np.sqrt(np.mean(np.abs(v) ** 2, axis=-1))


def _targets(saveat, t1):
    """The times every start must step onto exactly: the save times and t1."""
    return np.unique(np.r_[saveat, t1])


class _Starts:
    """Per-start bookkeeping shared by the methods: last valid state, saves, status, stop time.

    ``targets`` are the save times plus t1; every start steps onto each of them exactly.
    """

    def __init__(self, x, branch, saveat, t1):
        self.x = x.copy()
        self.branch = branch  # per start, the branch of a multi-valued field at x (or None)
        self.targets = _targets(saveat, t1)
        self.slot = np.searchsorted(saveat, self.targets)  # save slot of each target
        self.is_save = np.isin(self.targets, saveat)
        self.saved = np.zeros((len(saveat), *x.shape), dtype=x.dtype)
        self.n_saved = np.zeros(len(x), dtype=int)
        self.next = np.zeros(len(x), dtype=int)  # index of each start's next target
        self.status = np.full(len(x), FINISHED, dtype=object)
        self.stop_time = np.full(len(x), float(t1))
        self.n_steps = np.zeros(len(x), dtype=int)
        self.active = np.ones(len(x), dtype=bool)

    def stop(self, idx, label, t):
        """Stop the starts ``idx`` (those still active) with ``label``; ``t``: last valid time."""
        keep = self.active[idx]
        idx = idx[keep]
        self.status[idx] = label
        self.stop_time[idx] = np.broadcast_to(t, keep.shape)[keep]
        self.active[idx] = False

    def reference(self, idx):
        return None if self.branch is None else self.branch[idx]

    def move(self, idx, x, branch):
        """The starts ``idx`` took a step to ``x``; ``branch`` is the field's branch at ``x``
        (dop853) or at the state the step started from (rk4): either is close enough to
        continue from at the next evaluation."""
        self.x[idx] = x
        if self.branch is not None:
            self.branch[idx] = branch
        self.n_steps[idx] += 1

    def arrive(self, idx):
        """The starts ``idx`` stand on their next target with state ``self.x[idx]``."""
        k = self.next[idx]
        save = self.is_save[k]
        self.saved[self.slot[k[save]], idx[save]] = self.x[idx[save]]
        self.n_saved[idx[save]] += 1
        self.next[idx] += 1
        self.active[idx[self.next[idx] == len(self.targets)]] = False

    def frozen(self):
        """The saved states, with each stopped start's last valid state in its unreached slots."""
        unreached = np.arange(len(self.saved))[:, None] >= self.n_saved[None]
        return np.where(unreached[..., None], self.x[None], self.saved)


def _dop853_step(f, y, fy, h, rtol, atol, reference):
    """One DOP853 step of size ``h`` (per start): new state, f and the branch there, Hairer's
    error norm, the mask of non-finite steps and of steps that met a singular point. Every
    stage continues the branch from the step's start."""
    hh = h[:, None]
    K = np.empty((_N + 1, *y.shape), dtype=y.dtype)
    K[0] = fy
    singular = np.zeros(len(y), dtype=bool)
    for s in range(1, _N):
        K[s], _, hit = f(y + hh * np.tensordot(_A[s, :s], K[:s], axes=1), reference)
        singular |= False if hit is None else hit
    y_new = y + hh * np.tensordot(_B, K[:_N], axes=1)
    K[_N], branch, hit = f(y_new, reference)
    singular |= False if hit is None else hit
    scale = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
    err5 = np.sum(np.abs(np.tensordot(_E5, K, axes=1) / scale) ** 2, axis=-1)
    err3 = np.sum(np.abs(np.tensordot(_E3, K, axes=1) / scale) ** 2, axis=-1)
    # Hairer's DOP853 norm: the 5th-order estimate, damped by the 3rd where both are large
    denom = err5 + 0.01 * err3
    err = np.where(denom > 0, np.abs(h) * err5 / np.sqrt(denom * y.shape[-1]), 0.0)
    finite = np.all(np.isfinite(K), axis=(0, -1)) & np.all(np.isfinite(y_new), axis=-1)
    return y_new, K[_N], branch, np.where(finite & np.isfinite(err), err, np.inf), ~finite, singular


def _initial_step(f, y, fy, span, rtol, atol, reference):
    """Hairer's starting step (Solving ODEs I, §II.4), per start, as in scipy."""
    scale = atol + rtol * np.abs(y)
    d0, d1 = _rms(y / scale), _rms(fy / scale)
    h0 = np.minimum(np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / d1), span)
    d2 = _rms((f(y + h0[:, None] * fy, reference)[0] - fy) / scale) / h0
    dmax = np.maximum(d1, d2)
    h1 = np.where(dmax <= 1e-15, np.maximum(1e-6, 1e-3 * h0), (0.01 / dmax) ** (-EXPONENT))
    h = np.minimum(np.minimum(100 * h0, h1), span)
    return np.where(np.isfinite(h) & (h > 0), h, h0)  # a non-finite f(y + h0 f) gives no estimate


def _run_dop853(f, starts, fx, t1, dt, rtol, atol, max_norm, max_steps, min_step):
    t = np.zeros(len(fx))
    fx = fx.copy()
    live = np.flatnonzero(starts.active)
    h = np.full(len(fx), float(t1) if dt is None else dt)  # t1: a placeholder for stopped starts
    if dt is None and live.size:
        h[live] = _initial_step(f, starts.x[live], fx[live], t1, rtol, atol, starts.reference(live))
    rejected = np.zeros(len(fx), dtype=bool)
    undefined = np.zeros(len(fx), dtype=bool)  # the last attempted step met a non-finite field
    singular = np.zeros(len(fx), dtype=bool)  # ... or a singular point of it
    while starts.active.any():
        i = np.flatnonzero(starts.active)
        ti, hi, target = t[i], h[i], starts.targets[starts.next[i]]
        lands = ti + 1.01 * hi >= target  # take the rest in one step rather than leave a sliver
        step = np.where(lands, target - ti, hi)
        y_new, f_new, branch, err, undefined[i], singular[i] = _dop853_step(f, starts.x[i], fx[i], step, rtol,
                                                                            atol, starts.reference(i))
        ok = err < 1
        with_err = np.where(err == 0, MAX_FACTOR, SAFETY * err ** EXPONENT)
        factor = np.where(ok, np.minimum(with_err, np.where(rejected[i], 1.0, MAX_FACTOR)),
                          np.maximum(MIN_FACTOR, with_err))
        h_next = step * factor
        h[i] = np.where(ok & lands, np.maximum(h_next, hi), h_next)  # clipping is not a verdict
        rejected[i] = ~ok
        big = ok & (np.linalg.norm(y_new, axis=-1) > max_norm)
        starts.stop(i[big], DIVERGED, ti[big])
        move = ok & ~big
        moved = i[move]
        starts.move(moved, y_new[move], None if branch is None else branch[move])
        fx[moved] = f_new[move]
        t[moved] = np.where(lands[move], target[move], ti[move] + step[move])
        starts.arrive(moved[lands[move]])
        live = starts.active[i]
        spent = live & (starts.n_steps[i] >= max_steps)
        starts.stop(i[spent], MAX_STEPS, t[i[spent]])
        shrunk = starts.active[i] & (h[i] < min_step)
        # shrinking onto a point where the field is not finite is divergence, as in rk4, or a
        # singularity where the field said so
        for label, mask in ((SINGULAR, shrunk & singular[i]), (DIVERGED, shrunk & undefined[i])):
            starts.stop(i[mask], label, t[i[mask]])
        starts.stop(i[shrunk & ~undefined[i]], STEP_SIZE_COLLAPSE, t[i[shrunk & ~undefined[i]]])


def _rk4_grid(targets, dt):
    """Step end times for steps of ``dt`` from 0, each last step before a target shortened onto it."""
    edges = np.r_[0.0, targets]
    ends, hits = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        if b > a:  # a first target at 0 needs no step
            # 1e-12 slack: a gap that is a whole number of steps up to rounding gets no sliver
            n_sub = max(1, math.ceil((b - a) / dt * (1 - 1e-12)))
            ends.append(np.r_[a + dt * np.arange(1, n_sub), b])
            hits.append(np.arange(n_sub) == n_sub - 1)
    return np.concatenate(ends), np.concatenate(hits)


def _run_rk4(f, starts, ends, hits, max_norm):
    t_old = 0.0
    for t_new, on_target in zip(ends, hits):
        i = np.flatnonzero(starts.active)
        if i.size == 0:
            return
        y, h = starts.x[i], t_new - t_old
        k1, branch, hit1 = f(y, starts.reference(i))  # the branch at y, continued from the last state
        k2, _, hit2 = f(y + h / 2 * k1, branch)
        k3, _, hit3 = f(y + h / 2 * k2, branch)
        k4, _, hit4 = f(y + h * k3, branch)
        y_new = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        singular = np.zeros(len(i), dtype=bool)
        for stage in (hit1, hit2, hit3, hit4):
            singular |= False if stage is None else stage
        starts.stop(i[singular], SINGULAR, t_old)  # a fixed step cannot be retried shorter
        bad = ~np.all(np.isfinite(y_new), axis=-1) | (np.linalg.norm(y_new, axis=-1) > max_norm)
        starts.stop(i[bad], DIVERGED, t_old)
        starts.move(i[~bad], y_new[~bad], None if branch is None else branch[~bad])
        if on_target:
            starts.arrive(np.flatnonzero(starts.active))
        t_old = t_new


def integrate(field, x0, t1, *, saveat=None, method="dop853", dt=None, rtol=1e-10, atol=1e-12,
              max_norm=1e6, max_steps=100_000, min_step=None) -> Solution:
    """Integrate dθ/dt = ``field(θ)`` from every start in ``x0`` (shape (..., d)) up to time ``t1``.

    ``field`` maps states of shape (..., d) to dθ/dt of the same shape (real or complex); it is
    called on x0's shape first, then on (m, d) stacks of the starts still running. A field
    that is complex at real states (the principal flow past ηλ = 1, docs/theory/principal-flow.md) needs a
    complex ``x0``. ``saveat``: strictly increasing times in [0, t1] (default [0, t1]); the
    result holds ``x`` of shape (len(saveat), *batch, d), hit exactly at those times.

    ``method="rk4"`` takes steps ``dt`` (required), shortened before each save time; the run
    must fit in ``max_steps``. ``method="dop853"`` is adaptive with the error norm
    RMS(err / (atol + rtol·max(|y|, |y_new|))) per start; ``dt``, if given, is its first step.

    Per start, the status (:mod:`toymodels.status`) is "finished"; "singular" when the field
    raised a :class:`~toymodels.errors.SingularError` for that start (at the start; for rk4 at
    any stage; for dop853 where its step shrinks onto such a point); "diverged" when a step
    leaves the ball of radius ``max_norm`` or the field is not finite or raised another of
    :data:`PER_START_ERRORS` (at the start, or wherever the steps lead; for dop853, where its
    step shrinks onto such a point); "step_size_collapse" when the adaptive
    step falls below ``min_step`` (default 1e-12·max(1, t1)) where the field is finite (a
    singularity, or a branch that cannot be continued); or "max_steps" when the start has
    taken ``max_steps`` accepted steps. ``stop_time`` is the time of the last valid state.
    States are returned at the save times only: ``Solution.final`` is the state at the last
    save time (or the last valid state of a start that stopped before it), even if t1 is later.
    Stopped starts keep their last valid state in later save slots, so no NaN reaches the arrays.
    """
    if method not in METHODS:
        raise InvalidInputError(f"unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    t1 = positive_number(t1, "t1")
    times = _check_saveat([0.0, t1] if saveat is None else saveat, t1)
    x = _check_x0(x0)
    if method == "rk4" and dt is None:
        raise InvalidInputError("method 'rk4' needs a step size: pass dt=...")
    dt = None if dt is None else positive_number(dt, "dt")
    rtol, atol = positive_number(rtol, "rtol"), positive_number(atol, "atol")
    max_norm = positive_number(max_norm, "max_norm", allow_inf=True)
    max_steps = integer_at_least(max_steps, "max_steps")
    min_step = 1e-12 * max(1.0, t1) if min_step is None else positive_number(min_step, "min_step")

    batch, d = x.shape[:-1], x.shape[-1]
    flat = x.reshape(-1, d)
    messages = {}
    f = _wrap(field, flat.dtype, messages)
    if method == "rk4":
        ends, hits = _rk4_grid(_targets(times, t1), dt)
        if len(ends) > max_steps:
            raise InvalidInputError(f"rk4 with dt={dt!r} needs {len(ends)} steps to reach "
                                    f"t1={t1!r}, more than max_steps={max_steps}; raise max_steps or dt")
    with np.errstate(all="ignore"):  # non-finite values are checked per start, not warned about
        fx, branch, singular = f(x)  # first call at the user's shape, for a clear shape error
        fx = fx.reshape(flat.shape)
        starts = _Starts(flat, None if branch is None else branch.reshape(len(flat), -1), times, t1)
        if singular is not None:
            starts.stop(np.flatnonzero(singular), SINGULAR, 0.0)
        undefined = ~np.all(np.isfinite(fx), axis=-1) | (np.linalg.norm(flat, axis=-1) > max_norm)
        starts.stop(np.flatnonzero(undefined), DIVERGED, 0.0)
        if starts.targets[0] == 0:
            starts.arrive(np.flatnonzero(starts.active))
        if method == "rk4":
            _run_rk4(f, starts, ends, hits, max_norm)
        else:
            _run_dop853(f, starts, fx, t1, dt, rtol, atol, max_norm, max_steps, min_step)

    adaptive = method == "dop853"
    meta = {"method": method, "rtol": rtol if adaptive else None, "atol": atol if adaptive else None,
            "dt": dt, "t1": t1, "max_norm": max_norm, "max_steps": max_steps,
            "min_step": min_step if adaptive else None,
            "time_unit": getattr(field, "time_unit", TIME_UNIT),
            "field": getattr(field, "label", getattr(field, "__name__", type(field).__name__)),
            "lr": getattr(field, "lr", None),
            "status_messages": {k: v for k, v in messages.items() if np.any(starts.status == k)}}
    saved = starts.frozen()
    return Solution(times, saved.reshape(len(times), *batch, d), starts.status.astype(str).reshape(batch),
                    starts.stop_time.reshape(batch), starts.n_steps.reshape(batch), meta)
