"""Compiled numerics against the symbolic expressions, shapes, batches and eigensystems."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from toymodels import Model, zoo
from toymodels.errors import InvalidInputError

RNG = np.random.default_rng(42)


def _symbolic(expr, model, point, u=None, v=None):
    """Evaluate a per-sample SymPy expression exactly at ``point`` (20 digits), averaged over
    the dataset: an evaluation path that shares nothing with the generated NumPy code."""
    subs = dict(zip(model.params, map(sp.Float, point)))
    for letter, vec in (("u", u), ("v", v)):
        if vec is not None:
            subs.update(zip(model.direction_symbols(letter), map(sp.Float, vec)))
    rows = model.data if model.has_data else [()]
    values = [np.array(sp.Matrix([expr]).xreplace({**subs, **dict(zip(model.sample_symbols, map(sp.Float, row)))})
                       .evalf(20), dtype=float) for row in rows]
    return np.mean(values, axis=0).reshape(np.shape(expr) if isinstance(expr, sp.MatrixBase) else ())


@pytest.mark.parametrize("name", zoo.names())
def test_compiled_functions_agree_with_sympy(name):
    m = zoo.get(name)
    f = m.numeric
    for point in RNG.uniform(-1.5, 1.5, size=(3, m.dim)):
        u, v = RNG.normal(size=m.dim), RNG.normal(size=m.dim)
        assert f.loss(point) == pytest.approx(_symbolic(m.sample_loss, m, point), rel=1e-12, abs=1e-13)
        np.testing.assert_allclose(f.grad(point), _symbolic(m.sample_grad, m, point)[:, 0], rtol=1e-11, atol=1e-12)
        hess = _symbolic(m.sample_hess, m, point)
        np.testing.assert_allclose(f.hess(point), hess, rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(f.hvp(point, v), hess @ v, rtol=1e-10, atol=1e-11)
        d3 = _symbolic(m.sample_d3, m, point, u=u, v=v)[:, 0]
        np.testing.assert_allclose(f.d3(point, u, v), d3, rtol=1e-10, atol=1e-11)
        values, vectors = f.eigh(point)
        np.testing.assert_allclose(values, np.linalg.eigvalsh(hess)[::-1], rtol=1e-10, atol=1e-11)
        np.testing.assert_allclose(hess @ vectors, vectors * values, atol=1e-10)
        assert f.sharpness(point) == pytest.approx(values[0], rel=1e-12, abs=1e-12)


def test_full_loss_derivations_of_a_data_model_match_the_numerics():
    m = zoo.get("linear_regression", n=6, dim=2, seed=1)
    point = np.array([0.4, -0.9])
    subs = dict(zip(m.params, map(sp.Float, point)))
    np.testing.assert_allclose(np.array(m.grad.xreplace(subs), dtype=float)[:, 0], m.numeric.grad(point), rtol=1e-12)
    np.testing.assert_allclose(np.array(m.hess.xreplace(subs), dtype=float), m.numeric.hess(point), rtol=1e-12)


@pytest.mark.parametrize("shape", [(), (7,), (3, 4)])
def test_batch_shapes(shape):
    m = zoo.get("deep_scalar", depth=3)
    theta = RNG.normal(size=shape + (3,))
    f = m.numeric
    assert f.loss(theta).shape == shape
    assert f.grad(theta).shape == shape + (3,)
    assert f.hess(theta).shape == shape + (3, 3)
    assert f.eigh(theta)[1].shape == shape + (3, 3)
    assert f.d3(theta, theta, theta).shape == shape + (3,)
    flat = theta.reshape(-1, 3)
    np.testing.assert_array_equal(f.hess(theta).reshape(-1, 3, 3), f.hess(flat))


def test_constant_entries_broadcast_over_the_batch():
    m = zoo.get("quadratic", eigenvalues=(2, 0.02), rotation_seed=1)
    hess = m.numeric.hess(np.zeros((5, 6, 2)))
    assert hess.shape == (5, 6, 2, 2) and hess.dtype == np.float64
    np.testing.assert_allclose(hess[3, 2], np.array(m.hess, dtype=float))


def test_wrong_length_theta_is_rejected():
    with pytest.raises(InvalidInputError, match=r"shape \(\.\.\., 2\).*\(a, b\)"):
        zoo.get("two_layer_scalar").numeric.grad([1.0, 2.0, 3.0])


def test_minibatches_from_the_same_compiled_per_sample_functions():
    m = zoo.get("linear_net", depth=2, n=10)
    f = m.numeric
    theta = RNG.normal(size=(4, m.dim))
    # one batch shared by all states, and one batch per state
    batch = np.array([1, 4, 7])
    per_sample = np.stack([f.hess(theta, batch=np.array([i])) for i in batch])
    np.testing.assert_allclose(f.hess(theta, batch=batch), per_sample.mean(axis=0), rtol=1e-12)
    batches = np.array([[0, 1], [2, 3], [4, 5], [8, 9]])
    own = np.stack([f.grad(theta[i], batch=batches[i]) for i in range(4)])
    np.testing.assert_allclose(f.grad(theta, batch=batches), own, rtol=1e-12)
    full = np.mean([f.loss(theta, batch=np.array([i])) for i in range(10)], axis=0)
    np.testing.assert_allclose(f.loss(theta), full, rtol=1e-12)
    with pytest.raises(InvalidInputError, match=r"lie in \[0, 10\)"):
        f.loss(theta, batch=np.array([10]))
    with pytest.raises(InvalidInputError, match="has no data"):
        zoo.get("saddle").numeric.loss([0.0, 0.0], batch=np.array([0]))


def test_closed_form_eigensystem_on_blocks_sorts_eigenvalues():
    # Hessian blocks {x, y} and {z}: closed form, with λ1 from whichever block is larger
    m = Model.from_string("(x*y - 1)**2/2 + 3*z**2", params="x y z")
    assert m.numeric.closed_form_eigensystem and m.hessian_blocks == [(0, 1), (2,)]
    theta = RNG.normal(size=(50, 3)) * 2
    values, vectors = m.numeric.eigh(theta)
    hess = m.numeric.hess(theta)
    np.testing.assert_allclose(values, np.linalg.eigvalsh(hess)[..., ::-1], atol=1e-11)
    np.testing.assert_allclose(hess @ vectors, vectors * values[..., None, :], atol=1e-10)


def test_complex_states_are_supported():
    m = zoo.get("two_layer_scalar")
    z = np.array([1.0 + 0.5j, 0.3 - 0.2j])
    a, b = z
    np.testing.assert_allclose(m.numeric.grad(z), [b * (a * b - 1), a * (a * b - 1)])
    values, vectors = m.numeric.eigh(z)
    hess = m.numeric.hess(z)
    assert values.dtype == np.complex128
    np.testing.assert_allclose(hess @ vectors, vectors * values, atol=1e-13)
    np.testing.assert_allclose(vectors.T @ vectors, np.eye(2), atol=1e-13)  # U⁻¹ = Uᵀ


def test_generated_functions_document_themselves():
    f = zoo.get("two_layer_scalar").numeric
    f.grad([1.0, 1.0])
    assert "(a, b)" in f._grad.__doc__ and "½(ab − y)²" in f._grad.__doc__


@settings(max_examples=25, deadline=None)
@given(eigs=st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=4),
       seed=st.integers(0, 50))
def test_random_quadratics_have_the_requested_hessian(eigs, seed):
    eigs = [round(e, 3) for e in eigs]
    m = zoo.get("quadratic", eigenvalues=tuple(eigs), rotation_seed=seed)
    theta = np.random.default_rng(seed).normal(size=(3, len(eigs)))
    values = m.numeric.eigh(theta)[0]
    np.testing.assert_allclose(values, np.broadcast_to(sorted(eigs, reverse=True), values.shape), atol=1e-12)
    hess = m.numeric.hess(theta[0])
    np.testing.assert_allclose(m.numeric.grad(theta), theta @ hess.T, atol=1e-12)


@pytest.mark.parametrize("scale", [1e-200, 1.0, 1e200])
def test_closed_form_2x2_eigensystem_at_extreme_scales(scale):
    from toymodels.eigensystem import blockwise_eigh

    entries = np.array([[2.0, 1.0, 1.0], [1.0, 0.0, 1.0], [3.0, -1.0, 3.0], [1.0, 0.0, 2.0], [1.0, 1e-9, 1.0]])
    hess = np.stack([np.stack([entries[:, 0], entries[:, 1]], -1), np.stack([entries[:, 1], entries[:, 2]], -1)], -2)
    values, vectors = blockwise_eigh(hess * scale, [(0, 1)])
    np.testing.assert_allclose(values / scale, np.linalg.eigvalsh(hess)[:, ::-1], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(np.swapaxes(vectors, -1, -2) @ vectors, np.broadcast_to(np.eye(2), hess.shape),
                               atol=1e-15)
    np.testing.assert_allclose(hess @ vectors, vectors * (values / scale)[:, None, :], atol=1e-14)
