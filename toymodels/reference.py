"""A high-precision reference integrator for tests: :func:`integrate_mpmath`.

It is meant for tests and derivation checks on small d: slow (pure Python), but exact to about
``dps`` digits, so it is an independent answer for :func:`toymodels.integrate` (design.md,
"Tests": mpmath integrations at 30+ digits). It uses :func:`mpmath.odefun`, a Taylor series
method whose degree and step follow the working precision. odefun accepts complex (mpc) initial
values directly; this was checked on dz/dt = log(-1/2) z, which it follows to 2e-31 at 30
digits, so complex states need no splitting into real and imaginary parts.
"""

import mpmath
import numpy as np
import sympy

from .errors import InvalidInputError, ModelSpecError


def _mp(value, what):
    """``value`` (int, float, complex, str, mpmath or sympy number) as mpf or mpc."""
    if isinstance(value, sympy.Basic):
        if not value.is_number:
            raise InvalidInputError(f"{what} must be a number, got {value}")
        # through decimal strings with guard digits: sympy numbers never pass through a float
        re, im = (mpmath.mpf(str(sympy.N(part, mpmath.mp.dps + 10))) for part in value.as_real_imag())
        return re if im == 0 else mpmath.mpc(re, im)
    try:
        return mpmath.mpmathify(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{what} must be a number, got {value!r}") from None


def integrate_mpmath(field_exprs, params, x0, saveat, *, dps=30):
    """Integrate dθ/dt = ``field_exprs`` (sympy d×1 Matrix in the Symbols ``params``) from ``x0``.

    ``x0``: d numbers (complex allowed; strings and sympy numbers keep their full precision).
    ``saveat``: increasing times >= 0. Returns an object array (len(saveat), d) of mpf/mpc
    values accurate to about ``dps`` digits; :func:`to_numpy` converts it. The global mpmath
    precision is left unchanged.
    """
    exprs = sympy.Matrix(field_exprs)
    params = list(params)
    if exprs.shape != (len(params), 1):
        raise InvalidInputError(f"field_exprs must be a {len(params)}×1 Matrix (one entry per "
                                f"parameter in params), got shape {exprs.shape}")
    unknown = exprs.free_symbols - set(params)
    if unknown:
        raise ModelSpecError(f"field_exprs uses symbols {sorted(map(str, unknown))} that are not in "
                             f"params {[str(p) for p in params]}; substitute their values first")
    if len(x0) != len(params):
        raise InvalidInputError(f"x0 has {len(x0)} entries but there are {len(params)} parameters")
    if isinstance(dps, bool) or not isinstance(dps, int) or dps < 15:
        raise InvalidInputError(f"dps must be an integer >= 15 (digits of precision), got {dps!r}")
    rhs = sympy.lambdify(params, list(exprs), modules="mpmath")
    with mpmath.workdps(dps):
        y0 = [_mp(v, "x0 entry") for v in x0]
        times = [_mp(t, "save time") for t in saveat]
        if not times or any(not isinstance(t, mpmath.mpf) for t in times) or times[0] < 0 or any(
                b <= a for a, b in zip(times, times[1:])):
            raise InvalidInputError(f"saveat must be non-empty, real, >= 0 and strictly increasing, "
                                    f"got {list(saveat)!r}")
        solution = mpmath.odefun(lambda t, y: rhs(*y), 0, y0)
        # odefun caches its Taylor steps, so increasing times extend one integration
        values = [solution(t) for t in times]
    out = np.empty((len(times), len(params)), dtype=object)
    out[:] = values
    return out


def to_numpy(values):
    """An object array of mpf/mpc as complex128 if any entry is complex, else float64."""
    values = np.asarray(values, dtype=object)
    if any(isinstance(v, mpmath.mpc) for v in values.flat):
        return np.vectorize(complex, otypes=[complex])(values)
    return np.vectorize(float, otypes=[float])(values)
