"""The parties of a letter: organisations, the referring person, the patient, a relative."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from medcom_adapter.conformance.leniency import has_own_checks, own_check
from medcom_adapter.errors import InvalidValue, OwnCheck
from medcom_adapter.model.codes import (
    IdentifierCode,
    MedicalSpeciality,
    RelationCode,
    TelephoneCode,
)
from medcom_adapter.model.identifiers import (
    Cpr,
    DeCpr,
    Gln,
    InvalidIdentifier,
    Kommunenummer,
    LocationNumber,
    SorId,
    Sygehusafdelingsnummer,
    XeCpr,
    Ydernummer,
    parse_person_id,
)


@dataclass(frozen=True, slots=True)
class AlternativeId:
    """An erstatnings-CPR in a form that is neither X-eCPR nor D-eCPR (10 characters)."""

    value: str

    def __post_init__(self) -> None:
        if len(self.value) != 10:
            raise InvalidValue("alternative person identifier must be 10 characters")
        if self.value.isascii() and self.value.isdigit():
            Cpr(self.value)  # ten digits is a CPR number: its own rules apply
        try:
            parse_person_id(self.value)
        except InvalidIdentifier:
            return
        raise InvalidValue("identifier is a CPR or eCPR; use that type, not AlternativeId")

    def __repr__(self) -> str:
        return f"AlternativeId('{self.value[:6]}xxxx')"

    def __str__(self) -> str:
        return self.value


PersonId = Cpr | XeCpr | DeCpr | AlternativeId


def outbound_person_id(value: str, *, replacement: bool = False) -> PersonId:
    """A patient id we send: a valid CPR number, or, only when the caller marks it as one
    (``replacement``), a replacement id: X-eCPR, D-eCPR or another 10-character
    erstatnings-CPR. Anything else is refused: a referral without the child's id is of no use
    to its receiver."""
    if not replacement:
        try:
            return Cpr(value)
        except InvalidIdentifier as exc:
            raise InvalidValue(f"{exc.message}; a replacement id (eCPR or another replacement "
                               "CPR) must be marked as one") from None
    try:
        found = parse_person_id(value)
    except InvalidIdentifier:
        return AlternativeId(value)
    if isinstance(found, Cpr):
        raise InvalidValue("a CPR number is not a replacement id: send it unmarked")
    return found


def person_id(value: str) -> PersonId:
    """The most specific identifier type for a patient id read from a message."""
    try:
        return parse_person_id(value)
    except InvalidIdentifier:
        return AlternativeId(value)


# How the Identifier of an organisation is checked, per IdentifierCode. ``amt`` (county,
# abolished 2007) has no format rule left to check.
_IDENTIFIER_RULES: dict[IdentifierCode, Callable[[str], object] | None] = {
    IdentifierCode.HOSPITAL_DEPARTMENT: Sygehusafdelingsnummer,
    IdentifierCode.PROVIDER_NUMBER: Ydernummer,
    IdentifierCode.LOCATION_NUMBER: Gln,
    IdentifierCode.MUNICIPALITY: Kommunenummer,
    IdentifierCode.COUNTY: None,
    IdentifierCode.SOR: SorId,
}


def check_identifier(identifier: str, code: IdentifierCode) -> str:
    """``identifier`` if it is a valid number of kind ``code``; InvalidValue if not.

    The shapes are our own checks: MedCom's schemas give the Identifier 1-17 characters
    whatever its IdentifierCode. Refused when we build, a warning when we read."""
    rule = _IDENTIFIER_RULES[code]
    if rule is not None:
        try:
            rule(identifier)
        except InvalidValue as exc:
            own_check(OwnCheck.IDENTIFIER_SHAPE, exc)
    return identifier


@dataclass(frozen=True, slots=True)
class Address:
    street: str | None = None
    suburb: str | None = None
    district: str | None = None
    postcode: str | None = None


@dataclass(frozen=True, slots=True)
class Telephone:
    number: str
    kind: TelephoneCode


@has_own_checks
@dataclass(frozen=True, slots=True)
class Organisation:
    """A sender or receiver: location number (EAN/GLN) plus a qualified local identifier."""

    ean: LocationNumber
    identifier: str
    identifier_code: IdentifierCode
    name: str | None = None
    department: str | None = None
    unit: str | None = None
    address: Address = field(default_factory=Address)
    phone: str | None = None
    speciality: MedicalSpeciality | None = None

    def __post_init__(self) -> None:
        if isinstance(self.ean, Gln):  # accept a Gln where a location number is expected
            object.__setattr__(self, "ean", LocationNumber.of(self.ean))
        check_identifier(self.identifier, self.identifier_code)


@has_own_checks
@dataclass(frozen=True, slots=True)
class CcReceiver:
    """Who should receive a copy of the answer (AnswerCCReceiver)."""

    identifier: str
    identifier_code: IdentifierCode
    name: str | None = None
    department: str | None = None
    unit: str | None = None
    address: Address = field(default_factory=Address)
    phone: str | None = None

    def __post_init__(self) -> None:
        check_identifier(self.identifier, self.identifier_code)


@has_own_checks
@dataclass(frozen=True, slots=True)
class Referrer:
    """The person who refers (Sender/Referrer), e.g. the PPR psychologist."""

    name: str
    title: str | None = None
    identifier: str | None = None
    identifier_code: IdentifierCode | None = None

    def __post_init__(self) -> None:
        # MedCom's schema has each of the two optional on its own; one without the other
        # says less than it should, so we never build it, but read it (keeping the half)
        if (self.identifier is None) != (self.identifier_code is None):
            missing = "identifier code" if self.identifier_code is None else "identifier"
            own_check(OwnCheck.REFERRER_IDENTIFIER, InvalidValue(
                f"referrer identifier and identifier code go together: the {missing} is missing"))
        if self.identifier is not None and self.identifier_code is not None:
            check_identifier(self.identifier, self.identifier_code)


@dataclass(frozen=True, slots=True)
class Patient:
    id: PersonId
    surname: str
    given_name: str | None = None
    title: str | None = None
    address: Address = field(default_factory=Address)
    phones: tuple[Telephone, ...] = ()
    email: str | None = None

    def __post_init__(self) -> None:
        if len(self.phones) > 3:
            raise InvalidValue("a patient has at most 3 telephone numbers")


@dataclass(frozen=True, slots=True)
class Relative:
    """The patient's relative, typically a parent of the child (only one per referral)."""

    relation: RelationCode
    surname: str
    given_name: str | None = None
    person_id: str | None = field(default=None, repr=False)
