"""Base64 objects lifted out of an OIOXML file before libxml2 parses it.

An XBIN's ``Object_Base64Encoded`` holds most of its bytes. Parsed as text it is held three
times while the file is read (the file, libxml2's text node, the Python string) before it
is decoded; a 20 MB PDF cost about 6x its size. :func:`lift` decodes each such text straight
from the file's bytes, in chunks, into one buffer of the object's size, and parses the file
with a short placeholder in its place: the tree, the schema validation and every line
number come out as for the whole file.

Nothing read differently: the schema types ``Object_Base64Encoded`` as a plain
``xs:string``, so any text validates as the placeholder does, and a text is lifted only
when its bytes mean the same as XML text and as base64 (base64 characters and XML
whitespace, a CR only before an LF) and decode strictly, exactly as
:func:`medcom_adapter.oioxml.xbin.decode_base64` would decode the element's text. Anything
else (a character reference, a CDATA section, a stray character, bad padding, a non-ASCII
encoding) stays in the file and is read, and refused, as before. A placeholder that does not
end up as the whole text of an ``Object_Base64Encoded`` element (the tag was spelt inside a
comment, say) makes :func:`load` parse the original file instead.
"""

from __future__ import annotations

import binascii
import io
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pybase64
from lxml import etree

from medcom_adapter import safe_xml

SMALLEST = 1024  # bytes of text; below this, lifting saves less than it costs
_CHUNK = 1024 * 1024  # bytes of text decoded at a time: the only copy of the text made
_WHITESPACE = b" \t\r\n"
_NAME = b"Object_Base64Encoded>"
# what may precede the name in its start tag: "<" or "<prefix:" (no attributes, no spaces)
_OPEN = re.compile(rb"<(?:[A-Za-z_][A-Za-z0-9_.-]*:)?\Z")
_PREFIX_ROOM = 64
# declared encodings that spell these bytes as ASCII does (no declaration: UTF-8)
_ASCII_ENCODINGS = frozenset({"UTF-8", "UTF8", "ISO-8859-1", "ISO_8859-1", "LATIN1",
                              "ISO-8859-15", "US-ASCII", "ASCII", "WINDOWS-1252"})
_DECLARED = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


class NotBase64(ValueError):
    """The text is not strict base64 (or not plain text): it is left to the full reader."""


@dataclass(frozen=True, slots=True)
class Lifted:
    """The file to parse, and each lifted object by the placeholder text left for it."""

    document: bytes
    objects: Mapping[str, bytes] = field(default_factory=dict)


def lift(data: bytes) -> Lifted:
    """``data`` with every liftable base64 text replaced by a placeholder."""
    if _NAME not in data or not _ascii_compatible(data):
        return Lifted(data)
    token = secrets.token_hex(8)
    parts: list[bytes] = []
    objects: dict[str, bytes] = {}
    at = 0
    found = data.find(_NAME)
    while found >= 0:
        start = found + len(_NAME)
        end = data.find(b"<", start)
        if end < 0:
            break
        if end - start >= SMALLEST and _OPEN.search(data, max(at, found - _PREFIX_ROOM), found):
            found_text = _liftable(data, start, end)
            if found_text is not None:
                decoded, breaks = found_text
                marker = f"lifted-{token}-{len(objects)}"
                # the placeholder keeps the text's line breaks: later line numbers hold
                objects[marker + "\n" * breaks] = decoded
                parts += (data[at:start], marker.encode("ascii"), b"\n" * breaks)
                at = end
        found = data.find(_NAME, end)
    if not objects:
        return Lifted(data)
    parts.append(data[at:])
    return Lifted(b"".join(parts), objects)


def _liftable(data: bytes, start: int, end: int) -> tuple[bytes, int] | None:
    """The text's bytes decoded and its line breaks, or None when it must be read as XML
    text first (anything not strict base64, or a CR not before an LF: libxml2 counts lines
    by LF, and the placeholder keeps only those)."""
    try:
        return decode(memoryview(data)[start:end])
    except NotBase64:
        return None


def _ascii_compatible(data: bytes) -> bool:
    """Whether the file spells ASCII as ASCII (UTF-8, ISO-8859-1; not UTF-16)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:200]
    if not data.startswith(b"<"):
        return False  # a byte order mark, UTF-16 or leading whitespace: not worth guessing
    declared = _DECLARED.match(data, 0, 200) if data.startswith(b"<?xml") else None
    if data.startswith(b"<?xml") and declared is None:
        return b"encoding" not in data[:data.find(b"?>")]
    return declared is None or declared.group(1).decode("ascii").upper() in _ASCII_ENCODINGS


def load(data: bytes, *, max_bytes: int = safe_xml.DEFAULT_MAX_BYTES
         ) -> tuple[etree._ElementTree, Mapping[str, bytes]]:
    """As :func:`safe_xml.load`, with large base64 objects lifted out (see the module)."""
    if isinstance(data, bytes) and len(data) <= max_bytes:
        lifted = lift(data)
        if lifted.objects:
            tree = safe_xml.load(lifted.document, max_bytes=max_bytes)
            if _in_place(tree, lifted.objects):
                return tree, lifted.objects
    return safe_xml.load(data, max_bytes=max_bytes), {}


def _in_place(tree: etree._ElementTree, objects: Mapping[str, bytes]) -> bool:
    """Whether each placeholder is the whole text of one ``Object_Base64Encoded``."""
    found = [element.text for element in tree.getroot().iter("{*}Object_Base64Encoded")
             if element.text in objects]
    return len(found) == len(objects) == len(set(found))


def decode(text: memoryview) -> tuple[bytes, int]:
    """Strict base64 with XML whitespace between the characters, decoded a chunk at a
    time into one buffer, and the number of LFs in it; NotBase64 for anything else."""
    if len(text) <= _CHUNK:
        usual = _in_76_columns(text)
        if usual is not None:
            return usual
        raw = bytes(text)
        lines = raw.replace(b"\n", b"")  # line breaks, nothing else
        try:
            return pybase64.b64decode(lines, validate=True), len(raw) - len(lines)
        except (binascii.Error, ValueError):
            return _strict(raw.translate(None, _WHITESPACE)), _lfs(raw)
    # one buffer of at least the result's size, allocated once (grown piecemeal it would
    # stay on the heap, and glibc keeps a freed heap top), handed over without a copy
    out = io.BytesIO()
    out.seek(len(text) // 4 * 3 + 2)
    out.write(b"\0")
    out.seek(0)
    breaks = 0
    for piece, lfs in pieces(text):
        out.write(piece)
        breaks += lfs
    out.truncate()
    return out.getvalue(), breaks


def _in_76_columns(text: memoryview) -> tuple[bytes, int] | None:
    """:func:`decode` of the usual layout (an LF as every 77th byte, as we and MedCom's
    examples write base64, and one ending a shorter last line), its LFs taken out by one
    strided deletion instead of a search; None for any other text (an LF elsewhere is not
    base64, so strict decoding refuses it here)."""
    full, rest = divmod(len(text), 77)
    if (rest and text[-1] != 10) or text[76::77] != b"\n" * full:
        return None
    lines = bytearray(text)
    del lines[76::77]
    if rest:
        del lines[-1]
    try:
        return pybase64.b64decode(lines, validate=True), full + (rest > 0)
    except (binascii.Error, ValueError):
        return None


def pieces(text: memoryview) -> Iterator[tuple[bytes, int]]:
    """:func:`decode` a chunk at a time: each chunk's bytes and its LFs (NotBase64 as
    soon as the text is found not to be strict base64)."""
    carry, at = b"", 0
    while at < len(text):
        upto = min(at + _CHUNK, len(text))
        if text[upto - 1] == 13:  # CR: its LF comes into this chunk too
            upto += 1
        raw = bytes(text[at:upto])
        at = upto
        lines = raw.replace(b"\n", b"")
        if b"\r" in lines or b" " in lines or b"\t" in lines:
            lines = raw.translate(None, _WHITESPACE)
            breaks = _lfs(raw)
        else:
            breaks = len(raw) - len(lines)
        piece = carry + lines
        keep = len(piece) % 4 or 4  # the last quad waits: padding may only end the text
        head, carry = piece[:-keep], piece[-keep:]
        if b"=" in head:
            raise NotBase64("padding before the end")
        yield _strict(head), breaks
    yield _strict(carry), 0


def _lfs(raw: bytes) -> int:
    """The LFs of text with CRs; NotBase64 when a CR is not before an LF."""
    crs = raw.count(b"\r")
    if crs != raw.count(b"\r\n"):
        raise NotBase64("a CR on its own")
    return raw.count(b"\n")


def _strict(text: bytes) -> bytes:
    try:
        return pybase64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NotBase64("not strict base64") from None
