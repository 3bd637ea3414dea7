"""EHMI ehmiSBDH: the envelope of a MedCom message on the EHMI eDelivery network.

A ``StandardBusinessDocument`` is a header and the base64 payload (``bc:BinaryContent``).
The header names the endpoints as ``0088:<GLN>``, identifies the document (Standard,
TypeVersion, the envelope's own UUID ``InstanceIdentifier``, creation time) and carries
MedCom's business scopes: DOCUMENTID, PROCESSID, PATIENTID, SENDERID/RECEIVERID (SOR ids),
MESSAGEIDENTIFIER (MessageHeader.id), MESSAGEENVELOPEIDENTIFIER (Bundle.id),
StatisticalInformation and the ``EHMI-ReceiptAcknowledgement`` request for an envelope
receipt. Reliable messaging on EHMI keys on (InstanceIdentifier, MESSAGEIDENTIFIER), as
VANS keys on (EnvelopeIdentifier, MetaInformation/Identifier).

API (stable)::

    build(document: Sbdh, *, validate: bool = True) -> bytes
    parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Sbdh
    check(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SbdhCheck
    for_fhir(data: bytes, *, created: datetime, instance_id: str,
             patient: str | None = None, receipt: bool = True) -> Sbdh

``Sbdh`` exposes the scopes as properties (``message_id``, ``message_envelope_id``,
``sender_sor``, ``receiver_sor``, ``patient``, ``statistical_information``,
``receipt_request``). The patient scope may hold a CPR number; it is kept out of ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

import pybase64
from lxml import etree

from medcom_adapter.envelopes import fhir_payload
from medcom_adapter.envelopes.xml import (
    Dialect,
    aware_time,
    base64_content,
    checked,
    text,
)
from medcom_adapter.errors import (
    InvalidValue,
    Issue,
)
from medcom_adapter.model.identifiers import Gln
from medcom_adapter.safe_xml import DEFAULT_MAX_BYTES

NAMESPACE = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
CONTENT_NAMESPACE = "http://peppol.eu/xsd/ticc/envelope/1.0"
PROFILE_VERSION = "2.0"  # the dk-ehmi-sbdh profile these rules follow
HEADER_VERSION = "1.0"  # StandardBusinessDocumentHeader/HeaderVersion
SCHEMA_FOLDER = "envelopes/ehmi-sbdh-2.0"
SCHEMA_ENTRY = "sbdh.xsd"
AUTHORITY = "iso6523-actorid-upis"
GLN_SCHEME = "0088"
PROCESS_ID = "urn:ehmi:sdn-emergence"
RECEIPT_TIMEOUT = timedelta(milliseconds=600000)  # TimeToAcknowledgeReceipt, fixed by EHMI
_XML = Dialect(NAMESPACE, "StandardBusinessDocument", SCHEMA_FOLDER, SCHEMA_ENTRY,
               "an ehmiSBDH")
_S = _XML.ns
_BC = f"{{{CONTENT_NAMESPACE}}}"
_SERVICE_ATTRIBUTES = (  # fixed by EHMI; written out as MedCom's samples do
    ("IsNonRepudiationRequired", "false"), ("IsAuthenticationRequired", "false"),
    ("IsNonRepudiationOfReceiptRequired", "false"), ("IsIntelligibleCheckRequired", "false"),
    ("IsApplicationErrorResponseRequested", "false"),
    ("TimeToAcknowledgeReceipt", str(int(RECEIPT_TIMEOUT.total_seconds() * 1000))),
    ("TimeToAcknowledgeAcceptance", "0"), ("TimeToPerform", "0"), ("Recurrence", "0"),
)


class ScopeType(StrEnum):
    DOCUMENT_ID = "DOCUMENTID"
    PROCESS_ID = "PROCESSID"
    PATIENT_ID = "PATIENTID"
    SENDER_ID = "SENDERID"
    RECEIVER_ID = "RECEIVERID"
    MESSAGE_ID = "MESSAGEIDENTIFIER"
    MESSAGE_ENVELOPE_ID = "MESSAGEENVELOPEIDENTIFIER"
    STATISTICAL_INFORMATION = "StatisticalInformation"
    XDS_METADATA = "XDS-METADATA"
    ORIGINAL_MESSAGE_ID = "ORIGINALMESSAGEIDENTIFIER"
    ORIGINAL_MESSAGE_ENVELOPE_ID = "ORIGINALMESSAGEENVELOPEIDENTIFIER"
    ORIGINAL_MESSAGE_STANDARD = "ORIGINALMESSAGESTANDARD"
    ORIGINAL_MESSAGE_VERSION = "ORIGINALMESSAGEVERSION"
    ORIGINAL_ENVELOPE_ID = "ORIGINALENVELOPEIDENTIFIER"
    RECEIPT_ACKNOWLEDGEMENT = "EHMI-ReceiptAcknowledgement"


class ScopeOwner(StrEnum):
    MESSAGING = "dk-medcom-messaging"
    DOCUMENT_REFERENCE = "dk-medcom-DocumentReference"


class ServiceName(StrEnum):
    RECEIPT_REQUEST = "EHMI-ReceiptAcknowledgement-Request"
    RECEIPT_RESPONSE = "EHMI-ReceiptAcknowledgement-Response"


class TransactionType(StrEnum):
    REQUESTING = "RequestingServiceTransaction"
    RESPONDING = "RespondingServiceTransaction"


@dataclass(frozen=True, slots=True)
class Correlation:
    """Which document a receipt request (or receipt) concerns and when the answer is due."""

    requesting_created: datetime
    requesting_instance_id: str
    expected_response: datetime


@dataclass(frozen=True, slots=True)
class BusinessService:
    name: ServiceName
    transaction: TransactionType | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    type: ScopeType
    instance: str = field(repr=False)  # may be a CPR number (PATIENTID)
    owner: ScopeOwner = ScopeOwner.MESSAGING
    correlation: Correlation | None = None
    service: BusinessService | None = None


@dataclass(frozen=True, slots=True)
class Sbdh:
    sender: str  # ISO 6523 actor id, e.g. 0088:5790000121526
    receiver: str
    standard: str  # e.g. acknowledgement-message
    type_version: str
    instance_id: str  # the envelope id
    created: datetime
    scopes: tuple[Scope, ...]
    content: bytes = field(repr=False)  # the carried message, decoded
    mime_type: str = "application/fhir+json"
    encoding: str | None = "UTF-8"
    type: str = "Bundle"

    def __post_init__(self) -> None:
        if self.created.tzinfo is None:
            raise InvalidValue("CreationDateAndTime needs a time zone")

    def scope(self, kind: ScopeType) -> str | None:
        """The (whitespace-trimmed) InstanceIdentifier of the first scope of ``kind``."""
        return next((s.instance.strip() for s in self.scopes if s.type is kind), None)

    @property
    def sender_gln(self) -> str | None:
        return _gln(self.sender)

    @property
    def receiver_gln(self) -> str | None:
        return _gln(self.receiver)

    @property
    def message_id(self) -> str | None:
        return self.scope(ScopeType.MESSAGE_ID)

    @property
    def message_envelope_id(self) -> str | None:
        return self.scope(ScopeType.MESSAGE_ENVELOPE_ID)

    @property
    def sender_sor(self) -> str | None:
        return self.scope(ScopeType.SENDER_ID)

    @property
    def receiver_sor(self) -> str | None:
        return self.scope(ScopeType.RECEIVER_ID)

    @property
    def patient(self) -> str | None:
        return self.scope(ScopeType.PATIENT_ID)

    @property
    def statistical_information(self) -> str | None:
        return self.scope(ScopeType.STATISTICAL_INFORMATION)

    @property
    def receipt_request(self) -> Correlation | None:
        """The correlation of the envelope-receipt request, when one is asked for."""
        for s in self.scopes:
            if (s.type is ScopeType.RECEIPT_ACKNOWLEDGEMENT and s.service is not None
                    and s.service.name is ServiceName.RECEIPT_REQUEST):
                return s.correlation
        return None


def actor_id(gln: str) -> str:
    """``0088:<GLN>``, the ISO 6523 form EHMI addresses endpoints by (GS1 check digit
    checked: InvalidValue when wrong)."""
    return f"{GLN_SCHEME}:{Gln(gln)}"


def _gln(actor: str) -> str | None:
    scheme, _, value = actor.strip().partition(":")
    return value if scheme == GLN_SCHEME else None


@dataclass(frozen=True, slots=True)
class SbdhCheck:
    document: Sbdh | None
    issues: tuple[Issue, ...] = ()

    @property
    def valid(self) -> bool:
        return not any(not i.warning for i in self.issues)


# --------------------------------------------------------------------------------------------
# Building


def for_fhir(
    data: bytes,
    *,
    created: datetime,
    instance_id: str,
    patient: str | None = None,
    receipt: bool = True,
) -> Sbdh:
    """The ehmiSBDH for one of our FHIR messages, every scope taken from the message.

    ``patient`` is the PATIENTID scope value (a CPR, or the pseudonym the profile asks for);
    left out when None. ``receipt`` asks for an envelope receipt within EHMI's 10 minutes."""
    facts = fhir_payload.read_message(data)
    doc = facts.document
    scopes = message_scopes(
        doc.document_id, patient, facts.sender_sor, facts.receiver_sor, facts.message_id,
        facts.bundle_id, doc.statistical_information,
        receipt_for=(instance_id, created) if receipt else None)
    return Sbdh(
        sender=actor_id(facts.sender_gln), receiver=actor_id(facts.receiver_gln),
        standard=doc.sbdh_standard, type_version=doc.sbdh_version, instance_id=instance_id,
        created=created, scopes=scopes, content=data, mime_type=facts.mime_type,
    )


def message_scopes(
    document_id: str, patient: str | None, sender_sor: str, receiver_sor: str,
    message_id: str, envelope_id: str, statistical_information: str,
    *, receipt_for: tuple[str, datetime] | None,
) -> tuple[Scope, ...]:
    """The business scopes of a message's envelope, whatever it carries, in the guide's
    order; ``receipt_for`` (the envelope's id and creation time) asks for an envelope
    receipt."""
    scopes = [
        Scope(ScopeType.DOCUMENT_ID, document_id),
        Scope(ScopeType.PROCESS_ID, PROCESS_ID),
        *([Scope(ScopeType.PATIENT_ID, patient)] if patient is not None else []),
        Scope(ScopeType.SENDER_ID, sender_sor),
        Scope(ScopeType.RECEIVER_ID, receiver_sor),
        Scope(ScopeType.MESSAGE_ID, message_id),
        Scope(ScopeType.MESSAGE_ENVELOPE_ID, envelope_id),
        Scope(ScopeType.STATISTICAL_INFORMATION, statistical_information),
    ]
    if receipt_for is not None:
        scopes.append(receipt_request(*receipt_for))
    return tuple(scopes)


def receipt_request(instance_id: str, created: datetime) -> Scope:
    """The scope asking for an envelope receipt of document ``instance_id``."""
    return Scope(
        ScopeType.RECEIPT_ACKNOWLEDGEMENT, "Request",
        correlation=Correlation(created, instance_id, created + RECEIPT_TIMEOUT),
        service=BusinessService(ServiceName.RECEIPT_REQUEST, TransactionType.REQUESTING),
    )


def build(document: Sbdh, *, validate: bool = True) -> bytes:
    """The document as UTF-8 XML bytes, validated against our schema unless told not to."""
    root = etree.Element(_S + "StandardBusinessDocument",
                         nsmap=cast(Any, {None: NAMESPACE, "bc": CONTENT_NAMESPACE}))
    header = _XML.el(root, "StandardBusinessDocumentHeader")
    _XML.el(header, "HeaderVersion", HEADER_VERSION)
    for name, actor in (("Sender", document.sender), ("Receiver", document.receiver)):
        _XML.el(_XML.el(header, name), "Identifier", actor).set("Authority", AUTHORITY)
    ident = _XML.el(header, "DocumentIdentification")
    _XML.el(ident, "Standard", document.standard)
    _XML.el(ident, "TypeVersion", document.type_version)
    _XML.el(ident, "InstanceIdentifier", document.instance_id)
    _XML.el(ident, "Type", document.type)
    _XML.el(ident, "MultipleType", "false")
    _XML.el(ident, "CreationDateAndTime", document.created.isoformat())
    scopes = _XML.el(header, "BusinessScope")
    for scope in document.scopes:
        _write_scope(_XML.el(scopes, "Scope"), scope)
    content = etree.SubElement(root, _BC + "BinaryContent")
    content.set("mimeType", document.mime_type)
    if document.encoding is not None:
        content.set("encoding", document.encoding)
    content.text = pybase64.b64encode(document.content).decode("ascii")
    return _XML.dump(root, validate=validate)


def _write_scope(holder: etree._Element, scope: Scope) -> None:
    _XML.el(holder, "Type", scope.type.value)
    _XML.el(holder, "InstanceIdentifier", scope.instance)
    _XML.el(holder, "Identifier", scope.owner.value)
    if scope.correlation is not None:
        c = _XML.el(holder, "CorrelationInformation")
        correlation = scope.correlation
        _XML.el(c, "RequestingDocumentCreationDateTime", _time_text(correlation.requesting_created))
        _XML.el(c, "RequestingDocumentInstanceIdentifier", correlation.requesting_instance_id)
        _XML.el(c, "ExpectedResponseDateTime", _time_text(correlation.expected_response))
    if scope.service is not None:
        s = _XML.el(holder, "BusinessService")
        _XML.el(s, "BusinessServiceName", scope.service.name.value)
        transaction = _XML.el(s, "ServiceTransaction")
        if scope.service.transaction is not None:
            transaction.set("TypeOfServiceTransaction", scope.service.transaction.value)
        for name, value in _SERVICE_ATTRIBUTES:
            transaction.set(name, value)


def _time_text(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# Reading


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Sbdh:
    """A received ehmiSBDH; a RemoteError saying what is wrong and where otherwise."""
    root = _XML.load(data, max_bytes=max_bytes)
    # by element, not position: MedCom's samples put comments between header and content
    header, content = (child for child in root if isinstance(child.tag, str))
    ident = _XML.child(header, "DocumentIdentification")
    return Sbdh(
        sender=text(_XML.child(_XML.child(header, "Sender"), "Identifier")),
        receiver=text(_XML.child(_XML.child(header, "Receiver"), "Identifier")),
        standard=text(_XML.child(ident, "Standard")),
        type_version=text(_XML.child(ident, "TypeVersion")),
        instance_id=text(_XML.child(ident, "InstanceIdentifier")),
        created=aware_time(_XML.child(ident, "CreationDateAndTime"), "CreationDateAndTime"),
        type=text(_XML.child(ident, "Type")),
        scopes=tuple(_read_scope(s) for s in _XML.child(header, "BusinessScope")
                     if isinstance(s.tag, str)),
        content=_decode(content),
        mime_type=content.get("mimeType") or "",
        encoding=content.get("encoding"),
    )


def check(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SbdhCheck:
    """Validate and read without raising."""
    return SbdhCheck(*checked(lambda: parse(data, max_bytes=max_bytes)))


def _read_scope(element: etree._Element) -> Scope:
    correlation = element.find(_S + "CorrelationInformation")
    service = element.find(_S + "BusinessService")
    transaction = service.find(_S + "ServiceTransaction") if service is not None else None
    kind = transaction.get("TypeOfServiceTransaction") if transaction is not None else None
    return Scope(
        ScopeType(text(_XML.child(element, "Type"))),
        text(_XML.child(element, "InstanceIdentifier")),
        ScopeOwner(text(_XML.child(element, "Identifier"))),
        None if correlation is None else Correlation(
            aware_time(_XML.child(correlation, "RequestingDocumentCreationDateTime"),
                       "RequestingDocumentCreationDateTime"),
            text(_XML.child(correlation, "RequestingDocumentInstanceIdentifier")),
            aware_time(_XML.child(correlation, "ExpectedResponseDateTime"),
                       "ExpectedResponseDateTime"),
        ),
        None if service is None else BusinessService(
            ServiceName(text(_XML.child(service, "BusinessServiceName"))),
            TransactionType(kind) if kind else None,
        ),
    )


def _decode(element: etree._Element) -> bytes:
    return base64_content(element, "BinaryContent")
