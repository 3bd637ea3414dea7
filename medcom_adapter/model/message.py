"""One OIOXML file: an envelope and the letters it carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.letters import BinaryLetter, Referral, minute_precision
from medcom_adapter.model.receipts import Receipt


@dataclass(frozen=True, slots=True)
class Envelope:
    """The Emessage envelope: one per file, its id is the interchange id."""

    identifier: str
    sent: datetime
    acknowledgement: AcknowledgementCode = AcknowledgementCode.PLUS_POSITIVE

    def __post_init__(self) -> None:
        minute_precision(self.sent)


Letter = Referral | BinaryLetter | ClinicalEmail | Receipt


@dataclass(frozen=True, slots=True)
class Emessage:
    """One OIOXML file: an envelope and its letters (all of one namespace set)."""

    envelope: Envelope
    letters: tuple[Letter, ...]

    def __post_init__(self) -> None:
        if not self.letters:
            raise InvalidValue("an Emessage holds at least one letter")
