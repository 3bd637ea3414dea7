"""The receipt a received MedCom letter is owed, whatever syntax it came in.

MedCom's rules, shared by OIOXML (XCTL) and EDIFACT (CONTRL); each syntax's own
``receipting`` module reads the bytes and writes the answer, and asks this one what to say:

- a message we could read gets a positive receipt when its envelope asked for one
  (``pluspositivkvitt`` / UNB acknowledgement request 1) and nothing otherwise;
- a message we refuse gets a negative receipt whatever it asked for, with the refuse code
  of the error and a short text saying what and where;
- receipts are never receipted, not even invalid ones;
- without an envelope id and both parties there is nobody to answer, and the caller is told.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from medcom_adapter.errors import MedComError, RemoteError
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind, Refusal
from medcom_adapter.model.text import FormattedText

REFUSE_TEXT_LIMIT = 350  # one EDIFACT FTX (five components of 70): what and where fit


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send back: a receipt, or None and why not; ``build`` writes it."""

    receipt: Emessage | None
    reason: str
    error: MedComError | None = None  # the refusal's cause, for the journal
    writer: Callable[[Emessage], bytes] | None = field(default=None, repr=False, compare=False)

    def build(self) -> bytes:
        if self.receipt is None or self.writer is None:
            raise ValueError(f"no receipt to build: {self.reason}")
        return self.writer(self.receipt)


@dataclass(frozen=True, slots=True)
class Head:
    """What could be read of a message that failed: enough to address a receipt?"""

    envelope_id: str | None
    sender_ean: str | None
    receiver_ean: str | None
    letters: tuple[tuple[str, str], ...]  # (letter id, version code)
    is_receipt: bool


def for_message(
    message: Emessage, version_codes: Sequence[str], *, now: datetime, ids: IdSource,
    writer: Callable[[Emessage], bytes], no_receipt_asked: str,
) -> Answer:
    """The answer to a message that was read and found valid."""
    if any(isinstance(letter, Receipt) for letter in message.letters):
        return Answer(None, "receipts are never receipted")
    if message.envelope.acknowledgement is AcknowledgementCode.MINUS_POSITIVE:
        return Answer(None, no_receipt_asked)
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
            OriginalLetter(letter.letter.identifier, code)
            for letter, code in zip(message.letters, version_codes, strict=True)
            if not isinstance(letter, Receipt)
        ),
    )
    return Answer(_wrap(receipt, now, ids), "positive receipt requested", writer=writer)


def for_refusal(
    head: Head | None, error: RemoteError, *, now: datetime, ids: IdSource,
    writer: Callable[[Emessage], bytes],
) -> Answer:
    """The negative receipt for a message refused with ``error``, if it can be addressed."""
    if head is None:
        return Answer(None, f"cannot address a receipt: {error.message}", error)
    if head.is_receipt:
        return Answer(None, "receipts are never receipted, not even invalid ones", error)
    if not (head.envelope_id and head.sender_ean and head.receiver_ean):
        return Answer(None, "cannot address a receipt: envelope id or parties unreadable", error)
    refusal = Refusal(error.receipt_reason, FormattedText((refuse_text(error),)))
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
    return Answer(_wrap(receipt, now, ids), error.message, error, writer)


def minute(now: datetime) -> datetime:
    """Receipts carry local time to the minute, as every MedCom envelope does."""
    return now.replace(second=0, microsecond=0, tzinfo=None)


def refuse_text(error: MedComError) -> str:
    where = f" ({error.location})" if error.location and str(error.location) else ""
    text = f"{error.code}: {error.message}{where}"
    return text if len(text) <= REFUSE_TEXT_LIMIT else text[: REFUSE_TEXT_LIMIT - 3] + "..."


def _wrap(receipt: Receipt, now: datetime, ids: IdSource) -> Emessage:
    # receipts themselves never ask for a receipt
    return Emessage(
        Envelope(ids.envelope_id(), now, AcknowledgementCode.MINUS_POSITIVE), (receipt,)
    )
