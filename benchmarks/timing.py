"""Shared timing helper: best of several repeats, so ratios are stable on a busy machine."""

import time


def best_time(function, repeat=7, number=1):
    """Smallest wall time of ``number`` calls of ``function``, over ``repeat`` trials (seconds/call)."""
    function()  # warm-up: compilation, caches
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def ratio_line(label, ours, reference, target):
    return f"{label}: {ours * 1e3:.3f} ms vs {reference * 1e3:.3f} ms, ratio {ours / reference:.2f} ({target})"
