"""Which syntax a message file is in, and the matching reader and validator.

The single entry point for "here are some bytes, what are they?" (``validate``, ``show``,
later certification and the inbox). OIOXML is read fully: kind and version from the
namespace, letter element and VersionCode. FHIR (JSON or XML) is validated against our
MedCom profiles and read into the model. EDIFACT (REF01, BIN01, DIS91, CONTRL) is read fully
too: kind and version from UNH, every count checked. Transport envelopes (VANSEnvelope,
ehmiSBDH) are validated and opened: the report's ``carried`` is the report of the message
inside, and ``parse`` gives an :class:`Enveloped` (the envelope and the parsed message it
carries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

from medcom_adapter import catalogue, safe_xml
from medcom_adapter.catalogue import Envelope
from medcom_adapter.errors import Issue, MalformedMessage, MedComError, MessageTooLarge
from medcom_adapter.fhir import versions as fhir_versions
from medcom_adapter.model.ids import IdSource
from medcom_adapter.oioxml import emessage
from medcom_adapter.oioxml.emessage import Document
from medcom_adapter.reliable.receipting import Answer
from medcom_adapter.safe_xml import DEFAULT_MAX_BYTES

if TYPE_CHECKING:  # the readers themselves load only when a file of theirs comes
    from medcom_adapter.edifact.interchange import EdifactDocument
    from medcom_adapter.envelopes.sbdh import Sbdh
    from medcom_adapter.envelopes.vans import VansEnvelope
    from medcom_adapter.fhir.bundle import Json

FHIR_NAMESPACE = b"http://hl7.org/fhir"
VANS_NAMESPACE = b"urn:oio:medcom:vans-envelope:1.0.4"
SBDH_NAMESPACE = b"http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
_ENVELOPE_OF_NAMESPACE = {VANS_NAMESPACE: Envelope.VANS_ENVELOPE,
                          SBDH_NAMESPACE: Envelope.EHMI_SBDH}


class Syntax(StrEnum):
    XML = "xml"  # OIOXML, or FHIR XML when the root is in the FHIR namespace
    EDIFACT = "edifact"
    FHIR_JSON = "fhir-json"


def sniff(data: bytes) -> Syntax:
    """The syntax of ``data`` from its first bytes; MalformedMessage when none we know."""
    head = bytes(data[:64])
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 byte order marks
        return Syntax.XML
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"UNA", b"UNB")):
        return Syntax.EDIFACT
    if text.startswith(b"{"):
        return Syntax.FHIR_JSON
    if text.startswith(b"<"):
        return Syntax.XML
    if not text:
        raise MalformedMessage("message is empty")
    raise MalformedMessage("not a MedCom message: neither XML, EDIFACT nor FHIR JSON")


def _root_namespace(data: bytes) -> bytes | None:
    # by the root element only: a letter's text may spell out the FHIR or an envelope's
    # namespace, and that must not make it a FHIR message or an envelope
    namespace = safe_xml.root_namespace(data)
    return namespace.encode() if namespace is not None else None


FhirMessage: TypeAlias = catalogue.FhirMessage
Message: TypeAlias = "Document | EdifactDocument | FhirMessage"
Parsed: TypeAlias = "Message | Enveloped"


@dataclass(frozen=True, slots=True)
class Report:
    """What a file is and what is wrong with it; ``message`` is the model when it read."""

    kind: str | None = None  # e.g. XREF01, XDIS91, CareCommunication, VANSEnvelope, SBDH
    version: str | None = None  # e.g. XH0131R, 5.0, 1.0.4
    issues: tuple[Issue, ...] = field(default=())
    message: Parsed | None = None
    carried: Report | None = None  # for an envelope: the report of the message inside

    @property
    def valid(self) -> bool:
        return not any(not issue.warning for issue in self.issues)


def check(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Report:
    """Validate a message of any supported syntax and report; never raises for bad input."""
    try:
        syntax = sniff(data)
    except MedComError as exc:
        return Report(issues=(_issue(exc),))
    if syntax is Syntax.EDIFACT:
        return _check_edifact(data, max_bytes)
    root = _root_namespace(data) if syntax is Syntax.XML else None
    if syntax is Syntax.FHIR_JSON or root == FHIR_NAMESPACE:
        return _check_fhir(data, max_bytes)
    envelope = _ENVELOPE_OF_NAMESPACE.get(root) if root is not None else None
    if envelope is not None:
        return _check_envelope(envelope, data, max_bytes)
    result = emessage.check(data, max_bytes=max_bytes)
    kind = result.versions[0].type_code if result.versions else None
    version = "+".join(dict.fromkeys(v.code for v in result.versions)) or None
    return Report(kind, version, result.issues, result.document)


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed | None:
    """The model of a received message (None for a valid FHIR message of a kind the
    catalogue has no reader for); the RemoteError that says why not otherwise."""
    syntax = sniff(data)
    if syntax is Syntax.EDIFACT:
        from medcom_adapter.edifact import interchange

        _check_size(data, max_bytes)
        return interchange.parse(data)
    root = _root_namespace(data) if syntax is Syntax.XML else None
    envelope = _ENVELOPE_OF_NAMESPACE.get(root) if root is not None else None
    if envelope is not None:
        return _parse_envelope(envelope, data, max_bytes)
    if syntax is Syntax.XML and root != FHIR_NAMESPACE:
        return emessage.parse(data, max_bytes=max_bytes)
    report = _check_fhir(data, max_bytes)
    if not report.valid:
        from medcom_adapter.errors import InboundInvalid

        raise InboundInvalid(report.issues)
    return report.message


def _check_edifact(data: bytes, max_bytes: int) -> Report:
    from medcom_adapter.edifact import interchange

    try:
        _check_size(data, max_bytes)
    except MedComError as exc:
        return Report(issues=(_issue(exc),))
    result = interchange.check(data)
    kind = result.versions[0].type_code if result.versions else None
    version = "+".join(dict.fromkeys(v.code for v in result.versions)) or None
    return Report(kind, version, result.issues, result.document)


def _check_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise MessageTooLarge(f"message is {len(data):,} bytes, over the limit of "
                              f"{max_bytes:,}")


def _check_fhir(data: bytes, max_bytes: int) -> Report:
    from medcom_adapter.fhir import wire
    from medcom_adapter.fhir.validate import validate_message

    try:
        bundle, _ = wire.load(data, max_bytes=max_bytes)
    except MedComError as exc:
        return Report(issues=(_issue(exc),))
    kind, version = _fhir_kind(bundle)
    issues = tuple(validate_message(bundle))
    if any(not i.warning for i in issues):
        return Report(kind, version, issues)
    try:
        message = _read_fhir(kind, bundle)
    except MedComError as exc:
        return Report(kind, version, (*issues, _issue(exc)))
    return Report(kind, version, issues, message)


def _fhir_kind(bundle: Json) -> tuple[str | None, str | None]:
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    header = (entries[0].get("resource") if isinstance(entries, list) and entries
              and isinstance(entries[0], dict) else None) or {}
    event = (header.get("eventCoding") or {}).get("code") if isinstance(header, dict) else None
    definition = header.get("definition") if isinstance(header, dict) else None
    version = definition.rpartition("|")[2] if isinstance(definition, str) else None
    if version is None and isinstance(event, str):
        # no definition to state it (Acknowledgement 2.0 has none): the one version we support
        from medcom_adapter.fhir.profiles import registry

        rows = [r for r in registry().messages if r.event == event]
        version = rows[0].version if len(rows) == 1 else None
    if not isinstance(event, str):
        return None, version
    kind = fhir_versions.KIND_OF_EVENT.get(event)
    return (kind.value if kind is not None else event), version


def _read_fhir(kind: str | None, bundle: Json) -> FhirMessage | None:
    found = catalogue.kind_named(kind) if kind is not None else None
    read = catalogue.message_type(found).read if found is not None else None
    return read(bundle) if read is not None else None


def _issue(exc: MedComError) -> Issue:
    location = exc.location
    return Issue(exc.code, exc.message, location.path if location else None,
                 location.line if location else None)


# --------------------------------------------------------------------------------------------
# Envelopes


@dataclass(frozen=True, slots=True)
class Enveloped:
    """A transport envelope and the message it carries (None for a VANS receipt)."""

    envelope: VansEnvelope | Sbdh
    message: Message | None = None


def envelope_kind(data: bytes) -> Envelope | None:
    """The transport envelope ``data`` is, by its root element; None for any other file."""
    root = _root_namespace(data)
    return _ENVELOPE_OF_NAMESPACE.get(root) if root is not None else None


def _open_vans(data: bytes, max_bytes: int) -> tuple[str, VansEnvelope, bytes | None]:
    from medcom_adapter.envelopes import vans

    envelope = vans.parse(data, max_bytes=max_bytes)
    carried = envelope.message.data if envelope.message is not None else None
    return vans.VERSION, envelope, carried


def _open_sbdh(data: bytes, max_bytes: int) -> tuple[str, Sbdh, bytes | None]:
    from medcom_adapter.envelopes import ebbp_signal, sbdh, sbdh_receipt

    document = sbdh.parse(data, max_bytes=max_bytes)
    if sbdh_receipt.is_receipt(document):  # it carries a business signal, no message
        ebbp_signal.parse(document.content)
        return sbdh.PROFILE_VERSION, document, None
    return sbdh.PROFILE_VERSION, document, document.content


_OPENERS: dict[Envelope, Callable[[bytes, int], tuple[str, VansEnvelope | Sbdh, bytes | None]]] = {
    Envelope.VANS_ENVELOPE: _open_vans, Envelope.EHMI_SBDH: _open_sbdh}


def _open(kind: Envelope, data: bytes,
          max_bytes: int) -> tuple[str, VansEnvelope | Sbdh, bytes | None]:
    """(version, envelope, carried bytes) of a valid envelope; RemoteError otherwise."""
    return _OPENERS[kind](data, max_bytes)


def _check_envelope(kind: Envelope, data: bytes, max_bytes: int) -> Report:
    try:
        version, envelope, carried = _open(kind, data, max_bytes)
    except MedComError as exc:
        from medcom_adapter.errors import InboundInvalid

        issues = exc.issues if isinstance(exc, InboundInvalid) else (_issue(exc),)
        return Report(kind.value, None, tuple(issues))
    if carried is None:
        return Report(kind.value, version, (), Enveloped(envelope))
    inner = check(carried, max_bytes=max_bytes)
    return Report(kind.value, version, inner.issues,
                  Enveloped(envelope, _carried(inner.message)), inner)


def _carried(parsed: Parsed | None) -> Message | None:
    # an envelope inside an envelope is not a MedCom message
    if isinstance(parsed, Enveloped):
        raise MalformedMessage("an envelope carries another envelope")
    return parsed


def _parse_envelope(kind: Envelope, data: bytes, max_bytes: int) -> Enveloped:
    _, envelope, carried = _open(kind, data, max_bytes)
    return Enveloped(envelope, _carried(parse(carried, max_bytes=max_bytes)) if carried
                     else None)


def answer(data: bytes, *, now: datetime, ids: IdSource | None = None,
           max_bytes: int = DEFAULT_MAX_BYTES) -> Answer:
    """The receipt a received message is owed, in its own syntax: CONTRL for EDIFACT, XCTL
    for OIOXML. Returns that syntax's ``Answer`` (``receipt``, ``reason``, ``build()``)."""
    try:
        edifact = sniff(data) is Syntax.EDIFACT
    except MedComError:
        edifact = False  # not a message at all: the OIOXML side explains why there is no receipt
    if edifact:
        from medcom_adapter.edifact import receipting as edifact_receipting

        return edifact_receipting.answer(data, now=now, ids=ids)
    from medcom_adapter.oioxml import receipting

    return receipting.answer(data, now=now, ids=ids, max_bytes=max_bytes)
