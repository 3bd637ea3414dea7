"""What exactly-once asks of every journal engine: compare-and-set statuses under the state
table, claims on received files, the journal's own identity, quarantined rows."""

from __future__ import annotations

import dataclasses

import pytest

from medcom_adapter.errors import JournalCorrupt, TransitionRefused
from medcom_adapter.journal.interface import Direction, Journal, Query, Status
from medcom_adapter.journal.shared import Unit
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.reliable.states import TRANSITIONS, allowed, final
from tests.journal.conftest import Clock, Opener
from tests.journal.samples import OTHER_CPR, UNIT, referral


def test_the_state_table_names_every_status_and_final_ones_lead_nowhere() -> None:
    assert set(TRANSITIONS) == set(Status)
    assert all(final(s) for s in (Status.ACKNOWLEDGED, Status.DELIVERED, Status.RESENT,
                                  Status.DUPLICATE, Status.REFUSED))
    assert not allowed(Status.ACKNOWLEDGED, Status.SENT)
    assert not allowed(Status.REJECTED, Status.SENT) and not allowed(Status.FAILED, Status.SENT)


def test_an_outbox_mark_never_puts_an_acknowledged_message_back(journal: Journal) -> None:
    id = journal.append(referral(1), Status.QUEUED)
    journal.set_status(id, Status.ACKNOWLEDGED, leaving=Status.QUEUED)  # the answer was quick
    with pytest.raises(TransitionRefused) as refused:
        journal.set_status(id, Status.SENT, leaving=Status.QUEUED)
    assert refused.value.current == "acknowledged"
    stored = journal.get(id)
    assert stored.status is Status.ACKNOWLEDGED
    assert [c.status for c in stored.history] == [Status.QUEUED, Status.ACKNOWLEDGED]


def test_a_change_the_table_lacks_is_refused_and_writes_nothing(journal: Journal) -> None:
    id = journal.append(referral(1), Status.RECEIVED)
    journal.set_status(id, Status.DELIVERED)
    for status in (Status.RECEIVED, Status.REFUSED, Status.SENT):
        with pytest.raises(TransitionRefused):
            journal.set_status(id, status)
    assert [c.status for c in journal.get(id).history] == [Status.RECEIVED, Status.DELIVERED]


def test_a_change_naming_a_status_already_left_is_refused(journal: Journal) -> None:
    id = journal.append(referral(1), Status.QUEUED)
    journal.set_status(id, Status.SENT, leaving=Status.QUEUED)
    with pytest.raises(TransitionRefused):
        journal.set_status(id, Status.SENT, leaving=Status.QUEUED)  # a second worker's mark
    journal.set_status(id, Status.RESENT, leaving=Status.SENT)
    with pytest.raises(TransitionRefused):
        journal.set_status(id, Status.RESENT, leaving=Status.SENT)  # a resend decided twice


def test_a_received_file_is_claimed_by_one_worker_until_its_lease_runs_out(
    journal: Journal, clock: Clock,
) -> None:
    first = journal.claim_file("XDIS91_A.xml", "d1", owner="a", lease_seconds=60)
    assert first is not None and first.outcome is None
    assert journal.claim_file("XDIS91_A.xml", "d1", owner="b", lease_seconds=60) is None
    assert journal.claim_file("XDIS91_A.xml", "d2", owner="b", lease_seconds=60) is not None
    id = journal.append(referral(1), Status.RECEIVED)
    assert journal.decide_file(first.id, "delivered", id, owner="a")
    clock.advance(seconds=61)  # a died
    taken = journal.claim_file("XDIS91_A.xml", "d1", owner="b", lease_seconds=60)
    assert taken is not None and (taken.id, taken.outcome, taken.message) == (
        first.id, "delivered", id)  # resumed with what a decided
    assert not journal.decide_file(first.id, "duplicates", None, owner="a")  # a lost it
    assert not journal.keep_file(first.id, owner="a", lease_seconds=60)
    assert journal.keep_file(first.id, owner="b", lease_seconds=60)
    journal.settle_file(first.id)
    again = journal.claim_file("XDIS91_A.xml", "d1", owner="a", lease_seconds=60)
    assert again is not None and again.id != first.id and again.outcome is None


def test_files_claimed_decided_and_settled_together_keep_each_claim_s_rules(
    journal: Journal, clock: Clock,
) -> None:
    held = journal.claim_file("XCTL03_B.xml", "d2", owner="b", lease_seconds=60)
    assert held is not None
    a, twice, b, c = journal.claim_files(
        [("XCTL03_A.xml", "d1"), ("XCTL03_A.xml", "d1"), ("XCTL03_B.xml", "d2"),
         ("XCTL03_C.xml", "d3")], owner="a", lease_seconds=60)
    assert a is not None and c is not None and a.id != c.id
    assert twice is None  # listed twice, claimed once
    assert b is None  # b holds it
    assert journal.claim_files([("XCTL03_A.xml", "d1")], owner="b", lease_seconds=60) == [None]
    # deciding together: only the claims a still holds are decided
    assert sorted(journal.decide_files([(a.id, "receipts", None), (held.id, "receipts", None),
                                        (c.id, "duplicates", None)], owner="a")) == [a.id, c.id]
    clock.advance(seconds=61)  # a died
    taken = journal.claim_files([("XCTL03_C.xml", "d3"), ("XCTL03_A.xml", "d1")], owner="b",
                                lease_seconds=60)
    assert [(t.id, t.outcome, t.message) for t in taken if t is not None] == [
        (c.id, "duplicates", None), (a.id, "receipts", None)]  # resumed as a decided
    assert journal.decide_files([(a.id, "refused", None)], owner="a") == []  # a lost it
    journal.settle_files([a.id, c.id])
    again = journal.claim_files([("XCTL03_A.xml", "d1")], owner="a", lease_seconds=60)[0]
    assert again is not None and again.id not in (a.id, c.id) and again.outcome is None


def test_a_failed_block_undoes_its_claims_and_statuses_however_much_is_stored(
    journal: Journal,
) -> None:
    ids = journal.append_many([referral(n) for n in range(1, 4)], Status.QUEUED)
    kept = journal.claim_file("XCTL03_A.xml", "d1", owner="a", lease_seconds=60)
    assert kept is not None
    with pytest.raises(RuntimeError), journal.atomic():
        journal.set_status(ids[0], Status.SENT, leaving=Status.QUEUED)
        journal.append(referral(4), Status.QUEUED)
        assert journal.decide_file(kept.id, "receipts", None, owner="a")
        journal.claim_file("XCTL03_B.xml", "d2", owner="a", lease_seconds=60)
        raise RuntimeError
    assert [journal.get(id).status for id in ids] == [Status.QUEUED] * 3
    assert len(journal.find(Query(limit=100))) == 3
    assert journal.find(Query(status=Status.QUEUED, limit=100))[0].id == ids[0]
    again = journal.claim_file("XCTL03_A.xml", "d1", owner="a", lease_seconds=60)
    assert again is not None and (again.id, again.outcome) == (kept.id, None)
    other = journal.claim_file("XCTL03_B.xml", "d2", owner="b", lease_seconds=60)
    assert other is not None  # the block's claim on it went with the block
    assert journal.verify().intact


def test_each_journal_has_its_own_identity_kept_across_opens(open_store: Opener,
                                                              engine: str) -> None:
    from medcom_adapter.journal.memory import MemoryJournal

    journal = open_store()
    assert journal.identity and journal.identity != MemoryJournal().identity
    if engine != "memory":
        assert open_store().identity == journal.identity


def test_a_row_that_fails_to_decrypt_is_quarantined_and_the_rest_flows(
    sql_journal: SqlJournal,
) -> None:
    ids = sql_journal.append_many([referral(n) for n in range(3)], Status.QUEUED)
    (sealed,) = sql_journal.db.rows("SELECT body FROM messages WHERE id = ?", (ids[1],))[0]
    damaged = bytes(sealed[:-1]) + bytes([sealed[-1] ^ 1])
    sql_journal.db.run("UPDATE messages SET body = ? WHERE id = ?", (damaged, ids[1]))
    found = sql_journal.find(Query(status=Status.QUEUED))
    assert [s.id for s in found] == [ids[0], ids[2]]
    assert [id for id, _ in sql_journal.quarantined()] == [ids[1]]
    with pytest.raises(JournalCorrupt):
        sql_journal.get(ids[1])
    assert sorted(sql_journal.claim(Status.QUEUED, 10)) == [ids[0], ids[2]]
    report = sql_journal.verify()
    assert not report.intact and any(f"message {ids[1]}" in p for p in report.problems)
    sql_journal.db.run("UPDATE messages SET body = ? WHERE id = ?", (sealed, ids[1]))
    assert sql_journal.verify().intact
    assert sql_journal.quarantined() == []  # it opens again: back in the flow


def test_quarantined_rows_are_read_in_the_units_scope_and_audited(
    sql_journal: SqlJournal,
) -> None:
    ours = Unit(UNIT.value, "5790000123456")
    ids = sql_journal.append_many([referral(1), referral(2, patient=OTHER_CPR),
                                   dataclasses.replace(referral(3), sender_sor="999")],
                                  Status.QUEUED)
    for id in ids:
        (sealed,) = sql_journal.db.rows("SELECT body FROM messages WHERE id = ?", (id,))[0]
        sql_journal.db.run("UPDATE messages SET body = ? WHERE id = ?",
                           (bytes(sealed[:-1]) + bytes([sealed[-1] ^ 1]), id))
    assert sql_journal.find(Query()) == []
    found = sql_journal.quarantined_of((ours,), actor="cli:tester")
    assert [(q.id, q.direction, q.kind, q.code) for q in found] == [
        (ids[0], Direction.OUTBOUND, "XREF01", "local.journal-corrupt"),
        (ids[1], Direction.OUTBOUND, "XREF01", "local.journal-corrupt")]
    assert [q.id for q in sql_journal.quarantined_of((ours,), actor="cli:tester",
                                                     patient=OTHER_CPR)] == [ids[1]]
    assert sql_journal.quarantined_of((Unit("888"),), actor="cli:tester") == []
    reads = [e.message_ids for e in sql_journal.audit_log() if e.action == "quarantined"]
    assert reads == [(ids[0], ids[1]), (ids[1],), ()]
