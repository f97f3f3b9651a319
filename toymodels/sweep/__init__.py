"""Sweeps: grids of runs with labelled, resumable results (xarray + Zarr), in one process or on dask.

    from toymodels.sweep import Simulation, sweep
    cells = Simulation("two_layer_scalar", "gd", steps=2000, x0=(2.0, 0.1), tail=16)
    ds = sweep(cells, {"lr": np.linspace(0.1, 1.2, 100), "y": [0.5, 1.0]}, store="runs.zarr")
    ds.final_sharpness.sel(y=1.0).plot()

:func:`sweep` runs every chunk of the grid as one batched task, in this process or on
dask.distributed (``workers=``: a LocalCluster; ``scheduler=``: an existing cluster), writes
each chunk to the store when it finishes, and resumes an interrupted store. Cells are any
picklable callable with ``outputs`` (a mapping of :class:`Output`), ``attrs()`` and
``describe()``; :class:`Simulation` runs :func:`toymodels.simulate`, :class:`Integration`
runs :func:`toymodels.integrate` on a flow. Stores and clusters need
the ``sweep`` extra (zarr, dask.distributed): ``pip install 'toymodels[sweep]'``.
"""

from .execute import client_for, run_block, sweep
from .grid import Block, Grid, Output
from .integration import Integration
from .simulation import SUMMARIES, Simulation, orbit_period
from .store import load

__all__ = ["Block", "Grid", "Integration", "Output", "SUMMARIES", "Simulation", "client_for", "load", "orbit_period", "run_block",
           "sweep"]
