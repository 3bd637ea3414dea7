"""RESULTS.md's target summary names each target under the part of the report it belongs to."""

from __future__ import annotations

from benchmarks.__main__ import _targets

REPORT = """== sqlite: 1,000 messages loaded
floor  bare insert+commit  8,000/s
ours   find by CPR   0.11 ms  (target < 10 ms: met)
== postgresql: 1,000 messages loaded
ours   find by CPR   12.0 ms  (target < 10 ms: NOT met)
"""


def test_targets_are_listed_under_their_heading() -> None:
    assert _targets("journal", REPORT) == [
        "- `journal` (sqlite): ours find by CPR 0.11 ms (target < 10 ms: met)",
        "- `journal` (postgresql): ours find by CPR 12.0 ms (target < 10 ms: NOT met)",
    ]
