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

from medcom_adapter.errors import (
    InboundInvalid,
    InconsistentMessage,
    InvalidValue,
    Issue,
    Location,
    MedComError,
    OutboundInvalid,
    UnknownMessage,
)
from medcom_adapter.oioxml import safe_xml, schemas
from medcom_adapter.oioxml.safe_xml import DEFAULT_MAX_BYTES

NAMESPACE = "urn:oio:medcom:vans-envelope:1.0.4"
SCHEMA_FOLDER = "envelopes/vans-1.0.4"
SCHEMA_ENTRY = "vans-envelope.xsd"
MIME_TAG = "MCM:MIME"  # the ServiceTag naming the payload's media type
_NS = f"{{{NAMESPACE}}}"
_WHITESPACE = b" \t\r\n"


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
    _el(root, "EnvelopeIdentifier", envelope.envelope_id)
    _el(root, "SentDateTime", envelope.sent.isoformat())
    content = envelope.content
    if isinstance(content, VansMessage):
        holder = _el(root, "Message")
        _meta(holder, "MetaInformation", content.meta)
        _el(holder, "Data", pybase64.b64encode(content.data).decode("ascii"))
    else:
        kind = _el(_el(root, "Receipt"), content.kind.value)
        if content.error is not None:
            error = _el(kind, "Error")
            if content.error.code is not None:
                _el(error, "Code", str(content.error.code))
            _el(error, "Description", content.error.description)
        _el(kind, "OriginalEnvelopeIdentifier", content.original_envelope_id)
        if content.original is not None:
            _meta(kind, "OriginalMessage", content.original)
    tree = root.getroottree()
    if validate:
        issues = schemas.validate(tree, SCHEMA_FOLDER, SCHEMA_ENTRY)
        if issues:
            raise OutboundInvalid(issues)
    return etree.tostring(tree, encoding="UTF-8", xml_declaration=True)


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _NS + name)
    if text is not None:
        element.text = text
    return element


def _endpoint(parent: etree._Element, name: str, endpoint: Endpoint) -> None:
    _el(parent, name, endpoint.id).set("EndPointType", endpoint.kind.value)


def _meta(parent: etree._Element, name: str, meta: MetaInformation) -> None:
    holder = _el(parent, name)
    _el(holder, "Identifier", meta.identifier)
    if meta.processing is not None:
        processing = _el(holder, "Processing")
        _el(processing, "ProviderIdentifier", meta.processing.provider)
        _el(processing, "ServiceIdentifier", meta.processing.service)
    document = _el(holder, "Document")
    _el(document, "Format", meta.document.format.value)
    _el(document, "Name", meta.document.name)
    if meta.document.version is not None:
        _el(document, "Version", meta.document.version)
    _el(document, "SizeInBytes", str(meta.document.size))
    if meta.transport is not None:
        transport = _el(holder, "Transport")
        if meta.transport.kind is not None:
            _el(transport, "Type", meta.transport.kind.value)
        _el(transport, "TransformMessage", "true" if meta.transport.transform else "false")
        for tag in meta.transport.tags:
            _el(transport, "ServiceTag", tag.value).set("name", tag.name)


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
    tree = safe_xml.load(data, max_bytes=max_bytes)
    root = tree.getroot()
    if root.tag != _NS + "VANSEnvelope":
        raise UnknownMessage(f"not a VANSEnvelope 1.0.4: root element is {root.tag}")
    issues = schemas.validate(tree, SCHEMA_FOLDER, SCHEMA_ENTRY)
    if issues:
        raise InboundInvalid(issues)
    return _read(root)


def check(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> VansCheck:
    """Validate and read without raising, for ``validate``/``show`` and certification."""
    try:
        return VansCheck(parse(data, max_bytes=max_bytes))
    except InboundInvalid as exc:
        return VansCheck(None, exc.issues)
    except MedComError as exc:
        where = exc.location
        return VansCheck(None, (Issue(exc.code, exc.message, where.path if where else None,
                                      where.line if where else None),))


def _read(root: etree._Element) -> VansEnvelope:
    # the tree is schema-valid here: required children exist and have their types
    sender, receiver = _read_endpoint(_child(root, "SenderID")), _read_endpoint(
        _child(root, "ReceiverID"))
    envelope_id = _text(_child(root, "EnvelopeIdentifier"))
    sent = _datetime(_child(root, "SentDateTime"))
    message = root.find(_NS + "Message")
    content: VansMessage | VansReceipt
    if message is not None:
        meta = _read_meta(_child(message, "MetaInformation"))
        payload = _decode(_child(message, "Data"))
        if len(payload) != meta.document.size:
            raise InconsistentMessage(
                f"SizeInBytes says {meta.document.size} but Data holds {len(payload)} bytes",
                location=Location("VANSEnvelope/Message/MetaInformation/Document/SizeInBytes"),
            )
        content = VansMessage(meta, payload)
    else:
        kind_element = _child(root, "Receipt")[0]
        kind = VansReceiptKind(etree.QName(kind_element).localname)
        error_element = kind_element.find(_NS + "Error")
        error = None
        if error_element is not None:
            code = error_element.find(_NS + "Code")
            error = VansError(_text(_child(error_element, "Description")),
                              int(_text(code)) if code is not None else None)
        original = kind_element.find(_NS + "OriginalMessage")
        content = VansReceipt(
            kind, _text(_child(kind_element, "OriginalEnvelopeIdentifier")),
            _read_meta(original) if original is not None else None, error,
        )
    return VansEnvelope(sender, receiver, envelope_id, sent, content)


def _child(parent: etree._Element, name: str) -> etree._Element:
    found = parent.find(_NS + name)
    if found is None:  # the schema makes this unreachable; kept for a clear error
        raise InconsistentMessage(f"missing {name}", location=Location(schemas.element_path(
            parent), schemas.line_of(parent)))
    return found


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _datetime(element: etree._Element) -> datetime:
    value = _text(element)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _at(element, f"{value!r} is not a date and time") from None
    if parsed.tzinfo is None:
        raise _at(element, "SentDateTime needs a time zone (MedCom times are never local)")
    return parsed


def _at(element: etree._Element, message: str) -> InconsistentMessage:
    return InconsistentMessage(message, location=Location(schemas.element_path(element),
                                                          schemas.line_of(element)))


def _read_endpoint(element: etree._Element) -> Endpoint:
    return Endpoint(_text(element), EndpointKind(element.get("EndPointType") or ""))


def _read_meta(element: etree._Element) -> MetaInformation:
    document = _child(element, "Document")
    version = document.find(_NS + "Version")
    processing_element = element.find(_NS + "Processing")
    processing = None if processing_element is None else Processing(
        _text(_child(processing_element, "ProviderIdentifier")),
        _text(_child(processing_element, "ServiceIdentifier")))
    transport_element = element.find(_NS + "Transport")
    transport = None
    if transport_element is not None:
        kind = transport_element.find(_NS + "Type")
        transport = Transport(
            TransportKind(_text(kind)) if kind is not None else None,
            _text(_child(transport_element, "TransformMessage")) in ("true", "1"),
            tuple(ServiceTag(t.get("name") or "", t.text or "")
                  for t in transport_element.findall(_NS + "ServiceTag")),
        )
    return MetaInformation(
        identifier=_text(_child(element, "Identifier")),
        document=DocumentInfo(
            DocumentFormat(_text(_child(document, "Format"))),
            document.findtext(_NS + "Name") or "",
            int(_text(_child(document, "SizeInBytes"))),
            (version.text or "") if version is not None else None,
        ),
        transport=transport, processing=processing,
    )


def _decode(element: etree._Element) -> bytes:
    try:
        raw = (element.text or "").encode("ascii")
        return pybase64.b64decode(raw.translate(None, _WHITESPACE), validate=True)
    except ValueError:
        raise _at(element, "Data is not valid base64") from None
