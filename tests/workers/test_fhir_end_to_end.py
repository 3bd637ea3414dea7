"""FHIR end to end through the sandbox: CareCommunication and Acknowledgement in
VANSEnvelopes. Unknown receivers, invalid messages, duplicates and reordering, lost
acknowledgements and MedCom's resend rules; the journal must agree with the network."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.acknowledgement import from_bundle as read_ack
from medcom_adapter.fhir.carecommunication import from_bundle, to_bundle
from medcom_adapter.fhir.threads import reply
from medcom_adapter.journal.interface import Direction, Query, Status, StoredMessage
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.model.acknowledgement import AckCode, Acknowledgement
from medcom_adapter.reliable import rebuild
from medcom_adapter.sandbox.counterparts import GP_AUTHOR, GpSystem
from medcom_adapter.sandbox.faults import FaultPlan
from medcom_adapter.sandbox.harness import Harness
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.submit_fhir import queue_care_communication
from tests.conftest import FIXTURES

REQUESTS = FIXTURES / "requests"
DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")
PPR, GP = "5790000123452", "5790000121526"
START = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def harness(faults: FaultPlan | None = None, directory: Directory = DIRECTORY,
            **kw: Any) -> tuple[Harness, Clock]:
    clock = Clock()
    return Harness(MemoryJournal(clock=clock), directory, unit_ean=PPR, faults=faults,
                   clock=clock, **kw), clock


def km(**changes: Any) -> dict[str, Any]:
    raw = json.loads((REQUESTS / "km-gp.json").read_text(encoding="utf-8"))
    raw["attachments"] = []
    raw.update(changes)
    return raw  # type: ignore[no-any-return]


def queue(h: Harness, raw: dict[str, Any] | None = None,
          directory: Directory = DIRECTORY) -> int:
    (id,) = queue_care_communication(h.journal, directory, raw or km(), files=REQUESTS,
                                     now=lambda: datetime(2026, 11, 22, 11, 0)).ids
    return id


def gp(h: Harness) -> GpSystem:
    counterpart = h.network._counterparts[GP]
    assert isinstance(counterpart, GpSystem)
    return counterpart


def inbound(h: Harness, kind: str) -> list[StoredMessage]:
    return list(h.journal.find(Query(direction=Direction.INBOUND, kind=kind)))


def published(h: Harness, kind: str) -> list[tuple[vans.VansEnvelope, Any]]:
    """(envelope, parsed payload) of every file of ``kind`` we put on the network."""
    out = []
    for parcel in h.mailbox.sent:
        if parcel.kind == kind:
            envelope = vans.parse(parcel.data)
            bundle, _ = wire.load(fhir_payload.unwrap(envelope).data)
            out.append((envelope, bundle))
    return out


def our_acks(h: Harness) -> list[Acknowledgement]:
    return [read_ack(bundle) for _, bundle in published(h, "Acknowledgement")]


def message_from_gp(bundle_changes: Any = None) -> bytes:
    """A CareCommunication from the GP to us, in its VANSEnvelope (optionally damaged)."""
    scratch = MemoryJournal()
    (id,) = queue_care_communication(scratch, DIRECTORY, km(), files=REQUESTS).ids
    ours = from_bundle(wire.load_json(scratch.get(id).message.data))
    theirs = to_bundle(reply(ours, text="Svar fra lægen", author=GP_AUTHOR, phone="70000000",
                             now=START))
    if bundle_changes is not None:
        bundle_changes(theirs)
    return vans.build(fhir_payload.wrap(wire.dump_json(theirs), sent=START))


def test_a_care_communication_is_acknowledged_and_the_reply_delivered_and_acknowledged() -> None:
    h, _ = harness()
    id = queue(h)
    h.pump()
    sent = h.journal.get(id)
    assert sent.status is Status.ACKNOWLEDGED
    (ack,) = [h.journal.get(a) for a in sent.answered_by]
    assert ack.message.kind == "Acknowledgement"
    assert read_ack(wire.load_json(ack.message.data)).code is AckCode.OK
    (envelope, bundle), = published(h, "CareCommunication")  # in a VANSEnvelope
    assert envelope.envelope_id == bundle["id"] == sent.message.envelope_id
    assert envelope.message is not None and envelope.message.meta.document.name == \
        "MCM:FDIS91#carecoordination"
    (answer,) = inbound(h, "CareCommunication")
    assert answer.status is Status.DELIVERED and answer.message.sender_ean == GP
    hook = h.hook
    assert isinstance(hook, CollectingHook) and list(hook.deliveries) == \
        [f"{GP}:{answer.message.message_id}"]
    assert from_bundle(wire.load_json(answer.message.data)).history[-1].predecessor is not None
    (acked,) = our_acks(h)
    assert acked.acknowledged_id == answer.message.message_id and acked.code is AckCode.OK
    assert gp(h).fhir.acks_received == [answer.message.message_id]


def test_an_unknown_receiver_gets_a_negative_vans_receipt_and_the_message_is_rejected() -> None:
    gone: dict[str, Any] = {"sor": "88050001000016008", "ean": "5790000444441",
                            "name": "Nedlagt praksis", "accepts": {"CareCommunication": ["5.0"]}}
    receivers = json.loads((FIXTURES / "network" / "receivers.json").read_text())
    directory = Directory.from_json({**receivers,
                                     "receivers": [*receivers["receivers"], gone]})
    h, _ = harness(directory=directory)
    h.network._counterparts.pop(gone["ean"])  # in our directory, gone from VANS
    id = queue(h, km(receiver={"ean": gone["ean"], "identifier": gone["sor"],
                               "identifier_code": "sorkode", "name": gone["name"]}),
               directory)
    h.pump()
    rejected = h.journal.get(id)
    assert rejected.status is Status.REJECTED
    reason = rejected.history[-1].reason or ""
    assert "NegativeVans" in reason and gone["ean"] in reason and "ukendt" in reason
    (receipt,) = [h.journal.get(a) for a in rejected.answered_by]
    assert receipt.message.kind == "VANSReceipt" and receipt.status is Status.DELIVERED


def test_an_invalid_care_communication_gets_a_fatal_error_ack_and_is_not_delivered() -> None:
    def break_it(bundle: dict[str, Any]) -> None:
        communication = next(e["resource"] for e in bundle["entry"]
                             if e["resource"]["resourceType"] == "Communication")
        communication["status"] = "in-a-bad-mood"

    h, _ = harness()
    h.mailbox.provider.deposit("bad.xml", message_from_gp(break_it))
    h.pump()
    assert h.hook.deliveries == {}  # type: ignore[attr-defined]
    (refused,) = inbound(h, "CareCommunication")
    assert refused.status is Status.REFUSED and "status" in (refused.history[-1].reason or "")
    (ack,) = our_acks(h)
    assert ack.code is AckCode.FATAL_ERROR and ack.acknowledged_id == refused.message.message_id
    said = " ".join(i.text or "" for i in ack.issues)
    assert "in-a-bad-mood" in said or "Communication.status" in said
    assert gp(h).fhir.acks_received == [refused.message.message_id]  # it did go out


def test_the_same_envelope_twice_is_delivered_once_and_the_original_ack_resent() -> None:
    h, _ = harness()
    data = message_from_gp()
    h.mailbox.provider.deposit("a.xml", data)
    h.pump()
    h.mailbox.provider.deposit("a.xml", data)
    h.pump()
    assert len(h.hook.deliveries) == 1  # type: ignore[attr-defined]
    assert [s.status for s in inbound(h, "CareCommunication")] == [Status.DELIVERED]
    first, second = [p for p in h.mailbox.sent if p.kind == "Acknowledgement"]
    assert vans.parse(first.data).message == vans.parse(second.data).message  # same ack


def test_the_same_message_in_a_new_bundle_is_a_duplicate_acknowledged_as_before() -> None:
    h, _ = harness()
    data = message_from_gp()
    bundle = fhir_payload.unwrap(vans.parse(data)).data
    again = rebuild.fhir_bytes(bundle, now=START + timedelta(minutes=31),
                               new_id=lambda: "1f7c2a5e-0b8e-4f5c-9d3a-6a2b8c4d9e10")
    h.mailbox.provider.deposit("a.xml", data)
    h.mailbox.provider.deposit("b.xml", vans.build(fhir_payload.wrap(again, sent=START)))
    h.pump()
    statuses = sorted(s.status for s in inbound(h, "CareCommunication"))
    assert statuses == [Status.DELIVERED, Status.DUPLICATE]
    assert len(h.hook.deliveries) == 1  # type: ignore[attr-defined]
    first, second = our_acks(h)
    assert first.bundle_id != second.bundle_id
    assert (first.acknowledged_id, first.code) == (second.acknowledged_id, second.code)


def test_duplicated_and_reordered_fhir_traffic_delivers_each_message_once() -> None:
    injected = set()
    kinds = frozenset({"CareCommunication", "Acknowledgement"})
    for seed in range(6):
        h, _ = harness(FaultPlan(seed=seed, duplicate=0.3, reorder=0.3, delay=0.2,
                                 kinds=kinds))
        ids = [queue(h), queue(h)]
        h.pump(200)
        assert {h.journal.get(i).status for i in ids} == {Status.ACKNOWLEDGED}, seed
        replies = inbound(h, "CareCommunication")
        delivered = [s for s in replies if s.status is Status.DELIVERED]
        assert len(delivered) == 2 and len(h.hook.deliveries) == 2  # type: ignore[attr-defined]
        assert gp(h).replies_sent == 2 and len(gp(h).fhir.accepted) == 2
        for reply_entry in delivered:  # each answered with an ok that went out
            kinds_sent = [h.journal.get(a).message.kind for a in reply_entry.answered_by]
            assert "Acknowledgement" in kinds_sent
        injected |= {fault for fault, _ in h.network.faults.injected}
    assert {f.value for f in injected} == {"duplicate", "reorder", "delay"}


def test_a_lost_acknowledgement_is_resent_after_120_minutes_with_a_new_bundle_id() -> None:
    h, clock = harness(FaultPlan(drop=1.0, kinds=frozenset({"Acknowledgement"}), limit=1),
                       gp_replies=False)
    id = queue(h)
    h.pump()
    assert h.journal.get(id).status is Status.SENT
    clock.now += timedelta(minutes=119)
    assert h.outbox.overdue() == []
    clock.now += timedelta(minutes=2)
    assert h.outbox.overdue() == [id]
    h.pump()
    original = h.journal.get(id)
    assert original.status is Status.RESENT
    (copy,) = [s for s in h.journal.find(Query(direction=Direction.OUTBOUND,
                                               kind="CareCommunication")) if s.id != id]
    assert copy.status is Status.ACKNOWLEDGED
    assert copy.message.message_id == original.message.message_id
    assert copy.message.envelope_id != original.message.envelope_id
    before = from_bundle(wire.load_json(original.message.data))
    after = from_bundle(wire.load_json(copy.message.data))
    assert after.bundle_id == copy.message.envelope_id and after.timestamp == clock.now
    assert after.history[-1].occurred == clock.now != before.history[-1].occurred
    assert after.segments == before.segments
    (first, _), (second, _) = published(h, "CareCommunication")
    assert second.envelope_id == after.bundle_id and first.envelope_id == before.bundle_id
    assert gp(h).fhir.accepted == [original.message.message_id]  # a duplicate for the GP


def test_without_any_acknowledgement_a_message_is_resent_three_times_then_given_up() -> None:
    h, clock = harness(FaultPlan(drop=1.0, kinds=frozenset({"Acknowledgement"})),
                       gp_replies=False)
    id = queue(h)
    h.pump()
    for _ in range(3):
        clock.now += timedelta(minutes=121)
        assert len(h.outbox.overdue()) == 1
        h.pump()
    clock.now += timedelta(minutes=121)
    (last,) = h.outbox.overdue()
    attempts = h.journal.find(Query(direction=Direction.OUTBOUND, kind="CareCommunication"))
    assert [s.status for s in attempts] == [Status.RESENT] * 3 + [Status.FAILED]
    assert len({s.message.envelope_id for s in attempts}) == 4 and attempts[0].id == id
    assert last == attempts[-1].id and "3 resends" in (attempts[-1].history[-1].reason or "")


def test_a_positive_vans_receipt_does_not_acknowledge_the_message_an_ack_does() -> None:
    h, _ = harness(FaultPlan(drop=1.0, kinds=frozenset({"Acknowledgement"}), limit=1),
                   gp_replies=False)
    id = queue(h)
    h.pump()
    (parcel,) = [p for p in h.mailbox.sent if p.kind == "CareCommunication"]
    receipt = vans.receipt_for(vans.parse(parcel.data), vans.VansReceiptKind.POSITIVE,
                               envelope_id="0b6f3c1e-5a7d-4e2b-8c9f-1d2e3f4a5b6c", sent=START)
    data = vans.build(receipt)
    h.mailbox.provider.deposit("r.xml", data)
    h.mailbox.provider.deposit("r2.xml", data)  # the same receipt twice: taken once
    h.pump()
    sent = h.journal.get(id)
    assert sent.status is Status.SENT  # still waiting for the Acknowledgement
    (taken,) = [h.journal.get(a) for a in sent.answered_by]
    assert taken.message.kind == "VANSReceipt" and taken.status is Status.DELIVERED


def test_a_legacy_care_communication_is_refused_as_the_version_it_is() -> None:
    def legacy(bundle: dict[str, Any]) -> None:
        header = bundle["entry"][0]["resource"]
        header["definition"] = ("http://medcomfhir.dk/ig/carecommunication/"
                                "medcom-careCommunication-message-definition|4.0.0")

    h, _ = harness()
    h.mailbox.provider.deposit("old.xml", message_from_gp(legacy))
    h.pump()
    (refused,) = inbound(h, "CareCommunication")
    assert refused.status is Status.REFUSED and refused.message.version == "4.0"
    (ack,) = our_acks(h)
    said = " ".join(i.text or "" for i in ack.issues)
    assert ack.code is AckCode.FATAL_ERROR and "4.0.0" in said


def test_an_acknowledgement_never_says_none_of_a_coding_without_a_system() -> None:
    def no_code(bundle: dict[str, Any]) -> None:
        communication = next(e["resource"] for e in bundle["entry"]
                             if e["resource"]["resourceType"] == "Communication")
        del communication["category"][0]["coding"][0]["system"]

    h, _ = harness()
    h.mailbox.provider.deposit("nocode.xml", message_from_gp(no_code))
    h.pump()
    (ack,) = our_acks(h)
    said = " ".join(i.text or "" for i in ack.issues)
    assert ack.code is AckCode.FATAL_ERROR and "category" in said
    assert "None" not in said and "without a system" in said


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_patient_with_an_identifier_of_another_system_beside_its_cpr_is_delivered(
        where: str) -> None:
    # medcom-core-patient slices Patient.identifier by system, rules open: an identifier
    # of any other system may stand anywhere beside the CPR
    local = {"system": "http://example.org/journal-id", "value": "J-4711"}

    def with_local_id(bundle: dict[str, Any]) -> None:
        patient = next(e["resource"] for e in bundle["entry"]
                       if e["resource"]["resourceType"] == "Patient")
        patient["identifier"].insert(0 if where == "before" else 1, local)

    h, _ = harness()
    h.mailbox.provider.deposit("local.xml", message_from_gp(with_local_id))
    h.pump()
    (delivered,) = inbound(h, "CareCommunication")
    assert delivered.status is Status.DELIVERED
    assert len(h.hook.deliveries) == 1  # type: ignore[attr-defined]
    (ack,) = our_acks(h)
    assert ack.code is AckCode.OK and ack.acknowledged_id == delivered.message.message_id
    patient = from_bundle(wire.load_json(delivered.message.data)).patient
    assert str(patient.id) == km()["patient"]["id"] and patient.other_ids == ()
