"""Base64 lifted out before parsing reads exactly as the element's text would.

Each file is read twice: as it is read now, and with lifting switched off (every text
parsed by libxml2 and decoded by ``xbin.decode_base64``). The two must agree: the same
model, the same issues with the same paths and lines, the same refusal.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator

import pybase64
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from medcom_adapter.compose.referral import Attachment, build_referral
from medcom_adapter.errors import InconsistentMessage
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.letters import BinaryLetter
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import lifted, schemas, xbin
from medcom_adapter.oioxml.emessage import CheckResult, build, check, parse
from medcom_adapter.oioxml.receipting import answer
from tests import samples

OPEN = b"<Object_Base64Encoded>"


def _pdf(size: int, seed: int = 1) -> bytes:
    return b"%PDF-1.4\n" + random.Random(seed).randbytes(size - 16) + b"\n%%EOF\n"


def _binary(pdf: bytes, encoding: str = "ISO-8859-1") -> bytes:
    letter = dataclasses.replace(samples.binary_letter(), objects=(
        dataclasses.replace(samples.binary_letter().objects[0], data=pdf),))
    return build(Emessage(Envelope("ENV2", samples.WHEN), (letter,)), "XB0131X",
                 encoding=encoding)


@pytest.fixture
def unlifted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bytes], CheckResult]]:
    """check() as it reads with nothing lifted: the reference every lifted read must match."""

    def reference(data: bytes) -> CheckResult:
        with monkeypatch.context() as m:
            m.setattr(lifted, "SMALLEST", 1 << 62)
            return check(data)

    yield reference


def _same(data: bytes, reference: Callable[[bytes], CheckResult]) -> CheckResult:
    got, expected = check(data), reference(data)
    assert got.issues == expected.issues
    assert (got.document is None) == (expected.document is None)
    if got.document is not None and expected.document is not None:
        assert got.document.message == expected.document.message
        assert got.document.warnings == expected.document.warnings
    return got


def test_a_large_object_is_lifted_and_decoded_to_the_same_bytes() -> None:
    pdf = _pdf(300_000)
    data = _binary(pdf)
    tree, objects = lifted.load(data)
    assert list(objects.values()) == [pdf]
    (element,) = tree.getroot().iter("{*}Object_Base64Encoded")
    assert element.text in objects and len(element.text or "") < 10_000  # not the text
    assert parse(data).message.letters[0].objects[0].data == pdf  # type: ignore[union-attr]


def test_a_20_mb_attachment_round_trips_byte_identical() -> None:
    pdf = _pdf(20 * 1024 * 1024)
    plain = dataclasses.replace(samples.full_referral(), references=())
    package = build_referral(plain, (Attachment("Henvisningsskema", pdf),), ids=IdSource())
    (binary,) = package.binaries
    assert binary.data.count(pybase64.b64encode(pdf[:57])) == 1
    report = check(binary.data)
    assert report.valid and report.document is not None
    letter = report.document.message.letters[0]
    assert isinstance(letter, BinaryLetter)
    assert letter.objects[0].data == pdf
    assert letter.objects[0].size == len(pdf)


def _damaged(damage: bytes, at: int = 40_000) -> bytes:
    """A valid XBIN with ``damage`` put into its base64 text, ``at`` characters in."""
    data = _binary(_pdf(100_000))
    start = data.index(OPEN) + len(OPEN) + at
    return data[:start] + damage + data[start:]


HOSTILE = {
    "a character outside base64": _damaged(b"!"),
    "a non-ASCII byte": _damaged(b"\xe6"),
    "padding in the middle": _damaged(b"QQ=="),
    "one character too many": _damaged(b"Q"),
    "a character reference that completes a quad": _damaged(b"&#81;QQQ"),
    "an entity reference": _damaged(b"&amp;"),
    "a CDATA section inside the text": _damaged(b"<![CDATA[QUJD]]>"),
    "a comment inside the text": _damaged(b"<!-- x -->"),
    "an element inside the text": _damaged(b"<Object_Base64Encoded>QUJD</Object_Base64Encoded>"),
    "a CR on its own": _damaged(b"\r"),
    "CR LF line ends": _binary(_pdf(100_000)).replace(b"\n", b"\r\n"),
    "spaces and tabs": _damaged(b" \t "),
    "the end of the text": _damaged(b"]]>"),
    "the tag spelt in a comment first": _binary(_pdf(100_000)).replace(
        b"<Emessage", b"<!-- <Object_Base64Encoded>" + b"QUJD" * 400 + b"<x> -->\n<Emessage", 1),
    "a schema error after the text": _binary(_pdf(100_000)).replace(
        b"</Object_Base64Encoded>", b"</Object_Base64Encoded><Unexpected/>"),
    "UTF-8": _binary(_pdf(100_000), encoding="UTF-8"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_damaged_base64_reads_as_the_text_would(
    name: str, unlifted: Callable[[bytes], CheckResult]
) -> None:
    _same(HOSTILE[name], unlifted)


def test_invalid_base64_in_a_large_object_is_refused_with_its_receipt(
    unlifted: Callable[[bytes], CheckResult],
) -> None:
    data = HOSTILE["a character outside base64"]
    report = _same(data, unlifted)
    (issue,) = report.issues
    assert issue.code == InconsistentMessage.code
    assert issue.path is not None and issue.path.endswith("BinaryObject/Object_Base64Encoded")
    with pytest.raises(InconsistentMessage, match="base64"):
        parse(data)
    receipt = answer(data, now=samples.WHEN).receipt
    assert receipt is not None
    refusal = getattr(receipt.letters[0], "refusal", None)
    assert refusal is not None and refusal.code is InconsistentMessage.receipt_reason


def test_lines_after_a_lifted_text_are_those_of_the_file() -> None:
    data = HOSTILE["a schema error after the text"]
    (issue,) = check(data).issues
    tree = etree.fromstring(data)
    (unexpected,) = tree.iter("{*}Unexpected")
    assert issue.line is not None and issue.line > 1000
    assert issue.line == schemas.line_of(unexpected)


# the characters that matter to base64 in XML text, and a few that must not pass
_TEXT = st.text(alphabet="ABCQRSabz019+/= \t\r\n!&", max_size=60)


@settings(max_examples=400, deadline=None)
@given(text=_TEXT, chunk=st.sampled_from([4, 5, 7, 8, 1 << 20]))
def test_decoding_agrees_with_decoding_the_text(text: str, chunk: int) -> None:
    expected, lone_cr = _as_the_tree_decodes(text)
    original = lifted._CHUNK
    lifted._CHUNK = chunk
    try:
        got, breaks = lifted.decode(memoryview(text.encode("ascii")))
    except lifted.NotBase64:
        assert expected is None or lone_cr  # a lone CR only keeps it in the tree
        return
    finally:
        lifted._CHUNK = original
    assert got == expected
    assert breaks == text.count("\n") and not lone_cr


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=700),
       edit=st.tuples(st.integers(0, 1000), st.sampled_from(["", "\n", "\r\n", " ", "A", "="])),
       cut=st.sampled_from([0, 1, 2]))
def test_the_usual_76_column_layout_decodes_as_any_other(data: bytes, edit: tuple[int, str],
                                                         cut: int) -> None:
    """The strided fast path for MedCom's usual line breaks agrees with the text's own
    decoding on the layout and on every small damage to it."""
    at, inserted = edit
    text = pybase64.encodebytes(data).decode("ascii")
    text = (text[:at] + inserted + text[at + cut:]) if at < len(text) else text
    expected, lone_cr = _as_the_tree_decodes(text)
    try:
        got, breaks = lifted.decode(memoryview(text.encode("ascii")))
    except lifted.NotBase64:
        assert expected is None or lone_cr
        return
    assert got == expected and breaks == text.count("\n")


def _as_the_tree_decodes(text: str) -> tuple[bytes | None, bool]:
    """``text``'s bytes as the tree's reader decodes them (None: it refuses them), and
    whether it holds a lone CR (which only the tree keeps)."""
    element = etree.Element("Object_Base64Encoded")
    element.text = text
    try:
        expected: bytes | None = xbin.decode_base64(element)
    except InconsistentMessage:
        expected = None
    return expected, text.count("\r") != text.count("\r\n")
