"""Answering a received EDIFACT interchange with the right CONTRL receipt.

The rules are those of ``oioxml.receipting``, in EDIFACT: a readable interchange gets a
positive CTL03 when UNB asked for one (acknowledgement request 1) and nothing otherwise; an
interchange we refuse gets a negative CTL02 with the refuse code of the error (as the FTX
qualifier) and a short text saying what and where (segment, line, column); CONTRL is never
answered. A broken interchange is read leniently for its UNB and UNH segments; without an
interchange reference and both parties there is nothing to answer to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.edifact import interchange, versions
from medcom_adapter.errors import MedComError, RemoteError, UnknownMessage
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind, Refusal
from medcom_adapter.model.text import FormattedText

RECEIPT_VERSIONS = {ReceiptKind.NEGATIVE: "C0230Q", ReceiptKind.POSITIVE: "C0330Q"}
RECEIPT_MESSAGE_TYPE = "CONTRL"
_REFUSE_TEXT_LIMIT = 350  # one FTX: five components of 70 characters
_SEGMENT = r"(?:\?.|[^'?])*"  # a segment's data with MedCom's default service characters
_UNB = re.compile(r"UNB\+(" + _SEGMENT + ")'", re.DOTALL)
_UNH = re.compile(r"UNH\+(" + _SEGMENT + ")'", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send back: a CONTRL receipt, or None and why not."""

    receipt: Emessage | None
    reason: str
    error: MedComError | None = None  # the refusal's cause, for the journal

    def build(self) -> bytes:
        if self.receipt is None:
            raise ValueError(f"no receipt to build: {self.reason}")
        letter = self.receipt.letters[0]
        assert isinstance(letter, Receipt)
        return interchange.build(self.receipt, RECEIPT_VERSIONS[letter.kind])


def answer(data: bytes, *, now: datetime, ids: IdSource | None = None) -> Answer:
    """The CONTRL receipt (if any) a receiver owes the sender of ``data``."""
    ids = ids or IdSource()
    now = now.replace(second=0, microsecond=0, tzinfo=None)
    try:
        document = interchange.parse(data)
    except RemoteError as error:
        return _negative(data, error, now, ids)
    message = document.message
    if any(isinstance(letter, Receipt) for letter in message.letters):
        return Answer(None, "receipts are never receipted")
    if message.envelope.acknowledgement is AcknowledgementCode.MINUS_POSITIVE:
        return Answer(None, "the sender asked for no positive receipt (UNB acknowledgement 0)")
    first = message.letters[0]
    assert not isinstance(first, Receipt)
    receipt = Receipt(
        kind=ReceiptKind.POSITIVE,
        identifier=ids.letter_id(),
        sender_ean=str(first.receiver.ean),
        receiver_ean=str(first.sender.ean),
        original_envelope_id=message.envelope.identifier,
        original_sender_ean=str(first.sender.ean),
        original_receiver_ean=str(first.receiver.ean),
        letters=tuple(
            OriginalLetter(letter.letter.identifier, version.code)
            for letter, version in zip(message.letters, document.versions, strict=True)
            if not isinstance(letter, Receipt)
        ),
    )
    return Answer(_wrap(receipt, now, ids), "positive receipt requested")


def _negative(data: bytes, error: RemoteError, now: datetime, ids: IdSource) -> Answer:
    text = bytes(data).decode("latin-1")
    unb = _UNB.search(text)
    if unb is None:
        return Answer(None, f"cannot address a receipt: {error.message}", error)
    head = _split(unb.group(1))
    reference, sender, recipient = _part(head, 4, limit=14), _part(head, 1), _part(head, 2)
    unhs = [_split(m.group(1)) for m in _UNH.finditer(text)]
    if any(_part(u, 1) == RECEIPT_MESSAGE_TYPE for u in unhs):
        return Answer(None, "receipts are never receipted, not even invalid ones", error)
    if not (reference and sender and recipient):
        return Answer(None, "cannot address a receipt: interchange reference or parties "
                      "unreadable", error)
    refusal = Refusal(error.receipt_reason, FormattedText((_refuse_text(error),)))
    letters = []
    for unh in unhs:
        letter_id, version = _part(unh, 0, limit=14), _part(unh, 1, 5, limit=7)
        if letter_id and version and _has_message_type(version):
            letters.append(OriginalLetter(letter_id, version, refusal))
    receipt = Receipt(
        kind=ReceiptKind.NEGATIVE,
        identifier=ids.letter_id(),
        sender_ean=recipient,
        receiver_ean=sender,
        original_envelope_id=reference,
        original_sender_ean=sender,
        original_receiver_ean=recipient,
        refusal=refusal,
        letters=tuple(letters),
    )
    return Answer(_wrap(receipt, now, ids), error.message, error)


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


def _wrap(receipt: Receipt, now: datetime, ids: IdSource) -> Emessage:
    return Emessage(
        Envelope(ids.envelope_id(), now, AcknowledgementCode.MINUS_POSITIVE), (receipt,)
    )


def _refuse_text(error: MedComError) -> str:
    where = f" ({error.location})" if error.location and str(error.location) else ""
    text = f"{error.code}: {error.message}{where}"
    return text if len(text) <= _REFUSE_TEXT_LIMIT else text[: _REFUSE_TEXT_LIMIT - 3] + "..."
