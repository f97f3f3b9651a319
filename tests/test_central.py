"""The central flow, the SDCP solver, self-stabilization, cycle windows and the optimizer edges."""

import numpy as np
import pytest
from scipy.optimize import minimize

import toymodels as tm
from toymodels import edges, optim, sdcp
from toymodels.cycles import ShortWindowError, cycle_windows
from toymodels.flows import central, central_state, edge_solution, solve_stiff
from toymodels.stabilization import dagger, geometry, project
from toymodels.errors import UnsupportedError


def _random_problem(rng, k):
    g = rng.normal(size=(k, k, 6))
    g = g + g.transpose(1, 0, 2)
    Q = rng.normal(size=(k, k))
    return Q + Q.T, np.einsum("ijn,kln->ijkl", g, g)


def _brute_force(Q, G, k, rng):
    """min over X = BBᵀ of ⟨Q, X⟩ + ¼⟨X, G(X)⟩ by BFGS from many starts (an independent answer)."""
    idx = np.tril_indices(k)

    def value(p):
        B = np.zeros((k, k))
        B[idx] = p
        X = B @ B.T
        return np.sum(Q * X) + 0.25 * np.sum(X * np.einsum("klij,ij->kl", G, X))

    best = min((minimize(value, rng.normal(size=len(idx[0])), method="BFGS", options={"gtol": 1e-12})
                for _ in range(8)), key=lambda r: r.fun)
    B = np.zeros((k, k))
    B[idx] = best.x
    return B @ B.T


@pytest.mark.parametrize("k", [1, 2, 3])
def test_sdcp_matches_a_brute_force_convex_minimization(k):
    rng = np.random.default_rng(k)
    ranks = set()
    for _ in range(6 if k < 3 else 4):
        Q, G = _random_problem(rng, k)
        solution = sdcp.solve_sdcp(Q, G)
        assert solution.residual <= sdcp.KKT_TOL
        np.testing.assert_allclose(solution.X, _brute_force(Q, G, k, rng), atol=1e-5)
        ranks.add(solution.rank)
    assert len(ranks) >= 2  # several faces of the cone were exercised


def test_sdcp_k2_rank_one_face_is_exact_and_a_wrong_answer_fails_the_residual():
    rng = np.random.default_rng(5)
    for _ in range(50):
        Q, G = _random_problem(rng, 2)
        solution = sdcp.solve_sdcp(Q, G)
        if solution.rank == 1:
            break
    assert solution.residual < 1e-12
    assert sdcp.residual(Q, G, solution.X * 1.01)[0] > 1e-4


def test_sdcp_rejects_k_above_three():
    with pytest.raises(UnsupportedError, match="k ≤ 3"):
        sdcp.solve_sdcp(np.eye(4), np.zeros((4, 4, 4, 4)))


def test_central_flow_is_gradient_flow_below_the_edge_and_holds_the_edge():
    model = tm.zoo.get("curved_valley", eps=1e-3)
    lr = 0.3
    below = np.array([1e-4, 5.0, 0.2])
    np.testing.assert_allclose(central(model, lr)(below[None])[0], -model.numeric.grad(below))
    sol = solve_stiff(central(model, lr), [1e-3, 5.0, 0.0], 3 / 1e-3)
    w = sol.at(np.array([2500.0, 3000.0]))
    np.testing.assert_allclose(model.numeric.sharpness(w), 2 / lr, rtol=1e-6)
    state = central_state(model, lr, w)
    assert np.all(state.sigma[:, 0, 0] > 0)
    # the one-eigenvalue closed form, with ∇S = ∇³L[u, u] from the model
    lam, vec = np.linalg.eigh(model.numeric.hess(w[0]))
    u = vec[:, -1]
    grad_s = model.numeric.d3(w[0], u, u)
    sigma2 = 2 * np.dot(-model.numeric.grad(w[0]), grad_s) / np.dot(grad_s, grad_s)
    np.testing.assert_allclose(np.einsum("i,ij,j", u, state.sigma[0], u), sigma2, rtol=1e-3)
    np.testing.assert_allclose(state.avg_loss, state.loss + np.trace(state.sigma, axis1=-2, axis2=-1) / lr,
                               rtol=1e-6)


def test_edge_solution_on_the_codim2_valley_has_two_edge_directions():
    model = tm.zoo.get("codim2_valley", eps=1e-3)
    at = edge_solution(model, 0.3, [0.0, 0.0, 2 / 0.3, 2 / 0.3, 0.0])
    assert at.k == 2 and at.solution.residual <= sdcp.KKT_TOL


def test_dagger_path_stays_on_the_stable_set():
    model = tm.zoo.get("curved_valley", eps=1e-3)
    lr = 0.3
    path = dagger(model, lr, np.array([1e-3, 6.5, 0.5]), 200, save_every=50)
    geo = geometry(model, path)
    assert np.all(geo.sharpness <= 2 / lr + 1e-6)
    assert np.all(np.abs(np.einsum("...i,...i", geo.u, geo.grad)) < 1e-8)
    np.testing.assert_allclose(project(model, lr, path[-1]), path[-1], atol=1e-10)
    z = path[-1, 2]
    np.testing.assert_allclose(geometry(model, path[-1]).delta2, 2e-3 * (1 + 2 * z) / (1 + 4 * z**2), rtol=1e-2)


def test_a_window_shorter_than_its_cycles_is_an_error():
    x2 = np.zeros(1000)
    x2[[100, 400, 700]] = 1.0
    windows = cycle_windows(x2, cycles=1)
    assert len(windows.start) == 2 and windows.mean_cycle == 300
    with pytest.raises(ShortWindowError, match="too few"):
        cycle_windows(x2, cycles=3)


@pytest.mark.parametrize("name, at_09", [("gd", 2.0), ("heavy_ball", 3.8), ("nesterov", 19 / 14),
                                          ("ema_momentum", 38.0)])
def test_thresholds_match_bisection_and_the_literature(name, at_09):
    assert edges.threshold(name).at(0.9) == pytest.approx(at_09, rel=1e-14)
    assert edges.bisect_threshold(name, 0.9) == pytest.approx(at_09, rel=1e-10)
    assert edges.spectral_radius(name, at_09 * 0.99, 0.9) < 1 < edges.spectral_radius(name, at_09 * 1.01, 0.9)


def test_preconditioned_sharpness():
    model = tm.zoo.get("quadratic", eigenvalues=(4.0, 1.0))
    x = np.zeros((3, 2))
    np.testing.assert_allclose(edges.preconditioned_sharpness(model, x, [2.0, 0.5]), 2.0)
    np.testing.assert_allclose(edges.preconditioned_sharpness(model, x, 4.0), 1.0)


def test_adaptive_optimizers_run_batched_and_keep_their_state():
    model = tm.zoo.get("quadratic", eigenvalues=(2.0, 0.5))
    x0 = np.array([[1.0, -1.0], [0.5, 2.0]])
    for opt in (optim.Nesterov(0.1), optim.EMAMomentum(0.1, preconditioner=[1.0, 2.0]),
                optim.RMSProp(0.01), optim.RMSProp(0.01, scalar=True), optim.Adam(0.01)):
        run = tm.simulate(model, opt, x0, 200, record=("loss",))
        assert np.all(run.status == "finished") and np.all(run["loss"][-1] < run["loss"][0])
    # Adam's first step moves every coordinate by η (bias-corrected m̂/√ν̂ = sign g)
    step = optim.Adam(0.01, eps=0.0).step(model.numeric, x0, optim.Adam(0.01).init_state(model.numeric, x0), None)
    np.testing.assert_allclose(np.abs(step.x - x0), 0.01)


def test_the_central_field_integrates_with_integrate_as_with_the_stiff_solver():
    model = tm.zoo.get("curved_valley", eps=1e-3)
    field, start, t1 = central(model, 0.3), [1e-3, 6.3, 0.55], 300.0  # reaches the edge on the way
    explicit = tm.integrate(field, start, t1, method="rk4", dt=0.15, max_steps=10**4)
    stiff = solve_stiff(field, start, t1)
    assert explicit.status == "finished" and model.numeric.sharpness(explicit.final) == pytest.approx(2 / 0.3, rel=1e-6)
    np.testing.assert_allclose(explicit.final, stiff.at(t1), atol=1e-6)
