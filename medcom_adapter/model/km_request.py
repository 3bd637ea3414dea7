"""Correspondence (KM) requests: the JSON that asks for a korrespondancemeddelelse.

One request builds either form: XDIS91 (with an XBIN01 per attachment) or a FHIR
CareCommunication. Keys only the FHIR form uses (``category``, ``author``, ``sor`` on the
parties) are ignored for XDIS91, and vice versa nothing is invented: a FHIR message needs
SOR ids, given as ``sor`` or as ``identifier_code: sorkode``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.errors import InvalidValue, Location
from medcom_adapter.model import codes
from medcom_adapter.model.carecommunication import Author, Category
from medcom_adapter.model.correspondence import (
    ClinicalEmail,
    CorrespondencePriority,
    EpisodeOfCareStatus,
)
from medcom_adapter.model.json_reading import (
    AttachmentRequest,
    JsonObject,
    as_string,
    as_text,
    read_attachment,
    read_letter,
    read_organisation,
    read_patient,
)
from medcom_adapter.model.letters import Reference, UrlRef
from medcom_adapter.model.parties import Organisation
from medcom_adapter.model.text import FormattedText


@dataclass(frozen=True, slots=True)
class KmRequest:
    km: ClinicalEmail
    attachments: tuple[AttachmentRequest, ...]
    acknowledgement: codes.AcknowledgementCode
    category: Category  # FHIR only
    author: Author | None  # FHIR only: who writes (default: the organisation, role "ukendt")
    sor_ids: dict[str, str]  # location number -> SOR id, from the parties' "sor" keys


def km_request(data: object, *, now: datetime, letter_id: str) -> KmRequest:
    top = JsonObject(data, "")
    sor_ids: dict[str, str] = {}
    sender = _party(top, "sender", sor_ids)
    receiver = _party(top, "receiver", sor_ids)
    texts = top.get("texts", _texts) or ()
    author = _author(top.obj("author"))
    request = KmRequest(
        km=ClinicalEmail(
            letter=read_letter(top.obj("letter"), now, letter_id),
            sender=sender,
            receiver=receiver,
            patient=read_patient(top.obj("patient")),
            patient_status=top.get("patient_status", EpisodeOfCareStatus)
            or EpisodeOfCareStatus.INACTIVE,
            texts=texts,
            episode_of_care=top.get("episode_of_care", as_string),
            occupation=top.get("occupation", as_string),
            priority=top.get("priority", CorrespondencePriority),
            subject=top.get("subject", as_string),
            references=tuple(_link(o) for o in top.objs("links")),
        ),
        attachments=tuple(read_attachment(o) for o in top.objs("attachments")),
        acknowledgement=top.get("acknowledgement", codes.AcknowledgementCode)
        or codes.AcknowledgementCode.PLUS_POSITIVE,
        category=top.get("category", Category) or Category.OTHER,
        author=author,
        sor_ids=sor_ids,
    )
    top.done()
    if not request.km.texts:
        raise InvalidValue("a KM needs text", location=Location("texts"))
    return request


def _party(top: JsonObject, key: str, sor_ids: dict[str, str]) -> Organisation:
    raw = top.obj(key)
    sor = raw.get("sor", as_string) if raw is not None else None
    org = read_organisation(raw, key)
    if sor is not None:
        sor_ids[str(org.ean)] = sor
    return org


def _texts(value: object) -> tuple[FormattedText, ...]:
    if isinstance(value, str):
        return (as_text(value),)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidValue("give the text as a string or a list of strings (one per block)")
    return tuple(as_text(v) for v in value)


def _author(o: JsonObject | None) -> Author | None:
    if o is None:
        return None
    author = Author(
        family=o.req("family", as_string),
        given=tuple(o.get("given", lambda v: [as_string(x) for x in v]) or ()),
        role_text=o.req("role", as_string),
    )
    o.done()
    return author


def _link(o: JsonObject) -> Reference:
    reference = Reference(o.req("description", as_string), UrlRef(o.req("url", as_string)))
    o.done()
    return reference
