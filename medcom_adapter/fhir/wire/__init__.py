"""FHIR R4 JSON and XML on the wire <-> the FHIR JSON object model.

The project's internal form of a FHIR resource is what ``json.loads`` gives for its FHIR JSON
(with ``parse_float=Decimal``, so decimals keep their digits): ``dict``, ``list``, ``str``,
``int``, ``Decimal``, ``bool`` and, inside the arrays of repeating primitives, ``None``.
MedCom messages arrive on VANS as FHIR JSON or as FHIR XML (``application/fhir+xml``); both
read into that one form, and both can be written from it::

    resource, fmt = load(data)          # sniffs JSON or XML
    resource = load_json(data)          # bytes -> dict
    resource = load_xml(data)           # bytes -> the dict its JSON twin gives
    data = dump_json(resource)          # compact UTF-8
    data = dump_xml(resource)           # UTF-8, elements in definition order

Reading untrusted bytes never raises anything but a :class:`~medcom_adapter.errors.RemoteError`
(``MalformedMessage``, ``UnsafeMessage``, ``MessageTooLarge``, ``UnknownMessage``), with a
line and, where known, a FHIRPath-like path. Writing raises ``InvalidValue`` for an object
that is not valid FHIR JSON in a way the chosen format cannot carry.

XML needs to know, for every element, whether it repeats, which primitive type it has and the
element order; that comes from the FHIR R4B models of ``fhir.resources``, read lazily (the
import costs a few hundred milliseconds, paid on the first XML message, not at start-up),
adjusted to R4 where the two differ (see ``definitions``).

Limits of the conversion, all inherent in the formats: a decimal written with an exponent
(``1.5E-3``) is written back in plain notation (``0.0015``, same digits) unless its exponent
is positive; the XHTML of a narrative read from XML is lxml's serialisation, which is the
form FHIR JSON examples hold.
"""

from __future__ import annotations

import re
from typing import Any, Final

from medcom_adapter.errors import MalformedMessage
from medcom_adapter.fhir.wire.common import (
    DEFAULT_MAX_BYTES,
    FHIR_NS,
    MAX_DEPTH,
    XHTML_NS,
    Format,
    check_size,
)
from medcom_adapter.fhir.wire.json_in import load_json
from medcom_adapter.fhir.wire.json_out import dump_json
from medcom_adapter.fhir.wire.xml_in import load_xml
from medcom_adapter.fhir.wire.xml_out import dump_xml

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FHIR_NS",
    "MAX_DEPTH",
    "XHTML_NS",
    "Format",
    "dump_json",
    "dump_xml",
    "load",
    "load_json",
    "load_xml",
]

_LEADING: Final = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*")


def load(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[dict[str, Any], Format]:
    """Read a FHIR resource sent as JSON or XML; says which it was."""
    check_size(data, max_bytes)
    start = _LEADING.match(data)
    first = data[start.end() : start.end() + 1] if start else data[:1]
    if first == b"{":
        return load_json(data, max_bytes=max_bytes), "json"
    if first == b"<":
        return load_xml(data, max_bytes=max_bytes), "xml"
    if not first:
        raise MalformedMessage("message is empty")
    raise MalformedMessage("neither FHIR JSON (starts with '{') nor FHIR XML (starts with '<')")
