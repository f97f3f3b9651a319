"""A failure belongs to its start: integrations, the limit map and the geometry of Γ on a batch
keep the other starts and report each failure as that start's status (issue: reliability)."""

import numpy as np
import pytest

import toymodels as tm
from toymodels import status
from toymodels.errors import LimitMapError, SingularError
from toymodels.limit_map import limit_map
from toymodels.manifold import closest_point, distance_to_manifold, lambda1_gradient, normal_offset, top_eigenpair


def _counts(sol):
    return dict(zip(*np.unique(sol.status, return_counts=True)))


@pytest.mark.parametrize("method,options", [("dop853", {}), ("rk4", {"dt": 0.01})])
def test_principal_flow_in_three_dimensions_survives_starts_that_overflow(method, options):
    # Before: numpy.linalg.LinAlgError "Array must not contain infs or NaNs" for the whole batch,
    # from LAPACK at the trial states of the starts that blow up.
    m = tm.zoo.get("deep_scalar")
    x0 = np.random.default_rng(0).uniform(-2, 2, (40, 3)) + 0j
    field = tm.flows.principal(m, 0.2, allow_singular=method == "rk4")
    sol = tm.integrate(field, x0, 1.0, method=method, **options)
    counts = _counts(sol)
    assert set(counts) <= {status.FINISHED, status.DIVERGED} and counts[status.FINISHED] >= 10
    finished = sol.status == status.FINISHED
    # the finished starts are the same as when integrated alone
    alone = tm.integrate(field, x0[finished][:3], 1.0, method=method, **options)
    np.testing.assert_allclose(sol.final[finished][:3], alone.final, rtol=1e-12, atol=1e-12)
    assert np.all(np.isfinite(sol.x))


def test_a_start_that_meets_lr_lambda_equal_to_one_is_singular_and_the_others_finish():
    # Before: one trajectory reaching ηλ = 1 raised SingularError for the whole batch.
    m = tm.zoo.get("two_layer_scalar")
    x0 = np.random.default_rng(0).uniform(-2, 2, (1000, 2))
    # the 4 starts of this draw whose paths meet ηλ2 = 1 at lr 0.3 (found by integrating all
    # 1000), 2 that diverge, and the first 20
    chosen = x0[[145, 741, 882, 967, 4, 5, *range(7, 13), *range(14, 26)]] + 0j
    field = tm.flows.principal(m, 0.3)
    sol = tm.integrate(field, chosen, 1.5)
    singular = sol.status == status.SINGULAR
    assert singular[:4].all() and (sol.status[4:] != status.SINGULAR).all()
    assert (sol.status == status.FINISHED).sum() >= 10
    assert "lr·λ = 1" in sol.meta["status_messages"][status.SINGULAR]
    # Saved densely, their last states (at most 0.001 before the stop) sit at ηλ ≈ 1. Where the
    # steps land decides whether one comes within 1e-12 of ηλ = 1 (singular) or the step
    # collapses just before it (on a finite or a non-finite field value); either way the start
    # stops there, alone.
    dense = tm.integrate(field, chosen[:4], 1.5, saveat=np.linspace(0, 1.5, 1501))
    assert status.FINISHED not in set(dense.status)
    last = dense.x[dense.valid.sum(axis=0) - 1, np.arange(4)]
    lam = np.linalg.eigvalsh(m.numeric.hess(last.real))
    assert np.min(np.abs(0.3 * lam - 1), axis=-1).max() < 0.05


def test_a_start_at_lr_lambda_equal_to_one_is_singular_at_time_zero():
    m = tm.zoo.get("two_layer_scalar")  # at θ = 0 the Hessian [[0, −1], [−1, 0]] has λ = 1
    sol = tm.integrate(tm.flows.principal(m, 1.0), np.array([[0.0, 0.0], [1.5, 0.5]]) + 0j, 2.0)
    assert sol.status.tolist() == [status.SINGULAR, status.FINISHED]
    assert sol.stop_time[0] == 0.0
    # called directly, the field still explains the singularity
    with pytest.raises(SingularError, match="allow_singular"):
        tm.flows.principal(m, 1.0)(np.zeros(2))


def test_a_field_that_raises_for_some_states_fails_only_those_starts():
    def field(x):
        if np.any(x[..., 0] > 1.5):
            raise SingularError("x0 > 1.5 is outside this field's domain")
        return np.ones_like(x)

    sol = tm.integrate(field, np.array([[0.0], [1.0], [2.0]]), 1.0)
    assert sol.status.tolist() == [status.FINISHED, status.SINGULAR, status.SINGULAR]
    np.testing.assert_allclose(sol.final[0], [1.0])
    assert 0.49 < sol.stop_time[1] <= 0.5 and sol.stop_time[2] == 0.0
    np.testing.assert_allclose(sol.final[1], 1.0 + sol.stop_time[1])


def test_limit_map_keeps_the_other_points_with_errors_status():
    m = tm.zoo.get("two_layer_scalar")
    start = np.array([[0.5, -0.5], [2.0, 0.51]])  # the first flows to the saddle at the origin
    for method, options in (("conserved", {}), ("flow", {"max_time": 50.0})):
        with pytest.raises(LimitMapError, match="errors='status'"):
            limit_map(m, start, method=method, **options)
        phi, why = limit_map(m, start, method=method, errors="status", **options)
        assert why.tolist() == [status.NOT_CONVERGED, status.FINISHED]
        assert np.all(np.isnan(phi[0]))
        np.testing.assert_allclose(phi[1], limit_map(m, start[1:], method="conserved")[0], atol=1e-9)


def test_geometry_of_the_manifold_keeps_the_regular_points_with_errors_status():
    flat = tm.zoo.get("quadratic", eigenvalues=(1, 1, 0))  # λ1 = λ2 on Γ: not simple
    lam1, u1, grad, why = lambda1_gradient(flat, [[0.0, 0.0, 0.3]], errors="status")
    assert why.tolist() == [status.SINGULAR] and np.isnan(lam1[0]) and np.all(np.isnan(grad))
    m = tm.zoo.get("two_layer_scalar")
    points = np.array([[1.0, 1.05], [0.0, 0.0]])  # near Γ, and the saddle where J = 0
    foot, why = closest_point(m, points, errors="status")
    assert why.tolist() == [status.FINISHED, status.NOT_CONVERGED] and np.all(np.isnan(foot[1]))
    np.testing.assert_allclose(foot[0], closest_point(m, points[:1])[0])
    distance, why = distance_to_manifold(m, points, errors="status")
    assert why[0] == status.FINISHED and np.isnan(distance[1])
    offset, why = normal_offset(m, points, errors="status")
    assert why[0] == status.FINISHED and offset[0] == pytest.approx(normal_offset(m, points[:1])[0])
    lam, u, why = top_eigenpair(m, points, errors="status")
    assert why.tolist() == [status.FINISHED, status.FINISHED]
    with pytest.raises(SingularError, match="errors='status'"):
        closest_point(m, points)
    with pytest.raises(tm.errors.InvalidInputError, match="'raise' or 'status'"):
        closest_point(m, points, errors="ignore")
