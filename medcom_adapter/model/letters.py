"""The referral (XREF01) and binary letters (XBIN01/02), and the pieces they share.

The model is version-neutral: the same Referral can be written as XH0131R or XH0130R, as far
as each version can carry it (the builders say clearly when it cannot).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from medcom_adapter.conformance.leniency import has_own_checks, own_check
from medcom_adapter.errors import InvalidValue, OwnCheck
from medcom_adapter.model.codes import (
    DiagnoseDescriptionCode,
    DiagnoseTypeCode,
    HospitalChoice,
    InformationCode,
    LetterStatus,
    ObjectCode,
    ObjectExtensionCode,
    Priority,
    ReferralStatus,
    Transport,
)
from medcom_adapter.model.parties import CcReceiver, Organisation, Patient, Referrer, Relative
from medcom_adapter.model.text import FormattedText


def minute_precision(value: datetime) -> datetime:
    # MedCom carries Date + hh:mm without zone; the model keeps exactly that.
    if value.tzinfo is not None or value.second or value.microsecond:
        raise InvalidValue("MedCom times are local, to the minute (no zone, no seconds)")
    return value


@dataclass(frozen=True, slots=True)
class LetterHeader:
    """The Letter element every letter starts with (TypeCode/VersionCode come from the version)."""

    identifier: str
    authorised: datetime
    status: LetterStatus = LetterStatus.NEW
    statistical_code: str | None = None  # None: the letter's TypeCode, as MedCom's examples do

    def __post_init__(self) -> None:
        minute_precision(self.authorised)


_DASHED_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_UUID = re.compile(r"[0-9a-fA-F]{32}")


def is_dashed_uuid(value: str) -> bool:
    """Whether ``value`` is a UUID spelt 8-4-4-4-12 hex digits (any case)."""
    return _DASHED_UUID.fullmatch(value) is not None


def canonical_uuid(value: str) -> str:
    """UUID-shaped ids (32 hex, or dashed, any case) in one spelling; others unchanged.

    OIOXML id fields are at most 35 characters, so a dashed UUID (36) is written as 32 hex
    digits; the model keeps the canonical dashed form so both spellings compare equal.
    The two usual spellings are rewritten directly (a few per message); any other is
    uuid.UUID's to judge (braces, a urn:uuid: prefix, dashes elsewhere).
    """
    if is_dashed_uuid(value):
        return value.lower()
    if _HEX_UUID.fullmatch(value):
        low = value.lower()
        return f"{low[:8]}-{low[8:12]}-{low[12:16]}-{low[16:20]}-{low[20:]}"
    try:
        return str(uuid.UUID(value)) if len(value) in (32, 36) else value
    except ValueError:
        return value


@dataclass(frozen=True, slots=True)
class EpisodeOfCare:
    """A course id (forløbs-ID), e.g. the §126a course UUID. ``type`` says whose id it is;
    XH0130R carries no type."""

    identifier: str
    type: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "identifier", canonical_uuid(self.identifier))


# An SKS diagnosis code: D, the ICD-10 chapter letter, then digits and SKS's own subdivisions
# (DF419, DF840A). The schema asks only for 1-17 characters: our own check.
_SKS_DIAGNOSIS = re.compile(r"D[A-Z][0-9]{2}[0-9A-Z]{0,6}")


@has_own_checks
@dataclass(frozen=True, slots=True)
class Diagnosis:
    text: str
    type: DiagnoseTypeCode
    code: str | None = None
    description: DiagnoseDescriptionCode | None = None

    def __post_init__(self) -> None:
        if (self.type is DiagnoseTypeCode.SKS and self.code is not None
                and not _SKS_DIAGNOSIS.fullmatch(self.code)):
            own_check(OwnCheck.SKS_CODE, InvalidValue(
                f"diagnosis code {self.code!r} is not an SKS diagnosis code (D, a letter, two "
                "digits, up to six more digits or capitals, e.g. DF419)"))


@dataclass(frozen=True, slots=True)
class ObjectId:
    """Id linking a BIN reference to its BinaryObject.

    MedCom uses GUIDs: 32 hex digits in most sets, a dashed UUID in XB0131X. UUID-shaped
    values are normalised (lower case, dashed) so both spellings compare equal; anything
    else is kept verbatim.
    """

    value: str

    def __post_init__(self) -> None:
        canonical = canonical_uuid(self.value)
        if len(canonical) != 36 and not 1 <= len(canonical) <= 35:
            raise InvalidValue("object identifier must be a UUID or 1-35 characters")
        object.__setattr__(self, "value", canonical)

    def __str__(self) -> str:  # the id as written, e.g. when journaled
        return self.value

    @classmethod
    def new(cls) -> ObjectId:
        return cls(str(uuid.uuid4()))

    @property
    def uuid(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.value)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class BinaryRef:
    """A reference to a binary object sent in a separate XBIN letter."""

    object_id: ObjectId
    object_code: ObjectCode
    extension: ObjectExtensionCode
    size: int


@dataclass(frozen=True, slots=True)
class UrlRef:
    url: str


@dataclass(frozen=True, slots=True)
class SupplementaryRef:
    """Supplementary information is sent separately (SUP=true)."""


@dataclass(frozen=True, slots=True)
class Reference:
    description: str
    target: BinaryRef | UrlRef | SupplementaryRef


@dataclass(frozen=True, slots=True)
class Visitation:
    """A receiving hospital's visitation note (HospitalVisitation)."""

    code: InformationCode
    information: FormattedText


@dataclass(frozen=True, slots=True)
class ClinicalInformation:
    """RelevantClinicalInformation of a referral."""

    cave: FormattedText | None = None
    anamnesis: FormattedText | None = None
    examination: FormattedText | None = None
    actual_medicine: FormattedText | None = None

    def __bool__(self) -> bool:
        return any((self.cave, self.anamnesis, self.examination, self.actual_medicine))


@dataclass(frozen=True, slots=True)
class Referral:
    """A hospital referral (sygehushenvisning, XREF01)."""

    letter: LetterHeader
    sender: Organisation
    referrer: Referrer
    receiver: Organisation
    patient: Patient
    episodes: tuple[EpisodeOfCare, ...] = ()
    answer_cc: CcReceiver | None = None
    relative: Relative | None = None
    priority: Priority | None = None
    referral_status: ReferralStatus | None = None
    transport: Transport | None = None
    supplementary: FormattedText | None = None
    clinical_reason: FormattedText | None = None
    hospital_choice: HospitalChoice | None = None
    diagnosis: Diagnosis | None = None
    additional_diagnoses: tuple[Diagnosis, ...] = ()
    clinical_information: ClinicalInformation = field(default_factory=ClinicalInformation)
    references: tuple[Reference, ...] = ()
    visitations: tuple[Visitation, ...] = ()

    def __post_init__(self) -> None:
        for name, items, limit in (
            ("additional diagnoses", self.additional_diagnoses, 5),
            ("references", self.references, 10),
            ("hospital visitations", self.visitations, 9),
        ):
            if len(items) > limit:
                raise InvalidValue(f"a referral has at most {limit} {name}, got {len(items)}")

    @property
    def binary_refs(self) -> tuple[BinaryRef, ...]:
        return tuple(r.target for r in self.references if isinstance(r.target, BinaryRef))


@dataclass(frozen=True, slots=True)
class BinaryObject:
    """One attached file (BinaryObject): its bytes and how to label them."""

    object_id: ObjectId
    object_code: ObjectCode
    extension: ObjectExtensionCode
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)

    def reference(self, description: str) -> Reference:
        """The Reference/BIN a letter uses to point at this object."""
        target = BinaryRef(self.object_id, self.object_code, self.extension, self.size)
        return Reference(description, target)


@dataclass(frozen=True, slots=True)
class BinaryLetter:
    """A binary letter (XBIN01, or XBIN02 for referral attachments) carrying 1-10 objects.

    It is about a patient, or is system information (``patient`` None, ``contents`` the
    optional description).
    """

    letter: LetterHeader
    sender: Organisation
    receiver: Organisation
    objects: tuple[BinaryObject, ...]
    patient: Patient | None = None
    contents: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.objects) <= 10:
            raise InvalidValue(f"a binary letter carries 1-10 objects, got {len(self.objects)}")
        if self.patient is not None and self.contents is not None:
            raise InvalidValue("contents describes system information; a patient letter has none")
