"""The hostile-input catalogue: inputs a peer or a broken transport may hand us.

Each case names the input, builds its bytes, and states what must happen: the stable error
code ``check`` reports first, and the negative receipt an inbound OIOXML message gets
(``refuse``: the RefuseCode, or None where no receipt can be addressed). The cases are
built, not stored, so that large ones cost no repository space.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from medcom_adapter.errors import RefuseCode as R
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml.emessage import build
from tests import samples

NS_2012 = "http://rep.oio.dk/medcom.dk/xml/schemas/2012/03/28/"


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], bytes]
    code: str  # the first code check() reports (an error, or a warning for a valid message)
    answer: str | None  # what goes back: a RefuseCode value, "positive", an ack code, or None


def referral(encoding: str = "ISO-8859-1") -> bytes:
    message = Emessage(Envelope("ENV1", samples.WHEN), (samples.full_referral(),))
    return build(message, "XH0131R", encoding=encoding)


def binary() -> bytes:
    message = Emessage(Envelope("ENV2", samples.WHEN), (samples.binary_letter(),))
    return build(message, "XB0131X")


def _swap(make: Callable[[], bytes], old: bytes, new: bytes) -> Callable[[], bytes]:
    def damaged() -> bytes:
        data = make()
        assert old in data, old
        return data.replace(old, new, 1)

    return damaged


def _entities() -> bytes:
    levels = "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    )
    return (f'<?xml version="1.0"?><!DOCTYPE Emessage [<!ENTITY l0 "lol">{levels}]>'
            f'<Emessage xmlns="{NS_2012}">&l9;</Emessage>').encode()


def _xxe() -> bytes:
    return (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file:///etc/passwd">]>'
            f'<Emessage xmlns="{NS_2012}">&s;</Emessage>').encode()


def _deep() -> bytes:
    depth = 100_000
    # inside the letter, after its head (as a hostile body would be)
    return referral().replace(b"</Receiver>", b"</Receiver>" + b"<a>" * depth + b"</a>" * depth, 1)


def _huge() -> bytes:
    # one byte over the default limit of 100 MB, as on VANS
    return b"<Emessage>" + b" " * (100 * 1024 * 1024) + b"</Emessage>"


def _mixed_encoding() -> bytes:
    latin = referral()  # ISO-8859-1 bytes for æøå, under a declaration that says UTF-8
    return latin.replace(b"encoding='ISO-8859-1'", b"encoding='UTF-8'", 1)


def _fhir_reference_loop() -> bytes:
    bundle = {"resourceType": "Bundle", "type": "message", "entry": [
        {"fullUrl": "urn:uuid:a", "resource": {
            "resourceType": "MessageHeader", "id": "a",
            "eventCoding": {"system": "x", "code": "care-communication-message"},
            "focus": [{"reference": "urn:uuid:a"}], "sender": {"reference": "urn:uuid:a"},
            "source": {"endpoint": "x"}}}]}
    return json.dumps(bundle).encode()


def _fhir_deep_json() -> bytes:
    return b'{"resourceType": "Bundle", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"


CASES: tuple[Case, ...] = (
    Case("entity-expansion bomb", _entities, "remote.unsafe", None),
    Case("external entity", _xxe, "remote.unsafe", None),
    Case("deeply nested elements", _deep, "remote.malformed", R.SYNTAX_ERROR),
    Case("over 100 MB", _huge, "remote.too-large", None),
    Case("NUL byte in text", _swap(referral, b"Henvisning", b"Henvis\x00ning"),
         "remote.malformed", R.SYNTAX_ERROR),
    Case("Latin-1 bytes declared UTF-8", _mixed_encoding, "remote.malformed",
         R.SYNTAX_ERROR),
    Case("unknown encoding", _swap(referral, b"encoding='ISO-8859-1'", b"encoding='KOI9'"),
         "remote.malformed", R.SYNTAX_ERROR),
    Case("truncated", lambda: referral()[: len(referral()) // 2], "remote.malformed",
         R.SYNTAX_ERROR),
    Case("invalid base64", _swap(binary, b"<Object_Base64Encoded>",
                                 b"<Object_Base64Encoded>!!"), "remote.inconsistent",
         R.NOT_SPECIFIED),
    # MedCom's schema asks for 10 digits; the date part is our own check, so: a warning
    Case("impossible CPR date", _swap(referral, b"2509479989", b"3102479989"),
         "medcom.cpr-date", "positive"),
    Case("CPR of nine digits", _swap(referral, b"2509479989", b"250947998"),
         "xsd.pattern", R.SYNTAX_ERROR),
    Case("unknown version code", _swap(referral, b"XH0131R", b"XH0199R"),
         "remote.unknown-version", R.VERSION_PROBLEM),
    Case("EAN with letters", _swap(referral, b"5790000123452", b"57900001234AB"),
         "medcom.gln-check-digit", "positive"),  # routable: a warning, not a refusal
    Case("FHIR reference loop", _fhir_reference_loop, "fhir.entry-count", None),
    Case("FHIR JSON nested 50,000 deep", _fhir_deep_json, "remote.malformed", None),
)
