"""Syntax detection: precise answers for every kind of file a vendor might hand us."""

from __future__ import annotations

import dataclasses

import pytest

from medcom_adapter.detect import Syntax, check, parse, sniff
from medcom_adapter.errors import EdifactTruncated, MalformedMessage
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import emessage
from medcom_adapter.oioxml.emessage import Document
from medcom_adapter.safe_xml import root_namespace
from tests import samples
from tests.conftest import official


@pytest.mark.parametrize(
    ("head", "syntax"),
    [
        (b"<?xml version='1.0'?><Emessage/>", Syntax.XML),
        (b"\xef\xbb\xbf  <Emessage/>", Syntax.XML),
        ("<Emessage/>".encode("utf-16"), Syntax.XML),
        (b"UNA:+.? 'UNB+UNOC:3", Syntax.EDIFACT),
        (b"UNB+UNOC:3+5790000121526:14", Syntax.EDIFACT),
        (b'\n {"resourceType": "Bundle"}', Syntax.FHIR_JSON),
    ],
)
def test_sniff(head: bytes, syntax: Syntax) -> None:
    assert sniff(head) is syntax


@pytest.mark.parametrize("data", [b"", b"  \n", b"%PDF-1.4", b"\x00\x01"])
def test_not_a_message(data: bytes) -> None:
    with pytest.raises(MalformedMessage):
        sniff(data)
    assert not check(data).valid


def test_edifact_is_read() -> None:
    with pytest.raises(EdifactTruncated, match="UNZ"):
        parse(b"UNA:+.? 'UNB+UNOC:3+1:14+2:14+050115:1202+K1'")
    (issue,) = check(b"UNB+UNOC:3+5790000121526:14").issues
    assert issue.code == "remote.edifact.truncated"
    report = check(official("oioxml", "examples", "DIS91_1.edi").read_bytes())
    assert report.valid and (report.kind, report.version) == ("DIS91", "D9134L")


def test_fhir_that_is_not_a_message_is_reported() -> None:
    report = check(b'{"resourceType": "Patient", "id": "p1"}')
    assert not report.valid
    assert report.issues[0].code == "fhir.not-a-message"


def test_fhir_json_and_xml_twins_read_to_the_same_model() -> None:
    folder = official("fhir", "carecommunication-5.0.2")
    for json_path in sorted(folder.glob("Bundle-*.json")):
        xml_path = json_path.with_suffix(".xml")
        from_json, from_xml = check(json_path.read_bytes()), check(xml_path.read_bytes())
        assert from_json.valid and from_xml.valid, (from_json.issues, from_xml.issues)
        assert (from_json.kind, from_json.version) == ("CareCommunication", "5.0")
        assert from_json.message == from_xml.message


def test_legacy_fhir_is_named_by_version() -> None:
    folder = official("fhir", "legacy-v4")
    for path in sorted(folder.rglob("*.json")):
        report = check(path.read_bytes())
        assert not report.valid
        assert [i.code for i in report.issues if not i.warning] == ["fhir.unsupported-version"]
        assert "4." in report.issues[0].message


@pytest.mark.parametrize("data", [b"", b"   ", b"\x00\x01"])
def test_answer_for_what_is_not_a_message_says_why_there_is_no_receipt(data: bytes) -> None:
    from datetime import datetime

    from medcom_adapter.detect import answer

    result = answer(data, now=datetime(2026, 11, 30, 10, 0))
    assert result.receipt is None and "cannot address" in result.reason


_ROOT_NAMESPACES = ["http://hl7.org/fhir", "urn:oio:medcom:vans-envelope:1.0.4",
                    "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"]


@pytest.mark.parametrize("namespace", _ROOT_NAMESPACES)
@pytest.mark.parametrize("encoding", ["ISO-8859-1", "UTF-8"])
def test_a_letter_whose_text_spells_a_namespace_is_still_the_letter(namespace: str,
                                                                    encoding: str) -> None:
    """What a file is follows from its root element, never from text a letter carries."""
    base = samples.minimal_referral()
    referral = dataclasses.replace(base, patient=dataclasses.replace(base.patient,
                                                                     surname=namespace))
    data = emessage.build(Emessage(Envelope("ENV0001", samples.WHEN), (referral,)), "XH0131R",
                          encoding=encoding)
    assert namespace.encode() in data[:2048]  # where a sniff of the head would see it
    report = check(data)
    assert (report.kind, report.version, report.issues) == ("XREF01", "XH0131R", ())
    parsed = parse(data)
    assert isinstance(parsed, Document) and parsed.message.letters == (referral,)


def test_fhir_xml_is_known_by_its_root_after_a_long_prolog() -> None:
    data = official("fhir", "carecommunication-5.0.2").glob("Bundle-*.xml")
    first = next(iter(sorted(data))).read_bytes()
    declaration, _, rest = first.partition(b"?>")
    padded = declaration + b"?>\n<!-- " + b"x" * 5000 + b" -->\n" + rest
    report = check(padded)
    assert report.valid and report.kind == "CareCommunication", report.issues


@pytest.mark.parametrize("data", [b"<a", b"<?xml version='1.0'?>", b"<a xmlns='urn:x'"])
def test_no_root_element_no_namespace(data: bytes) -> None:
    assert root_namespace(data) is None
    assert not check(data).valid
