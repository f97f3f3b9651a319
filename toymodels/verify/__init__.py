"""Verification: theory tested against simulation, as small checks that return comparisons.

A check compares what was measured with what a statement expects and returns a
:class:`Comparison`: measured, expected, the tolerance and where it comes from
(:func:`roundoff`, :func:`theory`, :func:`stated`, :func:`calibrated` on named data, or
:func:`uncertainty`), the margin (deviation in units of the tolerance; passes ≤ 1) and the
wrong alternatives the same data reject. In pytest, ``comparison.assert_()`` or
``check(...)`` raises an AssertionError that lists all of it::

    from toymodels.verify import bound, order, theory
    bound("Φ(θ_k) vs the flow", eta, err, C=0.2, provenance=theory("...")).assert_()

The checks: :func:`match`, :func:`order`, :func:`bound`, :func:`band`, :func:`monotone`,
:func:`zscore`, :func:`at_most`, :func:`at_least`. A claim is a function ``check(quick) ->
Verdict([...comparisons...])`` registered with :func:`claim`; ``toymodels verify --claims
my_claims.py`` and ``toymodels reproduce --claims my_claims.py`` run it beside the built-in
ones. Expensive runs that several claims read are declared with :func:`shared_run`.
"""

from .checks import at_least, at_most, band, bound, fit_order, local_orders, match, monotone, order, zscore
from . import claim as claim_module
from .claim import (Claim, SharedRun, Verdict, all_claims, claim, groups, load_claims, load_entry_points, select,
                    shared_run)
from .comparison import (Comparison, Provenance, Rejection, calibrated, check, roundoff, stated, theory,
                         uncertainty)

__all__ = ["Claim", "Comparison", "Provenance", "Rejection", "SharedRun", "Verdict", "all_claims", "at_least",
           "at_most", "band", "bound", "calibrated", "check", "claim", "fit_order", "groups", "load_claims",
           "load_entry_points", "local_orders", "match", "monotone", "order", "roundoff", "select", "shared_run",
           "stated", "theory", "uncertainty", "zscore"]
