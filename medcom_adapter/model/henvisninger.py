"""Henvisninger of a §126a course as KL's data standard records them, message or not.

A course (forløbs-ID) refers the child on one or more times, each a dated record of one
class. Some travel as MedCom messages (a referral to BUP, a KM to the GP); others (civil
society, another municipality's offer) travel with none and are recorded by hand. A record
is never changed: a correction is a new record that ``supersedes`` the old one, and a
withdrawal is a record that supersedes it with ``withdrawn`` set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from medcom_adapter.errors import InvalidValue, SupersedeRefused
from medcom_adapter.model.classification import Classification, Henvisning
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.model.parties import PersonId


@dataclass(frozen=True, slots=True)
class HenvisningRecord:
    """What is recorded: the data standard's fields for one henvisning."""

    course_id: UUID  # forløbs-ID
    referred_on: date
    henvisning: Henvisning
    patient: PersonId
    unit: SorId  # the reporting unit's SOR id


@dataclass(frozen=True, slots=True)
class Carrier:
    """The message a henvisning travelled with."""

    journal_id: int
    kind: str
    envelope_id: str


@dataclass(frozen=True, slots=True)
class RecordedHenvisning:
    """A henvisning as the journal holds it.

    ``id`` is a record's UUID, or ``message-<journal id>-<class>`` for one that travelled
    with a message and was classified when the message was written.
    """

    id: str
    record: HenvisningRecord
    recorded_at: datetime
    recorded_by: str
    carrier: Carrier | None = None
    supersedes: str | None = None
    withdrawn: bool = False

    def __post_init__(self) -> None:
        if self.supersedes == self.id:
            raise InvalidValue("a henvisning record cannot supersede itself")


def message_record_id(journal_id: int, henvisning: Henvisning) -> str:
    return f"message-{journal_id}-{henvisning.value}"


def from_classification(c: Classification, carrier: Carrier,
                        recorded_at: datetime, recorded_by: str) -> list[RecordedHenvisning]:
    """The henvisninger a classified message carries: one per class."""
    return [RecordedHenvisning(
        message_record_id(carrier.journal_id, h),
        HenvisningRecord(c.course_id, c.referred_on, h, c.patient, c.unit),
        recorded_at, recorded_by, carrier) for h in c.classes]


def check_supersedes(supersedes: str, unit: str, course_id: str,
                     record: HenvisningRecord, *, same_child: bool) -> None:
    """Refuse ``record`` superseding a record of ``unit`` and ``course_id`` elsewhere, or of
    another child (``same_child`` False): a correction stays in its unit, course and child,
    or it would hide another unit's henvisning from that unit's export, or move one child's
    henvisning to another (withdraw it there and record it anew instead)."""
    if unit != record.unit.value or course_id != str(record.course_id):
        raise SupersedeRefused(
            f"henvisning {supersedes} is of unit {unit}, course {course_id}: a record of "
            f"unit {record.unit.value}, course {record.course_id} cannot supersede it")
    if not same_child:  # named without either person id: errors never carry one
        raise SupersedeRefused(
            f"henvisning {supersedes} is of another child: a correction keeps its child "
            "(withdraw it and record the henvisning anew for the right child)")


def current(records: list[RecordedHenvisning]) -> list[RecordedHenvisning]:
    """The records in force: neither superseded by a later record nor withdrawals."""
    replaced = {r.supersedes for r in records if r.supersedes is not None}
    return [r for r in records if r.id not in replaced and not r.withdrawn]


def henvisning_class(text: str) -> Henvisning:
    """A class from its code (``civilsamfund``) or its Danish term (``Civilsamfund``)."""
    wanted = text.strip().casefold()
    for h in Henvisning:
        if wanted in (h.value, h.display.casefold()):
            return h
    known = ", ".join(h.value for h in Henvisning)
    raise InvalidValue(f"henvisning class {text!r} is not one of the data standard's: {known}")
