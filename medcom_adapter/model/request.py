"""Referral requests: the JSON a case system (or a person) writes to ask for a referral.

The format is documented in ``fixtures/requests/README.md``. Reading is strict: unknown keys
are errors (a typo must not silently drop content), and every error names the key path, e.g.
``patient.id: CPR number: date part 310299 is not a valid date``. No I/O here: attachment
files are named by the request and read by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.errors import InvalidValue, Location
from medcom_adapter.model import codes
from medcom_adapter.model.json_reading import (
    AttachmentRequest,
    JsonObject,
    as_string,
    as_text,
    read_address,
    read_attachment,
    read_letter,
    read_organisation,
    read_patient,
)
from medcom_adapter.model.letters import (
    ClinicalInformation,
    Diagnosis,
    EpisodeOfCare,
    Reference,
    Referral,
    SupplementaryRef,
    UrlRef,
)
from medcom_adapter.model.parties import CcReceiver, Referrer, Relative, check_identifier


@dataclass(frozen=True, slots=True)
class ReferralRequest:
    referral: Referral
    attachments: tuple[AttachmentRequest, ...]
    referral_version: str | None
    binary_version: str | None
    acknowledgement: codes.AcknowledgementCode


def referral_request(data: object, *, now: datetime, letter_id: str) -> ReferralRequest:
    """Read a referral request. ``now`` and ``letter_id`` fill what the request leaves out."""
    top = JsonObject(data, "")
    versions = top.obj("versions")
    letter = top.obj("letter")
    request = ReferralRequest(
        referral=Referral(
            letter=read_letter(letter, now, letter_id),
            episodes=tuple(
                _episode(o) for o in top.objs("episodes_of_care")
            ),
            sender=read_organisation(top.obj("sender"), "sender"),
            referrer=_referrer(top.obj("referrer")),
            receiver=read_organisation(top.obj("receiver"), "receiver"),
            answer_cc=_cc(top.obj("answer_cc")),
            patient=read_patient(top.obj("patient")),
            relative=_relative(top.obj("relative")),
            priority=top.get("priority", codes.Priority),
            referral_status=top.get("referral_status", codes.ReferralStatus),
            transport=top.get("transport", codes.Transport),
            supplementary=top.get("supplementary", as_text),
            clinical_reason=top.get("clinical_reason", as_text),
            hospital_choice=top.get("hospital_choice", codes.HospitalChoice),
            diagnosis=_diagnosis(top.obj("diagnosis")),
            additional_diagnoses=tuple(
                d for d in (_diagnosis(o) for o in top.objs("additional_diagnoses")) if d
            ),
            clinical_information=_clinical(top.obj("clinical_information")),
            references=tuple(_reference(o) for o in top.objs("references")),
        ),
        attachments=tuple(read_attachment(o) for o in top.objs("attachments")),
        referral_version=versions.get("referral", as_string) if versions else None,
        binary_version=versions.get("binary", as_string) if versions else None,
        acknowledgement=top.get("acknowledgement", codes.AcknowledgementCode)
        or codes.AcknowledgementCode.PLUS_POSITIVE,
    )
    if versions:
        versions.done()
    top.done()
    return request


def _episode(o: JsonObject) -> EpisodeOfCare:
    episode = EpisodeOfCare(o.req("identifier", as_string), o.get("type", as_string))
    o.done()
    return episode


def _cc(o: JsonObject | None) -> CcReceiver | None:
    if o is None:
        return None
    code = o.req("identifier_code", codes.IdentifierCode)
    cc = CcReceiver(
        identifier=o.req("identifier", lambda v: check_identifier(as_string(v), code)),
        identifier_code=code,
        name=o.get("name", as_string),
        department=o.get("department", as_string),
        unit=o.get("unit", as_string),
        address=read_address(o.obj("address")),
        phone=o.get("phone", as_string),
    )
    o.done()
    return cc


def _referrer(o: JsonObject | None) -> Referrer:
    if o is None:
        raise InvalidValue("required", location=Location("referrer"))
    referrer = Referrer(
        name=o.req("name", as_string),
        title=o.get("title", as_string),
        identifier=o.get("identifier", as_string),
        identifier_code=o.get("identifier_code", codes.IdentifierCode),
    )
    o.done()
    return referrer


def _relative(o: JsonObject | None) -> Relative | None:
    if o is None:
        return None
    relative = Relative(
        relation=o.req("relation", codes.RelationCode),
        surname=o.req("surname", as_string),
        given_name=o.get("given_name", as_string),
        person_id=o.get("person_id", as_string),
    )
    o.done()
    return relative


def _diagnosis(o: JsonObject | None) -> Diagnosis | None:
    if o is None:
        return None
    text, type_ = o.req("text", as_string), o.req("type", codes.DiagnoseTypeCode)
    code = o.get("code", as_string)
    try:
        diagnosis = Diagnosis(text=text, type=type_, code=code,
                              description=o.get("description", codes.DiagnoseDescriptionCode))
    except InvalidValue as exc:  # the code does not fit its type
        raise InvalidValue(exc.message, location=Location(f"{o.path}.code")) from None
    o.done()
    return diagnosis


def _clinical(o: JsonObject | None) -> ClinicalInformation:
    if o is None:
        return ClinicalInformation()
    clinical = ClinicalInformation(
        cave=o.get("cave", as_text),
        anamnesis=o.get("anamnesis", as_text),
        examination=o.get("examination", as_text),
        actual_medicine=o.get("actual_medicine", as_text),
    )
    o.done()
    return clinical


def _reference(o: JsonObject) -> Reference:
    description = o.req("description", as_string)
    url = o.get("url", as_string)
    supplementary = o.get("supplementary", bool)
    o.done()
    if (url is None) == (not supplementary):
        raise InvalidValue("give either url or supplementary: true", location=Location(o.path))
    return Reference(description, UrlRef(url) if url is not None else SupplementaryRef())


