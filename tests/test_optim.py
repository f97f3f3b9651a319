"""Optimizer updates against their formulas, run status, and bad input."""

import numpy as np
import pytest

from toymodels import Model, optim, simulate, zoo
from toymodels.errors import InvalidInputError, UnknownNameError, UnsupportedError

TWO_LAYER = zoo.get("two_layer_scalar")


def _grad(x):  # ∇½(ab − 1)², written out by hand
    a, b = x[..., 0], x[..., 1]
    r = a * b - 1
    return np.stack([r * b, r * a], axis=-1)


def _loss(x):
    return 0.5 * (x[..., 0] * x[..., 1] - 1) ** 2


X0 = np.array([[2.0, 0.51], [-1.0, 0.3], [0.2, 1.5]])


def test_gd_ngd_sqrt_momentum_match_hand_written_updates():
    lr, steps = 0.05, 7
    x, xn, xs, xm, vel = X0.copy(), X0.copy(), X0.copy(), X0.copy(), np.zeros_like(X0)
    for _ in range(steps):
        x = x - lr * _grad(x)
        g = _grad(xn)
        xn = xn - lr * g / np.linalg.norm(g, axis=-1, keepdims=True)
        xs = xs - lr * _grad(xs) / (2 * np.sqrt(_loss(xs)))[..., None]
        vel = 0.9 * vel - lr * _grad(xm)
        xm = xm + vel
    for opt, expected in ((optim.GD(lr), x), (optim.NormalizedGD(lr), xn), (optim.SqrtLossGD(lr), xs),
                          (optim.Momentum(lr, beta=0.9), xm)):
        run = simulate(TWO_LAYER, opt, X0, steps)
        np.testing.assert_allclose(run.final, expected, rtol=1e-13, err_msg=opt.name)
        assert run.x.shape == (steps + 1, 3, 2)


def test_lr_actually_used_is_recorded():
    run = simulate(TWO_LAYER, optim.NormalizedGD(0.1), X0, 3)
    np.testing.assert_allclose(run.lr[0], 0.1 / np.linalg.norm(_grad(X0), axis=-1))
    run = simulate(TWO_LAYER, optim.SqrtLossGD(0.1), X0, 3)
    np.testing.assert_allclose(run.lr[0], 0.1 / (2 * np.sqrt(_loss(X0))))


def test_dal_steps_at_two_over_lambda1_when_the_gradient_is_an_eigenvector():
    # On a diagonal quadratic with θ on an eigen-axis, ∇L ∥ u1, so v = λ1 and η = 2/λ1.
    m = zoo.get("quadratic", eigenvalues=(4.0, 0.5))
    lr, _ = optim.DAL(p=1).lr_at(m.numeric, np.array([[0.7, 0.0], [0.0, 0.3]]))
    np.testing.assert_allclose(lr, [2 / 4.0, 2 / 0.5])
    lr, _ = optim.DAL(p=1, lr_max=1.0).lr_at(m.numeric, np.array([0.0, 0.3]))
    assert lr == 1.0  # capped at lr_max
    lr, _ = optim.DAL(p=2).lr_at(m.numeric, np.array([0.7, 0.0]))
    assert lr == pytest.approx(2 / 16)


def test_sgd_batches_and_reproducibility():
    m = zoo.get("linear_regression", n=12)
    opt = optim.SGD(0.05, batch_size=4)
    a = simulate(m, opt, np.zeros((5, 2)), 50, seed=3)
    b = simulate(m, opt, np.zeros((5, 2)), 50, seed=3)
    c = simulate(m, opt, np.zeros((5, 2)), 50, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    assert not np.allclose(a.final[0], a.final[1])  # every start draws its own batches
    rng = np.random.default_rng(0)
    batches = opt.draw_batches(12, (1000,), rng)
    assert all(len(set(row)) == 4 for row in batches)  # without replacement
    counts = np.bincount(batches.ravel(), minlength=12)
    assert counts.min() > 250 and counts.max() < 420  # uniform: 1000·4/12 ≈ 333 each
    with_replacement = optim.SGD(0.05, 11, replace=True).draw_batches(12, (200,), rng)
    assert any(len(set(row)) < 11 for row in with_replacement)
    # full batch without replacement is GD
    full = simulate(m, optim.SGD(0.05, 12), np.zeros(2), 20)
    gd = simulate(m, optim.GD(0.05), np.zeros(2), 20)
    np.testing.assert_allclose(full.x, gd.x, rtol=1e-13, atol=1e-15)


def test_divergence_is_a_recorded_status_without_nan():
    m = zoo.get("quadratic", eigenvalues=(2.0, 0.02))
    run = simulate(m, optim.GD(1.2), np.array([[0.1, 0.1], [0.0, 0.1]]), 300,
                   record=("loss", "sharpness", "grad_norm"))
    assert list(run.status) == ["diverged", "finished"]
    assert 0 < run.stop_step[0] < 300 and run.stop_step[1] == 300
    assert np.all(np.isfinite(run.x)) and all(np.all(np.isfinite(v)) for v in run.metrics.values())
    assert np.all(np.linalg.norm(run.x[:, 0], axis=-1) <= 1e6)
    assert run.valid[:, 0].sum() == run.stop_step[0] + 1
    np.testing.assert_array_equal(run.lr[run.stop_step[0] + 1:, 0], 0.0)
    assert np.linalg.norm(run.x[run.stop_step[0], 0]) <= 1e6 < np.linalg.norm(
        run.x[run.stop_step[0], 0] - 1.2 * m.numeric.grad(run.x[run.stop_step[0], 0]))


def test_log_cosh_does_not_overflow():
    # literal log(cosh(xy)) overflows in float64 once |xy| > 710; the zoo uses the stable form
    run = simulate(zoo.get("lcosh_xy"), optim.GD(1e-4), np.array([[30.0, 30.0], [0.5, 0.5]]), 5)
    assert list(run.status) == ["finished", "finished"]
    assert run.metrics["loss"][0, 0] == pytest.approx(900 - np.log(2), rel=1e-15)


def test_start_outside_the_domain_is_a_status():
    m = Model.from_string("log(a) + b**2", params="a b")
    run = simulate(m, optim.GD(0.1), np.array([[-1.0, 1.0], [1.0, 1.0]]), 5)
    assert list(run.status) == ["diverged", "finished"] and run.stop_step[0] == 0
    np.testing.assert_array_equal(run.x[:, 0], np.broadcast_to([-1.0, 1.0], (6, 2)))
    assert np.all(np.isfinite(run.metrics["loss"][:, 1]))


def test_exact_minimum_counts_as_converged():
    run = simulate(TWO_LAYER, optim.NormalizedGD(0.1), np.array([[1.0, 1.0], [2.0, 1.0]]), 10)
    assert run.status[0] == "converged" and run.stop_step[0] == 0 and run.status[1] == "finished"
    run = simulate(TWO_LAYER, optim.GD(0.1), np.array([2.0, 0.51]), 2000, tol=1e-8)
    assert run.status == "converged" and run.stop_step < 2000


def test_learning_rate_sweep_as_one_batch():
    m = zoo.get("quadratic", eigenvalues=(2.0,))
    lrs = np.array([0.5, 0.99, 1.01])
    run = simulate(m, optim.GD(lrs), np.full((3, 1), 0.3), 2000)
    assert list(run.status) == ["finished", "finished", "diverged"]


def test_save_every_and_round_trip(tmp_path):
    run = simulate(TWO_LAYER, optim.GD(0.1), X0, 25, record=("loss", "sharpness"), save_every=10)
    assert list(run.steps) == [0, 10, 20, 25] and list(run.lr_steps) == [0, 10, 20]
    run.save(tmp_path / "run.npz")
    back = type(run).load(tmp_path / "run.npz")
    np.testing.assert_array_equal(back.x, run.x)
    np.testing.assert_array_equal(back.metrics["sharpness"], run.metrics["sharpness"])
    assert back.meta["optimizer"] == "gd" and "status counts" in run.summary()


@pytest.mark.parametrize("make", [lambda: optim.GD(0), lambda: optim.GD(-1), lambda: optim.GD(np.inf),
                                  lambda: optim.GD(np.nan), lambda: optim.GD("fast"),
                                  lambda: optim.SGD(0.1, 0), lambda: optim.SGD(0.1, 2.5),
                                  lambda: optim.DAL(p=-1), lambda: optim.Momentum(0.1, beta=1.0)])
def test_bad_hyperparameters(make):
    with pytest.raises(InvalidInputError):
        make()


def test_bad_runs_are_explained():
    with pytest.raises(InvalidInputError, match=r"shape \(\.\.\., 2\)"):
        simulate(TWO_LAYER, optim.GD(0.1), [1.0, 2.0, 3.0], 5)
    with pytest.raises(InvalidInputError, match="larger than the dataset"):
        simulate(zoo.get("linear_regression", n=8), optim.SGD(0.1, 9), np.zeros(2), 5)
    with pytest.raises(UnsupportedError, match="needs a model with data"):
        simulate(TWO_LAYER, optim.SGD(0.1, 2), np.zeros(2), 5)
    with pytest.raises(UnsupportedError, match="min_loss"):
        simulate(Model.from_string("a**2 + b", params="a b"), optim.SqrtLossGD(0.1), np.zeros(2), 5)
    with pytest.raises(UnknownNameError, match="recordable"):
        simulate(TWO_LAYER, optim.GD(0.1), np.zeros(2), 5, record=("sharpnes",))
    with pytest.raises(InvalidInputError, match="NaN"):
        simulate(TWO_LAYER, optim.GD(0.1), [np.nan, 0.0], 5)
