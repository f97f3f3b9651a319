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

#: ``auto`` runs a simulation on JAX from this many optimizer steps times starts on, or from
#: ``AUTO_MIN_STEPS`` steps: below both the NumPy loop finishes before JAX has compiled its loop
#: (about 0.2–1 s on 2 CPU cores), above them a NumPy step's tens of µs of Python overhead add
#: up (``python -m benchmarks engine`` measures both).
AUTO_MIN_WORK = 2_000_000
AUTO_MIN_STEPS = 5_000
#: ``auto`` evaluates diagnostics (Hessians, sharpness) on JAX from this many states × d² on.
AUTO_MIN_DIAGNOSTIC_WORK = 5_000_000


def simulation_pays(steps, starts) -> bool:
    """True if a run of ``steps`` steps over ``starts`` states is worth compiling on JAX."""
    return steps >= AUTO_MIN_STEPS or steps * starts >= AUTO_MIN_WORK


def diagnostic_pays(states, dim) -> bool:
    """True if a diagnostic at ``states`` states of dimension ``dim`` is worth compiling on JAX."""
    return states * dim**2 >= AUTO_MIN_DIAGNOSTIC_WORK


@cache
def jax_available() -> bool:
    """True if JAX can be imported (the ``jax`` extra is installed)."""
    return importlib.util.find_spec("jax") is not None


def resolve(backend, pays=False) -> str:
    """``"numpy"`` or ``"jax"`` for the requested ``backend``; ``"auto"`` is JAX if it is installed
    and ``pays`` (the workload is large enough: :func:`simulation_pays`, :func:`diagnostic_pays`)."""
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    if backend == JAX and not jax_available():
        raise UnsupportedError("backend='jax' needs JAX, which is not installed; install it with "
                               "pip install 'toymodels[jax]' or use backend='numpy'")
    if backend == AUTO:
        return JAX if pays and jax_available() else NUMPY
    return backend


@contextlib.contextmanager
def x64():
    """Double precision inside the engine only: JAX's scoped ``enable_x64`` switch (not the
    process-wide ``jax_enable_x64`` flag, which would change the user's own JAX code)."""
    import jax

    with jax.enable_x64(True):
        yield
