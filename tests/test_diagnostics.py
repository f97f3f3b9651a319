"""toymodels.diagnostics against independent references, and its bad-input errors."""

import itertools
from math import comb

import numpy as np
import pytest
import sympy as sp

from toymodels import Model, diagnostics, zoo
from toymodels.datasets import linear_regression_data, sine_regression_data
from toymodels.errors import InvalidInputError, ModelSpecError, SingularError, UnsupportedError
from toymodels.flows import gradient
from toymodels.integrate import integrate
from toymodels.optim import SGD, draw_batches
from toymodels.zoo.networks import initial_weights

RNG = np.random.default_rng(11)


@pytest.fixture(scope="module")
def tanh():
    return zoo.get("tanh_net", width=4, n=7, seed=3)


# -- sharpness ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, params", [("tanh_net", {"width": 4, "n": 7, "seed": 3}),
                                          ("linear_net", {"depth": 4, "width": 2, "n": 6})])
def test_lanczos_agrees_with_dense(name, params):
    model = zoo.get(name, **params)
    theta = RNG.uniform(-1, 1, size=(3, model.dim))
    dense = diagnostics.sharpness(model, theta, method="dense")
    lanczos = diagnostics.sharpness(model, theta, method="lanczos")
    np.testing.assert_allclose(lanczos, dense, rtol=1e-10, atol=1e-12)
    # λ1 is the largest algebraic eigenvalue, not the largest in magnitude
    np.testing.assert_allclose(dense, np.linalg.eigvalsh(model.numeric.hess(theta))[..., -1], rtol=1e-13)
    batch = np.array([0, 2, 3])
    np.testing.assert_allclose(diagnostics.sharpness(model, theta, batch=batch, method="lanczos"),
                               diagnostics.sharpness(model, theta, batch=batch, method="dense"), rtol=1e-10)


def test_sharpness_rejects_diverged_states_and_unknown_methods(tanh):
    theta = initial_weights(tanh, 0, count=2)
    theta[1, 3] = np.nan
    with pytest.raises(InvalidInputError, match="not finite .*diverged"):
        diagnostics.sharpness(tanh, theta)
    with pytest.raises(InvalidInputError, match="not finite"):
        diagnostics.minibatch_sharpness(tanh, theta, 2)
    theta[1, 3] = np.inf
    with pytest.raises(InvalidInputError, match="not finite"):
        diagnostics.sharpness(tanh, theta, method="lanczos")
    with pytest.raises(InvalidInputError, match="method"):
        diagnostics.sharpness(tanh, theta[:1], method="power")
    with pytest.raises(InvalidInputError, match="shape"):
        diagnostics.sharpness(tanh, np.zeros(3))


# -- batches -------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, b", [(5, 1), (5, 2), (6, 3), (4, 4)])
def test_batch_enumeration_matches_brute_force(n, b):
    # Without replacement: every subset once, uniform.
    counts, p = diagnostics.all_batches(n, b)
    assert len(counts) == comb(n, b) and np.allclose(p, 1 / comb(n, b))
    assert {tuple(np.flatnonzero(c)) for c in counts} == set(itertools.combinations(range(n), b))
    # With replacement: the multinomial probabilities of the multisets against all n^b ordered draws.
    counts, p = diagnostics.all_batches(n, b, replace=True)
    ordered = np.array(list(itertools.product(range(n), repeat=b)))
    ordered_counts = np.stack([np.bincount(row, minlength=n) for row in ordered])
    keys, frequency = np.unique(ordered_counts, axis=0, return_counts=True)
    lookup = {tuple(k): f / len(ordered) for k, f in zip(keys, frequency)}
    assert len(counts) == len(lookup) == diagnostics.count_batches(n, b, replace=True)
    np.testing.assert_allclose(p, [lookup[tuple(c)] for c in counts], rtol=1e-12)
    # Each sample is expected B/n times in a batch, so E_B H_B = H (the premise of Jensen).
    for replace in (False, True):
        counts, p = diagnostics.all_batches(n, b, replace)
        np.testing.assert_allclose(p @ counts, np.full(n, b / n), rtol=1e-12)


def _loop_reference(model, theta, b):
    """MiniBS and batch sharpness by a Python loop over subsets, through the compiled batch means."""
    tops, quotients = [], []
    for batch in itertools.combinations(range(model.n_samples), b):
        idx = np.array(batch)
        h, g = model.numeric.hess(theta, idx), model.numeric.grad(theta, idx)
        tops.append(np.linalg.eigvalsh(h)[-1])
        quotients.append(g @ h @ g / (g @ g))
    return np.mean(tops), np.mean(quotients)


def test_exact_minibatch_curvatures_match_a_per_batch_loop(tanh):
    theta = initial_weights(tanh, 5, count=2)
    minibs, batch = diagnostics.minibatch_curvatures(tanh, theta, 3)
    assert minibs.exact and minibs.n_batches == comb(7, 3) and np.all(minibs.stderr == 0)
    for i in range(2):
        ref_top, ref_quotient = _loop_reference(tanh, theta[i], 3)
        assert minibs.value[i] == pytest.approx(ref_top, rel=1e-12)
        assert batch.value[i] == pytest.approx(ref_quotient, rel=1e-12)
    assert np.array_equal(diagnostics.minibatch_sharpness(tanh, theta, 3).value, minibs.value)
    assert np.array_equal(diagnostics.batch_sharpness(tanh, theta, 3).value, batch.value)


def test_monte_carlo_estimate_is_within_its_standard_error(tanh):
    theta = initial_weights(tanh, 1, count=4)
    exact = diagnostics.minibatch_sharpness(tanh, theta, 3)
    z = []
    for seed in range(5):
        mc = diagnostics.minibatch_sharpness(tanh, theta, 3, n_batches=400, seed=seed)
        assert not mc.exact and mc.n_batches == 400
        z.append((mc.value - exact.value) / mc.stderr)
    z = np.array(z)
    assert np.all(np.abs(z) < 4.5)  # 20 estimates: |z| > 4.5 has probability ~1e-4
    assert 0.3 < np.std(z) < 2.0  # the standard error is neither grossly under- nor overstated
    # max_exact decides between enumeration and Monte Carlo
    assert not diagnostics.minibatch_sharpness(tanh, theta, 3, max_exact=10).exact


def test_minibs_at_full_batch_is_the_sharpness_and_batch_sharpness_is_singular_at_a_minimum():
    model = zoo.get("linear_regression", n=8, dim=2)
    theta = RNG.normal(size=(3, 2))
    full = diagnostics.minibatch_sharpness(model, theta, 8)
    np.testing.assert_allclose(full.value, diagnostics.sharpness(model, theta), rtol=1e-13)
    beta = linear_regression_data(8, 2, 0.0, 0).coefficients  # the interpolating minimum
    with pytest.raises(SingularError, match="exactly zero"):
        diagnostics.batch_sharpness(model, beta, 2)
    assert diagnostics.minibatch_sharpness(model, beta, 2).value > 0  # MiniBS is defined there


def test_per_sample_quantities_average_to_the_full_ones(tanh):
    theta = initial_weights(tanh, 2, count=(2))
    np.testing.assert_allclose(diagnostics.per_sample_hessians(tanh, theta).mean(axis=-3),
                               tanh.numeric.hess(theta), rtol=1e-12, atol=1e-14)
    grads = diagnostics.per_sample_gradients(tanh, theta)
    assert grads.shape == (2, 7, tanh.dim)
    np.testing.assert_allclose(grads.mean(axis=-2), tanh.numeric.grad(theta), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("bad", [0, -1, 8, 2.0, True])
def test_bad_batch_sizes_are_rejected(tanh, bad):
    theta = initial_weights(tanh, 0)
    for function in (diagnostics.minibatch_sharpness, diagnostics.batch_sharpness):
        with pytest.raises(InvalidInputError, match="batch_size must be an integer in \\[1, 7\\]"):
            function(tanh, theta, bad)


@pytest.mark.parametrize("bad", [0, -5, 1, 3.5])
def test_bad_monte_carlo_counts_are_rejected(tanh, bad):
    with pytest.raises(InvalidInputError, match="n_batches"):
        diagnostics.minibatch_sharpness(tanh, initial_weights(tanh, 0), 3, n_batches=bad)


def test_sgd_rejects_bad_batch_sizes_and_draws_valid_batches(tanh):
    for bad in (0, -2):
        with pytest.raises(InvalidInputError):
            SGD(0.1, bad)
    with pytest.raises(InvalidInputError, match="larger than the dataset"):
        SGD(0.1, 8).check(tanh)
    rng = np.random.default_rng(0)
    batches = draw_batches(7, 3, (500,), rng)
    assert batches.shape == (500, 3) and all(len(set(b)) == 3 for b in batches)
    assert draw_batches(7, 9, (4,), rng, replace=True).max() < 7


def test_models_without_data_have_no_minibatch_quantities():
    with pytest.raises(UnsupportedError, match="no data"):
        diagnostics.minibatch_sharpness(zoo.get("two_layer_scalar"), np.ones(2), 1)


def test_a_dataset_that_does_not_match_the_sample_symbols_is_rejected():
    w, x, y = sp.symbols("w x y", real=True)
    data = sine_regression_data(6).table
    with pytest.raises(ModelSpecError, match=r"shape \(n_samples, 2\)"):
        Model((w * x - y) ** 2 / 2, [w], sample_symbols=[x, y], data=np.column_stack([data, data]))
    with pytest.raises(ModelSpecError, match=r"shape \(n_samples, 3\)"):
        Model((w * x - y + sp.Symbol("z", real=True)) ** 2 / 2, [w], sample_symbols=[x, y, sp.Symbol("z", real=True)],
              data=data)


# -- gradient-flow solution of scalar networks --------------------------------------------------------
@pytest.mark.parametrize("depth, y", [(3, 1), (4, 2), (5, -1.5)])
def test_gfs_conserves_the_flow_invariants_and_matches_integrated_gradient_flow(depth, y):
    model = zoo.get("deep_scalar", depth=depth, y=y)
    w = RNG.uniform(0.3, 1.6, size=(4, depth)) * np.where(RNG.random((4, depth)) < 0.2, -1, 1)
    star = diagnostics.gradient_flow_solution(model, w)
    np.testing.assert_allclose(np.prod(star, axis=-1), y, rtol=1e-13)
    shift = star**2 - w**2
    np.testing.assert_allclose(shift, shift[:, :1].repeat(depth, axis=1), rtol=1e-12, atol=1e-12)
    # independent: integrate gradient flow to convergence, then the sharpness there
    sol = integrate(gradient(model), w, 400.0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(star, sol.final, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(diagnostics.gfs_sharpness(model, w), diagnostics.sharpness(model, sol.final),
                               rtol=1e-7)


def test_gfs_requires_a_scalar_network():
    for model in (zoo.get("rosenbrock"), zoo.get("chen_bruna"), zoo.get("linear_regression")):
        with pytest.raises(UnsupportedError, match="scalar network"):
            diagnostics.gfs_sharpness(model, np.ones(model.dim))
    assert diagnostics.gfs_sharpness(zoo.get("zhu_minimal"), np.ones(4)) == pytest.approx(4.0)


# -- the new data models -----------------------------------------------------------------------------
def test_data_generators_are_deterministic_and_validate():
    a, b = sine_regression_data(10, 2.0, seed=3), sine_regression_data(10, 2.0, seed=3)
    assert np.array_equal(a.table, b.table) and np.all(np.diff(a.x[:, 0]) >= 0)
    np.testing.assert_allclose(a.y, np.sin(2 * np.pi * a.x[:, 0]))
    assert np.all(np.abs(linear_regression_data(50, 1, 0.0, 0, inputs="uniform").x) <= np.sqrt(3))
    for bad in ({"n": 0}, {"n": 5, "frequency": -1.0}, {"n": 5, "noise": np.nan}):
        with pytest.raises(InvalidInputError):
            sine_regression_data(**bad)
    with pytest.raises(InvalidInputError, match="inputs"):
        linear_regression_data(5, 1, 0.0, 0, inputs="cauchy")


def test_deep_linear_net_of_any_depth_has_its_stated_minima():
    from toymodels.claims.zoo_conformance import check_entry

    model = zoo.get("linear_net", depth=4, width=2, n=6)
    assert model.dim == 2 * 2 + 2 * 4 + 2
    assert check_entry(model, np.random.default_rng(0), n_points=4)["ok"]
    with pytest.raises(InvalidInputError):
        zoo.get("tanh_net", width=0)
