"""Which syntax a message file is in, and the matching parser.

The single entry point for "here are some bytes, what are they?" (``validate``, ``show``,
later certification and the inbox). OIOXML is read fully: its kind and version come from the
namespace, letter element and VersionCode. EDIFACT and FHIR are recognised so that the
answer for them is precise rather than "not XML".
"""

from __future__ import annotations

from enum import StrEnum

from medcom_adapter.errors import Issue, MalformedMessage, UnknownMessage
from medcom_adapter.oioxml import emessage
from medcom_adapter.oioxml.safe_xml import DEFAULT_MAX_BYTES


class Syntax(StrEnum):
    XML = "xml"
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


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> emessage.Document:
    """Read a received message of any supported syntax; RemoteError when it is wrong."""
    _require_supported(sniff(data))
    return emessage.parse(data, max_bytes=max_bytes)


def check(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> emessage.CheckResult:
    """Validate a message of any supported syntax and report; never raises for bad input."""
    try:
        _require_supported(sniff(data))
    except (MalformedMessage, UnknownMessage) as exc:
        return emessage.CheckResult(issues=(Issue(exc.code, exc.message),))
    return emessage.check(data, max_bytes=max_bytes)


def _require_supported(syntax: Syntax) -> None:
    if syntax is not Syntax.XML:
        raise UnknownMessage(f"{syntax.value} messages are recognised but not yet supported")
