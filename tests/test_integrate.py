"""integrate() and the mpmath reference against closed forms, per-start status, and bad input."""

import math

import mpmath
import numpy as np
import pytest
import scipy.linalg
import sympy

from toymodels.errors import InvalidInputError, ModelSpecError, OutputError
from toymodels.integrate import integrate
from toymodels.reference import integrate_mpmath, to_numpy
from toymodels.solution import Solution

RNG = np.random.default_rng(20240611)
A = RNG.normal(size=(3, 3))
X0 = RNG.normal(size=(5, 3))
SAVEAT = np.array([0.0, 0.3, 1.0, 2.0])


def linear(x):
    return x @ A.T


def _expm_solution(matrix, times=SAVEAT, x0=X0):
    return np.stack([x0 @ scipy.linalg.expm(t * matrix).T for t in times])


def _relative_error(x, exact):
    return np.max(np.abs(x - exact)) / np.max(np.abs(exact))


def test_dop853_matches_the_matrix_exponential():
    sol = integrate(linear, X0, 2.0, saveat=SAVEAT, rtol=1e-12, atol=1e-14)
    assert np.all(sol.status == "finished")
    assert _relative_error(sol.x, _expm_solution(A)) < 1e-10  # measured 2e-14
    assert _relative_error(sol.x, _expm_solution(A.T)) > 1e-2  # a wrong flow is rejected


def test_rk4_error_falls_as_dt_to_the_fourth():
    dts = 0.07 / 2.0 ** np.arange(5)  # 0.07 does not divide the save times: steps are shortened
    exact = _expm_solution(A)
    errors = []
    for dt in dts:
        sol = integrate(linear, X0, 2.0, saveat=SAVEAT, method="rk4", dt=dt)
        np.testing.assert_array_equal(sol.t, SAVEAT)
        errors.append(np.max(np.abs(sol.x - exact)))
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert abs(slope - 4) < 0.2, (slope, errors)  # measured 3.97


def test_complex_linear_flow_matches_the_exponential_and_gd_at_integer_times():
    # principal flow of L = 1.5 θ²/2 at η = 1 (docs/theory/principal-flow.md): dθ/dt = log(1 − ηλ)/η · θ
    c = np.log((1 - 1.5) + 0j)
    x0 = np.array([[1.0 + 0.5j], [-0.3 + 0j]])
    times = np.array([0.0, 0.5, 1.0, 2.5, 3.0])
    sol = integrate(lambda x: c * x, x0, 3.0, saveat=times, rtol=1e-12, atol=1e-14)
    exact = np.exp(c * times)[:, None, None] * x0[None]
    assert sol.x.dtype == complex
    assert _relative_error(sol.x, exact) < 1e-10  # measured 1e-13
    for k in (1, 3):  # at t = kη the flow is the k-th GD iterate (1 − ηλ)^k θ0
        np.testing.assert_allclose(sol.x[times == k][0], (-0.5) ** k * x0, rtol=1e-10)
    assert _relative_error(sol.x, np.exp(c.conjugate() * times)[:, None, None] * x0[None]) > 0.1
    with pytest.raises(InvalidInputError, match="complex-valued; pass a complex x0"):
        integrate(lambda x: c * x, x0.real, 3.0)


def test_mpmath_reference_matches_a_closed_form_to_25_digits():
    x = sympy.Symbol("x")
    times = ["0", "0.5", "1.25"]
    values = integrate_mpmath(sympy.Matrix([-x ** 3]), [x], ["0.8"], times, dps=30)
    assert mpmath.mp.dps == 15  # the global precision is untouched
    with mpmath.workdps(30):
        x0 = mpmath.mpf("0.8")
        for t, v in zip(times, values[:, 0]):
            t = mpmath.mpf(t)
            assert abs(v - x0 / mpmath.sqrt(1 + 2 * x0 ** 2 * t)) < 1e-25  # measured 3e-32
            if t > 0:  # a wrong closed form is rejected
                assert abs(v - x0 / mpmath.sqrt(1 + x0 ** 2 * t)) > 1e-3


def test_mpmath_reference_handles_complex_states():
    x = sympy.Symbol("x")
    c = sympy.log(sympy.Rational(-1, 2))
    values = integrate_mpmath(sympy.Matrix([c * x]), [x], [1 + 2j], [0.5, 1.0], dps=30)
    with mpmath.workdps(30):
        exact = [mpmath.exp(mpmath.log(mpmath.mpf(-0.5)) * t) * mpmath.mpc(1, 2) for t in (0.5, 1)]
        assert max(abs(v - e) for v, e in zip(values[:, 0], exact)) < 1e-25
    assert to_numpy(values).dtype == complex


def test_dop853_matches_the_mpmath_reference_on_a_nonlinear_gradient_flow():
    a, b = sympy.symbols("a b")
    loss = (a * b - 1) ** 2 / 2
    field_exprs = -sympy.Matrix([loss.diff(a), loss.diff(b)])
    starts = np.array([[2.0, 0.3], [-0.4, 1.5]])
    times = np.array([0.0, 0.25, 1.0])

    def field(x):
        r = x[..., 0] * x[..., 1] - 1
        return -np.stack([r * x[..., 1], r * x[..., 0]], axis=-1)

    sol = integrate(field, starts, 1.0, saveat=times, rtol=1e-12, atol=1e-14)
    reference = np.stack([to_numpy(integrate_mpmath(field_exprs, [a, b], s, times)) for s in starts],
                         axis=1)
    assert np.max(np.abs(sol.x - reference)) < 1e-10  # measured 2e-14
    assert np.max(np.abs(sol.x[-1] - starts)) > 0.1  # the flow moved


def test_one_start_diverges_while_the_other_finishes():
    x0 = np.array([[1.0], [-1.0]])  # dx/dt = x²: x = x0/(1 − x0 t) blows up at t = 1 from x0 = 1
    times = np.array([0.0, 0.5, 2.0])
    for method, dt, tol in (("dop853", None, 1e-5), ("rk4", 0.01, 0.02)):
        sol = integrate(lambda x: x ** 2, x0, 2.0, saveat=times, method=method, dt=dt)
        assert sol.status.tolist() == ["diverged", "finished"], method
        assert abs(sol.stop_time[0] - 1) < tol and sol.stop_time[1] == 2.0, sol.stop_time
        assert np.all(np.isfinite(sol.x))
        np.testing.assert_array_equal(sol.valid, [[True, True], [True, True], [False, True]])
        np.testing.assert_allclose(sol.x[:2, 0, 0], [1, 2], rtol=1e-8)
        assert sol.x[2, 0, 0] == sol.final[0, 0] > 50  # the last valid state is kept
        np.testing.assert_allclose(sol.x[:, 1, 0], -1 / (1 + times), rtol=1e-8)


def test_step_limits_and_singularities_are_statuses():
    sol = integrate(linear, X0, 2.0, saveat=SAVEAT, max_steps=5)
    assert np.all(sol.status == "max_steps")
    assert np.all(sol.n_steps == 5) and np.all(sol.stop_time < 2.0)
    assert not sol.valid[-1].any() and sol.valid[0].all()
    # without a norm bound the blow-up of dx/dt = x² at t = 1 ends in ever smaller steps
    sol = integrate(lambda x: x ** 2, np.array([1.0]), 2.0, max_norm=np.inf)
    assert sol.status == "step_size_collapse" and abs(sol.stop_time - 1) < 1e-6
    assert np.all(np.isfinite(sol.x))
    # a field that turns NaN (log of x < 0 past t = 1) is divergence for both methods
    for method, dt in (("dop853", None), ("rk4", 1e-3)):
        with np.errstate(invalid="ignore"):
            sol = integrate(lambda x: -1 + 0 * np.log(x), np.array([1.0]), 2.0, method=method, dt=dt)
        assert sol.status == "diverged" and abs(sol.stop_time - 1) < 2e-3, method



def test_a_field_undefined_at_a_start_stops_it_at_time_zero():
    sol = integrate(lambda x: -1 / x, np.array([[0.0], [1.0]]), 0.1)
    assert sol.status.tolist() == ["diverged", "finished"]
    assert sol.stop_time[0] == 0 and np.all(sol.x[:, 0] == 0)
    np.testing.assert_allclose(sol.x[-1, 1, 0], math.sqrt(0.8), rtol=1e-9)


def test_each_start_has_its_own_step_size():
    def field(x):  # state (y, k): y decays at the constant rate k
        return np.stack([-x[..., 1] * x[..., 0], np.zeros(x.shape[:-1])], axis=-1)

    both = integrate(field, np.array([[1.0, 50.0], [1.0, 1.0]]), 1.0)
    alone = integrate(field, np.array([1.0, 1.0]), 1.0)
    assert both.n_steps[1] == alone.n_steps < both.n_steps[0] / 2
    np.testing.assert_allclose(both.final[1], alone.final, rtol=1e-14)
    np.testing.assert_allclose(both.final[:, 0], np.exp([-50.0, -1.0]), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("method", ["dop853", "rk4"])
@pytest.mark.parametrize("batch", [(), (4,), (3, 4)])
def test_save_times_are_hit_exactly_and_shapes_follow_the_batch(method, batch):
    x0 = RNG.normal(size=(*batch, 3))
    times = np.array([0.1, 0.35, 0.7])  # x0 itself is not saved
    sol = integrate(linear, x0, 0.7, saveat=times, method=method, dt=0.03)
    np.testing.assert_array_equal(sol.t, times)
    assert sol.x.shape == (3, *batch, 3) and sol.final.shape == (*batch, 3)
    assert sol.status.shape == sol.stop_time.shape == sol.n_steps.shape == batch
    assert sol.valid.shape == (3, *batch) and sol.valid.all()
    exact = _expm_solution(A, times, x0)
    assert _relative_error(sol.x, exact) < (1e-8 if method == "dop853" else 1e-5)
    default = integrate(linear, x0, 0.7, method=method, dt=0.03)
    np.testing.assert_array_equal(default.t, [0.0, 0.7])
    np.testing.assert_array_equal(default.x[0], x0)


def test_save_and_load_round_trip(tmp_path):
    sol = integrate(lambda x: x ** 2, np.array([[1.0], [-1.0]]), 2.0, method="rk4", dt=0.01)
    path = tmp_path / "runs" / "sol.npz"
    with pytest.raises(OutputError, match=r"cannot write .*sol.npz: the folder .*runs does not exist"):
        sol.save(path)  # a mistyped folder is not created silently
    path.parent.mkdir()
    sol.save(path)
    assert [p.name for p in path.parent.iterdir()] == ["sol.npz"]  # no temporary file left
    back = Solution.load(path)
    for name in ("t", "x", "status", "stop_time", "n_steps"):
        np.testing.assert_array_equal(getattr(back, name), getattr(sol, name))
    assert back.meta["method"] == "rk4" and "docs/theory/conventions.md" in back.meta["time_unit"]


@pytest.mark.parametrize("kwargs, message", [
    ({"t1": 0.0}, "t1 must be a finite number > 0, got 0.0"),
    ({"t1": -1.0}, "got -1.0"),
    ({"t1": float("inf")}, "got inf"),
    ({"t1": float("nan")}, "got nan"),
    ({"saveat": [0.0, 0.5, 0.3]}, r"saveat\[2\] = 0.3 follows saveat\[1\] = 0.5"),
    ({"saveat": [0.0, 3.0]}, r"\[0, 2.0\].*3.0"),
    ({"saveat": [-0.1, 1.0]}, "-0.1"),
    ({"saveat": [[0.0, 1.0]]}, "1-D"),
    ({"method": "rk4"}, "needs a step size: pass dt"),
    ({"method": "rk4", "dt": 0.0}, "dt must be a finite number > 0, got 0.0"),
    ({"method": "rk4", "dt": -0.1}, "got -0.1"),
    ({"method": "rk4", "dt": 1e-5, "max_steps": 1000}, "200000 steps.*max_steps=1000"),
    ({"method": "euler"}, "unknown method 'euler'; valid methods: rk4, dop853"),
    ({"rtol": 0.0}, "rtol must be a finite number > 0, got 0.0"),
    ({"atol": -1e-9}, "atol must be a finite number > 0, got -1e-09"),
    ({"max_steps": 0}, "max_steps must be an integer >= 1, got 0"),
    ({"x0": np.array([0.0, np.nan])}, "NaN"),
    ({"field": lambda x: x[..., :1]}, r"returned shape \(1,\) for states of shape \(2,\)"),
])
def test_bad_input_raises_a_clear_error(kwargs, message):
    args = {"field": lambda x: -x, "x0": np.array([1.0, 2.0]), "t1": 2.0, **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        integrate(args.pop("field"), args.pop("x0"), args.pop("t1"), **args)


def test_reference_rejects_bad_input():
    a, b = sympy.symbols("a b")
    with pytest.raises(InvalidInputError, match=r"2×1 Matrix.*\(1, 1\)"):
        integrate_mpmath(sympy.Matrix([a]), [a, b], [1, 1], [1])
    with pytest.raises(ModelSpecError, match=r"\['c'\]"):
        integrate_mpmath(sympy.Matrix([a, sympy.Symbol("c")]), [a, b], [1, 1], [1])
    with pytest.raises(InvalidInputError, match="strictly increasing"):
        integrate_mpmath(sympy.Matrix([a, b]), [a, b], [1, 1], [1, 0.5])
