"""What every journal engine must do: the Journal protocol's behaviour."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, date, datetime

import pytest

from medcom_adapter.errors import TransitionRefused
from medcom_adapter.journal.interface import SYSTEM, Direction, Journal, Query, Status
from tests.journal.conftest import Clock, Opener
from tests.journal.samples import CPR, OTHER_CPR, PDF, receipt, referral

EPISODE_B = "0f8fad5b-d9cb-469f-a165-70867728950e"


def test_append_then_get_returns_exact_bytes_and_fields(journal: Journal, clock: Clock) -> None:
    message = referral(1)
    id = journal.append(message, Status.QUEUED)
    stored = journal.get(id)
    assert stored.id == id
    assert stored.message == message
    assert stored.message.attachments[0].data == PDF
    assert stored.digest == hashlib.sha256(message.data).hexdigest()
    assert stored.status is Status.QUEUED
    assert stored.stored_at == clock.now
    assert stored.purged_at is None


def test_get_unknown_id_raises_key_error(journal: Journal) -> None:
    with pytest.raises(KeyError):
        journal.get(4711)


def test_ids_increase_and_append_many_returns_them_in_order(journal: Journal) -> None:
    first = journal.append(referral(1), Status.QUEUED)
    more = journal.append_many([referral(2), referral(3)], Status.QUEUED)
    assert list(more) == [first + 1, first + 2]
    assert [journal.get(i).message.envelope_id for i in more] == ["ENV00000002", "ENV00000003"]


def test_status_history_is_kept_in_order_with_reasons(journal: Journal, clock: Clock) -> None:
    id = journal.append(referral(), Status.QUEUED)
    clock.advance(seconds=5)
    journal.set_status(id, Status.SENT)
    clock.advance(seconds=5)
    journal.set_status(id, Status.REJECTED, reason="syntaksfejl: Patient/CivilRegistrationNumber")
    history = journal.get(id).history
    assert [h.status for h in history] == [Status.QUEUED, Status.SENT, Status.REJECTED]
    assert history[-1].reason == "syntaksfejl: Patient/CivilRegistrationNumber"
    assert history[1].at == datetime(2024, 3, 1, 12, 0, 5, tzinfo=UTC)
    assert journal.get(id).status is Status.REJECTED


def test_set_status_of_unknown_id_raises_key_error(journal: Journal) -> None:
    with pytest.raises(KeyError):
        journal.set_status(99, Status.SENT)


def test_receipt_is_linked_to_the_message_it_answers(journal: Journal) -> None:
    sent = journal.append(referral(), Status.SENT)
    answer = journal.append(receipt(sent), Status.RECEIVED)
    assert journal.get(sent).answered_by == (answer,)
    assert journal.get(answer).message.answers == sent


def test_receipt_answering_nothing_stored_is_refused(journal: Journal) -> None:
    with pytest.raises(KeyError):
        journal.append(receipt(12345), Status.RECEIVED)


def test_find_filters(journal: Journal, clock: Clock) -> None:
    a = journal.append(referral(1), Status.QUEUED)
    clock.advance(days=1)
    b = journal.append(referral(2, patient=OTHER_CPR, episode=EPISODE_B), Status.SENT)
    c = journal.append(receipt(b), Status.RECEIVED)

    def ids(**filters: object) -> list[int]:
        return [s.id for s in journal.find(Query(**filters))]  # type: ignore[arg-type]

    assert ids() == [a, b, c]
    assert ids(patient=CPR) == [a]
    assert ids(patient=OTHER_CPR) == [b]
    assert ids(episode_id=EPISODE_B) == [b]
    assert ids(status=Status.SENT) == [b]
    assert ids(kind="XCTL01") == [c]
    assert ids(direction=Direction.OUTBOUND) == [a, b]
    assert ids(envelope_id="ENV00000002") == [b]
    assert ids(message_id="LET00000001") == [a]
    assert ids(since=datetime(2024, 3, 2, tzinfo=UTC)) == [b, c]
    assert ids(until=datetime(2024, 3, 2, tzinfo=UTC)) == [a]
    assert ids(patient=CPR, status=Status.SENT) == []
    assert ids(limit=2) == [a, b]


def test_find_by_status_sees_the_latest_status_only(journal: Journal) -> None:
    id = journal.append(referral(), Status.QUEUED)
    journal.set_status(id, Status.SENT)
    assert journal.find(Query(status=Status.QUEUED)) == []
    assert [s.id for s in journal.find(Query(status=Status.SENT))] == [id]


def test_claim_leases_ids_until_status_changes_or_lease_ends(
    journal: Journal, clock: Clock
) -> None:
    ids = journal.append_many([referral(n) for n in range(1, 5)], Status.QUEUED)
    first = journal.claim(Status.QUEUED, 3, lease_seconds=30)
    assert list(first) == list(ids[:3])
    assert list(journal.claim(Status.QUEUED, 3, lease_seconds=30)) == [ids[3]]
    assert list(journal.claim(Status.QUEUED, 3)) == []
    journal.set_status(ids[0], Status.SENT)
    assert list(journal.claim(Status.SENT, 5)) == [ids[0]]
    clock.advance(seconds=31)
    assert list(journal.claim(Status.QUEUED, 5)) == list(ids[1:])


def test_classifications_by_referral_date(journal: Journal) -> None:
    journal.append(referral(1), Status.QUEUED)
    journal.append(referral(2, classified=False), Status.QUEUED)
    found = journal.classifications(date(2024, 3, 1), date(2024, 3, 1))
    assert [c.patient for c in found] == [CPR]
    assert found[0] == referral(1).classification
    assert journal.classifications(date(2024, 3, 2), date(2024, 12, 31)) == []


def test_reads_and_exports_are_audited_without_person_ids(journal: Journal, clock: Clock) -> None:
    id = journal.append(referral(), Status.QUEUED)
    clock.advance(minutes=1)
    journal.get(id, actor="cli:sagsbehandler")
    journal.find(Query(patient=CPR), actor="cli:status-page")
    exported = journal.export(CPR, actor="cli:arkiv")
    assert [s.id for s in exported] == [id]
    log = journal.audit_log()
    assert [(a.actor, a.action, a.message_ids) for a in log] == [
        ("cli:sagsbehandler", "read", (id,)),
        ("cli:status-page", "find", (id,)),
        ("cli:arkiv", "export", (id,)),
    ]
    assert log[0].at == clock.now
    assert all(CPR.value not in (a.detail or "") for a in log)
    assert journal.audit_log(since=clock.now.replace(hour=13)) == []


def test_the_adapters_own_reads_are_not_audited_but_its_exports_are(journal: Journal) -> None:
    id = journal.append(referral(), Status.QUEUED)
    journal.get(id)
    journal.find(Query(status=Status.QUEUED), actor=SYSTEM)
    assert journal.audit_log() == []
    journal.get(id, actor="cli:sagsbehandler")
    journal.export(CPR, actor=SYSTEM)
    journal.classifications(date(2024, 3, 1), date(2024, 3, 1))
    assert [(a.actor, a.action) for a in journal.audit_log()] == [
        ("cli:sagsbehandler", "read"), (SYSTEM, "export"), (SYSTEM, "classifications")]


def test_an_atomic_block_commits_its_writes_together(open_store: Opener) -> None:
    journal = open_store()
    sent = journal.append(referral(1), Status.QUEUED)
    with journal.atomic():
        journal.set_status(sent, Status.SENT)
        answer = journal.append(receipt(sent), Status.RECEIVED)
        assert journal.get(sent).answered_by == (answer,)  # reads inside see the block
        journal.set_status(sent, Status.ACKNOWLEDGED)
    again = open_store()
    assert [h.status for h in again.get(sent).history] == [
        Status.QUEUED, Status.SENT, Status.ACKNOWLEDGED]
    assert again.get(answer).message.answers == sent
    assert again.verify().intact


def test_an_atomic_block_that_raises_leaves_nothing(journal: Journal) -> None:
    sent = journal.append(referral(1), Status.QUEUED)
    with pytest.raises(RuntimeError), journal.atomic():
        journal.set_status(sent, Status.SENT)
        journal.append(receipt(sent), Status.RECEIVED)
        journal.claim(Status.SENT, 10)
        raise RuntimeError("stop")
    stored = journal.get(sent)
    assert stored.status is Status.QUEUED and stored.answered_by == ()
    assert journal.find(Query()) == [stored]
    assert journal.find(Query(status=Status.QUEUED)) == [stored]
    assert journal.find(Query(status=Status.SENT)) == []
    assert journal.find(Query(envelope_id=receipt(sent).envelope_id)) == []
    assert journal.append(referral(2), Status.QUEUED) == sent + 1  # ids stay gapless
    assert journal.verify().intact


def test_an_inner_atomic_block_that_raises_undoes_only_its_own_writes(journal: Journal) -> None:
    first = journal.append(referral(1), Status.QUEUED)
    with journal.atomic():
        journal.set_status(first, Status.SENT)
        with pytest.raises(KeyError), journal.atomic():
            journal.append(referral(2), Status.QUEUED)
            journal.append(receipt(4711), Status.RECEIVED)  # answers nothing stored
        second = journal.append(referral(3), Status.QUEUED)
    assert journal.get(first).status is Status.SENT
    assert second == first + 1
    assert [s.message.envelope_id for s in journal.find(Query())] == [
        "ENV00000001", "ENV00000003"]
    assert journal.verify().intact


def test_an_atomic_block_that_raises_undoes_its_file_claims_and_leases(journal: Journal) -> None:
    queued = journal.append(referral(1), Status.QUEUED)
    first = journal.claim_file("a.xml", "d1", owner="w1", lease_seconds=60)
    assert first is not None
    with pytest.raises(RuntimeError), journal.atomic():
        assert journal.claim(Status.QUEUED, 10) == [queued]
        with journal.atomic():  # an inner block that commits, undone with its outer one
            assert journal.decide_file(first.id, "delivered", queued, owner="w1")
        journal.settle_file(first.id)
        assert journal.claim_file("b.xml", "d2", owner="w1", lease_seconds=60) is not None
        raise RuntimeError("stop")
    assert journal.claim(Status.QUEUED, 10) == [queued]  # its lease was undone
    again = journal.claim_file("a.xml", "d1", owner="w2", lease_seconds=60)
    assert again is None  # still w1's, undecided and unsettled: w2 waits for the lease
    mine = journal.claim_file("a.xml", "d1", owner="w1", lease_seconds=60)
    assert mine is not None and (mine.id, mine.outcome, mine.message) == (first.id, None, None)
    fresh = journal.claim_file("b.xml", "d2", owner="w2", lease_seconds=60)
    assert fresh is not None and fresh.outcome is None  # the undone claim left no trace


def test_verify_passes_on_an_untouched_journal(journal: Journal) -> None:
    sent = journal.append(referral(1), Status.SENT)
    journal.append(receipt(sent), Status.RECEIVED)
    journal.set_status(sent, Status.ACKNOWLEDGED)
    report = journal.verify()
    assert report.intact and report.checked == 2


def test_verify_on_an_empty_journal(journal: Journal) -> None:
    assert journal.verify().intact


def test_purge_erases_finished_old_messages_and_keeps_unanswered(
    journal: Journal, clock: Clock
) -> None:
    done = journal.append(referral(1), Status.SENT)
    journal.set_status(done, Status.ACKNOWLEDGED)
    waiting = journal.append(referral(2), Status.SENT)
    clock.advance(days=400)
    recent = journal.append(referral(3), Status.SENT)
    journal.set_status(recent, Status.ACKNOWLEDGED)
    cutoff = datetime(2025, 1, 1, tzinfo=UTC)

    dry = journal.purge(cutoff, dry_run=True)
    assert (dry.purged, dry.kept, dry.dry_run) == ((done,), (waiting,), True)
    assert journal.get(done).message.data == referral(1).data

    report = journal.purge(cutoff)
    assert (report.purged, report.kept) == ((done,), (waiting,))
    erased = journal.get(done)
    assert erased.purged_at == clock.now
    assert erased.message.data == b"" and erased.message.attachments == ()
    assert erased.message.patient is None
    assert erased.digest == hashlib.sha256(referral(1).data).hexdigest()
    assert journal.get(waiting).message == referral(2)
    assert journal.find(Query(patient=CPR)) != []  # the waiting and recent ones
    assert done not in [s.id for s in journal.find(Query(patient=CPR))]
    assert len(journal.classifications(date(2024, 1, 1), date(2024, 12, 31))) == 2
    assert journal.verify().intact
    assert journal.purge(cutoff).purged == ()
    purges = [a for a in journal.audit_log() if a.action == "purge"]
    assert [a.message_ids for a in purges] == [(done,), ()]


def test_stored_message_is_frozen(journal: Journal) -> None:
    stored = journal.get(journal.append(referral(), Status.DRAFT))
    with pytest.raises(dataclasses.FrozenInstanceError):
        stored.id = 3  # type: ignore[misc]


def test_verify_detects_a_changed_body_in_memory(clock: Clock) -> None:
    from medcom_adapter.journal.memory import MemoryJournal

    journal = MemoryJournal(clock=clock)
    first = journal.append(referral(1), Status.SENT)
    second = journal.append(referral(2), Status.SENT)
    record = journal._records[second]
    record.message = dataclasses.replace(record.message, data=record.message.data + b" ")
    report = journal.verify()
    assert report.first_broken == second and not report.intact
    del journal._records[second]
    assert journal.verify().first_broken == second
    assert first == 1


def test_purge_erases_received_receipts_but_keeps_undelivered_messages(
    journal: Journal, clock: Clock
) -> None:
    sent = journal.append(referral(1), Status.SENT)
    answer = journal.append(receipt(sent), Status.RECEIVED)
    journal.set_status(sent, Status.ACKNOWLEDGED)
    inbound = journal.append(
        dataclasses.replace(receipt(sent, 901), answers=None, kind="XDIS91"), Status.RECEIVED)
    clock.advance(days=1)
    report = journal.purge(clock.now)
    assert (report.purged, report.kept) == ((sent, answer), (inbound,))


def test_find_without_bodies_gives_a_message_without_its_bytes(journal: Journal) -> None:
    id = journal.append(referral(1), Status.QUEUED)
    journal.set_status(id, Status.SENT)
    (full,) = journal.find(Query(envelope_id=referral(1).envelope_id))
    (head,) = journal.find(Query(envelope_id=referral(1).envelope_id, bodies=False))
    assert head.message.data == b"" and head.message.attachments == ()
    assert head.message.classification is None
    assert head.message == dataclasses.replace(full.message, data=b"", attachments=(),
                                               classification=None)
    assert (head.id, head.digest, head.history, head.stored_at) == (
        id, full.digest, full.history, full.stored_at)
    assert journal.get(id) == full  # the bytes are still there for whoever needs them


def test_find_without_attachments_gives_the_bytes_alone(journal: Journal) -> None:
    id = journal.append(referral(1), Status.QUEUED)
    (full,) = journal.find(Query(id=id))
    (bare,) = journal.find(Query(id=id, attachments=False))
    assert full.message.attachments and bare.message.attachments == ()
    assert bare.message == dataclasses.replace(full.message, attachments=())


def test_set_statuses_changes_those_still_leaving_and_passes_over_the_rest(
        journal: Journal) -> None:
    a, b, c = journal.append_many([referral(1), referral(2), referral(3)], Status.QUEUED)
    journal.set_status(b, Status.ACKNOWLEDGED)  # answered meanwhile: that stands
    changed = journal.set_statuses([(a, Status.SENT, None), (b, Status.SENT, None),
                                    (c, Status.FAILED, "syntaksfejl"), (4711, Status.SENT, None)],
                                   leaving=Status.QUEUED)
    assert list(changed) == [a, c]
    assert [h.status for h in journal.get(a).history] == [Status.QUEUED, Status.SENT]
    assert [h.status for h in journal.get(b).history] == [Status.QUEUED, Status.ACKNOWLEDGED]
    assert journal.get(c).history[-1].reason == "syntaksfejl"
    with pytest.raises(TransitionRefused):  # never allowed: nothing is written
        journal.set_statuses([(a, Status.QUEUED, None)], leaving=Status.SENT)
    assert journal.get(a).status is Status.SENT
    assert journal.set_statuses([], leaving=Status.QUEUED) == []
    assert journal.verify().intact
