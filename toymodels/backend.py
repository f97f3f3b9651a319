"""Which engine runs a computation: ``"numpy"`` (the compiled SymPy functions, always there),
``"jax"`` (the accelerated engine of :mod:`toymodels.jax_model`, if JAX is installed: ``pip install
'toymodels[jax]'``) or ``"auto"``, which picks JAX where its compile time pays for itself.

The engine computes in double precision through JAX's scoped switch (:func:`x64`), so the user's
global JAX configuration (float32 by default) is left alone.
"""

import contextlib
import importlib.util
from functools import cache

from .errors import InvalidInputError, UnsupportedError

NUMPY, JAX, AUTO = "numpy", "jax", "auto"
BACKENDS = (AUTO, NUMPY, JAX)

#: ``auto`` runs a simulation on JAX from this many optimizer steps times starts on. Below it the
#: NumPy loop finishes before JAX has compiled its loop (about 0.2–1 s on 2 CPU cores;
#: ``python -m benchmarks engine`` measures both).
AUTO_MIN_WORK = 2_000_000
#: ... and from this many steps: a NumPy step costs tens of µs of Python overhead whatever the
#: batch, which the engine's compiled loop does not pay.
AUTO_MIN_STEPS = 5_000


@cache
def jax_available() -> bool:
    """True if JAX can be imported (the ``jax`` extra is installed)."""
    return importlib.util.find_spec("jax") is not None


def resolve(backend, *, steps=0, starts=1) -> str:
    """``"numpy"`` or ``"jax"`` for the requested ``backend`` and a workload of ``steps`` optimizer
    steps over ``starts`` states (``"auto"``: JAX if installed and the workload is long enough)."""
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    if backend == JAX and not jax_available():
        raise UnsupportedError("backend='jax' needs JAX, which is not installed; install it with "
                               "pip install 'toymodels[jax]' or use backend='numpy'")
    if backend == AUTO:
        pays = steps >= AUTO_MIN_STEPS or steps * starts >= AUTO_MIN_WORK
        return JAX if pays and jax_available() else NUMPY
    return backend


@contextlib.contextmanager
def x64():
    """Double precision inside the engine only: JAX's scoped ``enable_x64`` switch (not the
    process-wide ``jax_enable_x64`` flag, which would change the user's own JAX code)."""
    import jax

    with jax.enable_x64(True):
        yield
