"""The henvisning classification of the national §126a data standard.

Every referral a §126a offer sends is recorded with one or more of these six classes (where
the child was referred on to). The ``code`` values are this project's stable identifiers;
``display`` is the data standard's Danish wording, shown to people and written to exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.model.parties import Organisation, PersonId


class Henvisning(StrEnum):
    """Where a §126a course referred the child on to."""

    OTHER_MUNICIPALITY_126A = "126a-anden-kommune"
    CHILD_PSYCHIATRY = "boerne-ungdomspsykiatri"
    GENERAL_PRACTITIONER = "almen-praksis"
    OTHER_HOME_MUNICIPALITY = "andet-hjemkommune"
    CIVIL_SOCIETY = "civilsamfund"
    OTHER = "andet"

    @property
    def display(self) -> str:
        return _DISPLAY[self]


_DISPLAY = {
    Henvisning.OTHER_MUNICIPALITY_126A: "§126a-tilbud i anden kommune",
    Henvisning.CHILD_PSYCHIATRY: "Børne- og ungdomspsykiatri",
    Henvisning.GENERAL_PRACTITIONER: "Alment praktiserende læge",
    Henvisning.OTHER_HOME_MUNICIPALITY: "Andet tilbud i hjemkommune",
    Henvisning.CIVIL_SOCIETY: "Civilsamfund",
    Henvisning.OTHER: "Andet",
}


@dataclass(frozen=True, slots=True)
class Classification:
    """One referral's record for the §126a data standard."""

    course_id: UUID  # forløbs-ID
    referred_on: date
    patient: PersonId
    unit: SorId  # the sending unit's SOR id
    classes: tuple[Henvisning, ...]

    def __post_init__(self) -> None:
        if not self.classes:
            raise InvalidValue("a referral is classified with at least one henvisning class")
        if len(set(self.classes)) != len(self.classes):
            raise InvalidValue("a henvisning class is recorded once per referral")


# Receivers whose henvisning class is plain from their MedCom speciality code.
_BY_SPECIALITY = {
    "boerne_ungdomspsykiatri": Henvisning.CHILD_PSYCHIATRY,
    "boernepsykiatri": Henvisning.CHILD_PSYCHIATRY,
    "almen_medicin": Henvisning.GENERAL_PRACTITIONER,
}
_CHILD_PSYCHIATRY_NAMES = ("børne- og ungdomspsykiatri", "børne og ungdomspsykiatri",
                           "børne- og ungepsykiatri")


def default_henvisning(receiver: Organisation) -> tuple[Henvisning, ...]:
    """The class a referral to ``receiver`` gets unless the sender chooses otherwise: child
    psychiatry for a BUP department, general practice for a GP; empty when not obvious."""
    if receiver.speciality is not None and str(receiver.speciality) in _BY_SPECIALITY:
        return (_BY_SPECIALITY[str(receiver.speciality)],)
    names = " ".join(n for n in (receiver.name, receiver.department, receiver.unit) if n)
    words = names.casefold().replace(",", " ").split()
    if any(n in names.casefold() for n in _CHILD_PSYCHIATRY_NAMES) or "bup" in words:
        return (Henvisning.CHILD_PSYCHIATRY,)
    return ()
