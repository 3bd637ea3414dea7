"""Small timing helpers: per-call medians over repeated batches."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def per_call(fn: Callable[[], object], *, batch: int, repeats: int = 7) -> float:
    """Median seconds per call over ``repeats`` batches of ``batch`` calls (after a warm-up)."""
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - start) / batch)
    return statistics.median(samples)


def rate(seconds: float) -> str:
    return f"{1 / seconds:,.0f}/s ({seconds * 1e6:,.0f} µs)"
