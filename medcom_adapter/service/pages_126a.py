"""The course's henvisninger and the unit's statistics, as pages for the launched worker.

The course view lists the launch's course's henvisninger (message-borne and recorded by
hand) and records, corrects and withdraws them; a correction is a new record. The
statistics page shows the unit's figures with small numbers suppressed (``stats``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from medcom_adapter.errors import JournalError
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.model.henvisninger import HenvisningRecord, RecordedHenvisning
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.service.context import LaunchContext
from medcom_adapter.service.state import state
from medcom_adapter.service.views import units
from medcom_adapter.service.web import page as _page
from medcom_adapter.service.web import posted as _form
from medcom_adapter.service.web import session_of as _session
from medcom_adapter.stats import collect, report
from medcom_adapter.stats.figures import DANISH_TIME

router = APIRouter(include_in_schema=False)


def _ours(ctx: LaunchContext, found: Sequence[RecordedHenvisning]) -> list[RecordedHenvisning]:
    """The launched unit's records about the launched child."""
    return [r for r in found if r.record.unit.value == ctx.unit_sor
            and r.record.patient == ctx.patient]


def _today(request: Request) -> date:
    return state(request).settings.clock().astimezone(DANISH_TIME).date()


def _course_page(request: Request, status: int = 200, errors: dict[str, str] | None = None,
                 values: dict[str, str] | None = None) -> Response:
    session = _session(request)
    ctx = session.context
    found = _ours(ctx, state(request).journal.henvisninger(
        actor=ctx.actor, course_id=UUID(ctx.episode_id), versions=True))
    replaced = {r.supersedes for r in found if r.supersedes}
    return _page(request, "forloeb.html", session, status=status, errors=errors or {},
                 records=[r for r in found if not r.withdrawn], replaced=replaced,
                 classes=list(Henvisning), values=values or {
                     "date": _today(request).isoformat()})


@router.get("/forloeb")
async def course(request: Request) -> Response:
    return _course_page(request)


@router.post("/forloeb")
async def record(request: Request) -> Response:
    session = _session(request)
    ctx = session.context
    form = await _form(request, session)
    values = {k: form.get(k).strip() for k in ("klasse", "date", "supersedes", "withdraw")}
    errors: dict[str, str] = {}
    klasse = next((h for h in Henvisning if h.value == values["klasse"]), None)
    if klasse is None and not values["withdraw"]:
        errors["klasse"] = "Vælg hvad barnet er henvist til."
    try:
        when = date.fromisoformat(values["date"])
        if when > _today(request):
            errors["date"] = "Datoen kan ikke ligge i fremtiden."
    except ValueError:
        when = _today(request)
        errors["date"] = "Skriv datoen som ÅÅÅÅ-MM-DD, fx 2026-03-02."
    if errors:
        return _course_page(request, status=422, errors=errors, values=values)
    journal = state(request).journal
    supersedes = values["withdraw"] or values["supersedes"] or None
    if supersedes is not None:  # only this unit's records about this child in this course
        known = {r.id: r for r in _ours(ctx, journal.henvisninger(
            actor=ctx.actor, course_id=UUID(ctx.episode_id), versions=True))}
        if supersedes not in known:
            return _course_page(request, status=422, values=values, errors={
                "": "Henvisningen findes ikke i dette forløb."})
    if values["withdraw"]:
        new = known[values["withdraw"]].record
    else:
        assert klasse is not None
        new = HenvisningRecord(UUID(ctx.episode_id), when, klasse, ctx.patient,
                               SorId(ctx.unit_sor))
    try:
        journal.record_henvisning(new, actor=ctx.actor, supersedes=supersedes,
                                  withdrawn=bool(values["withdraw"]))
    except JournalError:
        return _course_page(request, status=409, values=values, errors={
            "": "Henvisningen er allerede rettet eller tilbagekaldt. Genindlæs siden."})
    return RedirectResponse("/forloeb", status_code=303)


@router.get("/statistik")
async def statistics(request: Request, fra: str = "", til: str = "") -> Response:
    session = _session(request)
    ctx = session.context
    today = _today(request)
    errors: dict[str, str] = {}
    try:
        since = date.fromisoformat(fra) if fra else date(today.year, 1, 1)
        until = date.fromisoformat(til) if til else today
    except ValueError:
        since, until = date(today.year, 1, 1), today
        errors["fra"] = "Skriv datoerne som ÅÅÅÅ-MM-DD."
    if until < since:
        since, until = until, since
    s = state(request)
    found = collect.figures(s.journal, s.settings.directory, since=since, until=until,
                            actor=ctx.actor, units=units(ctx), unit_sor=ctx.unit_sor)
    return _page(request, "statistik.html", session, errors=errors,
                 figures=report.as_html(found, standalone=False),
                 values={"fra": since.isoformat(), "til": until.isoformat()},
                 generated=datetime.now(DANISH_TIME))
