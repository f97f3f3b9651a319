"""The ``toymodels`` command: list, show, simulate, verify, reproduce.

Arguments are parsed, never evaluated: model parameters accept numbers, comma-separated
tuples of numbers and ``none``; custom losses go through the safe parser of
:mod:`toymodels.parse`.
"""

import argparse
import json
import os
import signal
import sys
from pathlib import Path

import matplotlib
import numpy as np
import sympy as sp

from . import claims, derivation, optim, zoo
from .atomic import check_writable
from .errors import InvalidInputError, OutputError, ToyModelError
from .model import Model
from .reproduce import Interrupted, reproduce
from .simulate import METRICS, simulate


def parse_value(text):
    """A parameter value from the command line: int, float, tuple of numbers, None, or a plain
    word (an option such as ``inputs=uniform``); nothing is evaluated."""
    text = text.strip()
    if text.lower() == "none":
        return None
    if "," in text:
        return tuple(parse_value(part) for part in text.split(",") if part.strip())
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if text.isidentifier():
        return text
    raise ToyModelError(f"cannot read {text!r} as a number, a comma-separated list, 'none' or a word")


def parse_point(text, what="--x0"):
    """A point from the command line: comma-separated numbers, every entry present."""
    parts = [part.strip() for part in text.split(",")]
    if any(not part for part in parts):
        raise InvalidInputError(f"{what} {text!r} has an empty entry (a stray comma?); write the "
                                "coordinates separated by commas, e.g. 2,0.5")
    point = []
    for part in parts:
        try:
            point.append(float(part))
        except ValueError:
            raise InvalidInputError(f"{what} {text!r}: {part!r} is not a number; write the coordinates "
                                    "separated by commas, e.g. 2,0.5") from None
    return point


def parse_params(pairs):
    params = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ToyModelError(f"--param takes NAME=VALUE, got {pair!r}")
        name, value = pair.split("=", 1)
        params[name.strip()] = parse_value(value)
    return params


def build_model(args) -> Model:
    if args.loss is not None:
        if args.model is not None:
            raise InvalidInputError(f"give a zoo model ({args.model!r}) or --loss, not both")
        if args.param:
            raise InvalidInputError("--param sets parameters of a zoo model; with --loss, write the numbers "
                                    "into the loss string")
        if not args.params:
            raise ToyModelError("--loss needs --params with the parameter names, e.g. --params 'a b'")
        min_loss = None if args.min_loss is None else parse_value(args.min_loss)
        return Model.from_string(args.loss, params=args.params, name="custom", min_loss=min_loss)
    if args.model is None:
        raise ToyModelError(f"name a zoo model ({', '.join(zoo.names())}) or give --loss and --params")
    for option, value in (("--params", args.params), ("--min-loss", args.min_loss)):
        if value is not None:
            raise InvalidInputError(f"{option} belongs to --loss; a zoo model declares its own")
    return zoo.get(args.model, **parse_params(args.param))


def _fmt(expr, latex):
    return sp.latex(expr) if latex else sp.sstr(expr)


def cmd_list(args):
    print("models (toymodels show MODEL):")
    for name in zoo.names():
        m = zoo.get(name)
        print(f"  {name:20s} d={m.dim:<3d} {m.formula:34s} {m.source or ''}")
    print("claims (toymodels verify CLAIM):")
    for c in claims.all_claims():
        print(f"  {c.id:34s} {c.source}")
    print("derivations (toymodels show --derivation NAME):")
    for name in derivation.names():
        print(f"  {name}")


def show_derivation(name, latex):
    page = derivation.derive(name)
    if not latex:
        print(page.markdown())
        return
    print(f"% {page.title} ({page.source}); every equation asserted by derivations/{name}.py")
    for block in page.blocks:
        if block.startswith("$$"):
            print(r"\[ " + block.split("$$")[1].strip() + r" \]")


def cmd_show(args):
    if args.derivation:
        given = [name for name, value in (("a model", args.model), ("--loss", args.loss),
                                          ("--param", args.param)) if value]
        if given:
            raise InvalidInputError(f"--derivation prints a derivation page; drop {' and '.join(given)}")
        return show_derivation(args.derivation, args.latex)
    m = build_model(args)
    latex = args.latex
    print(f"model: {m.label()}    loss: {m.formula}")
    if m.source:
        print(f"source: {m.source}")
    print(f"parameters θ = ({', '.join(map(str, m.params))})")
    if m.has_data:
        print(f"data: {m.n_samples} samples of ({', '.join(map(str, m.sample_symbols))}); "
              "L is the mean of the per-sample loss below")
        print(f"per-sample loss: {_fmt(m.sample_loss, latex)}")
        print(f"per-sample gradient: {_fmt(m.sample_grad.T, latex)}")
        print(f"per-sample Hessian: {_fmt(m.sample_hess, latex)}")
    else:
        print(f"loss: {_fmt(m.loss, latex)}")
        print(f"gradient: {_fmt(m.grad.T, latex)}")
        print(f"Hessian: {_fmt(m.hess, latex)}")
        if not m.has_closed_form_eigensystem:
            print("eigenvalues: no closed form (a Hessian block is larger than 2x2); numeric eigh is used")
        else:
            for k, lam in enumerate(m.eigensystem().eigenvalues, 1):
                print(f"eigenvalue {k}: {_fmt(sp.simplify(lam), latex)}")
    print(f"minimum value: {'unknown or unbounded' if m.min_loss is None else _fmt(m.min_loss, latex)}")
    if m.manifold is None:
        print("manifold of minima: not stated")
    else:
        print("manifold of minima Γ: " + ", ".join(f"{_fmt(g, latex)} = 0" for g in m.manifold))
    if m.lambda1_on_manifold is not None:
        print(f"λ1 on Γ: {_fmt(m.lambda1_on_manifold, latex)}")


#: The options of each optimizer beyond --lr (dal has no --lr: it chooses its own).
OPTIMIZER_OPTIONS = {"sgd": ("batch_size", "replace"), "dal": ("p", "lr_max"), "momentum": ("beta",),
                     "nesterov": ("beta",), "ema_momentum": ("beta",)}


def _optimizer(args):
    kind = args.optimizer
    if kind not in optim.BY_NAME:
        raise ToyModelError(f"unknown optimizer {kind!r}; choose from {', '.join(optim.BY_NAME)}")
    mine = OPTIMIZER_OPTIONS.get(kind, ())
    foreign = list(dict.fromkeys(  # an option several optimizers share is named once
        f"--{name.replace('_', '-')}" for owner, names in OPTIMIZER_OPTIONS.items() if owner != kind
        for name in names if name not in mine and getattr(args, name) not in (None, False)))
    if kind == "dal" and args.lr is not None:
        foreign.insert(0, "--lr")
    if foreign:
        raise InvalidInputError(f"{', '.join(foreign)} does not apply to the {kind} optimizer; drop it "
                                f"(options of {kind}: {', '.join(['--lr'] * (kind != 'dal') + [f'--{n}'.replace('_', '-') for n in mine]) or 'none'})")
    if kind == "dal":
        return optim.DAL(p=1.0 if args.p is None else args.p, lr_max=5.0 if args.lr_max is None else args.lr_max)
    if args.lr is None:
        raise ToyModelError(f"--lr is required for the {kind} optimizer")
    if kind == "sgd":
        if args.batch_size is None:
            raise ToyModelError("--batch-size is required for sgd")
        return optim.SGD(args.lr, args.batch_size, replace=args.replace)
    if kind in ("momentum", "nesterov", "ema_momentum"):
        return optim.BY_NAME[kind](args.lr, beta=0.9 if args.beta is None else args.beta)
    return optim.BY_NAME[kind](args.lr)


def _output_file(path):
    """``--out`` checked before the run: its folder must exist (it is not created)."""
    if path is None:
        return None
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"--out {path} is a folder; give a file name such as {path / 'run.npz'}")
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {path.parent} does not exist; create it first "
                          "or choose another path")
    check_writable(path.parent)
    return path


def cmd_simulate(args):
    m = build_model(args)
    out = _output_file(args.out)
    x0 = np.array(parse_point(args.x0))
    record = [r for r in args.record.split(",") if r.strip()]
    run = simulate(m, _optimizer(args), x0, args.steps, record=record, seed=args.seed,
                   save_every=args.save_every, tol=args.tol, backend=args.backend)
    print(run.summary())
    if out is not None:
        run.save(out)
        print(f"wrote {out}")


def parse_axis(text):
    """``NAME=START:STOP:COUNT`` (COUNT evenly spaced values, both ends included) or
    ``NAME=V1,V2,...`` or ``NAME=V``: one axis of a sweep's grid."""
    name, sep, values = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise InvalidInputError(f"--axis {text!r}: write NAME=START:STOP:COUNT or NAME=V1,V2,..., e.g. lr=0.1:1.2:12")
    if ":" in values:
        parts = values.split(":")
        try:
            start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            raise InvalidInputError(f"--axis {text!r}: START:STOP:COUNT needs two numbers and a whole count, "
                                    "e.g. lr=0.1:1.2:12") from None
        if len(parts) != 3 or count < 1:
            raise InvalidInputError(f"--axis {text!r}: START:STOP:COUNT needs exactly three parts and COUNT >= 1")
        return name.strip(), np.linspace(start, stop, count)
    value = parse_value(values)
    value = value if isinstance(value, tuple) else (value,)
    if not value or not all(isinstance(v, (int, float)) for v in value):
        raise InvalidInputError(f"--axis {text!r}: the values must be numbers")
    return name.strip(), np.array(value)


def cmd_sweep(args):
    from .sweep import Integration, Simulation, sweep

    if args.scheduler is not None and args.workers is not None:
        raise InvalidInputError("--scheduler uses an existing cluster and --workers starts a local one; give one")
    if args.model is None:
        raise InvalidInputError("toymodels sweep needs a zoo model name (see `toymodels list`)")
    axes = dict(parse_axis(a) for a in args.axis or [])
    if not axes:
        raise InvalidInputError("give at least one --axis, e.g. --axis lr=0.1:1.2:12")
    chunks = {name: int(size) for name, size in (parse_params(args.chunk or [])).items()}
    x0, fixed = None if args.x0 is None else parse_point(args.x0), parse_params(args.fixed or [])
    if args.flow is not None:
        cells = Integration(args.model, args.flow, steps=args.steps, x0=x0, fixed=fixed)
    else:
        cells = Simulation(args.model, args.optimizer, steps=args.steps, x0=x0, fixed=fixed,
                           record=[r for r in args.record.split(",") if r.strip()], save_every=args.save_every,
                           summaries=[s for s in args.summary.split(",") if s.strip()], tail=args.tail)
    workers = args.workers
    ds = sweep(cells, axes, chunks=chunks, store=args.store, scheduler=args.scheduler, workers=workers,
               overwrite=args.overwrite, progress=True)
    print(ds)
    if args.store:
        print(f"wrote {args.store} ({int(ds.done.sum())} of {ds.done.size} cells done)")


def _run_claims(selected, quick, show_progress=True):
    verdicts = []
    for i, c in enumerate(selected, 1):
        if show_progress:
            print(f"[{i}/{len(selected)}] {c.id} ...", file=sys.stderr, flush=True)
        verdicts.append((c, c.run(quick=quick)))
    return verdicts


def _table(verdicts):
    lines = ["| claim | verdict | summary | time (s) |", "|---|---|---|---|"]
    for c, v in verdicts:
        lines.append(f"| {c.id} | {'PASS' if v.passed else 'FAIL'} | {v.summary} | {v.seconds:.1f} |")
    failed = [f"\n{c.id}:\n{v.explain()}" for c, v in verdicts if not v.passed]
    return "\n".join(lines + failed)


def cmd_verify(args):
    for path in args.claim_files:
        claims.load_claims(path)
    verdicts = _run_claims(claims.select(args.claims), args.quick, show_progress=not args.json)
    if args.json:
        print(json.dumps([v.to_json() for _, v in verdicts], indent=2, ensure_ascii=False))
    else:
        print(_table(verdicts))
    return 0 if all(v.passed for _, v in verdicts) else 1


def cmd_reproduce(args):
    try:
        outcome = reproduce(args.out, quick=args.quick, patterns=args.only, jobs=args.jobs, fresh=args.fresh,
                            claim_files=args.claim_files)
    except Interrupted as stop:
        print(f"toymodels: interrupted; {len(stop.finished)} claims finished and are cached, "
              f"{len(stop.remaining)} not run; the same command resumes after the finished ones "
              "(the report was not rewritten)", file=sys.stderr)
        return 128 + signal.SIGINT
    folder = outcome.report.parent
    print(f"wrote {outcome.report}, {folder / 'report.html'}, {folder / 'verdicts.json'} and "
          f"{folder / 'figures'}/ in {outcome.seconds:.0f} s")
    if outcome.failed:
        print(f"FAILED: {', '.join(outcome.failed)}", file=sys.stderr)
        return 1
    print("every claim passed")
    return 0


def _add_model_args(p, positional=True):
    p.add_argument("model", nargs="?" if positional else None, help="zoo model name (see `toymodels list`)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="model parameter, repeatable")
    p.add_argument("--loss", help="custom loss expression instead of a zoo model, e.g. '(a*b-1)**2/2'")
    p.add_argument("--params", help="parameter names of --loss, space-separated, e.g. 'a b'")
    p.add_argument("--min-loss", help="known minimum value of --loss (needed by sqrt_gd)")


def _add_claims_arg(p):
    p.add_argument("--claims", dest="claim_files", action="append", default=[], metavar="FILE.py",
                   help="your own claim module (functions decorated with toymodels.verify.claim), run beside "
                        "the built-in claims; repeatable")


def make_parser():
    parser = argparse.ArgumentParser(prog="toymodels", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the zoo models").set_defaults(func=cmd_list)

    show = sub.add_parser("show", help="print a model's derivations, or a derivation page")
    _add_model_args(show)
    show.add_argument("--derivation", metavar="NAME", help="print a derivation page (see `toymodels list`)")
    show.add_argument("--latex", action="store_true", help="print LaTeX instead of plain text")
    show.set_defaults(func=cmd_show)

    sim = sub.add_parser("simulate", help="run an optimizer from one start and print a summary")
    _add_model_args(sim)
    sim.add_argument("--optimizer", default="gd", help=f"one of {', '.join(optim.BY_NAME)}")
    sim.add_argument("--lr", type=float)
    sim.add_argument("--x0", required=True, help="start, comma-separated, e.g. 2,0.5")
    sim.add_argument("--steps", type=int, default=1000)
    sim.add_argument("--record", default="loss,sharpness,grad_norm", help=f"from {', '.join(METRICS)}")
    sim.add_argument("--batch-size", type=int, help="sgd: samples per batch")
    sim.add_argument("--replace", action="store_true", help="sgd: sample with replacement")
    sim.add_argument("--p", type=float, help="dal: power p (default 1)")
    sim.add_argument("--lr-max", type=float, help="dal: largest lr (default 5)")
    sim.add_argument("--beta", type=float, help="momentum, nesterov, ema_momentum: β (default 0.9)")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--save-every", type=int, default=1)
    sim.add_argument("--tol", type=float, help="stop a start as converged when ‖∇L‖ ≤ TOL")
    sim.add_argument("--backend", default="auto", help="numpy, jax (the accelerated engine, if installed) "
                                                       "or auto (jax for long runs; default)")
    sim.add_argument("--out", help="write the run to this .npz file (its folder must exist)")
    sim.set_defaults(func=cmd_simulate)

    swp = sub.add_parser("sweep", help="run a grid of simulations (in this process or on dask) into a Zarr store")
    swp.add_argument("model", nargs="?", help="zoo model name (see `toymodels list`)")
    swp.add_argument("--optimizer", default="gd", help=f"one of {', '.join(optim.BY_NAME)}")
    swp.add_argument("--flow", help="integrate a flow instead (gradient, modified, principal) to t = steps·lr")
    swp.add_argument("--axis", action="append", metavar="NAME=START:STOP:COUNT|V1,V2",
                     help="a grid axis: a model or optimizer parameter, seed, or a start coordinate; repeatable")
    swp.add_argument("--fixed", action="append", metavar="NAME=VALUE", help="a parameter not on the grid; repeatable")
    swp.add_argument("--x0", help="start, comma-separated (default: the origin)")
    swp.add_argument("--steps", type=int, default=1000)
    swp.add_argument("--summary", default="status,final_loss,final_sharpness",
                     help="per-run summaries: status, stop_step, final_loss, final_sharpness, peak_loss")
    swp.add_argument("--record", default="", help=f"metrics kept along each run, from {', '.join(METRICS)}")
    swp.add_argument("--save-every", type=int, help="steps between the states --record keeps (default: the end only)")
    swp.add_argument("--tail", type=int, default=0, help="keep the sharpness over this many final steps and the period")
    swp.add_argument("--chunk", action="append", metavar="NAME=CELLS", help="cells per chunk along an axis")
    swp.add_argument("--store", help="Zarr directory written as chunks finish; re-running resumes it")
    swp.add_argument("--overwrite", action="store_true", help="replace a store that holds another sweep")
    swp.add_argument("--workers", type=int, help="run on a new dask LocalCluster with this many worker processes")
    swp.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing dask cluster, e.g. tcp://host:8786")
    swp.set_defaults(func=cmd_sweep)

    ver = sub.add_parser("verify", help="run claims and print verdicts")
    ver.add_argument("claims", nargs="*", help="claim ids or shell patterns (default: all)")
    ver.add_argument("--json", action="store_true", help="print a JSON list of verdicts")
    ver.add_argument("--quick", action="store_true", help="reduced sizes, as in CI")
    _add_claims_arg(ver)
    ver.set_defaults(func=cmd_verify)

    rep = sub.add_parser("reproduce", help="verify every claim, draw every figure, write the report")
    rep.add_argument("--quick", action="store_true", help="reduced sizes, as in CI (under 2 minutes)")
    rep.add_argument("--only", nargs="*", default=[], metavar="PATTERN", help="claim ids or shell patterns")
    rep.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                     help="claims run in parallel (default: %(default)s)")
    rep.add_argument("--out", default=".", help="folder for REPORT.md, report.html, verdicts.json and "
                                                "figures/ (default: the current folder)")
    rep.add_argument("--fresh", action="store_true", help="ignore cached results of earlier runs")
    _add_claims_arg(rep)
    rep.set_defaults(func=cmd_reproduce)
    return parser


def main(argv=None):
    """The command line; returns the exit status (0 ok, 1 a claim failed, 2 bad input, 130 Ctrl-C)."""
    # The command line only writes files: no window, whatever backend the user configured.
    # Chosen here, never on import, so a notebook that imports toymodels keeps its backend.
    matplotlib.use("Agg")
    args = make_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except ToyModelError as exc:
        print(f"toymodels: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("toymodels: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except BrokenPipeError:  # `toymodels show ... | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that Python's exit flush does not fail again
        return 128 + signal.SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
