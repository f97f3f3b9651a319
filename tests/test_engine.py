"""The JAX engine against the NumPy path: same derivatives, trajectories, statuses and batches.

Both backends run the same optimizer code (toymodels.optim, written against ``xp``); the NumPy
path evaluates the symbolic derivatives, the engine JAX's autodiff of the compiled loss, so the
agreement below is between two independent derivative computations.
"""

import numpy as np
import pytest

from toymodels import Model, backend, optim, simulate, zoo
from toymodels.errors import InvalidInputError, UnsupportedError

jax = pytest.importorskip("jax")
jnp = jax.numpy
from toymodels.jax_model import engine  # noqa: E402  (needs JAX)

MODELS = [("two_layer_scalar", {}), ("lcosh_xy", {}), ("zhu_minimal", {}), ("rosenbrock", {}),
          ("linear_regression", {"n": 8}), ("tanh_net", {"width": 6, "n": 20})]


def relative_error(a, b):
    """max |a − b| / max |b| over the finite entries; infinite where NaN or inf entries differ."""
    a, b = np.asarray(a), np.asarray(b)
    finite = np.isfinite(b)
    if not np.array_equal(np.isfinite(a), finite) or not np.array_equal(a[~finite], b[~finite], equal_nan=True):
        return np.inf
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    return 0.0 if b.size == 0 else np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize(("name", "parameters"), MODELS)
def test_autodiff_matches_symbolic_derivatives(name, parameters):
    m = zoo.get(name, **parameters)
    rng = np.random.default_rng(0)
    x, v = rng.normal(size=(2, 5, m.dim)) * 0.7
    j = engine(m)
    pairs = [(j.call("loss", x), m.numeric.loss(x)), (j.call("grad", x), m.numeric.grad(x)),
             (j.call("hvp", x, v), m.numeric.hvp(x, v)), (j.call("hess", x), m.numeric.hess(x)),
             (j.call("sharpness", x), m.numeric.sharpness(x))]
    if m.has_data:
        batch = rng.integers(0, m.n_samples, size=(5, 3))
        pairs += [(j.call("grad", x, batch=batch), m.numeric.grad(x, batch)),
                  (j.call("hess", x, batch=batch[0]), m.numeric.hess(x, batch[0]))]
    for ours, reference in pairs:
        assert ours.shape == reference.shape
        assert relative_error(ours, reference) <= 1e-12


def test_a_wrong_derivative_is_rejected_by_the_same_check():
    m = zoo.get("tanh_net", width=3, n=6)
    x = np.random.default_rng(1).normal(size=(4, m.dim))
    assert relative_error(engine(m).call("grad", x) * (1 + 1e-9), m.numeric.grad(x)) > 1e-10


def both(model, opt, x0, steps, **options):
    return [simulate(model, opt, x0, steps, backend=b, **options) for b in ("numpy", "jax")]


def assert_same_run(ours, reference, tol=1e-12, lr_tol=1e-12):
    np.testing.assert_array_equal(ours.status, reference.status)
    np.testing.assert_array_equal(ours.stop_step, reference.stop_step)
    np.testing.assert_array_equal(ours.steps, reference.steps)
    assert ours.x.shape == reference.x.shape and ours.lr.shape == reference.lr.shape
    assert relative_error(ours.x, reference.x) <= tol
    assert relative_error(ours.lr, reference.lr) <= lr_tol
    assert sorted(ours.metrics) == sorted(reference.metrics)
    for name in reference.metrics:
        assert relative_error(ours.metrics[name], reference.metrics[name]) <= tol, name


TWO_LAYER = zoo.get("two_layer_scalar", y=1)
STARTS = np.array([[1.5, 0.3], [0.4, 1.2], [2.0, -0.5]])


# 150 steps: blocks of save intervals run without masks, intervals that do not fill a block, and a
# last shorter interval (toymodels.jax_simulate.BLOCK_STEPS)
@pytest.mark.parametrize("save_every", [1, 7, 20])
@pytest.mark.parametrize("opt", [optim.GD(0.1), optim.GD(np.array([0.05, 0.1, 0.2])), optim.NormalizedGD(0.01),
                                 optim.SqrtLossGD(0.01), optim.Momentum(0.05, beta=0.8), optim.DAL(p=1),
                                 optim.DAL(p=0, lr_max=0.05), optim.Nesterov(0.05, beta=0.8),
                                 optim.EMAMomentum(0.05, beta=0.8, preconditioner=[1.0, 2.0]),
                                 optim.RMSProp(0.01), optim.RMSProp(0.01, scalar=True),
                                 optim.Adam(0.01, eps=1e-8)])
def test_same_trajectories_on_non_chaotic_runs(opt, save_every):
    numpy_run, jax_run = both(TWO_LAYER, opt, STARTS, 150, record=("loss", "grad_norm", "sharpness"),
                              save_every=save_every)
    assert numpy_run.meta["backend"] == "numpy" and jax_run.meta["backend"] == "jax"
    assert list(jax_run.status) == ["finished"] * 3
    lr_tol = 1e-12
    if isinstance(opt, optim.SqrtLossGD):
        # lr = η/(2√(L − L*)): near the minimum a rounding error of order ε·L(x0) in L is a
        # relative error ε·L(x0)/(L − L*) in L − L*, half of it in the lr
        loss = numpy_run.metrics["loss"]
        lr_tol = 1e-12 * np.max(loss[0] / loss)
    assert_same_run(jax_run, numpy_run, lr_tol=lr_tol)


def test_same_trajectories_on_a_network_with_data():
    m = zoo.get("tanh_net", width=4, n=10)
    x0 = np.random.default_rng(2).normal(size=(3, m.dim)) * 0.5
    numpy_run, jax_run = both(m, optim.GD(0.2), x0, 50, record=("loss", "sharpness"), save_every=10)
    assert_same_run(jax_run, numpy_run)
    numpy_run, jax_run = both(m, optim.GD(0.2), x0[0], 20)  # a single start: no batch axes
    assert jax_run.status.shape == () and jax_run.x.shape == (21, m.dim)
    assert_same_run(jax_run, numpy_run)


# blocks of intervals first run without masks, and again step by step where a start stopped in them
# (toymodels.jax_simulate.BLOCK_STEPS)
@pytest.mark.parametrize("save_every", [3, 50])
def test_same_statuses_at_the_same_steps_on_diverging_runs(save_every):
    m = zoo.get("quadratic", eigenvalues=(2.0, 0.02))
    lrs = np.array([[0.5], [0.99], [1.01], [1.2]])
    numpy_run, jax_run = both(m, optim.GD(lrs), np.tile([[0.1, 0.1], [0.0, 0.1]], (4, 1, 1)), 300,
                              record=("loss", "sharpness"), save_every=save_every)
    assert set(numpy_run.status.ravel()) == {"finished", "diverged"}
    assert_same_run(jax_run, numpy_run)
    # the undefined start (log of a negative number), an exact stationary point, and tol
    m = Model.from_string("log(a) + b**2", params="a b")
    assert_same_run(*both(m, optim.GD(0.1), np.array([[-1.0, 1.0], [1.0, 1.0]]), 5)[::-1])
    assert_same_run(*both(TWO_LAYER, optim.NormalizedGD(0.1), np.array([[1.0, 1.0], [2.0, 1.0]]), 40,
                          save_every=save_every)[::-1])
    run, reference = both(TWO_LAYER, optim.GD(0.1), np.array([[2.0, 0.51], [1.0, 0.2]]), 500, tol=1e-8,
                          save_every=save_every)[::-1]
    assert list(run.status) == ["converged", "converged"]
    assert_same_run(run, reference)


def test_metric_overflow_is_the_same_status_with_an_infinite_bound():
    # exp overflows before the norm bound: the recorded metric stops the run at the previous save
    m = Model.from_string("exp(a**2) + b**2", params="a b")
    runs = both(m, optim.GD(0.3), np.array([[2.0, 0.1], [0.01, 0.1]]), 30, max_norm=np.inf, save_every=4)
    assert list(runs[0].status) == ["diverged", "finished"]
    assert_same_run(runs[1], runs[0])


@pytest.mark.parametrize("replace", [False, True])
def test_same_sgd_trajectories_given_the_same_batches(replace):
    m = zoo.get("linear_regression", n=8)
    x0 = np.random.default_rng(3).normal(size=(2, 3, 2))
    batches = np.random.default_rng(4).integers(0, 8, size=(25, 2, 3, 3))
    opt = optim.SGD(np.array([[0.1], [0.3]]), 3, replace=replace)
    numpy_run, jax_run = both(m, opt, x0, 25, batches=batches, record=("loss",), save_every=20)
    assert_same_run(jax_run, numpy_run)
    drawn = simulate(m, opt, x0, 25, backend="jax", record=("loss",))
    assert relative_error(drawn.x, jax_run.x) > 1e-3  # the given batches were used, not drawn ones


@pytest.mark.parametrize("b", ["numpy", "jax"])
@pytest.mark.parametrize("replace", [False, True])
def test_sgd_draws_are_reproducible_from_the_seed(b, replace):
    m = zoo.get("linear_regression", n=8)
    opt = optim.SGD(0.1, 3, replace=replace)
    x0 = np.zeros((4, 2))
    first, again, other = (simulate(m, opt, x0, 20, seed=s, backend=b).x for s in (7, 7, 8))
    np.testing.assert_array_equal(first, again)
    assert np.max(np.abs(first - other)) > 1e-3
    assert np.max(np.abs(first[:, 0] - first[:, 1])) > 1e-3  # each start draws its own batches


def test_engine_batches_are_uniform_subsets():
    from toymodels.jax_simulate import JaxRandom

    with backend.x64():
        rows = np.asarray(JaxRandom(jax.random.key(0)).draw_batches(6, 2, (30000,), False))
    assert np.all(rows[:, 0] != rows[:, 1])
    pairs = np.bincount(np.sort(rows, axis=1) @ [6, 1], minlength=36).reshape(6, 6)[np.triu_indices(6, 1)]
    # 15 equally likely subsets of 30000 draws: each count is 2000 ± 3·√(2000·14/15)
    assert np.all(np.abs(pairs - 2000) < 3 * np.sqrt(2000 * 14 / 15))


def test_double_precision_is_scoped_to_the_engine():
    run = simulate(TWO_LAYER, optim.GD(0.1), STARTS, 10, backend="jax")
    assert run.x.dtype == np.float64
    assert jnp.ones(1).dtype == jnp.float32  # the user's global default is untouched


def test_a_sweep_over_learning_rates_compiles_once():
    simulate(TWO_LAYER, optim.GD(0.1), STARTS, 12, backend="jax")
    before = len(engine(TWO_LAYER).compiled)
    run = simulate(TWO_LAYER, optim.GD(0.2), STARTS, 12, backend="jax")
    assert len(engine(TWO_LAYER).compiled) == before
    assert_same_run(run, simulate(TWO_LAYER, optim.GD(0.2), STARTS, 12, backend="numpy"))


def test_bad_batches_are_rejected():
    m = zoo.get("linear_regression", n=8)
    with pytest.raises(InvalidInputError, match="shape"):
        simulate(m, optim.SGD(0.1, 3), np.zeros(2), 5, batches=np.zeros((4, 3), dtype=int))
    with pytest.raises(InvalidInputError, match="SGD"):
        simulate(TWO_LAYER, optim.GD(0.1), np.zeros(2), 5, batches=np.zeros((5, 3), dtype=int))
    with pytest.raises(InvalidInputError, match="backend"):
        simulate(TWO_LAYER, optim.GD(0.1), np.zeros(2), 5, backend="torch")


# -- diagnostics ---------------------------------------------------------------------------------
def test_sharpness_on_both_backends_and_both_methods():
    m = zoo.get("tanh_net", width=12, n=10, frequency=2.0)
    theta = np.random.default_rng(5).normal(size=(2, 3, m.dim)) * 0.6
    reference = np.linalg.eigvalsh(m.numeric.hess(theta))[..., -1]
    from toymodels import diagnostics
    for b in ("numpy", "jax"):
        for method in ("dense", "lanczos"):
            values = diagnostics.sharpness(m, theta, method=method, backend=b)
            assert values.shape == (2, 3) and relative_error(values, reference) <= 1e-10, (b, method)


def test_lanczos_finds_the_largest_algebraic_eigenvalue_when_all_are_negative():
    from toymodels import diagnostics
    # H = -diag(1, 2, …, 8) - 0.1·(all ones): every eigenvalue negative, λ1 closest to zero
    m = Model.from_string(" + ".join(f"-{k}*x{k}**2/2" for k in range(1, 9)) + " - 0.1*(" + "+".join(
        f"x{k}" for k in range(1, 9)) + ")**2/2", params=" ".join(f"x{k}" for k in range(1, 9)))
    theta = np.zeros((2, 8))
    expected = np.linalg.eigvalsh(-np.diag(np.arange(1.0, 9.0)) - 0.1)[-1]
    assert expected < 0
    for b in ("numpy", "jax"):
        values = diagnostics.sharpness(m, theta, method="lanczos", backend=b)
        assert np.max(np.abs(values - expected)) <= 1e-12 * 8
        # the largest eigenvalue in magnitude (what unshifted power iteration finds) is rejected
        assert np.min(np.abs(values - np.linalg.eigvalsh(-np.diag(np.arange(1.0, 9.0)) - 0.1)[0])) > 7


@pytest.mark.parametrize("replace", [False, True])
def test_same_minibatch_sharpness_exactly_enumerated(replace):
    from toymodels import diagnostics
    m = zoo.get("tanh_net", width=3, n=7)
    theta = np.random.default_rng(6).normal(size=(3, m.dim))
    numpy_bs, jax_bs = (diagnostics.minibatch_curvatures(m, theta, 3, replace=replace, backend=b)
                        for b in ("numpy", "jax"))
    assert numpy_bs[0].exact and jax_bs[0].exact
    for ours, reference in zip(jax_bs, numpy_bs):
        assert relative_error(ours.value, reference.value) <= 1e-12
    monte_carlo = [diagnostics.minibatch_sharpness(m, theta, 3, n_batches=64, seed=2, backend=b)
                   for b in ("numpy", "jax")]
    assert relative_error(monte_carlo[1].value, monte_carlo[0].value) <= 1e-12
    assert relative_error(monte_carlo[1].stderr, monte_carlo[0].stderr) <= 1e-9
