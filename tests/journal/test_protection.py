"""Encryption at rest, the keyed person index, tamper detection and the audit log's rows."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from medcom_adapter.errors import JournalKeyError
from medcom_adapter.journal.crypto import Key, Keyring
from medcom_adapter.journal.interface import Query, Status
from medcom_adapter.journal.shared import KeyRecord
from medcom_adapter.journal.sqlite import SqliteDb
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import POSTGRES_URL, Clock, Opener
from tests.journal.samples import (
    BUILT_CPR,
    CPR,
    OTHER_CPR,
    PDF_SENTENCE,
    built_referral,
    referral,
)

SECRETS = (CPR.value.encode(), BUILT_CPR.value.encode(), PDF_SENTENCE, b"Henvisningsskema",
           b"Elmer")


def flip_a_byte(journal: SqlJournal, table: str, column: str, key: str, id: int) -> None:
    (sealed,) = journal.db.rows(f"SELECT {column} FROM {table} WHERE {key} = ?", (id,))[0]
    changed = bytearray(sealed)
    changed[len(changed) // 2] ^= 0x01
    journal.db.run(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (bytes(changed), id))


def remove(journal: SqlJournal, id: int) -> None:
    for table, key in (("attachments", "message"), ("classifications", "message"),
                       ("status_history", "message"), ("message_state", "message"),
                       ("messages", "id")):
        journal.db.run(f"DELETE FROM {table} WHERE {key} = ?", (id,))


def test_sqlite_file_holds_no_cpr_and_no_pdf_text(tmp_path: Path, keys: Keyring,
                                                  clock: Clock) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = SqlJournal(SqliteDb(path), keys, clock=clock)
    for n in range(1, 4):
        journal.append(referral(n), Status.QUEUED)
    journal.append(built_referral(), Status.QUEUED)
    assert journal.find(Query(patient=CPR))[0].message.attachments[0].data.count(PDF_SENTENCE)
    journal.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"XREF01" in raw  # the file is readable, just not the secrets in it
    for secret in SECRETS:
        assert secret not in raw, secret


def test_sqlite_files_are_the_owners_only(tmp_path: Path, keys: Keyring, clock: Clock) -> None:
    path = tmp_path / "data" / "journal.sqlite3"
    journal = SqlJournal(SqliteDb(path), keys, clock=clock)
    journal.append(referral(1), Status.QUEUED)
    assert path.parent.stat().st_mode & 0o777 == 0o700
    for file in path.parent.iterdir():  # the database and its WAL files
        assert file.stat().st_mode & 0o077 == 0, file
    journal.close()


@pytest.mark.skipif(not POSTGRES_URL or not shutil.which("pg_dump"),
                    reason="needs MEDCOM_TEST_POSTGRES_URL and pg_dump")
def test_postgres_dump_holds_no_cpr_and_no_pdf_text(postgres_url: str, keys: Keyring) -> None:
    from medcom_adapter.journal.postgres import PostgresDb

    journal = SqlJournal(PostgresDb(postgres_url), keys)
    journal.append(referral(1), Status.QUEUED)
    journal.append(built_referral(), Status.QUEUED)
    journal.close()
    schema = postgres_url.rsplit("%3D", 1)[1]
    assert POSTGRES_URL
    dump = subprocess.run(["pg_dump", "--schema", schema, "--dbname", POSTGRES_URL],
                          check=True, capture_output=True).stdout
    assert b"XREF01" in dump
    for secret in SECRETS:
        assert secret not in dump, secret


def test_status_reasons_are_sealed(sql_journal: SqlJournal) -> None:
    id = sql_journal.append(referral(1), Status.SENT)
    reason = f"syntaksfejl: CPR {CPR.value} findes ikke"
    sql_journal.set_status(id, Status.REJECTED, reason=reason)
    stored = sql_journal.db.rows("SELECT reason FROM status_history WHERE reason IS NOT NULL")
    assert len(stored) == 1 and CPR.value.encode() not in bytes(stored[0][0])
    assert sql_journal.get(id).history[-1].reason == reason


def test_person_ids_are_indexed_by_keyed_hash_only(sql_journal: SqlJournal) -> None:
    sql_journal.append(referral(1), Status.QUEUED)
    ((index, person),) = sql_journal.db.rows("SELECT person_index, person FROM messages")
    assert CPR.value not in index and len(index) == 64
    assert CPR.value.encode() not in bytes(person)
    assert index == sql_journal.keys.index(CPR.value)
    other = Keyring((Key("other", bytes(32)),))
    assert other.index(CPR.value) != index  # without the key the index cannot be rebuilt
    import hashlib

    assert hashlib.sha256(CPR.value.encode()).hexdigest() != index


def test_verify_detects_one_flipped_byte_in_a_body(sql_journal: SqlJournal) -> None:
    ids = sql_journal.append_many([referral(n) for n in range(1, 4)], Status.SENT)
    assert sql_journal.verify().intact
    flip_a_byte(sql_journal, "messages", "body", "id", ids[1])
    report = sql_journal.verify()
    assert report.first_broken == ids[1] and report.checked == 3
    assert "fails authentication" in report.problems[0]


def test_verify_detects_a_flipped_byte_in_an_attachment(sql_journal: SqlJournal) -> None:
    id = sql_journal.append(referral(1), Status.SENT)
    flip_a_byte(sql_journal, "attachments", "data", "message", id)
    assert sql_journal.verify().first_broken == id


def test_verify_detects_a_changed_digest_or_header(sql_journal: SqlJournal) -> None:
    ids = sql_journal.append_many([referral(n) for n in range(1, 4)], Status.SENT)
    sql_journal.db.run("UPDATE messages SET receiver_ean = '5790000000005' WHERE id = ?",
                       (ids[2],))
    assert sql_journal.verify().first_broken == ids[2]
    sql_journal.db.run("UPDATE messages SET digest = ? WHERE id = ?", ("0" * 64, ids[0]))
    assert sql_journal.verify().first_broken == ids[0]


def test_verify_detects_a_deleted_row(sql_journal: SqlJournal) -> None:
    ids = sql_journal.append_many([referral(n) for n in range(1, 5)], Status.SENT)
    remove(sql_journal, ids[1])
    report = sql_journal.verify()
    assert report.first_broken == ids[2] and report.checked == 3
    assert "removed" in report.problems[0]


def test_verify_detects_deleted_last_rows(sql_journal: SqlJournal) -> None:
    ids = sql_journal.append_many([referral(n) for n in range(1, 4)], Status.SENT)
    remove(sql_journal, ids[2])
    report = sql_journal.verify()
    assert report.first_broken == ids[2]
    assert "missing" in report.problems[0]


def test_verify_detects_a_ciphertext_moved_to_another_row(sql_journal: SqlJournal) -> None:
    a, b = sql_journal.append_many([referral(1), referral(2, patient=OTHER_CPR)], Status.SENT)
    (person,) = sql_journal.db.rows("SELECT person FROM messages WHERE id = ?", (a,))[0]
    sql_journal.db.run("UPDATE messages SET person = ? WHERE id = ?", (person, b))
    assert sql_journal.verify().first_broken == b


def test_the_audit_log_refuses_changes(sql_journal: SqlJournal) -> None:
    sql_journal.get(sql_journal.append(referral(1), Status.SENT), actor="cli:x")
    with pytest.raises(Exception, match="never changed or removed"):
        sql_journal.db.run("UPDATE audit_log SET actor = 'y'")
    with pytest.raises(Exception, match="never changed or removed"):
        sql_journal.db.run("DELETE FROM audit_log")
    assert [a.actor for a in sql_journal.audit_log()] == ["cli:x"]


def test_a_journal_under_a_key_we_lack_refuses_to_open_naming_it(
        sql_journal: SqlJournal, open_store: Opener, clock: Clock) -> None:
    sql_journal.append(referral(1), Status.SENT)
    with pytest.raises(JournalKeyError, match="test-1"):
        SqlJournal(sql_journal.db, Keyring((Key("other", bytes(32)),)), clock=clock)
    with pytest.raises(JournalKeyError, match="does not open"):  # same id, another secret
        SqlJournal(sql_journal.db, Keyring((Key("test-1", bytes(32)),)), clock=clock)


def test_rotate_key_reencrypts_every_row_and_lookups_still_work(
    sql_journal: SqlJournal, keys: Keyring, clock: Clock
) -> None:
    ids = sql_journal.append_many([referral(n) for n in range(1, 4)], Status.SENT)
    sql_journal.set_status(ids[0], Status.REJECTED, reason="ikke_specificeret: afvist")
    before = sql_journal.db.rows("SELECT body FROM messages ORDER BY id")
    new = Keyring((*keys.keys.values(), Key("test-2", bytes(range(1, 33)))))
    rotated = SqlJournal(sql_journal.db, new, clock=clock)
    assert rotated.rotate_key() == 3
    assert rotated.rotate_key() == 0
    assert {k for (k,) in rotated.db.rows("SELECT key_id FROM messages")} == {"test-2"}
    assert rotated.db.rows("SELECT body FROM messages ORDER BY id") != before
    only_new = SqlJournal(sql_journal.db, Keyring((new.current,)), clock=clock)
    assert [s.id for s in only_new.find(Query(patient=CPR))] == list(ids)
    assert only_new.get(ids[0]).message == referral(1)
    assert only_new.get(ids[0]).history[-1].reason == "ikke_specificeret: afvist"
    assert only_new.classifications(*[referral(1).classification.referred_on] * 2)  # type: ignore[union-attr]
    assert only_new.verify().intact
    assert only_new.audit_log()[0].action == "rotate-key"


def test_rotate_key_reseals_the_services_shared_state(
    sql_journal: SqlJournal, keys: Keyring, clock: Clock
) -> None:
    """API keys' webhook secrets, launches, sessions and drafts are sealed too: after a
    rotation they open under the new key alone, and no row names the old key."""
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    shared = sql_journal.shared
    shared.add_key(KeyRecord("k1", "sbsys", "digest", ("send",), (), now, None,
                             "https://case.example/hook", "hemmelighed"))
    shared.put_launch("launch-ref", b"launch context", now + timedelta(minutes=5), now)
    shared.start_session("session-id", b"session state", now, timedelta(hours=1),
                         timedelta(hours=8))
    shared.put_draft("session-id", "draft-1", b"udkast", now)
    new = Keyring((*keys.keys.values(), Key("test-2", bytes(range(1, 33)))))
    rotated = SqlJournal(sql_journal.db, new, clock=clock)
    rotated.rotate_key()
    assert rotated.keys_in_use() == {"test-2"}
    only_new = SqlJournal(sql_journal.db, Keyring((new.current,)), clock=clock).shared
    found = only_new.key("k1")
    assert found is not None and found.webhook_secret == "hemmelighed"
    assert only_new.take_launch("launch-ref") == (b"launch context",
                                                  now + timedelta(minutes=5))
    assert only_new.session("session-id", now, timedelta(hours=1),
                            timedelta(hours=8)) == b"session state"
    assert only_new.take_draft("session-id", "draft-1") == b"udkast"


def test_keys_in_use_names_a_reason_sealed_under_an_old_key(
    sql_journal: SqlJournal, keys: Keyring, clock: Clock
) -> None:
    """A status reason written under the old key by a process still sealing with it, for a
    message already under the new key, is re-sealed too, never left behind."""
    id = sql_journal.append(referral(1), Status.SENT)
    new = Keyring((*keys.keys.values(), Key("test-2", bytes(range(1, 33)))))
    rotated = SqlJournal(sql_journal.db, new, clock=clock)
    rotated.rotate_key()
    stale = SqlJournal(sql_journal.db, Keyring((new.current, *keys.keys.values())),
                       clock=clock)  # both keys, the old one still current
    stale.set_status(id, Status.REJECTED, reason="ikke_specificeret: afvist")
    assert rotated.keys_in_use() == {"test-1", "test-2"}
    rotated.rotate_key()
    assert rotated.keys_in_use() == {"test-2"}
    only_new = SqlJournal(sql_journal.db, Keyring((new.current,)), clock=clock)
    assert only_new.get(id).history[-1].reason == "ikke_specificeret: afvist"
    assert only_new.verify().intact


def test_lookups_find_rows_under_old_and_new_keys(
    sql_journal: SqlJournal, keys: Keyring, clock: Clock
) -> None:
    old = sql_journal.append(referral(1), Status.SENT)
    new = SqlJournal(sql_journal.db, Keyring((*keys.keys.values(), Key("k2", bytes(32)))),
                     clock=clock)
    fresh = new.append(referral(2), Status.SENT)
    assert [s.id for s in new.find(Query(patient=CPR))] == [old, fresh]
