"""Reading a received FHIR message once: a CareCommunication (or another message owed an
Acknowledgement) to decide on, or an Acknowledgement of ours.

What its envelope carried is loaded once, validated once (``fhir.validate
.validate_message``) and read into the model by the catalogue's reader; it is keyed by
Bundle.id + MessageHeader.id for the same ``reliable`` decision as an OIOXML letter. The
answer it is owed is an Acknowledgement built from that reading (``fhir.acknowledging
.answer``: ``fatal-error`` naming each problem for an invalid one), journaled as its Bundle
and enveloped by the channel it leaves on. An invalid Acknowledgement is refused unanswered:
acknowledgements are never answered. What cannot be loaded as FHIR at all is refused as its
envelope says (VANS: a ``NegativeMessage`` receipt).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from medcom_adapter import catalogue
from medcom_adapter.addressing.senders import sender_sor
from medcom_adapter.channels import Carried
from medcom_adapter.envelopes import fhir_payload
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
from medcom_adapter.workers.received import (
    AnswerIn,
    Context,
    Inbound,
    Owed,
    Reading,
    nothing_owed,
)

ACK_VERSION = fhir_versions.current(Kind.ACKNOWLEDGEMENT).version


def read(carried: Carried, context: Context) -> Reading:
    sender, receiver = carried.sender, carried.receiver
    try:
        bundle, _ = wire.load(carried.data)
        kind = carried.kind or _kind_of(bundle)
    except MedComError as exc:  # not a FHIR message we can read: refuse the envelope
        if carried.refuse is not None:
            return carried.refuse(exc)
        entry = NewMessage(Direction.INBOUND, carried.envelope.value, "", carried.data, "", "",
                           sender_ean=sender, receiver_ean=receiver)
        return Inbound(None, entry, exc, f"{exc.code}: {exc.message}", nothing_owed)
    issues = [i for i in validate_message(bundle) if not i.warning]
    model: CareCommunication | Acknowledgement | None = None
    reader = catalogue.message_type(kind).read
    if not issues and reader is not None:
        try:
            model = reader(bundle)
        except MedComError as exc:
            issues = [Issue(exc.code, exc.message, exc.location.path if exc.location else None)]
    if isinstance(model, Acknowledgement):
        entry = NewMessage(Direction.INBOUND, Kind.ACKNOWLEDGEMENT.value, ACK_VERSION,
                           carried.data, model.bundle_id, model.message_id,
                           sender_ean=sender, receiver_ean=receiver)
        return AnswerIn(entry, correlate.ack_answer(model),
                        f"Acknowledgement {model.code.value}")
    bundle_id, header_id = _ids(bundle)
    # what every message read into the model names (a CareCommunication, or a type to come)
    party, patient = getattr(model, "sender", None), getattr(model, "patient", None)
    episode = getattr(model, "episode_of_care", None)
    entry = NewMessage(
        Direction.INBOUND, kind.value,
        _declared_version(bundle, fhir_versions.current(kind).version),
        carried.data, bundle_id, header_id, sender_ean=sender, receiver_ean=receiver,
        sender_sor=party.sor if party is not None else sender_sor(
            context.directory, ean=sender or ""),
        patient=patient.id if patient is not None else None,
        episode_id=episode.value if episode is not None else None)
    problem = InboundInvalid(issues) if issues else None
    reason = "; ".join(str(i) for i in issues) or None
    key = MessageKey(Protocol.FHIR, bundle_id, header_id) if bundle_id and header_id else None
    owed = nothing_owed if catalogue.message_type(kind).is_answer else _owed_ack(
        context, bundle, issues)
    return Inbound(key, entry, problem, reason, owed, model)


def _owed_ack(context: Context, bundle: dict[str, Any], issues: Sequence[Issue]) -> Owed:
    def owed(answers: int, refusal: MedComError | None) -> NewMessage | None:
        problems: list[Issue | MedComError] = [*issues, *([refusal] if refusal else [])]
        ack = acknowledge(bundle, problems, now=context.clock()).ack
        if ack is None:
            return None
        return NewMessage(
            Direction.OUTBOUND, Kind.ACKNOWLEDGEMENT.value, ACK_VERSION,
            wire.dump_json(ack_bundle(ack)), ack.bundle_id, ack.message_id,
            sender_ean=ack.sender.gln, receiver_ean=ack.receiver.gln, sender_sor=ack.sender.sor,
            receiver_sor=ack.receiver.sor, answers=answers)
    return owed


def _kind_of(bundle: dict[str, Any]) -> Kind:
    """The kind the MessageHeader's event names, for an envelope that does not say."""
    entries = bundle.get("entry")
    first = entries[0] if isinstance(entries, list) and entries else None
    header = first.get("resource") if isinstance(first, dict) else None
    coding = header.get("eventCoding") if isinstance(header, dict) else None
    event = coding.get("code") if isinstance(coding, dict) else None
    return fhir_payload.by_event(str(event)).kind


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
