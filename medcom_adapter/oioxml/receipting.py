"""Answering a received OIOXML message with the right receipt.

- A message we could read gets a positive receipt (XCTL03) when its envelope asked for one
  (``pluspositivkvitt``) and nothing when it did not (``minuspositivkvitt``).
- A message we refuse gets a negative receipt (XCTL02) whatever it asked for, with the
  refuse code of the error and a short text saying what and where.
- Receipts are never receipted.
- Bytes that could not be parsed are read leniently for the envelope id and the parties;
  without an envelope id there is nothing to answer to, and the caller is told why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from medcom_adapter.errors import MedComError, RemoteError
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind, Refusal
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml import emessage
from medcom_adapter.oioxml.safe_xml import DEFAULT_MAX_BYTES

RECEIPT_VERSIONS = {ReceiptKind.NEGATIVE: "XC0230Q", ReceiptKind.POSITIVE: "XC0330Q"}
_REFUSE_TEXT_LIMIT = 350  # one EDIFACT FTX worth; enough to say what and where

_LENIENT = etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
)


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send back: a receipt message, or None and why not."""

    receipt: Emessage | None
    reason: str
    error: MedComError | None = None  # the refusal's cause, for the journal

    def build(self) -> bytes:
        if self.receipt is None:
            raise ValueError(f"no receipt to build: {self.reason}")
        letter = self.receipt.letters[0]
        assert isinstance(letter, Receipt)
        return emessage.build(self.receipt, RECEIPT_VERSIONS[letter.kind])


def answer(
    data: bytes, *, now: datetime, ids: IdSource | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Answer:
    """The receipt (if any) a receiver owes the sender of ``data``."""
    ids = ids or IdSource()
    now = now.replace(second=0, microsecond=0, tzinfo=None)
    try:
        document = emessage.parse(data, max_bytes=max_bytes)
    except RemoteError as error:
        return _negative(data, error, now, ids)
    message = document.message
    if any(isinstance(letter, Receipt) for letter in message.letters):
        return Answer(None, "receipts are never receipted")
    if message.envelope.acknowledgement is AcknowledgementCode.MINUS_POSITIVE:
        return Answer(None, "the sender asked for no positive receipt (minuspositivkvitt)")
    letters = tuple(
        OriginalLetter(letter.letter.identifier, version.code)
        for letter, version in zip(message.letters, document.versions, strict=True)
        if not isinstance(letter, Receipt)
    )
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
        letters=letters,
    )
    return Answer(_wrap(receipt, now, ids), "positive receipt requested")


def _negative(data: bytes, error: RemoteError, now: datetime, ids: IdSource) -> Answer:
    head = _salvage(data, max_bytes=len(data))
    if head is None:
        return Answer(None, f"cannot address a receipt: {error.message}", error)
    if head.is_receipt:
        return Answer(None, "receipts are never receipted, not even invalid ones", error)
    if not (head.envelope_id and head.sender_ean and head.receiver_ean):
        return Answer(None, "cannot address a receipt: envelope id or parties unreadable", error)
    refusal = Refusal(error.receipt_reason, FormattedText((_refuse_text(error),)))
    receipt = Receipt(
        kind=ReceiptKind.NEGATIVE,
        identifier=ids.letter_id(),
        sender_ean=head.receiver_ean,
        receiver_ean=head.sender_ean,
        original_envelope_id=head.envelope_id,
        original_sender_ean=head.sender_ean,
        original_receiver_ean=head.receiver_ean,
        refusal=refusal,
        letters=tuple(OriginalLetter(i, v, refusal) for i, v in head.letters),
    )
    return Answer(_wrap(receipt, now, ids), error.message, error)


def _wrap(receipt: Receipt, now: datetime, ids: IdSource) -> Emessage:
    # receipts themselves always carry minuspositivkvitt
    return Emessage(
        Envelope(ids.envelope_id(), now, AcknowledgementCode.MINUS_POSITIVE), (receipt,)
    )


def _refuse_text(error: MedComError) -> str:
    where = f" ({error.location})" if error.location and str(error.location) else ""
    text = f"{error.code}: {error.message}{where}"
    return text if len(text) <= _REFUSE_TEXT_LIMIT else text[: _REFUSE_TEXT_LIMIT - 3] + "..."


@dataclass(frozen=True, slots=True)
class _Head:
    envelope_id: str | None
    sender_ean: str | None
    receiver_ean: str | None
    letters: tuple[tuple[str, str], ...]  # (letter id, version code)
    is_receipt: bool


_RECEIPT_ELEMENTS = frozenset({"NegativeVansReceipt", "NegativeReceipt", "PositiveReceipt"})


def _salvage(data: bytes, *, max_bytes: int) -> _Head | None:
    """Envelope id, parties and letters of a broken message, as far as they can be read."""
    if len(data) > max_bytes:
        return None
    try:
        root = etree.fromstring(data, _LENIENT)
    except (etree.XMLSyntaxError, ValueError):
        return None
    # _local, not etree.QName: the lenient parser may hand back tags QName refuses
    if root is None or _local(root) != "Emessage":
        return None

    def text(element: etree._Element | None, *path: str, limit: int = 35) -> str | None:
        for step in path:
            if element is None:
                return None
            element = next((c for c in element if _local(c) == step), None)
        value = element.text.strip() if element is not None and element.text else None
        return value if value and len(value) <= limit else None  # what a receipt can carry

    children = [c for c in root if isinstance(c.tag, str)]
    envelope = next((c for c in children if _local(c) == "Envelope"), None)
    letters = [c for c in children if _local(c) not in ("Envelope", "Local_Elements")]
    first = letters[0] if letters else None
    return _Head(
        envelope_id=text(envelope, "Identifier", limit=14),
        sender_ean=text(first, "Sender", "EANIdentifier"),
        receiver_ean=text(first, "Receiver", "EANIdentifier"),
        letters=tuple(
            (letter_id, text(letter, "Letter", "VersionCode", limit=7) or "ukendt")
            for letter in letters
            if (letter_id := text(letter, "Letter", "Identifier", limit=14))
        ),
        is_receipt=any(_local(c) in _RECEIPT_ELEMENTS for c in letters),
    )


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
