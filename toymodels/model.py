"""The :class:`Model`: a loss defined symbolically, with everything derived from it.

A model holds SymPy parameter symbols θ and a scalar loss L(θ). A model with data holds a
per-sample loss ℓ(θ; s) over sample symbols s and a dataset; its loss is the mean of ℓ over
the samples (docs/theory/conventions.md: squared losses carry the ½). Derived objects (gradient, Hessian,
third-derivative contractions, the closed-form eigensystem, the compiled numerics) are
computed on first use and cached, as in scikit-learn: the constructor only validates and
stores.
"""

from functools import cached_property

import numpy as np
import sympy as sp

from . import display
from .compile import NumericModel
from .eigensystem import has_closed_form, hessian_blocks, symbolic_eigensystem
from .errors import ModelSpecError, UnsupportedError
from .parse import parse_expression


def _symbol_list(symbols, what):
    if isinstance(symbols, str):
        symbols = sp.symbols(symbols, real=True, seq=True)
    symbols = tuple(symbols)
    for s in symbols:
        if not isinstance(s, sp.Symbol):
            raise ModelSpecError(f"{what} must be SymPy symbols, got {s!r} of type {type(s).__name__}")
    if len(set(symbols)) != len(symbols):
        raise ModelSpecError(f"{what} contain a repeated symbol: {', '.join(map(str, symbols))}")
    return symbols


def directional_derivative(expr, params, direction):
    """Σ_k direction_k ∂expr/∂θ_k: the derivative of ``expr`` along ``direction``."""
    return sum((v * sp.diff(expr, p) for p, v in zip(params, direction)), sp.Integer(0))


def gradient(expr, params) -> sp.Matrix:
    """Column vector of partial derivatives of ``expr``."""
    return sp.Matrix([sp.diff(expr, p) for p in params])


class Model:
    """A loss L(θ) with its derivations.

    Parameters
    ----------
    loss : sympy expression
        The loss, or for a model with data the per-sample loss ℓ(θ; s).
    params : sequence of sympy.Symbol, or a space-separated string
        The parameters θ, in the order used by every numeric array (last axis).
    name, formula, source, description :
        Metadata shown by ``toymodels show`` and in reports.
    parameters : dict
        The values of the construction parameters (e.g. ``{"y": 1}``), for labels.
    sample_symbols, data :
        Per-sample symbols s and a dataset of shape (n, len(s)); loss = mean over samples.
    min_loss :
        The known minimum value of L, or None when unknown or unbounded below.
    manifold :
        Constraints g(θ) whose common zero set is the manifold Γ of minima, or None.
    lambda1_on_manifold :
        An expression in θ equal to the top Hessian eigenvalue at points of Γ, or None.
    conserved :
        Expressions c(θ) conserved by gradient flow (∇c·∇L ≡ 0), or None. With d − (number of
        constraints) of them the limit map Φ of gradient flow onto Γ is the point of Γ with
        the same values of c (Arora, Li, Panigrahi, ICML 2022, §5), found without integrating
        the flow; with fewer it is found by integrating: see :mod:`toymodels.limit_map`.
    constants :
        Symbols left symbolic, for derivations with generic coefficients; such a model has
        derivations but no numerics.
    """

    def __init__(self, loss, params, *, name="custom", formula=None, source=None, description="",
                 parameters=None, sample_symbols=(), data=None, min_loss=None, manifold=None,
                 lambda1_on_manifold=None, conserved=None, constants=()):
        self.params = _symbol_list(params, "params")
        self.constants = _symbol_list(constants, "constants")
        if not self.params:
            raise ModelSpecError("a model needs at least one parameter symbol")
        self.sample_symbols = _symbol_list(sample_symbols, "sample_symbols")
        names = [str(x) for x in (*self.params, *self.sample_symbols, *self.constants)]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ModelSpecError(f"two symbols share the name {', '.join(repeated)} among params, "
                                 "sample_symbols and constants; give each its own name")
        #: Our symbols by name: a symbol the user wrote with the same name is taken to mean ours.
        self._symbols = dict(zip(names, (*self.params, *self.sample_symbols, *self.constants)))
        self.sample_loss = self._validated_loss(loss)
        self.data = self._validated_data(data)
        self.name = name
        self.formula = formula if formula is not None else sp.sstr(self.sample_loss)
        self.source = source
        self.description = description
        self.parameters = dict(parameters or {})
        self.min_loss = None if min_loss is None else self._number(min_loss, "min_loss")
        self.manifold = None if manifold is None else [self._param_expr(g, "manifold constraint")
                                                       for g in manifold]
        self.lambda1_on_manifold = (None if lambda1_on_manifold is None
                                    else self._param_expr(lambda1_on_manifold, "lambda1_on_manifold"))
        self.conserved = None if conserved is None else [self._param_expr(c, "conserved quantity")
                                                         for c in conserved]

    # -- validation -------------------------------------------------------------------
    def _validated_loss(self, loss):
        if isinstance(loss, sp.MatrixBase) or isinstance(loss, (list, tuple, np.ndarray)):
            raise ModelSpecError(f"the loss must be a scalar expression, got a {type(loss).__name__}; "
                                 "sum or average the entries first")
        try:
            loss = sp.sympify(loss, strict=True)
        except sp.SympifyError as exc:
            raise ModelSpecError(f"the loss {loss!r} is not a SymPy expression ({exc}); "
                                 "use Model.from_string for text") from None
        if not isinstance(loss, sp.Expr) or isinstance(loss, sp.MatrixBase):
            raise ModelSpecError(f"the loss must be a scalar expression, got {type(loss).__name__}")
        loss = self._by_name(loss, "the loss")
        unknown = loss.free_symbols - set(self.params) - set(self.sample_symbols) - set(self.constants)
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            raise ModelSpecError(f"the loss has free symbols {names} that are neither parameters nor "
                                 "sample symbols; add them to params, declare them as "
                                 "sample_symbols with data, or substitute numbers for them")
        return loss

    def _validated_data(self, data):
        if not self.sample_symbols:
            if data is not None:
                raise ModelSpecError("data was given but no sample_symbols name its columns")
            return None
        if data is None:
            raise ModelSpecError(f"sample symbols {', '.join(map(str, self.sample_symbols))} need a "
                                 "dataset: pass data of shape (n_samples, n_sample_symbols)")
        data = np.asarray(data, dtype=float)
        k = len(self.sample_symbols)
        if data.ndim == 1 and k == 1:
            data = data[:, None]
        if data.ndim != 2 or data.shape[1] != k or data.shape[0] == 0:
            raise ModelSpecError(f"data must have shape (n_samples, {k}) to match the sample symbols "
                                 f"{', '.join(map(str, self.sample_symbols))}; got {data.shape}")
        if not np.all(np.isfinite(data)):
            raise ModelSpecError("data contains NaN or infinite values")
        data.setflags(write=False)
        return data

    def _by_name(self, expr, what):
        """``expr`` with every symbol named like one of ours replaced by ours: ``Symbol("a")``
        and the real ``a`` that a params string makes differ only in assumptions, and a user
        who writes either means the parameter a."""
        renames = {}
        for symbol in expr.free_symbols:
            ours = self._symbols.get(str(symbol))
            if ours is not None and ours != symbol:
                if str(symbol) in map(str, renames):
                    raise ModelSpecError(f"{what} has two different symbols named {symbol} (with different "
                                         "assumptions); use one symbol per name")
                renames[symbol] = ours
        return expr.xreplace(renames) if renames else expr

    def _param_expr(self, expr, what):
        """A SymPy expression in the parameters; a string is read by the safe parser."""
        if isinstance(expr, str):
            expr = parse_expression(expr, {str(p): p for p in self.params})
        try:
            expr = self._by_name(sp.sympify(expr, strict=True), what)
        except sp.SympifyError:
            raise ModelSpecError(f"{what} {expr!r} is not an expression; give a SymPy expression or a "
                                 "string such as 'a*b - 1'") from None
        unknown = expr.free_symbols - set(self.params)
        if unknown:
            raise ModelSpecError(f"{what} {expr} uses {', '.join(sorted(map(str, unknown)))}, "
                                 f"which are not parameters of the model (parameters: "
                                 f"{', '.join(map(str, self.params))})")
        return expr

    @staticmethod
    def _number(value, what):
        """A real number given as a number, a SymPy number or a string of one (safely parsed)."""
        try:
            number = parse_expression(value, {}) if isinstance(value, str) else sp.nsimplify(value)
        except (TypeError, ValueError, sp.SympifyError):
            number = None
        if number is None or not number.is_number or not number.is_real:
            raise ModelSpecError(f"{what} must be a real number, got {value!r}")
        return number

    # -- constructors -----------------------------------------------------------------
    @classmethod
    def from_expr(cls, expr, params, **metadata):
        """A model from a SymPy expression; keywords as in :class:`Model`."""
        return cls(expr, params, **metadata)

    @classmethod
    def from_string(cls, text, params, *, sample_symbols="", **metadata):
        """A model from a loss string, parsed safely (no Python is evaluated).

        ``params`` and ``sample_symbols`` are space-separated names, e.g.
        ``Model.from_string("(a*b - 1)**2/2", params="a b")``.
        """
        if not isinstance(params, str) or not params.split():
            raise ModelSpecError("params must be a space-separated string of names, e.g. 'a b'")
        names = params.split() + sample_symbols.split()
        for n in names:
            if not n.isidentifier() or "__" in n:
                raise ModelSpecError(f"{n!r} is not a valid symbol name")
        symbols = {n: sp.Symbol(n, real=True) for n in names}
        expr = parse_expression(text, symbols)
        metadata.setdefault("formula", text)
        return cls(expr, [symbols[n] for n in params.split()],
                   sample_symbols=[symbols[n] for n in sample_symbols.split()], **metadata)

    # -- sizes --------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return len(self.params)

    @property
    def has_data(self) -> bool:
        return self.data is not None

    @property
    def n_samples(self):
        return None if self.data is None else self.data.shape[0]

    # -- the loss and its derivatives -------------------------------------------------------
    @cached_property
    def loss(self) -> sp.Expr:
        """L(θ); for a model with data, the mean of the per-sample loss over the dataset."""
        if not self.has_data:
            return self.sample_loss
        rows = [self.sample_loss.xreplace(dict(zip(self.sample_symbols, map(sp.Float, row))))
                for row in self.data]
        return sp.Add(*rows) / len(rows)

    @cached_property
    def grad(self) -> sp.Matrix:
        """∇L(θ) as a column vector."""
        return gradient(self.loss, self.params)

    @cached_property
    def hess(self) -> sp.Matrix:
        """∇²L(θ)."""
        return sp.hessian(self.loss, self.params)

    @cached_property
    def sample_grad(self) -> sp.Matrix:
        """∇_θ ℓ(θ; s), the per-sample gradient (equals ``grad`` for a model without data)."""
        return gradient(self.sample_loss, self.params)

    @cached_property
    def sample_hess(self) -> sp.Matrix:
        """∇²_θ ℓ(θ; s), the per-sample Hessian."""
        return sp.hessian(self.sample_loss, self.params)

    def direction_symbols(self, letter):
        """Real symbols ``letter_0 … letter_{d-1}`` standing for a direction vector."""
        return sp.symbols(f"{letter}_0:{self.dim}", real=True)

    @cached_property
    def sample_hvp(self) -> sp.Matrix:
        """H v per sample in the direction symbols ``v_i``, as d/dε ∇ℓ(θ + εv) at ε = 0.

        Forward mode over the gradient: d derivatives in one scalar ε instead of the d² of
        ∇(∇ℓ·v), which derives about 5x (d = 60) to 10x (d = 130) faster.
        """
        v = self.direction_symbols("v")
        eps = sp.Dummy("epsilon", real=True)
        shift = {p: p + eps * vi for p, vi in zip(self.params, v)}
        return sp.Matrix([sp.diff(g.xreplace(shift), eps).xreplace({eps: 0}) for g in self.sample_grad])

    @cached_property
    def sample_d3(self) -> sp.Matrix:
        """∇³ℓ[u, v]_i = Σ_jk ∂_i∂_j∂_k ℓ u_j v_k per sample, in the symbols ``u_i``, ``v_i``.

        Built as ∇_θ(uᵀ H v) with u, v held fixed (docs/theory/modified-flows.md), which takes 3d
        derivatives instead of the d³ entries of the full tensor.
        """
        u, v = self.direction_symbols("u"), self.direction_symbols("v")
        uhv = directional_derivative(directional_derivative(self.sample_loss, self.params, v),
                                     self.params, u)
        return gradient(uhv, self.params)

    @cached_property
    def _d3_symbolic(self) -> sp.Matrix:
        u, v = self.direction_symbols("u"), self.direction_symbols("v")
        uhv = directional_derivative(directional_derivative(self.loss, self.params, v), self.params, u)
        return gradient(uhv, self.params)

    def d3(self, u, v) -> sp.Matrix:
        """∇³L[u, v] of the full loss; u and v may depend on θ (e.g. u = v = ∇L), since they
        are substituted after differentiating."""
        u, v = list(u), list(v)
        if len(u) != self.dim or len(v) != self.dim:
            raise ModelSpecError(f"d3 needs two vectors of length {self.dim}")
        subs = dict(zip(self.direction_symbols("u"), u)) | dict(zip(self.direction_symbols("v"), v))
        return self._d3_symbolic.xreplace(subs)

    @cached_property
    def normalized_grad(self) -> sp.Matrix:
        """∇L/‖∇L‖, the field followed by normalized GD (Arora, Li, Panigrahi 2022)."""
        return self.grad / sp.sqrt(sum(g**2 for g in self.grad))

    # -- eigensystem -------------------------------------------------------------------------
    @cached_property
    def hessian_blocks(self) -> list[tuple[int, ...]]:
        """Groups of parameters between which the Hessian is identically zero."""
        return hessian_blocks(self.sample_hess)

    @property
    def has_closed_form_eigensystem(self) -> bool:
        """True when every block of ∇²L is 1x1 or 2x2, so :meth:`eigensystem` has a closed form."""
        return has_closed_form(self.hessian_blocks)

    def eigensystem(self):
        """Closed-form eigenpairs of ∇²L (d = 2, diagonal, 1x1/2x2 blocks).

        An :class:`~toymodels.errors.UnsupportedError` says which block is larger than 2x2
        when there is none (check :attr:`has_closed_form_eigensystem` first); numeric
        eigenpairs at any point are ``m.numeric.eigh(theta)``.
        """
        if not self.has_closed_form_eigensystem:
            large = [b for b in self.hessian_blocks if len(b) > 2]
            names = ", ".join("(" + ", ".join(str(self.params[i]) for i in b) + ")" for b in large)
            raise UnsupportedError(
                f"the Hessian of {self.label()} couples the parameters {names} in a block larger than "
                "2x2, whose eigenvalues have no closed form this library derives (roots of a cubic or "
                "higher); use m.numeric.eigh(theta) for numeric eigenpairs")
        return symbolic_eigensystem(self.hess)

    # -- derived models -----------------------------------------------------------------------
    def sqrt_loss(self) -> "Model":
        """The model √(L − min L) on which Arora, Li, Panigrahi (ICML 2022, §5) run GD.

        Its gradient flow is that of L run at speed 1/(2√(L − min L)), so it keeps the manifold
        and the conserved quantities (hence the limit map Φ) of L.
        """
        if self.min_loss is None:
            raise UnsupportedError(
                f"sqrt_loss() needs the minimum value of the loss of {self.name!r}, which is not "
                "known; construct the model with min_loss=<value> (for example "
                "Model.from_expr(expr, params, min_loss=0)) if you know it")
        return Model(sp.sqrt(self.loss - self.min_loss), self.params,
                     name=f"sqrt({self.name})", formula=f"sqrt(L - {self.min_loss}), L = {self.formula}",
                     source=self.source, parameters=self.parameters, min_loss=0,
                     manifold=self.manifold, conserved=self.conserved,
                     description=f"Square root of the excess loss of {self.name}.")

    # -- numerics --------------------------------------------------------------------------------
    @cached_property
    def numeric(self):
        """Compiled, batched NumPy functions of this model (see :mod:`toymodels.compile`)."""
        if self.constants:
            raise UnsupportedError(f"{self.label()} has symbolic constants "
                                   f"{', '.join(map(str, self.constants))}; substitute numbers for "
                                   "them (loss.subs(...)) to get numerics")
        return NumericModel(self)

    @cached_property
    def jax_numeric(self):
        """The JAX engine's functions of this model (:mod:`toymodels.jax_model`; needs JAX)."""
        from .jax_model import JaxModel

        return JaxModel(self)

    def label(self) -> str:
        """Name with parameters, e.g. ``two_layer_scalar(y=1)``."""
        args = ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        return f"{self.name}({args})"

    def latex(self, parts=("loss", "gradient", "hessian", "eigenvalues")) -> str:
        """LaTeX of the loss, gradient, Hessian and closed-form Hessian eigenvalues (an
        ``aligned`` block; the gradient and Hessian only up to six parameters)."""
        return display.model_latex(self, parts)

    def _repr_latex_(self):
        return f"$$ {self.latex()} $$"

    def __repr__(self):
        return f"<Model {self.label()}: {self.formula}, d={self.dim}>"
