"""Syntax detection: precise answers for every kind of file a vendor might hand us."""

from __future__ import annotations

import pytest

from medcom_adapter.detect import Syntax, check, parse, sniff
from medcom_adapter.errors import MalformedMessage, UnknownMessage


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


def test_edifact_and_fhir_are_named_as_not_yet_supported() -> None:
    with pytest.raises(UnknownMessage, match="edifact"):
        parse(b"UNA:+.? 'UNB+UNOC:3+1:14+2:14+050115:1202+K1'")
    (issue,) = check(b'{"resourceType": "Bundle"}').issues
    assert issue.code == "remote.unknown-version" and "fhir" in issue.message
