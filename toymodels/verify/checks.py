"""The checks: each compares measured values with a statement and returns a :class:`Comparison`.

Every check takes ``alternatives``, a mapping from the name of a wrong hypothesis to what that
hypothesis puts in place of one argument (the docstring says which): the same check is run with
it on the same data, and its margin recorded as a :class:`Rejection` (rejected when the margin
exceeds ``reject_by``, 1 by default: the wrong hypothesis fails the very check the right one
passes). ``provenance`` says where the tolerance comes from (see :mod:`.comparison`).

The convergence-order check follows diffrax's solver tests (one helper that fits the order of
errors against step sizes); an O(η^p) statement is a bound over several η, never one η.
"""

import math

import numpy as np
from scipy import stats

from .comparison import Comparison, Rejection, show, stated, uncertainty


def _ratio(deviation, allowed):
    """deviation / allowed, elementwise; 0/0 = 0 and x/0 = ∞ (a zero tolerance allows no deviation)."""
    deviation, allowed = np.broadcast_arrays(np.asarray(deviation, dtype=float), np.asarray(allowed, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(allowed > 0, deviation / np.where(allowed > 0, allowed, 1), np.where(deviation > 0, np.inf, 0))
    return np.where(np.isnan(ratio), np.inf, ratio)  # a NaN measurement is never within tolerance


def _worst(ratio):
    return float(np.max(ratio)) if np.size(ratio) else 0.0


def _compare(name, margin_of, subject, alternatives, reject_by, *, measured, expected, tolerance,
             provenance, data=None):
    """The comparison of ``subject`` and, for each alternative, the same margin with it in its place."""
    rejections = tuple(Rejection(label, margin_of(value), reject_by) for label, value in (alternatives or {}).items())
    return Comparison(name, measured, expected, tolerance, provenance or stated("given with the check"),
                      margin_of(subject), rejections, data or {})


def _values(array):
    """The measured values themselves when few, else their count and range."""
    array = np.asarray(array)
    if array.size <= 6:
        return array.tolist() if array.ndim else array.item()
    return f"{array.size} values in [{show(np.min(array))}, {show(np.max(array))}]"


def match(name, measured, expected, *, rtol=0.0, atol=0.0, provenance=None, alternatives=None, reject_by=1.0,
          data=None) -> Comparison:
    """|measured − expected| ≤ atol + rtol·|expected| elementwise (``atol`` may be an array, e.g.
    a per-step scale). Boolean arrays are compared by the number of disagreements, at most
    ``atol`` (a count: its margin is disagreements/(atol + ½)). ``alternatives``: wrong values
    of ``expected``."""
    measured = np.asarray(measured)
    flags = measured.dtype == bool

    def margin(reference):
        if flags:
            return float(np.sum(measured != np.asarray(reference)) / (atol + 0.5))
        reference = np.asarray(reference)
        return _worst(_ratio(np.abs(measured - reference), atol + rtol * np.abs(reference)))

    if flags:
        tolerance, shown = f"at most {atol:g} disagreements", f"{int(np.sum(measured != expected))} of {measured.size} disagree"
    else:
        largest = f"a per-value tolerance up to {show(np.max(atol))}" if np.size(atol) > 1 else show(atol)
        tolerance = "|measured − expected| ≤ " + " + ".join(
            ([largest] if np.any(np.asarray(atol) > 0) else []) + ([f"{rtol:g}·|expected|"] if rtol else []) or ["0"])
        shown = _values(measured) if measured.size <= 6 else (
            f"max |measured − expected| = {show(np.max(np.abs(measured - expected)))} over {measured.size} values")
    return _compare(name, margin, expected, alternatives, reject_by, measured=shown,
                    expected=_values(expected), tolerance=tolerance, provenance=provenance, data=data)


def fit_order(x, y):
    """Least-squares slope of log y against log x, its standard error (∞ with two points) and
    the intercept."""
    lx, ly = np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float))
    slope, intercept = np.polyfit(lx, ly, 1)
    if len(lx) < 3:
        return float(slope), math.inf, float(intercept)
    residual = ly - (slope * lx + intercept)
    se = np.sqrt(np.sum(residual**2) / (len(lx) - 2) / np.sum((lx - lx.mean()) ** 2))
    return float(slope), float(se), float(intercept)


def local_orders(x, y):
    """Orders between successive points, log(y_i/y_{i+1}) / log(x_i/x_{i+1}) (η halved: log2 of the
    error ratio)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(y[:-1] / y[1:]) / np.log(x[:-1] / x[1:])


def order(name, x, y, expected, *, tol=None, confidence=0.95, method="fit", provenance=None, alternatives=None,
          reject_by=1.0, data=None) -> Comparison:
    """y ∝ x^p with p = ``expected``: by a least-squares fit of log y on log x (``method="fit"``)
    or by the local order between successive points (``method="halving"``, every local order
    must be within ``tol``). With ``tol=None`` the fit's tolerance is its ``confidence`` interval
    (Student t on the standard error). ``alternatives``: wrong orders."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.any(~np.isfinite(y) | (y <= 0)):
        return _compare(name, lambda p: math.inf, expected, alternatives, reject_by,
                        measured=f"non-positive or non-finite values: {show(y)}", expected=expected,
                        tolerance="positive finite values needed for a log-log order", provenance=provenance,
                        data={"x": x, "y": y})
    if method == "halving":
        orders = local_orders(x, y)
        if tol is None:
            raise ValueError("order(method='halving') needs a stated tol")
        return _compare(name, lambda p: _worst(np.abs(orders - p) / tol), expected, alternatives, reject_by,
                        measured=orders.tolist(), expected=expected,
                        tolerance=f"every local order within ±{tol:g}", provenance=provenance,
                        data={"x": x, "y": y, "local orders": orders})
    slope, se, intercept = fit_order(x, y)
    if tol is None:
        tol = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 2) * se) if len(x) > 2 else math.inf
        provenance = provenance or uncertainty(f"{confidence:.0%} confidence interval of the fitted slope "
                                               f"(standard error {se:.2g}, {len(x) - 2} degrees of freedom)")
    return _compare(name, lambda p: float(_ratio(abs(slope - p), tol)), expected, alternatives, reject_by,
                    measured=slope, expected=expected, tolerance=f"fitted slope within ±{tol:.3g}",
                    provenance=provenance, data={"x": x, "y": y, "slope": slope, "standard error": se,
                                                 "intercept": intercept, **(data or {})})


def bound(name, eta, errors, C, *, order=1, provenance=None, alternatives=None, reject_by=1.0,
          data=None) -> Comparison:
    """err(η) ≤ C·η^order at every η (an O(η^p) statement as a bound over several η; a
    non-finite error fails). ``alternatives``: the errors of wrong hypotheses on the same runs."""
    eta = np.asarray(eta, dtype=float)
    allowed = C * eta**order

    def margin(err):
        err = np.asarray(err, dtype=float)
        return _worst(np.where(np.isfinite(err), _ratio(err, allowed), np.inf))

    ratios = _ratio(np.asarray(errors, dtype=float), allowed)
    return _compare(name, margin, errors, alternatives, reject_by, measured=_values(errors),
                    expected=f"err(η) ≤ C·η^{order:g} at η = {show(eta)}", tolerance=f"C = {C:g}",
                    provenance=provenance, data={"C": C, "η": eta, "err": errors, "err/(C·η^p)": ratios,
                                                          **(data or {})})


def band(name, values, centre, *, width, coverage, relative=True, provenance=None, alternatives=None,
         reject_by=1.0, data=None) -> Comparison:
    """At least a fraction ``coverage`` of ``values`` within ±``width`` of ``centre`` (relative to
    it unless ``relative=False``): a quantity hovering at a value. The margin is the fraction
    outside the band over the number allowed outside. ``alternatives``: wrong centres."""
    values = np.asarray(values, dtype=float)

    allowed = np.floor((1 - coverage) * values.size + 1e-9)  # samples allowed outside, a count (no round-off)

    def outside(c):
        spread = np.abs(values / c - 1) if relative else np.abs(values - c)
        return float(np.mean(~(spread <= width)))

    def margin(c):
        return float(_ratio(outside(c) * values.size, allowed))

    kind = "relative" if relative else "absolute"
    return _compare(name, margin, centre, alternatives, reject_by,
                    measured=f"{1 - outside(centre):.1%} of {values.size} samples inside",
                    expected=f"≥ {coverage:.0%} within ±{width:g} ({kind}) of {show(centre)}",
                    tolerance=f"{1 - coverage:.0%} of the samples may lie outside", provenance=provenance,
                    data=data)


def monotone(name, values, *, increasing=False, slack=0.0, relative=True, axis=0, provenance=None,
             alternatives=None, reject_by=1.0, data=None) -> Comparison:
    """``values`` non-increasing (or non-decreasing) along ``axis`` up to ``slack``: no step may
    move the wrong way by more than ``slack`` (relative to |value| unless ``relative=False``).
    ``values`` may be a list of sequences of different lengths, each checked on its own.
    ``alternatives``: other sequences (wrong quantities) that must not be monotone."""

    def worst_move(v):
        if isinstance(v, list) and v and np.ndim(v[0]) >= 1:  # sequences of different lengths
            return max(worst_move(part) for part in v)
        v = np.asarray(v, dtype=float)
        move = np.diff(v, axis=axis) * (-1 if increasing else 1)
        if relative:
            with np.errstate(divide="ignore", invalid="ignore"):
                move = move / np.abs(np.delete(v, -1, axis=axis))
        return max(_worst(np.where(np.isnan(move), np.inf, move)), 0.0)

    worst = worst_move(values)
    direction = "non-decreasing" if increasing else "non-increasing"
    return _compare(name, lambda v: float(_ratio(worst_move(v), slack)), values, alternatives, reject_by,
                    measured=f"largest move the wrong way {show(worst)}{' (relative)' if relative else ''}",
                    expected=direction, tolerance=f"moves the wrong way ≤ {slack:g}{' relative' if relative else ''}",
                    provenance=provenance, data=data)


def zscore(name, estimate, stderr, expected, *, z=4.0, provenance=None, alternatives=None, reject_by=1.0,
           data=None) -> Comparison:
    """|estimate − expected| ≤ z standard errors (elementwise for arrays). ``alternatives``:
    wrong values of ``expected``."""
    estimate, stderr = np.asarray(estimate, dtype=float), np.asarray(stderr, dtype=float)

    def margin(reference):
        return _worst(_ratio(np.abs(estimate - np.asarray(reference, dtype=float)), z * stderr))

    provenance = provenance or uncertainty(f"{z:g} standard errors of the estimate (two-sided p ≈ "
                                           f"{2 * stats.norm.sf(z):.0e} for a normal estimate)")
    return _compare(name, margin, expected, alternatives, reject_by, measured=_values(estimate),
                    expected=_values(expected), tolerance=f"|z| ≤ {z:g} (standard error {_values(stderr)})",
                    provenance=provenance, data={"z": (estimate - np.asarray(expected, dtype=float)) / stderr,
                                                 **(data or {})})


def _excess(excess, limit, scale):
    """1 + excess/scale (≥ 0), worst element: ≤ 1 exactly when the limit holds; for a positive
    limit with its default scale (|limit|) at_most's margin is measured/limit. A zero limit
    without a scale is a zero tolerance: margin 0 if it holds, else ∞."""
    if scale is None and limit == 0:
        return _worst(_ratio(np.maximum(excess, 0), 0))
    scale = scale if scale is not None else abs(limit)
    return max(_worst(np.where(np.isnan(excess), np.inf, 1 + excess / scale)), 0.0)


def at_most(name, measured, limit, *, scale=None, provenance=None, alternatives=None, reject_by=1.0,
            data=None) -> Comparison:
    """measured ≤ limit (every element). The margin is 1 + (measured − limit)/scale (scale:
    |limit|), so measured/limit for a positive limit; a zero limit is a zero tolerance.
    ``alternatives``: what a wrong hypothesis measures in place of ``measured``."""
    return _compare(name, lambda m: _excess(np.asarray(m, dtype=float) - limit, limit, scale), measured,
                    alternatives, reject_by, measured=_values(measured), expected=f"≤ {show(limit)}",
                    tolerance=f"limit {show(limit)}", provenance=provenance, data=data)


def at_least(name, measured, limit, *, scale=None, provenance=None, alternatives=None, reject_by=1.0,
             data=None) -> Comparison:
    """measured ≥ limit (every element). The margin is limit/measured for a positive limit (∞ if
    measured ≤ 0), else 1 + (limit − measured)/scale (scale: |limit|; a zero limit is a zero
    tolerance).
    ``alternatives``: what a wrong hypothesis measures in place of ``measured``."""

    def margin(m):
        m = np.asarray(m, dtype=float)
        if limit > 0 and scale is None:
            return _worst(np.where(m > 0, limit / np.where(m > 0, m, 1), np.inf))
        return _excess(limit - m, limit, scale)

    return _compare(name, margin, measured,
                    alternatives, reject_by, measured=_values(measured), expected=f"≥ {show(limit)}",
                    tolerance=f"limit {show(limit)}", provenance=provenance, data=data)
