"""Hostile and broken input: always a typed RemoteError with a receipt reason, never a hang."""

from __future__ import annotations

import dataclasses
import time

import pytest

from medcom_adapter.errors import (
    InboundInvalid,
    InconsistentMessage,
    MalformedMessage,
    MessageTooLarge,
    RefuseCode,
    RemoteError,
    UnknownMessage,
    UnsafeMessage,
)
from medcom_adapter.model.letters import BinaryLetter
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml.emessage import build, check, parse
from tests import samples


def valid_binary(encoding: str = "ISO-8859-1") -> bytes:
    message = Emessage(Envelope("ENV1", samples.WHEN), (samples.binary_letter(),))
    return build(message, "XB0131X", encoding=encoding)


def valid_referral() -> bytes:
    message = Emessage(Envelope("ENV1", samples.WHEN), (samples.full_referral(),))
    return build(message, "XH0131R")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<Emessage xmlns="http://rep.oio.dk/medcom.dk/xml/schemas/2012/03/28/">&lol9;</Emessage>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Emessage xmlns="http://rep.oio.dk/medcom.dk/xml/schemas/2012/03/28/">&secret;</Emessage>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Emessage SYSTEM "http://example.invalid/emessage.dtd">
<Emessage xmlns="http://rep.oio.dk/medcom.dk/xml/schemas/2012/03/28/"/>"""


def test_billion_laughs_is_refused_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeMessage) as caught:
        parse(BILLION_LAUGHS)
    assert time.perf_counter() - start < 2  # a bound on work, not a speed measurement
    assert caught.value.receipt_reason is RefuseCode.SYNTAX_ERROR


@pytest.mark.parametrize("data", [XXE, EXTERNAL_DTD], ids=["xxe", "external-dtd"])
def test_external_entities_and_dtds_are_refused(data: bytes) -> None:
    with pytest.raises(UnsafeMessage) as caught:
        parse(data)
    assert "root:" not in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n", b"not xml at all", b"\x00\x01\x02\x03", b"%PDF-1.4 binary"],
    ids=["empty", "blank", "text", "binary", "pdf"],
)
def test_non_xml_is_malformed(data: bytes) -> None:
    with pytest.raises(MalformedMessage):
        parse(data)


def test_truncated_file_names_the_line() -> None:
    data = valid_referral()
    with pytest.raises(MalformedMessage) as caught:
        parse(data[: len(data) // 2])
    assert caught.value.location is not None and caught.value.location.line


def test_wrong_encoding_declaration_is_malformed() -> None:
    utf8_body = valid_binary("UTF-8").replace(b"Eksempel Kommune", "Ærø Kommune".encode())
    latin_bytes_declared_utf8 = utf8_body.replace("Ærø".encode(), "Ærø".encode("latin-1"))
    with pytest.raises(MalformedMessage):
        parse(latin_bytes_declared_utf8)


def test_windows_1252_declaration_is_read() -> None:
    data = valid_binary().replace(b"encoding='ISO-8859-1'", b"encoding='windows-1252'")
    assert parse(data).encoding.lower() == "windows-1252"


def test_size_limit() -> None:
    data = valid_binary()
    with pytest.raises(MessageTooLarge):
        parse(data, max_bytes=len(data) - 1)
    parse(data, max_bytes=len(data))


def test_unknown_namespace_and_root() -> None:
    with pytest.raises(UnknownMessage) as caught:
        parse(b'<Emessage xmlns="urn:example:not-medcom"><Envelope/></Emessage>')
    assert caught.value.receipt_reason is RefuseCode.VERSION_PROBLEM
    with pytest.raises(UnknownMessage, match="root element"):
        parse(b"<html><body/></html>")


def test_version_code_must_match_namespace() -> None:
    data = valid_binary().replace(b"<VersionCode>XB0131X<", b"<VersionCode>XB0130X<")
    with pytest.raises(UnknownMessage, match="XB0130X"):
        parse(data)


def test_schema_violation_names_element_and_line() -> None:
    data = valid_referral().replace(b"<Priority>akut</Priority>", b"<Priority>straks</Priority>")
    with pytest.raises(InboundInvalid) as caught:
        parse(data)
    issue = caught.value.issues[0]
    assert issue.code == "xsd.code"
    assert issue.path == "Emessage/HospitalReferral/AdditionalInformation/Priority"
    assert issue.line and issue.line > 1


def test_invalid_base64_is_inconsistent() -> None:
    data = valid_binary()
    start = data.index(b"<Object_Base64Encoded>") + len(b"<Object_Base64Encoded>")
    broken = data[:start] + b"!!!!" + data[start + 4:]
    with pytest.raises(InconsistentMessage, match="base64"):
        parse(broken)


def test_declared_size_that_does_not_match_is_a_warning() -> None:
    # the object is what counts; the declared size is our own check, never a refusal
    data = valid_binary()
    size = str(len(samples.PDF)).encode()
    document = parse(data.replace(b"<OriginalObjectSize>" + size, b"<OriginalObjectSize>7"))
    (warning,) = document.warnings
    assert warning.code == "medcom.object-size" and warning.warning
    assert (warning.path or "").endswith("BinaryObject/OriginalObjectSize")
    letter = document.message.letters[0]
    assert isinstance(letter, BinaryLetter) and letter.objects[0].data == samples.PDF


def test_bad_gln_check_digit_is_a_warning_naming_the_element() -> None:
    # Received as is (MedCom's own DIS91 example has such a number), but reported.
    data = valid_binary().replace(b"5790000123452", b"5790000123453")
    assert str(parse(data).message.letters[0].sender.ean) == "5790000123453"  # type: ignore[union-attr]
    result = check(data)
    assert result.valid
    (warning,) = result.issues
    assert warning.warning and warning.code == "medcom.gln-check-digit"
    assert warning.path == "Emessage/BinaryLetter/Sender/EANIdentifier"


def test_impossible_cpr_date_is_a_warning_reported_without_the_number() -> None:
    # The schema asks for 10 digits only; MedCom's test persons break the date part.
    data = valid_binary().replace(b"2509479989", b"3102479989")
    document = parse(data)
    (warning,) = document.warnings
    assert warning.warning and warning.code == "medcom.cpr-date"
    assert "3102479989" not in str(warning)
    assert (warning.path or "").endswith("Patient/CivilRegistrationNumber")
    assert check(data).valid


def test_check_reports_instead_of_raising() -> None:
    result = check(b"<oops")
    assert not result.valid and result.issues[0].code == "remote.malformed"


def test_every_remote_error_maps_to_a_receipt_reason() -> None:
    for cls in (MalformedMessage, UnsafeMessage, MessageTooLarge, UnknownMessage,
                InconsistentMessage):
        assert issubclass(cls, RemoteError)
        assert isinstance(cls.receipt_reason, RefuseCode)


def test_large_payload_within_limit_is_handled() -> None:
    letter = samples.binary_letter()
    obj = letter.objects[0]
    large = dataclasses.replace(letter, objects=(dataclasses.replace(obj, data=bytes(20_000_000)),))
    data = build(Emessage(Envelope("E", samples.WHEN), (large,)), "XB0131X")
    parsed = parse(data).message.letters[0]
    assert parsed.objects[0].size == 20_000_000  # type: ignore[union-attr]


def test_sor_id_failing_its_check_digit_is_a_warning() -> None:
    data = valid_binary().replace(b"953741000016009", b"953741000016008")
    result = check(data)
    assert result.valid
    assert [(i.code, i.path) for i in result.issues] == [
        ("medcom.sor-check-digit", "Emessage/BinaryLetter/Sender/Identifier")]


def test_malformed_sor_id_is_a_warning_naming_the_element() -> None:
    # MedCom's schema gives an Identifier 1-17 characters whatever its code: the SOR shape
    # is our own check
    data = valid_binary().replace(b"953741000016009", b"0123")
    result = check(data)
    (issue,) = result.issues
    assert result.valid
    assert issue.code == "medcom.identifier-shape" and issue.warning
    assert issue.path == "Emessage/BinaryLetter/Sender/Identifier"
    assert "SOR id" in issue.message
