"""Answering a received OIOXML message with the right receipt.

- A message we could read gets a positive receipt (XCTL03) when its envelope asked for one
  (``pluspositivkvitt``) and nothing when it did not (``minuspositivkvitt``).
- A message we refuse gets a negative receipt (XCTL02) whatever it asked for, with the
  refuse code of the error and a short text saying what and where.
- Receipts are never receipted.
- Bytes that could not be parsed are read leniently, up to the damage, for the envelope id,
  the parties and the letters; without them there is nothing to answer to, and the caller
  is told why.
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
    """Envelope id, parties and letters of a broken message, as far as they can be read.

    A pull parser reads up to the first fatal error (truncation, a NUL byte, nesting beyond
    any sane depth, ...): the envelope and the letters' heads come first in every MedCom
    message, so what precedes the damage is usually enough to address a receipt.
    """
    if len(data) > max_bytes:
        return None
    parser = etree.XMLPullParser(
        events=("start", "end"), recover=True, resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=True,
    )
    found = _Found()
    try:
        for at in range(0, len(data), _CHUNK):
            parser.feed(data[at : at + _CHUNK])
            if not found.take(parser.read_events()):
                break
        parser.close()
        found.take(parser.read_events())
    except (etree.XMLSyntaxError, ValueError):
        found.take(parser.read_events())
    return found.head()


_CHUNK = 64 * 1024
_WANTED = {("Envelope", "Identifier"): 14, ("Letter", "Identifier"): 14,
           ("Letter", "VersionCode"): 7, ("Sender", "EANIdentifier"): 35,
           ("Receiver", "EANIdentifier"): 35}


class _Found:
    """What the pull parser has seen of the envelope and each letter's head."""

    def __init__(self) -> None:
        self.path: list[str] = []
        self.root_ok: bool | None = None
        self.envelope_id: str | None = None
        self.letters: list[dict[tuple[str, str], str]] = []
        self.kinds: list[str] = []

    def take(self, events: object) -> bool:
        """Consume parser events; False once the root is known not to be an Emessage."""
        for event, element in events:  # type: ignore[attr-defined]
            name = _local(element)
            if event == "start":
                self.path.append(name)
                if len(self.path) == 1:
                    self.root_ok = name == "Emessage"
                elif len(self.path) == 2 and name not in ("Envelope", "Local_Elements"):
                    self.letters.append({})
                    self.kinds.append(name)
                continue
            self._end(element)
            self.path.pop()
            if len(self.path) >= 2:
                element.clear()  # keep memory flat on large bodies
        return self.root_ok is not False

    def _end(self, element: etree._Element) -> None:
        if self.root_ok is not True or len(self.path) not in (3, 4):
            return
        step = (self.path[-2], self.path[-1])
        limit = _WANTED.get(step)
        text = (element.text or "").strip()
        if limit is None or not text or len(text) > limit:  # what a receipt can carry
            return
        if len(self.path) == 3 and step == ("Envelope", "Identifier"):
            self.envelope_id = self.envelope_id or text
        elif len(self.path) == 4 and self.letters and step[0] != "Envelope":
            self.letters[-1].setdefault(step, text)

    def head(self) -> _Head | None:
        if self.root_ok is not True:
            return None
        first = self.letters[0] if self.letters else {}
        return _Head(
            envelope_id=self.envelope_id,
            sender_ean=first.get(("Sender", "EANIdentifier")),
            receiver_ean=first.get(("Receiver", "EANIdentifier")),
            letters=tuple(
                (letter_id, letter.get(("Letter", "VersionCode"), "ukendt"))
                for letter in self.letters
                if (letter_id := letter.get(("Letter", "Identifier")))
            ),
            is_receipt=any(kind in _RECEIPT_ELEMENTS for kind in self.kinds),
        )


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
