"""Server-rendered pages for PPR staff: launch, the referral and KM forms, preview, send.

No JavaScript: every step is a plain form. A page session starts when a launch URL is
redeemed; each form carries the session's CSRF token. CPR numbers are posted in bodies
(search) and never appear in a URL. Uploaded files are kept (encrypted, per session, see
:mod:`.kept`) from the moment they arrive, so a form error or "Ret" never loses them; the
form then carries only their ids. The status page, the mailbox and the print view are in
:mod:`.status_pages`, :mod:`.mailbox` and :mod:`.printing`; the error pages at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from medcom_adapter.errors import LaunchRefused, MedComError, UploadRefused
from medcom_adapter.journal.interface import Direction, Query, StoredMessage
from medcom_adapter.journal.shared import StoreFull
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.service import forms, labels, problems
from medcom_adapter.service.api import KM_TYPES, PDF_ONLY
from medcom_adapter.service.context import Kind, LaunchContext
from medcom_adapter.service.drafts import Draft
from medcom_adapter.service.kept import KeptFile
from medcom_adapter.service.marks import COPY_TO_GP
from medcom_adapter.service.preview import danish
from medcom_adapter.service.sessions import Session
from medcom_adapter.service.state import ServiceState, state
from medcom_adapter.service.uploads import check_upload
from medcom_adapter.service.views import units
from medcom_adapter.service.web import (
    COOKIE,
    NoSession,
    Refused,
    Submitted,
    page,
    posted,
    session_of,
    size,
)
from medcom_adapter.service.when import danish as when

router = APIRouter(include_in_schema=False)


@router.get("/launch/{token}", name="launch_page")
async def launch_page(token: str, request: Request) -> Response:
    s = state(request)
    try:
        context = s.tokens.redeem(token)
    except LaunchRefused as exc:
        return page(request, "launch_error.html", None, status=410 if exc.reason != "invalid"
                    else 400, reason=exc.reason)
    try:
        session = s.sessions.start(context)
    except StoreFull:
        raise Refused(503, "Tjenesten har for mange åbne sessioner. Prøv igen om lidt."
                      ) from None
    target = "/henvisning" if context.kind is Kind.REFERRAL else "/km"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, session.id, httponly=True, samesite="lax",
                        secure=s.settings.https, path="/")
    return response


@router.post("/log-ud")
async def logout(request: Request) -> Response:
    """End the page session (and its drafts) in every process; the cookie goes too."""
    session = session_of(request)
    await posted(request, session)
    state(request).sessions.end(session.id)
    response = page(request, "error.html", None, title="Du er logget ud",
                    message="Åbn siden igen fra fagsystemet for at fortsætte.")
    response.delete_cookie(COOKIE, path="/")
    return response


# -- kept uploads ----------------------------------------------------------------------------

def _kept(s: ServiceState, session: Session, ids: list[str]) -> list[KeptFile]:
    found = (s.kept.get(session.id, i) for i in dict.fromkeys(ids))
    return [f for f, _ in (x for x in found if x is not None)]


def _keep_uploads(s: ServiceState, session: Session, form: Submitted, field: str,
                  allowed: frozenset[str], errors: dict[str, str]) -> list[KeptFile]:
    """Files kept earlier (minus one the worker removed) plus those posted now."""
    kept = _kept(s, session, form.getlist("kept"))
    removed = form.get("fjern")
    if removed:
        s.kept.remove(session.id, removed)
        kept = [f for f in kept if f.id != removed]
    for name, data in form.files.get(field, [])[: s.settings.max_attachments + 1]:
        what = f"Filen {name}"
        try:
            content_type = check_upload(data, max_bytes=s.settings.max_upload_bytes,
                                        allowed=allowed, what=what)
        except UploadRefused as exc:
            errors[field] = exc.message
            continue
        kept.append(s.kept.keep(session.id, name, Path(name).stem[:60] or "Bilag",
                                content_type, data))
    return kept


def _uploads(s: ServiceState, session: Session, kept: list[KeptFile]) -> list[forms.Upload]:
    found = (s.kept.get(session.id, f.id) for f in kept)
    return [forms.Upload(f.title, f.content_type, data)
            for f, data in (x for x in found if x is not None)]


# -- referral --------------------------------------------------------------------------------

_REFERRAL = ("receiver", "reason", "priority", "diagnosis_code", "diagnosis_text", "copy_gp",
             *(f"custody{n}_{f}" for n in (1, 2)
               for f in ("relation", "given_name", "surname", "consent")))


def _referral_page(request: Request, session: Session, values: dict[str, Any],
                   kept: list[KeptFile], *, errors: dict[str, str] | None = None,
                   status: int = 200) -> Response:
    s = state(request)
    gp = forms.find(s.settings.directory, session.context.gp_sor or "")
    return page(request, "referral.html", session, status=status, errors=errors,
                receivers=forms.referral_receivers(s.settings.directory),
                classes=list(Henvisning), values=values, kept=kept, gp=gp)


@router.get("/henvisning")
async def referral_form(request: Request) -> Response:
    session = session_of(request)
    values: dict[str, Any] = {"priority": "elektiv", "receiver": "",
                              "classes": [forms.REFERRAL_CLASS.value]}
    draft = state(request).drafts.get(session.id, request.query_params.get("kladde", ""))
    if draft is not None and draft.kind == "referral":
        values = draft.values
    kept = _kept(state(request), session, values.get("kept", []))
    return _referral_page(request, session, values, kept)


def _custody(values: dict[str, Any]) -> tuple[forms.CustodyHolder, ...]:
    holders = []
    for n in (1, 2):
        relation, surname = values[f"custody{n}_relation"], values[f"custody{n}_surname"]
        given, consent = values[f"custody{n}_given_name"], values[f"custody{n}_consent"]
        if n == 2 and not (relation or surname or given or consent):
            continue  # no second holder
        holders.append(forms.CustodyHolder(
            relation, surname, given or None,
            {"ja": True, "nej": False}.get(consent)))
    return tuple(holders)


@router.post("/henvisning")
async def referral_submit(request: Request) -> Response:
    session = session_of(request)
    s = state(request)
    form = await posted(request, session)
    values: dict[str, Any] = {k: form.get(k) for k in _REFERRAL}
    values["classes"] = form.getlist("classes")
    errors: dict[str, str] = {}
    kept = _keep_uploads(s, session, form, "form", PDF_ONLY, errors)
    if len(kept) > 1:  # a new form replaces the one attached before
        for old in kept[:-1]:
            s.kept.remove(session.id, old.id)
        kept = kept[-1:]
    values["kept"] = [f.id for f in kept]
    if form.get("fjern"):
        return _referral_page(request, session, values, kept)
    try:
        classes = tuple(Henvisning(c) for c in values["classes"])
    except ValueError:
        classes = ()
    receiver = forms.find(s.settings.directory, values["receiver"])
    uploads = _uploads(s, session, kept)
    fields = forms.ReferralFields(
        receiver_sor=values["receiver"], reason=values["reason"], priority=values["priority"],
        diagnosis_code=values["diagnosis_code"], diagnosis_text=values["diagnosis_text"],
        classes=classes, custody=_custody(values),
        form=forms.Upload(receiver.form if receiver and receiver.form else uploads[0].title,
                          uploads[0].content_type, uploads[0].data) if uploads else None)
    outgoing = copy = None
    try:
        outgoing = forms.referral(s.settings.directory, session.context, fields,
                                  now=s.settings.clock())
        if values["copy_gp"]:
            copy = forms.copy_to_gp(s.settings.directory, session.context, fields,
                                    outgoing.receiver, now=s.settings.clock())
    except forms.FieldErrors as exc:
        errors = {**exc.errors, **errors}
    if errors or outgoing is None:
        return _referral_page(request, session, values, kept, errors=errors, status=422)
    holders = [f"{forms.RELATIONS.get(h.relation, '')}: "
               f"{' '.join(p for p in (h.given_name, h.surname) if p)} "
               f"({'samtykker' if h.consent else 'samtykker ikke'})" for h in fields.custody]
    return _draft(s, session, "referral", values, outgoing, {
        "Modtager": outgoing.receiver,
        "Prioritet": labels.PRIORITY.get(fields.priority, fields.priority),
        "Årsag": fields.reason,
        "Diagnose": " ".join(p for p in (fields.diagnosis_code, fields.diagnosis_text) if p)
        or "Ingen",
        "Forældremyndighed": "\n".join(holders),
        "Henvisningskategori": ", ".join(c.display for c in classes),
        "Vedhæftet": ", ".join(f"{f.name} ({size(f.size)})" for f in kept) or "Intet",
        "Kopi til egen læge": f"Ja, til {copy.receiver}" if copy else "Nej",
    }, copy=copy)


def _draft(s: ServiceState, session: Session, kind: str, values: dict[str, Any],
           outgoing: forms.Outgoing, summary: dict[str, str],
           copy: forms.Outgoing | None = None) -> Response:
    draft_id = s.drafts.put(session.id, Draft(kind, values, outgoing, summary, copy),
                            s.settings.clock())
    return RedirectResponse(f"/forhaandsvisning/{draft_id}", status_code=303)


# -- KM --------------------------------------------------------------------------------------

def threads(s: ServiceState, ctx: LaunchContext) -> list[StoredMessage]:
    """Received correspondence about this child, which a KM may answer."""
    return list(s.search(Query(patient=ctx.patient, direction=Direction.INBOUND,
                               kinds=forms.KM_KINDS, units=units(ctx)), actor=ctx.actor))


def _km_page(request: Request, session: Session, values: dict[str, Any],
             kept: list[KeptFile], *, errors: dict[str, str] | None = None,
             status: int = 200) -> Response:
    s = state(request)
    receivers = forms.km_receivers(s.settings.directory, session.context.unit_ean)
    return page(request, "km.html", session, status=status, errors=errors,
                receivers=receivers, threads=threads(s, session.context),
                fhir={r.sor for r in receivers if forms.takes_fhir(r)}, values=values,
                kept=kept)


@router.get("/km")
async def km_form(request: Request) -> Response:
    session = session_of(request)
    # no receiver is chosen for the worker but the child's own GP, from the case system
    values: dict[str, Any] = {"priority": "rutine", "reply_to": "", "category": "",
                              "receiver": session.context.gp_sor or ""}
    draft = state(request).drafts.get(session.id, request.query_params.get("kladde", ""))
    if draft is not None and draft.kind == "km":
        values = draft.values
    answer = request.query_params.get("svar", "")  # "Besvar" on a received message
    if answer and any(str(m.id) == answer for m in threads(state(request), session.context)):
        values = {**values, "reply_to": answer}
    return _km_page(request, session, values, _kept(state(request), session,
                                                    values.get("kept", [])))


@router.post("/km")
async def km_submit(request: Request) -> Response:
    session = session_of(request)
    s = state(request)
    ctx = session.context
    form = await posted(request, session)
    values: dict[str, Any] = {k: form.get(k) for k in (
        "receiver", "topic", "text", "priority", "reply_to", "category", "henvisning")}
    errors: dict[str, str] = {}
    kept = _keep_uploads(s, session, form, "attachments", KM_TYPES, errors)
    values["kept"] = [f.id for f in kept]
    if form.get("fjern"):
        return _km_page(request, session, values, kept)
    if len(kept) > s.settings.max_attachments:
        errors["attachments"] = (f"Højst {s.settings.max_attachments} bilag. Fjern "
                                 f"{len(kept) - s.settings.max_attachments}.")
    previous = None
    if values["reply_to"]:
        previous = next((m for m in threads(s, ctx) if str(m.id) == values["reply_to"]), None)
        if previous is None:
            errors["reply_to"] = "Den valgte tråd findes ikke for dette barn."
    uploads = _uploads(s, session, kept)
    fields = forms.KmFields(receiver_sor=values["receiver"], text=values["text"],
                            topic=values["topic"] or None, priority=values["priority"],
                            attachments=tuple(uploads), reply_to=previous,
                            category=values["category"] or None,
                            henvisning=bool(values["henvisning"]))
    outgoing = None
    try:
        outgoing = forms.km(s.settings.directory, ctx, fields, now=s.settings.clock())
    except forms.FieldErrors as exc:
        errors = {**exc.errors, **errors}
    if errors or outgoing is None:
        return _km_page(request, session, values, kept, errors=errors, status=422)
    return _draft(s, session, "km", values, outgoing, {
        "Modtager": outgoing.receiver,
        "Svar på": f"Meddelelse modtaget {when(previous.stored_at)}" if previous else "Ny tråd",
        **({"Kategori": labels.CATEGORY.get(fields.category or "", "Som i tråden")}
           if outgoing.fhir else {}),
        "Emne": fields.topic or ("Som i tråden" if previous and outgoing.fhir else "Intet"),
        "Prioritet": labels.PRIORITY.get(fields.priority, fields.priority),
        "Tekst": fields.text,
        "Vedhæftet": ", ".join(f"{f.name} ({size(f.size)})" for f in kept) or "Intet",
    })


# -- preview and send ------------------------------------------------------------------------

@router.get("/forhaandsvisning/{draft_id}")
async def preview(draft_id: str, request: Request) -> Response:
    session = session_of(request)
    draft = state(request).drafts.get(session.id, draft_id)
    if draft is None:
        raise Refused(404, "Kladden findes ikke længere. Udfyld formularen igen.")
    outgoing, copy = draft.outgoing, draft.copy
    return page(request, "preview.html", session, draft_id=draft_id, draft=draft,
                sections=danish(outgoing.prepared.entries),
                copy_sections=danish(copy.prepared.entries[:1]) if copy else (),
                files=[(name, len(data)) for name, data in outgoing.files])


@router.post("/forhaandsvisning/{draft_id}")
async def send(draft_id: str, request: Request) -> Response:
    session = session_of(request)
    s = state(request)
    await posted(request, session)
    draft = s.drafts.take(session.id, draft_id)
    if draft is None:
        raise Refused(404, "Kladden findes ikke længere. Den er måske allerede sendt: "
                           "se postkassen.")
    queued = s.queue_together(draft.outgoing, *([draft.copy] if draft.copy else []),
                              actor=session.context.actor)
    ids = queued[0]
    if draft.copy is not None:
        s.marks.link(ids[0], COPY_TO_GP, queued[1][0])
    for file_id in draft.values.get("kept", []):
        s.kept.remove(session.id, file_id)
    s.sessions.sent(session, ids)
    return RedirectResponse(f"/status/{ids[0]}", status_code=303)


# -- error pages -----------------------------------------------------------------------------

_DANISH = {404: "Siden findes ikke. Gå tilbage, og vælg igen.",
           405: "Handlingen er ikke tilladt her.",
           413: "Det sendte er for stort. Vedhæft færre eller mindre filer.",
           422: "Adressen er ugyldig. Gå tilbage, og vælg igen."}


def install_error_pages(app: FastAPI) -> None:
    """Pages get Danish error pages with what to do; the API answers problems
    (:mod:`.problems`).

    A page shows only Danish text written for it: an exception's own text (English,
    schema or Python) is never put on a page."""

    def is_page(request: Request) -> bool:
        return not request.url.path.startswith(("/api/", "/static/"))

    def error_page(request: Request, status: int, message: str | None = None) -> Response:
        if status >= 500:
            return page(request, "error.html", None, status=status, title="Der opstod en fejl",
                        message="Handlingen kunne ikke gennemføres. Prøv igen om lidt. "
                                "Kontakt kommunens IT-support, hvis fejlen bliver ved.")
        return page(request, "error.html", None, status=status, title="Siden kan ikke vises",
                    message=message or _DANISH.get(
                        status, "Siden kan ikke vises. Prøv igen, eller åbn siden fra "
                                "fagsystemet."))

    problems.install(app, page_error=lambda request, status: error_page(
        request, 404 if request.method == "GET" else status,
        None if request.method == "GET" else "Formularen kunne ikke læses. Genindlæs siden, "
                                              "og prøv igen."))
    api_internal = app.exception_handlers[Exception]
    api_core = app.exception_handlers[MedComError]

    @app.exception_handler(NoSession)
    async def no_session(request: Request, exc: NoSession) -> Response:
        return page(request, "error.html", None, status=401,
                    title="Sessionen er udløbet",
                    message="Åbn siden igen fra fagsystemet for at fortsætte.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return problems.render(request, problems.from_http(exc))
        if not is_page(request):
            return await http_exception_handler(request, exc)
        # our pages raise Refused with Danish; anything else gets its status's words
        return error_page(request, exc.status_code,
                          str(exc.detail) if isinstance(exc, Refused) else None)

    @app.exception_handler(MedComError)
    async def core_error(request: Request, exc: MedComError) -> Response:
        if is_page(request):
            return error_page(request, 500)
        response: Response = await api_core(request, exc)  # type: ignore[misc]
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        if is_page(request):
            return error_page(request, 500)
        response: Response = await api_internal(request, exc)  # type: ignore[misc]
        return response
