"""Backend choice, with and without JAX installed (the NumPy path must stand alone)."""

import subprocess
import sys

import numpy as np
import pytest

from toymodels import backend, optim, simulate, zoo
from toymodels.errors import UnsupportedError


@pytest.fixture
def without_jax(monkeypatch):
    monkeypatch.setattr(backend, "jax_available", lambda: False)


def test_auto_falls_back_to_numpy_without_jax(without_jax):
    assert backend.resolve("auto", pays=True) == "numpy"
    run = simulate(zoo.get("two_layer_scalar"), optim.GD(0.1), np.ones((2, 2)), backend.AUTO_MIN_STEPS,
                   record=(), save_every=1000)
    assert run.meta["backend"] == "numpy" and list(run.status) == ["finished"] * 2


def test_asking_for_jax_without_it_says_how_to_install(without_jax):
    with pytest.raises(UnsupportedError, match=r"toymodels\[jax\]"):
        simulate(zoo.get("two_layer_scalar"), optim.GD(0.1), np.ones(2), 3, backend="jax")


def test_auto_uses_numpy_for_short_runs():
    assert not backend.simulation_pays(100) and backend.simulation_pays(backend.AUTO_MIN_STEPS)
    assert backend.resolve("auto", pays=False) == "numpy"
    assert backend.resolve("numpy", pays=True) == "numpy"


def test_the_numpy_path_runs_where_jax_cannot_be_imported():
    # a fresh interpreter in which `import jax` fails, as on a machine without the jax extra
    code = "\n".join([
        "import sys; sys.modules['jax'] = None",
        "import numpy as np, toymodels as tm",
        "from toymodels.errors import UnsupportedError",
        "m = tm.zoo.get('tanh_net', width=2, n=4)",
        "run = tm.simulate(m, tm.optim.GD(0.1), np.zeros((2, m.dim)) + 0.1, tm.backend.AUTO_MIN_STEPS,",
        "                  record=('loss', 'sharpness'), save_every=5000)",
        "assert run.meta['backend'] == 'numpy' and list(run.status) == ['finished'] * 2",
        "assert tm.diagnostics.sharpness(m, run.final, method='lanczos').shape == (2,)",
        "try:",
        "    tm.simulate(m, tm.optim.GD(0.1), np.zeros(m.dim), 3, backend='jax')",
        "except UnsupportedError as error:",
        "    assert 'toymodels[jax]' in str(error)",
        "else:",
        "    raise AssertionError('backend=jax ran without JAX')",
        "assert sys.modules['jax'] is None",
    ])
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
