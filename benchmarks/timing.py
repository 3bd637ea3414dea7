"""Small timing helpers: per-call medians over repeated batches."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping


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


def per_call_in_turn(
    fns: Mapping[str, Callable[[], object]], *, batch: int, repeats: int = 15
) -> dict[str, float]:
    """Like ``per_call`` for several functions, their batches taken in turn.

    A floor and the figure compared with it then share the machine's load of the moment and
    the state the memory allocator is left in (which, with 200 KB buffers, decides whether
    memory is faulted in afresh on every call), instead of each having its own stretch.
    """
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(batch):
                fn()
            samples[name].append((time.perf_counter() - start) / batch)
    return {name: statistics.median(times) for name, times in samples.items()}


def rate(seconds: float) -> str:
    return f"{1 / seconds:,.0f}/s ({seconds * 1e6:,.0f} µs)"
