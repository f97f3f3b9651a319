"""Linear networks x ↦ W_D⋯W_1 x fitted to a linear map M, on whitened data or on a few samples.

Depth D ≥ 2 counts the weight matrices: W1 (width×dim), W2 … W_{D−1} (width×width) and the
output layer (outputs×width; the row ``v`` when outputs = 1). With P = W_D⋯W_1,

- ``data="whitened"``: L = ½‖P − M‖²_F, the population loss of y = Mx for inputs with
  E[xxᵀ] = I (Saxe, McClelland, Ganguli, ICLR 2014, arXiv:1312.6120, §1);
- ``data="samples"``: L = mean_i ½‖P x_i − y_i‖² over n seeded Gaussian samples of y = Mx.

Both are realizable, so min L = 0 and Γ = {P = M} (with n ≥ dim samples, which determine M).
Γ is a manifold given by the outputs·dim independent equations P − M = 0 when M has full rank
min(outputs, dim) and width ≥ that rank: ∂P/∂θ is then onto at every point of Γ (docs/theory/
manifold.md). A rank-deficient M is refused: its equations are redundant (∂P/∂θ loses rank on
Γ), so Γ has a smaller codimension than the count of equations says.

Gradient flow conserves W_iW_iᵀ − W_{i+1}ᵀW_{i+1} for every pair of consecutive layers
(Arora, Cohen, Hazan, ICML 2018, arXiv:1802.06509; Du, Hu, Lee, NeurIPS 2018, arXiv:1806.00900;
asserted symbolically in derivations/linear_net_hessian.py), whatever the data: the upper
triangles of these symmetric width×width matrices are declared. They are (D − 1)·w(w + 1)/2
quantities against d − outputs·dim directions along Γ, usually fewer, so they do not pin the
limit map Φ and :func:`toymodels.limit_map.limit_map` integrates gradient flow instead.

For D = 2 on whitened data, the Hessian on Γ is JᵀJ with J(dW1, dW2) = dW2 W1 + W2 dW1, and
λ1 = σmax(W1)² + σmax(W2)² ≥ 2σmax(W1)σmax(W2) ≥ 2σ1(M), with equality exactly where
σmax(W1) = σmax(W2) = √σ1(M): the top singular path is balanced (Mulayoff & Michaeli, ICML 2020,
arXiv:2002.04710, on flat minima of linear networks; derived and checked in
derivations/linear_net_hessian.py). If σ1(M) = σ2(M) (e.g. M = I) λ1 is not simple at those
flattest points, where the limiting flows of toymodels.flows are then undefined; the entry is
still built, since Γ itself is regular. It is stated where each layer has a side of size ≤ 2 (the
smaller Gram matrix is then at most 2×2 and σmax² has a closed form).
"""

import numpy as np
import sympy as sp

from ..datasets import linear_regression_data
from ..errors import InvalidInputError
from ..model import Model
from . import register

DATA = ("samples", "whitened")
#: M counts as rank-deficient when σ_min(M) ≤ this times σ1(M).
RANK_RTOL = 1e-9


def _size(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidInputError(f"linear_net: {what} must be a positive integer, got {value!r}")
    return int(value)


def _target(target, outputs, dim, seed):
    """M as a SymPy Matrix (outputs×dim): the user's (exact rationals of the given numbers; a flat
    list is read row by row into ``outputs`` rows) or a standard normal draw from ``seed``."""
    if target is None:
        outputs, dim = outputs or 1, dim or 2
        if outputs == 1:  # the coefficients of the samples variant's data (linear_regression_data)
            entries = np.random.default_rng(seed).standard_normal(dim)[None]
        else:
            entries = np.random.default_rng(seed).standard_normal((outputs, dim))
        return sp.Matrix(outputs, dim, [sp.Float(v) for v in entries.ravel()])
    try:
        array = np.asarray(target, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError(f"linear_net: target must be a matrix of numbers (nested lists or an "
                                f"array of shape (outputs, dim)), got {target!r}") from None
    if array.ndim == 1:
        rows = outputs or 1
        if array.size % rows:
            raise InvalidInputError(f"linear_net: a flat target of {array.size} numbers cannot be read into "
                                    f"outputs={rows} rows; give a nested list [[...], [...]] or matching outputs")
        array = array.reshape(rows, -1)
    if array.ndim != 2 or array.size == 0 or not np.all(np.isfinite(array)):
        raise InvalidInputError(f"linear_net: target must be a finite 2-D matrix (outputs × dim), got shape "
                                f"{array.shape}")
    for given, size, what in ((outputs, array.shape[0], "outputs"), (dim, array.shape[1], "dim")):
        if given is not None and given != size:
            raise InvalidInputError(f"linear_net: target has shape {array.shape} but {what}={given}; "
                                    f"leave {what} out (it is read from the target) or pass a matching target")
    return sp.Matrix(array.shape[0], array.shape[1], [sp.nsimplify(v, rational=True) for v in array.ravel()])


def _check_rank(target, width):
    singular = np.linalg.svd(np.array(target, dtype=float), compute_uv=False)
    rank = int(np.sum(singular > RANK_RTOL * singular[0])) if singular[0] > 0 else 0
    if rank < len(singular):
        raise InvalidInputError(
            f"linear_net: the target M has rank {rank} < min(outputs, dim) = {len(singular)} (singular values "
            f"{np.array2string(singular, precision=4)}); then the equations W_D⋯W_1 = M are redundant on the "
            "manifold of minima (∂(W_D⋯W_1)/∂θ loses rank there), so Γ is not given by independent "
            "constraints. Use a full-rank M, or drop the directions it maps to zero (fewer outputs or inputs)")
    if width < rank:
        raise InvalidInputError(f"linear_net: width {width} < rank M = {rank}: W_D⋯W_1 has rank ≤ width, so "
                                "no point reaches L = 0; use width ≥ min(outputs, dim)")


def _top_singular_value_squared(matrix):
    """σmax(A)² in closed form from the smaller Gram matrix (1×1 or 2×2), else None."""
    gram = matrix.T * matrix if matrix.cols <= matrix.rows else matrix * matrix.T
    if gram.rows == 1:
        return gram[0, 0]
    if gram.rows == 2:  # (tr + √((a − d)² + 4b²))/2: the radicand is a sum of squares, never negative
        a, b, d = gram[0, 0], gram[0, 1], gram[1, 1]
        return (a + d + sp.sqrt((a - d) ** 2 + 4 * b**2)) / 2
    return None


def _balance_quantities(layers):
    """Upper triangles of W_iW_iᵀ − W_{i+1}ᵀW_{i+1}, conserved by gradient flow."""
    quantities = []
    for lower, upper in zip(layers, layers[1:]):
        gap = lower * lower.T - upper.T * upper
        quantities += [sp.expand(gap[i, j]) for i in range(gap.rows) for j in range(i, gap.cols)]
    return quantities


@register
def linear_net(depth=2, width=2, n=16, dim=None, seed=0, outputs=None, target=None, data="samples"):
    """A linear network W_D⋯W_1 fitted to M: ½‖W_D⋯W_1 − M‖²_F (``data="whitened"``) or mean_i
    ½‖W_D⋯W_1 x_i − M x_i‖² over n seeded samples (``data="samples"``); see the module docstring.

    ``target``: M as nested lists or an array (outputs × dim; a flat list is read into
    ``outputs`` rows), exact rationals of the given numbers; without it M is drawn from
    ``seed`` (outputs 1 and dim 2 unless given). Example: ``zoo.get("linear_net",
    target=[[2, 0.5], [0, 1]], data="whitened")`` (d = 8).
    """
    depth = _size(depth, "depth (the number of weight matrices)")
    if depth < 2:
        raise InvalidInputError(f"linear_net needs an integer depth >= 2 (weight matrices, output layer "
                                f"included), got {depth!r}")
    width = _size(width, "width")
    outputs = None if outputs is None else _size(outputs, "outputs")
    dim = None if dim is None else _size(dim, "dim")
    if data not in DATA:
        raise InvalidInputError(f"linear_net: data must be one of {', '.join(DATA)}, got {data!r}")
    matrix = _target(target, outputs, dim, seed)
    outputs, dim = matrix.shape
    _check_rank(matrix, width)
    sizes = [(width, dim)] + [(width, width)] * (depth - 2) + [(outputs, width)]
    layers = [sp.Matrix(r, c, sp.symbols(f"W{k}_1:{r * c + 1}", real=True)) for k, (r, c) in enumerate(sizes, 1)]
    if outputs == 1:  # the scalar-output network keeps its output row v
        layers[-1] = sp.Matrix(1, width, sp.symbols(f"v1:{width + 1}", real=True))
    end_to_end = layers[-1]
    for layer in reversed(layers[:-1]):
        end_to_end = end_to_end * layer
    params = [s for layer in layers for s in layer]
    constraints = list(end_to_end - matrix)
    chain = ("v" if outputs == 1 else f"W{depth}") + "".join(f"W{k}" for k in range(depth - 1, 0, -1))
    parameters = {"depth": depth, "width": width, "dim": dim, "outputs": outputs, "data": data}
    if target is not None:  # else M is drawn from the seed, which the label shows
        parameters["target"] = _show(matrix)
    common = dict(name="linear_net", min_loss=0, manifold=constraints, conserved=_balance_quantities(layers),
                  source="Saxe, McClelland, Ganguli, ICLR 2014 (arXiv:1312.6120); Arora, Cohen, Hazan, "
                         "ICML 2018 (arXiv:1802.06509)")
    if data == "whitened":
        lam1 = None
        if depth == 2:
            tops = [_top_singular_value_squared(layer) for layer in layers]
            lam1 = None if None in tops else tops[0] + tops[1]
        loss = sum(((end_to_end - matrix).applyfunc(lambda e: e**2)), sp.Integer(0)) / 2
        drawn = {} if target is not None else {"seed": seed}
        return Model(loss, params, formula=f"½‖{chain} − M‖²_F", parameters=parameters | drawn,
                     lambda1_on_manifold=lam1,
                     description=f"{depth}-layer linear network {dim}→{width}→{outputs} on whitened data, "
                                 f"target M = {_show(matrix)}.", **common)
    n = _size(n, "n (the number of samples)")
    if n < dim:
        raise InvalidInputError(f"linear_net: n = {n} samples in dimension {dim} do not determine M (the "
                                f"minima would form a larger set than W_D⋯W_1 = M); use n >= dim = {dim}")
    x = sp.symbols(f"x1:{dim + 1}", real=True)
    if outputs == 1 and target is None:  # the historical dataset, kept sample for sample
        table = linear_regression_data(n, dim, 0.0, seed).table
        y = [sp.Symbol("y", real=True)]
    else:
        inputs = np.random.default_rng(seed).standard_normal((n, dim))
        table = np.column_stack([inputs, inputs @ np.array(matrix, dtype=float).T])
        y = list(sp.symbols(f"y1:{outputs + 1}", real=True)) if outputs > 1 else [sp.Symbol("y", real=True)]
    residual = end_to_end * sp.Matrix(x) - sp.Matrix(y)
    sample_loss = sum(residual.applyfunc(lambda e: e**2), sp.Integer(0)) / 2
    return Model(sample_loss, params, formula=f"mean_i ½‖{chain} x_i − y_i‖², y_i = M x_i",
                 parameters=parameters | {"n": n, "seed": seed}, sample_symbols=[*x, *y], data=table,
                 description=f"{depth}-layer linear network {dim}→{width}→{outputs} on {n} Gaussian samples "
                             "of a linear map.", **common)


def _show(matrix):
    """M as text, row by row: [[2, 1/2], [0, 1]]."""
    return "[" + ", ".join("[" + ", ".join(sp.sstr(v) for v in matrix.row(i)) + "]" for i in range(matrix.rows)) + "]"


def target_matrix(model) -> np.ndarray:
    """M (outputs×dim) of a ``linear_net``: the constraints are W_D⋯W_1 − M, which is −M at θ = 0."""
    if model.name != "linear_net":
        raise InvalidInputError(f"target_matrix needs a linear_net model, not {model.label()}")
    p = model.parameters
    return -model.numeric.constraints(np.zeros(model.dim)).reshape(p["outputs"], p["dim"])


def path_point(model, gains, rotation_seed=0, null=None) -> np.ndarray:
    """The point of Γ of a depth-2 ``linear_net`` whose singular path i has gain ``gains[i]`` in W1.

    With M = U diag(σ) Vᵀ (r = min(outputs, dim) paths) and Q a random width×width rotation
    (from ``rotation_seed``; Q = I for seed None): W1 = Q_r diag(g) Vᵀ + Q_⊥ N and
    W2 = U diag(σ/g) Q_rᵀ, so W2W1 = M (W2 annihilates Q_⊥). ``null``: the (width − r)×dim block N
    of weights that W2 ignores (zero by default). Path i is balanced when g_i = √σ_i; σmax(W2) = max σ/g,
    and σmax(W1) = max g when N = 0.
    """
    p = model.parameters
    if model.name != "linear_net" or p["depth"] != 2:
        raise InvalidInputError(f"path_point needs a depth-2 linear_net, not {model.label()}")
    u, sigma, vt = np.linalg.svd(target_matrix(model), full_matrices=False)
    gains = np.asarray(gains, dtype=float)
    if gains.shape != sigma.shape or np.any(gains <= 0):
        raise InvalidInputError(f"path_point needs {len(sigma)} positive gains (one per singular path), got {gains}")
    q = np.eye(p["width"]) if rotation_seed is None else \
        np.linalg.qr(np.random.default_rng(rotation_seed).standard_normal((p["width"],) * 2))[0]
    w1 = q[:, :len(sigma)] @ np.diag(gains) @ vt
    if null is not None:
        w1 = w1 + q[:, len(sigma):] @ np.asarray(null, dtype=float).reshape(p["width"] - len(sigma), p["dim"])
    w2 = u @ np.diag(sigma / gains) @ q[:, :len(sigma)].T
    return np.r_[w1.ravel(), w2.ravel()]
