"""The edge-of-stability claims: their checks reject wrong constants, the MiniBS bound as a
property test, and the figures drawn from the claims' artifacts."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toymodels import claims, diagnostics, zoo
from toymodels.claims import (eos_alignment, eos_chen_bruna, eos_gfs, eos_progressive, eos_zhu,
                              eoss_linear_stability, eoss_minibs_bound)
from toymodels.figures import for_claim, render
from toymodels.verify import Verdict

EOS_CLAIMS = ["eos.progressive_sharpening", "eos.zhu_minimal", "eos.chen_bruna_orbit", "eos.gfs_sharpness_monotone",
              "eos.alignment_lcosh", "eoss.minibs_ge_sharpness", "eoss.minibs_hovers", "eoss.linear_stability"]
SMALL_DATA_MODELS = [("linear_regression", {"n": 7, "dim": 2, "noise": 0.5}), ("linear_net", {"depth": 3, "n": 6}),
                     ("tanh_net", {"width": 3, "n": 6, "seed": 5})]


@pytest.fixture(scope="module")
def small_models():
    return [zoo.get(name, **params) for name, params in SMALL_DATA_MODELS]


@settings(max_examples=60, deadline=None)
@given(which=st.integers(0, len(SMALL_DATA_MODELS) - 1), seed=st.integers(0, 2**32 - 1),
       batch=st.integers(1, 6), replace=st.booleans(), scale=st.floats(0.1, 3.0))
def test_minibs_bounds_hold_exactly_at_random_points(small_models, which, seed, batch, replace, scale):
    model = small_models[which]
    theta = np.random.default_rng(seed).uniform(-scale, scale, size=(2, model.dim))
    lam = diagnostics.sharpness(model, theta)
    minibs, batch_sharpness = diagnostics.minibatch_curvatures(model, theta, batch, replace=replace)
    assert minibs.exact
    tol = eoss_minibs_bound.ROUNDOFF * (1 + np.abs(lam))
    assert np.all(minibs.value >= lam - tol)  # Jensen: E_B λmax(H_B) ≥ λmax(E_B H_B) = λmax(H)
    assert np.all(batch_sharpness.value <= minibs.value + tol)  # Rayleigh quotient ≤ λmax, batch by batch


def test_minibs_bound_check_rejects_the_reversed_inequality(small_models):
    report = eoss_minibs_bound.check_model(small_models[2], np.random.default_rng(1).uniform(-1, 1, (3, 9)))
    # strict inequality in every case with B < n: "MiniBS ≤ λmax" is rejected on the same data
    assert report["cases with MiniBS > λmax + round-off (B < n)"] == report["cases with B < n"] > 0
    assert report["min (MiniBS − λmax)/(1 + |λmax|)"] >= -eoss_minibs_bound.ROUNDOFF


def test_chen_bruna_relation_rejects_wrong_formulas():
    _, last, lrs = eos_chen_bruna.orbit(2.0, [1.02, 1.1], 1500)
    for delta in last[-2:]:
        assert np.max(np.abs(lrs - eos_chen_bruna.chen_bruna_lr(delta, 2.0))) < eos_chen_bruna.ORBIT_TOL
        for formula in eos_chen_bruna.WRONG.values():
            assert np.min(np.abs(lrs - formula(delta, 2.0))) > eos_chen_bruna.REJECT


def test_zhu_band_rejects_the_degree2_model_and_the_gfs():
    results = eos_zhu.run_both([0.2], 2000)
    for name, inside in (("zhu_minimal", True), ("two_layer_scalar", False)):
        model, x0, run = results[name]
        gap = (10.0 - diagnostics.sharpness(model, run.final)) / 0.2
        assert np.all((gap > 0) & (gap < eos_zhu.BAND)) == inside
        assert np.all(diagnostics.gfs_sharpness(model, x0) > 10.0)  # GD does not end at its GFS


def test_gfs_monotonicity_rejects_the_sharpness_and_a_wrong_gfs():
    rng = np.random.default_rng(0)
    model, starts = eos_gfs.edge_starts(3, 0.2, 6, rng)
    run, phi = eos_gfs.gd_on_starts(model, 0.2, starts, 400)
    assert np.max(eos_gfs.rise_statistics(phi)) <= eos_gfs.MONOTONE_RTOL
    assert np.median(eos_gfs.rise_statistics(diagnostics.sharpness(model, run.x))) > 1e3 * eos_gfs.MONOTONE_RTOL
    assert np.max(eos_gfs.rise_statistics(eos_gfs.wrong_gfs_sharpness(run.x))) > 1e3 * eos_gfs.MONOTONE_RTOL


def test_alignment_fit_recovers_the_exponent_and_rejects_others():
    lrs = np.array([0.1, 0.05, 0.025])
    slope, c1, c3 = eos_alignment.fit_gap(lrs, 1.5 * lrs + 0.47 * lrs**3)
    assert abs(slope - 1) < eos_alignment.SLOPE_TOL and c1 == pytest.approx(1.5) and c3 == pytest.approx(0.47)
    for wrong in (lrs**2, np.sqrt(lrs), 0 * lrs + 0.3):
        assert abs(eos_alignment.fit_gap(lrs, wrong)[0] - 1) > 10 * eos_alignment.SLOPE_TOL


def test_progressive_band_rejects_wrong_centres():
    steps = np.arange(0, 2000, 10)
    ratio = 1 + 0.05 * np.sin(steps / 7.0) + np.where(steps < 500, -0.6 + 0.6 * steps / 500, 0)
    k = np.arange(2000)
    loss = np.exp(-k / 1000) * (1 + 0.1 * (k % 2) * (k >= 500))  # at the edge: falls overall, rises every other step
    _, found = eos_progressive.analyse(0.5, steps, ratio * 4.0, loss, half_max=6.0)
    Verdict(found).assert_()
    (band,) = [c for c in found if "EoS window" in c.name]
    assert band.margin == 0 and all(r.rejected for r in band.alternatives)  # 1/η and 3/η
    _, monotone = eos_progressive.analyse(0.5, steps, ratio * 4.0, np.exp(-k / 1000), 6.0)
    _, no_rise = eos_progressive.analyse(0.5, steps, ratio * 4.0, loss, half_max=4.2)
    assert not Verdict(monotone).passed and not Verdict(no_rise).passed  # a monotone loss, or η/2 not rising


def test_linear_stability_rejects_the_other_sampling_scheme():
    model = zoo.get("linear_regression", **eoss_linear_stability.MODEL)
    a, s2 = eoss_linear_stability.curvature_moments(model)
    n, b = model.n_samples, 8
    right = eoss_linear_stability.threshold(a, s2, eoss_linear_stability.noise_factor(n, b, False))
    wrong = eoss_linear_stability.threshold(a, s2, eoss_linear_stability.noise_factor(n, b, True))
    lrs = 0.5 * (right + wrong) * (1 + eoss_linear_stability.GRID)
    root, se, _, _, _ = eoss_linear_stability.simulated_boundary(model, lrs, b, False, 20000, seed=3)
    assert abs(root - right) <= eoss_linear_stability.Z_TOL * se < abs(root - wrong)


@pytest.fixture(scope="module")
def verdicts():
    return {cid: claims.select([cid])[0].run(quick=True) for cid in EOS_CLAIMS}


@pytest.mark.parametrize("claim_id", EOS_CLAIMS)
def test_figures_render_from_the_claim_artifacts(verdicts, claim_id):
    verdict = verdicts[claim_id]
    verdict.assert_()
    for spec in for_claim(claim_id):
        fig = render(spec, verdict.artifacts)
        drawn = [ax for ax in fig.axes if ax.has_data()]
        assert drawn and any(ax.get_xlabel() for ax in drawn)
        assert all(ax.get_title() or ax.get_ylabel() for ax in drawn)
        plt.close(fig)
    assert claim_id == "eoss.minibs_ge_sharpness" or for_claim(claim_id)
