"""Atomic file writing: write to a temporary file beside the target, then rename.

A reader (or an interrupted run) never sees a half-written file: either the old version or
the complete new one is there, because :func:`os.replace` is atomic on POSIX and Windows.
"""

import io
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .errors import OutputError


def _read_umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


#: Read once at import: os.umask can only be read by setting it, which is not thread-safe.
_UMASK = _read_umask()


@contextmanager
def atomic_path(path):
    """Yield a temporary path in the target's folder; on success flush it to disk and rename
    it onto ``path``. The folder must exist (a typo in a path should not create folders);
    an :class:`~toymodels.errors.OutputError` names ``path`` when it cannot be written."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {path.parent} does not exist; create it first "
                          "or choose another path")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes the file private; the result is an ordinary file
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # e.g. a full disk: say so about the user's path, not the temporary one
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def check_writable(folder):
    """An :class:`~toymodels.errors.OutputError` unless a file can be created in ``folder``
    (probed with a temporary file, since permission bits do not tell for root or /proc)."""
    folder = Path(folder)
    try:
        with tempfile.NamedTemporaryFile(prefix=".toymodels-write-test-", dir=folder):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write to the folder {folder} ({exc.strerror or exc}); choose another "
                          "place") from None


def write_text(path, text):
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path, data):
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_npz(path, arrays):
    """Write ``arrays`` (a dict of NumPy arrays) to an ``.npz`` file atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_bytes(path, buffer.getvalue())


def read_npz(path) -> dict:
    """Every array of an ``.npz`` file (no pickles are loaded); ``path`` may be a file object."""
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


#: The array that holds a stored run's metadata as JSON text.
META_KEY = "meta"


def join(prefix, key):
    """``prefix/key``, or ``key`` alone when there is no prefix: the keys of stored runs."""
    return f"{prefix}/{key}" if prefix else key


def meta_array(meta) -> np.ndarray:
    """``meta`` as a 0-d string array of JSON, so numbers and lists come back as they were
    (NumPy values become numbers or lists, anything else its text)."""
    return np.array(json.dumps(meta, default=_jsonable, ensure_ascii=False))


def meta_from_array(array) -> dict:
    """The metadata stored by :func:`meta_array`."""
    return json.loads(str(array))


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
