"""The manifold.* claims can fail: on their own runs, wrong constants and formulas are rejected.

The runs are the cached quick sweeps of toymodels.claims.manifold_runs (shared with
tests/test_claims.py when both run in one session).
"""

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from toymodels import claims, figures
from toymodels.claims import manifold_eos, manifold_flows, manifold_lambda1
from toymodels.claims.manifold_runs import FLOWS, MODELS, OPTIMIZERS, sweep


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_wrong_limiting_flows_break_the_bound(optimizer):
    right = OPTIMIZERS[optimizer][1:]
    for name in MODELS:
        run = sweep(name, optimizer, True)
        assert np.all(run.errors(right) <= manifold_flows.BOUND * run.eta)
        for flow in FLOWS:
            if flow != right:
                err = run.errors(flow)
                # wrong at every η ≤ 0.02 already, and by more than MARGIN at the smallest
                assert np.all(err[2:] > manifold_flows.BOUND * run.eta[2:]), (name, flow)
                assert err[-1] > manifold_flows.MARGIN * manifold_flows.BOUND * run.eta[-1]


def test_eos_cycle_statistics_reject_the_wrong_step_length():
    for name in MODELS:
        c = manifold_eos.BOUND[name]
        sqrt_run = sweep(name, "sqrt", True)
        assert manifold_eos._passes(manifold_eos.cycle_statistics(sqrt_run), c)
        # GD on √L does not move by η per step: the NGD statement (mean η/2) fails on its data
        as_ngd = replace(sqrt_run, optimizer="ngd")
        assert not manifold_eos._passes(manifold_eos.cycle_statistics(as_ngd), c), name
    # and a harmonic mean of λ1η_eff of 4 (or 1) instead of 2 is off by O(1), far above C·η
    rows = manifold_eos.cycle_statistics(sweep("two_layer_scalar", "ngd", True))
    assert all(r["rejected: min |mean(|x|)/s − 1| (mean = one step)"] > 0.4 for r in rows)


def test_lambda1_check_rejects_an_increasing_sharpness_and_a_missed_minimum():
    run = sweep("zhu_minimal", "ngd", True)
    assert manifold_lambda1.check_run(run)[0]
    reversed_run = replace(run, lambda1_phi=run.lambda1_phi[::-1].copy())
    assert not manifold_lambda1.check_run(reversed_run)[0]
    stuck = replace(run, lambda1_phi=np.broadcast_to(run.lambda1_phi[:1], run.lambda1_phi.shape).copy())
    ok, _, gap = manifold_lambda1.check_run(stuck)  # λ1 never decreases: the gap stays ~0.23
    assert not ok and gap > 100 * manifold_lambda1.GAP


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
