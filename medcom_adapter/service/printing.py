"""A sent or received message for filing in the case system: a print view and a PDF.

The print view is an ordinary page styled for paper (``static/print.css``): the browser's
own "Udskriv" or "Gem som PDF" works on it. The PDF is the same HTML rendered on the server
by WeasyPrint, so a case system or a worker gets a file without a print dialog: WeasyPrint
is maintained, renders HTML and CSS without a browser, and needs only Pango from the
operating system. The CPR number is masked in both, like on every page; the file name
carries the journal id only.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from medcom_adapter.service.answers import describe as describe_answer
from medcom_adapter.service.plain import describe
from medcom_adapter.service.state import state
from medcom_adapter.service.status_pages import content, readable, related
from medcom_adapter.service.views import letter, party, taken
from medcom_adapter.service.web import Refused, session_of, templates

router = APIRouter(include_in_schema=False)
PRINT_CSS = Path(__file__).with_name("static") / "print.css"


def _values(request: Request, journal_id: int) -> dict[str, object]:
    session = session_of(request)
    s = state(request)
    stored = readable(s, journal_id, session.context)
    answers = tuple(describe_answer(a) for a in related(s, stored.answered_by,
                                                        session.context))
    delivered = bool(taken(s.journal, [stored.id], stored.stored_at))
    return {"m": stored, "party": party(s.settings.directory, stored),
            "letter": letter(stored), "content": content(stored), "answers": answers,
            "plain": describe(stored, answers, now=s.settings.clock(), delivered=delivered),
            "printed": s.settings.clock(), "session": session, "ctx": session.context}


@router.get("/udskriv/{journal_id}")
async def print_view(journal_id: int, request: Request) -> Response:
    values = _values(request, journal_id)
    return templates.TemplateResponse(request, "print.html", values)


@router.get("/udskriv/{journal_id}/pdf")
async def print_pdf(journal_id: int, request: Request) -> Response:
    values = _values(request, journal_id)
    html = templates.get_template("print.html").render({"request": request, **values,
                                                        "pdf": True})
    try:
        from weasyprint import CSS, HTML
    except OSError:  # WeasyPrint installed, Pango missing from the system
        raise Refused(503, "PDF kan ikke dannes på denne server. Brug »Udskriv« i "
                           "browseren, og vælg »Gem som PDF«.") from None
    pdf = HTML(string=html, base_url=str(PRINT_CSS.parent)).write_pdf(
        stylesheets=[CSS(filename=str(PRINT_CSS))])
    return Response(pdf, media_type="application/pdf", headers={
        "content-disposition": f'attachment; filename="meddelelse-{journal_id}.pdf"'})
