"""The EDIFACT version table: MedCom version <-> message type, letter type, OIOXML twin.

One row per EDIFACT version MedCom's own converter maps (``UNH+ref+MEDREF:D:93A:UN:H0130R
+REF01``); the mapping module for a row's kind reads and writes its segments. Every
difference between versions that code must know lives in a row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from medcom_adapter.errors import UnknownMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.oioxml import versions as oioxml
from medcom_adapter.oioxml.versions import ObjectIdForm


class DateForm(StrEnum):
    """How UNB states the date of preparation (syntax version 3: two-digit year)."""

    YYMMDD = "yymmdd"


@dataclass(frozen=True, slots=True)
class EdifactVersion:
    code: str  # MedCom's version, UNH association code, e.g. H0130R
    kind: Kind
    type_code: str  # MedCom's letter type, UNH common access reference, e.g. REF01
    message_type: str  # UN message type, e.g. MEDREF
    agency: str  # controlling agency: UN, or ZZ for MedCom's CONTRL
    twin: str  # the OIOXML VersionCode carrying the same letter
    current: bool

    @property
    def oioxml(self) -> oioxml.Version:
        return oioxml.by_code(self.twin)

    @property
    def object_id_form(self) -> ObjectIdForm:
        return ObjectIdForm.HEX32  # EDIFACT ids are 32 hex digits (AID) in every version


MESSAGE_VERSION, MESSAGE_RELEASE = "D", "93A"
SYNTAX = ("UNOC", "3")
DATE_FORM = DateForm.YYMMDD
CENTURY_PIVOT = 70  # two-digit years 70-99 are 19xx, 00-69 are 20xx

VERSIONS: tuple[EdifactVersion, ...] = (
    EdifactVersion("H0130R", Kind.REFERRAL, "REF01", "MEDREF", "UN", "XH0130R", current=False),
    EdifactVersion("B0131X", Kind.BINARY, "BIN01", "MEDBIN", "UN", "XB0131X", current=True),
    EdifactVersion("B0130X", Kind.BINARY, "BIN01", "MEDBIN", "UN", "XB0130X", current=False),
    EdifactVersion("D9134L", Kind.CORRESPONDENCE, "DIS91", "MEDDIS", "UN", "XD9134L",
                   current=True),
    EdifactVersion("C0130Q", Kind.NEGATIVE_VANS_RECEIPT, "CTL01", "CONTRL", "ZZ", "XC0130Q",
                   current=True),
    EdifactVersion("C0230Q", Kind.NEGATIVE_RECEIPT, "CTL02", "CONTRL", "ZZ", "XC0230Q",
                   current=True),
    EdifactVersion("C0330Q", Kind.POSITIVE_RECEIPT, "CTL03", "CONTRL", "ZZ", "XC0330Q",
                   current=True),
)

_BY_CODE = {v.code: v for v in VERSIONS}
_BY_TWIN = {v.twin: v for v in VERSIONS}


def by_code(code: str) -> EdifactVersion:
    try:
        return _BY_CODE[code]
    except KeyError:
        known = ", ".join(sorted(_BY_CODE))
        raise UnknownMessage(
            f"unsupported EDIFACT version {code!r} (supported: {known})"
        ) from None


def by_twin(code: str) -> EdifactVersion:
    """The EDIFACT version carrying the same letter as OIOXML version ``code``."""
    try:
        return _BY_TWIN[code]
    except KeyError:
        known = ", ".join(sorted(_BY_TWIN))
        raise UnknownMessage(
            f"OIOXML {code} has no EDIFACT twin (those with one: {known})"
        ) from None


def message_type_of(version_code: str) -> str:
    """The UN message type of a MedCom version code, OIOXML (``XH0130R``) or EDIFACT
    (``H0130R``), as a receipt's UCM names the original letter."""
    bare = version_code[1:] if version_code[:1] == "X" and len(version_code) == 7 else (
        version_code)
    found = _BY_CODE.get(bare)
    if found is not None:
        return found.message_type
    prefix = _MESSAGE_TYPE_BY_LETTER.get(bare[:1])
    if prefix is None:
        raise UnknownMessage(f"no EDIFACT message type for version {version_code!r}")
    return prefix


# first letter of a MedCom version code -> message type, for versions outside the table
_MESSAGE_TYPE_BY_LETTER = {v.code[0]: v.message_type for v in VERSIONS}


def current(kind: Kind) -> EdifactVersion:
    return next(v for v in VERSIONS if v.kind is kind and v.current)
