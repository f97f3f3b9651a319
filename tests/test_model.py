import numpy as np
import pytest
import sympy as sp

from toymodels import Model, zoo
from toymodels.errors import ModelSpecError, ToyModelError, UnknownNameError, UnsupportedError

a, b = sp.symbols("a b", real=True)


def test_non_scalar_loss_is_rejected():
    with pytest.raises(ModelSpecError, match="scalar"):
        Model(sp.Matrix([a, b]), [a, b])
    with pytest.raises(ModelSpecError, match="scalar"):
        Model([a, b], [a, b])


def test_unknown_free_symbols_are_named():
    c = sp.Symbol("c")
    with pytest.raises(ModelSpecError, match="free symbols c .*neither parameters nor sample"):
        Model(a * b * c, [a, b])


def test_data_must_match_sample_symbols():
    x, y = sp.symbols("x y")
    with pytest.raises(ModelSpecError, match=r"shape \(n_samples, 2\)"):
        Model((a * x - y) ** 2, [a], sample_symbols=[x, y], data=np.zeros((4, 3)))
    with pytest.raises(ModelSpecError, match="need a dataset"):
        Model((a * x - y) ** 2, [a], sample_symbols=[x, y])
    with pytest.raises(ModelSpecError, match="no sample_symbols"):
        Model(a**2, [a], data=np.zeros((4, 1)))
    with pytest.raises(ModelSpecError, match="NaN"):
        Model((a * x - y) ** 2, [a], sample_symbols=[x, y], data=[[1, np.nan]])


def test_repeated_and_non_symbol_params():
    with pytest.raises(ModelSpecError, match="repeated"):
        Model(a * b, [a, a])
    with pytest.raises(ModelSpecError, match="SymPy symbols"):
        Model(a * b, [a, "b"])


def test_errors_share_the_package_hierarchy():
    for err in (ModelSpecError, UnknownNameError, UnsupportedError):
        assert issubclass(err, ToyModelError)


def test_derivations_are_cached_and_correct():
    m = zoo.get("two_layer_scalar", y=1)
    assert m.grad is m.grad
    assert sp.simplify(m.grad - sp.Matrix([b * (a * b - 1), a * (a * b - 1)])) == sp.zeros(2, 1)
    assert sp.simplify(m.hess - sp.Matrix([[b**2, 2 * a * b - 1], [2 * a * b - 1, a**2]])) == sp.zeros(2, 2)


def test_third_derivative_contraction_matches_the_full_tensor():
    m = Model.from_string("a**3*b + sin(a*b) + b**4/4", params="a b")
    u, v = [sp.Rational(1, 3), -2], [sp.Rational(5, 7), sp.Rational(1, 2)]
    tensor = [[[sp.diff(m.loss, p, q, r) for r in m.params] for q in m.params] for p in m.params]
    explicit = sp.Matrix([sum(tensor[i][j][k] * u[j] * v[k] for j in range(2) for k in range(2))
                          for i in range(2)])
    assert sp.simplify(m.d3(u, v) - explicit) == sp.zeros(2, 1)
    # the per-sample (here: the only) contraction in direction symbols agrees after substitution
    subs = dict(zip(m.direction_symbols("u"), u)) | dict(zip(m.direction_symbols("v"), v))
    assert sp.simplify(m.sample_d3.subs(subs) - explicit) == sp.zeros(2, 1)


def test_symbolic_eigensystem_diagonalizes_the_hessian():
    for name in ("two_layer_scalar", "arora_valley", "rosenbrock", "saddle", "lcosh_xy"):
        m = zoo.get(name)
        eig = m.eigensystem()
        point = {p: sp.Rational(3 + 2 * i, 7) for i, p in enumerate(m.params)}
        hess = m.hess.subs(point)
        for lam, vec in eig.pairs:
            vec = vec.subs(point)
            residual = (hess * vec - lam.subs(point) * vec).evalf(30)
            assert max(abs(r) for r in residual) < 1e-25
            assert abs((vec.T * vec)[0].evalf(30) - 1) < 1e-25


def test_no_closed_form_for_a_full_4x4_hessian_says_why():
    m = zoo.get("zhu_minimal")
    assert not m.has_closed_form_eigensystem
    with pytest.raises(UnsupportedError, match=r"block larger than 2x2.*numeric.eigh"):
        m.eigensystem()
    assert zoo.get("quadratic", eigenvalues=(1, 2, 3)).eigensystem() is not None  # diagonal


def test_sqrt_loss_and_its_errors():
    m = zoo.get("two_layer_scalar")
    s = m.sqrt_loss()
    assert sp.simplify(s.loss**2 - m.loss) == 0
    assert s.min_loss == 0 and s.manifold == m.manifold
    with pytest.raises(UnsupportedError, match="min_loss=<value>"):
        zoo.get("saddle").sqrt_loss()


def test_normalized_gradient_has_unit_norm():
    m = zoo.get("rosenbrock")
    point = {m.params[0]: sp.Rational(1, 3), m.params[1]: sp.Rational(-2, 5)}
    g = m.normalized_grad.subs(point)
    assert sp.simplify((g.T * g)[0] - 1) == 0


def test_model_with_data_loss_is_the_mean_of_sample_losses():
    m = zoo.get("linear_regression", n=5, dim=2, seed=3)
    w = np.array([0.3, -1.2])
    x, y = m.data[:, :2], m.data[:, 2]
    expected = np.mean(0.5 * (x @ w - y) ** 2)
    symbolic = float(m.loss.subs(dict(zip(m.params, w))))
    assert symbolic == pytest.approx(expected, rel=1e-13)
    assert float(m.numeric.loss(w)) == pytest.approx(expected, rel=1e-13)
