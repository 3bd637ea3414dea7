"""Danish health identifiers as small value types that validate on construction.

Each type is a frozen dataclass with one ``value: str``; ``str()`` gives the value back.
Input is taken as it is: surrounding whitespace is an error, not stripped (the caller decides
whether stripping is right), and only ASCII digits count as digits.

CPR numbers and their replacements are sensitive: their reprs and error messages show only
the date part (``250947-xxxx``), never the whole number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Final, Literal

from medcom_adapter.conformance.leniency import has_own_checks, own_check
from medcom_adapter.errors import InvalidValue, OwnCheck

_CPR: Final = "CPR number"
_XECPR: Final = "X-eCPR"
_DECPR: Final = "D-eCPR"
_PERSON_ID: Final = "person identifier"
# Kinds whose values identify a person: never shown whole in messages or reprs.
_SENSITIVE_KINDS: Final = frozenset({_CPR, _XECPR, _DECPR, _PERSON_ID})


def _mask(value: object) -> str:
    """``DDMMYY-xxxx``; only the date part, and only when most of the value stays hidden."""
    if isinstance(value, str) and len(value) >= 10:
        return f"{value[:6]}-xxxx"
    return "xxxxxx-xxxx"


class InvalidIdentifier(InvalidValue):
    """An identifier of kind ``kind`` is malformed; ``reason`` says how.

    ``shown`` is the offending value as it may be shown: masked for CPR numbers and eCPRs.
    The message is ``"{kind}: {reason}"``.
    """

    def __init__(self, kind: str, value: object, reason: str) -> None:
        sensitive = kind in _SENSITIVE_KINDS
        if sensitive:
            # Safety net: raise sites do not put person ids in reasons, but make sure.
            shown = _mask(value)
            if isinstance(value, str):
                for raw in {value, value.strip()}:
                    if len(raw) > 6:
                        reason = reason.replace(raw, shown)
        else:
            shown = value if isinstance(value, str) else repr(value)
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason
        self.shown = shown


# Explicit [0-9]: str.isdigit() and \d also accept other scripts' digits ('١٢٣').
_DIGITS = re.compile(r"[0-9]*")


def _subject(kind: str, value: str) -> str:
    """How a reason starts: the value itself, unless it identifies a person."""
    return "" if kind in _SENSITIVE_KINDS else f"{value!r} "


def _text(kind: str, value: object) -> str:
    """``value`` as a string without surrounding whitespace, or InvalidIdentifier."""
    if not isinstance(value, str):
        raise InvalidIdentifier(kind, value, f"expected a string, got {type(value).__name__}")
    if value != value.strip():
        raise InvalidIdentifier(kind, value, "has leading or trailing whitespace")
    return value


def _digits(kind: str, value: object, low: int, high: int | None = None) -> str:
    """``value`` as a string of ``low``-``high`` ASCII digits, or InvalidIdentifier."""
    text = _text(kind, value)
    high = low if high is None else high
    if not _DIGITS.fullmatch(text):
        raise InvalidIdentifier(kind, text, f"{_subject(kind, text)}may only contain digits 0-9")
    if not low <= len(text) <= high:
        span = str(low) if low == high else f"{low}-{high}"
        raise InvalidIdentifier(
            kind, text, f"{_subject(kind, text)}must be {span} digits, got {len(text)}"
        )
    return text


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _cpr_year(yy: int, seventh: int) -> int:
    """The birth year by the CPR office's rule: the 7th digit gives the century."""
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:  # 5-8
        century = 2000 if yy <= 57 else 1800
    return century + yy


@has_own_checks
@dataclass(frozen=True, slots=True)
class Cpr:
    """A CPR number: DDMMYY + 4 digits, the 7th digit giving the century.

    No modulus-11 check: the CPR office stopped guaranteeing it in 2007, when numbers for
    some birth dates ran out, so valid numbers fail it (``passes_modulus11`` says, for
    information).

    The date part is our own check (MedCom's schemas ask for 10 digits only, and MedCom's test
    persons break it): refused when we build, a ``medcom.cpr-date`` warning when we read.
    """

    value: str
    kind: ClassVar[str] = _CPR

    def __post_init__(self) -> None:
        text = _text(self.kind, self.value)
        if len(text) == 11 and text[6] == "-" and _DIGITS.fullmatch(text[:6] + text[7:]):
            raise InvalidIdentifier(self.kind, text, "must be 10 digits, without the hyphen")
        _digits(self.kind, text, 10)
        day, month, year = int(text[:2]), int(text[2:4]), self._year()
        if not _valid_date(year, month, day):
            reason = f"date part {text[:6]} is not a valid date"
            if _valid_date(2000, month, day):  # 29 February; only the century makes it wrong
                reason += f": {year} is not a leap year"
            own_check(OwnCheck.CPR_DATE, InvalidIdentifier(self.kind, text, reason))

    def _year(self) -> int:
        return _cpr_year(int(self.value[4:6]), int(self.value[6]))

    @property
    def date_is_valid(self) -> bool:
        """Whether the date part is a calendar date (always, unless read from a peer)."""
        return _valid_date(self._year(), int(self.value[2:4]), int(self.value[:2]))

    @property
    def birth_date(self) -> date:
        if not self.date_is_valid:
            raise InvalidIdentifier(self.kind, self.value, f"date part {self.value[:6]} "
                                    "is not a valid date")
        return date(self._year(), int(self.value[2:4]), int(self.value[:2]))

    @property
    def sex(self) -> Literal["female", "male"]:
        return "female" if int(self.value[9]) % 2 == 0 else "male"

    @property
    def passes_modulus11(self) -> bool:
        weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
        return sum(int(d) * w for d, w in zip(self.value, weights, strict=True)) % 11 == 0

    def masked(self) -> str:
        """``DDMMYY-xxxx``: the birth date part only."""
        return _mask(self.value)

    def __repr__(self) -> str:
        return f"Cpr('{self.masked()}')"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class _ECpr:
    """Replacement CPR: DDMMYY, a marker digit, two letters A-Z, a digit.

    The year cannot be resolved (no century rule), so 29 February is allowed in any year.
    """

    value: str
    kind: ClassVar[str] = "eCPR"
    seventh: ClassVar[str] = ""  # the marker digits this kind allows

    def __post_init__(self) -> None:
        text = _text(self.kind, self.value)
        if len(text) != 10:
            raise InvalidIdentifier(self.kind, text, f"must be 10 characters, got {len(text)}")
        if not _DIGITS.fullmatch(text[:6]):
            raise InvalidIdentifier(self.kind, text, "characters 1-6 must be DDMMYY in digits 0-9")
        if text[6] not in self.seventh:
            allowed = "/".join(self.seventh)
            raise InvalidIdentifier(
                self.kind, text, f"7th character must be one of {allowed}, got {text[6]!r}"
            )
        if not re.fullmatch(r"[A-Z]{2}", text[7:9]):
            raise InvalidIdentifier(self.kind, text, "characters 8-9 must be letters A-Z")
        if not _DIGITS.fullmatch(text[9]):
            raise InvalidIdentifier(self.kind, text, "10th character must be a digit 0-9")
        if not _valid_date(2000, int(text[2:4]), int(text[:2])):  # 2000: a leap year
            raise InvalidIdentifier(
                self.kind, text, f"date part {text[:6]} is not a valid day and month"
            )

    def masked(self) -> str:
        """``DDMMYY-xxxx``: the date part only."""
        return _mask(self.value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self.masked()}')"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True, repr=False)
class XeCpr(_ECpr):
    """National replacement CPR (X-eCPR, ``urn:oid:1.2.208.176.1.6.1.1``), e.g. 0703921VJ5."""

    kind: ClassVar[str] = _XECPR
    seventh: ClassVar[str] = "17"


@dataclass(frozen=True, slots=True, repr=False)
class DeCpr(_ECpr):
    """Decentral replacement CPR (D-eCPR), issued locally, mostly by the regions."""

    kind: ClassVar[str] = _DECPR
    seventh: ClassVar[str] = "056"


_PERSON_ID_SHAPES = (
    f"a CPR number (10 digits), an {_XECPR} (DDMMYY, {'/'.join(XeCpr.seventh)}, two letters "
    f"A-Z, a digit) or a {_DECPR} (DDMMYY, {'/'.join(DeCpr.seventh)}, two letters A-Z, a digit)"
)


def parse_person_id(value: str) -> Cpr | XeCpr | DeCpr:
    """The CPR number, X-eCPR or D-eCPR that ``value`` is; its 7th character decides."""
    text = _text(_PERSON_ID, value)
    if _DIGITS.fullmatch(text):
        return Cpr(text)
    if len(text) != 10:
        raise InvalidIdentifier(
            _PERSON_ID, text, f"expected {_PERSON_ID_SHAPES}; got {len(text)} characters"
        )
    if text[6] in XeCpr.seventh:
        return XeCpr(text)
    if text[6] in DeCpr.seventh:
        return DeCpr(text)
    raise InvalidIdentifier(
        _PERSON_ID, text, f"expected {_PERSON_ID_SHAPES}; 7th character is {text[6]!r}"
    )


def _gs1_check_digit(first12: str) -> str:
    # weights 1, 3, 1, 3, ... from the left
    total = sum(map(int, first12[::2])) + 3 * sum(map(int, first12[1::2]))
    return str((10 - total % 10) % 10)


@dataclass(frozen=True, slots=True)
class Gln:
    """GS1 Global Location Number, MedCom's EAN / lokationsnummer: 13 digits, mod-10 check."""

    value: str
    kind: ClassVar[str] = "GLN (EAN location number)"

    def __post_init__(self) -> None:
        text = _digits(self.kind, self.value, 13)
        expected = _gs1_check_digit(text[:12])
        if text[12] != expected:
            raise InvalidIdentifier(
                self.kind, text, f"{text} has check digit {text[12]}, expected {expected}"
            )

    @classmethod
    def with_check_digit(cls, first12: str) -> Gln:
        """The GLN made of ``first12`` and its GS1 check digit."""
        text = _digits(cls.kind, first12, 12)
        return cls(text + _gs1_check_digit(text))

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
            raise InvalidIdentifier(self.kind, self.value, "must be 1-35 characters")

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


# Verhoeff tables (dihedral group D5): SOR ids are SNOMED-CT-style ids, whose check digit
# is a Verhoeff digit.
_VERHOEFF_D: Final = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6), (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4), (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
# Row k of the permutation table is sigma applied k times; derived rather than typed out,
# since one mistyped row still gives one check digit per number but misses transpositions.
_VERHOEFF_SIGMA: Final = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)


def _verhoeff_rows() -> tuple[tuple[int, ...], ...]:
    rows = [tuple(range(10))]
    for _ in range(7):
        rows.append(tuple(_VERHOEFF_SIGMA[x] for x in rows[-1]))
    return tuple(rows)


_VERHOEFF_P: Final = _verhoeff_rows()


def _passes_verhoeff(digits: str) -> bool:
    check = 0
    for i, digit in enumerate(map(int, reversed(digits))):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][digit]]
    return check == 0


@dataclass(frozen=True, slots=True)
class SorId:
    """A SOR id (Sundhedsvæsenets Organisationsregister): 6-18 digits, no leading zero.

    The Verhoeff check digit is offered (``passes_verhoeff``), not enforced, so that no
    partner is refused on our arithmetic alone. (A mistyped Verhoeff table once made ids from
    MedCom's own examples look invalid; with the correct table they all pass.)
    """

    value: str
    kind: ClassVar[str] = "SOR id"

    def __post_init__(self) -> None:
        text = _digits(self.kind, self.value, 6, 18)
        if text[0] == "0":
            raise InvalidIdentifier(self.kind, text, f"{text!r} starts with 0")

    @property
    def passes_verhoeff(self) -> bool:
        return _passes_verhoeff(self.value)

    @property
    def in_danish_namespace(self) -> bool:
        """SNOMED CT extension namespace 1000016 (Denmark), before partition and check."""
        return self.value[-10:-3] == "1000016"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Ydernummer:
    """A practice's provider number in the national health insurance: 6 digits.

    Leading zeros are part of the number (``079741``), hence a string, not an int.
    """

    value: str
    kind: ClassVar[str] = "ydernummer"

    def __post_init__(self) -> None:
        _digits(self.kind, self.value, 6)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Kommunenummer:
    """A municipality code: 3 digits, 101-860 (``101`` København, ``461`` Odense)."""

    value: str
    kind: ClassVar[str] = "kommunenummer"

    def __post_init__(self) -> None:
        text = _digits(self.kind, self.value, 3)
        if not 101 <= int(text) <= 860:
            raise InvalidIdentifier(self.kind, text, f"{text} is outside 101-860")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Sygehusafdelingsnummer:
    """A hospital department code (SKS/SHAK): 4-digit hospital + 3 of 0-9/A-Z, e.g. 130139A."""

    value: str
    kind: ClassVar[str] = "sygehusafdelingsnummer"

    def __post_init__(self) -> None:
        text = _text(self.kind, self.value)
        if len(text) != 7:
            raise InvalidIdentifier(
                self.kind, text, f"{text!r} must be 7 characters, got {len(text)}"
            )
        if not _DIGITS.fullmatch(text[:4]):
            raise InvalidIdentifier(
                self.kind, text, f"{text!r} must start with a 4-digit hospital code"
            )
        if not re.fullmatch(r"[0-9A-Z]{3}", text[4:]):
            raise InvalidIdentifier(
                self.kind, text, f"{text!r} must end with 3 of 0-9 or uppercase A-Z"
            )

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
