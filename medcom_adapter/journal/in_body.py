"""Attachments found as base64 inside their message's body, so their bytes are stored once.

An XBIN letter (and a FHIR attachment) carries its object as base64 text in the body the
journal seals anyway. :func:`locate` finds that text and proves it decodes to exactly the
attachment's bytes; the journal then keeps only where it lies (``start:end``), and
:func:`extract` decodes it again on reading. Anything not found that way (a small object,
another line layout, bytes the body does not hold) is stored as before. A body our builder
made (a :class:`~medcom_adapter.conformance.built.Built`) says itself where it wrote each
object's text: that is taken without decoding (:func:`placed`).
"""

from __future__ import annotations

import binascii

import pybase64

from medcom_adapter.conformance.built import Built
from medcom_adapter.errors import JournalCorrupt
from medcom_adapter.oioxml import lifted

SMALLEST = 1024  # below this, a reference saves less than it costs to find
_PROBE = 48  # bytes: 64 base64 characters, within the first line of any usual layout
_WHOLE = 1 << 20  # base64 characters: up to this, decoded whole to be compared


def locate(body: bytes, data: bytes) -> str | None:
    """``start:end`` of ``data``'s base64 text in ``body``, or None when it is not there."""
    if len(data) < SMALLEST:
        return None
    span = placed(body, data)
    if span is not None:
        return span
    probe = pybase64.b64encode(data[:_PROBE])
    start = body.find(probe)
    if start < 0:
        return None
    # the text ends where its element (XML) or string (JSON) does; what lies between that
    # is not base64 is skipped by decoding, and the bytes must come out equal all the same
    ends = [at for at in (body.find(b"<", start), body.find(b'"', start)) if at >= 0]
    end = min(ends, default=len(body))
    span = f"{start}:{end}"
    try:
        same = _decodes_to(memoryview(body)[start:end], data)
    except lifted.NotBase64:  # not in the usual layout: decoded whole, as extract() will
        try:
            same = extract(body, span) == data
        except JournalCorrupt:
            return None
    return span if same else None


def placed(body: bytes, data: bytes) -> str | None:
    """``start:end`` where the builder of ``body`` wrote ``data``'s base64 text, when
    ``body`` is a Built that says so for these bytes: the same object, or equal bytes
    (compared, not decoded)."""
    if not isinstance(body, Built):
        return None
    for p in body.placed:
        if p.data is data or p.data == data:
            return f"{p.start}:{p.end}"
    return None


def _decodes_to(text: memoryview, data: bytes) -> bool:
    """Whether strict base64 ``text`` decodes to ``data``: decoded whole when small (one
    short-lived copy of at most 768 KB, at a fifth of the cost), else compared a chunk at
    a time (a large attachment is not decoded into a second copy to be compared once)."""
    if len(text) <= _WHOLE:
        return lifted.decode(text)[0] == data
    at = 0
    for piece, _ in lifted.pieces(text):
        if not data.startswith(piece, at):  # compared in place (a memoryview's == goes
            return False                    # byte by byte)
        at += len(piece)
    return at == len(data)


def extract(body: bytes, span: str) -> bytes:
    """The bytes whose base64 text lies at ``span`` (``start:end``) in ``body``."""
    try:
        start, end = (int(n) for n in span.removesuffix(BOUND).split(":"))
        # line breaks are not base64 and are skipped; the text was checked when it was
        # stored, and ``verify`` checks the result against the chained digest
        return pybase64.b64decode(memoryview(body)[start:end], validate=False)
    except (binascii.Error, ValueError):
        raise JournalCorrupt(f"an attachment's place in its message body ({span[:40]}) "
                             "holds no base64: changed outside the journal") from None


# A reference written since its place is bound into its sealed data (see rows.data_where):
# ``start:end`` and this. Older references, unmarked, are read as they were sealed.
BOUND = " bound"


# An object cut out of its body: ``in_body`` is ``start:end`` and this, the body is stored
# without the text (``cut``) and the object whole (decoded: a quarter fewer bytes sealed,
# written and read), and reading puts ``pybase64.encodebytes`` of it back (``rebuild``).
CUT = " cut"


def cuttable(body: bytes, data: bytes) -> str | None:
    """``start:end`` of ``data``'s text in ``body`` when it can be cut out and rebuilt
    byte-exact: the builder placed it, as ``encodebytes`` writes it (see ``Placed``)."""
    return placed(body, data) if len(data) >= SMALLEST else None


def cut(body: bytes, spans: list[str]) -> bytes:
    """``body`` without the text at each of ``spans`` (``start:end``, apart)."""
    kept, at = [], 0
    for start, end in sorted(_bounds(span) for span in spans):
        kept.append(memoryview(body)[at:start])
        at = end
    kept.append(memoryview(body)[at:])
    return b"".join(kept)


def rebuild(stored: bytes, objects: list[tuple[str, bytes]]) -> bytes:
    """The body ``cut`` made ``stored`` from, with each object (``start:end`` in the whole
    body, and its bytes) encoded back where it was; JournalCorrupt when the sizes do not
    add up (the stored body or a place was changed outside the journal)."""
    parts: list[bytes | memoryview] = []
    at = 0  # in stored
    size = 0  # of the body so far
    for start, end, data in sorted((*_bounds(span), data) for span, data in objects):
        text = pybase64.encodebytes(data)
        if start < size or len(text) != end - start or at + start - size > len(stored):
            raise JournalCorrupt(f"an attachment's place in its message body ({start}:{end})"
                                 " does not fit the stored body: changed outside the journal")
        parts += [memoryview(stored)[at:at + start - size], text]
        at, size = at + start - size, end
    parts.append(memoryview(stored)[at:])
    return b"".join(parts)


def _bounds(span: str) -> tuple[int, int]:
    try:
        start, end = (int(n) for n in span.removesuffix(CUT).split(":"))
    except ValueError:
        raise JournalCorrupt(f"an attachment's place in its message body ({span[:40]}) is "
                             "no place: changed outside the journal") from None
    return start, end
