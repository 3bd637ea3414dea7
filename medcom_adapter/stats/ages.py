"""A referred child's age from the CPR number: the birth date and the century digit.

Replacement ids (X-eCPR, D-eCPR, other erstatnings-CPR) carry no century, so no age: they
are left out of the age distribution and counted apart.
"""

from __future__ import annotations

from datetime import date

from medcom_adapter.model.identifiers import Cpr
from medcom_adapter.model.parties import PersonId

# The bands a §126a offer reports on: the offer is for children of about 6 to 17.
BANDS = ("0-5 år", "6-9 år", "10-12 år", "13-15 år", "16-17 år", "18 år og derover")
_LOWER = (0, 6, 10, 13, 16, 18)


def age_on(person: PersonId, day: date) -> int | None:
    """Whole years on ``day``; None for a replacement id or a birth date after ``day``."""
    if not isinstance(person, Cpr):
        return None
    try:
        born = person.birth_date
    except ValueError:  # a date part that is no calendar date (read leniently elsewhere)
        return None
    if born > day:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def band(age: int) -> str:
    for lower, name in zip(reversed(_LOWER), reversed(BANDS), strict=True):
        if age >= lower:
            return name
    raise ValueError(age)
