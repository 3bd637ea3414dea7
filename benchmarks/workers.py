"""Workers: N outbox processes sending queued referrals from one PostgreSQL journal.

The referrals (XREF01 + XBIN02 with a 200 KB PDF each) are built, validated and queued by
this process, as the service would; N worker processes then claim and send them at once
through the VANS mailbox (``FOR UPDATE SKIP LOCKED``: each takes rows the others are not
taking), validating each message again since it was not built in their process. Measured:
messages sent per second with 1, 2 and 4 workers (the ratio to one worker shows how the
journal lets them work side by side on 2 cores), the SQL statements each message cost,
and that every message went out exactly once (one file each in the out folder, each
journaled ``sent``). Runs when ``MEDCOM_BENCH_POSTGRES_URL`` or ``MEDCOM_TEST_POSTGRES_URL``
names a server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from benchmarks.pdfs import form
from benchmarks.schemas import own_schema

REFERRALS = 40
WORKERS = (1, 2, 4)
PDF_SIZE = 200 * 1024


def _work(url: str, mailbox: str) -> dict[str, int]:
    """One worker process: waits for the word, then sends until nothing is left to claim."""
    from medcom_adapter import allocator

    allocator.tune()
    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.addressing.dnhf import DnhfTransport
    from medcom_adapter.journal.factory import open_journal
    from medcom_adapter.transport.vans_mailbox import VansMailbox
    from medcom_adapter.workers.outbox import Outbox, OutboxSettings
    from tests.conftest import FIXTURES
    from tests.journal.statements import StatementCounter

    directory = Directory.load(FIXTURES / "network" / "receivers.json")
    journal = open_journal(url)
    counter = StatementCounter(cast(Any, journal).db)
    box = VansMailbox(Path(mailbox))
    outbox = Outbox(journal, DnhfTransport(box, directory), directory,
                    settings=OutboxSettings(batch=4))
    print("ready", flush=True)
    sys.stdin.readline()
    sent = 0
    while (run := outbox.run_once()).sent or run.deferred:
        sent += run.sent
    journal.close()
    return {"sent": sent, "statements": counter.statements}


def _round(base: str, workers: int, folder: Path) -> tuple[float, int, int, int]:
    """Seconds, messages sent, statements, files published, for ``workers`` processes."""
    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.journal.factory import open_journal
    from medcom_adapter.journal.interface import Query, Status
    from medcom_adapter.workers.submit import queue_referral
    from tests.conftest import FIXTURES

    with own_schema(base, "workers_bench") as url:
        mailbox = folder / f"mailbox-{workers}"
        directory = Directory.load(FIXTURES / "network" / "receivers.json")
        request = json.loads((FIXTURES / "requests" / "referral-bup.json").read_text("utf-8"))
        journal = open_journal(url)
        for _ in range(REFERRALS):
            queue_referral(journal, directory, request, files=folder / "files")
        queued = len(journal.find(Query(status=Status.QUEUED, limit=10_000)))
        procs = [subprocess.Popen([sys.executable, "-m", "benchmarks.workers", "--work", url,
                                   str(mailbox)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True) for _ in range(workers)]
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        start = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = [json.loads(proc.communicate(timeout=900)[0]) for proc in procs]
        took = time.perf_counter() - start
        sent = sum(r["sent"] for r in results)
        statements = sum(r["statements"] for r in results)
        files = len(list((mailbox / "out").iterdir()))
        marked = len(journal.find(Query(status=Status.SENT, limit=10_000)))
        journal.close()
        assert sent == queued == marked, (sent, queued, marked)
        return took, sent, statements, files


def main() -> None:
    base = os.environ.get("MEDCOM_BENCH_POSTGRES_URL") or os.environ.get(
        "MEDCOM_TEST_POSTGRES_URL")
    if not base:
        print("== workers on postgresql: skipped (set MEDCOM_BENCH_POSTGRES_URL=postgresql://...)")
        return
    folder = Path(tempfile.mkdtemp(prefix="medcom-bench-workers-"))
    os.environ.setdefault("MEDCOM_DATA_DIR", str(folder / "data"))  # the journal's key
    try:
        (folder / "files").mkdir()
        (folder / "files" / "henvisningsskema-bup.pdf").write_bytes(
            form(PDF_SIZE))
        print(f"== workers on postgresql  ({os.cpu_count()} cpu, {REFERRALS} referrals "
              f"= {2 * REFERRALS} messages queued, then sent by N processes at once)")
        one = None
        for n in WORKERS:
            took, sent, statements, files = _round(base, n, folder)
            rate = sent / took
            one = one or rate
            once = "exactly once" if files == sent else f"{files} files for {sent} messages"
            print(f"{n} worker{'s' if n > 1 else ' '}  {rate:7,.1f} messages/s  ratio "
                  f"{rate / one:.2f}x one worker  {statements / sent:5.1f} statements a message"
                  f"  ({once})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--work"]:
        print(json.dumps(_work(sys.argv[2], sys.argv[3])))
    else:
        main()
