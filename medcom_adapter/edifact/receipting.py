"""Answering a received EDIFACT interchange with the right CONTRL receipt.

MedCom's rules (``medcom_adapter.reliable.receipting``) in EDIFACT: a readable interchange gets a
positive CTL03 when UNB asked for one (acknowledgement request 1) and nothing otherwise; an
interchange we refuse gets a negative CTL02 with the refuse code of the error (as the FTX
qualifier) and a short text saying what and where (segment, line, column); CONTRL is never
answered. A broken interchange is read leniently for its UNB and UNH segments; without an
interchange reference and both parties there is nothing to answer to.
"""

from __future__ import annotations

import re
from datetime import datetime

from medcom_adapter.edifact import interchange, versions
from medcom_adapter.edifact.versions import current
from medcom_adapter.errors import RemoteError, UnknownMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage
from medcom_adapter.model.receipts import Receipt, ReceiptKind
from medcom_adapter.reliable.receipting import Answer, Head, for_message, for_refusal, minute

__all__ = ["RECEIPT_VERSIONS", "Answer", "answer", "answer_read"]

RECEIPT_VERSIONS = {k: current(Kind(k)).code for k in (ReceiptKind.NEGATIVE, ReceiptKind.POSITIVE)}
RECEIPT_MESSAGE_TYPE = "CONTRL"
_SEGMENT = r"(?:\?.|[^'?])*"  # a segment's data with MedCom's default service characters
_UNB = re.compile(r"UNB\+(" + _SEGMENT + ")'", re.DOTALL)
_UNH = re.compile(r"UNH\+(" + _SEGMENT + ")'", re.DOTALL)


def _write(receipt: Emessage) -> bytes:
    letter = receipt.letters[0]
    assert isinstance(letter, Receipt)
    return interchange.build(receipt, RECEIPT_VERSIONS[letter.kind])


def answer(data: bytes, *, now: datetime, ids: IdSource | None = None) -> Answer:
    """The CONTRL receipt (if any) a receiver owes the sender of ``data``."""
    ids = ids or IdSource()
    now = minute(now)
    try:
        document = interchange.parse(data)
    except RemoteError as error:
        return for_refusal(_salvage(data), error, now=now, ids=ids, writer=_write)
    return answer_read(document, now=now, ids=ids)


def answer_read(document: interchange.EdifactDocument, *, now: datetime,
                ids: IdSource | None = None) -> Answer:
    """The CONTRL receipt owed for an interchange already read as ``document``: the
    interchange is not read again."""
    return for_message(
        document.message, [v.code for v in document.versions], now=minute(now),
        ids=ids or IdSource(), writer=_write, no_receipt_asked="the sender asked for no "
        "positive receipt (UNB acknowledgement 0)",
    )


def _salvage(data: bytes) -> Head | None:
    """Interchange reference, parties and messages of a broken interchange, as far as read."""
    text = bytes(data).decode("latin-1")
    unb = _UNB.search(text)
    if unb is None:
        return None
    head = _split(unb.group(1))
    unhs = [_split(m.group(1)) for m in _UNH.finditer(text)]
    letters = []
    for unh in unhs:
        letter_id, version = _part(unh, 0, limit=14), _part(unh, 1, 5, limit=7)
        if letter_id and version and _has_message_type(version):
            letters.append((letter_id, version))
    return Head(
        envelope_id=_part(head, 4, limit=14), sender_ean=_part(head, 1),
        receiver_ean=_part(head, 2), letters=tuple(letters),
        is_receipt=any(_part(u, 1) == RECEIPT_MESSAGE_TYPE for u in unhs),
    )


def _has_message_type(version: str) -> bool:
    try:
        versions.message_type_of(version)
    except UnknownMessage:
        return False
    return True


def _split(data: str) -> list[list[str]]:
    """Elements and components of a segment's data (default service characters)."""
    elements: list[list[str]] = [[""]]
    chars = iter(data)
    for char in chars:
        if char == "?":
            elements[-1][-1] += next(chars, "")
        elif char == "+":
            elements.append([""])
        elif char == ":":
            elements[-1].append("")
        elif char not in "\r\n":
            elements[-1][-1] += char
    return elements


def _part(elements: list[list[str]], element: int, component: int = 1, *,
          limit: int = 35) -> str | None:
    try:
        value = elements[element][component - 1].strip()
    except IndexError:
        return None
    return value if value and len(value) <= limit else None  # what a receipt can carry
