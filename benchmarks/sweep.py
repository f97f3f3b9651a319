"""Sweep benchmarks (issue 15): cells per second in one process, the speed-up from one to two dask
workers, and the overhead per cell of dask against the in-process path. Ratios in one run."""

import shutil
import tempfile
from pathlib import Path

import numpy as np

from toymodels.sweep import Simulation, sweep

from .timing import best_time

CELLS = Simulation("two_layer_scalar", "gd", steps=10_000, x0=(2.0, 0.1), summaries=("status", "final_sharpness"))
AXES = {"lr": np.linspace(0.01, 0.9, 100), "b": np.linspace(-1.0, 1.0, 100)}  # 10⁴ cells, one batch per chunk
# The scaling grid: 10⁵ cells in 4 chunks of 25 000, two per worker, each long enough (about a second
# with the JAX engine) to amortize a task.
LARGE = {"lr": np.linspace(0.01, 0.9, 400), "b": np.linspace(-1.0, 1.0, 250)}
CHUNKS = {"lr": 100}


def _store(folder, name):
    path = Path(folder) / name
    shutil.rmtree(path, ignore_errors=True)
    return path


def in_process_cells_per_second():
    """10⁴ cells × 10⁴ GD steps on ½(ab − 1)² in one process: one batch of 10⁴ against a loop of
    single-cell runs (timed on 20 cells and scaled). simulate's backend is "auto" (the JAX engine
    from 10⁴ steps on, when installed)."""
    single = Simulation("two_layer_scalar", "gd", steps=10_000, x0=(2.0, 0.1), summaries=("status", "final_sharpness"))
    sweep(single, {"lr": [0.1], "b": [0.1]})  # compile outside the timings
    batched = best_time(lambda: sweep(CELLS, AXES, chunks={"lr": 100}), repeat=3)
    lrs, bs = AXES["lr"][:20], AXES["b"][:20]
    looped = best_time(lambda: [sweep(single, {"lr": [lr], "b": [b]}) for lr, b in zip(lrs, bs)], repeat=1) / 20 * 10_000
    return (f"in one process: 10⁴ cells × 10⁴ steps in {batched:.2f} s = {10_000 / batched:.0f} cells/s "
            f"({1e8 / batched / 1e6:.1f}·10⁶ cell-steps/s); one cell at a time would take {looped:.0f} s "
            f"(speed-up of batching {looped / batched:.0f}x)")


def _scaling(cells, axes, chunks, folder, cells_per_chunk):
    """Best-of-3 times in this process and on one and two dask workers (the cluster warmed up first)."""
    from distributed import Client, LocalCluster

    local = best_time(lambda: sweep(cells, axes, chunks=chunks, store=_store(folder, "local.zarr")), repeat=3)
    times = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster):
            address = cluster.scheduler_address
            sweep(cells, {"lr": [0.1, 0.2], "b": [0.1]}, scheduler=address)  # import and compile on the workers
            times[workers] = best_time(lambda: sweep(cells, axes, chunks=chunks, scheduler=address,
                                                     store=_store(folder, f"dask{workers}.zarr")), repeat=3)
    size = int(np.prod([len(v) for v in axes.values()]))
    return [f"  in-process (store): {local:.2f} s; dask 1 worker: {times[1]:.2f} s; 2 workers: {times[2]:.2f} s",
            f"  speed-up 1 → 2 workers: {times[1] / times[2]:.2f}x (target ≥ 1.7x on 2 free cores)",
            f"  dask overhead per cell vs in-process: {(times[1] - local) / size * 1e6:.2f} µs "
            f"({(times[1] - local) / (size / cells_per_chunk) * 1e3:.0f} ms per chunk of {cells_per_chunk} cells; "
            f"ratio {times[1] / local:.2f})"]


def dask_scaling_and_overhead():
    """In this process, on one dask worker and on two (one thread each), each writing a fresh Zarr
    store: the NumPy engine on 10⁴ cells × 10⁴ steps in 4 chunks (single-threaded, so two workers can
    use two cores), and the JAX engine on 10⁵ cells in 4 chunks. XLA runs a computation on every
    core of the machine whatever dask's threads per worker, so on one machine a second JAX worker
    only competes for the same cores: dask pays off there across machines."""
    numpy_cells = Simulation("two_layer_scalar", "gd", steps=10_000, x0=(2.0, 0.1), backend="numpy",
                             summaries=("status", "final_sharpness"))
    with tempfile.TemporaryDirectory() as folder:
        lines = ["sweep of 10⁴ cells × 10⁴ steps in 4 chunks, NumPy engine:",
                 *_scaling(numpy_cells, AXES, {"lr": 25}, folder, 2500),
                 "sweep of 10⁵ cells × 10⁴ steps in 4 chunks, backend 'auto' (the JAX engine when installed):",
                 *_scaling(CELLS, LARGE, CHUNKS, folder, 25_000)]
    return "\n".join(lines)


BENCHMARKS = [in_process_cells_per_second, dask_scaling_and_overhead]
