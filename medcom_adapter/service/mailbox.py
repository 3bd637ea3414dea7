"""The mailbox: the unit's (or one child's) letters, what needs attention first.

Unread received messages, refused messages and answers overdue come before the rest,
each group newest first; a received message leaves the top when it is opened or marked
answered. Searching takes a CPR number (posted, never in a URL), a name, a forløbs-ID or
a receiver in one field, and a date range in Danish days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from medcom_adapter.errors import InvalidValue
from medcom_adapter.journal.interface import Quarantined, Query
from medcom_adapter.model.parties import PersonId, person_id
from medcom_adapter.service.context import LaunchContext
from medcom_adapter.service.marks import ANSWERED, opened_by
from medcom_adapter.service.quarantine import files_for
from medcom_adapter.service.state import ServiceState, state
from medcom_adapter.service.views import LETTERS, MessageView, units, views
from medcom_adapter.service.web import Refused, page, posted, session_of
from medcom_adapter.service.when import DANISH_TIME

router = APIRouter(include_in_schema=False)


def _find(s: ServiceState, ctx: LaunchContext, *, child: bool, patient: PersonId | None = None,
          since: datetime | None = None, until: datetime | None = None) -> list[MessageView]:
    """The unit's letters (the child's only, or when the launch did not open the unit's
    journal), as mailbox rows."""
    about = ctx.patient if child or not ctx.journal else patient
    found = s.search(Query(kinds=LETTERS, units=units(ctx), patient=about, since=since,
                           until=until), actor=ctx.actor)
    ids = [m.id for m in found]
    return views(s.journal, s.settings.directory, found, ctx=ctx, now=s.settings.clock(),
                 answered=s.marks.marked(ids, ANSWERED),
                 opened=s.marks.marked(ids, opened_by(ctx.case_system, ctx.worker_id)))


def _quarantined(s: ServiceState, ctx: LaunchContext, *, child: bool) -> list[Quarantined]:
    """The unit's (or the child's) journal rows that cannot be opened: never delivered,
    never sent, so the unit is told rather than left waiting."""
    about = ctx.patient if child or not ctx.journal else None
    return list(s.journal.quarantined_of(units(ctx), actor=ctx.actor, patient=about))


def _show(request: Request, rows: list[MessageView], *, child: bool, status: int = 200,
          values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          searched: bool = False) -> Response:
    session = session_of(request)
    child = child or not session.context.journal  # the unit's journal was not opened
    s = state(request)
    quarantined = _quarantined(s, session.context, child=child)
    about = session.context.patient if child else None
    files = files_for(s.quarantine, units(session.context), about) if s.quarantine else []
    return page(request, "mailbox.html", session, status=status, rows=rows, child=child,
                values=values or {"omfang": "barn" if child else "enhed"}, errors=errors,
                searched=searched, unread=sum(r.unread for r in rows),
                refused=sum(r.rank == 1 for r in rows), overdue=sum(r.rank == 2 for r in rows),
                quarantined=quarantined, files=files)


@router.get("/postkasse")
async def unit_mailbox(request: Request) -> Response:
    session = session_of(request)
    return _show(request, _find(state(request), session.context, child=False), child=False)


@router.get("/postkasse/barn")
async def child_mailbox(request: Request) -> Response:
    session = session_of(request)
    return _show(request, _find(state(request), session.context, child=True), child=True)


@router.get("/journal")
async def old_journal(request: Request) -> Response:
    return RedirectResponse("/postkasse", status_code=303)


def _day(text: str) -> date | None:
    """A date from a date field (2026-12-05) or as typed (5.12.2026); ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    if "-" in text:
        return date.fromisoformat(text)
    day, month, year = (int(p) for p in text.split("."))
    return date(year, month, day)


@router.post("/postkasse")
async def search(request: Request) -> Response:
    session = session_of(request)
    s = state(request)
    form = await posted(request, session)
    values = {k: form.get(k).strip() for k in ("soeg", "fra", "til", "omfang")}
    child = values["omfang"] == "barn"
    errors: dict[str, str] = {}
    text = values["soeg"]
    digits = text.replace("-", "").replace(" ", "")
    patient = None
    if digits.isdigit() and len(digits) == 10:
        try:
            patient = person_id(digits)
        except InvalidValue:
            errors["soeg"] = "CPR-nummeret er ugyldigt (10 cifre med en gyldig dato)."
    if patient is not None and patient != session.context.patient and not session.context.journal:
        raise Refused(403, "Søgning i enhedens journal er ikke åbnet fra fagsystemet for "
                           "denne sag.")
    bounds: list[datetime | None] = []
    for name, label in (("fra", "Fra-datoen"), ("til", "Til-datoen")):
        try:
            day = _day(values[name])
        except ValueError:
            errors[name] = f"{label} er ugyldig. Skriv den som dd.mm.åååå."
            day = None
        if name == "til" and day is not None:
            day += timedelta(days=1)  # to the end of that day
        bounds.append(datetime.combine(day, time(), DANISH_TIME) if day else None)
    if values["soeg"] == "" and bounds == [None, None] and not errors:
        errors["soeg"] = "Skriv et CPR-nummer, et navn, et forløbs-ID eller en modtager, " \
                         "eller vælg datoer."
    if errors:
        return _show(request, [], child=child, status=422, values=values, errors=errors)
    rows = _find(s, session.context, child=child, patient=patient, since=bounds[0],
                 until=bounds[1])
    if patient is not None:
        values["soeg"] = ""  # a CPR number is not written back into the page
    if text and patient is None:
        words = text.casefold().split()  # every word somewhere: "bruno elmer" finds
        rows = [r for r in rows if all(w in " ".join((  # "Bruno Test Elmer"
            r.letter.child, r.letter.subject, r.party, r.m.message.episode_id or "",
        )).casefold() for w in words)]
    return _show(request, rows, child=child, values=values, searched=True)
