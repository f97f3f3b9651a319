"""Run the benchmarks: ``python -m benchmarks [GROUP ...]``.

Every module of this folder with a ``BENCHMARKS`` list is a group named after the module.
Each benchmark prints ratios against a reference measured in the same run.
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def groups() -> dict:
    found = {}
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"benchmarks.{module.name}")
        if hasattr(loaded, "BENCHMARKS"):
            found[module.name] = loaded.BENCHMARKS
    return found


def main(argv):
    available = groups()
    chosen = argv or sorted(available)
    unknown = [g for g in chosen if g not in available]
    if unknown:
        sys.exit(f"unknown benchmark group {', '.join(unknown)}; choose from {', '.join(sorted(available))}")
    for group in chosen:
        print(f"== {group}")
        for bench in available[group]:
            print(bench(), flush=True)


main(sys.argv[1:])
