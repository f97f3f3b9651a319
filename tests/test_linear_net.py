"""The matrix linear network of the zoo: the user's M, its stated facts, the refusals, and the
checks of its claims failing on wrong statements."""

import numpy as np
import pytest

from toymodels import zoo
from toymodels.claims import eos_linear_net, manifold_linear_net, zoo_conformance
from toymodels.datasets import linear_regression_data
from toymodels.errors import InvalidInputError
from toymodels.limit_map import conserved_quantities, limit_map
from toymodels.manifold import sample_manifold
from toymodels.zoo.linear_nets import path_point, target_matrix

M = [[2, 0.5], [0.3, 1]]


def test_a_users_target_sets_the_sizes_and_the_loss():
    net = zoo.get("linear_net", target=M, data="whitened")
    assert net.dim == 8 and not net.has_data and len(net.manifold) == 4 and len(net.conserved) == 3
    assert np.array_equal(target_matrix(net), M)
    w1, w2 = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[0.3, 0.1], [-2.0, 1.5]])
    theta = np.r_[w1.ravel(), w2.ravel()]
    assert np.isclose(net.numeric.loss(theta), 0.5 * np.sum((w2 @ w1 - np.array(M)) ** 2), rtol=1e-14)
    wide = zoo.get("linear_net", target=M, data="whitened", width=3)
    assert wide.dim == 12 and len(wide.conserved) == 6
    flat = zoo.get("linear_net", target=(2, 0.5, 0.3, 1), outputs=2, data="whitened")  # as the CLI passes it
    assert np.array_equal(target_matrix(flat), M)


def test_samples_variant_fits_y_equal_mx_and_keeps_the_historical_data():
    net = zoo.get("linear_net", target=M, n=6, seed=3)
    x, y = net.data[:, :2], net.data[:, 2:]
    assert net.data.shape == (6, 4) and np.allclose(y, x @ np.array(M).T, rtol=1e-14)
    assert net.min_loss == 0 and len(net.manifold) == 4 and net.lambda1_on_manifold is None
    old = zoo.get("linear_net", depth=3, n=6, seed=2)  # scalar output: the same samples as before
    assert np.array_equal(old.data, linear_regression_data(6, 2, 0.0, 2).table)
    assert [str(p) for p in old.params][-2:] == ["v1", "v2"]


@pytest.mark.parametrize("params, message", [
    ({"target": [[1, 2], [2, 4]]}, "rank 1 < min"),
    ({"target": [[1, 0, 0], [0, 1, 0]], "width": 1}, "width 1 < rank M = 2"),
    ({"target": M, "dim": 3}, "leave dim out"),
    ({"target": (1, 2, 3), "outputs": 2}, "cannot be read into outputs=2 rows"),
    ({"target": [["a", 1]]}, "matrix of numbers"),
    ({"target": M, "n": 1}, "do not determine M"),
    ({"data": "population"}, "data must be one of"),
])
def test_bad_targets_are_refused_with_the_reason(params, message):
    with pytest.raises(InvalidInputError, match=message):
        zoo.get("linear_net", **params)


def test_limit_map_integrates_gradient_flow_and_keeps_the_conserved_quantities():
    """3 conserved quantities for 4 directions along Γ: 'auto' takes the flow route, and since
    gradient flow conserves them, Φ(θ) has the same W1W1ᵀ − W2ᵀW2 as θ (an independent check)."""
    net = zoo.get("linear_net", target=M, data="whitened")
    theta = np.random.default_rng(0).standard_normal((4, 8))
    phi = limit_map(net, theta)
    assert np.max(np.abs(net.numeric.constraints(phi))) < 1e-12
    assert np.allclose(conserved_quantities(net, phi), conserved_quantities(net, theta), atol=1e-8)


def test_lambda1_is_at_least_two_sigma1_and_equals_it_where_the_top_path_is_balanced():
    net = zoo.get("linear_net", target=M, data="whitened")
    sigma = np.linalg.svd(np.array(M), compute_uv=False)
    points = sample_manifold(net, 30, np.random.default_rng(1))
    lam = np.linalg.eigvalsh(net.numeric.hess(points))[..., -1]
    assert np.all(lam >= 2 * sigma[0] * (1 - 1e-12))
    balanced = path_point(net, [np.sqrt(sigma[0]), 0.8], rotation_seed=4)
    assert np.allclose(net.numeric.constraints(balanced), 0, atol=1e-14)
    assert np.isclose(np.linalg.eigvalsh(net.numeric.hess(balanced))[-1], 2 * sigma[0], rtol=1e-12)
    unbalanced = path_point(net, [2.0, 1.0], rotation_seed=4)  # σmax(W1) = 2, σmax(W2) = σ1/2
    assert np.isclose(net.numeric.lambda1_on_manifold(unbalanced), 4 + sigma[0] ** 2 / 4, rtol=1e-12)


def test_conformance_rejects_the_frobenius_lambda1_at_balanced_minima():
    measured, minimum, frobenius, _ = zoo_conformance.flattest_linear_minima(np.random.default_rng(2), 3)
    assert np.allclose(measured, minimum, rtol=1e-9)
    assert np.all(frobenius > minimum * (1 + 1e-3))


def test_balance_check_rejects_an_unbalanced_top_path():
    run = manifold_linear_net.linear_sweep("sqrt", True)
    two_sigma1 = 2 * np.linalg.svd(np.array(M), compute_uv=False)[0]
    for comparison in manifold_linear_net._balance_comparisons(run, two_sigma1)[0]:
        comparison.assert_()
    frozen = {key: np.repeat(getattr(run, key)[:1], len(run.phi), axis=0) for key in ("phi", "lambda1_phi")}
    stuck = manifold_linear_net.LinearSweep(**{**vars(run), **frozen})
    failed = [c for c in manifold_linear_net._balance_comparisons(stuck, two_sigma1)[0] if not c.passed]
    assert len(failed) == 2  # a run that never drifts along Γ misses 2σ1(M) and the balance


def test_eos_window_starts_are_sharper_than_the_flattest_minimum():
    net = manifold_linear_net.model()
    sigma1 = np.linalg.svd(np.array(M), compute_uv=False)[0]
    lam = net.numeric.sharpness(limit_map(net, eos_linear_net.starts()))
    assert np.all(2 / lam < 1 / sigma1)  # the window (2/λ1(Φ(θ0)), 1/σ1(M)) is not empty
