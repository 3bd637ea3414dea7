"""Referral requests: the JSON a case system (or a person) writes to ask for a referral.

The format is documented in ``fixtures/requests/README.md``. Reading is strict: unknown keys
are errors (a typo must not silently drop content), and every error names the key path, e.g.
``patient.id: CPR number: date part 310299 is not a valid date``. No I/O here: attachment
files are named by the request and read by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from medcom_adapter.errors import InvalidValue, Location
from medcom_adapter.model import codes
from medcom_adapter.model.identifiers import Gln, LocationNumber
from medcom_adapter.model.letters import (
    ClinicalInformation,
    Diagnosis,
    EpisodeOfCare,
    LetterHeader,
    Reference,
    Referral,
    SupplementaryRef,
    UrlRef,
)
from medcom_adapter.model.parties import (
    Address,
    CcReceiver,
    Organisation,
    Patient,
    Referrer,
    Relative,
    Telephone,
    check_identifier,
    person_id,
)
from medcom_adapter.model.text import FormattedText

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AttachmentRequest:
    file: str
    description: str
    extension: codes.ObjectExtensionCode
    object_code: codes.ObjectCode


@dataclass(frozen=True, slots=True)
class ReferralRequest:
    referral: Referral
    attachments: tuple[AttachmentRequest, ...]
    referral_version: str | None
    binary_version: str | None
    acknowledgement: codes.AcknowledgementCode


class _Obj:
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
        if key not in self.data or self.data[key] is None:
            if required:
                raise InvalidValue("required", location=Location(self._at(key)))
            return None
        try:
            return convert(self.data[key])
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

    def obj(self, key: str) -> _Obj | None:
        self.used.add(key)
        raw = self.data.get(key)
        return None if raw is None else _Obj(raw, self._at(key))

    def objs(self, key: str) -> list[_Obj]:
        self.used.add(key)
        raw = self.data.get(key) or []
        if not isinstance(raw, list):
            raise InvalidValue("expected a list", location=Location(self._at(key)))
        return [_Obj(item, f"{self._at(key)}[{i}]") for i, item in enumerate(raw)]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise InvalidValue(
                f"unknown key(s): {', '.join(unknown)}",
                location=Location(self._at(unknown[0])),
            )


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"expected text, got {type(value).__name__}")
    return value


def _text(value: Any) -> FormattedText:
    return FormattedText.plain(_string(value))


def _minute(value: Any) -> datetime:
    parsed = datetime.fromisoformat(_string(value))
    if parsed.tzinfo is not None:
        raise InvalidValue("give local Danish time without a zone, e.g. 2026-11-22T10:15")
    return parsed.replace(second=0, microsecond=0)


def referral_request(data: object, *, now: datetime, letter_id: str) -> ReferralRequest:
    """Read a referral request. ``now`` and ``letter_id`` fill what the request leaves out."""
    top = _Obj(data, "")
    versions = top.obj("versions")
    letter = top.obj("letter")
    request = ReferralRequest(
        referral=Referral(
            letter=_letter(letter, now, letter_id),
            episodes=tuple(
                _episode(o) for o in top.objs("episodes_of_care")
            ),
            sender=_organisation(top.obj("sender"), "sender"),
            referrer=_referrer(top.obj("referrer")),
            receiver=_organisation(top.obj("receiver"), "receiver"),
            answer_cc=_cc(top.obj("answer_cc")),
            patient=_patient(top.obj("patient")),
            relative=_relative(top.obj("relative")),
            priority=top.get("priority", codes.Priority),
            referral_status=top.get("referral_status", codes.ReferralStatus),
            transport=top.get("transport", codes.Transport),
            supplementary=top.get("supplementary", _text),
            clinical_reason=top.get("clinical_reason", _text),
            hospital_choice=top.get("hospital_choice", codes.HospitalChoice),
            diagnosis=_diagnosis(top.obj("diagnosis")),
            additional_diagnoses=tuple(
                d for d in (_diagnosis(o) for o in top.objs("additional_diagnoses")) if d
            ),
            clinical_information=_clinical(top.obj("clinical_information")),
            references=tuple(_reference(o) for o in top.objs("references")),
        ),
        attachments=tuple(_attachment(o) for o in top.objs("attachments")),
        referral_version=versions.get("referral", _string) if versions else None,
        binary_version=versions.get("binary", _string) if versions else None,
        acknowledgement=top.get("acknowledgement", codes.AcknowledgementCode)
        or codes.AcknowledgementCode.PLUS_POSITIVE,
    )
    if versions:
        versions.done()
    top.done()
    return request


def _letter(o: _Obj | None, now: datetime, letter_id: str) -> LetterHeader:
    if o is None:
        return LetterHeader(letter_id, now.replace(second=0, microsecond=0))
    header = LetterHeader(
        identifier=o.get("identifier", _string) or letter_id,
        authorised=o.get("authorised", _minute) or now.replace(second=0, microsecond=0),
        status=o.get("status", codes.LetterStatus) or codes.LetterStatus.NEW,
        statistical_code=o.get("statistical_code", _string),
    )
    o.done()
    return header


def _episode(o: _Obj) -> EpisodeOfCare:
    episode = EpisodeOfCare(identifier=o.req("identifier", _string), type=o.get("type", _string))
    o.done()
    return episode


def _address(o: _Obj | None) -> Address:
    if o is None:
        return Address()
    address = Address(
        street=o.get("street", _string),
        suburb=o.get("suburb", _string),
        district=o.get("district", _string),
        postcode=o.get("postcode", _string),
    )
    o.done()
    return address


def _organisation(o: _Obj | None, path: str) -> Organisation:
    if o is None:
        raise InvalidValue("required", location=Location(path))
    identifier_code = o.req("identifier_code", codes.IdentifierCode)
    org = o.req("identifier", lambda v: check_identifier(_string(v), identifier_code))
    result = Organisation(
        ean=o.req("ean", lambda v: LocationNumber.of(Gln(_string(v)))),
        identifier=org,
        identifier_code=identifier_code,
        name=o.get("name", _string),
        department=o.get("department", _string),
        unit=o.get("unit", _string),
        address=_address(o.obj("address")),
        phone=o.get("phone", _string),
        speciality=o.get("speciality", codes.MedicalSpeciality),
    )
    o.done()
    return result


def _cc(o: _Obj | None) -> CcReceiver | None:
    if o is None:
        return None
    code = o.req("identifier_code", codes.IdentifierCode)
    cc = CcReceiver(
        identifier=o.req("identifier", lambda v: check_identifier(_string(v), code)),
        identifier_code=code,
        name=o.get("name", _string),
        department=o.get("department", _string),
        unit=o.get("unit", _string),
        address=_address(o.obj("address")),
        phone=o.get("phone", _string),
    )
    o.done()
    return cc


def _referrer(o: _Obj | None) -> Referrer:
    if o is None:
        raise InvalidValue("required", location=Location("referrer"))
    referrer = Referrer(
        name=o.req("name", _string),
        title=o.get("title", _string),
        identifier=o.get("identifier", _string),
        identifier_code=o.get("identifier_code", codes.IdentifierCode),
    )
    o.done()
    return referrer


def _patient(o: _Obj | None) -> Patient:
    if o is None:
        raise InvalidValue("required", location=Location("patient"))
    phones = []
    for p in o.objs("phones"):
        phones.append(Telephone(p.req("number", _string), p.req("kind", codes.TelephoneCode)))
        p.done()
    patient = Patient(
        id=o.req("id", lambda v: person_id(_string(v))),
        surname=o.req("surname", _string),
        given_name=o.get("given_name", _string),
        title=o.get("title", _string),
        address=_address(o.obj("address")),
        phones=tuple(phones),
        email=o.get("email", _string),
    )
    o.done()
    return patient


def _relative(o: _Obj | None) -> Relative | None:
    if o is None:
        return None
    relative = Relative(
        relation=o.req("relation", codes.RelationCode),
        surname=o.req("surname", _string),
        given_name=o.get("given_name", _string),
        person_id=o.get("person_id", _string),
    )
    o.done()
    return relative


def _diagnosis(o: _Obj | None) -> Diagnosis | None:
    if o is None:
        return None
    diagnosis = Diagnosis(
        text=o.req("text", _string),
        type=o.req("type", codes.DiagnoseTypeCode),
        code=o.get("code", _string),
        description=o.get("description", codes.DiagnoseDescriptionCode),
    )
    o.done()
    return diagnosis


def _clinical(o: _Obj | None) -> ClinicalInformation:
    if o is None:
        return ClinicalInformation()
    clinical = ClinicalInformation(
        cave=o.get("cave", _text),
        anamnesis=o.get("anamnesis", _text),
        examination=o.get("examination", _text),
        actual_medicine=o.get("actual_medicine", _text),
    )
    o.done()
    return clinical


def _reference(o: _Obj) -> Reference:
    description = o.req("description", _string)
    url = o.get("url", _string)
    supplementary = o.get("supplementary", bool)
    o.done()
    if (url is None) == (not supplementary):
        raise InvalidValue("give either url or supplementary: true", location=Location(o.path))
    return Reference(description, UrlRef(url) if url is not None else SupplementaryRef())


def _attachment(o: _Obj) -> AttachmentRequest:
    attachment = AttachmentRequest(
        file=o.req("file", _string),
        description=o.req("description", _string),
        extension=o.get("extension", codes.ObjectExtensionCode) or codes.ObjectExtensionCode.PDF,
        object_code=o.get("object_code", codes.ObjectCode) or codes.ObjectCode.IMAGE,
    )
    o.done()
    return attachment
