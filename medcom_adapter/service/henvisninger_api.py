"""The §126a henvisninger API: record what travels without a message, list a course's, and
export a period in the data standard's fields (see docs/126a.md).

CPR numbers travel in bodies only. Recording takes the ``send`` scope (the case system acts
for its unit), a course's list ``read``, the period export ``export``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from medcom_adapter.errors import InvalidValue, JournalError
from medcom_adapter.journal import actors, export
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.model.henvisninger import HenvisningRecord, RecordedHenvisning
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.model.parties import person_id
from medcom_adapter.service.apikeys import ApiKey
from medcom_adapter.service.auth import require
from medcom_adapter.service.problems import ApiProblem, FieldError, responses
from medcom_adapter.service.state import state

router = APIRouter(prefix="/api", tags=["§126a"])


class HenvisningIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    course_id: UUID = Field(description="forløbs-ID")
    date: date
    henvisning: Henvisning = Field(description="the data standard's class")
    patient_cpr: Annotated[str, Field(min_length=10, max_length=10, description="CPR or eCPR")]
    unit_sor: Annotated[str, Field(pattern=r"^[1-9][0-9]{5,17}$",
                                   description="the reporting unit's SOR id")]
    supersedes: Annotated[str, Field(max_length=80, description=(
        "id of the henvisning this record corrects or withdraws"))] | None = None
    withdrawn: bool = Field(False, description="withdraws ``supersedes``, recorded in error")


class HenvisningOut(BaseModel):
    id: str
    course_id: UUID
    date: date
    henvisning: Henvisning
    henvisning_display: str
    patient_cpr: str
    unit_sor: str
    message_id: int | None = Field(description="journal id of the message it travelled with")
    message_kind: str | None
    supersedes: str | None
    withdrawn: bool


class RecordedOut(BaseModel):
    id: str


def _out(r: RecordedHenvisning) -> HenvisningOut:
    c = r.carrier
    return HenvisningOut(
        id=r.id, course_id=r.record.course_id, date=r.record.referred_on,
        henvisning=r.record.henvisning, henvisning_display=r.record.henvisning.display,
        patient_cpr=str(r.record.patient), unit_sor=r.record.unit.value,
        message_id=None if c is None else c.journal_id, message_kind=None if c is None
        else c.kind, supersedes=r.supersedes, withdrawn=r.withdrawn)


def _actor(key: ApiKey) -> str:
    return actors.api_key(key.id)  # the key's id: its name is whatever an operator typed


def _ours(key: ApiKey, found: Sequence[RecordedHenvisning]) -> list[RecordedHenvisning]:
    """The records of the key's units only."""
    sors = {u.sor for u in key.units}
    return [r for r in found if r.record.unit.value in sors]


@router.post("/henvisninger", response_model=RecordedOut, status_code=201,
             responses=responses(401, 403, 409, 413, 422))
async def record(body: HenvisningIn, request: Request,
                 key: Annotated[ApiKey, Depends(require("send"))]) -> RecordedOut:
    """Record a henvisning that travels without a MedCom message (civil society, another
    municipality's §126a offer, ...), or correct or withdraw one with a new record."""
    if body.withdrawn and body.supersedes is None:
        raise ApiProblem("api.validation", errors=(FieldError(
            "supersedes", "api.missing", "a withdrawal names the record it withdraws",
            detail_da="En tilbagekaldelse skal angive den registrering, den tilbagekalder."),))
    try:
        record = HenvisningRecord(body.course_id, body.date, body.henvisning,
                                  person_id(body.patient_cpr), SorId(body.unit_sor))
    except InvalidValue as exc:
        raise ApiProblem("api.validation", errors=(
            FieldError("patient_cpr", exc.code, exc.message),)) from None
    if not any(u.sor == body.unit_sor for u in key.units):
        raise ApiProblem("api.forbidden", detail=f"this API key does not act for unit "
                                                 f"{body.unit_sor}")
    journal = state(request).journal
    if body.supersedes is not None and not any(r.id == body.supersedes for r in _ours(
            key, journal.henvisninger(actor=_actor(key), course_id=body.course_id,
                                      versions=True))):
        raise ApiProblem("api.not-found", detail="no such henvisning in this course")
    try:
        id = journal.record_henvisning(
            record, actor=_actor(key), supersedes=body.supersedes, withdrawn=body.withdrawn)
    except JournalError as exc:
        raise ApiProblem("api.conflict", status=409, errors=(
            FieldError("supersedes", exc.code, exc.message),)) from None
    return RecordedOut(id=id)


@router.get("/henvisninger", response_model=list[HenvisningOut],
            responses=responses(401, 403, 422))
async def course(request: Request, key: Annotated[ApiKey, Depends(require("read"))],
                 course_id: UUID, versions: bool = False) -> list[HenvisningOut]:
    """A course's henvisninger in force (with ``versions``, corrected ones too)."""
    found = state(request).journal.henvisninger(actor=_actor(key), course_id=course_id,
                                                versions=versions)
    return [_out(r) for r in _ours(key, found)]


@router.get("/henvisninger/export", responses={
    200: {"content": {"text/csv": {}, "application/json": {}}}, **responses(401, 403, 422)})
async def period(request: Request, key: Annotated[ApiKey, Depends(require("export"))],
                 since: Annotated[date, Query(alias="from")],
                 until: Annotated[date, Query(alias="to")],
                 format: Literal["csv", "json"] = "json") -> Response:
    """Every henvisning in force dated in the period, one row each, in the data standard's
    fields (``forloebs_id``, ``dato``, ``cpr``, ``sor_id``, ``henvisning_kode``, ...)."""
    found = _ours(key, state(request).journal.henvisninger(actor=_actor(key), since=since,
                                                           until=until))
    body: Any = (export.classifications_csv(found) if format == "csv"
                 else export.classifications_json(found))
    return Response(body, media_type="text/csv; charset=utf-8" if format == "csv"
                    else "application/json")
