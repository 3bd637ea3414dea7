"""VANSEnvelope 1.0.4 (``urn:oio:medcom:vans-envelope:1.0.4``): the VANS network's envelope
for FHIR messages, and its receipts.

One envelope carries either one message (base64 ``Data`` after ``MetaInformation``) or one
receipt for an earlier envelope. Reliable messaging runs on two ids: ``envelope_id``
(``EnvelopeIdentifier``, new for every envelope sent) and the message id
(``MetaInformation/Identifier``, the same when unchanged content is sent again).

API (stable)::

    build(envelope: VansEnvelope, *, validate: bool = True) -> bytes
    parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> VansEnvelope
    check(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> VansCheck
    receipt_for(original: VansEnvelope, kind: VansReceiptKind, *, envelope_id: str,
                sent: datetime, error: VansError | None = None) -> VansEnvelope

``build`` raises ``OutboundInvalid`` when the result fails our schema
(``xsd/envelopes/vans-1.0.4``); ``parse`` raises a ``RemoteError`` (``MalformedMessage``,
``UnsafeMessage``, ``MessageTooLarge``, ``UnknownMessage``, ``InboundInvalid``,
``InconsistentMessage`` when ``SizeInBytes`` disagrees with the data). Choosing ``Name`` and
``Version`` for a FHIR message is :mod:`medcom_adapter.envelopes.fhir_payload`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

import pybase64
from lxml import etree

from medcom_adapter.envelopes.xml import (
    Dialect,
    aware_time,
    base64_content,
    checked,
    text,
)
from medcom_adapter.errors import (
    InconsistentMessage,
    InvalidValue,
    Issue,
    Location,
)
from medcom_adapter.safe_xml import DEFAULT_MAX_BYTES

VERSION = "1.0.4"
NAMESPACE = "urn:oio:medcom:vans-envelope:1.0.4"
SCHEMA_FOLDER = "envelopes/vans-1.0.4"
SCHEMA_ENTRY = "vans-envelope.xsd"
MIME_TAG = "MCM:MIME"  # the ServiceTag naming the payload's media type
_XML = Dialect(NAMESPACE, "VANSEnvelope", SCHEMA_FOLDER, SCHEMA_ENTRY, "a VANSEnvelope 1.0.4")
_NS = _XML.ns


class EndpointKind(StrEnum):
    EAN = "EAN"  # a location number (GLN)
    CVR = "CVR"
    VANS = "VANS"  # a VANS provider's own code


class DocumentFormat(StrEnum):
    XML = "XML"
    EDIFACT = "EDIFACT"
    HL7 = "HL7"  # FHIR messages
    BINARY = "Binary"
    OTHER = "Other"


class TransportKind(StrEnum):
    RELIABLE = "reliable"  # receipts are returned; MedCom's FHIR messages always use it
    UNRELIABLE = "unreliable"


class VansReceiptKind(StrEnum):
    NEGATIVE_VANS = "NegativeVans"  # the network could not deliver (e.g. unknown receiver)
    NEGATIVE = "NegativeMessage"  # the receiving system refused the envelope
    POSITIVE = "PositiveMessage"  # the receiving system took the envelope

    @property
    def negative(self) -> bool:
        return self is not VansReceiptKind.POSITIVE


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    kind: EndpointKind = EndpointKind.EAN

    def __post_init__(self) -> None:
        if not 1 <= len(self.id) <= 18 or self.id != " ".join(self.id.split()):
            raise InvalidValue(f"a VANS endpoint id is 1-18 characters of a token: {self.id!r}")


@dataclass(frozen=True, slots=True)
class ServiceTag:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Processing:
    provider: str
    service: str


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """``MetaInformation/Document``: format, statistics name, version, decoded size."""

    format: DocumentFormat
    name: str
    size: int
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Transport:
    kind: TransportKind | None = TransportKind.RELIABLE
    transform: bool = False
    tags: tuple[ServiceTag, ...] = ()

    def __post_init__(self) -> None:
        if len(self.tags) > 5:
            raise InvalidValue("a VANSEnvelope carries at most 5 service tags")

    @property
    def mime_type(self) -> str | None:
        return next((t.value for t in self.tags if t.name == MIME_TAG), None)


@dataclass(frozen=True, slots=True)
class MetaInformation:
    identifier: str  # the message id (a UUID)
    document: DocumentInfo
    transport: Transport | None = field(default_factory=Transport)
    processing: Processing | None = None


@dataclass(frozen=True, slots=True)
class VansMessage:
    meta: MetaInformation
    data: bytes = field(repr=False)  # the decoded payload (health data: kept out of repr)


@dataclass(frozen=True, slots=True)
class VansError:
    description: str
    code: int | None = None


@dataclass(frozen=True, slots=True)
class VansReceipt:
    kind: VansReceiptKind
    original_envelope_id: str
    original: MetaInformation | None = None  # required except in NegativeVans
    error: VansError | None = None  # required in the negative kinds

    def __post_init__(self) -> None:
        if self.kind.negative != (self.error is not None):
            raise InvalidValue("a negative VANS receipt has an error; a positive one has none")
        if self.kind is not VansReceiptKind.NEGATIVE_VANS and self.original is None:
            raise InvalidValue(f"a {self.kind.value} receipt repeats the original's meta")


@dataclass(frozen=True, slots=True)
class VansEnvelope:
    sender: Endpoint
    receiver: Endpoint
    envelope_id: str
    sent: datetime
    content: VansMessage | VansReceipt

    def __post_init__(self) -> None:
        if self.sent.tzinfo is None:
            raise InvalidValue("SentDateTime needs a time zone")

    @property
    def message(self) -> VansMessage | None:
        return self.content if isinstance(self.content, VansMessage) else None

    @property
    def receipt(self) -> VansReceipt | None:
        return self.content if isinstance(self.content, VansReceipt) else None


@dataclass(frozen=True, slots=True)
class VansCheck:
    """What ``check`` found: the envelope when it read, and every issue."""

    envelope: VansEnvelope | None
    issues: tuple[Issue, ...] = ()

    @property
    def valid(self) -> bool:
        return not any(not i.warning for i in self.issues)


# --------------------------------------------------------------------------------------------
# Writing


def build(envelope: VansEnvelope, *, validate: bool = True) -> bytes:
    """The envelope as UTF-8 XML bytes, validated against our schema unless told not to."""
    root = etree.Element(_NS + "VANSEnvelope", nsmap=cast(Any, {None: NAMESPACE}))
    _endpoint(root, "SenderID", envelope.sender)
    _endpoint(root, "ReceiverID", envelope.receiver)
    _XML.el(root, "EnvelopeIdentifier", envelope.envelope_id)
    _XML.el(root, "SentDateTime", envelope.sent.isoformat())
    content = envelope.content
    if isinstance(content, VansMessage):
        holder = _XML.el(root, "Message")
        _meta(holder, "MetaInformation", content.meta)
        _XML.el(holder, "Data", pybase64.b64encode(content.data).decode("ascii"))
    else:
        kind = _XML.el(_XML.el(root, "Receipt"), content.kind.value)
        if content.error is not None:
            error = _XML.el(kind, "Error")
            if content.error.code is not None:
                _XML.el(error, "Code", str(content.error.code))
            _XML.el(error, "Description", content.error.description)
        _XML.el(kind, "OriginalEnvelopeIdentifier", content.original_envelope_id)
        if content.original is not None:
            _meta(kind, "OriginalMessage", content.original)
    return _XML.dump(root, validate=validate)


def _endpoint(parent: etree._Element, name: str, endpoint: Endpoint) -> None:
    _XML.el(parent, name, endpoint.id).set("EndPointType", endpoint.kind.value)


def _meta(parent: etree._Element, name: str, meta: MetaInformation) -> None:
    holder = _XML.el(parent, name)
    _XML.el(holder, "Identifier", meta.identifier)
    if meta.processing is not None:
        processing = _XML.el(holder, "Processing")
        _XML.el(processing, "ProviderIdentifier", meta.processing.provider)
        _XML.el(processing, "ServiceIdentifier", meta.processing.service)
    document = _XML.el(holder, "Document")
    _XML.el(document, "Format", meta.document.format.value)
    _XML.el(document, "Name", meta.document.name)
    if meta.document.version is not None:
        _XML.el(document, "Version", meta.document.version)
    _XML.el(document, "SizeInBytes", str(meta.document.size))
    if meta.transport is not None:
        transport = _XML.el(holder, "Transport")
        if meta.transport.kind is not None:
            _XML.el(transport, "Type", meta.transport.kind.value)
        _XML.el(transport, "TransformMessage", "true" if meta.transport.transform else "false")
        for tag in meta.transport.tags:
            _XML.el(transport, "ServiceTag", tag.value).set("name", tag.name)


def receipt_for(
    original: VansEnvelope,
    kind: VansReceiptKind,
    *,
    envelope_id: str,
    sent: datetime,
    error: VansError | None = None,
) -> VansEnvelope:
    """The receipt answering ``original``, from its receiver back to its sender."""
    message = original.message
    if message is None:
        raise InvalidValue("receipts are never answered with a receipt")
    return VansEnvelope(
        sender=original.receiver, receiver=original.sender, envelope_id=envelope_id, sent=sent,
        content=VansReceipt(kind, original.envelope_id, message.meta, error),
    )


# --------------------------------------------------------------------------------------------
# Reading


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> VansEnvelope:
    """A received envelope; a RemoteError saying what is wrong and where otherwise."""
    return _read(_XML.load(data, max_bytes=max_bytes))


def check(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> VansCheck:
    """Validate and read without raising, for ``validate``/``show`` and certification."""
    return VansCheck(*checked(lambda: parse(data, max_bytes=max_bytes)))


def _read(root: etree._Element) -> VansEnvelope:
    # the tree is schema-valid here: required children exist and have their types
    sender, receiver = _read_endpoint(_XML.child(root, "SenderID")), _read_endpoint(
        _XML.child(root, "ReceiverID"))
    envelope_id = text(_XML.child(root, "EnvelopeIdentifier"))
    sent = aware_time(_XML.child(root, "SentDateTime"), "SentDateTime")
    message = root.find(_NS + "Message")
    content: VansMessage | VansReceipt
    if message is not None:
        meta = _read_meta(_XML.child(message, "MetaInformation"))
        payload = _decode(_XML.child(message, "Data"))
        if len(payload) != meta.document.size:
            raise InconsistentMessage(
                f"SizeInBytes says {meta.document.size} but Data holds {len(payload)} bytes",
                location=Location("VANSEnvelope/Message/MetaInformation/Document/SizeInBytes"),
            )
        content = VansMessage(meta, payload)
    else:
        kind_element = _XML.child(root, "Receipt")[0]
        kind = VansReceiptKind(etree.QName(kind_element).localname)
        error_element = kind_element.find(_NS + "Error")
        error = None
        if error_element is not None:
            code = error_element.find(_NS + "Code")
            error = VansError(text(_XML.child(error_element, "Description")),
                              int(text(code)) if code is not None else None)
        original = kind_element.find(_NS + "OriginalMessage")
        content = VansReceipt(
            kind, text(_XML.child(kind_element, "OriginalEnvelopeIdentifier")),
            _read_meta(original) if original is not None else None, error,
        )
    return VansEnvelope(sender, receiver, envelope_id, sent, content)


def _read_endpoint(element: etree._Element) -> Endpoint:
    return Endpoint(text(element), EndpointKind(element.get("EndPointType") or ""))


def _read_meta(element: etree._Element) -> MetaInformation:
    document = _XML.child(element, "Document")
    version = document.find(_NS + "Version")
    processing_element = element.find(_NS + "Processing")
    processing = None if processing_element is None else Processing(
        text(_XML.child(processing_element, "ProviderIdentifier")),
        text(_XML.child(processing_element, "ServiceIdentifier")))
    transport_element = element.find(_NS + "Transport")
    transport = None
    if transport_element is not None:
        kind = transport_element.find(_NS + "Type")
        transport = Transport(
            TransportKind(text(kind)) if kind is not None else None,
            text(_XML.child(transport_element, "TransformMessage")) in ("true", "1"),
            tuple(ServiceTag(t.get("name") or "", t.text or "")
                  for t in transport_element.findall(_NS + "ServiceTag")),
        )
    return MetaInformation(
        identifier=text(_XML.child(element, "Identifier")),
        document=DocumentInfo(
            DocumentFormat(text(_XML.child(document, "Format"))),
            document.findtext(_NS + "Name") or "",
            int(text(_XML.child(document, "SizeInBytes"))),
            (version.text or "") if version is not None else None,
        ),
        transport=transport, processing=processing,
    )


def _decode(element: etree._Element) -> bytes:
    return base64_content(element, "Data")
