"""The uv model: the zoo entry, its exact function-space map against GD in parameter space, the
catapult threshold, and periodic orbits with their multipliers."""

import numpy as np
import pytest

from toymodels import optim, simulate, uv, zoo
from toymodels.errors import InvalidInputError
from toymodels.sweep import orbit_period


def test_width_one_is_two_layer_scalar_and_widths_are_checked():
    assert zoo.get("uv", n=1, y=2).label() == zoo.get("two_layer_scalar", y=2).label()
    model = zoo.get("uv", n=3, y=1)
    assert model.dim == 6 and [str(p) for p in model.params][:2] == ["u1", "u2"]
    for bad in ({"n": 0}, {"n": 2.5}, {"n": 2, "y": 0}):
        with pytest.raises(InvalidInputError):
            zoo.get("uv", **bad)


@pytest.mark.parametrize("n", [1, 3])
def test_function_space_map_is_gd_in_parameter_space(n):
    """(f, λ) computed from the parameters of a GD run equal the reduced map's iterates."""
    rng = np.random.default_rng(n)
    model = zoo.get("uv", n=n, y=0.7)
    theta = rng.normal(size=(5, 2 * n))
    lrs = np.array([0.2, 0.5, 0.9, 1.3, 1.7])
    run = simulate(model, optim.GD(lrs), theta, 40, record=())
    u, v = run.x[..., :n], run.x[..., n:]
    f_path = np.sum(u * v, axis=-1) / np.sqrt(n)
    lam_path = np.sum(u**2 + v**2, axis=-1) / n
    f, lam = f_path[0], lam_path[0]
    for k in range(1, 41):
        f, lam = uv.step(f, lam, lrs, n, 0.7)
        np.testing.assert_allclose(f, f_path[k], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(lam, lam_path[k], rtol=1e-9, atol=1e-12)


def test_jacobian_matches_finite_differences():
    x, h = np.array([0.4, 1.3]), 1e-6
    route = uv.function_space_route(4, 0.5)
    numeric = np.column_stack([(route.step(x + h * e, 0.8) - route.step(x - h * e, 0.8)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(route.jacobian(x, 0.8), numeric, rtol=1e-7, atol=1e-9)


def test_start_has_the_requested_function_and_kernel():
    w = uv.start(6, 0.5, 1.0)
    u, v = w[:6], w[6:]
    assert np.isclose(u @ v / np.sqrt(6), 0.5) and np.isclose((u @ u + v @ v) / 6, 1.0)
    with pytest.raises(InvalidInputError, match="need"):
        uv.start(1, 2.0, 1.0)


def test_zero_target_threshold_is_four_and_a_bad_bracket_is_refused():
    assert abs(uv.catapult_threshold([7], 0.0, 0.5, 1.0, steps=3000, xtol=1e-6)[0] - 4) < 1e-5
    with pytest.raises(InvalidInputError, match="bracket"):
        uv.catapult_threshold([7], 0.1, 0.5, 1.0, low=4.5, high=6.0)


def test_two_cycle_loses_stability_between_the_doublings():
    """n = 1, y = 1: the 2-cycle is stable at η = 1.2 and unstable at η = 1.25 (√5 − 1 ≈ 1.236 between)."""
    route = uv.function_space_route(1, 1.0)
    stable = uv.lowest_multiplier(route, uv.settle(route, np.array([0.8, 1.8]), 1.2, 3000), 1.2, 2)[1]
    unstable = uv.lowest_multiplier(route, uv.settle(route, np.array([0.8, 1.8]), 1.2, 3000), 1.25, 2)[1]
    assert -1 < stable < 1 and unstable < -1


def test_orbit_period_finds_the_smallest_period():
    t = np.arange(33)
    states = np.stack([np.cos(np.pi * t / 2), np.full(33, 3.0), np.cos(0.7 * t)], axis=1)[..., None]
    np.testing.assert_array_equal(orbit_period(states), [4, 1, 0])
