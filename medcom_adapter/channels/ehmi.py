"""EHMI: ehmiSBDH envelopes handed to an access point (the MSH's side; AS4 is the AP's).

Wrapping puts a journaled message into an ehmiSBDH that asks for an envelope receipt: a
FHIR message (``envelopes.sbdh.for_fhir``), or an OIOXML Emessage or EDIFACT interchange
whose version MedCom's EHMI registry lists (``envelopes.letter_payload.for_letter``; the
catalogue's rows say which). Its InstanceIdentifier is derived from the publish key, so the
same entry wrapped again after a crash is the same envelope (the access point publishes it
once, EDS is told once). An envelope receipt we owe travels as it is. Sending hands the SBDH
over; the EUA's EDS report (``msg-created-and-sent``: outcome 0, or 8 for a message given up
before it left) is queued by ``record``, in the outbox's commit that marks the message sent
or failed.

Opening reads the ehmiSBDH once: an envelope receipt is an answer to what we sent
(correlated by the original message's ids its header names, reported
``msg-received-and-finalized`` as the MSH does when it is taken in); a message is carried
on to the reader of its syntax (FHIR, OIOXML or EDIFACT, told by the payload itself, as
MedCom's own samples label an XREF01 as FHIR) with what the inbox answers and reports the
envelope by (:class:`~medcom_adapter.workers.received.TransportEnvelope`): the inbox keeps
the guide's receive table (``reliable.ehmi``) and queues the envelope receipt and the EUA's
EDS reports in the commit that journals the message, so none is lost or sent twice. An SBDH
that cannot be read is refused unanswered (nothing trustworthy to answer to).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial

from medcom_adapter import catalogue
from medcom_adapter.catalogue import Envelope
from medcom_adapter.channels.interface import Carried, Opened
from medcom_adapter.detect import FHIR_NAMESPACE, Syntax, envelope_kind, sniff
from medcom_adapter.ehmi.eds import Original, Reporter, Subtype
from medcom_adapter.envelopes import ebbp_signal, fhir_payload, letter_payload, sbdh, sbdh_receipt
from medcom_adapter.errors import InvalidValue, MalformedMessage, MedComError
from medcom_adapter.journal.eds_queue import EdsQueue
from medcom_adapter.journal.interface import Direction, NewMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.reliable import ehmi
from medcom_adapter.reliable.rules import Answer, AnswerKind, Protocol
from medcom_adapter.safe_xml import root_namespace
from medcom_adapter.transport.interface import Parcel, Transport
from medcom_adapter.workers.eds import queue_report
from medcom_adapter.workers.received import AnswerIn, Inbound, TransportEnvelope, nothing_owed

NAME = "ehmi"
_log = logging.getLogger(__name__)
_ACK = Kind.ACKNOWLEDGEMENT.value
_RECEIPT = Kind.SBDH_RECEIPT.value  # the kind an envelope receipt is journaled as
_ENVELOPED = "ehmiSBDH"  # the kind an envelope refused as it is is journaled as
_IDS = uuid.UUID("0f3c8e8a-5d0c-4d8e-9a53-2f1c3b7d6e21")  # names envelope ids after keys


class EhmiChannel:
    """EHMI over ``transport`` (an access point); ``eds``: where the EUA's delivery-status
    reports are queued (None: not reported, as when no EDS is configured)."""

    name = NAME
    envelopes = frozenset({Envelope.EHMI_SBDH})

    def __init__(self, transport: Transport, *, eds: EdsQueue | None = None,
                 reporter: Reporter | None = None,
                 clock: Callable[[], datetime] | None = None,
                 sor_of: Callable[[str], str | None] | None = None) -> None:
        """``sor_of``: the SOR code of a location number, for letters that name a party by
        another identifier (receipts name none); an SBDH's SENDERID/RECEIVERID need it."""
        self._transport, self._eds, self._reporter = transport, eds, reporter
        self._clock, self._sor_of = clock, sor_of

    @property
    def transport(self) -> Transport:
        return self._transport

    def wrap(self, message: NewMessage, *, key: str, sent: datetime) -> Parcel:
        instance_id = str(uuid.uuid5(_IDS, key))
        if message.kind in catalogue.FHIR:  # journaled as its Bundle
            document = sbdh.for_fhir(
                message.data, created=sent, instance_id=instance_id,
                patient=str(message.patient) if message.patient is not None else None)
        elif message.kind == _RECEIPT:  # an envelope receipt we owe is built already
            return Parcel(message.data, message.kind, message.envelope_id,
                          message.sender_ean or "", message.receiver_ean or "", key=key)
        else:  # an Emessage or interchange, journaled as it is
            document = letter_payload.for_letter(
                message.data, created=sent, instance_id=instance_id,
                sender_sor=message.sender_sor or self._sor(message.sender_ean),
                receiver_sor=message.receiver_sor or self._sor(message.receiver_ean))
        return Parcel(sbdh.build(document), message.kind, message.envelope_id,
                      message.sender_ean or "", message.receiver_ean or "", key=key)

    def _sor(self, gln: str | None) -> str | None:
        return self._sor_of(gln) if self._sor_of is not None and gln else None

    def send(self, parcel: Parcel) -> None:
        self._transport.send(parcel)

    def record(self, parcel: Parcel, *, sent: bool,
               answering: Callable[[], NewMessage | None] = lambda: None) -> None:
        """The EUA's (and, for an envelope receipt, the MSH's) ``msg-created-and-sent``:
        outcome 0 once handed over, 8 when the message was given up before it could be
        (MedCom's failure fixture for an EUA is this event with outcome 8)."""
        # every parcel on this channel is an ehmiSBDH: messages, letters, envelope receipts
        original = answering() if parcel.kind == _ACK else None
        self._report(sbdh.parse(parcel.data), Subtype.CREATED_AND_SENT, sent, original)

    def _report(self, document: sbdh.Sbdh, subtype: Subtype, success: bool = True,
                answered: NewMessage | None = None) -> None:
        if self._eds is None or self._reporter is None:
            return
        try:
            queue_report(self._eds, document, subtype, reporter=self._reporter,
                         recorded=self._now(), message=document.message_id, success=success,
                         original=original_of(answered))
        except InvalidValue as exc:  # a message is never held back for its report's sake
            _log.warning("no EDS report %s of envelope %s: %s", subtype.value,
                         document.instance_id, exc.message)

    def _now(self) -> datetime:
        from datetime import UTC

        return self._clock() if self._clock is not None else datetime.now(UTC)

    def open(self, data: bytes, *, clock: Callable[[], datetime]) -> Opened | None:
        if envelope_kind(data) is not Envelope.EHMI_SBDH:  # by its root, not its text
            return None
        try:
            document = sbdh.parse(data)
        except MedComError as exc:
            entry = NewMessage(Direction.INBOUND, _ENVELOPED, sbdh.PROFILE_VERSION, data, "", "")
            return Inbound(None, entry, exc, f"{exc.code}: {exc.message}", nothing_owed)
        sender, receiver = document.sender_gln, document.receiver_gln
        if sbdh_receipt.is_receipt(document):
            read = sbdh_receipt.read_receipt(document)
            original = document.scope(sbdh.ScopeType.ORIGINAL_MESSAGE_ENVELOPE_ID)
            entry = NewMessage(Direction.INBOUND, _RECEIPT, sbdh_receipt.TYPE_VERSION, data,
                               document.instance_id, document.message_id or document.instance_id,
                               sender_ean=sender, receiver_ean=receiver)
            answer = Answer(Protocol.SBDH,
                            AnswerKind.POSITIVE if read.positive else AnswerKind.NEGATIVE,
                            document.instance_id, original or read.original_envelope_id,
                            (read.original_message_id,) if read.original_message_id else (),
                            reason=read.reason)
            # the MSH's msg-received-and-finalized of the receipt (MedCom's EDS-BDS-10.1)
            taken = TransportEnvelope(
                document.instance_id, document.message_id or "", None, None,
                partial(self._report, document),
                (Subtype.RECEIVED_AND_FINALIZED,))
            return AnswerIn(entry, answer, "EHMI " + (document.type or "envelope receipt"),
                            taken)
        return Carried(document.content, _reader_of(document.content), None, sender, receiver,
                       transport_envelope=self._envelope_in(document, data, clock))

    def _envelope_in(self, document: sbdh.Sbdh, data: bytes,
                     clock: Callable[[], datetime]) -> TransportEnvelope:
        """What the inbox answers and reports the envelope by (it decides, in the commit
        that journals what the envelope carried)."""
        envelope_id, message_id = document.instance_id, document.message_id or ""

        def receipt(answers: int | None, receipt_id: str,
                    exception: ebbp_signal.ReceiptException | None,
                    reason: str | None) -> NewMessage:
            built = sbdh_receipt.receipt_for(
                document, instance_id=receipt_id, created=clock(), exception=exception,
                message_id=ehmi.receipt_message_id(envelope_id, message_id), reason=reason)
            # kept under the envelope it answers (message id: that envelope's id), so the
            # receive table finds every receipt sent for an envelope id in one look-up
            return NewMessage(Direction.OUTBOUND, _RECEIPT, sbdh_receipt.TYPE_VERSION,
                              sbdh.build(built), built.instance_id, envelope_id,
                              sender_ean=built.sender_gln, receiver_ean=built.receiver_gln,
                              sender_sor=built.sender_sor, receiver_sor=built.receiver_sor,
                              answers=answers)

        refused = NewMessage(Direction.INBOUND, _ENVELOPED, sbdh.PROFILE_VERSION, data,
                             envelope_id, message_id, sender_ean=document.sender_gln,
                             receiver_ean=document.receiver_gln,
                             sender_sor=document.sender_sor,
                             receiver_sor=document.receiver_sor)
        return TransportEnvelope(envelope_id, message_id,
                                 receipt if document.receipt_request is not None else None,
                                 refused, partial(self._report, document))


def original_of(message: NewMessage | None) -> Original | None:
    """How EDS names the FHIR message an Acknowledgement answers (None: none, or not FHIR)."""
    row = next((d for d in fhir_payload.FHIR_DOCUMENTS if message is not None
                and d.kind.value == message.kind), None)
    if row is None or message is None:
        return None
    return Original(message.message_id, row.sbdh_standard, row.sbdh_version)


def _reader_of(content: bytes) -> Envelope:
    """Which reader takes what an ehmiSBDH carried: by the payload's own syntax (EDIFACT,
    an OIOXML Emessage, or FHIR), never by the envelope's labels."""
    try:
        syntax = sniff(content)
    except MalformedMessage:
        return Envelope.EHMI_SBDH  # the FHIR reader says what is wrong with it
    if syntax is Syntax.EDIFACT:
        return Envelope.INTERCHANGE
    if syntax is Syntax.XML and (root_namespace(content) or "").encode() != FHIR_NAMESPACE:
        return Envelope.EMESSAGE
    return Envelope.EHMI_SBDH
