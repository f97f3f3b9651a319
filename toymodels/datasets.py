"""Small datasets generated deterministically from a seed inside the package.

Every generator takes an explicit ``seed`` and uses its own :class:`numpy.random.Generator`,
so the same parameters give the same data on every machine and in every session.
"""

from dataclasses import dataclass

import numpy as np

from .errors import InvalidInputError


@dataclass(frozen=True)
class RegressionData:
    """Inputs ``x`` (n, p), targets ``y`` (n,), and the coefficients that generated them."""

    x: np.ndarray
    y: np.ndarray
    coefficients: np.ndarray

    @property
    def table(self) -> np.ndarray:
        """The samples as one array (n, p + 1): input columns, then the target."""
        return np.column_stack([self.x, self.y])


def linear_regression_data(n, dim, noise, seed, inputs="gaussian") -> RegressionData:
    """y = β·x + noise·ε with β, ε standard normal (β fixed by ``seed`` as well).

    ``inputs``: "gaussian" (standard normal x) or "uniform" (x uniform on [−√3, √3], also unit
    variance, with bounded per-sample curvatures x_i²).
    """
    if not isinstance(n, int) or n < 1 or not isinstance(dim, int) or dim < 1:
        raise InvalidInputError(f"need integers n >= 1 and dim >= 1, got n={n!r}, dim={dim!r}")
    if not np.isfinite(noise) or noise < 0:
        raise InvalidInputError(f"noise must be a finite number >= 0, got {noise!r}")
    if inputs not in ("gaussian", "uniform"):
        raise InvalidInputError(f"inputs must be 'gaussian' or 'uniform', got {inputs!r}")
    rng = np.random.default_rng(seed)
    coefficients = rng.standard_normal(dim)
    if inputs == "gaussian":
        x = rng.standard_normal((n, dim))
    else:
        x = rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), (n, dim))
    y = x @ coefficients + noise * rng.standard_normal(n)
    return RegressionData(x, y, coefficients)


def sine_regression_data(n, frequency=1.0, noise=0.0, seed=0) -> RegressionData:
    """A 1-D regression curve: x uniform on [−1, 1] (sorted), y = sin(π·frequency·x) + noise·ε.

    ``coefficients`` holds the frequency. The inputs are sorted so that plots of the data and
    of a fitted network read left to right; the order does not matter to any loss.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidInputError(f"need an integer n >= 1, got n={n!r}")
    if not np.isfinite(frequency) or frequency <= 0:
        raise InvalidInputError(f"frequency must be a finite number > 0, got {frequency!r}")
    if not np.isfinite(noise) or noise < 0:
        raise InvalidInputError(f"noise must be a finite number >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, n))
    y = np.sin(np.pi * frequency * x) + noise * rng.standard_normal(n)
    return RegressionData(x[:, None], y, np.array([float(frequency)]))
