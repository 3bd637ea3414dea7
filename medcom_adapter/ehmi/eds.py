"""EDS delivery-status reports: the AuditEvents an EUA sends when it creates, sends,
receives and finalises a message (EDS 1.0.2, profiles EdsPatientDeliveryStatus and
EdsBasicDeliveryStatus).

Every fact comes from the ehmiSBDH the message travels in: the parties' SOR ids
(SENDERID/RECEIVERID) and location numbers (the header's ``0088:`` actor ids), the
message's id and type (MESSAGEIDENTIFIER, Standard, TypeVersion), the FHIR Bundle's id
(MESSAGEENVELOPEIDENTIFIER) and the envelope's own id. A report about a message that names
a patient (PATIENTID) is an EdsPatientDeliveryStatus; otherwise (an Acknowledgement, an
envelope receipt) an EdsBasicDeliveryStatus. A report about an answer names what it
answers too, as MedCom's samples do: an envelope receipt its ORIGINAL* scopes
(ehmiOrigMessage, ehmiOrigTransportEnvelope: EDS-BDS-07.1, 10.1), an Acknowledgement the
message it acknowledges (ehmiOrigMessage, given as :class:`Original`: EDS-BDS-11.1 to 16.1;
its ehmiSBDH names no original, so the caller says which it is).

``success`` False gives outcome 8 (Serious failure), the one failure EDS's outcome value
set allows beside 0 (Success).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from medcom_adapter.envelopes.sbdh import HEADER_VERSION, Sbdh, ScopeType
from medcom_adapter.errors import InvalidValue

Json = dict[str, Any]
IG = "http://medcomehmi.dk/ig/eds"
PATIENT_PROFILE = f"{IG}/StructureDefinition/EdsPatientDeliveryStatus"
BASIC_PROFILE = f"{IG}/StructureDefinition/EdsBasicDeliveryStatus"
OTHER_ID = f"{IG}/StructureDefinition/eds-otherId"
_T = "http://medcomehmi.dk/ig/terminology/CodeSystem/"
TYPES = _T + "ehmi-delivery-status-types"
SUBTYPES = _T + "ehmi-delivery-status-sub-types"
SOURCE_TYPES = _T + "ehmi-delivery-status-source-type"
ROLES = _T + "ehmi-delivery-status-participationroletype"
AGENT_IDS = _T + "ehmi-delivery-status-agent-who-identifier-types"
ENTITY_TYPES = _T + "ehmi-delivery-status-entity-type"
DETAIL_TYPES = _T + "ehmi-delivery-status-entity-detail-type"
OUTCOMES = "http://hl7.org/fhir/audit-event-outcome"
ACTIONS = "http://hl7.org/fhir/audit-event-action"
OBJECT_ROLES = "http://terminology.hl7.org/CodeSystem/object-role"


class Subtype(StrEnum):
    """What happened, as the EUA task description names the events."""

    CREATED = "msg-created"
    CREATED_AND_SENT = "msg-created-and-sent"
    SENT = "msg-sent"
    RECEIVED = "msg-received"
    RECEIVED_AND_FINALIZED = "msg-received-and-finalized"
    FINALIZED = "msg-finalized"


_SUBTYPE_DISPLAY = {
    Subtype.CREATED: "Message created", Subtype.CREATED_AND_SENT: "Message created and sent",
    Subtype.SENT: "Message sent", Subtype.RECEIVED: "Message received",
    Subtype.RECEIVED_AND_FINALIZED: "Message received and finalized",
    Subtype.FINALIZED: "Message finalized"}


class Source(StrEnum):
    EUA = "EUA"
    EUA_MSH = "EUA-MSH"
    MSH = "MSH"
    AP_MSH = "AP-MSH"
    AP = "AP"


_SOURCE_DISPLAY = {
    Source.EUA: "EUA (End-user Application)",
    Source.EUA_MSH: "EUA & MSH (End-user Application & Message Service Handler)",
    Source.MSH: "MSH (Application Server)",
    Source.AP_MSH: "AP & MSH (Access Point - Message Service Handler)",
    Source.AP: "AP (Access Point)"}


@dataclass(frozen=True, slots=True)
class Original:
    """The message an answer answers, as EDS names it (ehmiOrigMessage)."""

    message_id: str
    standard: str  # its ehmiSBDH Standard (ehmiMessageType)
    version: str  # its TypeVersion (ehmiMessageVersion)


@dataclass(frozen=True, slots=True)
class Reporter:
    """The device that reports: the adapter as its unit's EUA (with its MSH, usually)."""

    device: str  # the Device id the EER registers it under
    source: Source = Source.EUA_MSH


def report(document: Sbdh, *, subtype: Subtype, recorded: datetime, reporter: Reporter,
           id: str | None = None, success: bool = True,
           original: Original | None = None) -> Json:
    """The AuditEvent reporting ``subtype`` for the message ``document`` carries."""
    if recorded.tzinfo is None:
        raise InvalidValue("an EDS report's time needs a time zone")
    sender_sor, receiver_sor = document.sender_sor, document.receiver_sor
    if not sender_sor or not receiver_sor or not document.message_id:
        raise InvalidValue("an EDS report needs the envelope's SENDERID, RECEIVERID and "
                           "MESSAGEIDENTIFIER")
    patient = document.patient
    event: Json = {
        "resourceType": "AuditEvent",
        "meta": {"profile": [PATIENT_PROFILE if patient else BASIC_PROFILE]},
        "type": _coding(TYPES, "ehmiMessaging", "EHMI messaging event"),
        "subtype": [_coding(SUBTYPES, subtype.value, _SUBTYPE_DISPLAY[subtype])],
        "action": "C",
        "recorded": recorded.isoformat(timespec="milliseconds"),
        "outcome": "0" if success else "8",
        "agent": [_agent("ehmiSender", "Sender", sender_sor, document.sender_gln, True),
                  _agent("ehmiReceiver", "Receiver", receiver_sor, document.receiver_gln,
                         False)],
        "source": {"observer": {"reference": f"Device/{reporter.device}"},
                   "type": [_coding(SOURCE_TYPES, reporter.source.value,
                                    _SOURCE_DISPLAY[reporter.source])]},
        "entity": [
            *([_entity("ehmiPatient", "Patient", patient)] if patient else []),
            _entity("ehmiMessage", "Message", document.message_id, [
                ("ehmiMessageType", document.standard),
                ("ehmiMessageVersion", document.type_version)]),
            *([_entity("ehmiMessageEnvelope", "Message Envelope", document.message_envelope_id,
                       [("ehmiMessageEnvelopeType", document.type)])]
              if document.message_envelope_id else []),
            _entity("ehmiTransportEnvelope", "Transport Envelope", document.instance_id,
                    [("ehmiTransportEnvelopeType", "SBDH"),
                     ("ehmiTransportEnvelopeVersion", HEADER_VERSION)]),
            *_originals(document, original),
        ],
    }
    if id is not None:
        event["id"] = id
    return event


def _coding(system: str, code: str, display: str) -> Json:
    return {"system": system, "code": code, "display": display}


def _agent(role: str, display: str, sor: str, gln: str | None, requestor: bool) -> Json:
    agent: Json = {"type": {"coding": [_coding(ROLES, role, display)]}, "requestor": requestor,
                   "who": {"identifier": {"value": sor}}}
    if gln:
        agent["extension"] = [{"url": OTHER_ID, "valueIdentifier": {
            "type": {"coding": [_coding(AGENT_IDS, "GLN", "GLN")]}, "value": gln}}]
    return agent


def _originals(document: Sbdh, original: Original | None) -> list[Json]:
    """What an answer answers: an envelope receipt's original message and transport
    envelope (its scopes), else the message ``original`` names."""
    message = document.scope(ScopeType.ORIGINAL_MESSAGE_ID)
    standard = document.scope(ScopeType.ORIGINAL_MESSAGE_STANDARD)
    version = document.scope(ScopeType.ORIGINAL_MESSAGE_VERSION)
    envelope = document.scope(ScopeType.ORIGINAL_ENVELOPE_ID)
    if not message and original is not None:
        message, standard, version = original.message_id, original.standard, original.version
    found = []
    if message and standard and version:  # the profile wants both details (2..2)
        found.append(_entity("ehmiOrigMessage", "Original Message", message, [
            ("ehmiMessageType", standard), ("ehmiMessageVersion", version)]))
    if envelope:
        found.append(_entity("ehmiOrigTransportEnvelope", "Original Transport Envelope",
                             envelope, [("ehmiTransportEnvelopeType", "SBDH"),
                                        ("ehmiTransportEnvelopeVersion", HEADER_VERSION)]))
    return found


def _entity(kind: str, display: str, value: str,
            details: list[tuple[str, str]] | None = None) -> Json:
    entity: Json = {"what": {"identifier": {"value": value}},
                    "type": _coding(ENTITY_TYPES, kind, display)}
    if kind == "ehmiPatient":  # the profile fixes its role
        entity["role"] = _coding(OBJECT_ROLES, "1", "Patient")
    if details:
        entity["detail"] = [{"type": name, "valueString": text} for name, text in details]
    return entity


def patient_specific(document: Sbdh) -> bool:
    return document.scope(ScopeType.PATIENT_ID) is not None
