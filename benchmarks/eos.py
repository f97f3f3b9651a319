"""Edge-of-stability benchmarks (issue 5): mini-batch curvatures and sharpness, as ratios."""

import itertools
import time

import numpy as np

import toymodels as tm
from toymodels import diagnostics
from toymodels.zoo.networks import initial_weights

from .timing import best_time, ratio_line


def exact_minibs_vectorized_vs_loop():
    """MiniBS over all C(n, B) batches: count-matrix products + batched eigvalsh vs a loop per batch."""
    lines = []
    for width, n, b, states in ((4, 12, 4, 4), (10, 20, 3, 2)):
        model = tm.zoo.get("tanh_net", width=width, n=n)
        theta = initial_weights(model, 0, count=states)
        batches = [np.array(c) for c in itertools.combinations(range(n), b)]

        def loop():
            return np.array([[np.linalg.eigvalsh(model.numeric.hess(t, idx))[-1] for idx in batches]
                             for t in theta]).mean(axis=1)

        def vectorized():
            return diagnostics.minibatch_sharpness(model, theta, b).value

        agreement = np.max(np.abs(loop() - vectorized()) / np.abs(vectorized()))
        ours, ref = best_time(vectorized, repeat=3), best_time(loop, repeat=1)
        lines.append(ratio_line(f"  tanh_net d={model.dim}, n={n}, B={b} ({len(batches)} batches × {states} states), "
                                "vectorized / per-batch loop", ours, ref, f"speed-up {ref / ours:.0f}x")
                     + f"; max rel. difference {agreement:.1e}")
    return "\n".join(["exact MiniBS, all batches enumerated:", *lines])


def lanczos_vs_dense():
    """λ1 by batched Lanczos on compiled Hessian-vector products (NumPy path) vs a dense eigendecomposition."""
    lines = []
    for width in (20, 40, 66):
        model = tm.zoo.get("tanh_net", width=width, n=20, frequency=2.0)
        d = model.dim
        theta = initial_weights(model, 1, scale=0.5, count=4)
        start = time.perf_counter()
        model.numeric.hvp(theta[0], theta[0])
        compile_hvp = time.perf_counter() - start
        if d <= diagnostics.DENSE_MAX_DIM:  # the compiled symbolic Hessian, as sharpness(method="dense")
            start = time.perf_counter()
            model.numeric.hess(theta[0])
            note = f"compiled Hessian (compile {time.perf_counter() - start:.1f} s)"

            def dense():
                return diagnostics.sharpness(model, theta, method="dense")
        else:  # the Hessian assembled from d Hessian-vector products in one batched call
            note = "Hessian assembled from d batched HVPs"
            eye = np.eye(d)

            def dense():
                hess = model.numeric.hvp(theta[:, None, :], eye[None])
                return np.linalg.eigvalsh(0.5 * (hess + np.swapaxes(hess, -1, -2)))[..., -1]

        def lanczos():
            return diagnostics.sharpness(model, theta, method="lanczos")

        agreement = np.max(np.abs(lanczos() - dense()) / np.abs(dense()))
        ours, ref = best_time(lanczos, repeat=3), best_time(dense, repeat=3)
        lines.append(ratio_line(f"  tanh_net d={d} (HVP compile {compile_hvp:.1f} s), 4 states, Lanczos / dense "
                                f"[{note}]", ours, ref, f"{'Lanczos' if ours < ref else 'dense'} faster")
                     + f"; max rel. difference {agreement:.1e}")
    return "\n".join(["sharpness λ1, Lanczos on HVPs vs dense eigendecomposition:", *lines])


BENCHMARKS = [exact_minibs_vectorized_vs_loop, lanczos_vs_dense]
