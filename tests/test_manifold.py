"""Manifold machinery: Γ geometry, the limit map Φ, the limiting flows, and bad input.

References are independent of the code under test: closed forms typed here from the
derivations (derivations/manifold_*.py), gradient flow integrated to convergence, finite
differences, and the scalar-net formula w*_i² = w_i² + s with ∏(w_i² + s) = y².
"""

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq
from scipy.special import lambertw

from toymodels import Model, optim, simulate, zoo
from toymodels.errors import InvalidInputError, ModelSpecError, SingularError, UnsupportedError
from toymodels.flows import manifold_flow, manifold_ngd, manifold_sqrt, solve_on_manifold
from toymodels.errors import LimitMapError
from toymodels.limit_map import conserved_quantities, limit_map
from toymodels.manifold import (closest_point, distance_to_manifold, lambda1_gradient, normal_offset,
                                sample_manifold, tangent_projector)

TARGETS = ("two_layer_scalar", "arora_valley", "rosenbrock_valley", "zhu_minimal")


def scalar_net_phi(w, y=1.0):
    """Kreisler et al. (2023): Φ_i = ±√(w_i² + s), ∏(w_i² + s) = y²; if the product has the wrong
    sign, the smallest |w_i| crosses zero on the way, so its sign flips."""
    out = []
    for row in np.atleast_2d(w):
        sq = row**2
        s = brentq(lambda s: np.sum(np.log(sq + s)) - 2 * np.log(abs(y)), -sq.min() * (1 - 1e-15), 10.0,
                   xtol=1e-15, rtol=1e-15)
        point = np.sign(row) * np.sqrt(sq + s)
        if np.sign(np.prod(row)) != np.sign(y):
            point[np.argmin(sq)] *= -1
        out.append(point)
    return np.array(out)


def test_zoo_conserved_quantities_are_conserved_by_gradient_flow():
    for name in (*TARGETS, "deep_scalar"):
        m = zoo.get(name)
        assert len(m.conserved) + len(m.manifold) == m.dim
        for c in m.conserved:
            rate = sum(sp.diff(c, p) * g for p, g in zip(m.params, m.grad))
            assert sp.simplify(rate) == 0, (name, c)


def test_phi_by_conserved_quantities_matches_the_scalar_net_formula():
    rng = np.random.default_rng(0)
    for name, box in (("two_layer_scalar", 2.0), ("zhu_minimal", 1.5)):
        m = zoo.get(name)
        w = rng.uniform(0.3, box, (40, m.dim)) * np.sign(rng.standard_normal((40, m.dim)))
        np.testing.assert_allclose(limit_map(m, w), scalar_net_phi(w), atol=1e-12)


def test_phi_of_arora_and_rosenbrock_valleys_matches_lambert_w():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1.5, 1.5, 30), rng.uniform(-1, 1, 30)
    # arora: X² = W(x² e^{x² − y²}); rosenbrock valley: 4X² = W(4x² e^{4y}) (x e^{2y} conserved, y = x²)
    arora = np.sign(x) * np.sqrt(lambertw(x**2 * np.exp(x**2 - y**2)).real)
    np.testing.assert_allclose(limit_map(zoo.get("arora_valley"), np.stack([x, y], -1)),
                               np.stack([arora, 0 * x], -1), atol=1e-12)
    rosen = np.sign(x) * np.sqrt(lambertw(4 * x**2 * np.exp(4 * y)).real / 4)
    np.testing.assert_allclose(limit_map(zoo.get("rosenbrock_valley"), np.stack([x, y], -1)),
                               np.stack([rosen, rosen**2], -1), atol=1e-12)


def test_phi_by_integrating_gradient_flow_agrees_with_the_closed_form():
    rng = np.random.default_rng(2)
    for name in TARGETS:
        m = zoo.get(name)
        theta = sample_manifold(m, 12, rng, box=1.5) + rng.normal(scale=0.3, size=(12, m.dim))
        flow = limit_map(m, theta, method="flow")
        np.testing.assert_allclose(flow, limit_map(m, theta, method="conserved"), atol=1e-9, err_msg=name)
        np.testing.assert_allclose(conserved_quantities(m, flow), conserved_quantities(m, theta), atol=1e-9)


def test_tangent_projector_and_lambda1_gradient():
    rng = np.random.default_rng(3)
    for name in TARGETS:
        m = zoo.get(name)
        points = sample_manifold(m, 10, rng, box=1.5)
        p = tangent_projector(m, points)
        jac = m.numeric.constraints_jacobian(points)
        np.testing.assert_allclose(p @ p, p, atol=1e-12)
        np.testing.assert_allclose(p @ np.swapaxes(jac, -1, -2), 0, atol=1e-12)
        np.testing.assert_allclose(np.trace(p, axis1=-2, axis2=-1), m.dim - len(m.manifold))
        lam, u1, grad = lambda1_gradient(m, points)
        np.testing.assert_allclose(lam, m.numeric.lambda1_on_manifold(points), rtol=1e-12)
        h = 1e-5  # central differences of the sharpness, error O(h²)
        for i in range(m.dim):
            e = np.eye(m.dim)[i] * h
            fd = (m.numeric.sharpness(points + e) - m.numeric.sharpness(points - e)) / (2 * h)
            np.testing.assert_allclose(grad[:, i], fd, atol=1e-7 * (1 + np.abs(fd).max()))


def test_closest_point_distance_and_offset():
    arora = zoo.get("arora_valley")
    theta = np.array([[0.7, 0.3], [-1.2, -0.05]])
    np.testing.assert_allclose(closest_point(arora, theta), [[0.7, 0.0], [-1.2, 0.0]], atol=1e-14)
    np.testing.assert_allclose(distance_to_manifold(arora, theta), [0.3, 0.05], rtol=1e-12)
    np.testing.assert_allclose(normal_offset(arora, theta), [0.3, -0.05], rtol=1e-12)
    m = zoo.get("two_layer_scalar")
    theta = np.array([[2.0, 0.51], [1.0, 0.9], [-0.8, -1.4]])
    foot = closest_point(m, theta)
    np.testing.assert_allclose(foot[:, 0] * foot[:, 1], 1, atol=1e-13)
    normal = foot[:, ::-1]  # ∇(ab) = (b, a)
    cross = (theta - foot)[:, 0] * normal[:, 1] - (theta - foot)[:, 1] * normal[:, 0]
    np.testing.assert_allclose(cross, 0, atol=1e-13)  # θ − π(θ) is normal to Γ
    assert np.all(np.sign(normal_offset(m, theta)) == np.sign(theta[:, 0] * theta[:, 1] - 1))


def _two_layer_ngd_w(w0, T):
    """w(T) of the NGD flow: G(w) = G(w0) − T, G(w) = √(w² + 4) + 2 ln(w/(2 + √(w² + 4))) (y = 1)."""
    def g(v):
        return np.sqrt(v * v + 4) + 2 * np.log(v / (2 + np.sqrt(v * v + 4)))
    return np.sign(w0) * brentq(lambda v: g(v) - (g(abs(w0)) - T), 1e-12, abs(w0), xtol=1e-15)


def test_limiting_flows_match_the_closed_forms_and_stay_on_gamma():
    times = np.array([0.0, 0.5, 1.0, 2.0])
    m = zoo.get("two_layer_scalar")
    start = np.array([2.0, 0.51])
    w0 = 4 - 0.51**2
    ngd = solve_on_manifold(manifold_ngd(m), start, 2.0, saveat=times)
    w = ngd.x[:, 0] ** 2 - ngd.x[:, 1] ** 2
    np.testing.assert_allclose(w, [_two_layer_ngd_w(w0, t) if t else w0 for t in times], atol=1e-9)
    sqrt = solve_on_manifold(manifold_sqrt(m), start, 2.0, saveat=times)
    np.testing.assert_allclose(sqrt.x[:, 0] ** 2 - sqrt.x[:, 1] ** 2, w0 * np.exp(-times / 2), atol=1e-9)
    assert np.all(np.abs(ngd.x[..., 0] * ngd.x[..., 1] - 1) < 1e-13) and ngd.meta["time_unit"].startswith("slow")
    arora = zoo.get("arora_valley")
    x0 = limit_map(arora, np.array([1.5, 0.2]))[0]
    ngd = solve_on_manifold(manifold_ngd(arora), np.array([1.5, 0.2]), 2.0, saveat=times)
    np.testing.assert_allclose(ngd.x[:, 0], np.sqrt(lambertw(x0**2 * np.exp(x0**2 - times)).real), atol=1e-9)
    sqrt = solve_on_manifold(manifold_sqrt(arora), np.array([1.5, 0.2]), 2.0, saveat=times)
    np.testing.assert_allclose(sqrt.x[:, 0], x0 * np.exp(-times / 2), atol=1e-9)
    np.testing.assert_array_equal(sqrt.x[:, 1], 0.0)


def test_limiting_flows_decrease_lambda1_at_the_stated_rates():
    rng = np.random.default_rng(4)
    for name in TARGETS:
        m = zoo.get(name)
        points = sample_manifold(m, 8, rng, box=1.5)
        lam, _, grad = lambda1_gradient(m, points)
        tangential = np.einsum("...ij,...j->...i", tangent_projector(m, points), grad)
        square = np.sum(tangential**2, axis=-1)
        for field, rate in ((manifold_ngd(m), -square / (4 * lam)), (manifold_sqrt(m), -square / 8)):
            np.testing.assert_allclose(np.sum(grad * field(points), axis=-1), rate, rtol=1e-10, atol=1e-13)


def test_flow_names_and_generic_constants():
    m = zoo.get("arora_valley")
    assert manifold_ngd(m).meta == {"coefficient": 0.25, "objective": "log_lambda1", "stabilization": 1.0}
    wrong = manifold_flow(m, 0.125, "log_lambda1")
    np.testing.assert_allclose(wrong(np.array([[1.0, 0.0]])), 0.5 * manifold_ngd(m)(np.array([[1.0, 0.0]])))
    with pytest.raises(InvalidInputError, match="objective"):
        manifold_flow(m, 0.25, "sharpness")


# -- bad input ---------------------------------------------------------------------------------------
def test_model_without_a_manifold_says_how_to_declare_one():
    saddle = zoo.get("saddle")
    for call in (lambda: tangent_projector(saddle, [0.1, 0.2]), lambda: limit_map(saddle, [0.1, 0.2]),
                 lambda: manifold_ngd(saddle)):
        with pytest.raises(UnsupportedError, match=r"manifold=\[g1, g2"):
            call()


def test_rank_deficient_constraints_raise():
    a, b = sp.symbols("a b", real=True)
    doubled = Model((a * b - 1) ** 2 / 2, [a, b], min_loss=0, manifold=[a * b - 1, 2 * a * b - 2])
    with pytest.raises(SingularError, match="rank-deficient"):
        tangent_projector(doubled, [1.0, 1.0])
    lcosh = zoo.get("lcosh_xy")  # Γ = {xy = 0}: the two axes cross at the origin, where ∇(xy) = 0
    tangent_projector(lcosh, [0.0, 1.0])
    with pytest.raises(SingularError, match="rank-deficient"):
        manifold_ngd(lcosh)(np.array([0.0, 0.0]))


def test_phi_that_does_not_converge_raises():
    m = zoo.get("two_layer_scalar")
    start = np.array([[0.5, -0.5], [2.0, 0.51]])  # the first flows to the saddle at the origin
    with pytest.raises(LimitMapError, match=r"θ = \[ 0.5 -0.5\]"):
        limit_map(m, start, method="conserved")
    with pytest.raises(LimitMapError, match="did not come within"):
        limit_map(m, start, method="flow", max_time=50.0)


def test_lambda1_not_simple_raises():
    flat = zoo.get("quadratic", eigenvalues=(1, 1, 0))  # λ1 = λ2 = 1 everywhere on Γ
    with pytest.raises(SingularError, match="not simple"):
        lambda1_gradient(flat, [0.0, 0.0, 0.3])
    # inside an integration the failure is the start's status, with the reason kept
    sol = solve_on_manifold(manifold_ngd(flat), np.array([[0.0, 0.0, 0.3]]), 1.0)
    assert sol.status.tolist() == ["singular"] and sol.stop_time[0] == 0.0
    assert "not simple" in sol.meta["status_messages"]["singular"]


def test_sqrt_gd_and_its_flow_need_the_minimum():
    a, b = sp.symbols("a b", real=True)
    unknown = Model((a * b - 1) ** 2 / 2, [a, b], manifold=[a * b - 1])
    with pytest.raises(UnsupportedError, match="min_loss"):
        simulate(unknown, optim.SqrtLossGD(0.01), [2.0, 0.5], 3)
    with pytest.raises(UnsupportedError, match="min_loss"):
        manifold_sqrt(unknown)
    with pytest.raises(UnsupportedError, match="min_loss"):
        unknown.sqrt_loss()


def test_conserved_quantities_must_fill_the_directions_along_gamma():
    a, b = sp.symbols("a b", real=True)
    wrong = Model((a * b - 1) ** 2 / 2, [a, b], min_loss=0, manifold=[a * b - 1], conserved=[a**2 - b**2, a])
    with pytest.raises(ModelSpecError, match="d − M = 1"):
        limit_map(wrong, [2.0, 0.5], method="conserved")
    # "auto" takes the gradient-flow route when the count does not pin Φ (as for matrix linear nets)
    right = limit_map(zoo.get("two_layer_scalar"), [2.0, 0.5], method="conserved")
    assert np.allclose(limit_map(wrong, [2.0, 0.5]), right, atol=1e-9)
    with pytest.raises(InvalidInputError, match="method"):
        limit_map(zoo.get("two_layer_scalar"), [2.0, 0.5], method="newton")
    with pytest.raises(ModelSpecError, match="not parameters"):
        Model((a * b - 1) ** 2 / 2, [a, b], conserved=[sp.Symbol("c")])


def test_sqrt_loss_keeps_manifold_and_conserved_quantities():
    m = zoo.get("two_layer_scalar")
    s = m.sqrt_loss()
    assert s.manifold == m.manifold and s.conserved == m.conserved
    np.testing.assert_allclose(limit_map(s, [[2.0, 0.51]]), limit_map(m, [[2.0, 0.51]]))
