"""Allocator: ``check()`` of a referral with a 200 KB PDF with and without glibc's thresholds set.

Each side runs in a fresh process (the allocator's state is per process): one with
glibc's defaults (``MEDCOM_MALLOC_TUNING=0``), one with ``medcom_adapter.allocator.tune()``
called first, as the CLI and the workers do. Each process measures, in turn, the floor
(lxml parse + schema validation of the same bytes) and ``check()``, and counts page faults
per call. The thresholds are set at process start only because this holds: ``check()``
faster with them, relative to the same floor.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys


def _measure() -> dict[str, float]:
    from medcom_adapter import allocator

    tuned = allocator.tune()
    import dataclasses
    import random

    from lxml import etree

    from benchmarks.timing import per_call_in_turn
    from medcom_adapter.compose.referral import Attachment, build_referral
    from medcom_adapter.model.ids import IdSource
    from medcom_adapter.oioxml import schemas
    from medcom_adapter.oioxml.emessage import check
    from tests import samples

    pdf = b"%PDF-1.4\n" + random.Random(1).randbytes(200 * 1024 - 16) + b"\n%%EOF\n"
    plain = dataclasses.replace(samples.full_referral(), references=())
    package = build_referral(plain, (Attachment("Henvisningsskema", pdf),), ids=IdSource())
    files = [(f.data, schemas.schema(f.version.schema_folder)) for f in package.files]

    def floor() -> None:
        for data, schema in files:
            assert schema.validate(etree.fromstring(data).getroottree())

    def ours() -> None:
        for data, _ in files:
            assert check(data).valid

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    timed = per_call_in_turn({"floor": floor, "ours": ours}, batch=10)
    calls = 2 * (1 + 15 * 10)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls
    return {"tuned": tuned, "floor": timed["floor"], "ours": timed["ours"], "faults": faults}


def main() -> None:
    print("== check() and glibc's malloc thresholds  (fresh process each, 200 KB PDF)")
    results = {}
    for label, switch in (("glibc defaults", "0"), ("thresholds set", "1")):
        done = subprocess.run([sys.executable, "-m", "benchmarks.allocator", "--measure"],
                              capture_output=True, text=True, check=True, timeout=600,
                              env={**os.environ, "MEDCOM_MALLOC_TUNING": switch})
        got = json.loads(done.stdout)
        results[label] = got["ours"] / got["floor"]
        print(f"{label:<15} floor {got['floor'] * 1e6:6,.0f} µs  "
              f"check() {got['ours'] * 1e6:6,.0f} µs  ratio {results[label]:.2f}x  "
              f"({got['faults']:.0f} page faults a call, floor and check() together)")
    gain = 1 - results["thresholds set"] / results["glibc defaults"]
    print(f"setting the thresholds changes check()'s ratio to the floor by {-gain:+.0%} "
          f"({'kept' if gain > 0 else 'no gain here'}: set at the start of the CLI and workers)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        print(json.dumps(_measure()))
    else:
        main()
