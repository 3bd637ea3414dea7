"""Cold start of the command line: ``validate`` and ``show`` of one OIOXML file.

Floor: a bare ``python -c pass`` with the same interpreter (no site-packages work beyond
the interpreter's own). Each figure is the median wall time of fresh processes, so it
includes interpreter start, imports and the schema cache being built once. Target: under
0.3 s for an OIOXML file.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml.emessage import build
from tests import samples

RUNS = 9
TARGET_SECONDS = 0.3


def _wall(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    message = Emessage(Envelope("ENV1", samples.WHEN), (samples.full_referral(),))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "XREF01.xml"
        path.write_bytes(build(message, "XH0131R"))
        floor = _wall([sys.executable, "-c", "pass"])
        cli = [sys.executable, "-m", "medcom_adapter"]
        validate = _wall([*cli, "validate", str(path)])
        show = _wall([*cli, "show", str(path)])
    print(f"== command-line cold start  ({RUNS} fresh processes each, median wall time)")
    print(f"floor  python -c pass       {floor * 1000:6.0f} ms")
    for name, seconds in (("validate XREF01", validate), ("show XREF01", show)):
        verdict = "met" if seconds < TARGET_SECONDS else "NOT met"
        print(f"ours   {name:<20} {seconds * 1000:6.0f} ms  ratio {seconds / floor:.1f}x  "
              f"(target < {TARGET_SECONDS} s: {verdict})")


if __name__ == "__main__":
    main()
