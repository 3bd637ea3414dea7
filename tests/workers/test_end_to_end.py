"""End to end through the sandbox: every kind, unknown receivers, invalid, duplicate,
reordered and lost messages. The journal must agree with what happened on the network."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.errors import ReceiverDoesNotAccept
from medcom_adapter.journal.interface import Direction, Query, Status, StoredMessage
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.identifiers import LocationNumber
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml.emessage import build, parse
from medcom_adapter.sandbox.counterparts import Department, GpSystem
from medcom_adapter.sandbox.faults import FaultPlan
from medcom_adapter.sandbox.harness import Harness
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.outbox import OutboxSettings
from medcom_adapter.workers.submit import queue_km, queue_referral
from tests import samples
from tests.conftest import FIXTURES

REQUESTS = FIXTURES / "requests"
DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")
PPR, DNHF, BUP, GP = "5790000123452", "5790000200009", "5790000987658", "5790000121526"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def harness(faults: FaultPlan | None = None, **kw: object) -> tuple[Harness, Clock]:
    clock = Clock()
    return Harness(MemoryJournal(clock=clock), DIRECTORY, unit_ean=PPR, faults=faults,
                   clock=clock, **kw), clock  # type: ignore[arg-type]


def request(name: str) -> object:
    return json.loads((REQUESTS / name).read_text(encoding="utf-8"))


def outbound(h: Harness, kind: str | None = None) -> list[StoredMessage]:
    return [s for s in h.journal.find(Query(direction=Direction.OUTBOUND, kind=kind))
            if kind is not None or s.message.kind not in ("XCTL02", "XCTL03")]


def delivered(h: Harness) -> list[StoredMessage]:
    """Letters delivered to the hook (receipts taken in are journaled as delivered too)."""
    return [s for s in h.journal.find(Query(direction=Direction.INBOUND,
                                            status=Status.DELIVERED))
            if not s.message.kind.startswith("XCTL")]


def test_a_referral_with_a_pdf_travels_via_dnhf_and_is_acknowledged() -> None:
    h, _ = harness()
    queued = queue_referral(h.journal, DIRECTORY, request("referral-bup.json"),
                            files=REQUESTS, now=lambda: datetime(2026, 11, 22, 11, 0))
    h.pump()
    sent = [h.journal.get(i) for i in queued.ids]
    assert [s.message.kind for s in sent] == ["XREF01", "XBIN02"]
    assert all(s.status is Status.ACKNOWLEDGED for s in sent)
    assert all(s.message.receiver_ean == DNHF for s in sent)
    assert sent[0].message.classification is not None
    assert sent[0].message.classification.classes == (Henvisning.CHILD_PSYCHIATRY,)
    department = h.network._counterparts[BUP]
    assert isinstance(department, Department) and len(department.accepted) == 2
    receipts = [h.journal.get(a) for s in sent for a in s.answered_by]
    assert [r.message.kind for r in receipts] == ["XCTL03", "XCTL03"]


def test_a_km_is_receipted_and_the_gp_reply_is_delivered_once_and_receipted() -> None:
    h, _ = harness()
    queued = queue_km(h.journal, DIRECTORY, request("km-gp.json"), files=REQUESTS)
    h.pump()
    assert {h.journal.get(i).status for i in queued.ids} == {Status.ACKNOWLEDGED}
    (reply,) = delivered(h)
    assert reply.message.kind == "XDIS91" and reply.message.sender_ean == GP
    hook = h.hook
    assert isinstance(hook, CollectingHook) and len(hook.deliveries) == 1
    (our_receipt,) = [h.journal.get(a) for a in reply.answered_by]
    assert our_receipt.message.kind == "XCTL03" and our_receipt.status is Status.SENT


def test_a_referral_to_a_receiver_that_does_not_take_xref01_is_refused_before_sending() -> None:
    h, _ = harness()
    raw = request("referral-bup.json")
    assert isinstance(raw, dict)
    raw["receiver"] = {"ean": "5790000777778", "identifier": "88040001000016006",
                       "identifier_code": "sorkode", "name": "Tandplejen"}
    with pytest.raises(ReceiverDoesNotAccept):
        queue_referral(h.journal, DIRECTORY, raw, files=REQUESTS)
    assert outbound(h) == []


def test_an_unknown_receiver_is_answered_by_vans_and_the_message_rejected() -> None:
    directory = Directory.from_json({"receivers": [
        *json.loads((FIXTURES / "network" / "receivers.json").read_text())["receivers"],
        {"sor": "88050001000016008", "ean": "5790000444441", "name": "Nedlagt praksis",
         "accepts": {"XDIS91": ["XD9134L"]}},
    ]})
    clock = Clock()
    h = Harness(MemoryJournal(clock=clock), directory, unit_ean=PPR, clock=clock)
    raw = request("km-gp.json")
    assert isinstance(raw, dict)
    raw["receiver"] = {"ean": "5790000444441", "identifier": "88050001000016008",
                       "identifier_code": "sorkode", "name": "Nedlagt praksis"}
    raw["attachments"] = []
    h.network._counterparts.pop("5790000444441")  # in our directory, gone from VANS
    (id,) = queue_km(h.journal, directory, raw, files=REQUESTS).ids
    h.pump()
    km = h.journal.get(id)
    assert km.status is Status.REJECTED
    assert km.history[-1].reason is not None
    assert "XCTL01" in km.history[-1].reason and "ukendt_lokationsnummer" in km.history[-1].reason


def km_from_gp(envelope: str, letter: str = "GPLETTER1") -> bytes:
    km = samples.clinical_email()
    km = dataclasses.replace(
        km, letter=dataclasses.replace(km.letter, identifier=letter),
        sender=dataclasses.replace(km.receiver, ean=LocationNumber(GP)),
        receiver=dataclasses.replace(km.sender, ean=LocationNumber(PPR), phone=None,
                                     speciality=None))
    km = dataclasses.replace(km, sender=dataclasses.replace(km.sender, phone="70000000"))
    message = Emessage(Envelope(envelope, samples.WHEN, AcknowledgementCode.PLUS_POSITIVE),
                       (km,))
    return build(message, "XD9134L")


def our_receipts(h: Harness) -> list[tuple[str, str]]:
    """(kind, original envelope id) of every receipt we published, in order."""
    out = []
    for parcel in h.mailbox.sent:
        letter = parse(parcel.data).message.letters[0]
        if parcel.kind.startswith("XCTL"):
            out.append((parcel.kind, getattr(letter, "original_envelope_id", "")))
    return out


def test_an_invalid_inbound_message_gets_a_negative_receipt_and_is_not_delivered() -> None:
    h, _ = harness()
    broken = km_from_gp("ENVBAD").replace(b"<VersionCode>XD9134L</VersionCode>",
                                          b"<VersionCode>XD9134L</VersionCode><Oops/>")
    h.mailbox.provider.deposit("XDIS91_ENVBAD.xml", broken)
    h.pump()
    assert delivered(h) == [] and h.hook.deliveries == {}  # type: ignore[attr-defined]
    (refused,) = h.journal.find(Query(direction=Direction.INBOUND))
    assert refused.status is Status.REFUSED and "xsd" in (refused.history[-1].reason or "")
    assert our_receipts(h) == [("XCTL02", "ENVBAD")]


def test_the_same_file_twice_is_delivered_once_and_the_original_receipt_resent() -> None:
    h, _ = harness()
    data = km_from_gp("ENVDUP")
    h.mailbox.provider.deposit("XDIS91_ENVDUP.xml", data)
    h.pump()
    h.mailbox.provider.deposit("XDIS91_ENVDUP.xml", data)
    h.pump()
    assert len(delivered(h)) == 1 and len(h.hook.deliveries) == 1  # type: ignore[attr-defined]
    sent = [p for p in h.mailbox.sent if p.kind == "XCTL03"]
    assert len(sent) == 2 and sent[0].data == sent[1].data  # the original receipt, again


def test_a_resend_with_a_new_envelope_is_a_duplicate_answered_as_before() -> None:
    h, _ = harness()
    h.mailbox.provider.deposit("a.xml", km_from_gp("ENVONE"))
    h.mailbox.provider.deposit("b.xml", km_from_gp("ENVTWO"))  # same letter, new envelope
    h.pump()
    assert len(delivered(h)) == 1
    statuses = sorted(s.status for s in h.journal.find(Query(direction=Direction.INBOUND)))
    assert statuses == [Status.DELIVERED, Status.DUPLICATE]
    assert sorted(our_receipts(h)) == [("XCTL03", "ENVONE"), ("XCTL03", "ENVTWO")]


def test_duplicated_and_reordered_network_traffic_delivers_each_reply_once() -> None:
    injected = set()
    for seed in range(6):
        h, _ = harness(FaultPlan(seed=seed, duplicate=0.3, reorder=0.3, delay=0.2))
        queue_km(h.journal, DIRECTORY, request("km-gp.json"), files=REQUESTS)
        queue_referral(h.journal, DIRECTORY, request("referral-bup.json"), files=REQUESTS)
        h.pump(200)
        assert len(delivered(h)) == 1  # the GP's one reply
        assert {s.status for s in outbound(h)} == {Status.ACKNOWLEDGED}, seed
        gp = h.network._counterparts[GP]
        assert isinstance(gp, GpSystem) and gp.replies_sent == 1
        injected |= {fault for fault, _ in h.network.faults.injected}
    assert {f.value for f in injected} == {"duplicate", "reorder", "delay"}


def test_a_lost_receipt_times_out_and_a_resend_with_a_new_envelope_is_acknowledged() -> None:
    h, clock = harness(FaultPlan(drop=1.0, kinds=frozenset({"XCTL03"}), limit=1),
                       settings=OutboxSettings(receipt_timeout=timedelta(minutes=30)))
    raw = request("km-gp.json")
    assert isinstance(raw, dict)
    raw["attachments"] = []
    (id,) = queue_km(h.journal, DIRECTORY, raw, files=REQUESTS).ids
    h.pump()
    assert h.journal.get(id).status is Status.SENT
    assert h.outbox.overdue() == []  # not yet
    clock.now += timedelta(minutes=31)
    assert h.outbox.overdue() == [id]
    assert h.journal.get(id).status is Status.TIMED_OUT
    again = h.outbox.resend(id)
    h.pump()
    original, copy = h.journal.get(id), h.journal.get(again)
    assert original.status is Status.RESENT and copy.status is Status.ACKNOWLEDGED
    assert copy.message.message_id == original.message.message_id
    assert copy.message.envelope_id != original.message.envelope_id
    gp = h.network._counterparts[GP]
    assert isinstance(gp, GpSystem) and gp.accepted.count(original.message.message_id) == 1
    assert gp.replies_sent == 1  # the resend did not make the GP answer twice
