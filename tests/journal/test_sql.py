"""Engine plumbing: migrations, reopening, the factory, SQLite's durability settings."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from medcom_adapter.errors import JournalError, JournalKeyError
from medcom_adapter.journal import chain, rows
from medcom_adapter.journal.crypto import KEY_ENV, Key, Keyring, load_keyring, new_key
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.journal.migrations import MIGRATIONS, Migration, migrate
from medcom_adapter.journal.sqlite import SqliteDb
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import Clock, Opener
from tests.journal.samples import referral


def test_migrations_are_recorded_and_not_repeated(sql_journal: SqlJournal,
                                                   open_store: Opener) -> None:
    versions = sql_journal.db.rows("SELECT version, title FROM schema_version")
    assert versions == [(m.version, m.title) for m in MIGRATIONS]
    assert versions[:2] == [(1, "initial schema"), (2, "status and lease apart from the message")]
    id = sql_journal.append(referral(1), Status.SENT)
    again = open_store()
    assert again.get(id).message == referral(1)
    assert migrate(sql_journal.db) == []


def test_a_new_migration_runs_on_open(sql_journal: SqlJournal) -> None:
    next_version = MIGRATIONS[-1].version + 1
    extra = Migration(next_version, "note column", ("ALTER TABLE messages ADD COLUMN note TEXT",))
    assert migrate(sql_journal.db, (*MIGRATIONS, extra)) == [next_version]
    assert sql_journal.db.rows("SELECT note FROM messages") == []


def test_a_schema_newer_than_the_program_is_refused(sql_journal: SqlJournal) -> None:
    sql_journal.db.run("INSERT INTO schema_version VALUES (99, 'future', 'x')")
    with pytest.raises(JournalError, match="upgrade"):
        migrate(sql_journal.db)


def test_sqlite_uses_wal_and_full_sync(tmp_path: Path, keys: Keyring) -> None:
    db = SqliteDb(tmp_path / "j.sqlite3")
    assert db.rows("PRAGMA journal_mode") == [("wal",)]
    assert db.rows("PRAGMA synchronous") == [(2,)]  # FULL
    db.close()


def test_open_journal_defaults_to_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    env = {"MEDCOM_DATA_DIR": str(tmp_path / "data")}
    journal = open_journal(env=env)
    id = journal.append(referral(1), Status.QUEUED)
    journal.close()
    assert (tmp_path / "data" / "journal.sqlite3").exists()
    key_file = tmp_path / "data" / "journal.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = open_journal(env=env)
    assert again.get(id).message == referral(1)
    again.close()


def test_open_journal_by_url(tmp_path: Path) -> None:
    env = {"MEDCOM_DATA_DIR": str(tmp_path), KEY_ENV: new_key().line()}
    assert isinstance(open_journal("memory:", env=env), MemoryJournal)
    path = tmp_path / "elsewhere.db"
    journal = open_journal(f"sqlite:///{path}", env=env)
    journal.close()
    assert path.exists() and not (tmp_path / "journal.key").exists()
    env["MEDCOM_JOURNAL_URL"] = "memory:"
    assert isinstance(open_journal(env=env), MemoryJournal)
    with pytest.raises(JournalError, match="unknown journal URL scheme 'mysql'"):
        open_journal("mysql://user:secret@host/db", env=env)


def test_keys_from_the_environment_last_is_current(tmp_path: Path) -> None:
    a, b = new_key(), new_key()
    ring = load_keyring(tmp_path, {KEY_ENV: f"{a.line()};{b.line()}"})
    assert ring.current == b and set(ring.keys) == {a.id, b.id}
    with pytest.raises(JournalKeyError, match=KEY_ENV):
        load_keyring(tmp_path, {KEY_ENV: "k1:not-base64!"})
    with pytest.raises(JournalKeyError, match="256 bits"):
        Key("short", b"x" * 16)
    with pytest.raises(JournalKeyError, match="no journal key"):
        load_keyring(tmp_path / "none", {}, create=False)


def test_key_file_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "journal.key"
    ring = load_keyring(tmp_path, {"MEDCOM_JOURNAL_KEY_FILE": str(path)})
    assert path.exists() and os.stat(path).st_mode & 0o077 == 0
    assert load_keyring(tmp_path, {"MEDCOM_JOURNAL_KEY_FILE": str(path)}).current == ring.current


def test_the_state_migration_keeps_each_status_and_lease(tmp_path: Path, keys: Keyring,
                                                         clock: Clock) -> None:
    db = SqliteDb(tmp_path / "old.sqlite3")
    migrate(db, MIGRATIONS[:1])  # a journal written before status and lease moved
    message, at = referral(1), clock()
    entry = chain.entry_for(1, message, at)
    link = chain.link(chain.GENESIS, entry)
    # schema 1 had no classification digest (schema 5) nor channel (schema 14)
    old_columns = rows.MESSAGE_COLUMNS[:-2]
    db.run(rows.insert("messages", old_columns),
           rows.message_row(1, entry, link, message, Status.QUEUED, "system", keys)[:-2])
    attached = rows.attachment_rows(1, message, keys)
    assert all(row[-1] is None for row in attached)  # small: stored whole, as schema 1 did
    db.run_many(rows.insert("attachments", rows.ATTACHMENT_COLUMNS[:-1]),
                [row[:-1] for row in attached])
    assert message.classification is not None
    db.run(rows.insert("classifications", rows.CLASSIFICATION_COLUMNS),
           rows.classification_row(1, message.classification, keys))
    db.run("INSERT INTO audit_log (at, actor, action, message_ids, detail) "
           "VALUES ('2024-03-01', 'ops', 'find', '1', NULL)")
    for status in (Status.QUEUED, Status.SENT):
        db.run("INSERT INTO status_history (message, status, at, key_id, reason) "
               "VALUES (?, ?, ?, ?, ?)", rows.history_row(1, status, chain.timestamp(at), None,
                                                          keys))
    db.run("UPDATE messages SET status = 'sent', lease_until = ? WHERE id = 1",
           (chain.timestamp(at + timedelta(minutes=1)),))
    db.run("UPDATE journal_head SET last_id = 1, link = ? WHERE id = 1", (link,))

    journal = SqlJournal(db, keys, clock=clock)  # relinks the unkeyed chains, once
    assert journal.verify().intact
    assert db.rows("SELECT link FROM messages")[0][0] != link
    assert [s.id for s in journal.find(Query(status=Status.SENT))] == [1]
    assert journal.claim(Status.SENT, 10) == []  # the lease carried over
    clock.advance(minutes=2)
    assert journal.claim(Status.SENT, 10) == [1]
    journal.set_status(1, Status.ACKNOWLEDGED)
    assert journal.find(Query(status=Status.SENT)) == []
    assert journal.get(1).status is Status.ACKNOWLEDGED
    assert journal.verify().intact
    journal.close()
