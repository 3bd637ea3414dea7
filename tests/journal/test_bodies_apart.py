"""A large body is kept in a table of its own, written and read a slice at a time.

It is sealed as any body is, bound to its message: it reads back byte for byte, rows written
before (the body in ``messages.body``) still read, and a body changed, moved or removed
outside the journal is refused by reading and found by ``verify``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from medcom_adapter.errors import JournalCorrupt
from medcom_adapter.journal import bodies, rows
from medcom_adapter.journal.crypto import Key, Keyring
from medcom_adapter.journal.interface import Status
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import ROOT, Clock
from tests.journal.test_attachments_once import xbin

PDF = b"%PDF-1.4\n" + random.Random(19).randbytes(2 * 1024 * 1024 + 11) + b"\n%%EOF\n"


def _apart(journal: SqlJournal) -> list[int]:
    return [id for (id,) in journal.db.rows(f"SELECT message FROM {bodies.TABLE} ORDER BY 1")]


def test_a_large_body_round_trips_byte_for_byte_on_every_engine(
        sql_journal: SqlJournal) -> None:
    small, large = sql_journal.append_many([xbin(), xbin(PDF)], Status.QUEUED)
    read = sql_journal.get(large).message
    assert read.data == xbin(PDF).data
    assert type(read.data) is bytes and hash(read.data) == hash(xbin(PDF).data)
    assert read.attachments[0].data == PDF
    assert sql_journal.get(small).message.data == xbin().data
    assert sql_journal.verify().intact
    assert _apart(sql_journal) == [large]  # apart, the row's body left empty
    ((body,),) = sql_journal.db.rows("SELECT body FROM messages WHERE id = ?", (large,))
    assert bytes(body) == bodies.APART
    sealed = bodies.sealed(sql_journal.db, large)
    assert len(sealed) == len(xbin(PDF).data) + 28
    assert PDF[5000:6000] not in bytes(sealed)  # encrypted at rest


def test_a_large_body_written_in_its_row_as_before_still_reads(
        sql_journal: SqlJournal, keys: Keyring) -> None:
    (id,) = sql_journal.append_many([xbin(PDF)], Status.QUEUED)
    # the format of rows written before bodies were kept apart
    sql_journal.db.run(f"DELETE FROM {bodies.TABLE} WHERE message = ?", (id,))
    sql_journal.db.run("UPDATE messages SET body = ? WHERE id = ?", (
        bytes(keys.seal(xbin(PDF).data, rows.where("messages", "body", id))), id))
    assert sql_journal.get(id).message.data == xbin(PDF).data
    assert sql_journal.get(id).message.attachments[0].data == PDF
    assert sql_journal.verify().intact


@pytest.fixture
def apart(sql_journal: SqlJournal) -> tuple[SqlJournal, int, int]:
    first, second = sql_journal.append_many([xbin(PDF), xbin(PDF[::-1])], Status.QUEUED)
    assert sql_journal.verify().intact
    return sql_journal, first, second


def _refused(journal: SqlJournal, id: int, problem: str) -> None:
    with pytest.raises(JournalCorrupt):
        journal.get(id)
    report = journal.verify()
    assert not report.intact
    assert any(f"message {id}" in p and problem in p for p in report.problems)


def test_a_tampered_large_body_is_refused(apart: tuple[SqlJournal, int, int]) -> None:
    journal, id, _ = apart
    sealed = bytearray(bodies.sealed(journal.db, id))
    sealed[len(sealed) // 2] ^= 1
    journal.db.run(f"UPDATE {bodies.TABLE} SET body = ? WHERE message = ?", (bytes(sealed), id))
    _refused(journal, id, "fails authentication")


def test_a_large_body_moved_to_another_message_is_refused(
        apart: tuple[SqlJournal, int, int]) -> None:
    journal, first, second = apart
    journal.db.run(f"UPDATE {bodies.TABLE} SET body = ? WHERE message = ?",
                   (bytes(bodies.sealed(journal.db, first)), second))
    _refused(journal, second, "fails authentication")


def test_a_large_body_removed_is_refused(apart: tuple[SqlJournal, int, int]) -> None:
    journal, id, _ = apart
    journal.db.run(f"DELETE FROM {bodies.TABLE} WHERE message = ?", (id,))
    _refused(journal, id, "missing")


def test_a_large_body_apart_is_resealed_by_key_rotation_and_purged_with_its_message(
        apart: tuple[SqlJournal, int, int], keys: Keyring, clock: Clock) -> None:
    journal, first, second = apart
    before = bodies.sealed(journal.db, first)
    new = Keyring((*keys.keys.values(), Key("test-2", bytes(range(1, 33)))))
    assert SqlJournal(journal.db, new, clock=clock).rotate_key() == 2
    only_new = SqlJournal(journal.db, Keyring((new.current,)), clock=clock)
    assert bodies.sealed(journal.db, first) != before
    assert only_new.get(first).message.data == xbin(PDF).data
    assert only_new.get(second).message.data == xbin(PDF[::-1]).data
    assert only_new.verify().intact
    for id in (first, second):
        only_new.set_status(id, Status.SENT, leaving=Status.QUEUED)
        only_new.set_status(id, Status.ACKNOWLEDGED, leaving=Status.SENT)
    clock.advance(days=1)
    assert only_new.purge(clock() - timedelta(hours=1)).purged == (first, second)
    assert _apart(only_new) == []
    assert only_new.verify().intact


@pytest.mark.parametrize("change", ["nonce", "tag", "cut"])
def test_a_large_body_with_its_nonce_or_tag_changed_or_cut_short_is_refused(
        apart: tuple[SqlJournal, int, int], change: str) -> None:
    journal, id, _ = apart
    sealed = bytearray(bodies.sealed(journal.db, id))
    if change == "cut":
        del sealed[-1000:]
    else:
        sealed[0 if change == "nonce" else -1] ^= 1
    journal.db.run(f"UPDATE {bodies.TABLE} SET body = ? WHERE message = ?", (bytes(sealed), id))
    _refused(journal, id, "fails authentication")


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc")
def test_verify_holds_one_large_body_at_a_time(sql_journal: SqlJournal, engine: str,
                                                 tmp_path: Path, request: pytest.FixtureRequest
                                                 ) -> None:
    url = (f"sqlite:{tmp_path / 'large.sqlite3'}" if engine == "sqlite"
           else request.getfixturevalue("postgres_url"))
    done = subprocess.run(
        [sys.executable, "-m", "tests.journal.large_body_worker", "verify", "6",
         str(4 * 1024 * 1024)], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "MEDCOM_TEST_JOURNAL_URL": url})
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    # a batch of rows holding every sealed body at once would be six bodies and more
    assert got["verify"] < 3 * got["body"]
