"""The built-in claims: statements from the literature, each an executable check with a verdict.

Each module of this package registers its claims with :func:`toymodels.verify.claim` when
imported (every module is imported below), exactly as a researcher's own claim module does;
claims installed by other packages under the ``toymodels.claims`` entry-point group are
loaded too. :func:`all_claims` lists them and :func:`select` finds them by id or pattern.
"""

import importlib
import pkgutil

from ..verify import Claim, Verdict, all_claims, claim, groups, load_claims, select, shared_run
from ..verify.claim import _REGISTRY, checked_artifacts, load_entry_points

__all__ = ["Claim", "Verdict", "all_claims", "checked_artifacts", "claim", "groups", "load_claims", "select", "shared_run",
           "_REGISTRY"]

# Importing the claim modules registers them: a new claim is a new module in this package.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
load_entry_points()
