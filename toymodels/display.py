"""How models and runs show themselves in a notebook: LaTeX for a model, a short HTML table
for a Trajectory or Solution (Jupyter calls ``_repr_latex_`` and ``_repr_html_``)."""

import html

import numpy as np
import sympy as sp

from . import status as statuses

#: Above this many parameters the gradient and Hessian are not written out (they fill pages).
MAX_DISPLAY_DIM = 6


def model_latex(model, parts=("loss", "gradient", "hessian", "eigenvalues")) -> str:
    """The model's derivations as one LaTeX ``aligned`` block: the loss (the per-sample loss
    and the sample count for a model with data), the gradient, the Hessian and its closed-form
    eigenvalues (where they exist); the last three only up to :data:`MAX_DISPLAY_DIM` parameters."""
    theta = r"\theta" if model.dim > 1 else sp.latex(model.params[0])
    rows = []
    if "loss" in parts:
        if model.has_data:
            symbols = ", ".join(map(sp.latex, model.sample_symbols))
            rows.append(rf"\ell(\theta; {symbols}) &= {sp.latex(model.sample_loss)}, \quad "
                        rf"L = \tfrac{{1}}{{{model.n_samples}}}\textstyle\sum_i \ell(\theta; s_i)")
        else:
            rows.append(rf"L &= {sp.latex(model.loss)}")
    small = model.dim <= MAX_DISPLAY_DIM
    if model.dim > 1 and small:
        rows.insert(0, rf"\theta &= ({', '.join(map(sp.latex, model.params))})")
    source = model.sample_grad if model.has_data else model.grad
    prefix = r"\nabla_\theta \ell" if model.has_data else rf"\nabla_{{{theta}}} L"
    if "gradient" in parts and small:
        rows.append(rf"{prefix} &= {sp.latex(sp.simplify(source.T))}^\top")
    if "hessian" in parts and small:
        hess = model.sample_hess if model.has_data else model.hess
        name = r"\nabla^2_\theta \ell" if model.has_data else r"\nabla^2 L"
        rows.append(rf"{name} &= {sp.latex(sp.simplify(hess))}")
    if "eigenvalues" in parts and small and not model.has_data:
        system = model.eigensystem()
        if system is not None:
            values = ", ".join(sp.latex(sp.simplify(v)) for v in system.eigenvalues)
            rows.append(rf"\lambda(\nabla^2 L) &\in \{{{values}\}}")
    if not small:
        rows.append(rf"&\text{{({model.dim} parameters: gradient and Hessian not written out)}}")
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def _counts(status) -> str:
    flat = np.asarray(status).reshape(-1)
    return ", ".join(f"{name} {int(np.sum(flat == name))}" for name in statuses.ALL if np.any(flat == name))


def _range(values) -> str:
    values = np.asarray(values, dtype=complex if np.iscomplexobj(values) else float).reshape(-1)
    if values.size == 0:
        return "–"
    if np.iscomplexobj(values):
        values = values.real
    lo, hi = np.min(values), np.max(values)
    return f"{lo:.4g}" if lo == hi else f"{lo:.4g} … {hi:.4g}"


def run_html(run) -> str:
    """A short HTML table: what ran, how many starts, their statuses, the final loss and the
    final sharpness where recorded (min … max over the starts)."""
    meta = run.meta
    starts = int(np.prod(np.shape(run.status)))
    if hasattr(run, "steps"):  # a Trajectory
        title = f"Trajectory: {meta.get('model', '?')}, {meta.get('optimizer', '?')}"
        extent = f"{meta.get('n_steps', run.steps[-1])} steps, {len(run.steps)} saved"
        rows = [("learning rate", _range(meta["lr"]) if "lr" in meta else "–")]
        kept = np.asarray(run.status) != statuses.DIVERGED  # a diverged start's last state says little
        note = "" if kept.all() or not kept.any() else " (starts that did not diverge)"
        rows += [(f"final {name}{note}", _range(run.metrics[name][-1][kept] if kept.any() else run.metrics[name][-1]))
                 for name in ("loss", "sharpness") if name in run.metrics]
    else:
        title = f"Solution: {meta.get('field', 'flow')}"
        extent = f"t ∈ [{run.t[0]:g}, {run.t[-1]:g}], {len(run.t)} saved ({meta.get('time_unit', '')})"
        rows = [("learning rate", "–" if meta.get("lr") is None else f"{float(meta['lr']):g}"),
                ("method", str(meta.get("method", "?")))]
    rows = [("starts", str(starts)), ("extent", extent), ("status", _counts(run.status))] + rows
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                   f"{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<div><strong>{html.escape(title)}</strong><table>{body}</table></div>"
