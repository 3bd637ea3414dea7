"""The API's one error format: RFC 9457 ``application/problem+json``.

Every error answer of ``/api/...`` is a problem object::

    {"type": "urn:medcom-adapter:problem:api.validation", "status": 422,
     "code": "api.validation", "title": "The request is invalid",
     "title_da": "Forespørgslen er ugyldig", "instance": "urn:uuid:<request id>",
     "errors": [{"path": "patient.cpr", "in": "body", "code": "local.invalid-value",
                 "detail": "CPR: must be 10 digits, without the hyphen"}]}

``code`` is stable (safe to match on): ``api.*`` for what the HTTP API itself refuses
(authentication, scope, request shape, size), and the error tree's ``local.*``/``remote.*``
codes (:mod:`medcom_adapter.errors`) when the core refused what the request asked it to
build. ``errors`` names each field by its path in the request (``attachments[0].title``).

No problem ever carries a submitted value: details are the validators' words, and
:func:`redact` removes from them anything the request contained (four characters or more
of any submitted string, number, key or path parameter), so a CPR number is never echoed, whole
or in part. The instance is the request id (``X-Request-Id``), which the logs carry too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medcom_adapter.errors import JournalError, LocalError, MedComError, RemoteError

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:medcom-adapter:problem:"
SUBMITTED = "medcom.submitted"  # the scope key under which the request body is kept


@dataclass(frozen=True, slots=True)
class Title:
    status: int
    en: str
    da: str


# Every code the API answers with; docs/integration.md lists the same table.
TITLES: Mapping[str, Title] = {
    "api.unauthorized": Title(401, "Missing, unknown or revoked API key",
                              "API-nøglen mangler, er ukendt eller tilbagekaldt"),
    "api.forbidden": Title(403, "The API key lacks the scope this needs",
                           "API-nøglen giver ikke adgang til dette"),
    "api.not-found": Title(404, "Not found", "Findes ikke"),
    "api.method-not-allowed": Title(405, "Method not allowed", "Metoden er ikke tilladt"),
    "api.conflict": Title(409, "The request conflicts with what is recorded",
                          "Forespørgslen strider mod det, der er registreret"),
    "api.too-large": Title(413, "The request is too large", "Forespørgslen er for stor"),
    "api.idempotency-mismatch": Title(
        422, "The Idempotency-Key was used with another request",
        "Idempotency-Key er brugt til en anden forespørgsel"),
    "api.validation": Title(422, "The request is invalid", "Forespørgslen er ugyldig"),
    "api.launch-incomplete": Title(
        422, "The launch lacks what its form needs to send (each field named)",
        "Opstarten mangler oplysninger, som formularen skal bruge"),
    "api.http": Title(400, "The request cannot be served", "Forespørgslen kan ikke besvares"),
    "api.unavailable": Title(503, "Too many open launch links or sessions; try again later",
                             "For mange åbne links eller sessioner; prøv igen senere"),
    "api.internal": Title(500, "Internal error; the request id names it in the log",
                          "Intern fejl; forespørgslens id findes i loggen"),
    "local.invalid-value": Title(422, "A value breaks a MedCom rule",
                                 "En værdi overholder ikke MedComs regler"),
    "local.unsupported-in-version": Title(
        422, "The receiver's message version cannot carry this content",
        "Modtagerens meddelelsesversion kan ikke bære dette indhold"),
    "local.schema": Title(422, "The message built from the request fails its schema",
                          "Meddelelsen kan ikke dannes, så den overholder sit skema"),
    "local.unknown-receiver": Title(422, "The receiver is not in the receivers directory",
                                    "Modtageren findes ikke i modtagerkataloget"),
    "local.receiver-refuses": Title(422, "The receiver does not take this message",
                                    "Modtageren kan ikke modtage denne meddelelse"),
    "local.upload-refused": Title(422, "An attached file is refused",
                                  "En vedhæftet fil afvises"),
    "local.journal": Title(503, "The journal is unavailable", "Journalen er ikke tilgængelig"),
}
_STATUS_CODES = {401: "api.unauthorized", 403: "api.forbidden", 404: "api.not-found",
                 405: "api.method-not-allowed", 409: "api.conflict", 413: "api.too-large",
                 422: "api.validation"}


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field's problem: where (``path`` in ``where``), what (``code``), why."""

    path: str
    code: str
    detail: str
    where: str = "body"
    detail_da: str | None = None


@dataclass(slots=True)
class ApiProblem(Exception):
    """Raised by a handler: answered as a problem object (see the module docstring)."""

    code: str
    detail: str | None = None
    errors: Sequence[FieldError] = ()
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


# -- the documented shape (OpenAPI) --------------------------------------------------------

class FieldErrorOut(BaseModel):
    path: str = Field(description="the field, e.g. patient.cpr or attachments[0].title; "
                                  "empty for the request as a whole")
    in_: str = Field(alias="in", description="body, query, path or header")
    code: str = Field(description="stable code (api.*, local.*, remote.*)")
    detail: str = Field(description="what is wrong, in English; never the submitted value")
    detail_da: str | None = Field(None, description="the same in Danish, where known")


class ProblemOut(BaseModel):
    """RFC 9457 problem details, with the adapter's stable code and a Danish title."""

    type: str = Field(description=f"{TYPE_PREFIX}<code>")
    status: int
    code: str = Field(description="stable code: api.*, local.* or remote.*")
    title: str = Field(description="English")
    title_da: str = Field(description="Danish")
    detail: str | None = None
    instance: str = Field(description="urn:uuid:<request id>, as in X-Request-Id and the logs")
    errors: list[FieldErrorOut] = Field(default_factory=list)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an endpoint: each status documented as a problem."""
    schema = {"$ref": "#/components/schemas/ProblemOut"}
    return {status: {"content": {MEDIA_TYPE: {"schema": schema}},
                     "description": TITLES[_STATUS_CODES.get(status, "api.http")].en}
            for status in statuses}


def document_schemas(app: FastAPI) -> None:
    """Adds ProblemOut (which :func:`responses` refers to) to the OpenAPI components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        schema = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(schema.pop("$defs", {}))
        components["ProblemOut"] = schema
        return document

    app.openapi = openapi  # type: ignore[method-assign]


# -- rendering ---------------------------------------------------------------------------

def render(request: Request, problem: ApiProblem) -> JSONResponse:
    status, body = document(request.scope, problem)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE,
                        headers={"content-language": "en", **problem.headers})


def document(scope: Scope, problem: ApiProblem) -> tuple[int, dict[str, Any]]:
    """The status and problem object answering ``problem`` to the request of ``scope``."""
    title = TITLES.get(problem.code) or TITLES[_family(problem.code)]
    status = problem.status or title.status
    submitted = _submitted(scope)
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + problem.code, "status": status, "code": problem.code,
        "title": title.en, "title_da": title.da,
        "instance": f"urn:uuid:{scope.get('medcom.request_id', '')}",
        "errors": [{"path": e.path, "in": e.where, "code": e.code,
                    "detail": redact(e.detail, submitted),
                    **({"detail_da": redact(e.detail_da, submitted)} if e.detail_da else {})}
                   for e in problem.errors],
    }
    if problem.detail:
        body["detail"] = redact(problem.detail, submitted)
    return status, body


def _family(code: str) -> str:
    if code.startswith("local.journal"):
        return "local.journal"
    return "local.invalid-value" if code.startswith(("local.", "remote.")) else "api.http"


def redact(text: str, submitted: Sequence[str]) -> str:
    """``text`` without any run of four or more characters of a submitted value: each such
    run becomes one ``…``. Long values (files, long texts) are cut where they occur whole.
    Linear in the text and the short values, so a hostile body cannot make it slow."""
    for value in (v for v in submitted if len(v) > _WINDOWED):
        text = text.replace(value, "…")
    windows = {v[i:i + 4] for v in submitted if len(v) <= _WINDOWED
               for i in range(len(v) - 3)}
    hidden = [False] * len(text)
    for i in range(len(text) - 3):
        if text[i:i + 4] in windows:
            hidden[i:i + 4] = [True] * 4
    out: list[str] = []
    for i, char in enumerate(text):
        if not hidden[i]:
            out.append(char)
        elif i == 0 or not hidden[i - 1]:
            out.append("…")
    return "".join(out)


_WINDOWED = 256


def _submitted(scope: Scope) -> list[str]:
    """Every value the request carried: body strings and numbers, query values, path."""
    values: list[str] = []
    raw = b"".join(scope.get(SUBMITTED, ()))
    if raw:
        try:
            _walk(json.loads(raw), values)
        except (ValueError, RecursionError):
            values.append(raw.decode("utf-8", "replace"))
    values += [v for _, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))]
    values += [str(v) for v in scope.get("path_params", {}).values()]
    return sorted({v for v in values if len(v) >= 4}, key=len, reverse=True)


def _walk(node: object, into: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if not _SNAKE.fullmatch(str(key)):  # field names are ours; other keys are not
                into.append(str(key))
            _walk(value, into)
    elif isinstance(node, list):
        for item in node:
            _walk(item, into)
    elif node is not None and not isinstance(node, bool):
        into.append(str(node))


class KeepSubmitted:
    """Keeps an API request's body in its scope, for :func:`redact` to know what to hide."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        scope[SUBMITTED] = chunks

        async def keeping_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        await self.app(scope, keeping_receive, send)


# -- translating what the framework and the core raise ----------------------------------

_SNAKE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_DANISH = {
    "missing": "Feltet mangler.",
    "extra_forbidden": "Feltet kendes ikke.",
    "string_too_short": "Teksten er for kort.",
    "string_too_long": "Teksten er for lang.",
    "string_pattern_mismatch": "Værdien har ikke den krævede form.",
    "string_type": "Skal være en tekst.",
    "int_type": "Skal være et heltal.",
    "int_parsing": "Skal være et heltal.",
    "literal_error": "Værdien er ikke en af de tilladte.",
    "enum": "Værdien er ikke en af de tilladte.",
    "json_invalid": "Forespørgslen er ikke gyldig JSON.",
    "too_long": "Listen er for lang.",
    "list_type": "Skal være en liste.",
    "model_attributes_type": "Skal være et objekt.",
    "dict_type": "Skal være et objekt.",
    "greater_than_equal": "Tallet er for lille.",
    "less_than_equal": "Tallet er for stort.",
}


_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")


def path_of(loc: Iterable[object]) -> str:
    """A pydantic location as a field path: ``attachments[0].title``; keys that do not look
    like field names (a submitted key could be anything) are left out."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and _SNAKE.fullmatch(part):
            path += f".{part}" if path else part
    return path


def from_validation(exc: RequestValidationError) -> ApiProblem:
    errors = []
    for error in exc.errors():
        loc = list(error.get("loc", ()))
        where = str(loc.pop(0)) if loc and loc[0] in ("body", "query", "path", "header") \
            else "body"
        kind = str(error.get("type", "value_error"))
        if kind == "json_invalid":
            loc = []  # its location is a character offset, not a field
        if kind == "extra_forbidden" and loc:
            loc[-1] = loc[-1] if isinstance(loc[-1], str) and _SNAKE.fullmatch(loc[-1]) else ""
        path = path_of(loc)
        if where == "header" and loc and _HEADER_NAME.fullmatch(str(loc[0])):
            path = str(loc[0])  # a header the API declares (Idempotency-Key), by its name
        errors.append(FieldError(path, "api." + kind.replace("_", "-"),
                                 str(error.get("msg", "invalid")), where,
                                 _DANISH.get(kind, "Ugyldig værdi.")))
    return ApiProblem("api.validation", errors=errors)


def from_core(exc: MedComError, path: str = "") -> ApiProblem:
    """A core error on the request: its own code; 503 for the journal, 422 otherwise."""
    status = 503 if isinstance(exc, JournalError) else 422
    detail = exc.message if isinstance(exc, LocalError | RemoteError) else str(exc)
    return ApiProblem(exc.code, status=status,
                      errors=[FieldError(path, exc.code, detail)] if path else (),
                      detail=None if path else detail)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install(app: FastAPI, *, page_error: Callable[[Request, int], Response]) -> None:
    """Problem answers for ``/api``; ``page_error`` answers a bad request to a page (the
    pages keep their Danish HTML error pages)."""

    document_schemas(app)

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        return render(request, exc)

    @app.exception_handler(MedComError)
    async def core_error(request: Request, exc: MedComError) -> Response:
        return render(request, from_core(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return render(request, from_validation(exc)) if is_api(request) \
            else page_error(request, 400)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        return render(request, ApiProblem("api.internal"))


def from_http(exc: StarletteHTTPException) -> ApiProblem:
    code = _STATUS_CODES.get(exc.status_code, "api.http")
    return ApiProblem(code, status=exc.status_code, headers=dict(exc.headers or {}))
