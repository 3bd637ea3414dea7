"""From a launch context and what the worker (or case system) filled in, to journal entries.

Each builder writes the project's documented request format (``fixtures/requests``) and
hands it to the same readers and builders the CLI uses, so the service adds no message
rules of its own. Every result is validated (``detect.check``) before it can be queued.
Errors come back as :class:`FieldErrors`: Danish text keyed by the form field they concern.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from medcom_adapter import render
from medcom_adapter.detect import check
from medcom_adapter.errors import MedComError, OutboundInvalid
from medcom_adapter.fhir.carecommunication import from_bundle, to_bundle
from medcom_adapter.fhir.threads import NewAttachment, reply
from medcom_adapter.journal.interface import Attachment, Direction, NewMessage, StoredMessage
from medcom_adapter.km import compose_km, km_as_fhir
from medcom_adapter.model.carecommunication import Author, Category
from medcom_adapter.model.classification import Classification, Henvisning
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.km_request import km_request
from medcom_adapter.model.request import referral_request
from medcom_adapter.oioxml.emessage import build
from medcom_adapter.oioxml.outbound import Attachment as ReferralAttachment
from medcom_adapter.oioxml.outbound import build_referral
from medcom_adapter.service.context import LaunchContext
from medcom_adapter.service.receivers import Receiver

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
FHIR_KM = "CareCommunication"


class FieldErrors(Exception):
    """Danish messages keyed by field name ("" for the form as a whole)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k or 'form'}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True, slots=True)
class Upload:
    title: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ReferralFields:
    receiver_sor: str
    reason: str
    priority: str = "elektiv"
    diagnosis_code: str | None = None
    diagnosis_text: str | None = None
    relative_relation: str | None = None
    relative_given_name: str | None = None
    relative_surname: str | None = None
    classes: tuple[Henvisning, ...] = ()
    form: Upload | None = None  # the region's referral form (PDF)


@dataclass(frozen=True, slots=True)
class KmFields:
    receiver_sor: str
    text: str
    topic: str | None = None
    category: str = Category.OTHER.value
    priority: str = "rutine"
    attachments: tuple[Upload, ...] = ()
    reply_to: StoredMessage | None = None  # the received CareCommunication answered


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A validated message ready to append as ``queued``; ``preview`` is what a person reads."""

    message: NewMessage
    preview: str
    receiver: str
    files: tuple[tuple[str, bytes], ...] = field(default=())  # (file name, bytes) as sent


# Request key paths -> form fields, so errors appear next to the right input.
_FIELD_OF_KEY = {
    "clinical_reason": "reason", "priority": "priority", "diagnosis.code": "diagnosis_code",
    "diagnosis.text": "diagnosis_text", "diagnosis": "diagnosis_text",
    "relative.relation": "relative_relation", "relative.surname": "relative_surname",
    "relative.given_name": "relative_given_name", "texts": "text", "subject": "topic",
    "category": "category", "receiver": "receiver", "author": "",
}
_FIELD_OF_ELEMENT = {
    "ClinicalReason": "reason", "Diagnose": "diagnosis_text", "Relative": "relative_surname",
    "Subject": "topic", "ClinicalInformation": "text", "Priority": "priority",
}


def _now_local(now: datetime) -> datetime:
    return now.astimezone(DANISH_TIME).replace(tzinfo=None, second=0, microsecond=0)


def _sender(ctx: LaunchContext) -> dict[str, Any]:
    return {"ean": ctx.unit_ean, "identifier": ctx.unit_sor, "identifier_code": "sorkode",
            "name": ctx.unit_name, "phone": ctx.worker_phone}


def _receiver(r: Receiver) -> dict[str, Any]:
    return {"ean": r.ean, "identifier": r.sor, "identifier_code": "sorkode", "name": r.name,
            "department": r.department}


def _patient(ctx: LaunchContext) -> dict[str, Any]:
    address = {"street": ctx.patient_street, "postcode": ctx.patient_postcode,
               "district": ctx.patient_district}
    return {"id": ctx.patient_id, "surname": ctx.patient_surname,
            "given_name": ctx.patient_given_name,
            "address": {k: v for k, v in address.items() if v} or None}


def _clean(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def _danish(exc: MedComError) -> FieldErrors:
    """A core error as a form error, placed on the field it concerns when we know it."""
    target = ""
    if isinstance(exc, OutboundInvalid):
        path = exc.issues[0].path if exc.issues else ""
        target = next((f for e, f in _FIELD_OF_ELEMENT.items() if path and e in path), "")
        return FieldErrors({target: f"Meddelelsen kan ikke dannes: {exc.issues[0].message}"
                            if exc.issues else "Meddelelsen kan ikke dannes."})
    key = exc.location.path if exc.location and exc.location.path else ""
    target = _FIELD_OF_KEY.get(key, _FIELD_OF_KEY.get(key.split(".")[0], ""))
    return FieldErrors({target: f"Ugyldig værdi: {exc.message}"})


def referral(ctx: LaunchContext, fields: ReferralFields, receiver: Receiver | None, *,
             now: datetime, ids: IdSource | None = None) -> Outgoing:
    errors: dict[str, str] = {}
    if receiver is None or "XREF01" not in receiver.accepts:
        errors["receiver"] = "Vælg en modtager, der kan modtage henvisninger."
    if not _clean(fields.reason):
        errors["reason"] = "Skriv årsagen til henvisningen."
    if fields.priority not in ("elektiv", "akut", "saerlige_forhold"):
        errors["priority"] = "Vælg en prioritet."
    if _clean(fields.diagnosis_code) and not _clean(fields.diagnosis_text):
        errors["diagnosis_text"] = "Skriv diagnosens tekst, når der er angivet en kode."
    if fields.relative_relation and not _clean(fields.relative_surname):
        errors["relative_surname"] = "Skriv pårørendes efternavn."
    if not fields.classes:
        errors["classes"] = "Vælg mindst én henvisningskategori."
    if receiver is not None and receiver.form and fields.form is None:
        errors["form"] = f"Vedhæft regionens henvisningsskema som PDF ({receiver.form})."
    if errors:
        raise FieldErrors(errors)
    assert receiver is not None
    ids = ids or IdSource()
    when = _now_local(now)
    diagnosis = None
    if _clean(fields.diagnosis_text):
        diagnosis = {"text": _clean(fields.diagnosis_text),
                     "type": "SKSdiagnosekode" if _clean(fields.diagnosis_code)
                     else "uspecificeretkode",
                     "code": _clean(fields.diagnosis_code), "description": "henv_diagnose"}
    relative = None
    if fields.relative_relation:
        relative = {"relation": fields.relative_relation,
                    "surname": _clean(fields.relative_surname),
                    "given_name": _clean(fields.relative_given_name)}
    request = {
        "episodes_of_care": [{"type": "henviser", "identifier": ctx.episode_id}],
        "sender": _sender(ctx),
        "referrer": {"name": ctx.worker_name, "title": ctx.worker_title},
        "receiver": _receiver(receiver),
        "patient": _patient(ctx),
        "relative": relative,
        "priority": fields.priority,
        "referral_status": "ambulant",
        "clinical_reason": fields.reason.strip(),
        "diagnosis": diagnosis,
    }
    try:
        parsed = referral_request(request, now=when, letter_id=ids.letter_id())
        attachments = () if fields.form is None else (
            ReferralAttachment(fields.form.title, fields.form.data),)
        package = build_referral(parsed.referral, attachments, ids=ids)
    except MedComError as exc:
        raise _danish(exc) from None
    for f in package.files:
        _must_be_valid(f.data)
    message = NewMessage(
        direction=Direction.OUTBOUND, kind="XREF01", version=package.referral.version.code,
        data=package.referral.data, envelope_id=package.referral.envelope_id,
        message_id=package.referral.letter_id, sender_ean=ctx.unit_ean,
        receiver_ean=receiver.ean, sender_sor=ctx.unit_sor, receiver_sor=receiver.sor,
        patient=ctx.patient, episode_id=ctx.episode_id,
        attachments=tuple(
            Attachment(b.envelope_id, "application/xml", b.data, fields.form.title)
            for b in package.binaries if fields.form is not None
        ),
        classification=Classification(UUID(ctx.episode_id), when.date(), ctx.patient,
                                      SorId(ctx.unit_sor), fields.classes),
    )
    return Outgoing(message, _preview(package.referral.data), receiver.label,
                    tuple((f.file_name, f.data) for f in package.files))


def km(ctx: LaunchContext, fields: KmFields, receiver: Receiver | None, *, now: datetime,
       ids: IdSource | None = None) -> Outgoing:
    errors: dict[str, str] = {}
    if receiver is None or not {"XDIS91", FHIR_KM} & set(receiver.accepts):
        errors["receiver"] = "Vælg en modtager, der kan modtage korrespondancemeddelelser."
    if not _clean(fields.text):
        errors["text"] = "Skriv meddelelsens tekst."
    if fields.topic and len(fields.topic) > 70:
        errors["topic"] = "Emnet må højst være 70 tegn."
    if fields.category not in {c.value for c in Category}:
        errors["category"] = "Vælg en kategori."
    if fields.priority not in ("rutine", "høj_prioritet"):
        errors["priority"] = "Vælg en prioritet."
    if errors:
        raise FieldErrors(errors)
    assert receiver is not None
    ids = ids or IdSource()
    if fields.reply_to is not None:
        return _fhir_reply(ctx, fields, receiver, now)
    fhir = FHIR_KM in receiver.accepts
    files = {f"bilag-{i}": a.data for i, a in enumerate(fields.attachments)}
    request = {
        "category": fields.category if fhir else None,
        "subject": _clean(fields.topic),
        "priority": fields.priority,
        "episode_of_care": ctx.episode_id,
        "sender": _sender(ctx),
        "receiver": _receiver(receiver),
        "patient": _patient(ctx),
        "author": _author(ctx) if fhir else None,
        "texts": [fields.text.strip()],
        "attachments": [{"file": f"bilag-{i}", "description": a.title,
                         "extension": a.content_type.split("/")[1]}
                        for i, a in enumerate(fields.attachments)],
    }
    try:
        parsed = km_request(request, now=_now_local(now), letter_id=ids.letter_id())
        message, binaries = compose_km(parsed, files, ids)
        if fhir:
            cc = km_as_fhir(parsed, message, binaries)
            data = _bundle_bytes(cc)
            _must_be_valid(data)
            new = _fhir_message(ctx, receiver, data, cc.bundle_id, cc.message_id)
            return Outgoing(new, _preview(data), receiver.label,
                            ((f"CareCommunication_{cc.bundle_id}.json", data),))
        xdis = build(message, "XD9134L")
        bins = [(b.envelope.identifier, build(b, "XB0131X")) for b in binaries]
    except MedComError as exc:
        raise _danish(exc) from None
    for data in (xdis, *(b for _, b in bins)):
        _must_be_valid(data)
    letter = message.letters[0]
    new = NewMessage(
        direction=Direction.OUTBOUND, kind="XDIS91", version="XD9134L", data=xdis,
        envelope_id=message.envelope.identifier,
        message_id=letter.identifier if not hasattr(letter, "letter") else letter.letter.identifier,
        sender_ean=ctx.unit_ean, receiver_ean=receiver.ean, sender_sor=ctx.unit_sor,
        receiver_sor=receiver.sor, patient=ctx.patient, episode_id=ctx.episode_id,
        attachments=tuple(Attachment(env, "application/xml", data, a.title)
                          for (env, data), a in zip(bins, fields.attachments, strict=True)),
    )
    files_out = ((f"XDIS91_{new.envelope_id}.xml", xdis),
                 *((f"XBIN01_{env}.xml", data) for env, data in bins))
    return Outgoing(new, _preview(xdis), receiver.label, files_out)


def _author(ctx: LaunchContext) -> dict[str, Any]:
    *given, family = ctx.worker_name.split()
    return {"family": family, "given": given or None, "role": ctx.worker_title or "Medarbejder"}


def _fhir_reply(ctx: LaunchContext, fields: KmFields, receiver: Receiver,
                now: datetime) -> Outgoing:
    assert fields.reply_to is not None
    try:
        previous = from_bundle(json.loads(fields.reply_to.message.data))
        a = _author(ctx)
        cc = reply(previous, text=fields.text.strip(),
                   author=Author(a["family"], tuple(a["given"] or ()), role_text=a["role"]),
                   phone=ctx.worker_phone or "0000 0000", now=now.astimezone(DANISH_TIME),
                   attachments=[NewAttachment(u.title, u.content_type, u.data)
                                for u in fields.attachments])
        data = _bundle_bytes(cc)
    except MedComError as exc:
        raise _danish(exc) from None
    _must_be_valid(data)
    new = _fhir_message(ctx, receiver, data, cc.bundle_id, cc.message_id)
    return Outgoing(new, _preview(data), receiver.label,
                    ((f"CareCommunication_{cc.bundle_id}.json", data),))


def _bundle_bytes(cc: Any) -> bytes:
    return json.dumps(to_bundle(cc), ensure_ascii=False, indent=1).encode("utf-8")


def _fhir_message(ctx: LaunchContext, receiver: Receiver, data: bytes, bundle_id: str,
                  message_id: str) -> NewMessage:
    return NewMessage(
        direction=Direction.OUTBOUND, kind=FHIR_KM, version="5.0", data=data,
        envelope_id=bundle_id, message_id=message_id, sender_ean=ctx.unit_ean,
        receiver_ean=receiver.ean, sender_sor=ctx.unit_sor, receiver_sor=receiver.sor,
        patient=ctx.patient, episode_id=ctx.episode_id,
    )


def _must_be_valid(data: bytes) -> None:
    report = check(data)
    if not report.valid:
        raise _danish(OutboundInvalid(report.issues))


def _preview(data: bytes) -> str:
    """The message as a person reads it (CPR shown: the worker is looking at this child)."""
    from medcom_adapter.detect import parse

    return render.any_message(parse(data), reveal=True)
