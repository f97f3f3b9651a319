"""Small neural networks on data: the settings of the edge-of-stability measurements.

The loss is the mean over samples of ½(f(θ; x) − y)²; the per-sample derivatives are symbolic
in θ and NumPy broadcasts them over the samples (see :mod:`toymodels.compile`).
"""

import numpy as np
import sympy as sp

from ..datasets import sine_regression_data
from ..errors import InvalidInputError
from ..model import Model
from . import register


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidInputError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


@register
def tanh_net(width=2, n=8, frequency=1.0, noise=0.0, seed=0):
    """½(Σ_j a_j tanh(w_j x + b_j) − y)² averaged over n samples of y = sin(π·frequency·x).

    A one-hidden-layer tanh network with scalar input and output (no output bias), d = 3·width
    parameters ordered (w_1…w_W, b_1…b_W, a_1…a_W). The data are generated from ``seed`` by
    :func:`toymodels.datasets.sine_regression_data`. Cohen et al. (ICLR 2021) observe
    progressive sharpening and the edge of stability on tanh networks trained with MSE. Its
    minima are not known in closed form, so no minimum value or manifold is stated.
    """
    width = _positive_int(width, "width")
    data = sine_regression_data(_positive_int(n, "n"), frequency, noise, seed)
    w = sp.symbols(f"w1:{width + 1}", real=True)
    b = sp.symbols(f"b1:{width + 1}", real=True)
    a = sp.symbols(f"a1:{width + 1}", real=True)
    x, y = sp.symbols("x y", real=True)
    prediction = sum(aj * sp.tanh(wj * x + bj) for wj, bj, aj in zip(w, b, a))
    return Model((prediction - y) ** 2 / 2, [*w, *b, *a], name="tanh_net",
                 formula="mean_i ½(Σ_j a_j tanh(w_j x_i + b_j) − y_i)²",
                 source="Cohen, Kaur, Li, Kolter, Talwalkar, ICLR 2021 (tanh networks, MSE)",
                 parameters={"width": width, "n": n, "frequency": frequency, "noise": noise, "seed": seed},
                 sample_symbols=[x, y], data=data.table,
                 description="One-hidden-layer tanh network on a 1-D sine regression.")


def initial_weights(model, seed, scale=1.0, count=None):
    """A LeCun-style random start for ``tanh_net`` or ``linear_net`` (shape (d,) or (count, d)).

    Every weight is N(0, scale²/fan_in), fan_in being the number of inputs of its unit (1 for the
    input weights and biases of ``tanh_net``, the width for its output weights), so the output
    has variance of order scale² at any width.
    """
    if model.name not in ("tanh_net", "linear_net"):
        raise InvalidInputError(f"initial_weights knows tanh_net and linear_net, not {model.label()}")
    if not np.isfinite(scale) or scale <= 0:
        raise InvalidInputError(f"scale must be a finite number > 0, got {scale!r}")
    p = model.parameters
    if model.name == "tanh_net":
        fan_in = np.repeat([1.0, 1.0, float(p["width"])], p["width"])
    else:
        sizes = [p["width"] * p["dim"]] + [p["width"] ** 2] * (p["depth"] - 2) + [p["outputs"] * p["width"]]
        fans = [p["dim"]] + [p["width"]] * (p["depth"] - 1)
        fan_in = np.repeat(np.array(fans, dtype=float), sizes)
    shape = (model.dim,) if count is None else (count, model.dim)
    return np.random.default_rng(seed).standard_normal(shape) * scale / np.sqrt(fan_in)
