"""The inbox's FHIR side: VANSEnvelopes carrying CareCommunications and Acknowledgements,
and the VANS receipts that answer our envelopes.

A CareCommunication is validated (``fhir.validate.validate_message``), keyed by Bundle.id +
MessageHeader.id, and handed to the same ``reliable`` decision as an OIOXML letter
(:meth:`.inbox.Inbox.decide`); the answer it is owed is an Acknowledgement built by
``fhir.acknowledging.answer`` (``fatal-error`` naming each problem for an invalid one),
journaled as its Bundle and put in a VANSEnvelope by the outbox. An Acknowledgement is an
answer: correlated by MessageHeader.id to the CareCommunication we sent. A payload that is
not a FHIR message we read is refused with a VANS ``NegativeMessage`` receipt.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from medcom_adapter import catalogue
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.errors import InboundInvalid, Issue, MedComError
from medcom_adapter.fhir import versions as fhir_versions
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.acknowledgement import to_bundle as ack_bundle
from medcom_adapter.fhir.acknowledging import answer as acknowledge
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.journal.interface import Direction, NewMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.model.acknowledgement import Acknowledgement
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.reliable import correlate
from medcom_adapter.reliable.rules import MessageKey, Protocol
from medcom_adapter.workers import tracking
from medcom_adapter.workers.received import Inbound, Owed, Taking

ACK_VERSION = fhir_versions.current(Kind.ACKNOWLEDGEMENT).version
VANS_VERSION = vans.VERSION


def process_vans(inbox: Taking, data: bytes) -> str:
    """Handle one received VANSEnvelope; returns what it was (see ``InboxRun``)."""
    try:
        envelope = vans.parse(data)
    except MedComError as exc:  # nothing trustworthy to answer to
        entry = NewMessage(Direction.INBOUND, "VANSEnvelope", VANS_VERSION, data, "", "")
        return inbox.decide(data, Inbound(None, entry, exc, f"{exc.code}: {exc.message}",
                                          _nothing))
    message = envelope.message
    if message is None:
        return _take_vans_receipt(inbox, data, envelope)
    sender, receiver = envelope.sender.id, envelope.receiver.id
    try:
        payload = fhir_payload.unwrap(envelope)
        bundle, _ = wire.load(payload.data)
    except MedComError as exc:  # not a FHIR message we can read: refuse the envelope
        entry = NewMessage(Direction.INBOUND, "VANSEnvelope", VANS_VERSION, data,
                           envelope.envelope_id, message.meta.identifier,
                           sender_ean=sender, receiver_ean=receiver)
        key = MessageKey(Protocol.VANS, envelope.envelope_id, message.meta.identifier)
        return inbox.decide(data, Inbound(key, entry, exc, f"{exc.code}: {exc.message}",
                                          _owed_vans_receipt(inbox, envelope, exc)))
    kind = payload.document.kind
    issues = [i for i in validate_message(bundle) if not i.warning]
    model: CareCommunication | Acknowledgement | None = None
    read = catalogue.message_type(kind).read
    if not issues and read is not None:
        try:
            model = read(bundle)
        except MedComError as exc:
            issues = [Issue(exc.code, exc.message, exc.location.path if exc.location else None)]
    if isinstance(model, Acknowledgement):
        return _take_ack(inbox, payload.data, model, sender, receiver)
    bundle_id, header_id = _ids(bundle)
    care = model if isinstance(model, CareCommunication) else None
    entry = NewMessage(
        Direction.INBOUND, kind.value,
        _declared_version(bundle, fhir_versions.current(kind).version),
        payload.data, bundle_id, header_id, sender_ean=sender, receiver_ean=receiver,
        patient=care.patient.id if care is not None else None,
        episode_id=care.episode_of_care.value
        if care is not None and care.episode_of_care is not None else None)
    problem = InboundInvalid(issues) if issues else None
    reason = "; ".join(str(i) for i in issues) or None
    fhir_key = MessageKey(Protocol.FHIR, bundle_id, header_id) if bundle_id and header_id \
        else None
    # an invalid acknowledgement is refused unanswered: acknowledgements are never answered
    owed = _nothing if catalogue.message_type(kind).is_answer else _owed_ack(inbox, bundle,
                                                                             issues)
    return inbox.decide(data, Inbound(fhir_key, entry, problem, reason, owed, care))


def _take_ack(inbox: Taking, data: bytes, ack: Acknowledgement, sender: str,
              receiver: str) -> str:
    entry = NewMessage(Direction.INBOUND, Kind.ACKNOWLEDGEMENT.value, ACK_VERSION, data,
                       ack.bundle_id, ack.message_id, sender_ean=sender, receiver_ean=receiver)
    return inbox.take_answer(entry, correlate.ack_answer(ack),
                             f"Acknowledgement {ack.code.value}")


def _take_vans_receipt(inbox: Taking, data: bytes, envelope: vans.VansEnvelope) -> str:
    receipt = envelope.receipt
    assert receipt is not None
    entry = NewMessage(Direction.INBOUND, tracking.VANS_RECEIPT, VANS_VERSION, data,
                       envelope.envelope_id, envelope.envelope_id,
                       sender_ean=envelope.sender.id, receiver_ean=envelope.receiver.id)
    return inbox.take_answer(entry, correlate.vans_answer(envelope),
                             f"VANS {receipt.kind.value}")


def _owed_ack(inbox: Taking, bundle: dict[str, Any], issues: Sequence[Issue]) -> Owed:
    def owed(answers: int, refusal: MedComError | None) -> NewMessage | None:
        problems: list[Issue | MedComError] = [*issues, *([refusal] if refusal else [])]
        ack = acknowledge(bundle, problems, now=inbox.clock()).ack
        if ack is None:
            return None
        return NewMessage(
            Direction.OUTBOUND, Kind.ACKNOWLEDGEMENT.value, ACK_VERSION,
            wire.dump_json(ack_bundle(ack)), ack.bundle_id, ack.message_id,
            sender_ean=ack.sender.gln, receiver_ean=ack.receiver.gln, sender_sor=ack.sender.sor,
            receiver_sor=ack.receiver.sor, answers=answers)
    return owed


def _owed_vans_receipt(inbox: Taking, envelope: vans.VansEnvelope, error: MedComError) -> Owed:
    def owed(answers: int, refusal: MedComError | None) -> NewMessage | None:
        receipt = vans.receipt_for(envelope, vans.VansReceiptKind.NEGATIVE,
                                   envelope_id=str(uuid.uuid4()), sent=inbox.clock(),
                                   error=vans.VansError(error.message[:500]))
        return NewMessage(Direction.OUTBOUND, tracking.VANS_RECEIPT, VANS_VERSION,
                          vans.build(receipt), receipt.envelope_id, receipt.envelope_id,
                          sender_ean=receipt.sender.id, receiver_ean=receipt.receiver.id,
                          answers=answers)
    return owed


def _nothing(answers: int, refusal: MedComError | None) -> NewMessage | None:
    return None


def _declared_version(bundle: dict[str, Any], default: str) -> str:
    """The major.minor version MessageHeader.definition names (``...|4.0.0`` -> ``4.0``), so a
    refused legacy message is journaled as the version it is; ``default`` when it names none."""
    entries = bundle.get("entry")
    first = entries[0] if isinstance(entries, list) and entries else None
    header = first.get("resource") if isinstance(first, dict) else None
    definition = header.get("definition") if isinstance(header, dict) else None
    if not isinstance(definition, str) or "|" not in definition:
        return default
    parts = definition.rpartition("|")[2].split(".")
    if not all(p.isascii() and p.isdigit() for p in parts[:2]):
        return default
    return ".".join(parts[:2]) if len(parts) > 1 else f"{parts[0]}.0"


def _ids(bundle: dict[str, Any]) -> tuple[str, str]:
    """Bundle.id and MessageHeader.id as far as they can be read ("" when not)."""
    entries = bundle.get("entry")
    first = entries[0] if isinstance(entries, list) and entries else None
    header = first.get("resource") if isinstance(first, dict) else None
    bundle_id, header_id = bundle.get("id"), header.get("id") if isinstance(header, dict) else ""
    return (bundle_id if isinstance(bundle_id, str) else "",
            header_id if isinstance(header_id, str) else "")
