"""Manifold benchmarks (issue 4): normalized GD on a large batch, and Φ closed form vs gradient flow.

``python -m benchmarks manifold``. Ratios are against references measured in the same run.
"""

import time

import numpy as np

import toymodels as tm
from toymodels.limit_map import limit_map
from toymodels.manifold import sample_manifold

from .timing import best_time, ratio_line

STARTS, STEPS, LR = 1_000, 100_000, 0.01


def _starts():
    return np.random.default_rng(0).uniform(0.5, 2.0, size=(STARTS, 2))


def _hand_ngd(x, steps, checks):
    """NGD on ½(ab − 1)² written out in NumPy; ``checks`` adds simulate's per-step safety checks
    (finite state, norm ≤ max_norm, keep the old state where a step is bad)."""
    for _ in range(steps):
        a, b = x[:, 0], x[:, 1]
        r = a * b - 1.0
        g = np.stack([r * b, r * a], axis=-1)
        norm = np.sqrt(np.einsum("ij,ij->i", g, g))
        # an exact stationary point (∇L = 0, reached in floating point) is not moved, as in simulate
        new = x - np.where(norm > 0, LR / np.where(norm > 0, norm, 1.0), 0.0)[:, None] * g
        if checks:
            bad = ~np.all(np.isfinite(new), axis=-1) | (np.linalg.norm(new, axis=-1) > 1e6)
            new = np.where(bad[:, None], x, new)
        x = new
    return x


def _timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def ngd_batch_against_hand_written_loop():
    m = tm.zoo.get("two_layer_scalar")
    x0 = _starts()
    tm.simulate(m, tm.optim.NormalizedGD(LR), x0, 10, record=(), backend="numpy")  # warm caches
    ours, run = _timed(lambda: tm.simulate(m, tm.optim.NormalizedGD(LR), x0, STEPS, record=(), backend="numpy",
                                           save_every=STEPS))
    bare, x_bare = _timed(lambda: _hand_ngd(x0.copy(), STEPS, checks=False))
    checked, _ = _timed(lambda: _hand_ngd(x0.copy(), STEPS // 10, checks=True))
    checked *= 10
    agreement = float(np.max(np.abs(run.final - x_bare)))
    # where the time goes: the optimizer step alone, the rest is simulate's per-step bookkeeping
    numeric, opt = m.numeric, tm.optim.NormalizedGD(LR)
    step = best_time(lambda: opt.step(numeric, x0, None, None), repeat=5, number=200)
    per_step = ours / STEPS
    updates = STARTS * STEPS
    return "\n".join([
        f"normalized GD, {STARTS} starts x {STEPS} steps on two_layer_scalar: "
        f"{updates / ours:.3g} state-updates/s (simulate) vs {updates / bare:.3g} (hand-written loop)",
        ratio_line("  simulate / hand-written loop (same update arithmetic)", ours, bare, "target ≤ 1.3"),
        ratio_line("  simulate / hand-written loop with simulate's safety checks", ours, checked,
                   "isfinite + max_norm + where each step"),
        f"  per step: {per_step * 1e6:.0f} µs in simulate, of which NormalizedGD.step {step * 1e6:.0f} µs; "
        f"hand loop {bare / STEPS * 1e6:.0f} µs; max |difference| of final states {agreement:.1e}"])


def phi_closed_form_against_gradient_flow():
    lines = []
    rng = np.random.default_rng(1)
    for name in ("two_layer_scalar", "zhu_minimal"):
        m = tm.zoo.get(name)
        # points of Γ with every |θ_i| in [0.4, 2.5]: where Γ is very unbalanced, gradient flow
        # is too stiff for an explicit integrator (λ1 ~ 1e6) and only the closed form works
        pool = sample_manifold(m, 20 * STARTS, rng, box=2.0)
        pool = pool[np.all((np.abs(pool) >= 0.4) & (np.abs(pool) <= 2.5), axis=-1)]
        near = pool[:STARTS] + 0.05 * rng.standard_normal((STARTS, m.dim))  # like EoS iterates: O(η) off Γ
        far = pool[STARTS:STARTS + 100] + 0.3 * rng.standard_normal((100, m.dim))
        for label, points, repeat in (("1e3 points within ~0.05 of Γ", near, 3), ("100 points ~0.3 off Γ", far, 2)):
            closed = best_time(lambda: limit_map(m, points, method="conserved"), repeat=repeat)
            flow = best_time(lambda: limit_map(m, points, method="flow"), repeat=1)
            diff = np.max(np.abs(limit_map(m, points, method="conserved") - limit_map(m, points, method="flow")))
            lines.append(ratio_line(f"Φ of {name}, {label}: conserved quantities / gradient flow", closed, flow,
                                    f"speed-up {flow / closed:.0f}x; max |difference| {diff:.1e}"))
    return "\n".join(lines)


BENCHMARKS = [phi_closed_form_against_gradient_flow, ngd_batch_against_hand_written_loop]
