"""What every page handler shares: the session, the posted form, rendering a template.

Templates get ``labels``, the Danish time filters (``tid``, ``dato``) and ``size`` (a file
size as Danes write it), so no page formats a time or a size on its own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import UploadFile

from medcom_adapter.service import labels
from medcom_adapter.service.sessions import Session
from medcom_adapter.service.state import state
from medcom_adapter.service.when import danish, danish_date

COOKIE = "mca_session"
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))


def size(n: int) -> str:
    """``820 byte``, ``12 kB``, ``1,4 MB``."""
    if n < 1024:
        return f"{n} byte"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} kB"
    return f"{n / 1024 / 1024:.1f} MB".replace(".", ",")


templates.env.globals["labels"] = labels
templates.env.filters["tid"] = danish
templates.env.filters["tid_sek"] = lambda at: danish(at, seconds=True)
templates.env.filters["dato"] = danish_date
templates.env.filters["size"] = size


class NoSession(Exception):
    pass


class Refused(HTTPException):
    """An error page whose ``detail`` is Danish written for the worker (any other
    exception's text never reaches a page)."""

    def __init__(self, status_code: int, danish: str) -> None:
        super().__init__(status_code, danish)


def session_of(request: Request) -> Session:
    session = state(request).sessions.get(request.cookies.get(COOKIE))
    if session is None:
        raise NoSession
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


async def posted(request: Request, session: Session) -> Submitted:
    """The posted form after its CSRF token is checked; each file read up to the limit + 1."""
    limit = state(request).settings.max_upload_bytes
    fields: dict[str, list[str]] = {}
    files: dict[str, list[tuple[str, bytes]]] = {}
    async with request.form(max_files=10, max_fields=60) as form:
        for name, item in form.multi_items():
            if isinstance(item, UploadFile):
                if item.filename:
                    files.setdefault(name, []).append((item.filename, await item.read(limit + 1)))
            else:
                fields.setdefault(name, []).append(item)
    token = (fields.get("csrf") or [""])[0]
    if not secrets.compare_digest(token.encode(), session.csrf.encode()):
        raise Refused(403, "Formularen kunne ikke godkendes, fordi siden er for gammel. "
                                 "Genindlæs siden, og prøv igen.")
    return Submitted(fields, files)


def page(request: Request, name: str, session: Session | None, status: int = 200,
         **values: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"session": session, "ctx": session.context if session else None,
                        **values}, status_code=status)
