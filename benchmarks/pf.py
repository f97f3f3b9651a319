"""Principal-flow benchmarks (issue 3), as ratios against references measured in the same run."""

import time

import numpy as np

import toymodels as tm
from toymodels.flows import exact_quadratic_solution, principal

from .timing import best_time, ratio_line

#: The original notebooks' setting (docs/theory/principal-flow.md): Hessian eigenvalues 2 and 0.02, θ0 = (−0.35, −0.2).
LR, STEPS, EULER_DT = 1.05, 5, 1e-5


def _euler_as_in_the_notebooks(field_matrix, x0, t1, dt):
    """Explicit Euler on the linear PF θ' = Mθ, one matrix-vector product per step (NumPy)."""
    x = x0.astype(complex)
    for _ in range(int(round(t1 / dt))):
        x = x + dt * (field_matrix @ x)
    return x


def pf_quadratic_against_euler():
    model = tm.zoo.get("quadratic", eigenvalues=(2, 0.02))
    x0, t1 = np.array([-0.35, -0.2]), STEPS * LR
    exact = exact_quadratic_solution(model, LR, x0, [t1])[0]
    hess = np.array(model.hess, dtype=float)
    # φ(ηA)A for the diagonal A: the matrix the notebooks' Euler loop multiplies by.
    matrix = np.diag(np.log(1 - LR * np.diag(hess) + 0j) / LR)
    start = time.perf_counter()
    euler = _euler_as_in_the_notebooks(matrix, x0, t1, EULER_DT)
    euler_seconds = time.perf_counter() - start
    euler_error = np.abs(euler - exact).max()
    field = principal(model, LR)
    rtol = 1e-3
    while True:  # the loosest tolerance (in steps of √10) that is at least as accurate as Euler
        ours = tm.integrate(field, x0.astype(complex), t1, rtol=rtol, atol=rtol * 1e-3)
        if np.abs(ours.final - exact).max() <= euler_error:
            break
        rtol /= 10 ** 0.5
    ours_error = np.abs(ours.final - exact).max()
    ours_seconds = best_time(lambda: tm.integrate(field, x0.astype(complex), t1, rtol=rtol, atol=rtol * 1e-3),
                             repeat=5)
    closed_seconds = best_time(lambda: exact_quadratic_solution(model, LR, x0, [t1]), repeat=5)
    # Euler on the same general field: 2000 steps timed, the 525 000 extrapolated.
    sample = 2000
    start = time.perf_counter()
    x = x0.astype(complex)
    for _ in range(sample):
        x = x + EULER_DT * field(x)
    same_field_seconds = (time.perf_counter() - start) * t1 / EULER_DT / sample
    return (f"PF on the quadratic, η = {LR}, t = {STEPS}η: explicit Euler dt = {EULER_DT:g} as in the "
            f"notebooks (hand-written linear field, {int(t1 / EULER_DT)} steps) {euler_seconds:.2f} s, error "
            f"{euler_error:.1e}; toymodels DOP853 on the general PF field (rtol {rtol:g}, {int(ours.n_steps)} "
            f"steps) {ours_seconds * 1e3:.1f} ms, error {ours_error:.1e}: {euler_seconds / ours_seconds:.0f}x "
            f"faster (target ≥ 100x); against Euler on the same general field (extrapolated from {sample} "
            f"steps, {same_field_seconds:.0f} s) {same_field_seconds / ours_seconds:.0f}x; closed form "
            f"{closed_seconds * 1e6:.0f} µs ({euler_seconds / closed_seconds:.0f}x the notebooks' loop)")


def pf_field_closed_form_against_numeric():
    model = tm.zoo.get("two_layer_scalar")
    theta = np.random.default_rng(0).normal(size=(100_000, 2))
    closed, numeric = principal(model, 0.5, eigensystem="closed_form"), principal(model, 0.5, eigensystem="numeric")
    agreement = np.abs(closed(theta) - numeric(theta)).max() / np.abs(numeric(theta)).max()
    ratio = ratio_line("PF field of two_layer_scalar on 1e5 states, closed-form eigensystem / numpy.linalg.eigh",
                       best_time(lambda: closed(theta), repeat=5), best_time(lambda: numeric(theta), repeat=5),
                       "lower is faster")
    complex_theta = theta + 0.01j * np.random.default_rng(1).normal(size=theta.shape)
    complex_ratio = ratio_line("same on complex states, closed form / numpy.linalg.eig + solve",
                               best_time(lambda: closed(complex_theta), repeat=3),
                               best_time(lambda: numeric(complex_theta), repeat=3), "lower is faster")
    return f"{ratio}; max rel. difference {agreement:.1e}\n{complex_ratio}"


BENCHMARKS = [pf_quadratic_against_euler, pf_field_closed_form_against_numeric]
