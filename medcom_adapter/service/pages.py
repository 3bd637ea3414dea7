"""Server-rendered pages for PPR staff: launch, forms, preview, status, the unit's journal.

No JavaScript: every step is a plain form. A page session starts when a launch URL is
redeemed; each form carries the session's CSRF token. CPR numbers are posted in bodies
(search) and never appear in a URL.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from medcom_adapter.errors import (
    InvalidValue,
    LaunchRefused,
    MedComError,
    UnknownReceiver,
    UploadRefused,
)
from medcom_adapter.journal.interface import Direction, Query, StoredMessage
from medcom_adapter.journal.shared import StoreFull, Unit
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.model.parties import PersonId, person_id
from medcom_adapter.service import forms, labels, problems
from medcom_adapter.service.answers import describe
from medcom_adapter.service.api import KM_TYPES, PDF_ONLY
from medcom_adapter.service.context import Kind, LaunchContext
from medcom_adapter.service.drafts import Draft
from medcom_adapter.service.preview import Section, danish
from medcom_adapter.service.sessions import Session
from medcom_adapter.service.state import ServiceState, state
from medcom_adapter.service.uploads import check_upload

COOKIE = "mca_session"
router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
templates.env.globals["labels"] = labels


class _NoSession(Exception):
    pass


def _session(request: Request) -> Session:
    session = state(request).sessions.get(request.cookies.get(COOKIE))
    if session is None:
        raise _NoSession
    return session


@dataclass(frozen=True, slots=True)
class Submitted:
    """A posted form read whole and closed: text fields and (file name, bytes) uploads."""

    fields: dict[str, list[str]]
    files: dict[str, list[tuple[str, bytes]]]

    def get(self, name: str) -> str:
        return (self.fields.get(name) or [""])[0]

    def getlist(self, name: str) -> list[str]:
        return self.fields.get(name, [])


async def _form(request: Request, session: Session) -> Submitted:
    """The posted form after its CSRF token is checked; each file read up to the limit + 1."""
    limit = state(request).settings.max_upload_bytes
    fields: dict[str, list[str]] = {}
    files: dict[str, list[tuple[str, bytes]]] = {}
    async with request.form(max_files=10, max_fields=50) as form:
        for name, item in form.multi_items():
            if isinstance(item, UploadFile):
                if item.filename:
                    files.setdefault(name, []).append((item.filename, await item.read(limit + 1)))
            else:
                fields.setdefault(name, []).append(item)
    token = (fields.get("csrf") or [""])[0]
    if not secrets.compare_digest(token.encode(), session.csrf.encode()):
        raise HTTPException(403, "Formularen kunne ikke godkendes (CSRF). Genindlæs siden.")
    return Submitted(fields, files)


def _page(request: Request, name: str, session: Session | None, status: int = 200,
          **values: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"session": session, "ctx": session.context if session else None,
                        **values}, status_code=status)


@router.get("/launch/{token}", name="launch_page")
async def launch_page(token: str, request: Request) -> Response:
    s = state(request)
    try:
        context = s.tokens.redeem(token)
    except LaunchRefused as exc:
        return _page(request, "launch_error.html", None, status=410 if exc.reason != "invalid"
                     else 400, reason=exc.reason)
    try:
        session = s.sessions.start(context)
    except StoreFull:
        raise HTTPException(503, "Tjenesten har for mange åbne sessioner. Prøv igen senere."
                            ) from None
    target = "/henvisning" if context.kind is Kind.REFERRAL else "/km"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, session.id, httponly=True, samesite="lax",
                        secure=s.settings.https, path="/")
    return response


# -- referral ---------------------------------------------------------------------------

@router.post("/log-ud")
async def logout(request: Request) -> Response:
    """End the page session (and its drafts) in every process; the cookie goes too."""
    session = _session(request)
    await _form(request, session)
    state(request).sessions.end(session.id)
    response = _page(request, "error.html", None, title="Du er logget ud",
                     message="Åbn siden igen fra fagsystemet for at fortsætte.")
    response.delete_cookie(COOKIE, path="/")
    return response


def _referral_values(s: ServiceState, session: Session) -> dict[str, Any]:
    receivers = forms.referral_receivers(s.settings.directory)
    return {"receivers": receivers, "classes": list(Henvisning),
            "values": {"priority": "elektiv",
                       "receiver": receivers[0][1].sor if receivers else "",
                       "classes": [forms.REFERRAL_CLASS.value]}}


@router.get("/henvisning")
async def referral_form(request: Request) -> Response:
    session = _session(request)
    s = state(request)
    page = _referral_values(s, session)
    draft = s.drafts.get(session.id, request.query_params.get("kladde", ""))
    if draft is not None and draft.kind == "referral":
        page["values"] = draft.values
    return _page(request, "referral.html", session, **page)


@router.post("/henvisning")
async def referral_submit(request: Request) -> Response:
    session = _session(request)
    s = state(request)
    form = await _form(request, session)
    values: dict[str, Any] = {k: form.get(k) for k in (
        "receiver", "reason", "priority", "diagnosis_code", "diagnosis_text",
        "relative_relation", "relative_given_name", "relative_surname")}
    values["classes"] = form.getlist("classes")
    receiver = forms.find(s.settings.directory, str(values["receiver"]))
    errors: dict[str, str] = {}
    upload = None
    try:
        upload = _upload(form.files.get("form", [])[:1], "Henvisningsskemaet", PDF_ONLY, s)
    except UploadRefused as exc:
        errors["form"] = exc.message
    try:
        classes = tuple(Henvisning(c) for c in values["classes"])
    except ValueError:
        classes = ()
    fields = forms.ReferralFields(
        receiver_sor=str(values["receiver"]), reason=str(values["reason"]),
        priority=str(values["priority"]), diagnosis_code=str(values["diagnosis_code"]),
        diagnosis_text=str(values["diagnosis_text"]),
        relative_relation=str(values["relative_relation"]) or None,
        relative_given_name=str(values["relative_given_name"]),
        relative_surname=str(values["relative_surname"]), classes=classes,
        form=forms.Upload(receiver.form if receiver and receiver.form else "Henvisningsskema",
                          upload.content_type, upload.data) if upload else None)
    try:
        outgoing = forms.referral(s.settings.directory, session.context, fields,
                                  now=s.settings.clock())
    except forms.FieldErrors as exc:
        errors = {**exc.errors, **errors}
    if errors:
        page = _referral_values(s, session)
        page["values"] = values
        return _page(request, "referral.html", session, status=422, errors=errors, **page)
    return _draft(s, session, "referral", values, outgoing, {
        "Modtager": outgoing.receiver,
        "Prioritet": labels.PRIORITY.get(fields.priority, fields.priority),
        "Årsag": fields.reason,
        "Diagnose": " ".join(p for p in (fields.diagnosis_code, fields.diagnosis_text) if p)
        or "Ingen",
        "Pårørende": " ".join(p for p in (labels.RELATION.get(fields.relative_relation or "", ""),
                                          fields.relative_given_name, fields.relative_surname)
                              if p) or "Ingen",
        "Henvisningskategori": ", ".join(c.display for c in classes),
        "Bilag": fields.form.title if fields.form else "Ingen",
    })


def _upload(files: list[tuple[str, bytes]], what: str, allowed: frozenset[str],
            s: ServiceState) -> forms.Upload | None:
    if not files:
        return None
    filename, data = files[0]
    content_type = check_upload(data, max_bytes=s.settings.max_upload_bytes, allowed=allowed,
                                what=what)
    return forms.Upload(Path(filename).stem[:60] or what, content_type, data)


def _draft(s: ServiceState, session: Session, kind: str, values: dict[str, Any],
           outgoing: forms.Outgoing, summary: dict[str, str]) -> Response:
    draft_id = s.drafts.put(session.id, Draft(kind, values, outgoing, summary),
                            s.settings.clock())
    return RedirectResponse(f"/forhaandsvisning/{draft_id}", status_code=303)


# -- KM -------------------------------------------------------------------------------------

def _threads(s: ServiceState, ctx: LaunchContext) -> list[StoredMessage]:
    """Received correspondence about this child, which a KM may answer."""
    return list(s.search(Query(patient=ctx.patient, direction=Direction.INBOUND,
                               kinds=forms.KM_KINDS, units=_units(ctx)), actor=ctx.actor))


def _km_values(s: ServiceState, session: Session) -> dict[str, Any]:
    receivers = forms.km_receivers(s.settings.directory, session.context.unit_ean)
    return {"receivers": receivers, "threads": _threads(s, session.context),
            "fhir": {r.sor for r in receivers if forms.takes_fhir(r)},
            "values": {"priority": "rutine", "receiver": receivers[0].sor if receivers else "",
                       "reply_to": "", "category": ""}}


@router.get("/km")
async def km_form(request: Request) -> Response:
    session = _session(request)
    s = state(request)
    page = _km_values(s, session)
    draft = s.drafts.get(session.id, request.query_params.get("kladde", ""))
    if draft is not None and draft.kind == "km":
        page["values"] = draft.values
    answer = request.query_params.get("svar", "")  # "Besvar" on a received message
    if any(str(m.id) == answer for m in page["threads"]):
        page["values"]["reply_to"] = answer
    return _page(request, "km.html", session, **page)


@router.post("/km")
async def km_submit(request: Request) -> Response:
    session = _session(request)
    s = state(request)
    ctx = session.context
    form = await _form(request, session)
    values = {k: form.get(k) for k in ("receiver", "topic", "text", "priority", "reply_to",
                                       "category", "henvisning")}
    errors: dict[str, str] = {}
    uploads: list[forms.Upload] = []
    for item in form.files.get("attachments", [])[: s.settings.max_attachments + 1]:
        try:
            upload = _upload([item], f"Bilaget {item[0]}", KM_TYPES, s)
        except UploadRefused as exc:
            errors["attachments"] = exc.message
            continue
        if upload is not None:
            uploads.append(upload)
    if len(uploads) > s.settings.max_attachments:
        errors["attachments"] = f"Højst {s.settings.max_attachments} bilag."
    previous = None
    if values["reply_to"]:
        previous = next((m for m in _threads(s, ctx) if str(m.id) == values["reply_to"]), None)
        if previous is None:
            errors["reply_to"] = "Den valgte tråd findes ikke for dette barn."
    fields = forms.KmFields(receiver_sor=values["receiver"], text=values["text"],
                            topic=values["topic"] or None, priority=values["priority"],
                            attachments=tuple(uploads), reply_to=previous,
                            category=values["category"] or None,
                            henvisning=bool(values["henvisning"]))
    try:
        outgoing = forms.km(s.settings.directory, ctx, fields, now=s.settings.clock())
    except forms.FieldErrors as exc:
        errors = {**exc.errors, **errors}
    if errors:
        page = _km_values(s, session)
        page["values"] = values
        return _page(request, "km.html", session, status=422, errors=errors, **page)
    return _draft(s, session, "km", values, outgoing, {
        "Modtager": outgoing.receiver,
        "Sendes som": "FHIR-korrespondance (CareCommunication)" if outgoing.fhir
        else "Korrespondancemeddelelse (XDIS91)",
        "Svar på": f"Meddelelse {previous.id}" if previous else "Ny tråd",
        **({"Kategori": labels.CATEGORY.get(fields.category or "", "Som i tråden")}
           if outgoing.fhir else {}),
        "Emne": fields.topic or ("Som i tråden" if previous and outgoing.fhir else "Intet"),
        "Prioritet": labels.PRIORITY.get(fields.priority, fields.priority),
        "Tekst": fields.text,
        "Bilag": ", ".join(u.title for u in uploads) or "Ingen",
    })


# -- preview, status, journal -----------------------------------------------------------

@router.get("/forhaandsvisning/{draft_id}")
async def preview(draft_id: str, request: Request) -> Response:
    session = _session(request)
    draft = state(request).drafts.get(session.id, draft_id)
    if draft is None:
        raise HTTPException(404, "Kladden findes ikke længere. Udfyld formularen igen.")
    outgoing = draft.outgoing
    return _page(request, "preview.html", session, draft_id=draft_id, draft=draft,
                 sections=danish(outgoing.prepared.entries),
                 files=[(name, len(data)) for name, data in outgoing.files])


@router.post("/forhaandsvisning/{draft_id}")
async def send(draft_id: str, request: Request) -> Response:
    session = _session(request)
    await _form(request, session)
    s = state(request)
    draft = s.drafts.take(session.id, draft_id)
    if draft is None:
        raise HTTPException(404, "Kladden findes ikke længere (allerede sendt?).")
    ids = s.queue(draft.outgoing, actor=session.context.actor)
    s.sessions.sent(session, ids)
    return RedirectResponse(f"/status/{ids[0]}", status_code=303)


def _units(ctx: LaunchContext) -> tuple[Unit, ...]:
    """The launched unit (the launching key was checked to act for it)."""
    return (Unit(ctx.unit_sor, ctx.unit_ean),)


def _patient(ctx: LaunchContext) -> PersonId | None:
    """A session sees the launched child's messages only, unless the launch opened the
    unit's journal (and its key may)."""
    return None if ctx.journal else ctx.patient


def _party(s: ServiceState, m: StoredMessage) -> str:
    """Who the message went to (sent) or came from (received), by name where known."""
    outbound = m.message.direction is Direction.OUTBOUND
    sor = m.message.receiver_sor if outbound else m.message.sender_sor
    ean = m.message.receiver_ean if outbound else m.message.sender_ean
    receiver = forms.find(s.settings.directory, sor or "")
    if receiver is None:
        try:
            receiver = s.settings.directory.by_ean(ean or "")
        except UnknownReceiver:
            return sor or ean or "Ukendt"
    return receiver.label


@router.get("/status/{journal_id}")
async def status(journal_id: int, request: Request) -> Response:
    session = _session(request)
    s = state(request)
    ctx = session.context
    stored = s.read(journal_id, actor=ctx.actor, units=_units(ctx), patient=_patient(ctx))
    if stored is None:
        raise HTTPException(404, "Meddelelsen findes ikke.")
    # the answers to a message the session may see, and what the session itself sent
    answers = [a for a in (s.read(i, actor=ctx.actor, units=_units(ctx))
                           for i in stored.answered_by) if a is not None]
    binaries = [b for b in (s.read(i, actor=ctx.actor, units=_units(ctx))
                            for i in session.sent.get(journal_id, ())[1:]) if b is not None]
    inbound = stored.message.direction is Direction.INBOUND
    views = [describe(a) for a in answers]
    refusals = [v for v in views if v.ok is False and v.reasons]
    reason = (" ".join(dict.fromkeys(r.danish for r in refusals[-1].reasons)) if refusals
              else stored.history[-1].reason)
    return _page(request, "status.html", session, m=stored, reason=reason,
                 answers=views, binaries=binaries,
                 party=_party(s, stored),
                 content=_content(stored) if inbound else (),
                 can_answer=inbound and any(t.id == stored.id
                                            for t in _threads(s, session.context)))


def _content(stored: StoredMessage) -> tuple[Section, ...]:
    """A received KM as the preview shows one (CPR masked); nothing for what we cannot read."""
    if stored.message.kind not in forms.KM_KINDS:
        return ()
    try:
        return danish([stored.message])
    except MedComError:
        return ()


@router.get("/journal")
async def journal(request: Request) -> Response:
    session = _session(request)
    ctx = session.context
    found = state(request).search(Query(patient=ctx.patient, units=_units(ctx)),
                                  actor=ctx.actor)
    return _page(request, "journal.html", session, messages=_newest(found),
                 searched="Dette barn", values={})


@router.post("/journal")
async def journal_search(request: Request) -> Response:
    session = _session(request)
    ctx = session.context
    form = await _form(request, session)
    if not ctx.journal:
        raise HTTPException(403, "Søgning i enhedens journal er ikke åbnet fra fagsystemet "
                                 "for denne sag.")
    cpr = form.get("cpr").strip().replace("-", "")
    episode = form.get("episode_id").strip()
    values = {"episode_id": episode}
    if not cpr and not episode:
        return _page(request, "journal.html", session, status=422, messages=[], values=values,
                     errors={"cpr": "Skriv et CPR-nummer eller et forløbs-ID."}, searched=None)
    try:
        patient = person_id(cpr) if cpr else None
    except InvalidValue:
        return _page(request, "journal.html", session, status=422, messages=[], values=values,
                     errors={"cpr": "CPR-nummeret er ugyldigt (10 cifre, gyldig dato)."},
                     searched=None)
    found = state(request).search(Query(patient=patient, episode_id=episode or None,
                                        units=_units(ctx)), actor=ctx.actor)
    return _page(request, "journal.html", session, messages=_newest(found), values=values,
                 searched="Søgeresultat")


def _newest(found: Any) -> list[StoredMessage]:
    return sorted(found, key=lambda m: m.id, reverse=True)


def install_error_pages(app: FastAPI) -> None:
    """Pages get Danish error pages; the API answers problems (:mod:`.problems`)."""
    problems.install(app, page_error=lambda request, status: _page(
        request, "error.html", None, status=status, title="Siden kan ikke vises",
        message="Formularen kunne ikke læses. Genindlæs siden og prøv igen."))

    @app.exception_handler(_NoSession)
    async def no_session(request: Request, exc: _NoSession) -> Response:
        return _page(request, "error.html", None, status=401,
                     title="Sessionen er udløbet",
                     message="Åbn siden igen fra fagsystemet for at fortsætte.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return problems.render(request, problems.from_http(exc))
        if request.url.path.startswith("/static/"):
            return await http_exception_handler(request, exc)
        detail = _DANISH.get(str(exc.detail), str(exc.detail))
        return _page(request, "error.html", None, status=exc.status_code,
                     title="Siden kan ikke vises", message=detail)


_DANISH = {"Not Found": "Siden findes ikke.", "Method Not Allowed": "Handlingen er ikke tilladt."}
