"""Run the benchmarks: ``python -m benchmarks [GROUP ...]`` (groups: foundation)."""

import sys

from . import foundation

GROUPS = {"foundation": foundation.BENCHMARKS}


def main(argv):
    chosen = argv or list(GROUPS)
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown:
        sys.exit(f"unknown benchmark group {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    for group in chosen:
        print(f"== {group}")
        for bench in GROUPS[group]:
            print(bench(), flush=True)


main(sys.argv[1:])
