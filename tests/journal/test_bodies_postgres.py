"""PostgreSQL writes a large body by COPY as it is sealed and reads it back a slice a row.

No statement binds the body and no result holds it whole; the COPY is part of the append's
transaction, so an append that fails or is killed during it leaves nothing behind; and
the process's memory stays near the one plaintext the caller gets (measured in a process of
its own: a peak resident size, not a time).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from medcom_adapter.errors import JournalCorrupt, JournalError
from medcom_adapter.journal import bodies, postgres_bodies
from medcom_adapter.journal.crypto import Keyring, Sealing
from medcom_adapter.journal.interface import Status
from medcom_adapter.journal.postgres import PostgresDb
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import ROOT, Clock
from tests.journal.test_attachments_once import xbin

PDF = b"%PDF-1.4\n" + random.Random(23).randbytes(3 * 1024 * 1024 + 5) + b"\n%%EOF\n"
LARGE_PARAMETER = 64 * 1024  # no bound value of a large append comes near a slice


@pytest.fixture
def pg(postgres_url: str, keys: Keyring, clock: Clock) -> Iterator[SqlJournal]:
    journal = SqlJournal(PostgresDb(postgres_url), keys, clock=clock)
    yield journal
    journal.close()


class Seen:
    """What a PostgresDb sends and gets: each statement, the largest value bound or
    returned, and the COPY statements."""

    def __init__(self, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.statements: list[str] = []
        self.largest_bound = self.largest_returned = 0
        self.copies: list[str] = []
        rows, run, copy_in = db.rows, db.run, postgres_bodies.copy_in

        def seen_rows(sql: str, params: Any = ()) -> list[Any]:
            self._bound(sql, params)
            found: list[Any] = rows(sql, params)
            self.largest_returned = max([self.largest_returned, *(
                len(v) for row in found for v in row if isinstance(v, bytes | bytearray))])
            return found

        def seen_run(sql: str, params: Any = ()) -> int:
            self._bound(sql, params)
            return int(run(sql, params))

        def seen_copy(connection: Any, sql: str, params: Any) -> int:
            self.copies.append(sql)
            return copy_in(connection, sql, params)

        monkeypatch.setattr(db, "rows", seen_rows)
        monkeypatch.setattr(db, "run", seen_run)
        monkeypatch.setattr(postgres_bodies, "copy_in", seen_copy)

    def _bound(self, sql: str, params: Any) -> None:
        self.statements.append(sql)
        self.largest_bound = max([self.largest_bound, *(
            len(p) for p in params if isinstance(p, bytes | bytearray))])


def test_a_large_body_is_sent_by_one_copy_and_read_by_one_statement_never_whole(
        pg: SqlJournal, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = Seen(pg.db, monkeypatch)
    first, second = pg.append_many([xbin(PDF), xbin(PDF[::-1])], Status.QUEUED)
    assert seen.copies == [f"INSERT INTO {bodies.TABLE} (message, body) VALUES (?, ?), (?, ?)"]
    assert seen.largest_bound < LARGE_PARAMETER
    read: list[tuple[Any, ...]] = []
    pieces = pg.db.pieces  # type: ignore[attr-defined]

    def seen_pieces(*args: Any) -> Any:
        read.append(args)
        return pieces(*args)

    monkeypatch.setattr(pg.db, "pieces", seen_pieces)
    assert pg.get(first).message.data == xbin(PDF).data
    assert pg.get(second).message.attachments[0].data == PDF[::-1]
    assert read == [(bodies.TABLE, "body", "message", first),
                    (bodies.TABLE, "body", "message", second)]
    assert seen.largest_returned < LARGE_PARAMETER
    assert len(seen.copies) == 1  # the reads wrote nothing


def test_the_slices_read_are_the_value_stored_in_order(pg: SqlJournal) -> None:
    (id,) = pg.append_many([xbin(PDF)], Status.QUEUED)
    with pg.db.pieces(bodies.TABLE, "body", "message", id) as found:  # type: ignore[attr-defined]
        size, slices = found
        got = list(slices)
    assert size == len(xbin(PDF).data) + 28
    assert [len(s) for s in got] == [Sealing.SLICE] * (size // Sealing.SLICE) + [
        size % Sealing.SLICE]
    assert b"".join(got) == bodies.sealed(pg.db, id)
    with pg.db.pieces(bodies.TABLE, "body", "message", id + 1) as missing:  # type: ignore[attr-defined]
        assert missing is None
    assert pg.db.rows("SELECT 1") == [(1,)]  # the connection is free again


def test_a_read_stopped_by_an_error_leaves_the_transaction_usable(pg: SqlJournal) -> None:
    """A reader that fails after the first slice (a wrong key, a bad tag) must not cancel
    the statement: that aborts the transaction ``verify`` goes on reading in."""
    big = PDF * 3  # more slices than the socket buffers, so the server is still sending
    (id,) = pg.append_many([xbin(big)], Status.QUEUED)
    for _ in range(3):
        with pg.db.transaction(write=False):
            with pytest.raises(ValueError, match="stopped"), pg.db.pieces(  # type: ignore[attr-defined]
                    bodies.TABLE, "body", "message", id) as found:
                _, slices = found
                next(slices)
                raise ValueError("stopped after one slice")
            assert pg.db.rows("SELECT count(*) FROM messages") == [(1,)]


def test_an_append_failing_during_its_copy_leaves_nothing(
        pg: SqlJournal, monkeypatch: pytest.MonkeyPatch) -> None:
    small = pg.append(xbin(), Status.QUEUED)
    slices = Sealing.slices

    def failing(self: Sealing) -> Iterator[bytes]:
        for n, piece in enumerate(slices(self)):
            if n == 2:
                raise OSError("disk gone")
            yield piece

    monkeypatch.setattr(Sealing, "slices", failing)
    with pytest.raises(OSError):
        pg.append(xbin(PDF), Status.QUEUED)
    monkeypatch.undo()
    assert pg.db.rows("SELECT COUNT(*) FROM messages") == [(1,)]
    assert pg.db.rows(f"SELECT COUNT(*) FROM {bodies.TABLE}") == [(0,)]
    assert pg.append(xbin(PDF), Status.QUEUED) == small + 1
    assert pg.get(small + 1).message.data == xbin(PDF).data
    assert pg.verify().intact


def _worker(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.journal.large_body_worker", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MEDCOM_TEST_JOURNAL_URL": url})


def test_a_process_killed_during_a_large_append_leaves_nothing(
        pg: SqlJournal, postgres_url: str) -> None:
    small = pg.append(xbin(), Status.QUEUED)
    died = _worker(postgres_url, "die-mid-copy")
    assert died.returncode == -9, died.stderr
    assert pg.db.rows("SELECT COUNT(*) FROM messages") == [(1,)]
    assert pg.db.rows(f"SELECT COUNT(*) FROM {bodies.TABLE}") == [(0,)]
    assert pg.append(xbin(PDF), Status.QUEUED) == small + 1
    assert pg.get(small + 1).message.attachments[0].data == PDF
    assert pg.verify().intact


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc")
def test_a_large_body_costs_the_process_little_more_than_its_plaintext(
        pg: SqlJournal, postgres_url: str) -> None:
    done = _worker(postgres_url, "memory", str(16 * 1024 * 1024))
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    # bound whole, an append held the sealed body and libpq's copy of it (2x the body);
    # read whole, the driver's result, its bytes and the plaintext (3x)
    assert got["append"] < 0.5 * got["body"]
    assert got["get"] < 1.5 * got["body"]


@pytest.mark.parametrize("kept", [b"", b"\x00" * 27])
def test_a_large_body_emptied_or_shorter_than_a_nonce_and_tag_is_refused(
        pg: SqlJournal, kept: bytes) -> None:
    (id,) = pg.append_many([xbin(PDF)], Status.QUEUED)
    pg.db.run(f"UPDATE {bodies.TABLE} SET body = ? WHERE message = ?", (kept, id))
    with pytest.raises(JournalCorrupt, match="too short"):
        pg.get(id)
    report = pg.verify()
    assert any(f"message {id}" in p for p in report.problems)


def test_a_large_body_re_tagged_with_another_key_is_refused_and_the_key_named(
        pg: SqlJournal) -> None:
    (id,) = pg.append_many([xbin(PDF)], Status.QUEUED)
    pg.db.run("UPDATE messages SET key_id = ? WHERE id = ?", ("test-0", id))
    with pytest.raises(JournalError, match="test-0"):
        pg.get(id)
    report = pg.verify()
    assert not report.intact
    assert any(f"message {id}" in p and "test-0" in p for p in report.problems)
