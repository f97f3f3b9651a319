"""The JAX engine's view of a model: its loss compiled from the SymPy expression for
``jax.numpy``, and the derivatives by JAX's autodiff (``jax.grad``, forward-over-reverse
Hessian-vector products), not by symbolic differentiation.

Sums of identical terms (the units of a network) are compiled as one vectorized template
(:mod:`toymodels.vectorize`), which keeps XLA's compile time small. Symbolic derivatives of a loss
with data swell (the per-sample Hessian of ``tanh_net`` at
d = 150 takes about half a minute to derive and compile), while autodiff of the compiled loss
costs a few passes through it; the tests hold the two to 1e-12 (``tests/test_engine.py``). The
functions take θ of shape (..., d) and the same ``batch`` argument as
:class:`~toymodels.compile.NumericModel`, so the optimizers of :mod:`toymodels.optim` run on
either one. They are traced inside the engine's jitted loops; call them under
:func:`toymodels.backend.x64`.
"""

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from .backend import x64
from .functions import JAX_FUNCTIONS
from .lanczos import top_eigenvalue
from .vectorize import group_sums


def _lambdify(arguments, expr):
    return sp.lambdify(arguments, expr, modules=[JAX_FUNCTIONS, "jax"], cse=True, docstring_limit=0)


class JaxModel:
    """Loss, gradient, Hessian-vector product, Hessian and sharpness of a model in ``jax.numpy``."""

    xp = jnp

    def __init__(self, model):
        self.model = model
        self.dim = model.dim
        self.compiled = {}  # jitted functions and run loops, by what they compute
        outer, self._groups = group_sums(model.sample_loss, model.params)
        samples = list(model.sample_symbols)
        # only the parameters the regrouped loss still uses: each unused slice of θ would cost a
        # pad per Hessian column
        self._used = [i for i, p in enumerate(model.params) if p in outer.free_symbols]
        used = [model.params[i] for i in self._used]
        self._outer = _lambdify([*used, *(g.symbol for g in self._groups), *samples], outer)
        self._templates = [_lambdify([*g.placeholders, *samples], g.template) for g in self._groups]

    def _rows(self, batch):
        """Sample columns (each (..., B)) for ``batch``: None for all samples, (B,) or (..., B)."""
        data = jnp.asarray(self.model.data)
        rows = data if batch is None else data[jnp.asarray(batch)]
        return [rows[..., j] for j in range(rows.shape[-1])]

    def loss(self, x, batch=None):
        """L(θ) (or L_B), shape (...): the compiled loss broadcast over states and samples."""
        if not self.model.has_data:
            components = [x[..., i] for i in self._used]
            sums = [self._sum(g, f, x, []) for g, f in zip(self._groups, self._templates)]
            return jnp.broadcast_to(self._outer(*components, *sums), x.shape[:-1])
        return self._mean_over(x, self._rows(batch))

    def _mean_over(self, x, columns):
        """The mean of the per-sample loss over sample columns (each (..., B))."""
        components = [x[..., i] for i in self._used]
        sums = [self._sum(g, f, x[..., None, :], columns) for g, f in zip(self._groups, self._templates)]
        values = self._outer(*[c[..., None] for c in components], *sums, *columns)
        shape = jnp.broadcast_shapes(x.shape[:-1] + (1,), columns[0].shape)
        return jnp.broadcast_to(values, shape).mean(axis=-1)

    @staticmethod
    def _sum(group, template, x, columns):
        """A group of identical terms (:mod:`toymodels.vectorize`) as one template on gathered
        parameter vectors, summed over the terms (the trailing axis)."""
        vectors = [x[..., _as_slice(group.index[:, i])] for i in range(len(group.placeholders))]
        return template(*vectors, *[c[..., None] for c in columns]).sum(axis=-1)

    def grad(self, x, batch=None):
        """∇L(θ), shape (..., d): reverse mode through the summed loss (states are independent)."""
        return jax.grad(lambda y: self.loss(y, batch).sum())(x)

    def hvp(self, x, v, batch=None):
        """H(θ) v, shape (..., d): forward mode over the gradient, without forming H."""
        return jax.jvp(lambda y: self.grad(y, batch), (x,), (jnp.broadcast_to(v, x.shape),))[1]

    def hess(self, x, batch=None):
        """∇²L(θ), shape (..., d, d): ``jax.hessian`` of each state's loss, mapped over the states
        (and over their batches when each state has its own)."""
        d = self.dim
        if batch is not None and jnp.ndim(batch) > 1:
            shape = jnp.broadcast_shapes(x.shape[:-1], jnp.shape(batch)[:-1])
            states = jnp.broadcast_to(x, (*shape, d)).reshape(-1, d)
            batches = jnp.broadcast_to(batch, (*shape, jnp.shape(batch)[-1])).reshape(len(states), -1)
            hessians = jax.vmap(jax.hessian(self.loss))(states, batches)
        else:
            shape = x.shape[:-1]
            hessians = jax.vmap(jax.hessian(lambda y: self.loss(y, batch)))(x.reshape(-1, d))
        return hessians.reshape(*shape, d, d)

    def per_sample(self, what, x):
        """``what`` ("grad" or "hess") of each sample's loss at states ``x`` (..., d): shape
        (..., n, d) or (..., n, d, d), mapped over states and samples."""
        derivative = {"grad": jax.grad, "hess": jax.hessian}[what]
        # mapped over the data rows themselves: no gather of sample indices to differentiate
        sample_loss = derivative(lambda y, row: self._mean_over(y, [row[j:j + 1] for j in range(len(row))]))
        of_sample = jax.vmap(sample_loss, in_axes=(None, 0))
        values = jax.vmap(of_sample, in_axes=(0, None))(x.reshape(-1, self.dim), jnp.asarray(self.model.data))
        return values.reshape(*x.shape[:-1], *values.shape[1:])

    def sharpness(self, x, batch=None):
        """λ1(∇²L(θ)), shape (...), from the dense Hessian."""
        return jnp.linalg.eigvalsh(self.hess(x, batch))[..., -1]


    def call(self, name, *arrays, batch=None):
        """Evaluate method ``name`` jitted, in double precision, on NumPy inputs; NumPy output."""
        key = (name, batch is None)
        if key not in self.compiled:
            method = getattr(self, name)
            self.compiled[key] = jax.jit(lambda *a: method(*a[:-1], batch=a[-1]))
        with x64():
            return np.asarray(self.compiled[key](*arrays, batch))

    def call_per_sample(self, what, theta):
        """:meth:`per_sample` jitted, in double precision, on NumPy states; NumPy output."""
        key = ("per_sample", what)
        if key not in self.compiled:
            self.compiled[key] = jax.jit(lambda x: self.per_sample(what, x))
        with x64():
            return np.asarray(self.compiled[key](theta))

    def lanczos_top(self, theta, start, iterations, batch=None):
        """:func:`toymodels.lanczos.top_eigenvalue` at states ``theta`` (N, d), jitted per
        iteration count; ``batch`` None, (B,) or (N, B)."""
        key = ("lanczos", iterations, batch is None)
        if key not in self.compiled:
            def run(theta, start, batch):
                return top_eigenvalue(lambda v: self.hvp(theta, v, batch), start, iterations, jnp,
                                      lambda n, body, carry: jax.lax.fori_loop(0, n, body, carry),
                                      lambda a, index, value: a.at[index].set(value))
            self.compiled[key] = jax.jit(run)
        with x64():
            return tuple(np.asarray(a) for a in self.compiled[key](theta, start, batch))


def _as_slice(index):
    """A run of consecutive parameter indices as a slice: its derivative is a pad, not a scatter
    (which costs about 3x in the Hessian of a network on a CPU)."""
    if np.array_equal(index, np.arange(index[0], index[0] + len(index))):
        return slice(int(index[0]), int(index[0]) + len(index))
    return index


def engine(model) -> JaxModel:
    """The :class:`JaxModel` of ``model``, built once per model (``model.jax_numeric``)."""
    return model.jax_numeric
