"""Which syntax a message file is in, and the matching reader and validator.

The single entry point for "here are some bytes, what are they?" (``validate``, ``show``,
later certification and the inbox). OIOXML is read fully: kind and version from the
namespace, letter element and VersionCode. FHIR (JSON or XML) is validated against our
MedCom profiles and read into the model. EDIFACT (REF01, BIN01, DIS91, CONTRL) is read fully
too: kind and version from UNH, every count checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from medcom_adapter.errors import Issue, MalformedMessage, MedComError, MessageTooLarge
from medcom_adapter.model.ids import IdSource
from medcom_adapter.oioxml import emessage
from medcom_adapter.oioxml.safe_xml import DEFAULT_MAX_BYTES

FHIR_NAMESPACE = b"http://hl7.org/fhir"


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


def _is_fhir_xml(data: bytes) -> bool:
    # OIOXML never mentions the FHIR namespace; a FHIR root element declares it at once
    return FHIR_NAMESPACE in bytes(data[:2048])


@dataclass(frozen=True, slots=True)
class Report:
    """What a file is and what is wrong with it; ``message`` is the model when it read."""

    kind: str | None = None  # e.g. XREF01, XDIS91, CareCommunication, Acknowledgement
    version: str | None = None  # e.g. XH0131R, 5.0
    issues: tuple[Issue, ...] = field(default=())
    message: Any = None

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
    if syntax is Syntax.FHIR_JSON or _is_fhir_xml(data):
        return _check_fhir(data, max_bytes)
    result = emessage.check(data, max_bytes=max_bytes)
    kind = result.versions[0].type_code if result.versions else None
    version = "+".join(dict.fromkeys(v.code for v in result.versions)) or None
    return Report(kind, version, result.issues, result.document)


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """The model of a received message; the RemoteError that says why not otherwise."""
    syntax = sniff(data)
    if syntax is Syntax.EDIFACT:
        from medcom_adapter.edifact import interchange

        _check_size(data, max_bytes)
        return interchange.parse(data)
    if syntax is Syntax.XML and not _is_fhir_xml(data):
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


def _fhir_kind(bundle: dict[str, Any]) -> tuple[str | None, str | None]:
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    header = (entries[0].get("resource") if isinstance(entries, list) and entries
              and isinstance(entries[0], dict) else None) or {}
    event = (header.get("eventCoding") or {}).get("code") if isinstance(header, dict) else None
    definition = header.get("definition") if isinstance(header, dict) else None
    version = definition.rpartition("|")[2] if isinstance(definition, str) else None
    kinds = {"care-communication-message": "CareCommunication",
             "acknowledgement-message": "Acknowledgement"}
    return (kinds.get(event, event) if isinstance(event, str) else None), version


def _read_fhir(kind: str | None, bundle: dict[str, Any]) -> Any:
    if kind == "CareCommunication":
        from medcom_adapter.fhir.carecommunication import from_bundle

        return from_bundle(bundle)
    if kind == "Acknowledgement":
        from medcom_adapter.fhir.acknowledgement import from_bundle as read_ack

        return read_ack(bundle)
    return None


def _issue(exc: MedComError) -> Issue:
    location = exc.location
    return Issue(exc.code, exc.message, location.path if location else None,
                 location.line if location else None)


def answer(data: bytes, *, now: datetime, ids: IdSource | None = None,
           max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """The receipt a received message is owed, in its own syntax: CONTRL for EDIFACT, XCTL
    for OIOXML. Returns that syntax's ``Answer`` (``receipt``, ``reason``, ``build()``)."""
    if sniff(data) is Syntax.EDIFACT:
        from medcom_adapter.edifact import receipting as edifact_receipting

        return edifact_receipting.answer(data, now=now, ids=ids)
    from medcom_adapter.oioxml import receipting

    return receipting.answer(data, now=now, ids=ids, max_bytes=max_bytes)
