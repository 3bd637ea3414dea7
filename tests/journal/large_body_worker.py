"""A process with large bodies on a journal (``python -m`` this module).

The journal comes in ``MEDCOM_TEST_JOURNAL_URL``: a PostgreSQL URL (it may hold a
password), or ``sqlite:PATH``.
``memory SIZE``: appends an XBIN letter carrying a PDF of SIZE bytes, then reads it back;
prints, as JSON, the peak resident memory above the resting state during each, in bytes.
``die-mid-copy``: appends such a letter and SIGKILLs itself when three of the body's slices
have gone to the server, inside the append's transaction.
``verify N SIZE``: appends N such letters, then verifies the journal; prints, as JSON, the
peak resident memory above the resting state during ``verify``, in bytes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks.memory import reset_peak, rss
from medcom_adapter.journal.crypto import Key, Keyring, Sealing
from medcom_adapter.journal.interface import Status
from medcom_adapter.journal.postgres import PostgresDb
from medcom_adapter.journal.sqlite import SqliteDb
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.test_attachments_once import xbin

KEYS = Keyring((Key("test-1", bytes(range(32))),))  # as the tests' fixture


def pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + random.Random(size).randbytes(size - 16) + b"\n%%EOF\n"


def main(command: str, *rest: str) -> None:
    url = os.environ["MEDCOM_TEST_JOURNAL_URL"]
    db = (SqliteDb(Path(url.removeprefix("sqlite:"))) if url.startswith("sqlite:")
          else PostgresDb(url))
    journal = SqlJournal(db, KEYS)
    if command == "memory":
        message = xbin(pdf(int(rest[0])))
        journal.append(xbin(pdf(2 * 1024 * 1024)), Status.QUEUED)  # warm-up: a large one
        journal.get(1)
        rest_at = reset_peak()
        id = journal.append(message, Status.QUEUED)
        appended = rss("VmHWM") - rest_at
        rest_at = reset_peak()
        read = journal.get(id).message
        got = rss("VmHWM") - rest_at
        assert read.data == message.data
        print(json.dumps({"append": appended, "get": got, "body": len(message.data)}))
    elif command == "verify":
        count, size = int(rest[0]), int(rest[1])
        for n in range(count):
            message = xbin(pdf(size + n))
            journal.append(message, Status.QUEUED)
        del message
        rest_at = reset_peak()
        report = journal.verify()
        assert report.intact, report.problems
        print(json.dumps({"verify": rss("VmHWM") - rest_at, "body": len(xbin(pdf(size)).data)}))
    elif command == "die-mid-copy":
        slices = Sealing.slices

        def dying(self: Sealing) -> Iterator[bytes]:
            for n, piece in enumerate(slices(self)):
                if n == 3:  # the nonce and two slices of ciphertext are on the server
                    os.kill(os.getpid(), signal.SIGKILL)
                yield piece

        Sealing.slices = dying  # type: ignore[method-assign]
        journal.append(xbin(pdf(4 * 1024 * 1024)), Status.QUEUED)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(*sys.argv[1:])
