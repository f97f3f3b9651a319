"""``toymodels reproduce``: run every claim, draw every figure, write one report.

Claims run in parallel worker processes (``jobs``), claims that declare a shared run
(:func:`toymodels.verify.shared_run`) in one worker so that the run is computed once; each
verdict is cached as soon as it is known (:class:`~toymodels.cache.VerdictCache`), so an interrupted run resumes where it stopped;
figures are drawn from the verdicts' artifacts, never from a second simulation; every file is
written atomically, so an interrupted run leaves the previous report intact.
"""

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from . import claims, derivation, figures, progress, report
from .atomic import check_writable, write_text
from .cache import VerdictCache
from .claim_workers import ClaimWorkers, run_claim
from .errors import InvalidInputError, OutputError


@dataclass
class Outcome:
    """What a reproduce run produced: the report path, the ids that failed, the wall time."""

    report: Path
    failed: list
    seconds: float


def writable_folder(path) -> Path:
    """``path`` created if needed, or a clear error if it cannot be written."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {path} ({exc.strerror or exc}); "
                          "choose another with --out") from None
    check_writable(path)
    return path


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a reproduce run; ``finished`` are the claim ids whose verdicts are kept
    (cached, so the same command resumes after them), ``remaining`` those not run."""

    def __init__(self, finished, remaining):
        super().__init__(f"{len(finished)} claims finished, {len(remaining)} not run")
        self.finished, self.remaining = finished, remaining


def _running_text(running):
    return "; ".join(f"{claim_id} {text}".strip() for claim_id, text in running)


def run_claims(selected, quick, jobs, cache, fresh, log=print, claim_files=()):
    """Verdicts of ``selected`` claims, from ``cache`` where allowed, else run (``jobs`` processes).

    Returns {claim id: (verdict, cached)}; each new verdict is stored as soon as it is known.
    A Ctrl-C stops the workers at once and raises :class:`Interrupted`.
    """
    results, todo = {}, []
    for claim in selected:
        verdict = None if fresh else cache.load(claim.id, quick)
        if verdict is None:
            todo.append(claim)
        else:
            results[claim.id] = (verdict, True)
    if len(todo) < len(selected):
        log(f"{len(selected) - len(todo)} claims from the cache of an earlier run (--fresh recomputes them)")
    bar = tqdm(total=len(todo), desc="claims", unit="claim", disable=not todo)

    def report(verdict):
        results[verdict.claim_id] = (verdict, False)
        bar.write(f"{'PASS' if verdict.passed else 'FAIL'}  {verdict.claim_id}  ({verdict.seconds:.1f} s)  "
                  f"{verdict.summary}")
        bar.update()

    try:
        if jobs == 1 or len(todo) <= 1:
            with progress.shown(sys.stderr.isatty()):
                for claim in todo:
                    bar.set_postfix_str(claim.id)
                    verdict = run_claim(claim.id, quick)
                    cache.store(verdict, quick)
                    report(verdict)
        else:
            ordered = sorted(claims.groups(todo), key=len, reverse=True)  # claims sharing a run together
            with ClaimWorkers(min(jobs, len(ordered)), quick, cache, claim_files) as workers:
                for event in workers.run(ordered):
                    if event[0] == "done":
                        report(event[1])
                    # workers report a loop at most every progress.REPORT_EVERY s: no throttle here
                    bar.set_postfix_str(_running_text(workers.running()))
    except KeyboardInterrupt:
        bar.close()
        finished = [c.id for c in selected if c.id in results]
        raise Interrupted(finished, [c.id for c in selected if c.id not in results]) from None
    bar.close()
    return results


def draw_figures(claim_id, verdict, folder):
    """Every figure of ``claim_id`` drawn from ``verdict``'s artifacts and saved (PNG and PDF):
    a list of (spec, PNG path relative to the report, error text or None)."""
    drawn = []
    for spec in figures.for_claim(claim_id):
        try:
            figures.save(figures.render(spec, verdict.artifacts), folder, spec.name)
            drawn.append((spec, f"figures/{spec.name}.png", None))
        except Exception as exc:  # noqa: BLE001 - reported in the report and the exit status
            drawn.append((spec, None, f"{type(exc).__name__}: {exc}"))
    return drawn


def derive_pages():
    """Every derivation page, or the error that stopped it: a list of (name, page, error)."""
    pages = []
    for name in derivation.names():
        try:
            pages.append((name, derivation.derive(name), None))
        except Exception as exc:  # noqa: BLE001 - a failed derivation is reported, and fails the run
            pages.append((name, None, f"{type(exc).__name__}: {exc}"))
    return pages


def reproduce(out, *, quick=False, patterns=(), jobs=1, fresh=False, cache=None, log=print,
              claim_files=()) -> Outcome:
    """Run the claims matching ``patterns`` (all if empty) and write the report into ``out``.

    ``out`` receives REPORT.md, report.html, verdicts.json and figures/; the cache lives in
    ``cache`` (default ``out/.toymodels-cache``). ``claim_files``: the researcher's own claim
    modules (.py files), run beside the built-in claims.
    """
    start = time.perf_counter()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidInputError(f"--jobs must be a positive integer, got {jobs!r}")
    claim_files = [str(Path(p).resolve()) for p in claim_files]
    for path in claim_files:
        claims.load_claims(path)
    selected = claims.select(list(patterns))
    out = writable_folder(out)
    figure_folder = writable_folder(out / "figures")
    store = VerdictCache(writable_folder(out / ".toymodels-cache" if cache is None else cache))
    verdicts = run_claims(selected, quick, jobs, store, fresh, log, claim_files)
    results = []
    n_figures = sum(len(figures.for_claim(claim.id)) for claim in selected)
    with tqdm(total=n_figures, desc="figures", unit="figure", disable=not n_figures) as bar:
        for claim in selected:
            verdict, cached = verdicts[claim.id]
            bar.set_postfix_str(claim.id)
            results.append((claim, verdict, draw_figures(claim.id, verdict, figure_folder), cached))
            bar.update(len(figures.for_claim(claim.id)))
    log("deriving the derivation pages and writing REPORT.md, report.html, verdicts.json ...")
    pages = derive_pages()
    seconds = time.perf_counter() - start
    text = report.markdown(results, pages, quick=quick, seconds=seconds)
    write_text(out / "verdicts.json", json.dumps([v.to_json() for _, v, _, _ in results], indent=1,
                                                 default=str, ensure_ascii=False))
    write_text(out / "REPORT.md", text)
    write_text(out / "report.html", report.to_html(text, figure_folder))
    failed = [c.id for c, v, drawn, _ in results if not v.passed or any(e for _, _, e in drawn)]
    failed += [f"derivation {name}" for name, _, error in pages if error]
    return Outcome(out / "REPORT.md", failed, seconds)
