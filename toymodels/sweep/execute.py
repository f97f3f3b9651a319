"""Running a sweep: every chunk of the grid as one batched task, in this process or on dask.distributed.

In one process the chunks run one after the other, each vectorized over its cells. On
dask.distributed each chunk is a task; a task computes its block and writes it to the store
itself, so a finished cell is on disk the moment its task ends. When a worker dies, the
scheduler reruns the tasks it held on the other workers (dask's ``allowed-failures``); nothing
written is lost. The store's completion mask makes a re-run skip finished chunks.

Where it runs, when neither a scheduler nor a number of workers is given: in this process when
the grid's results fit in memory (:data:`IN_PROCESS_BYTES`), batched over cells with the fastest
engine; otherwise on a LocalCluster with one single-threaded worker per core, writing to the
store (which such a grid needs: its results do not fit in memory).
"""

import contextlib
import datetime
import os

import numpy as np

from .. import progress as progress_bars
from ..errors import InvalidInputError
from . import store as stores
from .grid import Grid

#: Results up to this size (bytes) are computed in this process by default; larger grids go to a
#: LocalCluster and a store.
IN_PROCESS_BYTES = 2 * 1024**3


def result_bytes(cells, grid) -> int:
    """Bytes of the sweep's results held in memory (every output over every cell)."""
    return sum(grid.size * int(np.prod(out.shape, dtype=np.int64)) * np.dtype(out.dtype).itemsize
               for out in cells.outputs.values())


def sweep(cells, axes, *, chunks=None, store=None, scheduler=None, workers=None, overwrite=False,
          progress=None, in_process_bytes=None):
    """Run ``cells`` on every cell of the grid ``axes`` (name -> values); an xarray Dataset.

    ``cells``: what one block of cells computes (e.g. :class:`toymodels.sweep.Simulation`):
    ``cells(block) -> {output: array}`` with its ``outputs`` described. ``chunks``: cells per
    chunk along each axis (see :class:`Grid`). ``store``: a Zarr directory written as chunks
    finish; an existing store of the same sweep is resumed (finished chunks are skipped).
    ``scheduler``: the address of a running dask.distributed scheduler; ``workers``: start a
    LocalCluster with this many worker processes (one thread each). Without either, the sweep
    runs in this process if its results fit in ``in_process_bytes`` (default
    :data:`IN_PROCESS_BYTES`), else on a LocalCluster with a worker per core (it then needs a
    ``store``). The result has one dimension per axis, the axes as coordinates, units and
    descriptions in each variable's attributes, the conventions and where it ran in the Dataset's.
    """
    grid = Grid(axes, chunks)
    limit = IN_PROCESS_BYTES if in_process_bytes is None else in_process_bytes
    if scheduler is None and workers is None and result_bytes(cells, grid) > limit:
        if store is None:
            raise InvalidInputError(
                f"this grid's results take {result_bytes(cells, grid) / 1024**2:.0f} MiB, more than the "
                f"{limit / 1024**2:.0f} MiB kept in memory: give a store (--store runs.zarr) and it runs on a "
                "LocalCluster, writing each chunk as it finishes")
        workers = os.cpu_count() or 1  # the grid does not fit one process: a LocalCluster by default
    if store is not None or scheduler is not None or workers is not None:
        _require_extra()
    attrs = {**cells.attrs(), "grid": str(grid.describe()), "created": datetime.datetime.now(
        datetime.timezone.utc).isoformat(timespec="seconds")}
    attrs["sweep_fingerprint"] = stores.fingerprint(cells, grid)
    attrs["executed"] = ("in this process" if scheduler is None and workers is None else
                         f"on the dask scheduler at {scheduler}" if scheduler is not None else
                         f"on a LocalCluster of {workers} single-threaded workers")
    if store is not None:
        done = stores.open_store(store, cells, grid, attrs, overwrite=overwrite)
        memory = None
    else:
        done = np.zeros(grid.shape, dtype=bool)
        memory = {name: np.full(grid.shape + out.shape, out.fill, dtype=out.dtype) for name, out in cells.outputs.items()}
    pending = [i for i in grid.chunk_indices() if not done[grid.slices(i)].all()]
    if pending:
        if scheduler is None and workers is None:
            _in_process(cells, grid, pending, store, memory, progress)
        else:
            _distributed(cells, grid, pending, store, memory, scheduler, workers, progress)
    if store is not None:
        return stores.load(store)
    done[...] = True
    return stores.dataset(cells, grid, attrs, {**memory, stores.DONE: done})


def _require_extra():
    try:
        import dask.array  # noqa: F401
        import distributed  # noqa: F401
        import zarr  # noqa: F401
    except ImportError as exc:
        raise InvalidInputError(f"a sweep with a store or on dask needs the sweep extra ({exc.name} is missing): "
                                "pip install 'toymodels[sweep]'") from None


def run_block(cells, grid, index, path=None):
    """Compute chunk ``index``; write it to the store at ``path`` (returning its cell count) or
    return its results. The one task of a sweep, in this process or on a dask worker."""
    block = grid.block(index)
    flat = cells(block)
    results = {name: np.asarray(flat[name]).reshape(block.shape + out.shape)
               for name, out in cells.outputs.items()}
    if path is None:
        return results
    stores.write_block(path, block, results)
    return block.size


def _bar(total, progress, desc):
    return progress_bars.bar(range(total), show=progress, desc=desc, unit="chunk", mininterval=0.5)


def _in_process(cells, grid, pending, store, memory, progress):
    for position in _bar(len(pending), progress, f"sweep of {grid.size} cells"):
        index = pending[position]
        results = run_block(cells, grid, index, store)
        if memory is not None:
            for name, values in results.items():
                memory[name][grid.slices(index)] = values


@contextlib.contextmanager
def client_for(scheduler=None, workers=None):
    """A dask.distributed Client: of the scheduler at ``scheduler``, or of a new LocalCluster with
    ``workers`` worker processes of one thread each (closed on exit)."""
    _require_extra()
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InvalidInputError(f"workers must be a positive integer, got {workers!r}")
    with LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client


def _distributed(cells, grid, pending, store, memory, scheduler, workers, progress):
    from distributed import as_completed

    path = None if store is None else str(store)
    with client_for(scheduler, workers) as client:
        remote_cells, remote_grid = client.scatter([cells, grid], broadcast=True)
        futures = {client.submit(run_block, remote_cells, remote_grid, index, path, pure=False): index
                   for index in pending}
        finished = as_completed(futures)
        for _ in _bar(len(futures), progress, f"sweep of {grid.size} cells on dask"):
            future = next(finished)
            result = future.result()
            if memory is not None:
                for name, values in result.items():
                    memory[name][grid.slices(futures[future])] = values
