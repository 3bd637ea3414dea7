"""The root element's namespace: from its start tag alone, the same by either reader.

The plain-prolog reader must answer exactly as libxml2 does wherever it answers at all;
every other shape of file (comments, PIs, a DOCTYPE, a byte order mark, other encodings)
is libxml2's, and gives the answers it always gave.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medcom_adapter import xml_root
from medcom_adapter.safe_xml import root_namespace
from tests.conftest import OFFICIAL

NS = "urn:oio:medcom:vans-envelope:1.0.4"


def _both(data: bytes) -> str | None:
    """The answer, checked to be libxml2's when the plain reader gives one."""
    expected = xml_root._parsed(data)
    try:
        plain = xml_root._plain(data)
    except xml_root._Unsure:
        pass
    else:
        assert plain == expected, data[:300]
    got = root_namespace(data)
    assert got == expected
    return got


@pytest.mark.parametrize(("data", "namespace"), [
    (b"<Emessage xmlns='urn:a'/>", "urn:a"),
    (b"<?xml version='1.0' encoding='ISO-8859-1'?>\n<Emessage xmlns=\"urn:a\">", "urn:a"),
    (b"<?xml version=\"1.0\" encoding=\"utf-8\" standalone='yes' ?>\r\n\t<a xmlns='urn:a'>",
     "urn:a"),
    (b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?><a xmlns='urn:a'>", "urn:a"),
    (b"<p:a xmlns='urn:d' xmlns:p='urn:p'>", "urn:p"),
    (b"<a xmlns:p='urn:p' p:x='1' y='2'>", None),
    (b"<a xmlns=''>", None),
    (b"<a>", None),
    (b"<a xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:schemaLocation='urn:a b'"
     b" xmlns='urn:a'>", "urn:a"),
    # not the plain kind: libxml2 reads them
    (b"<?xml version='1.0'?><!-- <b xmlns='urn:comment'> --><a xmlns='urn:a'>", "urn:a"),
    (b"<?xml version='1.0'?><?pi <b xmlns='urn:pi'>?><a xmlns='urn:a'>", "urn:a"),
    (b"<?xml version='1.0' encoding='windows-1252'?><a xmlns='urn:\x80'>", "urn:\u20ac"),
    (b"<?xml version='1.0' encoding='ISO-8859-1'?><a xmlns='urn:\xe6'>", "urn:\xe6"),
    (b"<a xmlns='urn:&#97;'>", "urn:a"),
    (b"<a xml:lang='da' xmlns='urn:a'>", "urn:a"),
    ("<?xml version='1.0' encoding='UTF-16'?><a xmlns='urn:a'>".encode("utf-16"), "urn:a"),
    (b"\xef\xbb\xbf<?xml version='1.0' encoding='ISO-8859-1'?><a xmlns='urn:a'>", "urn:a"),
    # broken before the start tag ends, or a start tag libxml2 refuses
    (b"<a", None), (b"<?xml version='1.0'?>", None), (b"<a xmlns='urn:x'", None),
    (b"<p:a xmlns='urn:a'>", None),
    (b"<a xmlns='urn:a' xmlns='urn:b'>", None),
    (b"<a x='1' x='2' xmlns='urn:a'>", None),
    (b"<a xmlns:p='' >", None),
    (b" <?xml version='1.0'?><a xmlns='urn:a'>", None),
    (b"<?xml version='1.0'?><!DOCTYPE a><a xmlns='urn:a'>", "urn:a"),
])
def test_the_namespace_comes_from_the_start_tag(data: bytes, namespace: str | None) -> None:
    assert _both(data) == namespace


def test_what_follows_the_start_tag_does_not_count() -> None:
    """The answer is the start tag's, wherever the document breaks after it."""
    for tail in (b"<b></c>", b"\xff\xfe", b"&undefined;", b"<b>" + b"x" * 3000 + b"</c>"):
        for head in (b"<a xmlns='urn:a'>", b"<!-- c --><a xmlns='urn:a'>"):
            assert _both(head + tail) == "urn:a"


def test_a_long_prolog_is_read_to_its_end() -> None:
    data = b"<?xml version='1.0'?>\n<!-- " + b"x" * 5000 + b" -->\n<a xmlns='urn:a'/>"
    assert _both(data) == "urn:a"


def test_official_samples_read_alike() -> None:
    files = sorted(p for p in OFFICIAL.rglob("*.xml") if p.is_file()) \
        if OFFICIAL.exists() else []
    if not files:
        pytest.skip("MedCom reference data not present")
    answered = set()
    for path in files:
        data = path.read_bytes()
        answered.add(_both(data))
        assert _both(data.replace(b"\n", b"\r\n", 3)) == _both(data)
    assert "http://hl7.org/fhir" in answered and len(answered) > 5


_PIECES = st.sampled_from([
    b" ", b"\t", b"\r\n", b"<", b">", b"/>", b"/", b"=", b"'", b'"', b":", b"&", b"&#97;",
    b"a", b"p", b"x", b"xml", b"xmlns", b"xmlns:p", b"xmlns:q", b"p:", b"q:", b"urn:a", b"",
    b"<?xml version='1.0'?>", b"<?xml version='1.0' encoding='ISO-8859-1'?>",
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>", b"encoding='latin1'", b"\xef\xbb\xbf",
    b"<!-- c -->", b"<?pi x?>", b"<!DOCTYPE a>", b"\xe6", b"\x00", b"{", b"}",
    b"http://www.w3.org/XML/1998/namespace", b"standalone='no'",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=24))
def test_pieces_read_alike(pieces: list[bytes]) -> None:
    _both(b"".join(pieces))


@settings(max_examples=300, deadline=None)
@given(prolog=st.sampled_from([b"", b"<?xml version='1.0' encoding='ISO-8859-1'?>\n",
                               b"\xef\xbb\xbf<?xml version='1.0'?>"]),
       prefix=st.sampled_from([b"", b"p:", b"q:"]),
       attributes=st.lists(st.tuples(
           st.sampled_from([b"xmlns", b"xmlns:p", b"xmlns:q", b"x", b"p:x", b"q:x", b"q:y"]),
           st.sampled_from([b"", b"urn:a", b"urn:b", b"urn:a b", b"urn:>", b"http://x/"]),
           st.sampled_from([b"'", b'"'])), max_size=5),
       end=st.sampled_from([b">", b"/>", b" >", b"", b"><b/></a>", b"></c>"]))
def test_start_tags_read_alike(prolog: bytes, prefix: bytes,
                               attributes: list[tuple[bytes, bytes, bytes]], end: bytes) -> None:
    spelt = b"".join(b" " + name + b"=" + quote + value + quote
                     for name, value, quote in attributes)
    _both(prolog + b"<" + prefix + b"a" + spelt + end)
