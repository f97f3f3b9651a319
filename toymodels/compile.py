"""Compilation of a model's symbolic derivations into batched NumPy functions.

Each function takes θ of shape (..., d) (parameter axis last, any number of batch axes) and
returns arrays with the same batch axes in front: loss (...), grad (..., d), hess (..., d, d).
The SymPy expressions are turned into code once, with common-subexpression elimination,
the way PyDy generates right-hand sides. Three lambdify pitfalls are designed around here:
constant entries come back as Python scalars (we broadcast every entry to the batch
shape), Matrix outputs would put the batch axis last (we compile flat lists of entries and
stack them on a trailing axis), and symbol order is fixed by the model's ``params``.

For a model with data, the per-sample derivatives are compiled once in θ and the sample
symbols; NumPy broadcasts them over the samples of the full dataset or of any mini-batch of
sample indices, and the mean over samples is taken afterwards. This gives full-batch and
mini-batch quantities (H_B for any batch B) from the same compiled code.
"""

from functools import cached_property

import numpy as np
import sympy as sp

from .eigensystem import blockwise_eigh, dense_eigh
from .errors import InvalidInputError, UnsupportedError
from .functions import NUMPY_FUNCTIONS


class CompiledFunction:
    """A batched NumPy function generated from a list of SymPy expressions.

    ``inputs`` is a list of symbol groups, each filled from one array argument whose last
    axis has the group's length (θ first, then direction vectors such as v for H v).
    ``entries`` are the distinct outputs; ``layout`` (optional) maps the flattened output
    to entries, so that a symmetric matrix is computed from its upper triangle only.
    """

    def __init__(self, name, entries, inputs, sample_symbols=(), shape=(), layout=None, doc=""):
        self.name = name
        self.shape = tuple(shape)
        self.layout = None if layout is None else np.asarray(layout)
        self._n_inputs = [len(group) for group in inputs]
        self._n_sample_symbols = len(sample_symbols)
        arguments = [s for group in inputs for s in group] + list(sample_symbols)
        self._function = sp.lambdify(arguments, list(entries), modules=[NUMPY_FUNCTIONS, "numpy"], cse=True,
                                     docstring_limit=0)
        self.__doc__ = doc

    def __call__(self, *arrays, samples=None):
        """Evaluate at ``arrays`` (one per input group); ``samples`` (..., n, k) averages over n."""
        components, columns = [], []
        for array, size in zip(arrays, self._n_inputs):
            components += [array[..., i] for i in range(size)]
        shapes = [np.shape(a)[:-1] for a in arrays]
        if samples is not None:
            components = [c[..., None] for c in components]
            columns = [samples[..., j] for j in range(self._n_sample_symbols)]
            shapes = [shape + (1,) for shape in shapes] + [np.shape(c) for c in columns]
        batch_shape = np.broadcast_shapes(*shapes)
        dtype = np.result_type(*arrays, float)
        values = self._function(*components, *columns)
        flat = np.empty(batch_shape + (len(values),), dtype=dtype)
        for k, value in enumerate(values):  # assignment broadcasts the constants that come back as scalars
            flat[..., k] = value
        if samples is not None:  # average the distinct entries first: the layout copies them
            flat = flat.mean(axis=-2)
            batch_shape = batch_shape[:-1]
        if self.layout is not None:
            flat = flat[..., self.layout]
        return flat.reshape(batch_shape + self.shape)

    def __repr__(self):
        return f"<CompiledFunction {self.name}>"


def _symmetric_layout(d):
    """Upper-triangle entry list of a d×d symmetric matrix and the index map to fill it."""
    pairs = [(i, j) for i in range(d) for j in range(i, d)]
    position = {pair: k for k, pair in enumerate(pairs)}
    layout = [position[(min(i, j), max(i, j))] for i in range(d) for j in range(d)]
    return pairs, layout


def require_manifold(model):
    """Raise :class:`UnsupportedError` (saying how to declare Γ) if ``model`` has no manifold."""
    if model.manifold is None:
        raise UnsupportedError(
            f"{model.label()} has no declared manifold of minima Γ; construct the model with "
            "manifold=[g1, g2, ...], expressions in the parameters whose common zeros are the "
            "minima (e.g. Model.from_expr((a*b - 1)**2/2, [a, b], min_loss=0, manifold=[a*b - 1]))")


class NumericModel:
    """Compiled functions of a :class:`~toymodels.model.Model`, each built on first use.

    All functions take θ with shape (..., d). For a model with data, ``batch`` selects
    samples: None for the full dataset, an integer array of shape (B,) for one mini-batch
    shared by all θ, or (..., B) for one mini-batch per θ.
    """

    #: The array namespace the optimizers of :mod:`toymodels.optim` compute with.
    xp = np

    def __init__(self, model):
        self.model = model
        self.dim = model.dim

    # -- input handling ------------------------------------------------------------------
    def _theta(self, theta, what="theta"):
        try:
            theta = np.asarray(theta)
            if not np.iscomplexobj(theta):
                theta = theta.astype(float, copy=False)
        except (TypeError, ValueError):
            raise InvalidInputError(f"{what} must be an array of numbers, got {theta!r}") from None
        if theta.ndim == 0 or theta.shape[-1] != self.dim:
            names = ", ".join(map(str, self.model.params))
            raise InvalidInputError(f"{what} must have shape (..., {self.dim}) with the last axis "
                                    f"ordered as ({names}) for {self.model.label()}; got shape "
                                    f"{theta.shape}")
        return theta

    def samples(self, batch=None):
        """The data rows for ``batch`` (None: all), shape (..., B, k); None without data."""
        data = self.model.data
        if data is None:
            if batch is not None:
                raise InvalidInputError(f"{self.model.label()} has no data, so batch must be None")
            return None
        if batch is None:
            return data
        batch = np.asarray(batch)
        if not np.issubdtype(batch.dtype, np.integer) or batch.ndim == 0 or batch.shape[-1] == 0:
            raise InvalidInputError("batch must be a non-empty integer array of sample indices")
        if batch.min() < 0 or batch.max() >= data.shape[0]:
            raise InvalidInputError(f"batch indices must lie in [0, {data.shape[0]}) for "
                                    f"{self.model.label()}, which has {data.shape[0]} samples")
        return data[batch]

    def _doc(self, what, shape):
        params = ", ".join(map(str, self.model.params))
        data = (" Mean over samples of the per-sample value; batch selects samples."
                if self.model.has_data else "")
        return (f"{what} of {self.model.label()}, L = {self.model.formula}.\n\n"
                f"Input theta: shape (..., {self.dim}) ordered as ({params}); "
                f"output shape (...{', ' if shape else ''}{shape}).{data}")

    def _compile(self, name, exprs, inputs, shape, layout=None, what=""):
        return CompiledFunction(f"{self.model.name}.{name}", exprs, inputs, self.model.sample_symbols,
                                shape, layout, self._doc(what or name, shape))

    # -- compiled functions ---------------------------------------------------------------------
    @cached_property
    def _loss(self):
        return self._compile("loss", [self.model.sample_loss], [self.model.params], (), what="L(θ)")

    @cached_property
    def _grad(self):
        return self._compile("grad", list(self.model.sample_grad), [self.model.params], (self.dim,),
                             what="∇L(θ)")

    @cached_property
    def _hess(self):
        pairs, layout = _symmetric_layout(self.dim)
        entries = [self.model.sample_hess[i, j] for i, j in pairs]
        return self._compile("hess", entries, [self.model.params], (self.dim, self.dim), layout,
                             what="∇²L(θ)")

    @cached_property
    def _hvp(self):
        m = self.model
        return self._compile("hvp", list(m.sample_hvp), [m.params, m.direction_symbols("v")],
                             (self.dim,), what="H(θ) v")

    @cached_property
    def _d3(self):
        m = self.model
        return self._compile("d3", list(m.sample_d3),
                             [m.params, m.direction_symbols("u"), m.direction_symbols("v")],
                             (self.dim,), what="∇³L(θ)[u, v]")

    # -- public evaluation -------------------------------------------------------------------------
    def loss(self, theta, batch=None):
        """L(θ), shape (...)."""
        return self._loss(self._theta(theta), samples=self.samples(batch))

    def grad(self, theta, batch=None):
        """∇L(θ), shape (..., d)."""
        return self._grad(self._theta(theta), samples=self.samples(batch))

    def hess(self, theta, batch=None):
        """∇²L(θ), shape (..., d, d)."""
        return self._hess(self._theta(theta), samples=self.samples(batch))

    def hvp(self, theta, v, batch=None):
        """Hessian-vector product H(θ) v, shape (..., d), without forming H."""
        return self._hvp(self._theta(theta), self._theta(v, "v"), samples=self.samples(batch))

    def d3(self, theta, u, v, batch=None):
        """Third-derivative contraction ∇³L(θ)[u, v], shape (..., d)."""
        return self._d3(self._theta(theta), self._theta(u, "u"), self._theta(v, "v"),
                        samples=self.samples(batch))

    @property
    def closed_form_eigensystem(self) -> bool:
        """True when eigh uses the closed form (all Hessian blocks 1x1 or 2x2)."""
        return self.model.has_closed_form_eigensystem

    def eigh(self, theta, batch=None):
        """Eigenvalues (..., d) in descending order (λ1 first) and eigenvectors (..., d, d).

        Column k of the eigenvector array belongs to eigenvalue k. Closed form for 1x1 and
        2x2 Hessian blocks (the angle form of :mod:`toymodels.eigensystem`); otherwise
        :func:`numpy.linalg.eigh` (real θ only).
        """
        hess = self.hess(theta, batch)
        if self.closed_form_eigensystem:
            return blockwise_eigh(hess, self.model.hessian_blocks)
        if np.iscomplexobj(hess):
            raise UnsupportedError("numpy.linalg.eigh needs a real symmetric Hessian; complex θ is "
                                   "only supported by models with a closed-form eigensystem")
        return dense_eigh(hess)

    def sharpness(self, theta, batch=None):
        """λ1(∇²L(θ)), the top Hessian eigenvalue, shape (...)."""
        if self.closed_form_eigensystem:
            return self.eigh(theta, batch)[0][..., 0]
        return np.linalg.eigvalsh(self.hess(theta, batch))[..., -1]

    # -- manifold facts -------------------------------------------------------------------------------
    @cached_property
    def _constraints(self):
        require_manifold(self.model)
        m = self.model
        return CompiledFunction(f"{m.name}.constraints", m.manifold, [m.params], (), (len(m.manifold),),
                                doc=self._doc("constraints g(θ) of Γ", (len(m.manifold),)))

    @cached_property
    def _constraints_jacobian(self):
        require_manifold(self.model)
        m = self.model
        jac = sp.Matrix(m.manifold).jacobian(m.params)
        shape = (len(m.manifold), self.dim)
        return CompiledFunction(f"{m.name}.constraints_jacobian", list(jac), [m.params], (), shape,
                                doc=self._doc("Jacobian ∂g/∂θ of the constraints", shape))

    def constraints(self, theta):
        """g(θ), shape (..., M): zero exactly on the manifold Γ."""
        return self._constraints(self._theta(theta))

    def constraints_jacobian(self, theta):
        """∂g/∂θ, shape (..., M, d)."""
        return self._constraints_jacobian(self._theta(theta))

    @cached_property
    def _lambda1_on_manifold(self):
        m = self.model
        if m.lambda1_on_manifold is None:
            raise UnsupportedError(f"{m.label()} does not state λ1 on its manifold")
        return CompiledFunction(f"{m.name}.lambda1_on_manifold", [m.lambda1_on_manifold], [m.params],
                                doc=self._doc("stated λ1 on Γ", ()))

    def lambda1_on_manifold(self, theta):
        """The model's stated closed form of λ1 at points θ of Γ, shape (...)."""
        return self._lambda1_on_manifold(self._theta(theta))
