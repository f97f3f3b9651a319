"""The Zarr store of a sweep: created once with every variable's layout, then written chunk by chunk.

Each variable has the grid's dimensions (plus the extra dimensions of its :class:`Output`) and
the grid's chunks, so a task writes exactly the chunks of its block: one writer per chunk, no
locks. A task writes its results first and then its cells of the boolean variable ``done``
(the completion mask), so a task killed in between leaves its cells not done and they are
recomputed; a re-run reads ``done`` and skips the finished chunks. The store records a
fingerprint of the sweep (what is computed and on which grid); opening it for a different sweep
is an error rather than a silent mix of two sweeps.
"""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError

DONE = "done"


def fingerprint(cells, grid) -> str:
    """SHA-256 of what the cells compute and of the grid with its chunks."""
    text = json.dumps({"cells": cells.describe(), "grid": grid.describe()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def dataset(cells, grid, attrs, arrays):
    """The sweep's labelled Dataset from ``arrays`` (output name or ``done`` -> array over the grid)."""
    import xarray as xr

    dims = tuple(grid.axes)
    coords = {name: (name, values) for name, values in grid.axes.items()}
    data = {}
    for name, out in cells.outputs.items():
        data[name] = (dims + out.dims, arrays[name], _output_attrs(out))
        for (dim, _), values in zip(out.extra, out.coords):
            coords[dim] = (dim, np.asarray(values))
    data[DONE] = (dims, arrays[DONE], {"description": "True where the cell's results are written (the completion mask)"})
    return xr.Dataset(data, coords=coords, attrs=attrs)


def template(cells, grid, attrs):
    """The sweep's Dataset with lazy (dask) arrays of fill values: its layout, no data."""
    import dask.array as da

    arrays = {name: da.full(grid.shape + out.shape, out.fill, dtype=out.dtype, chunks=grid.chunk_shape + out.shape)
              for name, out in cells.outputs.items()}
    arrays[DONE] = da.zeros(grid.shape, dtype=bool, chunks=grid.chunk_shape)
    return dataset(cells, grid, attrs, arrays)


def _output_attrs(out):
    attrs = {"description": out.description, "units": out.units}
    if out.flags:
        attrs["flag_values"] = list(range(len(out.flags)))
        attrs["flag_meanings"] = " ".join(out.flags)
    return attrs


def open_store(path, cells, grid, attrs, *, overwrite=False):
    """Create the store at ``path`` (its layout only), or reopen it for the same sweep; returns
    the boolean completion mask of the grid."""
    import zarr

    path = Path(path)
    key = attrs["sweep_fingerprint"]
    if path.exists() and overwrite:
        shutil.rmtree(path)
    if path.exists():
        try:
            group = zarr.open_group(str(path), mode="r")
            found = group.attrs.get("sweep_fingerprint")
        except Exception as exc:  # not a Zarr group at all
            raise InvalidInputError(f"{path} exists and is not a sweep store ({type(exc).__name__}: {exc}); "
                                    "choose another path or pass overwrite=True (--overwrite)") from None
        if found != key:
            raise InvalidInputError(f"{path} holds a different sweep (other cells, grid or chunks); choose "
                                    "another path to keep it, or pass overwrite=True (--overwrite) to replace it")
        return done_mask(path)
    encoding = {name: {"fill_value": out.fill} for name, out in cells.outputs.items()}
    template(cells, grid, attrs).to_zarr(str(path), compute=False, encoding=encoding, mode="w-", consolidated=False)
    return np.zeros(grid.shape, dtype=bool)


def write_block(path, block, results):
    """Write one block's results into its chunks, then mark its cells done."""
    import zarr

    group = zarr.open_group(str(path), mode="r+")
    for name, values in results.items():
        group[name][block.slices] = values
    group[DONE][block.slices] = True


def load(path):
    """The finished sweep at ``path`` as an xarray Dataset held in memory."""
    import xarray as xr

    # chunks=None: plain NumPy reads, never a dask graph (that would run on any active dask client)
    with xr.open_zarr(str(path), mask_and_scale=False, consolidated=False, chunks=None) as ds:
        return ds.load()


def done_mask(path) -> np.ndarray:
    """The completion mask of the store at ``path``, read directly (cheap, safe while tasks write)."""
    import zarr

    return np.asarray(zarr.open_group(str(path), mode="r")[DONE][...])
