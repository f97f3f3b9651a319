"""A cache of claim verdicts, so that an interrupted ``toymodels reproduce`` resumes.

An entry is keyed by the claim id, the mode (quick or full) and a fingerprint of everything
that determines the result: the source of the toymodels package, the versions of the
libraries it computes with, and for a claim defined outside toymodels its module's source. Any change of code gives new keys, so a stale verdict is never
reused. Each entry is two files written atomically, the artifacts (``.npz``, no pickles) and
then the verdict (``.json``) holding the SHA-256 of the artifacts file; an entry whose files
are missing, unreadable or do not match is reported with a warning and recomputed, never
trusted.
"""

import hashlib
import io
import json
import warnings
from pathlib import Path

import mpmath
import numpy as np
import scipy
import sympy

from .atomic import read_npz, write_bytes, write_text
from .claims import Verdict
from .verify.claim import source_hash

FORMAT = 3


class CorruptCacheWarning(UserWarning):
    """A cache entry could not be trusted and will be recomputed."""


def code_fingerprint() -> str:
    """SHA-256 over the package's source files and the versions of the numeric libraries,
    read now (a few milliseconds), so an edit made during a run is seen."""
    versions = f"{FORMAT} {np.__version__} {scipy.__version__} {sympy.__version__} {mpmath.__version__}"
    digest = hashlib.sha256(versions.encode())
    package = Path(__file__).parent
    from . import derivations  # installed from another folder

    for folder in (package, Path(derivations.__path__[0])):
        for path in sorted(folder.rglob("*.py")):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class VerdictCache:
    """Verdicts of claims stored in ``folder``, one entry per claim, mode and code version.

    ``fingerprint`` is the code version the verdicts are computed with: take it before any
    claim runs (the default: now) and pass it on to worker processes.
    """

    def __init__(self, folder, fingerprint=None):
        self.folder = Path(folder)
        self.fingerprint = code_fingerprint() if fingerprint is None else fingerprint

    def _paths(self, claim_id, quick):
        key = f"{claim_id} {quick} {self.fingerprint} {source_hash(claim_id)}"
        key = hashlib.sha256(key.encode()).hexdigest()[:16]
        stem = self.folder / f"{claim_id}.{'quick' if quick else 'full'}.{key}"
        return stem.with_suffix(stem.suffix + ".json"), stem.with_suffix(stem.suffix + ".npz")

    def load(self, claim_id, quick):
        """The cached verdict, or None if there is none or it cannot be trusted (with a warning)."""
        meta_path, arrays_path = self._paths(claim_id, quick)
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            payload = arrays_path.read_bytes()
            if meta.get("format") != FORMAT or meta["id"] != claim_id or meta["quick"] != quick:
                raise ValueError("it was written for another claim, mode or format")
            if hashlib.sha256(payload).hexdigest() != meta["artifacts_sha256"]:
                raise ValueError("its artifacts file does not match the recorded checksum")
            artifacts = read_npz(io.BytesIO(payload))
            return Verdict.from_json(meta, artifacts)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            warnings.warn(f"ignoring the cached result of {claim_id} in {meta_path} ({exc}); recomputing it",
                          CorruptCacheWarning, stacklevel=2)
            return None

    def store(self, verdict, quick):
        """Write ``verdict`` (artifacts first, then the verdict that vouches for them), unless
        the package source changed since the fingerprint was taken: then the verdict may come
        from either version, and it is not cached (with a warning)."""
        if code_fingerprint() != self.fingerprint:
            warnings.warn(f"the toymodels source changed during the run; the verdict of {verdict.claim_id} "
                          "is reported but not cached", CorruptCacheWarning, stacklevel=2)
            return
        meta_path, arrays_path = self._paths(verdict.claim_id, quick)
        buffer = io.BytesIO()
        np.savez(buffer, **verdict.artifacts)
        payload = buffer.getvalue()
        write_bytes(arrays_path, payload)
        meta = {"format": FORMAT, "quick": quick, **verdict.to_json(),
                "artifacts_sha256": hashlib.sha256(payload).hexdigest()}
        write_text(meta_path, json.dumps(meta, indent=1, default=str, ensure_ascii=False))
