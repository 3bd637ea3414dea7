"""Cold start of the command line: ``validate`` and ``show`` of one OIOXML file.

Floor: a bare ``python -c pass`` with the same interpreter (no site-packages work beyond
the interpreter's own). Each figure is the median wall time of fresh processes, so it
includes interpreter start, imports and the schema cache being built once. Target: under
0.3 s for an OIOXML file.

The target figure is measured as an installed package runs: with its modules' bytecode
cached (pip compiles it on install; here a private cache folder, filled by one warm-up run).
The same commands with every module compiled from source on each start
(``PYTHONDONTWRITEBYTECODE`` and no cache) are printed for information: that is what a
checkout run with that setting pays, and it is most of the difference.
"""

from __future__ import annotations

import os
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


def _wall(argv: list[str], env: dict[str, str]) -> float:
    subprocess.run(argv, check=True, capture_output=True, env=env)  # warm-up (fills the cache)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    message = Emessage(Envelope("ENV1", samples.WHEN), (samples.full_referral(),))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "XREF01.xml"
        path.write_bytes(build(message, "XH0131R"))
        base = {k: v for k, v in os.environ.items()
                if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
        cached = {**base, "PYTHONPYCACHEPREFIX": str(Path(folder) / "bytecode")}
        uncached = {**base, "PYTHONDONTWRITEBYTECODE": "1",
                    "PYTHONPYCACHEPREFIX": str(Path(folder) / "empty")}
        floor = _wall([sys.executable, "-c", "pass"], cached)
        cli = [sys.executable, "-m", "medcom_adapter"]
        figures = [(f"{name} XREF01", _wall([*cli, name, str(path)], cached),
                    _wall([*cli, name, str(path)], uncached)) for name in ("validate", "show")]
    print(f"== command-line cold start  ({RUNS} fresh processes each, median wall time)")
    print(f"floor  python -c pass       {floor * 1000:6.0f} ms")
    for name, seconds, from_source in figures:
        verdict = "met" if seconds < TARGET_SECONDS else "NOT met"
        print(f"ours   {name:<20} {seconds * 1000:6.0f} ms  ratio {seconds / floor:.1f}x  "
              f"(target < {TARGET_SECONDS} s: {verdict}); compiling every module from "
              f"source: {from_source * 1000:.0f} ms")


if __name__ == "__main__":
    main()
