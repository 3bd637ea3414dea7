"""The FHIR Acknowledgement (MedCom 2.0): the answer to every FHIR message.

``ok`` accepts; ``transient-error`` says a technical problem stopped processing (an ``ok``
follows when solved); ``fatal-error`` rejects the message (do not resend unchanged). The
acknowledgement carries the acknowledged message's latest history event plus its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.carecommunication import Coding, Party


class AckCode(StrEnum):
    OK = "ok"
    TRANSIENT_ERROR = "transient-error"
    FATAL_ERROR = "fatal-error"


ERROR_CODES = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-acknowledgement-error-codes"
HL7_OUTCOME = "http://terminology.hl7.org/CodeSystem/operation-outcome"


@dataclass(frozen=True, slots=True)
class OutcomeIssue:
    """One OperationOutcome issue: FHIR severity and issue type, MedCom details code."""

    severity: str  # fatal | error | warning | information
    code: str  # FHIR IssueType, e.g. structure, value, processing
    details: Coding | None = None
    text: str | None = None
    expression: str | None = None  # where in the acknowledged message


@dataclass(frozen=True, slots=True)
class AckEvent:
    """A Provenance of an acknowledgement: the acked message's latest, or the ack's own."""

    message_id: str
    activity: str  # activity code as sent, e.g. new-message, reply-message, acknowledgement
    occurred: datetime
    agent: Party
    predecessor: str | None = None  # MessageHeader id the event answers
    recorded: datetime | None = None


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    bundle_id: str
    message_id: str
    timestamp: datetime
    sender: Party  # the acknowledging organisation (the original receiver)
    receiver: Party
    acknowledged_id: str  # MessageHeader.id of the acknowledged message
    code: AckCode
    history: tuple[AckEvent, ...]
    issues: tuple[OutcomeIssue, ...] = ()

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None:
            raise InvalidValue("the bundle timestamp needs a time zone")
        if self.code is not AckCode.OK and not self.issues:
            raise InvalidValue(
                "an error acknowledgement says what went wrong (medcom-acknowledgement-1)"
            )
