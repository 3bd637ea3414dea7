"""Routing facts read from a file's head: the same whether the head ends where an
attachment's base64 begins or runs the full 32 KB.

The reference reads every file as routing always did: the first 32 KB parsed leniently,
children matched by local name one by one. Every file, however damaged, must give the
reference's answer.
"""

from __future__ import annotations

import random
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from medcom_adapter.compose.referral import Attachment, build_referral
from medcom_adapter.sandbox import addressing
from medcom_adapter.sandbox.addressing import Address, read_address
from tests import samples


def _pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + random.Random(size).randbytes(size - 16) + b"\n%%EOF\n"


def _files() -> list[bytes]:
    package = build_referral(samples.full_referral(), (
        Attachment("Stor", _pdf(60_000)), Attachment("Lille", _pdf(300))))
    return [f.data for f in package.files]


FILES = _files()
XBIN = FILES[1]


def _whole_head(data: bytes) -> etree._Element | None:
    return addressing._parse(bytes(data[:addressing._HEAD]))


def _by_local_name(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next((c for c in element if addressing._local(c) == name), None)


def reference(data: bytes) -> Address | None:
    """What routing read before: the whole 32 KB head, children by local name."""
    with mock.patch.object(addressing, "_head", _whole_head), \
            mock.patch.object(addressing, "_child", _by_local_name):
        return read_address(data)


def test_an_xbin_is_routed_from_the_head_before_its_base64() -> None:
    head = bytes(XBIN[:addressing._HEAD])
    end = head.find(addressing._OBJECT) + len(addressing._OBJECT)
    short = addressing._parse(head[:end])
    assert short is not None and addressing._ends_in_empty_object(short)
    address = read_address(XBIN)
    assert address is not None and address.kind == "XBIN01" and address.sender


def test_built_files_read_as_the_reference() -> None:
    for data in FILES:
        assert read_address(data) == reference(data) is not None


_SNIPPETS = [
    b"<!-- Object_Base64Encoded> -->", b"<!-- Object_Base64Encoded>",
    b"<?pi Object_Base64Encoded>?>",
    b"<![CDATA[Object_Base64Encoded>]]>", b"<![CDATA[<Object_Base64Encoded>", b"-->", b"]]>",
    b"<Object_Base64Encoded>", b"<Object_Base64Encoded x='Object_Base64Encoded>'>",
    b"<Object_Base64Encoded/>", b"</Object_Base64Encoded>", b"<Identifier>", b"</Identifier>",
    b"Object_Base64Encoded>", b"<x:Object_Base64Encoded xmlns:x='urn:x'>", b"<", b">", b"&amp;",
    b"\xff\xfe", b"\x00", b"<Sender><EANIdentifier>5790000000005</EANIdentifier></Sender>",
    b"<Letter><Identifier>X1</Identifier><VersionCode>XB0230X</VersionCode></Letter>", b"\n",
]


@settings(max_examples=300, deadline=None)
@given(base=st.sampled_from(FILES),
       edits=st.lists(st.tuples(st.integers(0, 4000), st.sampled_from(_SNIPPETS)), max_size=3),
       cut=st.one_of(st.none(), st.integers(0, 40_000)))
def test_damaged_heads_read_as_the_reference(base: bytes, edits: list[tuple[int, bytes]],
                                             cut: int | None) -> None:
    data = base
    for at, snippet in edits:
        data = data[:at] + snippet + data[at:]
    if cut is not None:
        data = data[:cut]
    assert read_address(data) == reference(data)


@pytest.mark.parametrize("where", [b"<Sender>", b"<Object_Base64Encoded>"])
def test_markup_after_the_base64_start_is_read_from_the_whole_head(where: bytes) -> None:
    """An object whose text is short lets what follows it count: nothing is cut."""
    at = XBIN.find(b"<Object_Base64Encoded>")
    data = XBIN[:at] + b"<Object_Base64Encoded>QUJD</Object_Base64Encoded>" + where \
        + XBIN[at:]
    assert read_address(data) == reference(data)
