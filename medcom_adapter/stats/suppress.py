"""Small-number suppression: an aggregate count of 1 to 4 is shown as ``<5``.

A zero identifies nobody and stays 0. No totals are published beside suppressed rows:
subtracting the shown rows from a total would give the hidden one back.
"""

from __future__ import annotations

SMALL = 5
HIDDEN = "<5"


def shown(count: int) -> int | str:
    return HIDDEN if 0 < count < SMALL else count
