"""The manifold.* claims can fail: on their own runs, wrong constants and formulas are rejected.

The runs are the quick sweeps of toymodels.claims.manifold_runs, a declared shared run (computed
once per process).
"""

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from toymodels import claims, figures
from toymodels.claims import manifold_eos, manifold_flows, manifold_lambda1
from toymodels.claims.manifold_runs import MODELS, OPTIMIZERS, sweep
from toymodels.verify import bound


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_wrong_limiting_flows_break_the_calibrated_bound(optimizer):
    for comparison in manifold_flows.flow_comparisons(optimizer, True, reject_by=manifold_flows.MARGIN)[0]:
        comparison.assert_()  # right flow within C·η, every wrong flow beyond MARGIN·C·η
        assert comparison.provenance.kind == "calibrated" and "from" in comparison.provenance.on
    # the calibration data are not the judged data: another start, and C is not fitted to the judged run
    right = OPTIMIZERS[optimizer][1:]
    run, other = sweep("two_layer_scalar", optimizer, True), sweep("two_layer_scalar", optimizer, True, calibration=True)
    assert not np.allclose(run.errors(right), other.errors(right))


def test_bound_fails_with_a_constant_too_small():
    run = sweep("zhu_minimal", "ngd", True)
    c, _ = manifold_flows.calibrated_constant("zhu_minimal", "ngd", True)
    err = run.errors(OPTIMIZERS["ngd"][1:])
    assert bound("right flow", run.eta, err, c).passed
    assert not bound("right flow, C/3", run.eta, err, c / 3).passed  # C is not loose by orders of magnitude


def test_eos_cycle_statistics_reject_the_wrong_step_length():
    for name in MODELS:
        sqrt_run = sweep(name, "sqrt", True)
        right = manifold_eos.cycle_comparison(sqrt_run)
        right.assert_()
        # GD on √L does not move by η per step: the NGD statement (mean η/2) fails on its data
        as_ngd = replace(sqrt_run, optimizer="ngd")
        wrong = manifold_eos.deviations(manifold_eos.cycle_statistics(as_ngd))
        assert not bound("as NGD", sqrt_run.eta, wrong, right.data["C"]).passed, name


def test_lambda1_check_rejects_an_increasing_sharpness_and_a_missed_minimum():
    run = sweep("zhu_minimal", "ngd", True)
    assert all(c.passed for c in manifold_lambda1.check_run(run))
    reversed_run = replace(run, lambda1_phi=run.lambda1_phi[::-1].copy())
    assert not manifold_lambda1.check_run(reversed_run)[0].passed
    stuck = replace(run, lambda1_phi=np.broadcast_to(run.lambda1_phi[:1], run.lambda1_phi.shape).copy())
    _, reached = manifold_lambda1.check_run(stuck)  # λ1 never decreases: the gap stays ~0.23
    assert not reached.passed and reached.margin > 100


def test_manifold_figures_render_from_the_claim_artifacts():
    specs = [s for s in figures.all_figures() if s.claim.startswith("manifold.")]
    assert {s.claim for s in specs} == {c.id for c in claims.select(["manifold.*"])}
    artifacts = {}
    for spec in specs:
        if spec.claim not in artifacts:
            artifacts[spec.claim] = claims.select([spec.claim])[0].run(quick=True).artifacts
        fig = figures.render(spec, artifacts[spec.claim])
        assert fig.axes
        plt.close(fig)
