"""Models with data: the loss is the mean over samples of ½(f(θ; x) − y)²."""

import numpy as np
import sympy as sp

from ..datasets import linear_regression_data
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
