"""Which envelope fields a MedCom FHIR message gets: one table row per message type.

A FHIR message travels on VANS in a VANSEnvelope whose ``Document/Name`` is the VANS
statistics key (``MCM:FDIS91#<category>`` for CareCommunication, ``MCM:FCTL#<code>`` for an
Acknowledgement) and ``Version`` the message definition's version; on EHMI in an ehmiSBDH
whose Standard, TypeVersion and StatisticalInformation come from the same row. New message
types or versions are new rows, never new branches.

API (stable)::

    FHIR_DOCUMENTS: tuple[FhirDocument, ...]
    by_event(event: str) -> FhirDocument            # InvalidValue when not in the table
    by_name(name: str) -> FhirDocument | None       # from a VANS Document/Name
    read_message(data: bytes) -> FhirMessageFacts   # what the bytes say about themselves
    wrap(data: bytes, *, sent: datetime, envelope_id: str | None = None,
         message_id: str | None = None) -> VansEnvelope
    unwrap(envelope: VansEnvelope) -> FhirPayload   # UnknownMessage when not FHIR

``wrap`` takes the addresses from the Bundle (MessageHeader sender and destination GLNs),
the envelope id from Bundle.id and the message id from MessageHeader.id unless given: a
resent Bundle (new Bundle.id, same MessageHeader.id) thus gets a new envelope with the same
message id, as VANS reliable messaging expects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from medcom_adapter.envelopes.vans import (
    MIME_TAG,
    DocumentFormat,
    DocumentInfo,
    Endpoint,
    MetaInformation,
    ServiceTag,
    Transport,
    TransportKind,
    VansEnvelope,
    VansMessage,
)
from medcom_adapter.errors import InvalidValue, MedComError, UnknownMessage
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.bundle import Index, Json, read_party
from medcom_adapter.kinds import Kind

MIME_TYPES = {"json": "application/fhir+json", "xml": "application/fhir+xml"}


def _category(index: Index, header: Json) -> str:
    for _, communication in index.of_type("Communication"):
        for category in communication.get("category") or []:
            for coding in category.get("coding") or []:
                if isinstance(coding.get("code"), str):
                    return str(coding["code"])
    raise InvalidValue("a CareCommunication names its category (Communication.category)")


def _response_code(index: Index, header: Json) -> str:
    code = (header.get("response") or {}).get("code")
    if not isinstance(code, str):
        raise InvalidValue("an Acknowledgement has MessageHeader.response.code")
    return code


@dataclass(frozen=True, slots=True)
class FhirDocument:
    """One MedCom FHIR message type and version as the envelopes name it."""

    kind: Kind
    event: str  # MessageHeader.eventCoding.code
    vans_name: str  # Document/Name before the '#'
    vans_version: str  # Document/Version
    postfix: Callable[[Index, Json], str]  # the statistics postfix, read from the message
    postfixes: frozenset[str]  # the ones MedCom's statisticalCodes list for this name
    sbdh_standard: str  # ehmiSBDH DocumentIdentification/Standard
    sbdh_version: str  # ehmiSBDH TypeVersion and the DOCUMENTID's version
    sbdh_listed: bool  # whether ehmiSBDH 2.0's schema lists the Standard yet

    def name_for(self, postfix: str) -> str:
        if postfix not in self.postfixes:
            raise InvalidValue(f"{self.vans_name}#{postfix} is not a VANS statistics code")
        return f"{self.vans_name}#{postfix}"

    @property
    def document_id(self) -> str:
        """The ehmiSBDH DOCUMENTID scope value."""
        return ("urn:dk:healthcare:medcom:messaging:fhir:structuredefinition::"
                f"{self.sbdh_standard}##urn:dk:medcom:fhir:{self.sbdh_standard}"
                f"::{self.sbdh_version}")

    @property
    def statistical_information(self) -> str:
        return f"MCM:{self.sbdh_standard}"


# MedCom terminology 2.0: CodeSystem medcom-messaging-statisticalCodes
_FDIS91 = frozenset({
    "outpatient", "decease", "carecoordination", "assistive-devices", "medicine",
    "psychiatry-social-disability", "healthcare", "nursing", "telemedicine", "training",
    "discharge", "regarding-referral", "assessment", "home-care-assessment",
    "examination-results", "alcohol-and-drug-treatment", "acute-ambulant",
    "extended-care-responsibility", "other",
})
_FCTL = frozenset({"ok", "transient-error", "fatal-error"})

FHIR_DOCUMENTS: tuple[FhirDocument, ...] = (
    FhirDocument(Kind.CARE_COMMUNICATION, "care-communication-message", "MCM:FDIS91", "5.0",
                 _category, _FDIS91, "carecommunication-message", "5.0", sbdh_listed=False),
    FhirDocument(Kind.ACKNOWLEDGEMENT, "acknowledgement-message", "MCM:FCTL", "2.0.0",
                 _response_code, _FCTL, "acknowledgement-message", "2.0", sbdh_listed=True),
)
_BY_EVENT = {d.event: d for d in FHIR_DOCUMENTS}
_BY_VANS_NAME = {d.vans_name: d for d in FHIR_DOCUMENTS}
_BY_STANDARD = {d.sbdh_standard: d for d in FHIR_DOCUMENTS}


def by_event(event: str) -> FhirDocument:
    try:
        return _BY_EVENT[event]
    except KeyError:
        raise InvalidValue(f"no envelope is defined for FHIR messages of event {event!r}"
                           ) from None


def by_name(name: str) -> FhirDocument | None:
    """The row of a VANS ``Document/Name`` (``MCM:FDIS91#nursing`` -> CareCommunication)."""
    return _BY_VANS_NAME.get(name.partition("#")[0])


def by_standard(standard: str) -> FhirDocument | None:
    """The row of an ehmiSBDH Standard (compared without case, as samples vary)."""
    return _BY_STANDARD.get(standard.strip().lower())


@dataclass(frozen=True, slots=True)
class FhirMessageFacts:
    """What a MedCom FHIR message says about itself that its envelope repeats."""

    document: FhirDocument
    mime_type: str
    bundle_id: str
    message_id: str  # MessageHeader.id
    name: str  # the VANS Document/Name
    sender_gln: str
    receiver_gln: str
    sender_sor: str
    receiver_sor: str


def read_message(data: bytes) -> FhirMessageFacts:
    """The facts of one of our FHIR messages (JSON or XML); InvalidValue when unreadable."""
    try:
        bundle, fmt = wire.load(data)
        index = Index(bundle)
        header = index.header()
        event = (header.get("eventCoding") or {}).get("code")
        document = by_event(str(event))
        sender = read_party(index.resolve(header.get("sender"), "MessageHeader.sender",
                                          ("Organization",)))
        destination = (header.get("destination") or [{}])[0]
        receiver = read_party(index.resolve(destination.get("receiver"),
                                            "MessageHeader.destination.receiver",
                                            ("Organization",)))
        bundle_id, message_id = _id(bundle, "Bundle.id"), _id(header, "MessageHeader.id")
        name = document.name_for(document.postfix(index, header))
    except MedComError as exc:
        raise InvalidValue(f"cannot put this FHIR message in an envelope: {exc.message}",
                           location=exc.location) from None
    return FhirMessageFacts(document, MIME_TYPES[fmt], bundle_id, message_id, name,
                            sender.gln, receiver.gln, sender.sor, receiver.sor)


def _id(resource: Any, where: str) -> str:
    value = resource.get("id") if isinstance(resource, dict) else None
    if not isinstance(value, str) or not value:
        raise InvalidValue(f"{where} is missing")
    return value


def wrap(
    data: bytes,
    *,
    sent: datetime,
    envelope_id: str | None = None,
    message_id: str | None = None,
) -> VansEnvelope:
    """A VANSEnvelope carrying the FHIR message ``data``, every field chosen from it."""
    facts = read_message(data)
    meta = MetaInformation(
        identifier=message_id or facts.message_id,
        document=DocumentInfo(DocumentFormat.HL7, facts.name, len(data),
                              facts.document.vans_version),
        transport=Transport(TransportKind.RELIABLE, False,
                            (ServiceTag(MIME_TAG, facts.mime_type),)),
    )
    return VansEnvelope(
        sender=Endpoint(facts.sender_gln), receiver=Endpoint(facts.receiver_gln),
        envelope_id=envelope_id or facts.bundle_id, sent=sent,
        content=VansMessage(meta, data),
    )


@dataclass(frozen=True, slots=True)
class FhirPayload:
    document: FhirDocument
    mime_type: str | None
    data: bytes


def unwrap(envelope: VansEnvelope) -> FhirPayload:
    """The FHIR message an envelope carries; UnknownMessage for other payloads."""
    message = envelope.message
    if message is None:
        raise UnknownMessage("a VANS receipt carries no message")
    document = by_name(message.meta.document.name)
    if document is None or message.meta.document.format is not DocumentFormat.HL7:
        raise UnknownMessage(
            f"VANSEnvelope carries {message.meta.document.format.value} "
            f"{message.meta.document.name!r}, not a MedCom FHIR message we read")
    mime = message.meta.transport.mime_type if message.meta.transport else None
    return FhirPayload(document, mime, message.data)
