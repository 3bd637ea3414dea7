"""Forging the journal without its key, on the stored rows: ``verify`` names the break.

The attacker here can write the database (SQL, even dropping the audit log's trigger) but
does not hold the journal key: links they recompute are plain SHA-256, or copies of links
already stored. What only a checkpoint kept elsewhere can reveal (a tail cut off with the
head moved back to a stored link, or a rewrite by someone holding the key) is tested with
``verify(against=...)``.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from medcom_adapter.errors import JournalCorrupt
from medcom_adapter.journal import chain, rows
from medcom_adapter.journal.interface import Checkpoint, Query, Status
from medcom_adapter.journal.relink import relink
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import Clock
from tests.journal.samples import referral


def _fill(journal: SqlJournal, n: int = 5) -> list[int]:
    ids = list(journal.append_many([referral(i) for i in range(1, n + 1)], Status.SENT))
    for id in ids:
        journal.get(id, actor="cli:ops")  # audited reads
    return ids


def _remove(journal: SqlJournal, id: int) -> None:
    for table, column in (("attachments", "message"), ("classifications", "message"),
                          ("status_history", "message"), ("message_state", "message")):
        journal.db.run(f"DELETE FROM {table} WHERE {column} = ?", (id,))
    journal.db.run("DELETE FROM messages WHERE id = ?", (id,))


def _relink_unkeyed(journal: SqlJournal, after: int) -> str:
    """What an attacker without the key can do: recompute the later links as SHA-256."""
    link = str(journal.db.rows("SELECT link FROM messages WHERE id <= ? ORDER BY id DESC "
                               "LIMIT 1", (after,))[0][0])
    for raw in journal.db.rows(f"SELECT {', '.join(rows.MESSAGE_COLUMNS)} FROM messages "
                               "WHERE id > ? ORDER BY id", (after,)):
        row = rows.as_dict(raw)
        link = chain.link(link, rows.entry(row))
        journal.db.run("UPDATE messages SET link = ? WHERE id = ?", (link, row["id"]))
    journal.db.run("UPDATE journal_head SET link = ? WHERE id = 1", (link,))
    return link


def test_the_journal_as_written_verifies(sql_journal: SqlJournal) -> None:
    _fill(sql_journal)
    sql_journal.set_status(1, Status.ACKNOWLEDGED)
    report = sql_journal.verify(sql_journal.checkpoint())
    assert report.intact, report.problems


def test_cutting_off_the_newest_messages_and_recomputing_the_head(
        sql_journal: SqlJournal) -> None:
    _fill(sql_journal)
    for id in (5, 4):
        _remove(sql_journal, id)
    sql_journal.db.run("UPDATE journal_head SET last_id = 3 WHERE id = 1")
    _relink_unkeyed(sql_journal, after=2)  # from message 3 on, and the head
    report = sql_journal.verify()
    assert not report.intact and report.first_broken == 3
    assert "message 3: chain link does not follow" in report.problems[0]


def test_cutting_off_the_newest_messages_with_a_stored_head_is_seen_against_a_checkpoint(
        sql_journal: SqlJournal) -> None:
    _fill(sql_journal)
    kept = sql_journal.checkpoint()
    for id in (5, 4):
        _remove(sql_journal, id)
    stored = sql_journal.db.rows("SELECT link FROM messages WHERE id = 3")[0][0]
    sql_journal.db.run("UPDATE journal_head SET last_id = 3, link = ? WHERE id = 1", (stored,))
    report = sql_journal.verify()  # the audit log still names the reads of 4 and 5
    assert not report.intact
    assert any("names messages after message 3" in p for p in report.problems)
    against = sql_journal.verify(kept)
    assert any("message 5: missing, though the checkpoint names it" in p
               for p in against.problems)


def test_deleting_a_message_in_the_middle_and_relinking_the_rest(
        sql_journal: SqlJournal) -> None:
    _fill(sql_journal)
    _remove(sql_journal, 3)
    _relink_unkeyed(sql_journal, after=2)
    report = sql_journal.verify()
    assert report.first_broken == 4
    assert report.problems[0].startswith("message 4: chain link does not follow")


@pytest.mark.parametrize(("column", "value"), [
    ("receiver_ean", "5790000999999"), ("episode_id", "6d1b4c8e-8a57-4f0e-9d52-0c7c2b7c1a11"),
])
def test_rewriting_a_receiver_or_a_course_and_relinking(sql_journal: SqlJournal, column: str,
                                                        value: str) -> None:
    _fill(sql_journal)
    sql_journal.db.run(f"UPDATE messages SET {column} = ? WHERE id = 2", (value,))
    _relink_unkeyed(sql_journal, after=1)
    report = sql_journal.verify()
    assert report.first_broken == 2 and "message 2: chain link" in report.problems[0]


def test_a_changed_classification_is_seen(sql_journal: SqlJournal) -> None:
    _fill(sql_journal)
    sql_journal.db.run("UPDATE classifications SET classes = 'almen-praksis' WHERE message = 2")
    report = sql_journal.verify()
    assert report.first_broken == 2
    assert "message 2: its §126a classification was changed" in report.problems[0]
    sql_journal.db.run("DELETE FROM classifications WHERE message = 2")
    assert "classification was changed or removed" in sql_journal.verify().problems[0]


def test_an_audit_edit_after_dropping_the_trigger_is_seen(sql_journal: SqlJournal) -> None:
    _fill(sql_journal)
    trigger = ("DROP TRIGGER audit_log_no_delete" if sql_journal.db.dialect.name == "sqlite"
               else "DROP TRIGGER audit_log_append_only ON audit_log")
    sql_journal.db.script(trigger)
    if sql_journal.db.dialect.name == "sqlite":
        sql_journal.db.script("DROP TRIGGER audit_log_no_update")
    first = sql_journal.db.rows("SELECT MIN(id) FROM audit_log")[0][0]
    sql_journal.db.run("DELETE FROM audit_chain WHERE id = ?", (first + 1,))
    sql_journal.db.run("DELETE FROM audit_log WHERE id = ?", (first + 1,))
    sql_journal.db.run("UPDATE audit_log SET actor = 'system' WHERE id = ?", (first + 2,))
    report = sql_journal.verify()
    assert not report.intact and report.first_broken is None  # every message holds
    assert report.problems == (f"audit log row {first + 2}: its link does not follow from "
                               "the row before it (an audit row was changed or removed)",)


def test_erasing_content_without_a_purge_is_seen(sql_journal: SqlJournal, clock: Clock) -> None:
    _fill(sql_journal)
    sql_journal.db.run("DELETE FROM attachments WHERE message = 2")
    sql_journal.db.run("DELETE FROM classifications WHERE message = 2")
    sql_journal.db.run("UPDATE messages SET body = NULL, person = NULL, person_index = NULL, "
                       "purged_at = '2024-03-01T12:00:00.000000+00:00' WHERE id = 2")
    report = sql_journal.verify()
    assert report.first_broken == 2
    assert "message 2: its content was erased, but no purge" in report.problems[0]
    # a real purge is an audited, chained event: verify holds after it
    for id in (1, 3, 4, 5):
        sql_journal.set_status(id, Status.ACKNOWLEDGED)
    clock.advance(days=1)
    purged = sql_journal.purge(clock.now)
    assert set(purged.purged) == {1, 3, 4, 5}  # 2 looks purged already
    assert [p for p in sql_journal.verify().problems if "message 2" not in p] == []


def test_a_rewrite_by_someone_holding_the_key_is_seen_against_a_checkpoint(
        sql_journal: SqlJournal) -> None:
    _fill(sql_journal)
    kept = sql_journal.checkpoint()
    sql_journal.db.run("UPDATE messages SET receiver_ean = '5790000999999' WHERE id = 2")
    relink(sql_journal.db, sql_journal.keys, only_unkeyed=False)  # with the key
    assert sql_journal.verify().intact  # consistent again...
    report = sql_journal.verify(kept)  # ...but not the journal the checkpoint saw
    assert not report.intact and report.first_broken == 5
    assert "message 5: its link differs from the checkpoint's" in report.problems[0]
    assert Checkpoint.parse(str(kept)) == kept


def test_rotating_the_key_refuses_a_broken_journal(sql_journal: SqlJournal) -> None:
    _fill(sql_journal)
    sql_journal.db.run("UPDATE messages SET receiver_ean = '5790000999999' WHERE id = 2")
    with pytest.raises(Exception, match="does not verify"):
        sql_journal.rotate_key()


def test_verify_and_checkpoint_hold_on_the_memory_journal_too(clock: Clock) -> None:
    from medcom_adapter.journal.memory import MemoryJournal

    journal = MemoryJournal(clock=clock)
    journal.append_many([referral(1), referral(2)], Status.SENT)
    kept = journal.checkpoint()
    assert journal.verify(kept).intact
    other = dataclasses.replace(kept, message_link="f" * 64)
    assert journal.verify(other).first_broken == 2
    assert journal.find(Query(since=clock.now - timedelta(days=1)))


# -- the status history: every change chained, in the order the journal made them ---------

def _changes(journal: SqlJournal) -> list[tuple[int, int, str, str]]:
    return [(id, message, status, link) for id, message, status, link in journal.db.rows(
        "SELECT id, message, status, link FROM status_history ORDER BY id")]


def _statuses(journal: SqlJournal) -> list[tuple[int, int, str, str]]:
    """Five referrals sent; 2 acknowledged, 3 rejected with a reason, 4 acknowledged."""
    _fill(journal)
    journal.set_status(2, Status.ACKNOWLEDGED, leaving=Status.SENT)
    journal.set_status(3, Status.REJECTED, leaving=Status.SENT, reason="afvist af modtager")
    journal.set_status(4, Status.ACKNOWLEDGED, leaving=Status.SENT)
    assert journal.verify().intact
    return _changes(journal)


def _status_break(journal: SqlJournal) -> str:
    report = journal.verify()
    assert not report.intact and report.first_broken is None  # every message row holds
    (problem,) = [p for p in report.problems if p.startswith("status change")]
    return problem


def test_deleting_a_status_change_is_seen(sql_journal: SqlJournal) -> None:
    changes = _statuses(sql_journal)
    acknowledged = changes[5]  # message 2 acknowledged
    sql_journal.db.run("DELETE FROM status_history WHERE id = ?", (acknowledged[0],))
    sql_journal.db.run("UPDATE message_state SET status = 'sent' WHERE message = 2")
    assert _status_break(sql_journal) == (
        f"status change {changes[6][0]} (message 3): its link does not follow from the "
        "change before it (a status change was changed, inserted, reordered or removed)")


def test_inserting_a_status_change_without_the_key_is_seen(sql_journal: SqlJournal) -> None:
    changes = _statuses(sql_journal)
    last = changes[-1]
    forged = chain.status_link(None, last[3], 5, "acknowledged", "2024-03-01T12:00:00."
                               "000000+00:00", None)  # all one can do without the key
    sql_journal.db.run("INSERT INTO status_history (message, status, at, link) VALUES "
                       "(5, 'acknowledged', '2024-03-01T12:00:00.000000+00:00', ?)", (forged,))
    sql_journal.db.run("UPDATE message_state SET status = 'acknowledged' WHERE message = 5")
    sql_journal.db.run("UPDATE journal_head SET last_id = last_id + 1, link = ? WHERE id = 3",
                       (forged,))
    assert _status_break(sql_journal).startswith(
        f"status change {last[0] + 1} (message 5): its link does not follow")


def test_inserting_a_copy_of_a_change_with_its_link_is_seen(sql_journal: SqlJournal) -> None:
    changes = _statuses(sql_journal)
    sql_journal.db.run("INSERT INTO status_history (message, status, at, key_id, reason, link) "
                       "SELECT message, status, at, key_id, reason, link FROM status_history "
                       "WHERE id = ?", (changes[5][0],))  # message 2 acknowledged, twice
    assert _status_break(sql_journal).startswith(
        f"status change {changes[-1][0] + 1} (message 2): its link does not follow")


def test_reordering_status_changes_is_seen(sql_journal: SqlJournal) -> None:
    changes = _statuses(sql_journal)
    (a, *_), (b, *_) = changes[5], changes[7]  # message 2's and 4's acknowledgements
    columns = "message, status, at, key_id, reason, link"
    found = {id: row for id, *row in sql_journal.db.rows(
        f"SELECT id, {columns} FROM status_history WHERE id IN (?, ?)", (a, b))}
    for id, other in ((a, b), (b, a)):  # swap the rows' places, links and all
        sql_journal.db.run("UPDATE status_history SET message = ?, status = ?, at = ?, "
                           "key_id = ?, reason = ?, link = ? WHERE id = ?",
                           (*found[other], id))
    assert _status_break(sql_journal).startswith(
        f"status change {a} (message 4): its link does not follow")


def test_rewriting_a_status_and_relinking_without_the_key_is_seen(
        sql_journal: SqlJournal) -> None:
    changes = _statuses(sql_journal)
    rejected = changes[6]
    sql_journal.db.run("UPDATE status_history SET status = 'acknowledged', key_id = NULL, "
                       "reason = NULL WHERE id = ?", (rejected[0],))
    sql_journal.db.run("UPDATE message_state SET status = 'acknowledged' WHERE message = 3")
    link = changes[5][3]
    for id, message, status, at in sql_journal.db.rows(
            "SELECT id, message, status, at FROM status_history WHERE id >= ? ORDER BY id",
            (rejected[0],)):
        link = chain.status_link(None, link, message, status, at, None)
        sql_journal.db.run("UPDATE status_history SET link = ? WHERE id = ?", (link, id))
    sql_journal.db.run("UPDATE journal_head SET link = ? WHERE id = 3", (link,))
    assert _status_break(sql_journal).startswith(
        f"status change {rejected[0]} (message 3): its link does not follow")


def test_a_reason_moved_to_another_change_does_not_open(sql_journal: SqlJournal) -> None:
    changes = _statuses(sql_journal)
    sql_journal.db.run("UPDATE status_history SET key_id = 'test-1', reason = (SELECT reason "
                       "FROM status_history WHERE id = ?) WHERE id = ?",
                       (changes[6][0], changes[7][0]))
    assert _status_break(sql_journal) == (
        f"status change {changes[7][0]} (message 4): its sealed reason does not open")


def test_a_current_status_set_behind_the_history_is_seen(sql_journal: SqlJournal) -> None:
    _statuses(sql_journal)
    # acknowledged back to queued: an outbox would send the referral again
    sql_journal.db.run("UPDATE message_state SET status = 'queued' WHERE message = 2")
    report = sql_journal.verify()
    assert report.problems == ("message 2: its status queued is not the last change in its "
                               "chained history (acknowledged)",)


def test_the_newest_status_change_cut_off_is_seen_against_a_checkpoint(
        sql_journal: SqlJournal) -> None:
    changes = _statuses(sql_journal)
    kept = sql_journal.checkpoint()
    assert (kept.statuses, kept.status_link) == (len(changes), changes[-1][3])
    sql_journal.db.run("DELETE FROM status_history WHERE id = ?", (changes[-1][0],))
    sql_journal.db.run("UPDATE message_state SET status = 'sent' WHERE message = 4")
    sql_journal.db.run("UPDATE journal_head SET last_id = last_id - 1, link = ? WHERE id = 3",
                       (changes[-2][3],))  # a link already stored: no key needed
    assert sql_journal.verify().intact  # consistent without a checkpoint...
    report = sql_journal.verify(kept)  # ...but not the journal the checkpoint saw
    assert (f"status change number {len(changes)}: missing, though the checkpoint names it"
            in report.problems)
    assert Checkpoint.parse(str(kept)) == kept


def test_a_journal_from_before_the_status_chain_is_linked_once_on_opening(
        sql_journal: SqlJournal, open_store: object) -> None:
    _statuses(sql_journal)
    messages = sql_journal.db.rows("SELECT id, link FROM messages ORDER BY id")
    audit = sql_journal.db.rows("SELECT id, link FROM audit_chain ORDER BY id")
    _as_schema_7(sql_journal)  # opening it applies 8 to 14 and links the history at once
    reopened = open_store()  # type: ignore[operator]
    assert reopened.verify().intact
    assert sql_journal.db.rows("SELECT id, link FROM messages ORDER BY id") == messages
    assert sql_journal.db.rows("SELECT id, link FROM audit_chain ORDER BY id") == audit
    reopened.set_status(5, Status.ACKNOWLEDGED, leaving=Status.SENT)
    assert reopened.verify().intact


def _as_schema_7(journal: SqlJournal) -> None:
    """The journal as schema 7 left it: migrations 8 to 14 undone, their records gone."""
    for statement in ("DROP TABLE message_bodies", "DROP TABLE idempotency_keys",
                      "DROP TABLE eds_reports", "ALTER TABLE attachments DROP COLUMN in_body",
                      "ALTER TABLE messages DROP COLUMN channel",
                      "ALTER TABLE status_history DROP COLUMN link"):
        journal.db.script(statement)
    journal.db.run("DELETE FROM journal_head WHERE id = 3")
    journal.db.run("DELETE FROM schema_version WHERE version >= 8")


def test_an_old_checkpoint_line_still_reads() -> None:
    line = f"mcj1.4.{'a' * 64}.7.{'b' * 64}"
    assert Checkpoint.parse(line) == Checkpoint(4, "a" * 64, 7, "b" * 64)
    with pytest.raises(ValueError, match="mcj2"):
        Checkpoint.parse(f"mcj2.4.{'a' * 64}.7.{'b' * 64}")


def test_status_changes_are_chained_on_the_memory_journal_too(clock: Clock) -> None:
    from medcom_adapter.journal.memory import MemoryJournal

    journal = MemoryJournal(clock=clock)
    journal.append_many([referral(1), referral(2)], Status.SENT)
    journal.set_status(1, Status.ACKNOWLEDGED)
    kept = journal.checkpoint()
    assert kept.statuses == 3 and journal.verify(kept).intact
    record = journal._records[1]  # what someone inside the process could reach
    record.history[1] = dataclasses.replace(record.history[1], status=Status.REJECTED)
    assert journal.verify().problems == (
        "status change 3 (message 1): its link does not follow from the change before it "
        "(a status change was changed, inserted, reordered or removed)",)
    del record.history[1]
    assert journal.verify().problems[0].startswith("status change 3 (message 1)")


# -- attachments and purge records --------------------------------------------------------

def test_a_removed_or_moved_attachment_is_seen(sql_journal: SqlJournal) -> None:
    _fill(sql_journal)
    sql_journal.db.run("DELETE FROM attachments WHERE message = 2")
    report = sql_journal.verify()
    assert report.first_broken == 2
    assert report.problems[0] == "message 2: attachments do not match their digests"
    # the form of message 3 put in as message 2's: its seal names message 3
    sql_journal.db.run("INSERT INTO attachments (message, position, object_id, content_type, "
                       "title, data) SELECT 2, position, object_id, content_type, title, data "
                       "FROM attachments WHERE message = 3")
    report = sql_journal.verify()
    assert report.first_broken == 2 and report.problems[0].startswith("message 2: ")
    assert "do not match" not in report.problems[0]  # it fails to open at all


def test_a_purge_record_removed_after_dropping_the_trigger_is_seen(
        sql_journal: SqlJournal, clock: Clock) -> None:
    _fill(sql_journal)
    for id in (1, 2):
        sql_journal.set_status(id, Status.ACKNOWLEDGED)
    clock.advance(days=1)
    assert sql_journal.purge(clock.now, actor="cli:ops").purged == (1, 2)
    assert sql_journal.verify().intact
    if sql_journal.db.dialect.name == "sqlite":
        sql_journal.db.script("DROP TRIGGER audit_log_no_delete")
    else:
        sql_journal.db.script("DROP TRIGGER audit_log_append_only ON audit_log")
    (purge,) = sql_journal.db.rows("SELECT id FROM audit_log WHERE action = 'purge'")
    sql_journal.db.run("DELETE FROM audit_chain WHERE id = ?", purge)
    sql_journal.db.run("DELETE FROM audit_log WHERE id = ?", purge)
    report = sql_journal.verify()
    assert report.first_broken == 1
    assert report.problems[:2] == (
        "message 1: its content was erased, but no purge in the audit log names it",
        "message 2: its content was erased, but no purge in the audit log names it")
    assert f"audit log rows after row {purge[0] - 1} are missing" in report.problems


@pytest.mark.parametrize("head", [1, 2, 3])
def test_removing_the_chain_keys_name_and_relinking_without_the_key_is_refused(
        sql_journal: SqlJournal, open_store: object, head: int) -> None:
    # the downgrade: a receiver rewritten, the links recomputed as plain SHA-256, and the
    # head row's chain key cleared so the journal would look as if from before keyed chains
    _fill(sql_journal)
    sql_journal.db.run("UPDATE messages SET receiver_sor = '999999' WHERE id = 2")
    _relink_unkeyed(sql_journal, after=1)
    sql_journal.db.run("UPDATE journal_head SET chain_key = NULL WHERE id = ?", (head,))
    report = sql_journal.verify()  # the journal open meanwhile: reported, not laundered
    assert not report.intact
    assert report.problems == (
        f"journal_head row {head} names no chain key, though the journal's chains were "
        "keyed when it was made or upgraded: changed outside the journal (links made "
        "without the key would then pass). Refusing to read or write by it: restore the "
        "journal from a backup and run 'journal verify' against a checkpoint kept "
        "elsewhere (docs/security.md)",)
    with pytest.raises(JournalCorrupt, match=f"journal_head row {head} names no chain key"):
        open_store()  # type: ignore[operator]  # any process opening it: serve, verify
    assert sql_journal.db.rows("SELECT receiver_sor FROM messages WHERE id = 2") == [
        ("999999",)]  # and nothing was relinked over the change
    assert sql_journal.db.rows("SELECT COUNT(*) FROM journal_head WHERE chain_key IS NULL"
                               ) == [(1,)]


@pytest.mark.parametrize("head", [1, 2, 3])
def test_a_head_row_deleted_is_reported_and_refused(
        sql_journal: SqlJournal, open_store: object, head: int) -> None:
    _fill(sql_journal)
    sql_journal.db.run("DELETE FROM journal_head WHERE id = ?", (head,))
    report = sql_journal.verify()  # reported, not a traceback
    assert not report.intact
    assert report.problems[0].startswith(f"journal_head row {head} is gone: changed outside")
    with pytest.raises(JournalCorrupt, match=f"journal_head row {head} is gone"):
        open_store()  # type: ignore[operator]


@pytest.mark.parametrize("version", [5, 8, 13])
def test_a_migrations_record_deleted_refuses_the_journal_and_relinks_nothing(
        sql_journal: SqlJournal, open_store: object, version: int) -> None:
    # pretending the journal predates a migration by its record: with newer versions still
    # recorded that gap can only be a deletion; the journal is refused, nothing relinked
    _statuses(sql_journal)
    sql_journal.db.run("UPDATE messages SET receiver_sor = '999999' WHERE id = 2")
    links = sql_journal.db.rows("SELECT id, link FROM messages ORDER BY id")
    sql_journal.db.run("DELETE FROM schema_version WHERE version = ?", (version,))
    with pytest.raises(JournalCorrupt, match=f"lacks version {version} below its newest"):
        open_store()  # type: ignore[operator]
    assert sql_journal.db.rows("SELECT id, link FROM messages ORDER BY id") == links


def test_the_status_history_undone_to_schema_7_after_a_rewrite_is_refused_without_its_gap(
        sql_journal: SqlJournal, open_store: object) -> None:
    # the status chain's own upgrade, forced by undoing migration 8 alone (its column, its
    # head row, its record) after rewriting a status: the record's gap gives it away
    _statuses(sql_journal)
    sql_journal.db.run("UPDATE status_history SET status = 'acknowledged' "
                       "WHERE message = 3 AND status = 'rejected'")
    sql_journal.db.script("ALTER TABLE status_history DROP COLUMN link")
    sql_journal.db.run("DELETE FROM journal_head WHERE id = 3")
    sql_journal.db.run("DELETE FROM schema_version WHERE version = 8")
    with pytest.raises(JournalCorrupt, match="lacks version 8 below its newest"):
        open_store()  # type: ignore[operator]
