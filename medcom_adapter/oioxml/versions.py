"""The version table: VersionCode <-> namespace <-> letter element <-> schema folder.

Every difference between message versions that code must know lives in a row here; the
rest (which elements and codes a version accepts) is in the version's schema in ``xsd/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from medcom_adapter.errors import UnknownMessage
from medcom_adapter.kinds import Kind


class ObjectIdForm(StrEnum):
    """How a version spells a binary object id."""

    HEX32 = "hex32"  # 32 hex digits, no dashes (fits String 1..35)
    DASHED = "dashed"  # 8-4-4-4-12 UUID


class EpisodeForm(StrEnum):
    """How a referral version carries the course id (forløbs-ID)."""

    IDENTIFIER = "identifier"  # Letter/EpisodeOfCareIdentifier, 0..1, untyped
    TYPED = "typed"  # Letter/EpisodeOfCare{EpisodeOfCareType, EpisodeOfCareIdentifier}, 1..n


NS_2005 = "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/"
NS_2006 = "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2006/07/01/"
NS_2012 = "http://rep.oio.dk/medcom.dk/xml/schemas/2012/03/28/"
NS_2017 = "http://rep.oio.dk/medcom.dk/xml/schemas/2017/05/01/"
NS_2016 = "http://rep.oio.dk/medcom.dk/xml/schemas/2016/10/02/"
NS_2019 = "http://rep.oio.dk/medcom.dk/xml/schemas/2019/04/03/"


@dataclass(frozen=True, slots=True)
class Version:
    code: str  # VersionCode, e.g. XH0131R
    kind: Kind
    type_code: str  # Letter/TypeCode
    namespace: str
    letter_element: str
    schema_folder: str  # folder under xsd/ holding emessage.xsd
    current: bool  # the version MedCom's registry lists as active
    object_id_form: ObjectIdForm = ObjectIdForm.HEX32
    episode_form: EpisodeForm | None = None


VERSIONS: tuple[Version, ...] = (
    Version("XH0131R", Kind.REFERRAL, "XREF01", NS_2017, "HospitalReferral", "2017-05-01",
            current=True, episode_form=EpisodeForm.TYPED),
    Version("XH0130R", Kind.REFERRAL, "XREF01", NS_2005, "HospitalReferral", "2005-08-07",
            current=False, episode_form=EpisodeForm.IDENTIFIER),
    Version("XB0131X", Kind.BINARY, "XBIN01", NS_2012, "BinaryLetter", "2012-03-28",
            current=True, object_id_form=ObjectIdForm.DASHED),
    Version("XB0130X", Kind.BINARY, "XBIN01", NS_2005, "BinaryLetter", "2005-08-07",
            current=False),
    Version("XB0230X", Kind.REFERRAL_ATTACHMENT, "XBIN02", NS_2019, "BinaryLetter",
            "2019-04-03", current=True),
    # the XBIN02 version MedCom's message registry lists; a department takes one or both
    # (the receivers directory says which it gets)
    Version("XB0210X", Kind.REFERRAL_ATTACHMENT, "XBIN02", NS_2016, "ReferralAttachment",
            "2016-10-02", current=False, object_id_form=ObjectIdForm.DASHED),
    Version("XD9134L", Kind.CORRESPONDENCE, "XDIS91", NS_2006, "ClinicalEmail", "2006-07-01",
            current=True),
    Version("XC0130Q", Kind.NEGATIVE_VANS_RECEIPT, "XCTL01", NS_2005, "NegativeVansReceipt",
            "2005-08-07", current=True),
    Version("XC0230Q", Kind.NEGATIVE_RECEIPT, "XCTL02", NS_2005, "NegativeReceipt",
            "2005-08-07", current=True),
    Version("XC0330Q", Kind.POSITIVE_RECEIPT, "XCTL03", NS_2005, "PositiveReceipt",
            "2005-08-07", current=True),
)

_BY_CODE = {v.code: v for v in VERSIONS}
_BY_NAMESPACE_AND_LETTER = {(v.namespace, v.letter_element): v for v in VERSIONS}
NAMESPACES = frozenset(v.namespace for v in VERSIONS)


def by_code(code: str) -> Version:
    try:
        return _BY_CODE[code]
    except KeyError:
        known = ", ".join(sorted(_BY_CODE))
        raise UnknownMessage(f"unsupported VersionCode {code!r} (supported: {known})") from None


def by_letter(namespace: str, letter_element: str) -> Version:
    """The version of a letter element found in a document of ``namespace``."""
    try:
        return _BY_NAMESPACE_AND_LETTER[(namespace, letter_element)]
    except KeyError:
        if namespace not in NAMESPACES:
            raise UnknownMessage(f"unknown OIOXML namespace {namespace!r}") from None
        raise UnknownMessage(
            f"letter {letter_element!r} is not supported in namespace {namespace}"
        ) from None


def current(kind: Kind) -> Version:
    return next(v for v in VERSIONS if v.kind is kind and v.current)
