"""Atomic file writing: write to a temporary file beside the target, then rename.

A reader (or an interrupted run) never sees a half-written file: either the old version or
the complete new one is there, because :func:`os.replace` is atomic on POSIX and Windows.
"""

import io
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np


def _read_umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


#: Read once at import: os.umask can only be read by setting it, which is not thread-safe.
_UMASK = _read_umask()


@contextmanager
def atomic_path(path):
    """Yield a temporary path in the target's folder; on success flush it to disk and rename
    it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes the file private; the result is an ordinary file
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path, text):
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path, data):
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_npz(path, arrays, meta=None):
    """Write ``arrays`` (and ``meta``, its values as strings) to an ``.npz`` file atomically."""
    if meta is not None:
        arrays = {**arrays, "meta_keys": np.array(list(meta), dtype=str),
                  "meta_values": np.array([str(v) for v in meta.values()], dtype=str)}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_bytes(path, buffer.getvalue())


def read_npz(path):
    """The arrays and the metadata written by :func:`write_npz` (no pickles are loaded);
    ``path`` may also be a file object."""
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files if k not in ("meta_keys", "meta_values")}
        meta = dict(zip(f["meta_keys"].tolist(), f["meta_values"].tolist())) if "meta_keys" in f.files else {}
    return arrays, meta
