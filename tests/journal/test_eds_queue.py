"""The journal's EDS report queue: queued once per key, claimed by one owner at a time,
settled only by the owner that still holds the row, sealed at rest and erased once EDS
holds the report."""

from __future__ import annotations

from medcom_adapter.journal.eds_queue import ReportStatus
from medcom_adapter.journal.interface import Journal
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import Clock, Opener

EVENT = b'{"resourceType":"AuditEvent","entity":[{"what":{"identifier":{"value":"0201909309"}}}]}'


def _queue(journal: Journal, key: str = "env-1:msg-sent") -> bool:
    return journal.eds.enqueue(key, EVENT, subtype="msg-sent", context="SOR:1 GLN:2",
                               message=None)


def test_a_report_is_queued_once_per_key(journal: Journal) -> None:
    assert _queue(journal) is True
    assert _queue(journal) is False
    assert _queue(journal, "env-1:msg-created-and-sent") is True
    claimed = journal.eds.claim("a", 10, lease_seconds=60)
    assert [(r.key, r.event, r.attempts) for r in claimed] == [
        ("env-1:msg-sent", EVENT, 0), ("env-1:msg-created-and-sent", EVENT, 0)]


def test_one_owner_at_a_time_and_a_taken_over_row_is_not_settled_by_the_old_owner(
        open_store: Opener, clock: Clock) -> None:
    first, second = open_store(), open_store()
    _queue(first)
    [mine] = first.eds.claim("a", 10, lease_seconds=60)
    assert second.eds.claim("b", 10, lease_seconds=60) == []
    assert first.eds.attempt(mine.id, "a")
    clock.advance(seconds=61)  # "a" died mid-call
    [taken] = second.eds.claim("b", 10, lease_seconds=60)
    assert taken.attempts == 1  # an attempt of unknown outcome: look in EDS first
    assert not first.eds.delivered(mine.id, "a", "late")
    assert not first.eds.attempt(mine.id, "a")
    assert second.eds.delivered(taken.id, "b", "eds-1")
    assert not second.eds.delivered(taken.id, "b", "eds-2")  # settled once
    clock.advance(seconds=600)
    assert second.eds.claim("c", 10, lease_seconds=60) == []


def test_retry_waits_and_give_up_is_final(journal: Journal, clock: Clock) -> None:
    _queue(journal)
    [report] = journal.eds.claim("a", 10, lease_seconds=60)
    assert journal.eds.retry(report.id, "a", "[local.ehmi-unavailable] timeout", 30)
    assert journal.eds.claim("a", 10, lease_seconds=60) == []
    clock.advance(seconds=31)
    [again] = journal.eds.claim("a", 10, lease_seconds=60)
    assert journal.eds.give_up(again.id, "a", "HTTP 422")
    clock.advance(seconds=3600)
    assert journal.eds.claim("a", 10, lease_seconds=60) == []


def test_the_report_is_sealed_at_rest_and_erased_once_delivered(
        sql_journal: SqlJournal) -> None:
    _queue(sql_journal)
    [(sealed,)] = sql_journal.db.rows("SELECT event FROM eds_reports")
    assert b"0201909309" not in bytes(sealed)
    [report] = sql_journal.eds.claim("a", 10, lease_seconds=60)
    assert sql_journal.eds.delivered(report.id, "a", "eds-1")
    assert sql_journal.db.rows("SELECT event, key_id, status, location FROM eds_reports") == [
        (None, None, ReportStatus.DELIVERED.value, "eds-1")]
