"""Closed-form figures of the field, one call each, for any zoo or user model.

Each function draws into ``ax`` (a new figure when None) and returns the axes. It takes the
objects the library returns — a :class:`~toymodels.trajectory.Trajectory` of an optimizer, a
:class:`~toymodels.solution.Solution` of a flow — and labels itself from their metadata (the
learning rate, the time unit, the flow's name); plain arrays are accepted by keyword where a
figure is drawn from stored results. Every figure of ``toymodels reproduce`` is drawn with
these functions. Conventions are those of docs/theory/conventions.md: GD step k sits at flow
time t = kη, sharpness is λ1(∇²L) of the loss as the model defines it (squared losses with ½).

    >>> import numpy as np, toymodels as tm
    >>> m = tm.zoo.get("two_layer_scalar")
    >>> run = tm.simulate(m, tm.optim.GD(0.5), [1.8, 0.3], 8)
    >>> pf = tm.integrate(tm.flows.principal(m, 0.5), [1.8 + 0j, 0.3], 4.0, saveat=np.linspace(0, 4, 65))
    >>> ax = tm.plot.paths(m, run, pf)           # GD and the PF over the contours of L

Importing this module never changes the matplotlib backend.
"""

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from .errors import InvalidInputError
from .flows.principal import phi as phi_function
from .style import OKABE_ITO, SERIES, cycle, series
from .solution import Solution
from .trajectory import Trajectory

#: Names of optimizers as the legends show them (Trajectory.meta["optimizer"]).
OPTIMIZER_LABELS = {"gd": "GD", "ngd": "normalized GD", "sqrt_gd": "GD on √(L − min L)", "sgd": "SGD",
                    "dal": "DAL"}


def _axes(ax, width=6.4, height=4.2):
    if ax is None:
        _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


def _style(name, index, **overrides):
    """The named style of ``name`` if it has one, else the ``index``-th of the cycle."""
    if name in SERIES:
        return series(name, **overrides)
    return cycle(index, **{"label": name, **overrides})


def box(*paths, pad=0.15, equal=False):
    """Axis limits ``(lo, hi)`` around every point of ``paths`` (arrays (..., 2), real parts),
    padded by ``pad`` times the span (at least 1e-3 wide). With ``equal`` both axes get the
    larger span, so a panel drawn with equal aspect fills its box instead of shrinking."""
    points = np.concatenate([np.real(np.asarray(p)).reshape(-1, 2) for p in paths])
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.maximum(hi - lo, 1e-3)
    if equal:
        center, span = (lo + hi) / 2, np.full(2, span.max())
        lo, hi = center - span / 2, center + span / 2
    return lo - pad * span, hi + pad * span


def contours(model, xlim, ylim, *, ax=None, plane=None, levels=14, log=False, manifold=True,
             resolution=200):
    """Contour lines of ``model``'s loss over the box ``xlim`` × ``ylim``.

    ``plane(x, y) -> θ`` embeds the drawn plane in parameter space (for d > 2, e.g.
    ``lambda x, y: np.stack([x, y, x, y], -1)``); the default is θ = (x, y). Levels are
    quantiles of the loss over the box, or with ``log`` every half decade of log10(L − min L).
    With ``manifold`` the manifold of minima Γ, where the model declares it, is drawn: the zero
    set of its constraint on the plane, or its points when it is a set of isolated minima.
    """
    ax = _axes(ax)
    x, y = np.linspace(*xlim, resolution), np.linspace(*ylim, resolution)
    gx, gy = np.meshgrid(x, y)
    theta = np.stack([gx, gy], axis=-1) if plane is None else plane(gx, gy)
    numeric = model.numeric
    loss = numeric.loss(theta)
    if log:
        with np.errstate(divide="ignore"):
            values = np.log10(np.maximum(loss - float(model.min_loss or 0), 1e-300))
        lines = np.arange(np.floor(2 * np.quantile(values, 0.02)) / 2, np.quantile(values, 0.98), 0.5)
    else:
        values, lines = loss, np.unique(np.quantile(loss, np.linspace(0.02, 0.98, levels)))
    ax.contour(gx, gy, values, levels=lines, colors="0.75", linewidths=0.6, linestyles="solid")
    if manifold and model.manifold and len(model.manifold) == 1:  # a curve (or curves) in the plane
        g = numeric.constraints(theta)[..., 0]
        ax.contour(gx, gy, g, levels=[0.0], colors=SERIES["manifold Γ"]["color"], linewidths=2.5, alpha=0.6)
        ax.plot([], [], **series("manifold Γ", label="minima Γ"))
    elif manifold and model.manifold and plane is None and len(model.manifold) == model.dim == 2:
        points = [p for p in _isolated_minima(model)  # as many constraints as parameters: points
                  if xlim[0] <= p[0] <= xlim[1] and ylim[0] <= p[1] <= ylim[1]]
        if points:
            ax.plot(*np.transpose(points), linestyle="none", marker="o", markersize=7,
                    color=SERIES["manifold Γ"]["color"], label="minimum", zorder=1)
    ax.set(xlim=xlim, ylim=ylim)
    ax.grid(False)  # the contours are the reference lines
    return ax


def _isolated_minima(model):
    """The real points where every constraint of ``model.manifold`` vanishes (none if SymPy
    cannot solve the system)."""
    try:
        solutions = sp.solve(model.manifold, model.params, dict=True)
    except (NotImplementedError, ValueError):
        return []
    points = [[complex(sol.get(p, np.nan)) for p in model.params] for sol in solutions
              if all(sp.sympify(sol.get(p, 0)).is_number for p in model.params)]
    return [[z.real for z in point] for point in points if all(abs(z.imag) < 1e-12 for z in point)]


def _run_label(run):
    if isinstance(run, Solution):
        return str(run.meta.get("field", "flow"))
    name = OPTIMIZER_LABELS.get(run.meta.get("optimizer"), str(run.meta.get("optimizer", "run")))
    return name


def _lr(run, lr=None):
    """The learning rate a run or flow was made with (a float or one per start)."""
    if lr is not None:
        return lr
    value = run.meta.get("lr") if run is not None else None
    if value is None:
        raise InvalidInputError("this figure needs the learning rate: the run's metadata has none; pass lr=")
    return np.asarray(value, dtype=float)


def _path_of(run, label, start, t_end, dim):
    """(legend label, states (n, d), drawn as iterates?) of one entry of :func:`paths`."""
    if isinstance(run, tuple):  # (label, array): stored results, already cut to what is drawn
        name, xy = run
        return label or name, np.asarray(xy), name in OPTIMIZER_LABELS.values()
    if isinstance(run, Solution):
        keep = run.t <= t_end + 1e-12
        return label or _run_label(run), run.x[keep].reshape(keep.sum(), -1, dim)[:, start], False
    keep = np.ones(len(run.steps), bool)
    if t_end is not None:  # GD step k is flow time kη: the iterates within the drawn flows
        keep = run.steps * float(np.ravel(_lr(run))[start]) <= t_end + 1e-12
    return label or _run_label(run), run.x[keep].reshape(keep.sum(), -1, dim)[:, start], True


def paths(model, *runs, ax=None, start=0, until=None, pad=0.15, equal=False, manifold=True, log=False,
          labels=()):
    """GD iterates and flow paths over the loss contours of a two-parameter ``model``.

    ``runs``: Trajectory objects (iterates, drawn as dots joined by thin lines), Solution
    objects (paths), each at start ``start`` of its batch, or ``(label, states)`` pairs of
    stored results (iterates when the label names an optimizer, such as "GD"). A complex flow
    (the principal flow past ηλ = 1) is drawn as its real part and its legend says how large
    the imaginary part became. ``until``: last flow time drawn (default: the end of the
    longest flow); iterates are drawn up to step ``until/η`` when a flow is given, since GD
    step k is flow time kη. ``labels`` overrides the legend names, in the order of ``runs``;
    ``equal``: equal scales on both axes (distances as they are).
    """
    ax = _axes(ax)
    if model.dim != 2:
        raise InvalidInputError(f"paths() draws two-parameter models; {model.label()} has {model.dim}: "
                                "draw its coordinates against time instead, or contours() through a plane")
    flows = [r for r in runs if isinstance(r, Solution)]
    t_end = until if until is not None else max((float(f.t[-1]) for f in flows), default=None)
    drawn = [_path_of(run, labels[i] if i < len(labels) else None, start, t_end, model.dim)
             for i, run in enumerate(runs)]
    lo, hi = box(*(xy for _, xy, _ in drawn), pad=pad, equal=equal)
    contours(model, (lo[0], hi[0]), (lo[1], hi[1]), ax=ax, manifold=manifold, log=log)
    if equal:
        ax.set_aspect("equal", adjustable="box")
    for i, (label, xy, iterates) in enumerate(drawn):
        if iterates:
            style = _style(label, i) if label in SERIES else cycle(i, label=label, linestyle="none", markevery=1)
            ax.plot(xy[:, 0], xy[:, 1], color=style["color"], linewidth=0.5, alpha=0.5)
            ax.plot(xy[:, 0], xy[:, 1], **style)
        else:
            imag = float(np.max(np.abs(xy.imag))) if np.iscomplexobj(xy) else 0.0
            text = f"{label} (real part; max |Im| = {imag:.1g})" if imag > 1e-12 else label
            ax.plot(xy[:, 0].real, xy[:, 1].real, **_style(label, i, label=text))
    ax.set(xlabel=str(model.params[0]), ylabel=str(model.params[1]))
    return ax


def edge(ax, lr, **overrides):
    """The line 2/η of GD's stability edge for each learning rate in ``lr``."""
    for value in np.unique(np.ravel(lr)):
        ax.axhline(2 / value, **series("2/η", **overrides))


def sharpness(run=None, *, steps=None, values=None, lr=None, loss=None, loss_steps=None, axes=None,
              labels=()):
    """Sharpness λ1(∇²L) against steps with the line 2/η, and the loss beside it.

    ``run``: a Trajectory recording "sharpness" (and "loss"); one line per start, the learning
    rate from its metadata. Or arrays: ``steps`` (n,), ``values`` (n, *starts), ``lr`` (one per
    start or one for all), optionally ``loss`` on ``loss_steps``. ``axes``: one axes (no loss
    panel) or two. Returns the axes drawn.
    """
    if run is not None:
        steps = run.steps if steps is None else steps
        values = run["sharpness"] if values is None else values
        if loss is None and "loss" in run.metrics:
            loss, loss_steps = run["loss"], run.steps
    lr = np.broadcast_to(_lr(run, lr), np.shape(values)[1:] or ())
    values = np.asarray(values).reshape(len(steps), -1)
    lr = np.ravel(lr) if lr.size > 1 else np.full(values.shape[1], float(np.ravel(lr)[0]))
    if axes is None:
        ncols = 1 if loss is None else 2
        _, axes = plt.subplots(1, ncols, figsize=(5.2 * ncols, 4.2), layout="constrained", squeeze=False)
        axes = axes[0]
    axes = np.atleast_1d(axes)
    many = values.shape[1] > 1
    for j in range(values.shape[1]):
        label = labels[j] if j < len(labels) else (f"η = {lr[j]:g}" if many else "sharpness λ1(∇²L)")
        style = cycle(j, markevery=max(1, len(steps) // 8), label=label)
        axes[0].plot(steps, values[:, j], **style)
        if many:
            axes[0].axhline(2 / lr[j], color=style["color"], linestyle="--", linewidth=0.9)
    if not many:
        edge(axes[0], lr, label=f"2/η = {2 / lr[0]:g}")
    axes[0].set_ylim(0, 1.25 * 2 / lr.min())
    axes[0].set(xlabel="optimizer steps k", ylabel="sharpness λ1(∇²L)", title="sharpness; dashed: 2/η")
    if loss is not None and len(axes) > 1:
        loss = np.asarray(loss).reshape(len(loss_steps), -1)
        for j in range(loss.shape[1]):
            axes[1].plot(loss_steps, loss[:, j], **cycle(j, marker=None, linewidth=0.8))
        axes[1].set(xlabel="optimizer steps k", ylabel="training loss L", yscale="log", title="loss")
    return axes


def curvatures(steps, lr, *, minibs=None, minibs_se=None, batch_sharpness=None, lambda_max=None, ax=None):
    """MiniBS = E_B λmax(H_B), batch sharpness E_B[g_BᵀH_Bg_B/‖g_B‖²] and λmax(H) against steps,
    with 2/η (Andreyev & Beneventano, arXiv:2412.20553). ``minibs_se``: the Monte Carlo standard
    error of MiniBS, drawn as a ±1 s.e. band. Any of the three curves may be omitted."""
    ax = _axes(ax)
    if minibs is not None:
        if minibs_se is not None:
            ax.fill_between(steps, minibs - minibs_se, minibs + minibs_se, color=SERIES["MiniBS"]["color"],
                            alpha=0.35, linewidth=0, label="MiniBS ± 1 s.e.")
        ax.plot(steps, minibs, **series("MiniBS"))
    if batch_sharpness is not None:
        ax.plot(steps, batch_sharpness, **series("batch sharpness"))
    if lambda_max is not None:
        ax.plot(steps, lambda_max, **series("λmax(H)"))
    edge(ax, lr)
    ax.set(xlabel="optimizer steps k", ylabel="curvature")
    return ax


def lambda1_along_manifold(curves, *, flow=None, minimum=None, ax=None):
    """λ1(∇²L) at the limit points Φ(θ_k) against slow time T = η²k, one line per learning rate.

    ``curves``: {label: (T, λ1)}; ``flow``: (T, λ1) along the limiting flow (a wide pale line);
    ``minimum``: min λ1 on Γ (dotted). See docs/theory/manifold.md (Arora, Li, Panigrahi,
    ICML 2022, arXiv:2205.09745, §4–5)."""
    ax = _axes(ax)
    for j, (label, (t, lam)) in enumerate(curves.items()):
        ax.plot(t, lam, **cycle(j, label=label, linewidth=1.0))
    if flow is not None:
        ax.plot(*flow, **series("limiting flow", linewidth=7, alpha=0.3, zorder=0))
    if minimum is not None:
        ax.axhline(minimum, **series("min λ1 on Γ"))
    ax.set(xlabel="slow time T = η²k", ylabel="λ1(∇²L(Φ(θ_k)))")
    return ax


def error_vs_eta(eta, err=None, *, bound=None, order=1, slope=None, label="error", ax=None, style=None):
    """An error against the learning rate η on log–log axes, with the bound C·η^order when
    ``bound`` (the constant C) is given and the fitted slope in the legend when ``slope`` is.

    The arrays are what a convergence check measures: η, the error at each η, the bound's
    constant and order, and the fitted slope (None where the error follows no power law). Or
    pass a comparison of ``toymodels.verify`` as ``eta`` alone: a bound check (its data hold η,
    the errors and C; give ``order`` if it is not 1) or an order check (x, y and the slope).
    """
    if err is None and hasattr(eta, "data"):
        eta, err, bound, slope, label = _from_comparison(eta, bound, slope, label)
    ax = _axes(ax)
    eta, err = np.asarray(eta, dtype=float), np.asarray(err, dtype=float)
    text = label if slope is None else f"{label} (slope {slope:.2f})"
    ax.loglog(eta, err, **{**(style or cycle(0, markevery=1, markersize=4)), "label": text})
    if bound is not None:
        power = "" if order == 1 else f"^{order:g}"
        ax.loglog(eta, bound * eta ** order, **series("theory", label=f"bound C·η{power}, C = {bound:g}"))
    ax.set(xlabel="learning rate η", ylabel=label)
    return ax


def _from_comparison(comparison, bound, slope, label):
    """(η, errors, C, slope, label) from the data of a bound or order comparison."""
    data = comparison.data
    if "C" in data:  # verify.bound
        return data["η"], data["err"], data["C"] if bound is None else bound, slope, comparison.name
    if "slope" in data:  # verify.order
        return data["x"], data["y"], bound, data["slope"] if slope is None else slope, comparison.name
    raise InvalidInputError(f"error_vs_eta draws a bound or an order comparison; {comparison.name!r} has "
                            f"neither (its data: {', '.join(data)}); pass the arrays instead")


def phi(x=None, value=None, *, ax=None):
    """φ(x) = log(1 − x)/x, x = ηλ, the factor of each eigen-direction in the principal flow
    (Rosca, Wu, Qin, Dherin, TMLR 2023, arXiv:2302.01952, §3), real and imaginary parts,
    over the regimes of GD on a quadratic. ``value`` defaults to the library's φ at ``x``.
    See docs/theory/principal-flow.md."""
    ax = _axes(ax)
    x = np.linspace(-1.5, 4, 1101) if x is None else np.asarray(x)
    value = phi_function(x) if value is None else np.asarray(value)
    regimes = ((-1.5, 0, "0.93", "λ < 0: φ < 0 but\nrate φ(ηλ)·λ > 0:\ngrowth"),
               (0, 1, "1.0", "monotone\ndecay"),
               (1, 2, "0.96", "oscillating\ndecay"), (2, 4, "0.9", "oscillating\ndivergence"))
    for lo, hi, shade, text in regimes:
        ax.axvspan(lo, hi, color=shade, zorder=0)
        ax.text((lo + hi) / 2, 2.6, text, ha="center", va="top", fontsize=8)
    for part, style, label in ((value.real, cycle(0, marker=None), "Re φ(x)"),
                               (value.imag, cycle(1, marker=None), "Im φ(x)")):
        for piece in (x < 1, x > 1):  # no line across the singularity at x = 1
            ax.plot(x[piece], part[piece], **style, label=label if piece[0] else None)
    ax.axhline(0, color="black", linewidth=0.6)
    for point, (tx, ty), text in (((0, -1), (0.15, -1.6), "φ(0) = −1"), ((2, 0), (2.15, -0.7), "φ(2) = iπ/2"),
                                  ((-1, -np.log(2)), (-1.4, -1.7), "φ(−1) = −log 2")):
        ax.plot(*point, "ko", markersize=4)
        ax.annotate(text, point, (tx, ty), fontsize=8)
    ax.set(xlim=(x.min(), x.max()), ylim=(-3, 2.7), xlabel="x = ηλ", ylabel="φ(x)")
    return ax


def time_averages(steps, measured, predictions, *, ax=None, ylabel="", label="GD, time-averaged"):
    """Time averages of GD at the edge of stability (markers, one per window of whole cycles,
    at the window centres ``steps``) against predictions (lines): ``predictions`` maps a label
    to values at the same steps, the first drawn as the central flow's, the rest as wrong
    alternatives. See docs/theory/central-flows.md (Cohen et al., ICLR 2025, arXiv:2410.24206)."""
    ax = _axes(ax)
    for j, (name, values) in enumerate(predictions.items()):
        style = series("central flow", label=name) if j == 0 else cycle(j, label=name, marker=None, linewidth=1.2)
        ax.plot(steps, values, **style)
    ax.plot(steps, measured, **series(label))
    ax.set(xlabel="optimizer steps k (window centres)", ylabel=ylabel)
    return ax


def edge_ratios(curves, *, ax=None):
    """Each optimizer's (preconditioned) sharpness divided by its own stability threshold against
    steps: ``curves`` maps a label to (steps, ratio, GD's 2/η over the same threshold). The line
    1 is every optimizer's own edge; the dotted line of each colour is where GD's edge 2/η would
    put it (docs/theory/central-flows.md)."""
    ax = _axes(ax)
    for j, (name, (steps, ratio, gd_edge)) in enumerate(curves.items()):
        style = cycle(j, label=name, marker=None, linewidth=1.0)
        ax.plot(steps, ratio, **style)
        if gd_edge is not None and gd_edge != 1:
            ax.axhline(gd_edge, color=style["color"], linestyle=":", linewidth=1.0)
    ax.axhline(1.0, **series("2/η", label="own threshold"))
    ax.set(xlabel="optimizer steps k", ylabel="η·(preconditioned) sharpness / threshold")
    return ax


def orbit_diagram(lr, orbit, *, doublings=(), scale_by_lr=True, ax=None):
    """A bifurcation diagram: the values ``orbit`` (n_lr, n_tail) a run visits at the end (e.g. the
    sharpness over its last steps) against the learning rate ``lr`` (n_lr,), one dot per visit,
    with the period-doubling points ``doublings`` as vertical lines and the edge ηλ = 2. With
    ``scale_by_lr`` the values are drawn as ηλ (Kalra, He, Barkeshli, ICLR 2025, arXiv:2311.02076)."""
    ax = _axes(ax)
    lr, orbit = np.asarray(lr, dtype=float), np.asarray(orbit, dtype=float)
    values = orbit * lr[:, None] if scale_by_lr else orbit
    x = np.broadcast_to(lr[:, None], values.shape)
    keep = np.isfinite(values)
    ax.plot(x[keep], values[keep], linestyle="none", marker=".", markersize=1.0, markeredgewidth=0,
            color=OKABE_ITO["black"], rasterized=True)
    for k, eta in enumerate(doublings):
        ax.axvline(eta, color=OKABE_ITO["vermillion"], linewidth=0.8, linestyle=(0, (3, 2)),
                   label="period doublings (cycle multiplier −1)" if k == 0 else None)
    if scale_by_lr:
        ax.axhline(2.0, **series("2/η", label="ηλ = 2"))
    ax.set(xlabel="learning rate η", ylabel="ηλ along the final orbit" if scale_by_lr else "final orbit")
    return ax


def phase_diagram(x, y, codes, names, *, boundary=None, boundary_label=None, xlabel=None, ylabel=None, logy=False,
                  ax=None):
    """Regimes of a sweep over two axes: ``codes`` (len(x), len(y)) are indices into ``names`` (one
    colour each); ``boundary``: a curve (x values at each y) drawn on top, e.g. a threshold
    found by bisection."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    ax = _axes(ax)
    x, y, codes = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(codes)
    colors = [OKABE_ITO[c] for c in ("sky", "green", "orange", "vermillion", "purple", "blue", "yellow")][:len(names)]
    cmap = ListedColormap(colors)
    ax.pcolormesh(x, y, codes.T, cmap=cmap, norm=BoundaryNorm(np.arange(len(names) + 1) - 0.5, len(names)),
                  shading="nearest", rasterized=True)
    handles = [Patch(facecolor=color, edgecolor="0.3", label=name) for color, name in zip(colors, names)]
    if boundary is not None:
        handles += ax.plot(boundary, y, color=OKABE_ITO["black"], linewidth=1.4, marker="o", markersize=3,
                           label=boundary_label)
    ax.legend(handles=handles, loc="lower left", framealpha=0.9)
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    return ax


def seed_bands(x, values, *, label=None, index=0, ax=None, **style):
    """The mean over seeds of ``values`` (len(x), n_seeds) as a line with the band from the
    smallest to the largest seed."""
    ax = _axes(ax)
    values = np.asarray(values, dtype=float)
    kind = cycle(index, label=label, **{"markevery": 1, **style})
    ax.fill_between(x, values.min(axis=-1), values.max(axis=-1), color=kind["color"], alpha=0.25, linewidth=0)
    ax.plot(x, values.mean(axis=-1), **kind)
    return ax


__all__ = ["box", "contours", "paths", "edge", "sharpness", "curvatures", "lambda1_along_manifold",
           "error_vs_eta", "phi", "time_averages", "edge_ratios", "orbit_diagram", "phase_diagram", "seed_bands",
           "OKABE_ITO"]
