"""Element writers and readers shared by every OIOXML letter.

Writers emit whatever the model holds, in MedCom's element order, and leave it to the
version's schema to reject what that version cannot carry, so no model content is silently
dropped. Readers run on schema-valid trees; a value that breaks a model rule is reported as
the sender's fault, with the element's path.
"""

from __future__ import annotations

import io
import secrets
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from types import MappingProxyType, TracebackType
from typing import TypeVar

import pybase64
from lxml import etree

from medcom_adapter.conformance.built import Placed
from medcom_adapter.conformance.leniency import locate, mark, recorded
from medcom_adapter.errors import InvalidValue, Location, MedComError, RemoteError
from medcom_adapter.model.codes import (
    IdentifierCode,
    LetterStatus,
    MedicalSpeciality,
    ObjectCode,
    ObjectExtensionCode,
    TelephoneCode,
)
from medcom_adapter.model.identifiers import Cpr, LocationNumber
from medcom_adapter.model.letters import (
    BinaryRef,
    LetterHeader,
    ObjectId,
    Reference,
    SupplementaryRef,
    UrlRef,
    is_dashed_uuid,
)
from medcom_adapter.model.parties import (
    Address,
    CcReceiver,
    Organisation,
    Patient,
    Telephone,
    person_id,
)
from medcom_adapter.model.text import Break, FormattedText, Inline, Space, Style, Styled
from medcom_adapter.oioxml.schemas import element_path, line_of
from medcom_adapter.oioxml.versions import ObjectIdForm, Version

T = TypeVar("T")
Element = etree._Element
_LINE = 57  # bytes per 76-character line of base64
_ENCODE_SLICE = _LINE * 16384  # about 1 MB: whole lines, so slices join as one text


def _encoded_size(n: int) -> int:
    """Bytes of ``pybase64.encodebytes`` of ``n`` bytes: 77 per full line (with its LF),
    then the last line's padded quads and LF."""
    whole, rest = divmod(n, _LINE)
    return whole * 77 + ((rest + 2) // 3 * 4 + 1 if rest else 0)


_NONE_LIFTED: Mapping[str, bytes] = MappingProxyType({})


class Writer:
    """Appends MedCom elements in one namespace.

    With ``splice``, large base64 text (``base64``) is not put into the tree: the element
    gets a placeholder, and :meth:`spliced` puts the base64 bytes in its place in the
    serialised document. Copying 270 KB of text into libxml2 and having it escape-check
    every character on the way out cost more than the rest of building an XBIN; the text
    is base64 (ASCII, nothing to escape) and a plain xs:string to the schema, so the
    placeholder validates as the text would.
    """

    def __init__(self, namespace: str, *, splice: bool = False) -> None:
        self.ns = namespace
        self._splice = splice
        self._token = ""  # drawn when the first placeholder is: most letters carry none
        self._pending: list[tuple[bytes, bytes]] = []
        self.placed: list[Placed] = []  # where spliced() put each object's text
        self._tags: dict[str, str] = {}  # name -> "{namespace}name"

    def base64(self, parent: Element, name: str, data: bytes) -> None:
        """``data`` base64-encoded in 76-character lines, as MedCom's examples have it."""
        if not self._splice:
            self.el(parent, name, pybase64.encodebytes(data).decode("ascii"))
            return
        self._token = self._token or secrets.token_hex(16)
        marker = f"base64-{self._token}-{len(self._pending)}"
        self.el(parent, name, marker)
        self._pending.append((marker.encode("ascii"), data))

    def spliced(self, document: bytes) -> bytes:
        """The serialised ``document`` with each placeholder replaced by its data's base64
        (the document's encoding must spell ASCII as ASCII), encoded a slice at a time
        straight into the one buffer of the result: no full-size copy of the text besides."""
        if not self._pending:
            return document
        size = len(document) + sum(_encoded_size(len(data)) - len(marker)
                                   for marker, data in self._pending)
        out = io.BytesIO()
        out.seek(size - 1)  # allocated once at its size, then written in place
        out.write(b"\0")
        out.seek(0)
        view = memoryview(document)
        at = 0
        for marker, data in self._pending:
            found = document.find(marker, at)
            if found < 0:
                raise AssertionError("a base64 placeholder is missing from the document")
            out.write(view[at:found])
            begins = out.tell()
            source = memoryview(data)
            for start in range(0, len(data), _ENCODE_SLICE):
                out.write(pybase64.encodebytes(source[start:start + _ENCODE_SLICE]))
            if type(data) is bytes:  # immutable: the text stays what it encodes
                self.placed.append(Placed(begins, out.tell(), data))
            at = found + len(marker)
        out.write(view[at:])
        if out.tell() != size:
            raise AssertionError("spliced document is not the size worked out for it")
        return out.getvalue()

    def el(self, parent: Element, name: str, text: str | None = None) -> Element:
        tag = self._tags.get(name)
        if tag is None:
            tag = self._tags[name] = f"{{{self.ns}}}{name}"
        child = etree.SubElement(parent, tag)
        if text is not None:
            child.text = text
        return child

    def opt(self, parent: Element, name: str, text: str | None) -> None:
        if text is not None:
            self.el(parent, name, text)

    def datetime(self, parent: Element, name: str, value: datetime) -> None:
        holder = self.el(parent, name)
        self.el(holder, "Date", value.date().isoformat())
        self.el(holder, "Time", f"{value.hour:02d}:{value.minute:02d}")  # strftime's %H:%M

    def letter(self, parent: Element, header: LetterHeader, version: Version) -> Element:
        letter = self.el(parent, "Letter")
        self.el(letter, "Identifier", header.identifier)
        self.el(letter, "VersionCode", version.code)
        self.el(letter, "StatisticalCode", header.statistical_code or version.type_code)
        self.datetime(letter, "Authorisation", header.authorised)
        self.el(letter, "TypeCode", version.type_code)
        self.el(letter, "StatusCode", header.status.value)
        return letter

    def address(self, parent: Element, address: Address) -> None:
        self.opt(parent, "StreetName", address.street)
        self.opt(parent, "SuburbName", address.suburb)
        self.opt(parent, "DistrictName", address.district)
        self.opt(parent, "PostCodeIdentifier", address.postcode)

    def organisation(self, parent: Element, name: str, org: Organisation) -> Element:
        holder = self.el(parent, name)
        self.el(holder, "EANIdentifier", str(org.ean))
        self.el(holder, "Identifier", org.identifier)
        self.el(holder, "IdentifierCode", org.identifier_code.value)
        self.opt(holder, "OrganisationName", org.name)
        self.opt(holder, "DepartmentName", org.department)
        self.opt(holder, "UnitName", org.unit)
        self.address(holder, org.address)
        self.opt(holder, "TelephoneSubscriberIdentifier", org.phone)
        self.opt(holder, "MedicalSpecialityCode", org.speciality and org.speciality.value)
        return holder

    def cc_receiver(self, parent: Element, name: str, cc: CcReceiver) -> None:
        holder = self.el(parent, name)
        self.el(holder, "Identifier", cc.identifier)
        self.el(holder, "IdentifierCode", cc.identifier_code.value)
        self.opt(holder, "OrganisationName", cc.name)
        self.opt(holder, "DepartmentName", cc.department)
        self.opt(holder, "UnitName", cc.unit)
        self.address(holder, cc.address)
        self.opt(holder, "TelephoneSubscriberIdentifier", cc.phone)

    def patient(self, parent: Element, patient: Patient) -> Element:
        holder = self.el(parent, "Patient")
        id_element = "CivilRegistrationNumber" if isinstance(patient.id, Cpr) else (
            "AlternativeIdentifier"
        )
        self.el(holder, id_element, str(patient.id))
        self.el(holder, "PersonSurnameName", patient.surname)
        self.opt(holder, "PersonGivenName", patient.given_name)
        self.opt(holder, "PersonTitle", patient.title)
        self.address(holder, patient.address)
        for phone in patient.phones:
            tel = self.el(holder, "TelephoneSubscriber")
            self.el(tel, "TelephoneSubscriberIdentifier", phone.number)
            self.el(tel, "TelephoneSubscriberCode", phone.kind.value)
        self.opt(holder, "EmailIdentifier", patient.email)
        return holder

    def formatted(self, parent: Element, name: str, text: FormattedText | None) -> None:
        if text is not None:
            self._inline(self.el(parent, name), text.content)

    def _inline(self, holder: Element, parts: tuple[Inline, ...]) -> None:
        last: Element | None = None
        for part in parts:
            if isinstance(part, str):
                if last is None:
                    holder.text = (holder.text or "") + part
                else:
                    last.tail = (last.tail or "") + part
                continue
            if isinstance(part, Break):
                last = self.el(holder, "Break")
            elif isinstance(part, Space):
                last = self.el(holder, "Space")
            else:
                last = self.el(holder, part.style.value)
                self._inline(last, part.content)

    def reference(self, parent: Element, ref: Reference, form: ObjectIdForm) -> None:
        holder = self.el(parent, "Reference")
        self.el(holder, "RefDescription", ref.description)
        target = ref.target
        if isinstance(target, UrlRef):
            self.el(holder, "URL", target.url)
        elif isinstance(target, SupplementaryRef):
            self.el(holder, "SUP", "true")
        else:
            bin_ = self.el(holder, "BIN")
            self.el(bin_, "ObjectIdentifier", spell_id(target.object_id.value, form))
            self.el(bin_, "ObjectCode", target.object_code.value)
            self.el(bin_, "ObjectExtensionCode", target.extension.value)
            self.el(bin_, "OriginalObjectSize", str(target.size))


def spell_id(value: str, form: ObjectIdForm) -> str:
    """A UUID-shaped id as a version writes it: 32 hex digits, or a dashed UUID."""
    if is_dashed_uuid(value):  # the model's own spelling (ObjectId's), without parsing it
        low = value.lower()
        return low.replace("-", "") if form is ObjectIdForm.HEX32 else low.upper()
    try:
        as_uuid = uuid.UUID(value)
    except ValueError:
        return value  # an opaque id from a peer; the schema judges it
    return as_uuid.hex if form is ObjectIdForm.HEX32 else str(as_uuid).upper()


class Reader:
    """Reads children of one MedCom element; failures point at the element.

    ``lifted``: the base64 objects taken out of the file before it was parsed, by the
    placeholder text each left (:mod:`medcom_adapter.oioxml.lifted`)."""

    def __init__(self, element: Element, lifted: Mapping[str, bytes] = _NONE_LIFTED) -> None:
        self.element = element
        self.lifted = lifted
        tag = element.tag
        self._prefix = tag[: tag.rfind("}") + 1]  # "{namespace}", shared by the children
        # one pass over the children instead of a find() per field (a hot path): the first
        # child of each name (a repeated one is asked for by children(), a few per letter)
        index: dict[object, Element] = {}
        for child in element:
            index.setdefault(child.tag, child)  # a comment's key is never looked up
        self._index = index

    def child(self, name: str) -> Element | None:
        return self._index.get(self._prefix + name)

    def children(self, name: str) -> list[Element]:
        return list(self.element.iterchildren(self._prefix + name))

    def sub(self, name: str) -> Reader | None:
        found = self.child(name)
        return Reader(found) if found is not None else None

    def text(self, name: str) -> str:
        found = self.child(name)
        if found is None:
            raise InvalidValue(f"missing {name}", location=Location(element_path(self.element)))
        return found.text or ""

    def opt(self, name: str) -> str | None:
        found = self.child(name)
        return None if found is None else (found.text or "")

    def at(self, name: str) -> Element:
        """The named child, or this element when it is absent (for error locations)."""
        found = self.child(name)
        return self.element if found is None else found

    def value(self, name: str, convert: Callable[[str], T]) -> T:
        found = self._index.get(self._prefix + name)
        if found is None:
            raise InvalidValue(f"missing {name}", location=Location(element_path(self.element)))
        return _converted(found, convert)

    def opt_value(self, name: str, convert: Callable[[str], T]) -> T | None:
        found = self._index.get(self._prefix + name)
        return None if found is None else _converted(found, convert)

    def datetime(self, name: str) -> datetime:
        holder = self.sub(name)
        if holder is None:
            raise InvalidValue(f"missing {name}", location=Location(element_path(self.element)))
        day = holder.value("Date", date.fromisoformat)
        clock = holder.value("Time", time.fromisoformat)
        return datetime.combine(day, clock)

    def address(self) -> Address:
        return Address(
            street=self.opt("StreetName"),
            suburb=self.opt("SuburbName"),
            district=self.opt("DistrictName"),
            postcode=self.opt("PostCodeIdentifier"),
        )

    def letter(self) -> LetterHeader:
        letter = self.sub("Letter")
        assert letter is not None  # schema-valid
        statistical = letter.text("StatisticalCode")
        return LetterHeader(
            identifier=letter.text("Identifier"),
            authorised=letter.datetime("Authorisation"),
            status=letter.value("StatusCode", LetterStatus),
            statistical_code=None if statistical == letter.text("TypeCode") else statistical,
        )

    def organisation(self) -> Organisation:
        code = self.value("IdentifierCode", IdentifierCode)
        ean = self.value("EANIdentifier", LocationNumber)
        speciality = self.opt_value("MedicalSpecialityCode", MedicalSpeciality)
        # the model checks the identifier against its code (once): a failure is its fault
        with blame(self.at("Identifier")), self.identifier_warnings():
            return Organisation(
                ean=ean,
                identifier=self.text("Identifier"),
                identifier_code=code,
                name=self.opt("OrganisationName"),
                department=self.opt("DepartmentName"),
                unit=self.opt("UnitName"),
                address=self.address(),
                phone=self.opt("TelephoneSubscriberIdentifier"),
                speciality=speciality,
            )

    def cc_receiver(self) -> CcReceiver:
        code = self.value("IdentifierCode", IdentifierCode)
        # as for an organisation
        with blame(self.at("Identifier")), self.identifier_warnings():
            return CcReceiver(
                identifier=self.text("Identifier"),
                identifier_code=code,
                name=self.opt("OrganisationName"),
                department=self.opt("DepartmentName"),
                unit=self.opt("UnitName"),
                address=self.address(),
                phone=self.opt("TelephoneSubscriberIdentifier"),
            )

    def identifier_warnings(self) -> _Located:
        """Our identifier checks' warnings, placed at this party's Identifier element (at the
        party itself when it has none)."""
        return _Located(self.at("Identifier"))

    def patient(self) -> Patient:
        cpr = self.opt_value("CivilRegistrationNumber", Cpr)
        pid = cpr if cpr is not None else self.value("AlternativeIdentifier", person_id)
        phones = tuple(
            Telephone(tel.text("TelephoneSubscriberIdentifier"),
                      tel.value("TelephoneSubscriberCode", TelephoneCode))
            for tel in (Reader(e) for e in self.children("TelephoneSubscriber"))
        )
        with blame(self.element):
            return Patient(
                id=pid,
                surname=self.text("PersonSurnameName"),
                given_name=self.opt("PersonGivenName"),
                title=self.opt("PersonTitle"),
                address=self.address(),
                phones=phones,
                email=self.opt("EmailIdentifier"),
            )

    def formatted(self, name: str) -> FormattedText | None:
        found = self.child(name)
        return None if found is None else FormattedText(_read_inline(found))

    def reference(self) -> Reference:
        description = self.text("RefDescription")
        if (url := self.opt("URL")) is not None:
            return Reference(description, UrlRef(url))
        if self.child("SUP") is not None:
            return Reference(description, SupplementaryRef())
        bin_ = self.sub("BIN")
        assert bin_ is not None  # schema-valid: URL | SUP | BIN
        target = BinaryRef(
            object_id=bin_.value("ObjectIdentifier", ObjectId),
            object_code=bin_.value("ObjectCode", ObjectCode),
            extension=bin_.value("ObjectExtensionCode", ObjectExtensionCode),
            size=bin_.value("OriginalObjectSize", int),
        )
        return Reference(description, target)


def _converted(element: Element, convert: Callable[[str], T]) -> T:
    """``convert`` of the element's text; a failure or a warning placed at the element."""
    warnings = recorded()
    start = len(warnings) if warnings is not None else 0
    try:
        value = convert(element.text or "")
    except ValueError as exc:
        raise _blamed(exc, element) from None
    if warnings is not None and len(warnings) != start:  # the path only for a warning
        locate(start, element_path(element), line_of(element))
    return value


def _read_inline(element: Element) -> tuple[Inline, ...]:
    parts: list[Inline] = [element.text or ""]
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):  # comments / processing instructions
            parts.append(child.tail or "")
            continue
        name = tag[tag.rfind("}") + 1:]  # the local name; the schema checked the namespace
        if name == "Break":
            parts.append(_BREAK)
        elif name == "Space":
            parts.append(_SPACE)
        else:
            try:
                parts.append(Styled(Style(name), _read_inline(child)))
            except ValueError as exc:
                raise _blamed(exc, child) from None
        parts.append(child.tail or "")
    return tuple(parts)


_BREAK = Break()
_SPACE = Space()


class _Located:
    """Gives the warnings recorded inside it ``element``'s location."""

    __slots__ = ("element", "start")

    def __init__(self, element: Element) -> None:
        self.element = element

    def __enter__(self) -> None:
        self.start = mark()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if mark() != self.start:
            locate(self.start, element_path(self.element), line_of(self.element))


class blame:  # lower case: used like a function, ``with blame(element):``
    """Re-raise model errors found in a peer's message as remote errors at ``element``.

    A plain class rather than ``@contextmanager``: it runs for every party and letter read,
    and a generator-based context manager costs several times as much per use.
    """

    __slots__ = ("element",)

    def __init__(self, element: Element) -> None:
        self.element = element

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, ValueError):  # InvalidValue is a ValueError too
            raise _blamed(exc, self.element) from None


def _blamed(exc: ValueError, element: Element) -> RemoteError:
    if isinstance(exc, MedComError) and exc.location is not None:
        location = exc.location
    else:
        location = Location(element_path(element), line_of(element))
    message = exc.message if isinstance(exc, MedComError) else str(exc)
    return InvalidValue(message, location=location).as_remote()
