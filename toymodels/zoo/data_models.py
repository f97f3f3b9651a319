"""Models with data: the loss is the mean over samples of ½(f(θ; x) − y)²."""

import numpy as np
import sympy as sp

from ..datasets import linear_regression_data
from ..errors import InvalidInputError
from ..model import Model
from . import register


def _input_symbols(dim):
    return list(sp.symbols(f"x1:{dim + 1}", real=True)), sp.Symbol("y", real=True)


@register
def linear_regression(n=16, dim=2, noise=0.0, seed=0, inputs="gaussian"):
    """½(w·x − y)² averaged over n samples (least squares), inputs Gaussian or uniform.

    Γ is the set of least-squares solutions; L is constant in H = XᵀX/n, so λ1 everywhere is
    its top eigenvalue. With noise = 0 the data are interpolated and min L = 0.
    """
    data = linear_regression_data(n, dim, noise, seed, inputs)
    w = list(sp.symbols(f"w1:{dim + 1}", real=True))
    x, y = _input_symbols(dim)
    prediction = sum(wi * xi for wi, xi in zip(w, x))
    w_ls, *_ = np.linalg.lstsq(data.x, data.y, rcond=None)
    residual = data.x @ w_ls - data.y
    # The constraints are the coordinates of w − w_ls along the row space of X.
    _, singular, vt = np.linalg.svd(data.x, full_matrices=False)
    row_space = vt[singular > singular[0] * 1e-12]
    constraints = [sum(sp.Float(c) * (wi - sp.Float(wl)) for c, wi, wl in zip(row, w, w_ls))
                   for row in row_space]
    lam1 = np.linalg.eigvalsh(data.x.T @ data.x / n)[-1]
    return Model((prediction - y) ** 2 / 2, w, name="linear_regression",
                 formula="mean_i ½(w·x_i − y_i)²", source="(classical least squares)",
                 parameters={"n": n, "dim": dim, "noise": noise, "seed": seed, "inputs": inputs},
                 sample_symbols=[*x, y], data=data.table,
                 min_loss=sp.Float(0.5 * np.mean(residual**2)), manifold=constraints,
                 lambda1_on_manifold=sp.Float(lam1),
                 description=f"Linear least squares on {inputs} data.")


@register
def linear_net(depth=2, width=2, n=16, dim=2, seed=0):
    """½(v W_{D−1}⋯W_1 x − y)² averaged over n samples of y = β·x: a deep linear network.

    Depth D ≥ 2 counts the weight matrices: W1 (width×dim), W2 … W_{D−1} (width×width), and the
    output row v (1×width). The data are realizable, so min L = 0 and Γ = {v W_{D−1}⋯W1 = β}:
    dim constraints (Saxe, McClelland, Ganguli 2014; Arora, Cohen, Hazan 2018).
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 2:
        raise InvalidInputError(f"linear_net needs an integer depth >= 2 (weight matrices, output "
                                f"row included), got {depth!r}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise InvalidInputError(f"width must be a positive integer, got {width!r}")
    data = linear_regression_data(n, dim, 0.0, seed)
    layers = [sp.Matrix(width, dim, sp.symbols(f"W1_1:{width * dim + 1}", real=True))]
    for k in range(2, depth):
        layers.append(sp.Matrix(width, width, sp.symbols(f"W{k}_1:{width * width + 1}", real=True)))
    out = sp.Matrix(1, width, sp.symbols(f"v1:{width + 1}", real=True))
    end_to_end = out
    for layer in reversed(layers):
        end_to_end = end_to_end * layer
    x, y = _input_symbols(dim)
    prediction = (end_to_end * sp.Matrix(x))[0, 0]
    params = [s for m in layers for s in m] + list(out)
    constraints = [end_to_end[0, i] - sp.Float(beta) for i, beta in enumerate(data.coefficients)]
    chain = "".join(f"W{k}" for k in range(depth - 1, 0, -1))
    return Model((prediction - y) ** 2 / 2, params, name="linear_net",
                 formula=f"mean_i ½(v{chain} x_i − y_i)²",
                 source="Saxe, McClelland, Ganguli, ICLR 2014 (deep linear networks)",
                 parameters={"depth": depth, "width": width, "n": n, "dim": dim, "seed": seed},
                 sample_symbols=[*x, y], data=data.table, min_loss=0, manifold=constraints,
                 description="Deep linear network with small matrices on realizable Gaussian data.")
