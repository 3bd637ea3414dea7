"""What the message mappings share: segment groups, parties, dates, codes, free text.

MedCom writes its segment groups as explicit pseudo-segments (``S01+01'``, ``S02+02'`` ...);
a message body is read as its head (before the first marker) and its groups. Readers raise
an EdifactStructureError for a missing segment or an unknown code, and turn a value the
model refuses (a CPR number with an impossible date, ...) into the sender's error at the
segment that holds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from medcom_adapter.conformance.leniency import lenient, locate, mark
from medcom_adapter.edifact import codes
from medcom_adapter.edifact.parser import Message
from medcom_adapter.edifact.syntax import Segment, ascii_digits
from medcom_adapter.edifact.text import (
    PLAIN,
    TextSegment,
    from_segments,
    text_value,
    to_segments,
    value_components,
)
from medcom_adapter.edifact.tokenizer import Tokens
from medcom_adapter.errors import (
    EdifactError,
    EdifactStructureError,
    InvalidValue,
    Location,
    MedComError,
    UnsupportedInVersion,
)
from medcom_adapter.model.codes import IdentifierCode, LetterStatus, MedicalSpeciality
from medcom_adapter.model.identifiers import Cpr, LocationNumber
from medcom_adapter.model.letters import (
    BinaryRef,
    LetterHeader,
    ObjectId,
    Reference,
    SupplementaryRef,
    UrlRef,
    minute_precision,
)
from medcom_adapter.model.parties import (
    Address,
    Organisation,
    Patient,
    PersonId,
    Telephone,
    person_id,
)
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.common import spell_id
from medcom_adapter.oioxml.versions import ObjectIdForm

T = TypeVar("T")
_MARKER = re.compile(r"S\d\d")
DATE_TIME = "203"  # DTM format: CCYYMMDDHHMM


@dataclass(frozen=True, slots=True)
class Group:
    marker: Segment
    segments: tuple[Segment, ...]

    def first(self, tag: str, qualifier: str | None = None) -> Segment | None:
        return next(iter(self.all(tag, qualifier)), None)

    def all(self, tag: str, qualifier: str | None = None) -> list[Segment]:
        return [s for s in self.segments
                if s.tag == tag and (qualifier is None or s.get(1) == qualifier)]


class Body:
    """A message body as head and MedCom segment groups, with errors that point at places."""

    def __init__(self, message: Message, tokens: Tokens, allowed: frozenset[str]) -> None:
        self.message, self.tokens = message, tokens
        head: list[Segment] = []
        groups: list[tuple[Segment, list[Segment]]] = []
        for segment in message.body:
            if _MARKER.fullmatch(segment.tag):
                if segment.tag not in allowed:
                    raise self.error(f"unexpected segment group {segment.tag} in "
                                     f"{message.access_reference}", segment)
                groups.append((segment, []))
            elif groups:
                groups[-1][1].append(segment)
            else:
                head.append(segment)
        self.head = Group(message.unh, tuple(head))
        self.groups = [Group(marker, tuple(items)) for marker, items in groups]

    def error(self, message: str, segment: Segment) -> EdifactError:
        return self.tokens.error(EdifactStructureError, message, segment)

    def groups_of(self, tag: str) -> list[Group]:
        return [g for g in self.groups if g.marker.tag == tag]

    def group(self, tag: str) -> Group | None:
        return next(iter(self.groups_of(tag)), None)

    def need_group(self, tag: str) -> Group:
        found = self.group(tag)
        if found is None:
            raise self.error(f"{self.message.access_reference} needs segment group {tag}",
                             self.message.unh)
        return found

    def need(self, group: Group, tag: str, qualifier: str | None = None) -> Segment:
        found = group.first(tag, qualifier)
        if found is None:
            what = f"{tag}+{qualifier}" if qualifier else tag
            raise self.error(f"segment group {group.marker.tag} needs {what}", group.marker)
        return found

    def code(self, segment: Segment, element: int, table: Mapping[str, T], what: str,
             component: int = 1) -> T:
        value = segment.get(element, component)
        try:
            return table[value]
        except KeyError:
            known = ", ".join(sorted(k for k in table if k))
            raise self.error(f"unknown {what} {value!r} (known: {known})", segment) from None

    def letter_header(self, letter: Group, statuses: Mapping[str, LetterStatus]) -> LetterHeader:
        """The letter's id (UNH reference), authorisation time (DTM+137) and status (GIS)."""
        return LetterHeader(
            identifier=self.message.reference,
            authorised=self.datetime(self.need(self.head, "DTM", "137")),
            status=self.code(self.need(letter, "GIS"), 1, statuses, "letter status (GIS)"),
        )

    def datetime(self, segment: Segment) -> datetime:
        value, form = segment.get(1, 2), segment.get(1, 3)
        if form != DATE_TIME or len(value) != 12 or not ascii_digits(value):
            raise self.error(f"DTM must be CCYYMMDDHHMM (format 203), found {value!r}:{form!r}",
                             segment)
        with self.blame(segment):
            return datetime.strptime(value, "%Y%m%d%H%M")

    @contextmanager
    def blame(self, segment: Segment) -> Iterator[None]:
        """A value the model refuses is the sender's error, at ``segment``; the warnings
        of our own checks on its values are placed there too."""
        start = mark()
        try:
            yield
        except EdifactError:
            raise
        except ValueError as exc:  # InvalidValue is a ValueError too
            message = exc.message if isinstance(exc, MedComError) else str(exc)
            location = self._at(segment)
            raise InvalidValue(message, location=location).as_remote() from None
        if lenient():
            where = self._at(segment)
            locate(start, where.path, where.line)

    def _at(self, segment: Segment) -> Location:
        line, column = self.tokens.where(segment.offset)
        return Location(f"segment {segment.number} ({segment.tag}), column {column}", line)

    # -- parties ---------------------------------------------------------------------------

    def reference(self, ftx: Segment) -> Reference:
        kind, parts = ftx.get(1), ftx.components(4)
        description = parts[0] if parts else ""
        with self.blame(ftx):
            if kind == "URL":
                return Reference(description, UrlRef(text_value(parts[1:])))
            if kind == "SUP":
                return Reference(description, SupplementaryRef())
            if len(parts) < 5 or not ascii_digits(parts[4]):
                raise self.error("FTX+BIN needs description, object id, object code, "
                                 "extension and size", ftx)
            return Reference(description, BinaryRef(
                object_id=ObjectId(parts[1]),
                object_code=self.code(ftx, 4, _OBJECTS, "object code", 3),
                extension=self.code(ftx, 4, _EXTENSIONS, "file extension", 4),
                size=int(parts[4]),
            ))

    def organisation(self, group: Group, ean: str) -> Organisation:
        nad = self.need(group, "NAD")
        adr, con, spr = group.first("ADR"), group.first("CON"), group.first("SPR")
        code = self.code(nad, 2, _IDENTIFIER_CODES, "identifier qualifier", 2)
        with self.blame(nad):
            return Organisation(
                ean=LocationNumber(ean),
                identifier=nad.get(2),
                identifier_code=code,
                name=nad.get(4, 1) or None,
                department=nad.get(4, 2) or None,
                unit=nad.get(4, 3) or None,
                address=address(adr),
                phone=con.get(2) or None if con else None,
                speciality=self.code(spr, 2, _SPECIALITIES, "sender speciality (AFSSPEC)")
                if spr and spr.get(2) else None,
            )

    def patient(self, group: Group, *, title_from_emp: bool) -> Patient:
        pna = self.need(group, "PNA", "PAT")
        xpi = group.first("RFF", "XPI")
        pid: PersonId
        with self.blame(xpi or pna):
            if pna.get(2):
                pid = Cpr(pna.get(2))
            elif xpi is not None:
                pid = person_id(xpi.get(1, 2))
            else:
                raise self.error("the patient has neither a CPR number (PNA) nor an "
                                 "alternative id (RFF+XPI)", pna)
        emp = group.first("EMP")
        phones = tuple(
            Telephone(con.get(2), self.code(con, 1, _TELEPHONES, "telephone kind"))
            for con in group.all("CON")
        )
        with self.blame(pna):
            return Patient(
                id=pid,
                surname=pna.get(5, 2),
                given_name=pna.get(6, 2) or None,
                title=emp.get(3, 4) or None if emp and title_from_emp else None,
                address=address(group.first("ADR")),
                phones=phones,
            )


_IDENTIFIER_CODES = codes.inverse(
    {k: v[0] for k, v in codes.IDENTIFIER.items()}, codes.IDENTIFIER_ALIASES
)
_SPECIALITIES: dict[str, MedicalSpeciality] = codes.inverse(codes.SPECIALITY)
_TELEPHONES = codes.inverse(codes.TELEPHONE)
_OBJECTS = codes.inverse(codes.OBJECT, codes.OBJECT_ALIASES)
_EXTENSIONS = codes.inverse(codes.EXTENSION)


def address(adr: Segment | None) -> Address:
    if adr is None:
        return Address()
    return Address(adr.get(2, 2) or None, adr.get(2, 3) or None, adr.get(3) or None,
                   adr.get(4) or None)


def texts(segments: Sequence[Segment]) -> FormattedText | None:
    """The formatted text of FTX segments (already chosen by qualifier); None if none."""
    if not segments:
        return None
    return from_segments(TextSegment(s.get(2), s.components(4)) for s in segments)


# -- writing --------------------------------------------------------------------------------

PLACEHOLDER = "_"  # MedCom's value for a name or street its guide requires but we lack


def marker(tag: str) -> Segment:
    return Segment.of(tag, tag[1:])


def dtm(qualifier: str, value: datetime) -> Segment:
    minute_precision(value)
    return Segment.of("DTM", (qualifier, value.strftime("%Y%m%d%H%M"), DATE_TIME))


def identification(identifier: str, code: IdentifierCode) -> tuple[str, ...]:
    try:
        qualifier, agency = codes.IDENTIFIER[code]
    except KeyError:
        raise UnsupportedInVersion(f"EDIFACT has no qualifier for IdentifierCode {code.value}"
                                   ) from None
    return (identifier, qualifier, agency)


def names(*values: str | None) -> tuple[str, ...] | None:
    """NAD's name composite; the first name stands in as a placeholder when absent."""
    if not any(values):
        return None
    first, *rest = values
    return (first or PLACEHOLDER, *(v or "" for v in rest), "", "", "US")


def nad(role: str, identifier: tuple[str, ...] | None, *name_parts: str | None) -> Segment:
    return Segment.of("NAD", role, identifier, None, names(*name_parts))


def adr(value: Address) -> list[Segment]:
    if not any((value.street, value.suburb, value.district, value.postcode)):
        return []
    return [Segment.of("ADR", None, ("US", value.street or PLACEHOLDER, value.suburb or ""),
                       value.district, value.postcode)]


def organisation(role: str, org: Organisation) -> list[Segment]:
    # MedCom's converter writes no CON for a receiver; we do when there is a number, so
    # nothing in the model is lost (its reader ignores it)
    out = [nad(role, identification(org.identifier, org.identifier_code), org.name,
               org.department, org.unit), *adr(org.address)]
    if org.phone is not None:
        out.append(Segment.of("CON", None, (org.phone, "TE")))
    return out


def spr(org: Organisation, type_code: str, *, sender: bool = False) -> list[Segment]:
    """The organisation's speciality. MedCom's converter always writes the sender's SPR, with
    an empty code when there is none; we also state a receiver's when we have one."""
    if org.speciality is None:
        return [Segment.of("SPR", "ORG", ("", "SKS", "SST"), (type_code, "SKS", "SST"))] \
            if sender else []
    try:
        speciality = codes.SPECIALITY[org.speciality]
    except KeyError:
        raise UnsupportedInVersion(
            f"EDIFACT has no AFSSPEC code for speciality {org.speciality.value}") from None
    return [Segment.of("SPR", "ORG", (speciality, "SKS", "SST"), (type_code, "SKS", "SST"))]


def object_id_text(value: str) -> str:
    """A binary object id as MedCom's EDIFACT spells it: a UUID as 32 hex digits in capitals
    (MedCom's converter drops the dashes of XB0131X's capitals), any other id as it is."""
    spelled = spell_id(value, ObjectIdForm.HEX32)
    return spelled.upper() if spelled != value else value


def pna(role: str, cpr: str | None, surname: str, given_name: str | None) -> Segment:
    return Segment.of("PNA", role, (cpr, "", "", "CPR", "IM") if cpr else None, None, None,
                      ("SU", surname), ("FO", given_name) if given_name else None)


def patient(value: Patient, *, title_in_emp: bool) -> list[Segment]:
    is_cpr = isinstance(value.id, Cpr)
    out = [pna("PAT", str(value.id) if is_cpr else None, value.surname, value.given_name)]
    if not is_cpr:
        out.append(Segment.of("RFF", ("XPI", str(value.id))))
    out += adr(value.address)
    out += [Segment.of("CON", codes.TELEPHONE[p.kind], (p.number, "TE")) for p in value.phones]
    if title_in_emp and value.title is not None:
        out.append(emp(value.title))
    return out


def emp(text: str) -> Segment:
    return Segment.of("EMP", "1", None, ("", "", "", text))


def ftx(qualifier: str, text: FormattedText | None) -> list[Segment]:
    if text is None:
        return []
    return [Segment.of("FTX", qualifier, part.format, None, part.components)
            for part in to_segments(text)]


def code_of(table: Mapping[T, str], value: T, what: str) -> str:
    try:
        return table[value]
    except KeyError:
        raise UnsupportedInVersion(f"EDIFACT has no code for {what} {value}") from None


REFERENCE_KINDS = ("BIN", "URL", "SUP")


def reference(ref: Reference) -> Segment:
    target = ref.target
    if isinstance(target, BinaryRef):
        parts: tuple[str, ...] = (
            object_id_text(target.object_id.value),
            code_of(codes.OBJECT, target.object_code, "object code"),
            code_of(codes.EXTENSION, target.extension, "file extension"),
            str(target.size),
        )
        kind = "BIN"
    elif isinstance(target, UrlRef):
        parts, kind = tuple(value_components(target.url)), "URL"
    else:
        parts, kind = (), "SUP"
    return Segment.of("FTX", kind, PLAIN, None, (ref.description, *parts))
