"""Form drafts waiting for the worker to confirm them on the preview page.

A draft is what the form held, the summary the preview shows, and the validated messages it
will queue (with their attachments: the region's PDF form, a KM's files). It is kept in the
journal's shared store, encrypted and bound to its session, never in process memory: any
``serve`` process on the journal can show or send it, and it is sent at most once.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from medcom_adapter.journal.interface import Attachment, Direction, NewMessage
from medcom_adapter.journal.shared import SharedState
from medcom_adapter.model.classification import Classification, Henvisning
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.model.parties import person_id
from medcom_adapter.service.forms import Outgoing
from medcom_adapter.workers.submit import Prepared


@dataclass(frozen=True, slots=True)
class Draft:
    kind: str  # referral | km
    values: dict[str, Any]  # the form's fields, to fill it in again
    outgoing: Outgoing
    summary: dict[str, str]
    copy: Outgoing | None = None  # a referral's copy to the GP, queued with it


class Drafts:
    def __init__(self, store: SharedState) -> None:
        self._store = store

    def put(self, session_id: str, draft: Draft, now: datetime) -> str:
        draft_id = secrets.token_urlsafe(12)
        self._store.put_draft(session_id, draft_id, _dump(draft), now)
        return draft_id

    def get(self, session_id: str, draft_id: str) -> Draft | None:
        found = self._store.draft(session_id, draft_id) if len(draft_id) <= 40 else None
        return None if found is None else _load(found)

    def take(self, session_id: str, draft_id: str) -> Draft | None:
        found = self._store.take_draft(session_id, draft_id) if len(draft_id) <= 40 else None
        return None if found is None else _load(found)


def _dump(draft: Draft) -> bytes:
    return json.dumps({
        "kind": draft.kind, "values": draft.values, "summary": draft.summary,
        **_outgoing(draft.outgoing),
        "copy": _outgoing(draft.copy) if draft.copy is not None else None,
    }, separators=(",", ":")).encode()


def _outgoing(outgoing: Outgoing) -> dict[str, Any]:
    prepared = outgoing.prepared
    return {"receiver": outgoing.receiver, "prepared_receiver": prepared.receiver,
            "via": prepared.via, "entries": [_message(m) for m in prepared.entries]}


def _load(data: bytes) -> Draft:
    raw = json.loads(data)
    return Draft(raw["kind"], raw["values"], _load_outgoing(raw), raw["summary"],
                 _load_outgoing(raw["copy"]) if raw.get("copy") else None)


def _load_outgoing(raw: dict[str, Any]) -> Outgoing:
    prepared = Prepared(tuple(_new_message(m) for m in raw["entries"]),
                        raw["prepared_receiver"], raw["via"])
    return Outgoing(prepared, raw["receiver"])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _message(m: NewMessage) -> dict[str, Any]:
    c = m.classification
    return {
        "direction": m.direction.value, "kind": m.kind, "version": m.version,
        "data": _b64(m.data), "envelope_id": m.envelope_id, "message_id": m.message_id,
        "sender_ean": m.sender_ean, "receiver_ean": m.receiver_ean,
        "sender_sor": m.sender_sor, "receiver_sor": m.receiver_sor,
        "patient": None if m.patient is None else str(m.patient),
        "episode_id": m.episode_id, "answers": m.answers,
        "attachments": [{"object_id": a.object_id, "content_type": a.content_type,
                         "data": _b64(a.data), "title": a.title} for a in m.attachments],
        "classification": None if c is None else {
            "course_id": str(c.course_id), "referred_on": c.referred_on.isoformat(),
            "patient": str(c.patient), "unit": str(c.unit),
            "classes": [h.value for h in c.classes]},
    }


def _new_message(raw: dict[str, Any]) -> NewMessage:
    c = raw["classification"]
    return NewMessage(
        direction=Direction(raw["direction"]), kind=raw["kind"], version=raw["version"],
        data=base64.b64decode(raw["data"]), envelope_id=raw["envelope_id"],
        message_id=raw["message_id"], sender_ean=raw["sender_ean"],
        receiver_ean=raw["receiver_ean"], sender_sor=raw["sender_sor"],
        receiver_sor=raw["receiver_sor"],
        patient=None if raw["patient"] is None else person_id(raw["patient"]),
        episode_id=raw["episode_id"], answers=raw["answers"],
        attachments=tuple(Attachment(a["object_id"], a["content_type"],
                                     base64.b64decode(a["data"]), a["title"])
                          for a in raw["attachments"]),
        classification=None if c is None else Classification(
            UUID(c["course_id"]), date.fromisoformat(c["referred_on"]),
            person_id(c["patient"]), SorId(c["unit"]),
            tuple(Henvisning(h) for h in c["classes"])),
    )
