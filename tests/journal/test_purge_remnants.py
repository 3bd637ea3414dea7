"""What a purge leaves behind: nothing of the erased values in the SQLite journal's file, its
write-ahead log, or the rows the purge does not delete."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.interface import Status
from medcom_adapter.journal.sqlite import SqliteDb
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import Clock
from tests.journal.samples import referral

LATER = datetime(2999, 1, 1, tzinfo=UTC)


def test_a_purge_leaves_no_erased_ciphertext_in_the_file_or_its_log(
        tmp_path: Path, keys: Keyring, clock: Clock) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = SqlJournal(SqliteDb(path), keys, clock=clock)
    try:
        assert journal.db.rows("PRAGMA secure_delete") == [(1,)]  # set, never the build's
        id = journal.append(referral(1), Status.QUEUED)
        journal.set_status(id, Status.FAILED)
        erased = [bytes(v) for v in (
            *journal.db.rows("SELECT person, body FROM messages WHERE id = ?", (id,))[0],
            *journal.db.rows("SELECT data FROM attachments WHERE message = ?", (id,))[0],
            *journal.db.rows("SELECT person FROM classifications WHERE message = ?", (id,))[0])]
        assert journal.purge(LATER).purged == (id,)
        held = path.read_bytes() + (tmp_path / "journal.sqlite3-wal").read_bytes()
        assert [v[:32] in held for v in erased] == [False] * len(erased)
    finally:
        journal.close()


def test_a_purge_under_a_reader_leaves_the_log_to_the_checkpointer_without_waiting(
        tmp_path: Path, keys: Keyring, clock: Clock) -> None:
    """A reader holds the log: the purge returns (the truncation waits for no reader),
    and once the reader is done the log is truncated all the same."""
    path = tmp_path / "journal.sqlite3"
    journal = SqlJournal(SqliteDb(path), keys, clock=clock)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        id = journal.append(referral(1), Status.QUEUED)
        journal.set_status(id, Status.FAILED)
        (person,) = journal.db.rows("SELECT person FROM messages WHERE id = ?", (id,))[0]
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM messages").fetchall()
        assert journal.purge(LATER).purged == (id,)
        reader.execute("COMMIT")
        assert isinstance(journal.db, SqliteDb)
        assert journal.db.checkpoints.truncated(timeout=30)
        held = path.read_bytes() + (tmp_path / "journal.sqlite3-wal").read_bytes()
        assert bytes(person)[:32] not in held
    finally:
        reader.close()
        journal.close()


EVENT = b'{"resourceType":"AuditEvent","entity":[{"what":"Patient/0201909309"}]}'


def test_a_report_given_up_on_keeps_no_audit_event(sql_journal: SqlJournal) -> None:
    """EDS refused it for good: nothing sends it again, so its event (which may name the
    patient) is erased as a delivered one's is."""
    sql_journal.eds.enqueue("k1", EVENT, subtype="x", context="c",
                            message=referral(1).message_id)
    (report,) = sql_journal.eds.claim("w", 1, lease_seconds=60)
    assert sql_journal.eds.give_up(report.id, "w", "EDS refused it")
    assert sql_journal.db.rows("SELECT status, event, key_id FROM eds_reports") == [
        ("failed", None, None)]


def test_a_purge_erases_the_audit_event_of_a_report_in_any_status(
        sql_journal: SqlJournal) -> None:
    """A report of a purged message keeps no event, whatever its status: one given up on
    before give_up erased it too."""
    id = sql_journal.append(referral(1), Status.QUEUED)
    sql_journal.set_status(id, Status.FAILED)
    for key in ("queued", "failed"):
        sql_journal.eds.enqueue(key, EVENT, subtype="x", context="c",
                                message=referral(1).message_id)
    sql_journal.db.run("UPDATE eds_reports SET status = 'failed', last_error = 'refused' "
                       "WHERE key = 'failed'")
    assert sql_journal.purge(LATER).purged == (id,)
    assert sql_journal.db.rows("SELECT key, status, event, key_id, last_error FROM "
                               "eds_reports ORDER BY key") == [
        ("failed", "failed", None, None, "refused"), ("queued", "failed", None, None, "purged")]
