"""Receipts (kvitteringer): XCTL01 negative VANS, XCTL02 negative and XCTL03 positive.

A receipt answers one Emessage (by its envelope id) and lists the letters it covers. The
parties are EAN only; they may be a VANS provider's code rather than a GLN (MedCom's own
example uses one), so they are kept as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from medcom_adapter.errors import InvalidValue, RefuseCode
from medcom_adapter.model.text import FormattedText


class ReceiptKind(StrEnum):
    NEGATIVE_VANS = "XCTL01"
    NEGATIVE = "XCTL02"
    POSITIVE = "XCTL03"

    @property
    def negative(self) -> bool:
        return self is not ReceiptKind.POSITIVE


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why (part of) a message was refused; both parts are optional in the standard."""

    code: RefuseCode | None = None
    text: FormattedText | None = None


@dataclass(frozen=True, slots=True)
class OriginalLetter:
    identifier: str
    version_code: str  # as the original stated it, e.g. XH0131R or H0131R (EDIFACT)
    refusal: Refusal | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    kind: ReceiptKind
    identifier: str  # the receipt's own letter id
    sender_ean: str  # who received the original and now answers
    receiver_ean: str
    original_envelope_id: str
    original_sender_ean: str
    original_receiver_ean: str
    letters: tuple[OriginalLetter, ...] = ()
    refusal: Refusal | None = None  # envelope level
    statistical_code: str | None = None  # None: the receipt's type, e.g. XCTL02

    def __post_init__(self) -> None:
        if len(self.letters) > 99:
            raise InvalidValue("a receipt lists at most 99 letters")
        if not self.kind.negative and (
            self.refusal is not None or any(x.refusal is not None for x in self.letters)
        ):
            raise InvalidValue("a positive receipt carries no refusal")
