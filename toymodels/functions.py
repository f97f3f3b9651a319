"""Special functions with numerically stable compiled forms.

``logcosh(z) = log(cosh(z))`` overflows in float64 once |z| > 710 when computed literally,
although its value is just |z| − log 2 + log1p(e^{−2|z|}). Declaring it as a SymPy function
with derivative tanh keeps every derivation exact and lets the compiler use the stable form.
"""

import numpy as np
import sympy as sp


class logcosh(sp.Function):  # noqa: N801 (SymPy functions are named like the math)
    """log(cosh(z)); derivative tanh(z). Rewrites to log(cosh(z)) with ``.rewrite(sp.log)``."""

    def fdiff(self, argindex=1):
        return sp.tanh(self.args[0])

    @classmethod
    def eval(cls, z):
        if z.is_zero:
            return sp.Integer(0)

    def _eval_rewrite_as_log(self, z, **kwargs):
        return sp.log(sp.cosh(z))

    def _eval_evalf(self, prec):
        return sp.log(sp.cosh(self.args[0]))._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


def logcosh_numpy(z):
    """Stable log(cosh(z)) for real arrays; the literal formula for complex ones."""
    z = np.asarray(z)
    if np.iscomplexobj(z):
        return np.log(np.cosh(z))
    a = np.abs(z)
    return a - np.log(2.0) + np.log1p(np.exp(-2.0 * a))


#: Extra module mapping for :func:`sympy.lambdify`.
NUMPY_FUNCTIONS = {"logcosh": logcosh_numpy}


def logcosh_jax(z):
    """The stable log(cosh(z)) of :func:`logcosh_numpy` in ``jax.numpy`` (real z)."""
    import jax.numpy as jnp

    a = jnp.abs(z)
    return a - jnp.log(2.0) + jnp.log1p(jnp.exp(-2.0 * a))


#: Extra module mapping for :func:`sympy.lambdify` with ``modules="jax"``.
JAX_FUNCTIONS = {"logcosh": logcosh_jax}
