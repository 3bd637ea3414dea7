"""Strict reading of JSON requests: every unknown key refused, every error at its key path.

Shared by the referral and correspondence request formats (``fixtures/requests/README.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from medcom_adapter.errors import InvalidValue, Location
from medcom_adapter.model import codes
from medcom_adapter.model.identifiers import Gln, LocationNumber
from medcom_adapter.model.letters import LetterHeader
from medcom_adapter.model.parties import (
    Address,
    Organisation,
    Patient,
    Telephone,
    check_identifier,
    outbound_person_id,
)
from medcom_adapter.model.text import FormattedText

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AttachmentRequest:
    file: str
    description: str
    extension: codes.ObjectExtensionCode
    object_code: codes.ObjectCode



class JsonObject:
    """A JSON object being read; remembers its path and which keys were used."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise InvalidValue("expected an object", location=Location(path or "request"))
        self.data: Mapping[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, convert: Callable[[Any], T], *, required: bool = False) -> T | None:
        self.used.add(key)
        raw = self.data.get(key)
        if raw is None:
            if required:
                raise InvalidValue("required", location=Location(self._at(key)))
            return None
        try:
            return convert(raw)
        except InvalidValue as exc:
            if exc.location is not None and exc.location.path:
                raise
            raise InvalidValue(exc.message, location=Location(self._at(key))) from None
        except (ValueError, TypeError) as exc:
            raise InvalidValue(str(exc), location=Location(self._at(key))) from None

    def req(self, key: str, convert: Callable[[Any], T]) -> T:
        value = self.get(key, convert, required=True)
        assert value is not None
        return value

    def obj(self, key: str) -> JsonObject | None:
        self.used.add(key)
        raw = self.data.get(key)
        return None if raw is None else JsonObject(raw, self._at(key))

    def objs(self, key: str) -> list[JsonObject]:
        self.used.add(key)
        raw = self.data.get(key) or []
        if not isinstance(raw, list):
            raise InvalidValue("expected a list", location=Location(self._at(key)))
        return [JsonObject(item, f"{self._at(key)}[{i}]") for i, item in enumerate(raw)]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise InvalidValue(
                f"unknown key(s): {', '.join(unknown)}",
                location=Location(self._at(unknown[0])),
            )


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"expected true or false, got {type(value).__name__}")
    return value


def as_string(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"expected text, got {type(value).__name__}")
    return value


def as_text(value: Any) -> FormattedText:
    return FormattedText.plain(as_string(value))


def as_minute(value: Any) -> datetime:
    parsed = datetime.fromisoformat(as_string(value))
    if parsed.tzinfo is not None:
        raise InvalidValue("give local Danish time without a zone, e.g. 2026-11-22T10:15")
    return parsed.replace(second=0, microsecond=0)


def read_letter(o: JsonObject | None, now: datetime, letter_id: str) -> LetterHeader:
    if o is None:
        return LetterHeader(letter_id, now.replace(second=0, microsecond=0))
    header = LetterHeader(
        identifier=o.get("identifier", as_string) or letter_id,
        authorised=o.get("authorised", as_minute) or now.replace(second=0, microsecond=0),
        status=o.get("status", codes.LetterStatus) or codes.LetterStatus.NEW,
        statistical_code=o.get("statistical_code", as_string),
    )
    o.done()
    return header


def read_address(o: JsonObject | None) -> Address:
    if o is None:
        return Address()
    address = Address(
        street=o.get("street", as_string),
        suburb=o.get("suburb", as_string),
        district=o.get("district", as_string),
        postcode=o.get("postcode", as_string),
    )
    o.done()
    return address


def read_organisation(o: JsonObject | None, path: str) -> Organisation:
    if o is None:
        raise InvalidValue("required", location=Location(path))
    identifier_code = o.req("identifier_code", codes.IdentifierCode)
    org = o.req("identifier", lambda v: check_identifier(as_string(v), identifier_code))
    result = Organisation(
        ean=o.req("ean", lambda v: LocationNumber.of(Gln(as_string(v)))),
        identifier=org,
        identifier_code=identifier_code,
        name=o.get("name", as_string),
        department=o.get("department", as_string),
        unit=o.get("unit", as_string),
        address=read_address(o.obj("address")),
        phone=o.get("phone", as_string),
        speciality=o.get("speciality", codes.MedicalSpeciality),
    )
    o.done()
    return result


def read_patient(o: JsonObject | None) -> Patient:
    if o is None:
        raise InvalidValue("required", location=Location("patient"))
    phones = []
    for p in o.objs("phones"):
        phones.append(Telephone(p.req("number", as_string), p.req("kind", codes.TelephoneCode)))
        p.done()
    # a CPR number, or a replacement id the request marks as one ("replacement": true)
    replacement = o.get("replacement", as_bool) or False
    patient = Patient(
        id=o.req("id", lambda v: outbound_person_id(as_string(v), replacement=replacement)),
        surname=o.req("surname", as_string),
        given_name=o.get("given_name", as_string),
        title=o.get("title", as_string),
        address=read_address(o.obj("address")),
        phones=tuple(phones),
        email=o.get("email", as_string),
    )
    o.done()
    return patient


def read_attachment(o: JsonObject) -> AttachmentRequest:
    attachment = AttachmentRequest(
        file=o.req("file", as_string),
        description=o.req("description", as_string),
        extension=o.get("extension", codes.ObjectExtensionCode) or codes.ObjectExtensionCode.PDF,
        object_code=o.get("object_code", codes.ObjectCode) or codes.ObjectCode.IMAGE,
    )
    o.done()
    return attachment
