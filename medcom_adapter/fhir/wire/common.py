"""What every part of the FHIR wire format shares: names, limits and the size check."""

from __future__ import annotations

import re
from typing import Any, Final, Literal

from medcom_adapter import safe_xml
from medcom_adapter.errors import MessageTooLarge

FHIR_NS: Final = "http://hl7.org/fhir"
XHTML_NS: Final = "http://www.w3.org/1999/xhtml"
DEFAULT_MAX_BYTES: Final = safe_xml.DEFAULT_MAX_BYTES
MAX_DEPTH: Final = 100
"""Deepest nesting accepted: JSON objects and arrays, or XML elements (real FHIR: ~15)."""

Format = Literal["json", "xml"]

# Characters FHIR strings cannot hold (C0 controls but tab/CR/LF, surrogates, U+FFFE/U+FFFF)
BAD_CHAR: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

BOM: Final = b"\xef\xbb\xbf"
FHIR_TAG: Final = "{" + FHIR_NS + "}"
XHTML_DIV: Final = "{" + XHTML_NS + "}div"
XSI_SCHEMA_LOCATION: Final = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
XHTML_NSMAP: Final[Any] = {None: XHTML_NS}


def check_size(data: bytes, max_bytes: int) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("takes the message bytes, not text")
    if len(data) > max_bytes:
        raise MessageTooLarge(f"message is {len(data)} bytes; the limit is {max_bytes}")
