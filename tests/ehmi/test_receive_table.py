"""Our MSH keeps the ehmiSBDH guide's receive table with the journal, on every engine: the
same envelope again is answered with the very same receipt and delivered once, a reused
envelope id gets a ReceiptException and delivers nothing, and two workers racing two copies
of one envelope deliver it once."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from datetime import timedelta

from medcom_adapter.channels import Channels
from medcom_adapter.channels.ehmi import EhmiChannel
from medcom_adapter.ehmi.eds import Reporter
from medcom_adapter.envelopes import ebbp_signal, sbdh, sbdh_receipt
from medcom_adapter.journal.interface import Direction, Journal, Query, Status
from medcom_adapter.kinds import Kind
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.hooks import CollectingHook, Delivery
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox, OutboxSettings
from tests.envelopes.messages import T0, care_communication, cc_bytes, next_id
from tests.journal.conftest import Clock, Opener

ME = Reporter("medcom-adapter-test-eua")


def _envelope(data: bytes | None = None, instance_id: str | None = None) -> sbdh.Sbdh:
    return sbdh.for_fhir(data or cc_bytes(care_communication()), created=T0,
                         instance_id=instance_id or next_id(), patient="2509479989")


def _node(journal: Journal, clock: Clock,
          hook: CollectingHook | None = None) -> tuple[MemoryTransport, Inbox, Outbox]:
    transport = MemoryTransport()
    channels = Channels([EhmiChannel(transport, eds=journal.eds, reporter=ME, clock=clock)])
    inbox = Inbox(journal, None, hook or CollectingHook(), channels=channels, clock=clock)
    outbox = Outbox(journal, None, channels=channels, clock=clock,
                    settings=OutboxSettings(validate=True))
    return transport, inbox, outbox


def _receipts(transport: MemoryTransport) -> list[bytes]:
    return [p.data for p in transport.sent if p.kind == Kind.SBDH_RECEIPT.value]


def _entries(journal: Journal, kind: Kind) -> list[int]:
    return [s.id for s in journal.find(Query(kind=kind.value, limit=100))]


def test_the_same_envelope_again_is_answered_with_the_same_receipt_and_delivered_once(
        open_store: Opener, clock: Clock) -> None:
    journal = open_store()
    transport, inbox, outbox = _node(journal, clock)
    data = sbdh.build(_envelope())
    transport.provider.deposit("first.xml", data)
    assert inbox.run_once().delivered == 1
    outbox.run_once()
    clock.advance(minutes=5)  # the sender's MSH heard nothing and sent it again
    transport.provider.deposit("again.xml", data)
    transport.provider.deposit("third.xml", data)
    run = inbox.run_once()
    outbox.run_once()
    assert (run.delivered, run.duplicates) == (0, 2)
    assert isinstance(inbox.hook, CollectingHook) and inbox.hook.calls == 1
    first, *again = _receipts(transport)
    assert len(again) == 2 and all(a == first for a in again)  # byte for byte
    read = sbdh_receipt.read_receipt(sbdh.parse(first))
    assert read.positive and read.original_envelope_id == sbdh.parse(data).instance_id
    # one Acknowledgement kept and sent; the envelope's content was not read again
    assert len(_entries(journal, Kind.ACKNOWLEDGEMENT)) == 1
    assert len({journal.get(i).digest for i in _entries(journal, Kind.SBDH_RECEIPT)}) == 1
    [letter] = journal.find(Query(kind=Kind.CARE_COMMUNICATION.value))
    assert letter.status is Status.DELIVERED
    assert Counter(r.subtype for r in journal.eds.of_message(letter.message.message_id)) == {
        "msg-received": 1, "msg-received-and-finalized": 1}


def test_a_reused_envelope_id_gets_a_receipt_exception_and_nothing_is_delivered(
        open_store: Opener, clock: Clock) -> None:
    journal = open_store()
    transport, inbox, outbox = _node(journal, clock)
    first = _envelope()
    transport.provider.deposit("first.xml", sbdh.build(first))
    inbox.run_once()
    other = _envelope(instance_id=first.instance_id)  # another letter, the same envelope id
    assert other.message_id != first.message_id
    transport.provider.deposit("reused.xml", sbdh.build(other))
    run = inbox.run_once()
    transport.provider.deposit("reused-again.xml", sbdh.build(other))
    again = inbox.run_once()
    outbox.run_once()
    assert (run.refused, run.delivered, again.duplicates) == (1, 0, 1)
    assert isinstance(inbox.hook, CollectingHook) and inbox.hook.calls == 1
    positive, refused, refused_again = (sbdh.parse(r) for r in _receipts(transport))
    assert refused_again == refused  # answered as it was, never positive after negative
    read = sbdh_receipt.read_receipt(refused)
    assert read.positive is False and read.original_envelope_id == first.instance_id
    assert read.original_message_id == other.message_id
    assert refused.type == sbdh_receipt.NEGATIVE and refused.instance_id != positive.instance_id
    signal = ebbp_signal.parse(refused.content)
    assert signal.exception is ebbp_signal.ReceiptException.SEQUENCE
    assert "never reused" in (signal.reason or "")
    # the second letter is kept as the envelope it came in, refused; no Acknowledgement
    letters = journal.find(Query(kind=Kind.CARE_COMMUNICATION.value))
    assert [s.message.message_id for s in letters] == [first.message_id]
    [kept] = journal.find(Query(kind="ehmiSBDH"))
    assert kept.status is Status.REFUSED and kept.message.message_id == other.message_id
    assert len(_entries(journal, Kind.ACKNOWLEDGEMENT)) == 1
    assert journal.eds.of_message(other.message_id or "") == []


def test_the_message_in_a_new_envelope_gets_a_new_receipt_and_is_not_delivered_again(
        open_store: Opener, clock: Clock) -> None:
    """The guide's 'receipt lost' case: the original receipt's content with a new id and
    time; the FHIR duplicate rules answer the message as before."""
    journal = open_store()
    transport, inbox, outbox = _node(journal, clock)
    first = _envelope()
    transport.provider.deposit("first.xml", sbdh.build(first))
    inbox.run_once()
    clock.advance(minutes=1)
    resent = dataclasses.replace(first, instance_id=next_id(), created=T0 + timedelta(hours=1))
    transport.provider.deposit("resent.xml", sbdh.build(resent))
    assert inbox.run_once().delivered == 0
    outbox.run_once()
    one, two = (sbdh.parse(r) for r in _receipts(transport))
    assert one.type == two.type == sbdh_receipt.POSITIVE
    assert one.instance_id != two.instance_id and one.created != two.created
    assert [sbdh_receipt.read_receipt(r).original_envelope_id for r in (one, two)] == [
        first.instance_id, resent.instance_id]
    assert isinstance(inbox.hook, CollectingHook) and inbox.hook.calls == 1


def test_two_workers_racing_copies_of_one_envelope_deliver_it_once(
        open_store: Opener, clock: Clock) -> None:
    """Two copies of one envelope, two workers each on its own journal connection: the
    second worker decides its copy while the first is still handing the letter over."""
    first_journal, second_journal = open_store(), open_store()
    in_hook, second_done = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow_hook(delivery: Delivery) -> None:
        calls.append(delivery.message_id)
        in_hook.set()
        second_done.wait(timeout=60)

    transport = MemoryTransport()
    hook = CollectingHook()

    def inbox(journal: Journal, hook_: object) -> Inbox:
        channels = Channels([EhmiChannel(transport, eds=journal.eds, reporter=ME,
                                         clock=clock)])
        return Inbox(journal, None, hook_, channels=channels, clock=clock)  # type: ignore[arg-type]

    data = sbdh.build(_envelope())
    transport.provider.deposit("copy-1.xml", data)
    transport.provider.deposit("copy-2.xml", data)
    worker = threading.Thread(target=lambda: inbox(first_journal, slow_hook).run_once())
    worker.start()
    assert in_hook.wait(timeout=60)
    second = inbox(second_journal, hook).run_once()
    second_done.set()
    worker.join(timeout=60)
    assert second.delivered == 0 and hook.calls == 0 and len(calls) == 1
    [letter] = first_journal.find(Query(kind=Kind.CARE_COMMUNICATION.value))
    assert letter.status is Status.DELIVERED
    receipts = first_journal.find(Query(kind=Kind.SBDH_RECEIPT.value,
                                        direction=Direction.OUTBOUND))
    assert len(receipts) == 2 and len({r.digest for r in receipts}) == 1
    assert len(first_journal.find(Query(kind=Kind.ACKNOWLEDGEMENT.value))) == 1
    reports = Counter(r.subtype for r in first_journal.eds.of_message(letter.message.message_id))
    assert reports == {"msg-received": 1, "msg-received-and-finalized": 1}


def test_an_envelope_carrying_no_message_gets_a_syntax_receipt_exception(
        open_store: Opener, clock: Clock) -> None:
    journal = open_store()
    transport, inbox, outbox = _node(journal, clock)
    broken = dataclasses.replace(_envelope(), content=b"this is no FHIR message")
    transport.provider.deposit("broken.xml", sbdh.build(broken))
    run = inbox.run_once()
    outbox.run_once()
    assert (run.refused, run.delivered) == (1, 0)
    [receipt] = (sbdh.parse(r) for r in _receipts(transport))
    read = sbdh_receipt.read_receipt(receipt)
    assert not read.positive and read.original_envelope_id == broken.instance_id
    signal = ebbp_signal.parse(receipt.content)
    assert signal.exception is ebbp_signal.ReceiptException.SYNTAX
    assert journal.find(Query(kind=Kind.ACKNOWLEDGEMENT.value)) == []


def test_an_envelope_without_sor_codes_is_delivered_and_answered_without_eds_reports(
        open_store: Opener, clock: Clock) -> None:
    """MedCom's schema lets SENDERID go; an EDS report cannot be made without it, and the
    letter is not held back for that."""
    journal = open_store()
    transport, inbox, outbox = _node(journal, clock)
    full = _envelope()
    bare = dataclasses.replace(full, scopes=tuple(
        s for s in full.scopes if s.type is not sbdh.ScopeType.SENDER_ID))
    transport.provider.deposit("bare.xml", sbdh.build(bare))
    assert inbox.run_once().delivered == 1
    outbox.run_once()
    [receipt] = (sbdh.parse(r) for r in _receipts(transport))
    assert sbdh_receipt.read_receipt(receipt).positive
    assert journal.eds.of_message(bare.message_id or "") == []
