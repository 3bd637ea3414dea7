"""Danish health identifiers as small value types that validate on construction.

CPR numbers and their replacements are sensitive: their reprs and error messages show only
the date part (``250947-xxxx``), never the whole number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

from medcom_adapter.errors import InvalidValue


class InvalidIdentifier(InvalidValue):
    """An identifier of kind ``kind`` is malformed; ``reason`` says how."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


_DIGITS = re.compile(r"[0-9]+")


def _digits(kind: str, value: str, length: int | tuple[int, int], shown: str) -> None:
    low, high = (length, length) if isinstance(length, int) else length
    span = str(low) if low == high else f"{low}-{high}"
    if not isinstance(value, str) or not _DIGITS.fullmatch(value) or not low <= len(value) <= high:
        raise InvalidIdentifier(kind, f"{shown} must be {span} digits")


def _mask(value: str) -> str:
    return f"{value[:6]}-xxxx" if len(value) >= 6 else "xxxx"


def _day_month_ok(ddmm: str, *, year: int | None) -> bool:
    """DDMM is a real day; with no year, 29 February is allowed (as for a leap year)."""
    day, month = int(ddmm[:2]), int(ddmm[2:4])
    try:
        date(2000 if year is None else year, month, day)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Cpr:
    """A CPR number: DDMMYY + 4 digits, the century given by the 7th digit.

    No modulus-11 check: numbers issued since 2007 need not satisfy it.
    """

    value: str
    kind: ClassVar[str] = "CPR number"

    def __post_init__(self) -> None:
        _digits(self.kind, self.value, 10, "a CPR number")
        if not _day_month_ok(self.value[:4], year=self._year()):
            raise InvalidIdentifier(self.kind, f"date part {self.value[:6]} is not a valid date")

    def _year(self) -> int:
        yy, seventh = int(self.value[4:6]), int(self.value[6])
        if seventh <= 3:
            century = 1900
        elif seventh in (4, 9):
            century = 2000 if yy <= 36 else 1900
        else:
            century = 2000 if yy <= 57 else 1800
        return century + yy

    @property
    def birth_date(self) -> date:
        return date(self._year(), int(self.value[2:4]), int(self.value[:2]))

    @property
    def sex(self) -> Literal["female", "male"]:
        return "female" if int(self.value[9]) % 2 == 0 else "male"

    @property
    def passes_modulus11(self) -> bool:
        weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
        return sum(int(d) * w for d, w in zip(self.value, weights, strict=True)) % 11 == 0

    def masked(self) -> str:
        return _mask(self.value)

    def __repr__(self) -> str:
        return f"Cpr('{self.masked()}')"

    def __str__(self) -> str:
        return self.value


_ECPR = re.compile(r"[0-9]{6}([0-9])[A-Z]{2}[0-9]")


@dataclass(frozen=True, slots=True)
class _ECpr:
    value: str
    kind: ClassVar[str] = "eCPR"
    seventh: ClassVar[str] = ""

    def __post_init__(self) -> None:
        match = _ECPR.fullmatch(self.value) if isinstance(self.value, str) else None
        if match is None or match.group(1) not in self.seventh:
            raise InvalidIdentifier(
                self.kind,
                f"expected DDMMYY, one of {'/'.join(self.seventh)}, two letters A-Z, a digit",
            )
        if not _day_month_ok(self.value[:4], year=None):
            raise InvalidIdentifier(self.kind, f"date part {self.value[:6]} is not a valid date")

    def masked(self) -> str:
        return _mask(self.value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self.masked()}')"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True, repr=False)
class XeCpr(_ECpr):
    """National replacement CPR (X-eCPR), issued by the Danish Health Data Authority."""

    kind: ClassVar[str] = "X-eCPR"
    seventh: ClassVar[str] = "17"


@dataclass(frozen=True, slots=True, repr=False)
class DeCpr(_ECpr):
    """Decentral replacement CPR (D-eCPR), issued locally, mostly by the regions."""

    kind: ClassVar[str] = "D-eCPR"
    seventh: ClassVar[str] = "056"


def parse_person_id(value: str) -> Cpr | XeCpr | DeCpr:
    """The CPR, X-eCPR or D-eCPR that ``value`` is."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return Cpr(value)
    if isinstance(value, str) and len(value) == 10 and value[6] in XeCpr.seventh:
        return XeCpr(value)
    if isinstance(value, str) and len(value) == 10 and value[6] in DeCpr.seventh:
        return DeCpr(value)
    raise InvalidIdentifier("person identifier", "not a CPR number, X-eCPR or D-eCPR")


@dataclass(frozen=True, slots=True)
class Gln:
    """GS1 Global Location Number, MedCom's EAN / lokationsnummer: 13 digits, mod-10 check."""

    value: str
    kind: ClassVar[str] = "GLN (EAN location number)"

    def __post_init__(self) -> None:
        _digits(self.kind, self.value, 13, repr(self.value))
        if self.value[12] != _gs1_check_digit(self.value[:12]):
            raise InvalidIdentifier(self.kind, f"{self.value} has a wrong check digit")

    @classmethod
    def with_check_digit(cls, first12: str) -> Gln:
        _digits(cls.kind, first12, 12, "the first part")
        return cls(first12 + _gs1_check_digit(first12))

    def __str__(self) -> str:
        return self.value


Ean = Gln


@dataclass(frozen=True, slots=True)
class LocationNumber:
    """An EANIdentifier as MedCom's schemas define it: 1-35 characters.

    In practice it is a GLN (``gln`` gives it when the check digit holds). Received messages
    are taken as they are, since even MedCom's examples carry numbers with wrong check
    digits; what we send is checked to be a real GLN.
    """

    value: str
    kind: ClassVar[str] = "location number"

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not 1 <= len(self.value) <= 35:
            raise InvalidIdentifier(self.kind, "must be 1-35 characters")

    @classmethod
    def of(cls, gln: Gln | str) -> LocationNumber:
        return cls(str(gln))

    @property
    def gln(self) -> Gln | None:
        try:
            return Gln(self.value)
        except InvalidIdentifier:
            return None

    def __str__(self) -> str:
        return self.value


def _gs1_check_digit(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


# Verhoeff tables (dihedral group D5), for SOR ids, which are SNOMED-CT-style ids.
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 7, 6, 8, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


@dataclass(frozen=True, slots=True)
class SorId:
    """A SOR id (Sundhedsvæsenets Organisationsregister): 6-18 digits, no leading zero.

    The Verhoeff check digit is offered, not enforced: MedCom's own test data has SOR ids
    that fail it.
    """

    value: str
    kind: ClassVar[str] = "SOR id"

    def __post_init__(self) -> None:
        _digits(self.kind, self.value, (6, 18), repr(self.value))
        if self.value[0] == "0":
            raise InvalidIdentifier(self.kind, f"{self.value!r} starts with 0")

    @property
    def passes_verhoeff(self) -> bool:
        check = 0
        for i, digit in enumerate(reversed(self.value)):
            check = _D[check][_P[i % 8][int(digit)]]
        return check == 0

    @property
    def in_danish_namespace(self) -> bool:
        return self.value[-10:-3] == "1000016"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Ydernummer:
    """A practice's provider number in the national health insurance: 6 digits."""

    value: str
    kind: ClassVar[str] = "ydernummer"

    def __post_init__(self) -> None:
        _digits(self.kind, self.value, 6, repr(self.value))

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Kommunenummer:
    """A municipality code: 3 digits, 101-860."""

    value: str
    kind: ClassVar[str] = "kommunenummer"

    def __post_init__(self) -> None:
        _digits(self.kind, self.value, 3, repr(self.value))
        if not 101 <= int(self.value) <= 860:
            raise InvalidIdentifier(self.kind, f"{self.value} is outside 101-860")

    def __str__(self) -> str:
        return self.value


_DEPARTMENT = re.compile(r"[0-9]{4}[0-9A-Z]{3}")


@dataclass(frozen=True, slots=True)
class Sygehusafdelingsnummer:
    """A hospital department code (SHAK): 4-digit hospital + 3 characters, e.g. 130139A."""

    value: str
    kind: ClassVar[str] = "sygehusafdelingsnummer"

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not _DEPARTMENT.fullmatch(self.value):
            raise InvalidIdentifier(self.kind, f"{self.value!r} is not 4 digits + 3 of 0-9/A-Z")

    def __str__(self) -> str:
        return self.value


__all__ = [
    "Cpr",
    "DeCpr",
    "Ean",
    "Gln",
    "InvalidIdentifier",
    "Kommunenummer",
    "LocationNumber",
    "SorId",
    "Sygehusafdelingsnummer",
    "XeCpr",
    "Ydernummer",
    "parse_person_id",
]
