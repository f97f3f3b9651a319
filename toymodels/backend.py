"""Which engine runs a computation: ``"numpy"`` (the compiled SymPy functions, always there),
``"jax"`` (the accelerated engine of :mod:`toymodels.jax_model`, if JAX is installed: ``pip install
'toymodels[jax]'``) or ``"auto"``, which picks JAX where its compile time pays for itself.

The engine computes in double precision through JAX's scoped switch (:func:`x64`), so the user's
global JAX configuration (float32 by default) is left alone.
"""

import contextlib
from functools import cache

from .errors import InvalidInputError, UnsupportedError

NUMPY, JAX, AUTO = "numpy", "jax", "auto"
BACKENDS = (AUTO, NUMPY, JAX)

#: ``auto`` runs a simulation on JAX from this many optimizer steps on. A NumPy step costs tens
#: of µs of Python overhead whatever the batch, which the engine's compiled loop does not pay;
#: below this the NumPy loop is done before JAX has compiled its loop (0.5–2 s on 2 CPU cores per
#: model, optimizer and batch shape). A huge batch over few steps stays on NumPy: its steps are
#: already vectorized, and the engine's random batches (threefry, sort) are slower on a CPU.
#: Measured on the claims (``toymodels reproduce``): 20,000–128,000-step runs take 2–7x less
#: time on the engine, 6,000-step runs and 4-step runs over 900,000 starts take longer.
AUTO_MIN_STEPS = 10_000
#: ``auto`` evaluates diagnostics (Hessians, sharpness) on JAX from this many states × d² on, and
#: from this dimension on. For small d the compiled symbolic Hessian is as fast as the engine
#: once compiled (sharpness of deep_scalar, d = 3, at 10⁵ states: NumPy 0.07 s, engine 0.09 s
#: warm), and the engine compiles again for every new number of states (0.6 s each), which the
#: claim eos.gfs_sharpness_monotone pays several times over.
AUTO_MIN_DIAGNOSTIC_WORK = 5_000_000
AUTO_MIN_DIAGNOSTIC_DIM = 16


def simulation_pays(steps) -> bool:
    """True if a run of ``steps`` optimizer steps is worth compiling on JAX."""
    return steps >= AUTO_MIN_STEPS


def diagnostic_pays(states, dim) -> bool:
    """True if a diagnostic at ``states`` states of dimension ``dim`` is worth compiling on JAX."""
    return dim >= AUTO_MIN_DIAGNOSTIC_DIM and states * dim**2 >= AUTO_MIN_DIAGNOSTIC_WORK


@cache
def jax_available() -> bool:
    """True if JAX can be imported (the ``jax`` extra is installed and loads)."""
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True


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
