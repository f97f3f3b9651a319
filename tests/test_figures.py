"""Figures: each draws its claim's arrays with labelled axes and a legend; the arrays behind the
principal-flow figures show what their captions say (tested on the arrays, not the pixels)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from toymodels import figures
from toymodels.style import SERIES, series


def _specs():
    return [pytest.param(spec, id=spec.name) for spec in figures.all_figures()]


@pytest.mark.parametrize("spec", _specs())
def test_figure_draws_its_claims_arrays_with_labels(spec, quick_run):
    fig = figures.render(spec, quick_run.verdicts[spec.claim].artifacts)
    try:
        axes = [ax for ax in fig.axes if ax.has_data()]
        assert axes, "nothing drawn"
        assert any(ax.get_xlabel() for ax in axes)  # a grid labels its bottom row only
        assert any(ax.get_ylabel() for ax in axes)
        labels = {t.get_text() for legend in [*fig.legends, *(ax.get_legend() for ax in axes)] if legend
                  for t in legend.get_texts()}
        assert labels, "no legend"
    finally:
        plt.close(fig)
    assert spec.caption and spec.claim


def test_named_series_differ_in_more_than_colour():
    # greyscale-safe: no two named series share line style, marker and line width
    looks = [(s.get("linestyle"), s.get("marker"), s.get("linewidth")) for s in SERIES.values()]
    assert len(set(map(str, looks))) == len(looks)
    assert series("GD")["label"] == "GD"


def test_paper_quadratic_arrays_put_the_pf_through_every_gd_iterate(quick_run):
    art = quick_run.verdicts["pf.exact_quadratic"].artifacts
    for lr in (0.9, 1.05):
        t, gd, pf = art[f"paper/lr={lr}/t"], art[f"paper/lr={lr}/GD"], art[f"paper/lr={lr}/principal flow"]
        on_grid = [np.argmin(np.abs(t - k * lr)) for k in range(len(gd))]
        np.testing.assert_allclose(pf[on_grid].real, gd, atol=1e-12)
        assert np.abs(pf.imag).max() > 0.1  # complex between the iterates
        for flow in ("gradient flow", "IGR flow"):  # the others cannot oscillate with GD
            assert np.abs(art[f"paper/lr={lr}/{flow}"][on_grid[-1]] - gd[-1]).max() > 0.05


def test_tracks_gd_error_arrays_show_the_pf_ahead_after_one_step(quick_run):
    art = quick_run.verdicts["pf.tracks_gd_unstable"].artifacts
    for name in ("quadratic", "two_layer_scalar", "rosenbrock"):
        pf = art[f"{name}/error/principal flow"][1]
        others = [art[f"{name}/error/{flow}"][1] for flow in ("gradient flow", "IGR flow", "order-2 BEA flow")]
        assert pf < 0.5 * min(others)


def test_phi_arrays_change_sign_at_two_and_skip_the_singularity(quick_run):
    art = quick_run.verdicts["pf.escapes_sharp_minimum"].artifacts
    x, value = art["phi/x"], art["phi/value"]
    assert np.all(np.isfinite(value)) and not np.any((x > 0.98) & (x < 1.02))
    assert np.array_equal(value.real > 0, x > 2)


def test_local_error_arrays_fall_with_the_stated_slopes(quick_run):
    art = quick_run.verdicts["pf.local_error_orders"].artifacts
    lrs = art["lrs"]
    for flow, slope in (("gradient flow", 2), ("IGR flow", 3), ("principal flow", 3), ("order-2 BEA flow", 4)):
        fitted = np.polyfit(np.log(lrs), np.log(art[f"error/{flow}"]), 1)[0]
        assert abs(fitted - slope) < 0.2 and abs(float(art[f"slope/{flow}"]) - fitted) < 1e-12
