"""A message's own page: its status in plain words, its content, its answers and history.

Opening a received message here is what makes it "read" in the mailbox. A referral sent
with a copy to the child's GP shows that copy too.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from medcom_adapter.errors import MedComError
from medcom_adapter.journal.interface import Direction, StoredMessage
from medcom_adapter.service.answers import describe as describe_answer
from medcom_adapter.service.context import LaunchContext
from medcom_adapter.service.marks import ANSWERED, COPY_TO_GP, OPENED, opened_by
from medcom_adapter.service.pages import threads
from medcom_adapter.service.plain import describe
from medcom_adapter.service.preview import Section, danish
from medcom_adapter.service.state import ServiceState, state
from medcom_adapter.service.views import LETTERS, party, patient_scope, taken, units, views
from medcom_adapter.service.web import Refused, page, posted, session_of

router = APIRouter(include_in_schema=False)


def readable(s: ServiceState, journal_id: int, ctx: LaunchContext) -> StoredMessage:
    """The message if this session may see it (the unit's, about the launched child unless
    the launch opened the unit's journal); a Danish 404 otherwise."""
    stored = s.read(journal_id, actor=ctx.actor, units=units(ctx), patient=patient_scope(ctx))
    if stored is None:
        raise Refused(404, "Meddelelsen findes ikke, eller du har ikke adgang til den.")
    return stored


def related(s: ServiceState, ids: Iterable[int], ctx: LaunchContext) -> list[StoredMessage]:
    """Answers to a message the session may see, and what it sent with it (the unit's)."""
    return [m for m in (s.read(i, actor=ctx.actor, units=units(ctx)) for i in ids)
            if m is not None]


def content(stored: StoredMessage) -> tuple[Section, ...]:
    """The message as the preview shows one (CPR masked); nothing for what we cannot read."""
    if stored.message.kind not in LETTERS:
        return ()
    try:
        return danish([stored.message])
    except MedComError:
        return ()


@router.get("/status/{journal_id}")
async def status(journal_id: int, request: Request) -> Response:
    session = session_of(request)
    s = state(request)
    ctx = session.context
    stored = readable(s, journal_id, ctx)
    answers = tuple(describe_answer(a) for a in related(s, stored.answered_by, ctx))
    binaries = related(s, session.sent.get(journal_id, ())[1:], ctx)
    inbound = stored.message.direction is Direction.INBOUND
    if inbound:
        s.marks.mark(stored.id, OPENED)  # a person has read it: no longer new in the mailbox
        if ctx.worker_id is not None:  # and this worker has: no longer new in theirs
            s.marks.mark(stored.id, opened_by(ctx.case_system, ctx.worker_id))
    delivered = inbound and bool(taken(s.journal, [stored.id], stored.stored_at))
    copies = related(s, s.marks.linked(stored.id, COPY_TO_GP), ctx)
    return page(request, "status.html", session, m=stored, answers=answers,
                plain=describe(stored, answers, now=s.settings.clock(), delivered=delivered),
                binaries=binaries, party=party(s.settings.directory, stored),
                content=content(stored),
                copies=views(s.journal, s.settings.directory, copies, ctx=ctx,
                             now=s.settings.clock(), answered=set(), opened=set()),
                answered=bool(s.marks.marked([stored.id], ANSWERED)),
                can_answer=inbound and any(t.id == stored.id
                                           for t in threads(s, session.context)))


@router.post("/status/{journal_id}/besvaret")
async def mark_answered(journal_id: int, request: Request) -> Response:
    """Mark a received message answered (or not): it leaves the mailbox's to-do order."""
    session = session_of(request)
    s = state(request)
    form = await posted(request, session)
    stored = readable(s, journal_id, session.context)
    if stored.message.direction is not Direction.INBOUND:
        raise Refused(404, "Kun modtagne meddelelser kan markeres som besvaret.")
    s.marks.mark(stored.id, ANSWERED, on=form.get("besvaret") != "nej")
    back = form.get("tilbage")
    target = back if back in ("/postkasse", "/postkasse/barn") else f"/status/{stored.id}"
    return RedirectResponse(target, status_code=303)
