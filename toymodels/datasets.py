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


def linear_regression_data(n, dim, noise, seed) -> RegressionData:
    """y = β·x + noise·ε with x, β, ε standard normal (β fixed by ``seed`` as well)."""
    if not isinstance(n, int) or n < 1 or not isinstance(dim, int) or dim < 1:
        raise InvalidInputError(f"need integers n >= 1 and dim >= 1, got n={n!r}, dim={dim!r}")
    if not np.isfinite(noise) or noise < 0:
        raise InvalidInputError(f"noise must be a finite number >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    coefficients = rng.standard_normal(dim)
    x = rng.standard_normal((n, dim))
    y = x @ coefficients + noise * rng.standard_normal(n)
    return RegressionData(x, y, coefficients)
