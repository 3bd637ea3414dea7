"""The JSON API for case systems (documented by the OpenAPI document at /openapi.json).

CPR numbers travel only in request and response bodies, never in paths or query strings:
looking up a patient's messages is a POST for that reason.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from medcom_adapter.errors import InvalidValue, UploadRefused
from medcom_adapter.journal import actors
from medcom_adapter.journal.interface import Direction, StoredMessage
from medcom_adapter.journal.interface import Query as JournalQuery
from medcom_adapter.journal.shared import StoreFull
from medcom_adapter.model.carecommunication import Category
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.model.parties import person_id
from medcom_adapter.service import forms, idempotency
from medcom_adapter.service.apikeys import ApiKey
from medcom_adapter.service.auth import require
from medcom_adapter.service.context import Kind, LaunchContext
from medcom_adapter.service.filing import filing_zip
from medcom_adapter.service.launching import launch_problems
from medcom_adapter.service.marks import COPY_TO_GP
from medcom_adapter.service.problems import ApiProblem, FieldError, responses
from medcom_adapter.service.settings import public_url
from medcom_adapter.service.state import ServiceState, state
from medcom_adapter.service.uploads import check_upload

router = APIRouter(prefix="/api", tags=["api"])
log = logging.getLogger(__name__)
Text = Annotated[str, Field(min_length=1, max_length=200)]
PDF_ONLY = frozenset({"application/pdf"})
IdempotencyKey = Annotated[str | None, Header(
    alias=idempotency.HEADER, pattern=idempotency.PATTERN, description=(
        "your unique id of this send (1-255 visible ASCII characters, e.g. a UUID): a "
        "repeat with the same key and body answers as the first did and sends nothing; "
        "the same key with another body is refused (422)"))]
KM_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif",
                      "image/tiff", "image/bmp"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Address(_Strict):
    street: Text | None = None
    postcode: Annotated[str, Field(pattern=r"^[0-9]{4}$")] | None = None
    district: Text | None = None


class PatientIn(_Strict):
    cpr: Annotated[str, Field(min_length=10, max_length=10, description=(
        "CPR number; a replacement id (erstatnings-CPR, eCPR) only with replacement: true"))]
    replacement: bool = False
    given_name: Text | None = None
    surname: Text
    address: Address | None = None
    gp_sor: Annotated[str, Field(pattern=r"^[1-9][0-9]{5,17}$", description=(
        "the child's own GP (SOR code): preselected as the receiver of a KM, and the "
        "receiver of a referral's copy to the GP"))] | None = None


class UnitIn(_Strict):
    sor: Annotated[str, Field(pattern=r"^[1-9][0-9]{5,17}$")]
    ean: Annotated[str, Field(pattern=r"^[0-9]{13}$")]
    name: Text | None = None
    address: Address | None = Field(
        None, description="needed for referral attachments sent as XBIN02")
    speciality: Annotated[str, Field(max_length=40, description=(
        "MedCom speciality code, e.g. psykolog; needed for XBIN02"))] | None = None


class WorkerIn(_Strict):
    name: Text
    id: Annotated[str, Field(min_length=1, max_length=64, description=(
        "the worker's own id in the case system (a login or initials): when given, what is "
        "unread in the mailbox is this worker's, not the unit's"))] | None = None
    title: Text | None = None
    phone: Annotated[str, Field(max_length=25)] | None = None


class ContextIn(_Strict):
    patient: PatientIn
    unit: UnitIn
    worker: WorkerIn
    episode_id: Annotated[str, Field(description="forløbs-ID (UUID)", max_length=36)]


class LaunchIn(ContextIn):
    kind: Literal["referral", "km"]
    journal: bool = Field(False, description=(
        "let the worker browse the unit's journal, not only this child's messages (the "
        "key needs the scope 'journal')"))


class LaunchOut(BaseModel):
    url: str
    expires: datetime


class FileIn(_Strict):
    title: Text
    data_base64: Annotated[str, Field(description="the file, base64")]


class RelativeIn(_Strict):
    relation: Literal["mor", "far", "uspec_paaroerende"]
    surname: Text
    given_name: Text | None = None


class CustodyHolderIn(_Strict):
    relation: Literal["mor", "far", "uspec_paaroerende"]
    surname: Text
    given_name: Text | None = None
    consent: bool = Field(description="whether this holder consents to the referral")


class ReferralIn(ContextIn):
    receiver_sor: str
    reason: Annotated[str, Field(min_length=1, max_length=10000)]
    priority: Literal["elektiv", "akut", "saerlige_forhold"] = "elektiv"
    diagnosis_code: Annotated[str, Field(max_length=20)] | None = None
    diagnosis_text: Text | None = None
    relative: RelativeIn | None = Field(None, description=(
        "a relative who is not a custody holder; not together with custody"))
    custody: list[CustodyHolderIn] = Field(default_factory=list, max_length=2, description=(
        "the holders of parental custody (forældremyndighed), one or two, each with their "
        "consent: the first is the letter's Relative, both and their consent are written in "
        "its supplementary text"))
    copy_to_gp: bool = Field(False, description=(
        "also send the child's GP (patient.gp_sor) a KM with the referral's gist, as its own "
        "message, queued in the same commit as the referral"))
    classification: list[Henvisning] | None = Field(
        None, description="henvisning classes; default child psychiatry (referrals go to BUP)")
    form: FileIn | None = Field(None, description="the region's referral form, PDF")


class KmIn(ContextIn):
    receiver_sor: str
    text: Annotated[str, Field(min_length=1, max_length=10000)]
    topic: Annotated[str, Field(max_length=70)] | None = None
    priority: Literal["rutine", "høj_prioritet"] = "rutine"
    attachments: list[FileIn] = Field(default_factory=list, max_length=5)
    reply_to: int | None = Field(None, description="journal id of a received KM answered")
    category: Category | None = Field(None, description=(
        "MedCom CareCommunication category; required for a new KM to a receiver that takes "
        "CareCommunication (topic too with 'other'); a reply keeps its thread's by default; "
        "not used for XDIS91"))
    henvisning: bool = Field(False, description=(
        "the KM refers the child to the GP: recorded as the course's §126a henvisning "
        "'Alment praktiserende læge' with the message"))


class StatusChangeOut(BaseModel):
    status: str
    at: datetime
    reason: str | None


class MessageOut(BaseModel):
    id: int
    direction: str
    kind: str
    version: str
    status: str
    envelope_id: str
    message_id: str
    episode_id: str | None
    receiver_sor: str | None
    sender_sor: str | None
    classification: list[str]
    history: list[StatusChangeOut]
    answered_by: list[int]


class QueuedOut(BaseModel):
    id: int = Field(description="journal id of the letter (its status is the message's)")
    ids: list[int] = Field(description="every journal id queued: the letter, then binaries")
    status: str
    kind: str
    files: list[str]


class ReferralQueuedOut(QueuedOut):
    copy_to_gp: QueuedOut | None = Field(None, description=(
        "the KM to the child's GP, when copy_to_gp was asked for"))


class SearchIn(_Strict):
    patient_cpr: Annotated[str, Field(min_length=10, max_length=10)] | None = None
    episode_id: Annotated[str, Field(max_length=36)] | None = None


class InboundOut(BaseModel):
    id: int
    kind: str
    version: str
    patient_cpr: str | None
    episode_id: str | None
    sender_sor: str | None
    data_base64: str


class InboundPage(BaseModel):
    messages: list[InboundOut]
    next: int = Field(description="the cursor: pass it as `after` for the next page (the "
                                  "last id here, or the `after` given when nothing came)")
    more: bool = Field(description="more messages are waiting after `next` now")


def _context(body: ContextIn, kind: Kind, key: ApiKey, *, journal: bool = False
             ) -> LaunchContext:
    """The context, for a unit the key acts for (403 otherwise)."""
    address = body.patient.address or Address()
    unit_address = body.unit.address or Address()
    try:
        context = LaunchContext(
            patient_id=body.patient.cpr, patient_given_name=body.patient.given_name,
            patient_surname=body.patient.surname, unit_sor=body.unit.sor,
            unit_ean=body.unit.ean, worker_name=body.worker.name,
            episode_id=body.episode_id, kind=kind, case_system=key.name, key_id=key.id,
            journal=journal,
            unit_name=body.unit.name, worker_title=body.worker.title,
            worker_phone=body.worker.phone, patient_street=address.street,
            patient_postcode=address.postcode, patient_district=address.district,
            unit_street=unit_address.street, unit_postcode=unit_address.postcode,
            unit_district=unit_address.district, unit_speciality=body.unit.speciality,
            gp_sor=body.patient.gp_sor,
            patient_id_is_replacement=body.patient.replacement,
            worker_id=body.worker.id,
        )
    except InvalidValue as exc:
        where = exc.location.path if exc.location and exc.location.path else ""
        raise _invalid(FieldError(where, exc.code, exc.message)) from None
    return replace(context, scope_ean=_scope_ean(body.unit, key))


def _scope_ean(unit: UnitIn, key: ApiKey) -> str | None:
    """The unit's EAN as ``key`` names it: the launch's EAN where the key names it, None
    where the key names the unit without one; 403 for a unit or EAN the key does not name."""
    named = {u.ean for u in key.units if u.sor == unit.sor}
    if unit.ean in named:
        return unit.ean
    if None in named:
        return None
    if not named:
        raise ApiProblem("api.forbidden", detail=f"this API key does not act for unit "
                                                 f"{unit.sor}")
    raise ApiProblem("api.forbidden", detail=f"this API key names unit {unit.sor} with "
                     f"location number {', '.join(sorted(e for e in named if e))}, "
                     f"not {unit.ean}")


def _invalid(*errors: FieldError, code: str = "api.validation") -> ApiProblem:
    return ApiProblem(code, errors=errors)


# The form fields of :mod:`.forms` as paths of the API's bodies, with English words for the
# Danish messages the forms give (which are kept as detail_da).
_FORM_FIELDS = {
    "receiver": ("receiver_sor", "the receiver cannot take this message"),
    "reason": ("reason", "give the reason for the referral"),
    "priority": ("priority", "a priority this message does not allow"),
    "diagnosis_code": ("diagnosis_code", "not a diagnosis code this message allows"),
    "diagnosis_text": ("diagnosis_text", "give the diagnosis text with a diagnosis code"),
    "relative_relation": ("relative.relation", "not a relation this message allows"),
    "relative_surname": ("relative.surname", "give the relative's surname"),
    "relative_given_name": ("relative.given_name", "not a name this message allows"),
    "classes": ("classification", "give at least one henvisning class"),
    "form": ("form", "attach the region's referral form as PDF"),
    **{f"custody{n}_{part}": (f"custody[{n - 1}].{part}", english)
       for n in (1, 2) for part, english in (
           ("relation", "not a relation to the child this message allows"),
           ("surname", "give the custody holder's surname"),
           ("consent", "say whether this custody holder consents"))},
    "copy_gp": ("copy_to_gp", "the copy cannot go: the child's GP (patient.gp_sor) is not "
                              "given, or their letter cannot be built"),
    "reply_to": ("reply_to", "the message answered was received by another unit"),
    "text": ("text", "give the message's text"),
    "topic": ("topic", "give a topic of at most 70 characters (required with category "
                       "'other')"),
    "category": ("category", "give one of MedCom's categories (this receiver needs one)"),
    "": ("", "the message cannot be built from this request"),
}


def _form_problem(exc: forms.FieldErrors) -> ApiProblem:
    cause = exc.cause
    errors = []
    for name, danish in exc.errors.items():
        path, english = _FORM_FIELDS.get(name, (name, "invalid value"))
        errors.append(FieldError(path, cause.code if cause else "api.invalid-field",
                                 cause.message if cause else english, detail_da=danish))
    return _invalid(*errors, code=cause.code if cause else "api.validation")


def _file(f: FileIn, where: str, allowed: frozenset[str], s: ServiceState) -> forms.Upload:
    try:
        data = base64.b64decode(f.data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(FieldError(f"{where}.data_base64", "api.base64", "not valid base64",
                                  detail_da="Filen er ikke gyldig base64.")) from None
    try:
        content_type = check_upload(data, max_bytes=s.settings.max_upload_bytes,
                                    allowed=allowed, what="Filen")
    except UploadRefused as exc:
        raise _invalid(FieldError(f"{where}.data_base64", exc.code, next(
            (en for da, en in _UPLOAD_EN.items() if da in exc.message), "the file is refused"),
            detail_da=exc.message), code=exc.code) from None
    return forms.Upload(f.title, content_type, data)


_UPLOAD_EN = {
    "filen er tom": "the file is empty",
    "filen er for stor": "the file is too large",
    "PDF-filen er ufuldstændig": "the PDF file is incomplete (it lacks its end)",
    "filen er ikke en tilladt filtype": "the file is not of an allowed type "
                                        "(judged by its content)",
}


def message_out(m: StoredMessage) -> MessageOut:
    c = m.message.classification
    return MessageOut(
        id=m.id, direction=m.message.direction.value, kind=m.message.kind,
        version=m.message.version, status=m.status.value, envelope_id=m.message.envelope_id,
        message_id=m.message.message_id, episode_id=m.message.episode_id,
        receiver_sor=m.message.receiver_sor, sender_sor=m.message.sender_sor,
        classification=[h.value for h in c.classes] if c else [],
        history=[StatusChangeOut(status=h.status.value, at=h.at, reason=h.reason)
                 for h in m.history],
        answered_by=list(m.answered_by),
    )


def _actor(key: ApiKey) -> str:
    return actors.api_key(key.id)  # the key's id: its name is whatever an operator typed


@router.post("/launch", response_model=LaunchOut, status_code=201,
             responses=responses(401, 403, 413, 422))
async def launch(body: LaunchIn, request: Request,
                 key: Annotated[ApiKey, Depends(require("launch"))]) -> LaunchOut:
    """A one-time URL that opens the referral or KM page for this context in a browser.

    Refused (422, each missing or unusable field named) when the form could not send what
    it offers: the unit's name, address and speciality a referral's letters need, a
    receiver to choose, the child's GP where given."""
    s = state(request)
    if body.journal and "journal" not in key.scopes:
        raise ApiProblem("api.forbidden", detail="this API key lacks the scope 'journal'")
    context = _context(body, Kind(body.kind), key, journal=body.journal)
    problems = launch_problems(s.settings.directory, context, now=s.settings.clock())
    if problems:
        raise _invalid(*(FieldError(path, "api.launch-incomplete", detail)
                         for path, detail in problems.items()), code="api.launch-incomplete")
    try:
        token, expires = s.tokens.issue(context)
    except StoreFull:
        raise ApiProblem("api.unavailable") from None
    return LaunchOut(url=public_url(s.settings, request, f"/launch/{token}"), expires=expires)


@router.post("/referrals", response_model=ReferralQueuedOut, status_code=201,
             responses=responses(401, 403, 413, 422))
async def send_referral(body: ReferralIn, request: Request,
                        key: Annotated[ApiKey, Depends(require("send"))],
                        idempotency_key: IdempotencyKey = None) -> QueuedOut | Response:
    """Build, validate and queue a referral to BUP via DNHF (XREF01 + XBIN01/XBIN02 with
    the form), with its §126a classification; with custody holders and their consent, and
    a copy to the child's GP, as the referral page has them."""
    # One worker thread runs the whole send, as one hop: it reads and writes the journal
    # (a durable commit waits for the disk; on SQLite, for other writers' turns too) and
    # decodes, checks and builds files and XML. On the event loop either would hold up
    # every other request; each further hop is another wait for the loop and the GIL.
    return await run_in_threadpool(_send_referral, state(request), body, key,
                                   idempotency_key, request.url.path)


def _send_referral(s: ServiceState, body: ReferralIn, key: ApiKey,
                   idempotency_key: str | None, path: str) -> QueuedOut | Response:
    send = idempotency.once(idempotency_key, key_id=key.id, path=path, body=body)
    if send is not None and (earlier := idempotency.replay(s.journal, send)) is not None:
        return earlier
    ctx = _context(body, Kind.REFERRAL, key)
    if body.relative is not None and body.custody:
        raise _invalid(FieldError(
            "relative", "api.invalid-field", "give custody holders or a relative, not both: "
            "the first custody holder is the letter's relative",
            detail_da="Angiv forældremyndighedsindehavere eller en pårørende, ikke begge."))
    form = _file(body.form, "form", PDF_ONLY, s) if body.form else None
    classes = tuple(body.classification or (forms.REFERRAL_CLASS,))
    fields = forms.ReferralFields(
        receiver_sor=body.receiver_sor, reason=body.reason, priority=body.priority,
        diagnosis_code=body.diagnosis_code, diagnosis_text=body.diagnosis_text,
        relative_relation=body.relative.relation if body.relative else None,
        relative_given_name=body.relative.given_name if body.relative else None,
        relative_surname=body.relative.surname if body.relative else None,
        classes=classes, form=form,
        custody=tuple(forms.CustodyHolder(h.relation, h.surname, h.given_name, h.consent)
                      for h in body.custody))

    def build() -> tuple[forms.Outgoing, ...]:
        now = s.settings.clock()
        referral = forms.referral(s.settings.directory, ctx, fields, now=now)
        if not body.copy_to_gp:
            return (referral,)
        return referral, forms.copy_to_gp(s.settings.directory, ctx, fields,
                                          referral.receiver, now=now)

    out = _queue(s, key, build, send, referral=True)
    if isinstance(out, ReferralQueuedOut) and out.copy_to_gp is not None:
        s.marks.link(out.id, COPY_TO_GP, out.copy_to_gp.id)  # the status page shows it
    return out


@router.post("/km", response_model=QueuedOut, status_code=201,
             responses=responses(401, 403, 404, 413, 422))
async def send_km(body: KmIn, request: Request,
                  key: Annotated[ApiKey, Depends(require("send"))],
                  idempotency_key: IdempotencyKey = None) -> QueuedOut | Response:
    """Build, validate and queue a correspondence message: a FHIR CareCommunication (the
    attachments inside) when the receiver takes CareCommunication 5.0, otherwise XDIS91 +
    one XBIN01 per attachment. A reply goes to the sender of the received message it
    answers, in its form: in the thread of a CareCommunication, or as XDIS91."""
    return await run_in_threadpool(_send_km, state(request), body, key, idempotency_key,
                                   request.url.path)


def _send_km(s: ServiceState, body: KmIn, key: ApiKey, idempotency_key: str | None,
             path: str) -> QueuedOut | Response:
    send = idempotency.once(idempotency_key, key_id=key.id, path=path, body=body)
    if send is not None and (earlier := idempotency.replay(s.journal, send)) is not None:
        return earlier
    ctx = _context(body, Kind.KM, key)
    previous = None
    if body.reply_to is not None:
        previous = s.read(body.reply_to, actor=_actor(key), units=key.units)
        if (previous is None or previous.message.direction is not Direction.INBOUND
                or previous.message.kind not in forms.KM_KINDS
                or previous.message.patient != ctx.patient):
            raise ApiProblem("api.not-found",
                             detail="no received KM for this patient with that id")
    uploads = tuple(_file(a, f"attachments[{i}]", KM_TYPES, s)
                    for i, a in enumerate(body.attachments))
    fields = forms.KmFields(receiver_sor=body.receiver_sor, text=body.text, topic=body.topic,
                            priority=body.priority, attachments=uploads, reply_to=previous,
                            category=body.category.value if body.category else None,
                            henvisning=body.henvisning)
    return _queue(s, key, lambda: (forms.km(s.settings.directory, ctx, fields,
                                      now=s.settings.clock()),), send)


def _queue(s: ServiceState, key: ApiKey, build: Callable[[], tuple[forms.Outgoing, ...]],
           send: idempotency.Once | None, *, referral: bool = False) -> QueuedOut | Response:
    """Builds, validates and journals. Under an idempotency key, the answer is kept in the
    commit that queues (see ``idempotency``). ``build`` gives the letter and what goes with
    it (a referral's copy to the GP), queued in one commit; a ``referral`` answers with the
    copy beside the letter."""
    try:
        outgoing = build()
    except forms.FieldErrors as exc:
        raise _form_problem(exc) from None

    def respond(ids: Sequence[int]) -> QueuedOut:
        parts, at = [], 0
        for o in outgoing:  # one journal id per entry, each message's in turn
            n = len(o.prepared.entries)
            parts.append(QueuedOut(id=ids[at], ids=list(ids[at:at + n]), status="queued",
                                   kind=o.prepared.entries[0].kind,
                                   files=[name for name, _ in o.files]))
            at += n
        if not referral:
            return parts[0]
        return ReferralQueuedOut(**parts[0].model_dump(),
                                 copy_to_gp=parts[1] if len(parts) > 1 else None)

    def queue() -> list[int]:
        queued = s.queue_together(*outgoing, actor=_actor(key))
        return [i for ids in queued for i in ids]

    if send is None:  # both answered once committed, with the sends waiting meanwhile
        out = respond(s.commits.run(queue))
    else:
        answered = s.commits.run(lambda: idempotency.queue_once(
            s.journal, send, queue, respond, status=201, now=s.settings.clock()))
        if not isinstance(answered, QueuedOut):
            return answered  # another request under the key queued first
        out = answered
    entry = outgoing[0].prepared.entries[0]
    log.info("queued %s for %s", entry.kind, key.name, extra={"fields": {
        "journal_ids": out.ids, "envelope_id": entry.envelope_id, "case_system": key.name}})
    return out


@router.get("/messages/{journal_id}", response_model=MessageOut,
            responses=responses(401, 403, 404, 422))
async def read_status(journal_id: Annotated[int, Path(ge=1, le=2**53)], request: Request,
                      key: Annotated[ApiKey, Depends(require("read"))]) -> MessageOut:
    """A message's status and history (receipts and acknowledgements by journal id)."""
    stored = state(request).read(journal_id, actor=_actor(key), units=key.units)
    if stored is None:
        raise ApiProblem("api.not-found", detail="no such message")
    return message_out(stored)


@router.post("/messages/search", response_model=list[MessageOut],
             responses=responses(401, 403, 413, 422))
async def search(body: SearchIn, request: Request,
                 key: Annotated[ApiKey, Depends(require("read"))]) -> list[MessageOut]:
    """A patient's messages (by CPR in the body), or a course's (by forløbs-ID)."""
    if body.patient_cpr is None and body.episode_id is None:
        raise _invalid(FieldError("", "api.missing", "give patient_cpr or episode_id",
                                  detail_da="Angiv patient_cpr eller episode_id."))
    try:
        patient = person_id(body.patient_cpr) if body.patient_cpr else None
    except InvalidValue as exc:
        raise _invalid(FieldError("patient_cpr", exc.code, exc.message)) from None
    found = state(request).search(JournalQuery(patient=patient, episode_id=body.episode_id,
                                               units=key.units), actor=_actor(key))
    return [message_out(m) for m in found]


@router.get("/messages/{journal_id}/export", responses={
    200: {"content": {"application/zip": {}}}, **responses(401, 403, 404, 422)})
async def export(journal_id: Annotated[int, Path(ge=1, le=2**53)], request: Request,
                 key: Annotated[ApiKey, Depends(require("export"))]) -> Response:
    """The filing export (ZIP) of everything about this message's patient."""
    s = state(request)
    stored = s.read(journal_id, actor=_actor(key), units=key.units)
    if stored is None or stored.message.patient is None:
        raise ApiProblem("api.not-found", detail="no such message")
    data = filing_zip(s.journal.export(stored.message.patient, actor=_actor(key),
                                       units=key.units))
    name = f"journal-{journal_id}.zip"
    return Response(data, media_type="application/zip",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/inbound", response_model=InboundPage,
            responses=responses(401, 403, 422))
async def inbound(request: Request, key: Annotated[ApiKey, Depends(require("inbound"))],
                  after: Annotated[int, Query(ge=0, le=2**53)] = 0,
                  limit: Annotated[int, Query(ge=1, le=100)] = 20,
                  ) -> InboundPage:
    """Received correspondence for the key's units, for case systems that poll: messages
    with id > ``after``, oldest first, ``limit`` at a time; continue from ``next``."""
    found = state(request).search(JournalQuery(
        direction=Direction.INBOUND, kinds=forms.KM_KINDS, after=after, units=key.units,
        limit=limit + 1), actor=_actor(key))
    page = list(found[:limit])
    return InboundPage(messages=[inbound_out(m) for m in page],
                       next=page[-1].id if page else after, more=len(found) > limit)


def inbound_out(m: StoredMessage) -> InboundOut:
    return InboundOut(id=m.id, kind=m.message.kind, version=m.message.version,
                      patient_cpr=str(m.message.patient) if m.message.patient else None,
                      episode_id=m.message.episode_id, sender_sor=m.message.sender_sor,
                      data_base64=base64.b64encode(m.message.data).decode("ascii"))
