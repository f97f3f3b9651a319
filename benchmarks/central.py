"""Central-flow benchmarks (issue 14): the stiff solve against explicit rk4 at one GD step, as ratios."""

import time

import numpy as np

import toymodels as tm
from toymodels.flows import central, solve_stiff

from .timing import ratio_line


def bdf_vs_rk4():
    """The central flow on the curved valley to slow time εt = 1.5 (past the edge): BDF with dense
    output (rtol 1e-9) vs rk4 with dt = η (one GD step, the stability limit is about 1.4 steps)."""
    lines = []
    lr, start = 0.3, np.array([1e-3, 5.0, 0.0])
    for eps in (1e-3, 3e-4):
        model = tm.zoo.get("curved_valley", eps=eps)
        field, t1 = central(model, lr), 1.5 / eps
        begin = time.perf_counter()
        stiff = solve_stiff(field, start, t1)
        ours = time.perf_counter() - begin
        begin = time.perf_counter()
        explicit = tm.integrate(field, start, t1, method="rk4", dt=lr, max_steps=10**7)
        reference = time.perf_counter() - begin
        gap = float(np.max(np.abs(stiff.at(t1) - explicit.final)))
        lines.append(ratio_line(f"  ε = {eps:g}, t1 = {t1:g} ({t1 / lr:.0f} GD steps): BDF ({stiff.evaluations} "
                                "evaluations) / rk4 at dt = η", ours, reference, f"speed-up {reference / ours:.0f}x")
                     + f"; max |difference| at t1 {gap:.1e}")
    return "\n".join(["central flow, stiff solve vs explicit:", *lines])


BENCHMARKS = [bdf_vs_rk4]
