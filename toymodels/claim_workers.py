"""Claims run in worker processes that one Ctrl-C stops at once.

``toymodels reproduce --jobs N`` runs groups of claims (those that declare a common shared run,
:func:`toymodels.verify.shared_run`, form one group) in N spawned processes, one group at a time
per process, so that a shared run is computed once. Each worker caches a verdict as soon as it is known
and sends it to the parent, with the claim it starts and the progress of its long loops.

Interruption: the workers ignore SIGINT (they inherit SIG_IGN from the parent while it starts
them, so even a Ctrl-C during their imports cannot print a traceback), and the parent alone
decides. On KeyboardInterrupt the parent terminates them (SIGTERM, then SIGKILL after a grace
period) with SIGINT ignored meanwhile, so a second Ctrl-C cannot interrupt the clean-up and
leave a process behind. What was cached stays cached: the next run resumes from it.
"""

import multiprocessing
import signal
import sys
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import wait

from . import claims, progress
from .cache import VerdictCache

#: Seconds a terminated worker gets to exit before it is killed.
GRACE = 1.0


def run_claim(claim_id, quick):
    """Run one claim; an exception is a failed verdict that carries the traceback."""
    try:
        return claims.select([claim_id])[0].run(quick=quick)
    except Exception as exc:  # noqa: BLE001 - a crashing claim is a result to report, not a crash
        return claims.Verdict([], details={"traceback": traceback.format_exc()}, claim_id=claim_id,
                              error=f"{type(exc).__name__}: {exc}")


def _terminated(signum, frame):
    sys.exit(128 + signum)  # unwinds, so atomic writes remove their temporary files


def _worker(connection, quick, cache_folder, fingerprint, claim_files=()):
    """A worker's loop: receive an area's claim ids, run and cache them one by one, report.
    ``claim_files``: the researcher's claim modules, loaded here as in the parent."""
    signal.signal(signal.SIGTERM, _terminated)
    for path in claim_files:
        claims.load_claims(path)
    cache = VerdictCache(cache_folder, fingerprint)
    with progress.reported(lambda text: connection.send(("progress", text))):
        while (claim_ids := connection.recv()) is not None:
            for claim_id in claim_ids:
                connection.send(("start", claim_id))
                verdict = run_claim(claim_id, quick)
                cache.store(verdict, quick)
                connection.send(("done", verdict))


@dataclass
class _Worker:
    process: object
    connection: object
    area: list = field(default_factory=list)  # claim ids it was given and has not finished
    running: str = ""
    progress: str = ""


class ClaimWorkers:
    """``jobs`` worker processes running areas of claims; see the module docstring.

    Use as a context manager; :meth:`run` yields events ("start", id), ("progress", id, text)
    and ("done", verdict) as they arrive; leaving the block (normally, by an error or by
    Ctrl-C) stops every worker.
    """

    def __init__(self, jobs, quick, cache, claim_files=()):
        self.jobs, self.quick, self.cache, self.claim_files = jobs, quick, cache, tuple(claim_files)
        self.workers = []

    def __enter__(self):
        context = multiprocessing.get_context("spawn")  # fork with threads (tqdm's monitor) can deadlock
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the children
        try:
            for _ in range(self.jobs):
                parent, child = context.Pipe()
                process = context.Process(target=_worker, daemon=True, name="toymodels-claims",
                                          args=(child, self.quick, self.cache.folder, self.cache.fingerprint,
                                                self.claim_files))
                process.start()
                child.close()
                self.workers.append(_Worker(process, parent))
        finally:
            signal.signal(signal.SIGINT, previous)
        return self

    def __exit__(self, *exc):
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the clean-up
        try:
            self.stop()
        finally:
            signal.signal(signal.SIGINT, previous)

    def stop(self):
        """Terminate every worker and wait for it (at most :data:`GRACE` s, then kill)."""
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self.workers:
            worker.process.join(GRACE)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()
        self.workers = []

    def running(self) -> list:
        """(claim id, progress text) of each claim being run now."""
        return [(w.running, w.progress) for w in self.workers if w.running]

    def run(self, areas):
        """Run ``areas`` (lists of claim ids, largest first) and yield events as they come.

        A worker that dies (killed from outside, out of memory) fails the claims it still had,
        with its exit code, and the others go on.
        """
        queue = list(areas)
        for worker in self.workers:
            self._give(worker, queue)
        while any(w.area for w in self.workers):
            busy = {w.connection: w for w in self.workers if w.area}
            ends = {w.process.sentinel: w for w in busy.values()}
            for ready in wait([*busy, *ends]):
                worker = busy.get(ready) or ends[ready]
                if ready in ends or not self._receive(worker, queue, events := []):
                    yield from self._lost(worker, queue if len(self.workers) == 1 else [])
                    continue
                yield from events

    def _give(self, worker, queue):
        if queue:
            worker.area = queue.pop(0)
            worker.connection.send(worker.area)

    def _receive(self, worker, queue, events) -> bool:
        """Read one message of ``worker`` into ``events``; False if its pipe is closed."""
        try:
            kind, payload = worker.connection.recv()
        except (EOFError, OSError):
            return False
        if kind == "start":
            worker.running, worker.progress = payload, ""
            events.append(("start", payload))
        elif kind == "progress":
            worker.progress = payload
            events.append(("progress", worker.running, payload))
        elif kind == "done":
            worker.area.remove(payload.claim_id)
            worker.running = worker.progress = ""
            events.append(("done", payload))
            if not worker.area:  # the worker reads its next area as soon as it has sent this
                self._give(worker, queue)
        return True

    def _lost(self, worker, queue):
        """Failed verdicts for the claims a dead worker still had (and for ``queue``, the areas
        no worker is left to run)."""
        worker.process.join(GRACE)
        code = worker.process.exitcode
        for claim_id in worker.area + [c for area in queue for c in area]:
            yield ("done", claims.Verdict([], claim_id=claim_id,
                                          error=f"the worker process running it died (exit code {code})"))
        worker.area, worker.running = [], ""
        self.workers.remove(worker)
        worker.connection.close()
