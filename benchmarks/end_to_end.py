"""End-to-end referrals through the sandbox, against the journal's own append rate.

Each referral (XREF01 + XBIN02 with a 200 KB PDF) is built and validated, journaled as
queued, checked again and published by the outbox, routed by the sandbox via DNHF to the
BUP department (which validates it and answers XCTL03 for both files), and the receipts are
taken in, correlated and journaled. Floor: appending messages of the same size to the same
kind of journal in the same run. The target is 200 referrals per second on one machine.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from medcom_adapter.journal.interface import Direction, NewMessage, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.sandbox.harness import Harness
from medcom_adapter.transport.directory import Directory
from medcom_adapter.workers.submit import queue_referral
from tests.conftest import FIXTURES

PDF_SIZE = 200 * 1024
REFERRALS = 100


def _journal(folder: Path) -> tuple[Any, str]:
    try:
        factory = importlib.import_module("medcom_adapter.journal.factory")
    except ImportError:
        return MemoryJournal(), "in-memory journal (no durable store installed)"
    os.environ.setdefault("MEDCOM_DATA_DIR", str(folder))
    return factory.open_journal(f"sqlite:///{folder / 'bench.sqlite3'}"), "SQLite journal"


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="medcom-bench-"))
    try:
        _run(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(folder: Path) -> None:
    requests = folder / "requests"
    requests.mkdir()
    pdf = b"%PDF-1.4\n" + random.Random(1).randbytes(PDF_SIZE - 16) + b"\n%%EOF\n"
    (requests / "henvisningsskema-bup.pdf").write_bytes(pdf)
    request = json.loads((FIXTURES / "requests" / "referral-bup.json").read_text("utf-8"))
    directory = Directory.load(FIXTURES / "network" / "receivers.json")

    journal, label = _journal(folder / "e2e")
    harness = Harness(journal, directory, unit_ean="5790000123452")
    queue_referral(journal, directory, request, files=requests)  # warm-up
    harness.pump()
    start = time.perf_counter()
    for _ in range(REFERRALS):
        queue_referral(journal, directory, request, files=requests)
    harness.pump(REFERRALS * 4)
    e2e = (time.perf_counter() - start) / REFERRALS
    writes = _count(journal) / (REFERRALS + 1)

    floor_journal, _ = _journal(folder / "floor")
    sample = NewMessage(Direction.OUTBOUND, "XBIN02", "XB0230X", b"x" * (PDF_SIZE * 4 // 3),
                        "E", "L")
    floor_journal.append(sample, Status.QUEUED)
    n = REFERRALS * 2
    start = time.perf_counter()
    for _ in range(n):
        floor_journal.append(sample, Status.QUEUED)
    append = (time.perf_counter() - start) / n

    print(f"== end to end through the sandbox  ({platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cpu, {label})")
    print(f"floor: journal append of a {len(sample.data):,}-byte message: "
          f"{1 / append:,.0f}/s ({append * 1e3:.2f} ms)")
    print(f"referral + 200 KB PDF, sent, routed via DNHF, validated by BUP, both receipts "
          f"journaled: {1 / e2e:,.1f}/s ({e2e * 1e3:.1f} ms; {writes:.0f} journal entries each)")
    print(f"ratio: one referral end to end costs {e2e / append:.1f} journal appends"
          f" (target: 200 referrals/s)")


def _count(journal: Any) -> int:
    from medcom_adapter.journal.interface import Query

    return len(journal.find(Query(limit=1_000_000)))


if __name__ == "__main__":
    main()
