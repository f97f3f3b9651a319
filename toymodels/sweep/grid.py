"""The grid of a sweep: named axes, their chunks, and the blocks of cells that one task runs.

A grid is the outer product of its axes (the first axis varies slowest, as in NumPy's C
order). It is cut into chunks along every axis; a :class:`Block` is one chunk's cells, the unit
that one task computes and writes (one writer per chunk of the store).
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError

#: Default number of cells per chunk: large enough to amortize a task, small enough to lose little.
CELLS_PER_CHUNK = 1024


@dataclass(frozen=True)
class Output:
    """One result kept per cell: its meaning, units, and extra dimensions beyond the grid.

    ``extra``: ((dim name, length), ...) for a result that is an array per cell (e.g. the loss
    along the run, dims ("step",)); ``coords``: optional coordinate values of those dims;
    ``flags``: for an integer code, the meanings of 0, 1, … (CF ``flag_meanings``).
    """

    description: str
    units: str = "1"
    dtype: str = "float64"
    extra: tuple = ()
    coords: tuple = ()
    flags: tuple = ()

    @property
    def shape(self) -> tuple:
        return tuple(length for _, length in self.extra)

    @property
    def dims(self) -> tuple:
        return tuple(name for name, _ in self.extra)

    @property
    def fill(self):
        """The value of a cell not computed yet (NaN for floats, −1 for integer codes)."""
        return np.nan if np.dtype(self.dtype).kind == "f" else -1


@dataclass(frozen=True)
class Block:
    """The cells of one chunk: their parameter values (flat, C order), the chunk's index and slices."""

    index: tuple
    slices: tuple
    shape: tuple
    values: dict

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Grid:
    """Named axes (name -> 1-D values) and a chunk length per axis.

    ``chunks``: name -> cells per chunk along that axis; axes not named are chunked so that a
    chunk holds at most :data:`CELLS_PER_CHUNK` cells, splitting the first axes first.
    """

    def __init__(self, axes, chunks=None):
        if not axes:
            raise InvalidInputError("a sweep needs at least one axis, e.g. {'lr': [0.1, 0.2]}")
        self.axes = {}
        for name, values in axes.items():
            values = np.asarray(values)
            if values.ndim != 1 or values.size == 0:
                raise InvalidInputError(f"axis {name!r} must be a non-empty 1-D list of values, got shape {values.shape}")
            if values.dtype.kind not in "biuf":
                raise InvalidInputError(f"axis {name!r} must hold numbers, got {values.dtype}")
            if len(np.unique(values)) != values.size:
                raise InvalidInputError(f"axis {name!r} repeats a value; each value labels one row of the result")
            self.axes[str(name)] = values
        self.chunks = self._chunks(dict(chunks or {}))

    def _chunks(self, given):
        unknown = sorted(set(given) - set(self.axes))
        if unknown:
            raise InvalidInputError(f"chunks name no axis: {', '.join(unknown)}; axes: {', '.join(self.axes)}")
        chunks = {}
        for name, values in self.axes.items():
            if name in given:
                size = given[name]
                if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                    raise InvalidInputError(f"chunk length of axis {name!r} must be a positive integer, got {size!r}")
                chunks[name] = min(int(size), values.size)
        budget = CELLS_PER_CHUNK // max(1, math.prod(chunks.values()))
        for name in reversed(list(self.axes)):  # the last axes stay whole, the first are split
            if name not in chunks:
                chunks[name] = max(1, min(self.axes[name].size, budget))
                budget = max(1, budget // chunks[name])
        return {name: chunks[name] for name in self.axes}

    @property
    def shape(self) -> tuple:
        return tuple(v.size for v in self.axes.values())

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def chunk_shape(self) -> tuple:
        return tuple(self.chunks.values())

    @property
    def n_chunks(self) -> tuple:
        return tuple(math.ceil(n / c) for n, c in zip(self.shape, self.chunk_shape))

    def chunk_indices(self):
        """Every chunk index, in C order."""
        return list(itertools.product(*(range(n) for n in self.n_chunks)))

    def slices(self, index) -> tuple:
        return tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(index, self.chunk_shape, self.shape))

    def block(self, index) -> Block:
        """The cells of chunk ``index`` with their parameter values."""
        slices = self.slices(index)
        parts = [values[s] for values, s in zip(self.axes.values(), slices)]
        mesh = np.meshgrid(*parts, indexing="ij")
        return Block(tuple(index), slices, mesh[0].shape, {name: m.reshape(-1) for name, m in zip(self.axes, mesh)})

    def describe(self) -> dict:
        """The grid as JSON-able values (for the store's fingerprint and attributes)."""
        return {"axes": {k: v.tolist() for k, v in self.axes.items()}, "chunks": self.chunks}
