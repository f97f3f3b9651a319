"""The public plotting module, notebook display, and runs stored as arrays: each figure draws
what the runs hold and labels itself from their metadata, for a user's own model."""

import os
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import toymodels as tm
from toymodels import claims
from toymodels.cache import VerdictCache
from toymodels.errors import InvalidInputError
from toymodels.mathml import latex_to_mathml
from toymodels.verify import match

ROOT = Path(__file__).resolve().parents[1]
LR, X0 = 0.5, np.array([1.89, 0.58])


@pytest.fixture(scope="module")
def mine():
    """A user model (not in the zoo), GD at the edge on it, and two flows over 8 steps."""
    m = tm.Model.from_string("(a*b - 1)**2/2 + (a - b)**4/40", params="a b")
    gd = tm.simulate(m, tm.optim.GD(LR), X0, 20, record=["loss", "sharpness"])
    t = np.linspace(0, 8 * LR, 65)
    pf = tm.integrate(tm.flows.principal(m, LR), X0.astype(complex), t[-1], saveat=t)
    igr = tm.integrate(tm.flows.modified(m, LR, order=1), X0, t[-1], saveat=t)
    return m, gd, pf, igr


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _legend(ax):
    return [t.get_text() for t in ax.legend().get_texts()]


def test_paths_draw_runs_of_a_user_model_labelled_from_their_metadata(mine):
    m, gd, pf, igr = mine
    ax = tm.plot.paths(m, gd, pf, igr)
    labels = _legend(ax)
    assert labels[0] == "GD" and labels[2] == "IGR flow"
    assert labels[1].startswith("principal flow (real part; max |Im| = ")  # the PF is complex here
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["IGR flow"].get_xydata(), igr.x)
    np.testing.assert_array_equal(lines[labels[1]].get_xydata(), pf.x.real)
    # GD step k is flow time kη: only the 9 iterates within the 8η of the flows are drawn
    assert len(lines["GD"].get_xdata()) == 9
    np.testing.assert_array_equal(lines["GD"].get_xydata(), gd.x[:9])
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    assert xlim[0] < gd.x[:9, 0].min() and xlim[1] > gd.x[:9, 0].max() and ylim[0] < gd.x[:9, 1].min()


def test_paths_of_a_zoo_model_draw_its_manifold_and_refuse_more_than_two_parameters():
    m = tm.zoo.get("two_layer_scalar")
    run = tm.simulate(m, tm.optim.GD(0.1), X0, 5)
    assert "minima Γ" in _legend(tm.plot.paths(m, run))
    # Rosenbrock's minimum is a point: drawn as one, not as the zero line of its first constraint
    rosenbrock = tm.plot.paths(tm.zoo.get("rosenbrock"), run, ("start", np.array([[0.9, 1.2]])))
    assert "minima Γ" not in _legend(rosenbrock) and "minimum" in _legend(rosenbrock)
    point = next(line for line in rosenbrock.get_lines() if line.get_label() == "minimum")
    np.testing.assert_array_equal(point.get_xydata(), [[1.0, 1.0]])
    assert _legend(tm.plot.paths(tm.zoo.get("saddle"), run)) == ["GD"]  # no minima declared
    with pytest.raises(InvalidInputError, match="two-parameter"):
        tm.plot.paths(tm.zoo.get("zhu_minimal"), tm.simulate(tm.zoo.get("zhu_minimal"), tm.optim.GD(0.1),
                                                             np.ones(4), 2))


def test_equal_box_gives_both_axes_the_larger_span():
    lo, hi = tm.plot.box(np.array([[0.0, 0.0], [1.0, 0.1]]), pad=0.0, equal=True)
    np.testing.assert_allclose(hi - lo, [1.0, 1.0])
    np.testing.assert_allclose((lo + hi) / 2, [0.5, 0.05])


def test_sharpness_draws_the_edge_at_two_over_the_runs_lr(mine):
    m, gd, _, _ = mine
    sharp, loss = tm.plot.sharpness(gd)
    edge = [line for line in sharp.get_lines() if line.get_label().startswith("2/η")]
    assert len(edge) == 1 and np.allclose(edge[0].get_ydata(), 2 / LR)
    np.testing.assert_array_equal(sharp.get_lines()[0].get_ydata(), gd["sharpness"])
    assert loss.get_yscale() == "log" and loss.get_xlabel() == "optimizer steps k"
    with pytest.raises(InvalidInputError, match="learning rate"):
        tm.plot.sharpness(steps=gd.steps, values=gd["sharpness"])  # arrays carry no metadata


def test_error_vs_eta_draws_the_bound_and_the_slope():
    eta = np.array([0.08, 0.04, 0.02])
    ax = tm.plot.error_vs_eta(eta, 0.1 * eta**2, bound=0.2, slope=2.0, label="err")
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["bound C·η, C = 0.2"].get_ydata(), 0.2 * eta)
    assert "err (slope 2.00)" in lines and ax.get_xscale() == ax.get_yscale() == "log"


def test_error_vs_eta_takes_a_bound_or_order_comparison():
    from types import SimpleNamespace

    eta = np.array([0.08, 0.04, 0.02])
    # the data a verify.bound and a verify.order comparison carry (branch issue-verify)
    bound = SimpleNamespace(name="‖Φ − X‖", data={"η": eta, "err": 0.05 * eta, "C": 0.2})
    lines = {line.get_label(): line for line in tm.plot.error_vs_eta(bound).get_lines()}
    np.testing.assert_allclose(lines["bound C·η, C = 0.2"].get_ydata(), 0.2 * eta)
    np.testing.assert_allclose(lines["‖Φ − X‖"].get_ydata(), 0.05 * eta)
    order = SimpleNamespace(name="IGR one step", data={"x": eta, "y": eta**3, "slope": 3.0})
    assert "IGR one step (slope 3.00)" in [line.get_label() for line in tm.plot.error_vs_eta(order).get_lines()]
    with pytest.raises(InvalidInputError, match="bound or an order"):
        tm.plot.error_vs_eta(SimpleNamespace(name="band", data={"values": eta}))


def test_phi_draws_the_library_phi_with_its_special_values():
    ax = tm.plot.phi()
    re_line = next(line for line in ax.get_lines() if line.get_label() == "Re φ(x)")
    x, y = re_line.get_xydata().T
    np.testing.assert_allclose(y[np.argmin(abs(x + 1))], -np.log(2), atol=1e-2)
    assert {"φ(−1) = −log 2", "φ(0) = −1", "φ(2) = iπ/2"} <= {t.get_text() for t in ax.texts}


def test_importing_toymodels_never_changes_the_matplotlib_backend():
    code = ("import matplotlib; import toymodels, toymodels.plot, toymodels.figures, toymodels.reproduce, "
            "toymodels.cli; print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MPLBACKEND": "svg"}).stdout
    assert out.strip() == "svg"
    users = [p for p in (ROOT / "toymodels").rglob("*.py") if "matplotlib.use(" in p.read_text(encoding="utf-8")]
    assert users == [ROOT / "toymodels" / "cli.py"]  # inside main(), not at import


def test_runs_stored_in_the_reproduce_cache_load_back_as_the_same_objects(mine, tmp_path):
    _, gd, pf, _ = mine
    verdict = claims.Verdict([match("m", 1.0, 1.0)], artifacts=claims.checked_artifacts(
        gd.to_arrays("mine/GD") | pf.to_arrays("mine/principal flow")))
    verdict.claim_id = "user.example"
    cache = VerdictCache(tmp_path)
    cache.store(verdict, quick=True)
    artifacts = cache.load("user.example", quick=True).artifacts
    back = tm.Trajectory.from_arrays(artifacts, "mine/GD")
    flow = tm.Solution.from_arrays(artifacts, "mine/principal flow")
    assert back.meta == gd.meta and isinstance(back.meta["lr"], float) and flow.meta == pf.meta
    for name in ("x", "steps", "lr", "lr_steps", "status", "stop_step"):
        np.testing.assert_array_equal(getattr(back, name), getattr(gd, name))
    np.testing.assert_array_equal(back["sharpness"], gd["sharpness"])
    np.testing.assert_array_equal(flow.x, pf.x)
    gd.save(tmp_path / "run.npz")
    assert tm.Trajectory.load(tmp_path / "run.npz").meta == gd.meta


def test_model_displays_as_latex_that_renders():
    m = tm.zoo.get("two_layer_scalar")
    text = m.latex()
    assert r"\nabla^2 L" in text and r"\lambda(\nabla^2 L)" in text and "a^{2}" in text
    assert m._repr_latex_() == f"$$ {text} $$"
    assert "<math" in latex_to_mathml(text, display=True)  # valid LaTeX: not shown as source
    data = tm.zoo.get("tanh_network") if "tanh_network" in tm.zoo.names() else None
    if data is not None:
        assert "not written out" in data.latex() and r"\ell" in data.latex()


def test_runs_display_a_short_html_summary():
    m = tm.zoo.get("two_layer_scalar")
    run = tm.simulate(m, tm.optim.GD(0.5), np.array([[1.8, 0.3], [3.0, 3.0]]), 8, record=["loss", "sharpness"])
    page = run._repr_html_()
    assert "finished 1, diverged 1" in page and "final sharpness (starts that did not diverge)" in page
    assert f"{float(run['loss'][-1, 0]):.4g}" in page
    sol = tm.integrate(tm.flows.gradient(m), np.array([1.8, 0.3]), 1.0)
    assert "Solution: gradient flow" in sol._repr_html_() and "finished 1" in sol._repr_html_()


def test_the_example_runs_from_a_typed_loss_to_a_figure(tmp_path):
    subprocess.run([sys.executable, "-W", "error", str(ROOT / "examples" / "edge_of_stability.py")], cwd=tmp_path,
                   check=True, capture_output=True, env={**os.environ, "MPLBACKEND": "Agg"})
    assert (tmp_path / "edge_of_stability.png").stat().st_size > 10_000
