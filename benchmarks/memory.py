"""Memory: peak resident memory of one referral end to end, per PDF size, as a ratio to the PDF.

Each size runs in a fresh process: the modules are imported and one small referral is
sent first (schemas compiled, caches filled), then the process's peak-memory mark is
reset and one referral with a PDF of the size is built, validated, journaled (SQLite, on
disk; then the same on PostgreSQL when ``MEDCOM_BENCH_POSTGRES_URL`` or
``MEDCOM_TEST_POSTGRES_URL`` names a server, on a schema of its own), sent, routed via
DNHF, validated by BUP and its receipts taken in. Reported: the peak resident memory above
what the process held before (the PDF's own bytes included), as a multiple of the PDF's
size. Floor: the PDF's bytes alone (1x).
Target: at most 3x the PDF for a 20 MB attachment, on either journal.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks import pdfs
from benchmarks.schemas import own_schema

SIZES = (200 * 1024, 2 * 1024 * 1024, 20 * 1024 * 1024)
TARGET = 3.0  # peak / PDF size, for the largest


def rss(field: str) -> int:
    """A memory figure of this process from /proc (``VmRSS``, ``VmHWM``), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def reset_peak() -> int:
    """Sets the process's peak-memory mark to what is resident now, and returns that."""
    Path("/proc/self/clear_refs").write_text("5")
    return rss("VmRSS")


@contextmanager
def _journal_url(folder: Path, server: str | None) -> Iterator[str]:
    """The SQLite file in ``folder``, or a schema of its own on ``server`` (dropped after)."""
    if server is None:
        yield f"sqlite:///{folder / 'journal.sqlite3'}"
        return
    with own_schema(server, "memory_bench") as url:
        yield url


def _one(size: int, server: str | None) -> dict[str, int]:
    """In a fresh process: the peak above the resting state while one referral goes through."""
    from medcom_adapter import allocator

    allocator.tune()  # as a worker process starts
    folder = Path(tempfile.mkdtemp(prefix="medcom-bench-memory-"))
    try:
        with _journal_url(folder, server) as url:
            return _through(size, folder, url)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _through(size: int, folder: Path, url: str) -> dict[str, int]:
    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.journal.factory import open_journal
    from medcom_adapter.sandbox.harness import Harness
    from medcom_adapter.workers.submit import prepare_referral, queue_referral
    from tests.conftest import FIXTURES

    os.environ.setdefault("MEDCOM_DATA_DIR", str(folder))
    request = json.loads((FIXTURES / "requests" / "referral-bup.json").read_text("utf-8"))
    directory = Directory.load(FIXTURES / "network" / "receivers.json")
    journal = open_journal(url)
    harness = Harness(journal, directory, unit_ean="5790000123452")
    files = folder / "files"
    files.mkdir()
    form = files / "henvisningsskema-bup.pdf"
    form.write_bytes(pdfs.form(0))
    queue_referral(journal, directory, request, files=files,
                   checked=harness.checked)  # warm-up
    harness.pump()
    form.write_bytes(pdfs.form(size))
    resting = reset_peak()
    prepared = prepare_referral(directory, request, files=files)
    built = rss("VmHWM")
    prepared.queue(journal, checked=harness.checked)
    del prepared
    queued = rss("VmHWM")
    reset_peak()
    harness.pump()
    sent = rss("VmHWM")
    journal.close()
    return {"resting": resting, "built": built, "queued": queued, "sent": sent}


def main() -> None:
    _sizes(None)
    if _server():
        _sizes("postgresql")
    else:
        print("== postgresql: skipped (set MEDCOM_BENCH_POSTGRES_URL=postgresql://...)")


def _server() -> str | None:
    return os.environ.get("MEDCOM_BENCH_POSTGRES_URL") or os.environ.get(
        "MEDCOM_TEST_POSTGRES_URL")


def _sizes(engine: str | None) -> None:
    print(f"== {engine or 'sqlite'}: one referral end to end  ({platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cpu, fresh process per size)")
    print("floor  the PDF's bytes                    1.0x")
    for size in SIZES:  # the server's URL (and password) stays in the environment
        done = subprocess.run([sys.executable, "-m", "benchmarks.memory", str(size),
                               *([] if engine is None else [engine])],
                              capture_output=True, text=True, check=True, timeout=600)
        got = json.loads(done.stdout)
        rest = got["resting"]
        peak = max(got["queued"], got["sent"]) - rest
        mb = 1024 * 1024
        line = (f"ours   PDF {size / mb:5.1f} MB: peak {peak / mb:6.1f} MB above rest, ratio "
                f"{peak / size:4.1f}x (built and checked {(got['built'] - rest) / size:.1f}x, "
                f"journaled {(got['queued'] - rest) / size:.1f}x, sent and answered "
                f"{(got['sent'] - rest) / size:.1f}x)")
        if size == SIZES[-1]:
            line += f"  (target <= {TARGET:.0f}x: {'met' if peak <= TARGET * size else 'NOT met'})"
        print(line)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(_one(int(sys.argv[1]), _server() if sys.argv[2:] else None)))
    else:
        main()
