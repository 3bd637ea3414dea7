"""VANS: a mailbox of files. OIOXML Emessages and EDIFACT interchanges travel as they are
(each is its own envelope); FHIR messages travel in a VANSEnvelope, which VANS answers with
VANS receipts.

Wrapping takes every envelope field from the Bundle (``envelopes.fhir_payload.wrap``:
envelope id = Bundle.id, message id = MessageHeader.id). Opening reads the VANSEnvelope
once: a VANS receipt is an answer to an envelope we sent; an envelope that cannot be read is
refused unanswered (nothing trustworthy to answer to); one that carries no FHIR message we
read is refused with a VANS ``NegativeMessage`` receipt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from medcom_adapter import catalogue
from medcom_adapter.catalogue import Envelope
from medcom_adapter.channels.interface import Carried, Opened
from medcom_adapter.detect import envelope_kind
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.errors import MedComError
from medcom_adapter.journal.interface import Direction, NewMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.reliable import correlate
from medcom_adapter.reliable.rules import MessageKey, Protocol
from medcom_adapter.transport.interface import Parcel, Transport
from medcom_adapter.workers.received import AnswerIn, Inbound, Owed, nothing_owed

NAME = "vans"
VANS_VERSION = vans.VERSION
_RECEIPT = Kind.VANS_RECEIPT.value  # the kind a VANS receipt is journaled as
_ENVELOPED = "VANSEnvelope"  # the kind an envelope refused as it is is journaled as


class VansChannel:
    """VANS over ``transport`` (a VANS mailbox folder or the sandbox's memory mailbox);
    ``sending``: what files are sent through instead, when something stands in front of
    the mailbox on the way out (DNHF routing)."""

    name = NAME
    envelopes = frozenset({Envelope.EMESSAGE, Envelope.INTERCHANGE, Envelope.VANS_ENVELOPE})

    def __init__(self, transport: Transport, *, sending: Transport | None = None) -> None:
        self._transport = transport
        self._sending = sending or transport

    @property
    def transport(self) -> Transport:
        return self._transport

    def wrap(self, message: NewMessage, *, key: str, sent: datetime) -> Parcel:
        data = message.data
        if message.kind in catalogue.FHIR:  # journaled as its Bundle
            data = vans.build(fhir_payload.wrap(data, sent=sent))
        return Parcel(data, message.kind, message.envelope_id, message.sender_ean or "",
                      message.receiver_ean or "", key=key)

    def send(self, parcel: Parcel) -> None:
        self._sending.send(parcel)

    def record(self, parcel: Parcel, *, sent: bool,
               answering: Callable[[], NewMessage | None] = lambda: None) -> None:
        """VANS keeps no delivery-status register."""

    def open(self, data: bytes, *, clock: Callable[[], datetime]) -> Opened | None:
        if bytes(data[:3]) in (b"UNA", b"UNB"):
            return Carried(data, Envelope.INTERCHANGE)  # the interchange is its own envelope
        if envelope_kind(data) is not Envelope.VANS_ENVELOPE:  # by its root, not its text
            return Carried(data, Envelope.EMESSAGE)  # the Emessage is its own envelope
        try:
            envelope = vans.parse(data)
        except MedComError as exc:  # nothing trustworthy to answer to
            entry = NewMessage(Direction.INBOUND, _ENVELOPED, VANS_VERSION, data, "", "")
            return Inbound(None, entry, exc, f"{exc.code}: {exc.message}", nothing_owed)
        message = envelope.message
        sender, receiver = envelope.sender.id, envelope.receiver.id
        if message is None:
            receipt = envelope.receipt
            assert receipt is not None
            entry = NewMessage(Direction.INBOUND, _RECEIPT, VANS_VERSION, data,
                               envelope.envelope_id, envelope.envelope_id,
                               sender_ean=sender, receiver_ean=receiver)
            return AnswerIn(entry, correlate.vans_answer(envelope),
                            f"VANS {receipt.kind.value}")
        message_id = message.meta.identifier

        def refuse(exc: MedComError) -> Inbound:  # not a FHIR message we read
            entry = NewMessage(Direction.INBOUND, _ENVELOPED, VANS_VERSION, data,
                               envelope.envelope_id, message_id,
                               sender_ean=sender, receiver_ean=receiver)
            key = MessageKey(Protocol.VANS, envelope.envelope_id, message_id)
            return Inbound(key, entry, exc, f"{exc.code}: {exc.message}",
                           _negative_receipt(envelope, exc, clock))

        try:
            payload = fhir_payload.unwrap(envelope)
        except MedComError as exc:
            return refuse(exc)
        return Carried(payload.data, Envelope.VANS_ENVELOPE, payload.document.kind, sender,
                       receiver, refuse)


def _negative_receipt(envelope: vans.VansEnvelope, error: MedComError,
                      clock: Callable[[], datetime]) -> Owed:
    def owed(answers: int, refusal: MedComError | None) -> NewMessage | None:
        receipt = vans.receipt_for(envelope, vans.VansReceiptKind.NEGATIVE,
                                   envelope_id=str(uuid.uuid4()), sent=clock(),
                                   error=vans.VansError(error.message[:500]))
        return NewMessage(Direction.OUTBOUND, _RECEIPT, VANS_VERSION, vans.build(receipt),
                          receipt.envelope_id, receipt.envelope_id,
                          sender_ean=receipt.sender.id, receiver_ean=receipt.receiver.id,
                          answers=answers)
    return owed
