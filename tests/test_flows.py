"""The vector fields of toymodels.flows against independent references, and their bad input."""

import sys

import numpy as np
import pytest
import scipy.linalg
import sympy as sp

from toymodels import Model, zoo
from toymodels.errors import InvalidInputError, SingularError, UnsupportedError
from toymodels.flows import (MAX_ORDER, VectorField, bea_coefficients, exact_quadratic_solution, gradient,
                             modified, phi, principal)
from toymodels.integrate import integrate
from toymodels.reference import integrate_mpmath, to_numpy


def logm_reference(hess, grad, lr):
    """φ(ηH)g = (ηH)⁻¹ log(I − ηH) g with scipy's principal matrix logarithm, which for a
    negative eigenvalue of I − ηH takes log|·| + iπ: the branch of docs/theory/principal-flow.md."""
    d = len(grad)
    log = scipy.linalg.logm((np.eye(d) - lr * hess).astype(complex))
    return np.linalg.solve(lr * hess, log @ grad)


@pytest.mark.parametrize("name, params, eigensystem", [
    ("two_layer_scalar", {}, "closed_form"),
    ("two_layer_scalar", {}, "numeric"),
    ("rosenbrock", {}, "auto"),
    ("zhu_minimal", {}, "auto"),  # a 4x4 block: numpy.linalg.eigh
    ("deep_scalar", {"depth": 3}, "auto"),
])
def test_principal_field_is_the_matrix_function_phi_of_eta_h(name, params, eigensystem):
    model = zoo.get(name, **params)
    f = model.numeric
    lr = 0.3 if name != "rosenbrock" else 0.003
    points = np.random.default_rng(7).uniform(0.3, 1.6, size=(12, model.dim))
    field = principal(model, lr, eigensystem=eigensystem)
    values = field(points)
    regimes = set()
    for point, value in zip(points, values):
        hess, grad = f.hess(point), f.grad(point)
        eigs = lr * np.linalg.eigvalsh(hess)
        if np.min(np.abs(eigs)) < 1e-3 or np.min(np.abs(1 - eigs)) < 1e-3:
            continue  # logm and the solve are ill-conditioned there; the field is not
        regimes |= {int(np.clip(np.floor(e), -1, 2)) for e in eigs}
        expected = logm_reference(hess, grad, lr)
        np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-12)
        wrong = logm_reference(hess, grad, lr).conj()  # the other branch of the log
        if np.any(lr * np.linalg.eigvalsh(hess) > 1):
            assert np.max(np.abs(value - wrong)) > 1e-3
    assert len(regimes) >= 2  # the points cover more than one regime of ηλ


def test_phi_special_values_and_branch():
    assert phi(np.array(0.0)) == -1 and phi(np.array(0j)) == -1
    assert np.isneginf(phi(np.array(1.0)).real)
    np.testing.assert_allclose(phi(np.array(2.0)), 1j * np.pi / 2, rtol=1e-15)
    x = np.array([1e-9, 1e-5, 3e-3, 0.2])
    np.testing.assert_allclose(phi(x), np.log1p(-x) / x, rtol=1e-14)
    np.testing.assert_allclose(phi(x + 0j), np.log1p(-x) / x, rtol=1e-13)  # the complex series near 0
    np.testing.assert_allclose(phi(np.array(1.1)), (np.log(0.1) + 1j * np.pi) / 1.1, rtol=1e-15)


def test_principal_flow_does_not_depend_on_the_basis_inside_an_eigenspace():
    # A repeated eigenvalue: any orthonormal basis of its eigenspace is valid, φ(ηH)∇L is not.
    for seed in (None, 1, 2):
        model = zoo.get("quadratic", eigenvalues=(3, 3, 0.5), rotation_seed=seed)
        points = np.random.default_rng(seed).normal(size=(5, 3))
        hess = np.array(model.hess, dtype=float)
        expected = np.array([logm_reference(hess, g, 0.5) for g in model.numeric.grad(points)])
        np.testing.assert_allclose(principal(model, 0.5)(points), expected, rtol=1e-12, atol=1e-14)
    isotropic = zoo.get("quadratic", eigenvalues=(2, 2))
    point = np.array([0.3, -0.7])
    np.testing.assert_allclose(principal(isotropic, 0.25)(point), phi(0.5) * 2 * point, rtol=1e-14)


def test_zero_eigenvalue_gives_gradient_flow_there():
    valley = zoo.get("quadratic", eigenvalues=(1, 0), rotation_seed=3)
    point = np.array([0.4, 1.2])
    value = principal(valley, 0.5)(point)
    hess = np.array(valley.hess, dtype=float)
    values, vectors = np.linalg.eigh(hess)  # ascending: the zero eigenvalue first
    coords = vectors.T @ valley.numeric.grad(point)
    np.testing.assert_allclose(value, vectors @ (np.array([-1.0, phi(0.5)]) * coords), atol=1e-15)


def test_complex_states_closed_form_and_numeric_paths_agree():
    a, b, c, d = sp.symbols("a b c d", real=True)
    blocks = Model((a * b - 1) ** 2 / 2 + (c * d - 2) ** 2 / 2, [a, b, c, d])
    assert blocks.numeric.closed_form_eigensystem  # two 2x2 blocks
    rng = np.random.default_rng(2)
    z = rng.normal(size=(6, 4)) + 0.1j * rng.normal(size=(6, 4))
    closed = principal(blocks, 0.4, eigensystem="closed_form")(z)
    numeric = principal(blocks, 0.4, eigensystem="numeric")(z)
    np.testing.assert_allclose(closed, numeric, rtol=1e-10, atol=1e-13)


def test_nonprincipal_term_is_minus_eta_squared_over_12_d3():
    model = zoo.get("rosenbrock")
    points = np.random.default_rng(3).uniform(-1, 1, size=(4, 2))
    lr, f = 0.001, model.numeric
    pf = principal(model, lr)(points)
    difference = principal(model, lr, nonprincipal=True)(points) - pf
    g = f.grad(points)
    term = -lr**2 / 12 * f.d3(points, g, g)
    # the difference of two fields of size |PF| carries round-off 1e-15·|PF|; the term is far above it
    np.testing.assert_allclose(difference, term, rtol=1e-6, atol=1e-14 * np.abs(pf).max())
    assert np.abs(term).min() > 1e-6 * np.abs(pf).max()


def test_modified_flows_have_the_known_coefficients():
    """Orders ≤ 2 are composed from ∇L, H∇L and ∇³L; the symbolic Lie series must give the same."""
    from toymodels.flows.bea import _lie_series

    model = zoo.get("rosenbrock")
    f, lr = model.numeric, 0.002
    points = np.random.default_rng(4).uniform(-1, 1, size=(5, 2))
    np.testing.assert_allclose(gradient(model)(points), -f.grad(points))
    for order in (1, 2):
        series = _lie_series(model, lr, order)(points)
        np.testing.assert_allclose(modified(model, lr, order)(points), series, rtol=1e-12)
    # a wrong closed form (⅓ ↔ 1/12) is far outside that tolerance
    g = f.grad(points)
    hg = f.hvp(points, g)
    wrong = -g - lr / 2 * hg - lr**2 * (f.hvp(points, hg) / 12 + f.d3(points, g, g) / 3)
    assert np.max(np.abs(wrong - _lie_series(model, lr, 2)(points))) > 1e-6 * np.max(np.abs(g))


def test_bea_order_three_matches_the_principal_series_on_a_quadratic():
    quad = zoo.get("quadratic", eigenvalues=(2, 0.5), rotation_seed=4)
    hess = np.array(quad.hess, dtype=float)
    point = np.array([0.3, -1.1])
    g = quad.numeric.grad(point)
    lr = 0.1
    series = -sum(lr**p / (p + 1) * np.linalg.matrix_power(hess, p) @ g for p in range(4))
    np.testing.assert_allclose(modified(quad, lr, 3)(point), series, rtol=1e-13)


@pytest.mark.parametrize("order", [-1, MAX_ORDER + 1, 1.5, True])
def test_bad_bea_orders_are_rejected_with_the_limit(order):
    with pytest.raises(InvalidInputError, match=f"integer in \\[0, {MAX_ORDER}\\]"):
        bea_coefficients(zoo.get("two_layer_scalar"), order)


def test_lr_times_lambda_equal_to_one_is_a_clear_error_unless_allowed():
    quad = zoo.get("quadratic", eigenvalues=(2, 0.5))
    with pytest.raises(SingularError, match=r"lr·λ = 1 \(λ = 2, lr = 0.5\).*allow_singular=True"):
        principal(quad, 0.5)(np.array([1.0, 1.0]))
    value = principal(quad, 0.5, allow_singular=True)(np.array([1.0, 1.0]))
    assert np.all(np.isfinite(value)) and abs(value[0]) > 10  # a large rate that removes the component


def test_bad_eigensystem_options():
    with pytest.raises(InvalidInputError, match="eigensystem must be one of"):
        principal(zoo.get("two_layer_scalar"), 0.1, eigensystem="lapack")
    with pytest.raises(UnsupportedError, match="larger than 2x2"):
        principal(zoo.get("zhu_minimal"), 0.1, eigensystem="closed_form")


def test_exact_quadratic_solution_needs_a_quadratic():
    with pytest.raises(InvalidInputError, match="not quadratic"):
        exact_quadratic_solution(zoo.get("two_layer_scalar"), 0.1, [1.0, 1.0], [0.0, 0.1])


def test_continuation_follows_a_path_that_winds_around_the_branch_point():
    # ½(ab − 1)² at lr = 0.5 from a point displaced from Γ along u1 with ηλ1 = 1.13: within one
    # step the complex PF path takes Re ηλ1 below 1 with Im ηλ1 > 0, across the cut of the
    # single-valued φ (on {Re x = 1, Im x > 0}).
    model, lr = zoo.get("two_layer_scalar"), 0.5
    start = np.array([-1.06210043, -1.02093221], dtype=complex)
    field = principal(model, lr)
    times = np.linspace(0, lr, 41)
    sol = integrate(field, start, lr, saveat=times, rtol=1e-11, atol=1e-13)
    assert sol.status == "finished" and sol.n_steps < 100
    x = lr * model.numeric.eigh(sol.x)[0][:, 0]
    assert x[0].real > 1 and np.any((x.real < 1) & (x.imag > 0))  # it does wind around
    # Without continuation the same field stops at the cut (the adaptive step shrinks onto it).
    single_valued = VectorField("pf", "PF, single-valued", field.function, model, lr, complex=True)
    stuck = integrate(single_valued, start, lr, rtol=1e-11, atol=1e-13, max_steps=300)
    assert stuck.status in ("step_size_collapse", "max_steps") and stuck.stop_time < 0.9 * lr
    # The continued solution is smooth: RK4 converges to it at order 4 ...
    errors = [np.abs(integrate(field, start, lr, method="rk4", dt=lr / n).final - sol.final).max()
              for n in (10, 20, 40)]
    assert 3.6 < np.log2(errors[0] / errors[1]) < 4.4 and 3.6 < np.log2(errors[1] / errors[2]) < 4.4
    # ... and it is the best model of the GD step: measured 0.0037 against 0.0176 (gradient
    # flow), 0.012 (IGR) and 0.0093 (order-2 BEA).
    gd = start.real - lr * model.numeric.grad(start.real)
    pf_error = np.abs(sol.final - gd).max()
    for other in (gradient(model), modified(model, lr, 1), modified(model, lr, 2)):
        assert pf_error < 0.5 * np.abs(integrate(other, start.real, lr, rtol=1e-11).final - gd).max()


def test_a_start_outside_the_domain_of_the_loss_is_a_status_not_a_crash():
    model = Model.from_string("log(a)**2 + b**2/2", params="a b")
    real = integrate(gradient(model), np.array([[2.0, 0.5], [-1.0, 0.5]]), 0.5)  # log of a < 0
    assert real.status.tolist() == ["finished", "diverged"] and real.stop_time[1] == 0
    pf = integrate(principal(model, 0.1), np.array([[2.0, 0.5], [0.0, 0.5]], dtype=complex), 0.5)  # log 0
    assert pf.status.tolist() == ["finished", "diverged"] and np.all(np.isfinite(pf.x))


def test_closed_form_blocks_are_exact_at_an_exceptional_point_and_under_a_large_shift():
    principal_module = sys.modules["toymodels.flows.principal"]
    g = np.array([0.3 - 0.1j, -0.7 + 0.2j])
    cases = [  # (Hessian, lr): complex symmetric, not diagonalizable (b = ±i(a − c)/2) or nearly so
        (np.array([[2.5, 1j], [1j, 0.5]]), 0.5),
        (np.array([[2.5, 1j * (1 + 1e-9)], [1j * (1 + 1e-9), 0.5]]), 0.5),
        (np.array([[1e8 + 1, 0.5], [0.5, 1e8]], dtype=complex), 0.5e-8),  # a large common shift
        (np.array([[3.0, 0.0], [0.0, 3.0]], dtype=complex), 0.25),  # a multiple of the identity
    ]
    for hess, lr in cases:
        value, _ = principal_module._phi_times_gradient_blocks(hess, g, [(0, 1)], lr, False, None)
        np.testing.assert_allclose(value, logm_reference(hess, g, lr), rtol=1e-9)


def test_phi_and_its_derivative_are_quiet_and_right_far_from_zero_too():
    principal_module = sys.modules["toymodels.flows.principal"]
    x = np.array([1e-3, 0.3, 1e30, -2.0]) + 0j  # the series near 0 must not be evaluated at 1e30
    values = phi(x)
    assert np.all(np.isfinite(values))
    step = 1e-6
    numeric_derivative = (phi(x[:2] + step) - phi(x[:2] - step)) / (2 * step)
    np.testing.assert_allclose(principal_module.phi_prime(x[:2]), numeric_derivative, rtol=1e-8)
    np.testing.assert_allclose(principal_module.phi_prime(np.array([0.0])), -0.5)


def test_continuation_picks_the_nearest_sheet_and_flags_an_ambiguous_one():
    principal_module = sys.modules["toymodels.flows.principal"]
    x = np.array([[0.99 + 0.01j, 0.1 + 0j]])
    log = x * phi(x)
    reference = np.concatenate([x, log + np.array([2j * np.pi, 0])], axis=-1)  # one sheet up
    k, ambiguous = principal_module.continued_logs(x, log, reference)
    assert k.tolist() == [[1.0, 0.0]] and not ambiguous.any()
    reference = np.concatenate([x, log + np.array([1j * np.pi, 0])], axis=-1)  # half-way: ambiguous
    assert principal_module.continued_logs(x, log, reference)[1].all()


def test_learning_rates_of_a_flow_are_single_numbers():
    with pytest.raises(InvalidInputError, match="lr must be a single number"):
        principal(zoo.get("two_layer_scalar"), [0.1, 0.3])
    with pytest.raises(InvalidInputError, match="lr must be a single number"):
        modified(zoo.get("two_layer_scalar"), np.array([0.1, 0.3]), 1)


def test_principal_flow_matches_a_30_digit_reference_on_a_nonlinear_loss():
    # 1-D: θ' = log(1 − ηL'')/(ηL'') · L' on L = θ⁴/4 + θ²/2 with ηL''(0.5) = 0.525, integrated
    # independently by mpmath's Taylor method at 30 digits. (Past ηL'' = 1 the log's branch
    # point makes mpmath's Taylor steps tiny: minutes, so that regime is checked against GD and
    # logm instead.)
    theta, lr = sp.Symbol("theta"), 0.3
    loss = theta**4 / 4 + theta**2 / 2
    curvature = lr * sp.diff(loss, theta, 2)
    field = sp.Matrix([sp.log(1 - curvature) / curvature * sp.diff(loss, theta)])
    times = np.linspace(0, 0.6, 4)
    reference = to_numpy(integrate_mpmath(field, [theta], ["0.5"], [str(t) for t in times], dps=30))[:, 0]
    ours = integrate(principal(Model(loss, [theta]), lr), np.array([0.5 + 0j]), times[-1], saveat=times,
                     rtol=1e-12, atol=1e-14).x[:, 0]
    np.testing.assert_allclose(ours, reference, rtol=1e-11, atol=1e-13)
    wrong = integrate(principal(Model(loss, [theta]), lr * 1.001), np.array([0.5 + 0j]), times[-1],
                      saveat=times, rtol=1e-12, atol=1e-14).x[-1, 0]
    assert abs(wrong - reference[-1]) > 1e-6  # a 0.1% error in η is visible
