"""Vendor systems on the far side of the kit's mailbox, run in-process on a thread.

The peer reads the kit's out folder and writes into its in folder (a ``VansMailbox`` on the
same root with the folders swapped). Everything is handled by the adapter's own workers
(inbox: detect, validate, journal, ask ``reliable``, queue the receipt or Acknowledgement;
outbox: send it, FHIR in a VANSEnvelope). Faults, applied where the peer's answers leave it,
turn it into the faulty doubles the protocol must catch.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from medcom_adapter.catalogue import Envelope
from medcom_adapter.certify.deliveries import on_the_wire, renew
from medcom_adapter.certify.scenarios import Scenario
from medcom_adapter.detect import Enveloped, check, envelope_kind
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.fhir import acknowledgement, carecommunication, wire
from medcom_adapter.fhir.threads import forward, new_message, reply
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.model.acknowledgement import AckCode, AckEvent, Acknowledgement
from medcom_adapter.model.carecommunication import (
    Activity,
    AttachmentSegment,
    CareCommunication,
    Category,
)
from medcom_adapter.transport.interface import Parcel, Received
from medcom_adapter.transport.vans_mailbox import Layout, VansMailbox
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox
from tests import catalogue
from tests.certify.medcom_peer import medcom_case

PEER_SIDE = Layout(out="in", inbox="out", archive="peer-archive")


class Fault(StrEnum):
    SKIPS_RECEIPTS = "skips-receipts"  # never sends a positive receipt (XCTL03)
    ACKS_DUPLICATES_TWICE = "acks-duplicates-twice"  # a duplicate gets two acknowledgements
    BREAKS_THREADS = "breaks-threads"  # a reply starts a new thread, a forward keeps ours
    DROPS_ATTACHMENTS = "drops-attachments"  # what it sends loses the files it adds
    ACKS_ACKNOWLEDGEMENTS = "acks-acknowledgements"  # answers an Acknowledgement with one


def _is_envelope(data: bytes) -> bool:
    return envelope_kind(data) is Envelope.VANS_ENVELOPE


class _Faulty:
    """The peer's mailbox as its workers see it, with its faults applied to what it sends."""

    def __init__(self, side: VansMailbox, faults: frozenset[Fault]) -> None:
        self.side = side
        self.faults = faults
        self.acked: set[str] = set()  # MessageHeader ids acknowledged so far

    def send(self, parcel: Parcel) -> None:
        if Fault.SKIPS_RECEIPTS in self.faults and parcel.kind == "XCTL03":
            return
        self.side.send(parcel)
        acked = _acknowledged(parcel.data)
        if acked is not None and Fault.ACKS_DUPLICATES_TWICE in self.faults:
            if acked in self.acked:  # a duplicate: acknowledge it a second time
                self.side.send(dataclasses.replace(parcel, key=f"{parcel.key}-again"))
            self.acked.add(acked)

    def receive(self) -> Iterator[Received]:
        for received in self.side.receive():
            if Fault.ACKS_ACKNOWLEDGEMENTS in self.faults:
                ack = _acknowledgement(received.data)
                if ack is not None:
                    self.side.send(_ack_of_ack(ack))
            yield received

    def settle(self, received: Received) -> None:
        self.side.settle(received)

    def pending(self, received: Received) -> bool:
        return self.side.pending(received)


def _acknowledgement(data: bytes) -> Acknowledgement | None:
    if not _is_envelope(data):
        return None
    message = check(data).message
    inner = message.message if isinstance(message, Enveloped) else None
    return inner if isinstance(inner, Acknowledgement) else None


def _ack_of_ack(ack: Acknowledgement) -> Parcel:
    """What no system may send: an Acknowledgement of an Acknowledgement."""
    own = str(uuid.uuid4())
    mine = Acknowledgement(
        bundle_id=str(uuid.uuid4()), message_id=own, timestamp=ack.timestamp,
        sender=ack.receiver, receiver=ack.sender, acknowledged_id=ack.message_id,
        code=AckCode.OK, history=(AckEvent(own, "acknowledgement", ack.timestamp, ack.receiver,
                                           predecessor=ack.message_id),))
    data = vans.build(fhir_payload.wrap(wire.dump_json(acknowledgement.to_bundle(mine)),
                                        sent=ack.timestamp, envelope_id=str(uuid.uuid4())))
    return Parcel(data, "VANSEnvelope", own, ack.receiver.gln, ack.sender.gln,
                  key=f"ack-of-ack-{own}")


def _acknowledged(data: bytes) -> str | None:
    """The MessageHeader id an enveloped Acknowledgement answers, else None."""
    if not _is_envelope(data):
        return None
    message = check(data).message
    inner = message.message if isinstance(message, Enveloped) else None
    return inner.acknowledged_id if isinstance(inner, Acknowledgement) else None


class Peer:
    def __init__(self, root: Path, *, faults: frozenset[Fault] = frozenset()) -> None:
        self.faults = faults
        self.side = VansMailbox(root, layout=PEER_SIDE)
        journal = open_journal("memory:")
        transport = _Faulty(self.side, faults)
        self.hook = CollectingHook()
        self.inbox = Inbox(journal, transport, self.hook)
        self.outbox = Outbox(journal, transport)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._lock = threading.Lock()
        self.errors: list[BaseException] = []

    def __enter__(self) -> Peer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:
                    self.step()
            except BaseException as exc:  # surfaced by the test, never swallowed
                self.errors.append(exc)
                return
            self._stop.wait(0.01)

    def step(self) -> None:
        self.inbox.run_once()
        self.outbox.run_once()

    def _send(self, data: bytes) -> None:
        wire_ = on_the_wire(data, sent=catalogue.T0)
        self.side.send(Parcel(wire_.data, wire_.kind, wire_.envelope_id, wire_.sender,
                              wire_.receiver, key=f"peer-{uuid.uuid4().hex}"))

    # -- the send protocol: what the vendor's user does when asked -----------------------
    def on_prompt(self, scenario: Scenario, ours: CareCommunication | None) -> None:
        data = self._case(scenario.id, ours)
        if data is not None:
            with self._lock:
                self._send(data)

    def _case(self, case: str, ours: CareCommunication | None) -> bytes | None:
        def new_id() -> str:
            return str(uuid.uuid4())

        later = catalogue.T0 + timedelta(hours=1)
        broken = Fault.BREAKS_THREADS in self.faults
        if case == "S-CC-new":
            cc = new_message(
                sender=catalogue.GP, receiver=catalogue.PPR, patient=catalogue.CHILD,
                category=Category.REGARDING_REFERRAL, text="Henvendelse fra lægen.",
                author=catalogue.DOCTOR, phone="44527000", now=later, new_id=new_id)
        elif case == "S-CC-reply" and ours is not None:
            cc = reply(ours, text="Svar.", author=catalogue.DOCTOR, phone="44527000",
                       now=later, new_id=new_id)
            if broken:
                cc = dataclasses.replace(cc, thread_id=cc.thread_id[:-36] + new_id())
        elif case == "S-CC-forward" and ours is not None:
            cc = forward(ours, to=catalogue.HOSPITAL, text="Videre.", author=catalogue.DOCTOR,
                         phone="44527000", now=later, new_id=new_id)
            if broken:
                cc = dataclasses.replace(cc, thread_id=ours.thread_id)
        elif case.startswith(("carecommunication-send-", "acknowledgement-receive-")):
            found = medcom_case(case, ours, later, new_id)
            if found is None:
                return None
            cc = found
            if Fault.DROPS_ATTACHMENTS in self.faults:
                cc = _without_added_files(cc)
            if broken and cc.history[-1].activity is not Activity.NEW and ours is not None:
                cc = dataclasses.replace(
                    cc, thread_id=ours.thread_id if cc.history[-1].activity
                    is Activity.FORWARD else cc.thread_id[:-36] + new_id())
        elif case == "S-XDIS91":
            source = catalogue.ROOT / "oioxml/XDIS91-XD9134L-every-optional-element.xml"
            return renew([source.read_bytes()])[0]
        else:
            return None  # S-ACK: the acknowledgement went back when our message arrived
        return wire.dump_json(carecommunication.to_bundle(cc))


def _without_added_files(cc: CareCommunication) -> CareCommunication:
    """``cc`` without the attachments its newest event added."""
    *before, latest = cc.history
    added = {s.id for s in cc.segments if isinstance(s, AttachmentSegment)
             and s.id in latest.segment_ids}
    return dataclasses.replace(
        cc, segments=tuple(s for s in cc.segments if s.id not in added),
        history=(*before, dataclasses.replace(latest, segment_ids=tuple(
            i for i in latest.segment_ids if i not in added))))
