"""Foundation benchmarks (issue 2): compiled numerics against their references, as ratios."""

import time

import numpy as np

import toymodels as tm
from toymodels.eigensystem import blockwise_eigh, dense_eigh

from .timing import best_time, ratio_line

BATCH = 100_000


def compiled_vs_handwritten_gradient():
    m = tm.zoo.get("two_layer_scalar", y=1)
    theta = np.random.default_rng(0).normal(size=(BATCH, 2))

    def by_hand():
        a, b = theta[..., 0], theta[..., 1]
        r = a * b - 1.0
        return np.stack([r * b, r * a], axis=-1)

    np.testing.assert_allclose(m.numeric.grad(theta), by_hand(), rtol=1e-14)
    ours, ref = best_time(lambda: m.numeric.grad(theta)), best_time(by_hand)
    return ratio_line(f"gradient of two_layer_scalar, batch {BATCH:.0e}, compiled / hand-written numpy",
                      ours, ref, "target ≤ 1.3")


def closed_form_vs_lapack_eigh():
    m = tm.zoo.get("two_layer_scalar", y=1)
    hess = m.numeric.hess(np.random.default_rng(1).normal(size=(BATCH, 2, 2))[..., 0, :])
    blocks = m.hessian_blocks
    closed_vals, closed_vecs = blockwise_eigh(hess, blocks)
    lapack_vals, _ = dense_eigh(hess)
    agreement = np.max(np.abs(closed_vals - lapack_vals))
    ours, ref = best_time(lambda: blockwise_eigh(hess, blocks)), best_time(lambda: dense_eigh(hess))
    return (ratio_line(f"eigensystem of {BATCH:.0e} 2x2 Hessians, closed form / numpy.linalg.eigh", ours, ref,
                       f"speed-up {ref / ours:.1f}x, target ≥ 10x") + f"; max eigenvalue difference {agreement:.1e}")


def compiled_vs_sympy_per_point():
    m = tm.zoo.get("two_layer_scalar", y=1)
    points = np.random.default_rng(2).normal(size=(20, 2))
    grad = m.grad

    def by_sympy():
        return [grad.subs(dict(zip(m.params, p))).evalf() for p in points]

    ours = best_time(lambda: [m.numeric.grad(p) for p in points], repeat=5)
    ref = best_time(by_sympy, repeat=3)
    return (f"gradient per point, compiled / sympy subs+evalf: {ours / 20 * 1e6:.1f} µs vs "
            f"{ref / 20 * 1e6:.0f} µs, speed-up {ref / ours:.0f}x")


#: The matrix linear networks (d = 8 and 12) beside the defaults; for them the BEA-2 field of the PF
#: claims is timed too, separately.
LINEAR_NETS = [("linear_net 2x2x2", {"target": [[2, 0.5], [0.3, 1]], "data": "whitened"}),
               ("linear_net 2x3x2", {"target": [[2, 0.5], [0.3, 1]], "data": "whitened", "width": 3})]


def derive_and_compile_every_model():
    lines, worst = [], 0.0
    for label, params in [(name, {}) for name in tm.zoo.names()] + LINEAR_NETS:
        start = time.perf_counter()
        m = tm.zoo.get(label.split()[0], **params)
        f = m.numeric
        theta = np.zeros(m.dim) + 0.3
        f.loss(theta), f.grad(theta), f.hess(theta), f.eigh(theta), f.hvp(theta, theta), f.d3(theta, theta, theta)
        first = time.perf_counter() - start
        extra = ""
        if params:  # the order-2 BEA field of pf.linear_net (composed from hvp and d3, compiled here)
            start = time.perf_counter()
            tm.flows.modified(m, 0.1, 2)(theta)
            extra = f" (+ BEA-2 field {time.perf_counter() - start:.3f} s)"
        start = time.perf_counter()
        f.grad(theta), f.hess(theta)
        cached = time.perf_counter() - start
        worst = max(worst, first)
        lines.append(f"  {label:18s} derive+compile {first:6.3f} s, then cached call {cached * 1e6:7.1f} µs{extra}")
    return "\n".join([f"derive + compile (loss, grad, hess, eigh, hvp, d3) per zoo model, worst {worst:.2f} s "
                      "(target < 2 s each):", *lines])


BENCHMARKS = [compiled_vs_handwritten_gradient, closed_form_vs_lapack_eigh, compiled_vs_sympy_per_point,
              derive_and_compile_every_model]
