"""Bytes -> segments, with MedCom's raw binary objects and exact positions for errors.

The interchange is decoded as ISO-8859-1, which maps every byte to one character, so
character offsets are byte offsets and the binary object after a ``UNO`` segment is sliced
from the bytes unchanged (it is counted in bytes, never escaped, and may contain any
separator). Line breaks between segments are tolerated; inside a segment they are line
wrapping, not content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medcom_adapter.edifact.syntax import DEFAULT, Element, Segment, Separators, ascii_digits
from medcom_adapter.errors import (
    EdifactCountError,
    EdifactError,
    EdifactSyntaxError,
    EdifactTruncated,
)

_TAG = re.compile(r"[A-Z][A-Z0-9]{2}")
_SPACE = re.compile(r"[ \t\r\n]*")
_OBJECT = "UNO"  # followed by raw bytes, then UNP
_OBJECT_SIZE = 4  # UNO element holding the byte count in its first component
_LAYOUT = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Tokens:
    separators: Separators
    segments: tuple[Segment, ...]
    text: str  # the interchange as ISO-8859-1, for positions

    def where(self, offset: int) -> tuple[int, int]:
        """1-based line and column of ``offset``."""
        return where(self.text, offset)

    def error(
        self, cls: type[EdifactError], message: str, segment: Segment, offset: int | None = None
    ) -> EdifactError:
        """``cls`` pointing at ``segment`` (or at ``offset`` inside it)."""
        line, column = self.where(segment.offset if offset is None else offset)
        return cls(message, segment=segment.number or None, tag=segment.tag, line=line,
                   column=column)


def where(text: str, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def tokenize(data: bytes) -> Tokens:
    """Every segment of ``data``; an EdifactError naming segment, line and column if not."""
    text = bytes(data).decode("latin-1")
    separators, pos = _service_string(text)
    scanner = _Scanner(data, text, separators)
    segments: list[Segment] = []
    while True:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text):
            break
        segment, pos = scanner.segment(pos, len(segments) + 1)
        segments.append(segment)
    return Tokens(separators, tuple(segments), text)


def _service_string(text: str) -> tuple[Separators, int]:
    start = len(text) - len(text.lstrip())
    if not text.startswith("UNA", start):
        return DEFAULT, start
    chars = text[start + 3 : start + 9]
    if len(chars) < 6:
        raise EdifactTruncated("UNA service string advice is cut short", line=1, column=start + 1)
    separators = Separators(*chars)
    used = [separators.component, separators.element, separators.release, separators.terminator]
    if len(set(used)) != 4 or any(c.isalnum() or c.isspace() for c in used):
        raise EdifactSyntaxError(
            f"UNA declares unusable service characters {chars!r}", line=1, column=start + 4
        )
    return separators, start + 9


class _Scanner:
    def __init__(self, data: bytes, text: str, separators: Separators) -> None:
        self.data, self.text, self.s = data, text, separators
        self.specials = re.compile(
            "[" + re.escape(separators.specials) + "\r\n]"
        )

    def fail(self, cls: type[EdifactError], message: str, offset: int, number: int,
             tag: str | None) -> EdifactError:
        line, column = where(self.text, offset)
        return cls(message, segment=number, tag=tag, line=line, column=column)

    def segment(self, start: int, number: int) -> tuple[Segment, int]:
        text, s = self.text, self.s
        tag = text[start : start + 3]
        if not _TAG.fullmatch(tag):
            shown = tag.encode("unicode_escape").decode("ascii")
            raise self.fail(EdifactSyntaxError, f"expected a segment tag, found {shown!r}",
                            start, number, None)
        pos = start + 3
        if pos >= len(text):
            raise self.fail(EdifactTruncated, f"{tag} segment is cut short", pos, number, tag)
        if text[pos] == s.terminator:
            return Segment(tag, (), None, number, start), pos + 1
        if text[pos] != s.element:
            raise self.fail(EdifactSyntaxError,
                            f"{tag} must be followed by {s.element!r} or {s.terminator!r}",
                            pos, number, tag)
        elements, pos = self._elements(pos + 1, number, tag)
        segment = Segment(tag, elements, None, number, start)
        if tag == _OBJECT:
            return self._object(segment, pos)
        return segment, pos

    def _elements(self, pos: int, number: int, tag: str) -> tuple[tuple[Element, ...], int]:
        text, s, search = self.text, self.s, self.specials.search
        elements: list[Element] = []
        components: list[str] = []
        buffer: list[str] = []
        while True:
            found = search(text, pos)
            if found is None:
                raise self.fail(EdifactTruncated, f"{tag} segment has no terminator "
                                f"{s.terminator!r}", len(text), number, tag)
            at = found.start()
            char = text[at]
            buffer.append(text[pos:at])
            pos = at + 1
            if char == s.release:
                if pos >= len(text):
                    raise self.fail(EdifactTruncated, "interchange ends after a release "
                                    "character", at, number, tag)
                escaped = text[pos]
                if escaped not in s.specials:
                    shown = escaped.encode("unicode_escape").decode("ascii")
                    raise self.fail(EdifactSyntaxError, f"release character {s.release!r} "
                                    f"before {shown!r}: only {s.specials!r} may be escaped",
                                    at, number, tag)
                buffer.append(escaped)
                pos += 1
            elif char == s.component:
                components.append("".join(buffer))
                buffer = []
            elif char == s.element or char == s.terminator:
                components.append("".join(buffer))
                elements.append(tuple(components))
                components, buffer = [], []
                if char == s.terminator:
                    return tuple(elements), pos
            # CR / LF inside a segment: wrapping, dropped

    def _object(self, uno: Segment, pos: int) -> tuple[Segment, int]:
        declared = uno.get(_OBJECT_SIZE)
        if not ascii_digits(declared):
            raise self.fail(EdifactSyntaxError, f"UNO must state the object's size in bytes, "
                            f"found {declared!r}", uno.offset, uno.number, uno.tag)
        size = int(declared)
        end = pos + size
        if end > len(self.data):
            raise self.fail(EdifactTruncated, f"binary object {uno.get(1)!r} declares {size} "
                            f"bytes but only {len(self.data) - pos} follow", pos, uno.number,
                            uno.tag)
        # MedCom's converter reads the declared bytes, then skips whitespace before the next
        # segment: a line break between the object and UNP is layout, not a wrong count
        after = end
        while after < len(self.text) and self.text[after] in _LAYOUT:
            after += 1
        if not self.text.startswith("UNP", after):
            raise self.fail(EdifactCountError, f"UNO declares {size} bytes, but no UNP follows "
                            f"them: the byte count is wrong", end, uno.number, uno.tag)
        binary = bytes(self.data[pos:end])
        return Segment(uno.tag, uno.elements, binary, uno.number, uno.offset), end
