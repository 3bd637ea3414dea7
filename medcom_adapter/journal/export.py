"""Exports from the journal: one child's file for the case system, §126a classifications.

The patient export is a zip: ``messages/`` the exact stored bytes, ``attachments/`` each
attachment as a file, ``renderings/`` a readable text of each message, and
``manifest.json`` listing every message with its status history, digest, files and each
attachment's title. File names carry journal ids, kinds, envelope ids and positions, never
a person id nor a title a peer wrote.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from medcom_adapter.errors import MedComError
from medcom_adapter.journal.interface import StoredMessage
from medcom_adapter.model.classification import Classification
from medcom_adapter.model.henvisninger import RecordedHenvisning

_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
               "image/tiff": "tif", "text/plain": "txt", "text/html": "html"}


def patient_zip(messages: Sequence[StoredMessage], *, now: datetime | None = None) -> bytes:
    buffer = io.BytesIO()
    manifest: list[dict[str, Any]] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for stored in messages:
            entry = describe(stored)
            m = stored.message
            stem = f"{stored.id:08d}-{_safe(m.kind)}-{_safe(m.envelope_id)}"
            files = {"message": f"messages/{stem}.{_extension(m.data)}",
                     "rendering": f"renderings/{stem}.txt"}
            archive.writestr(files["message"], stored.message.data)
            archive.writestr(files["rendering"], rendering(stored, reveal=True))
            for n, attachment in enumerate(m.attachments, start=1):
                ext = _EXTENSIONS.get(attachment.content_type, "bin")
                # named by position, never by its title: a peer's title may carry the
                # child's CPR (a scanned form named after the child); the manifest has it
                name = f"attachments/{stem}-{n}.{ext}"
                archive.writestr(name, attachment.data)
                entry["attachments"][n - 1]["file"] = name
            entry["files"] = files
            manifest.append(entry)
        archive.writestr("manifest.json", json.dumps({
            "exported_at": (now or datetime.now(UTC)).isoformat(),
            "messages": manifest}, ensure_ascii=False, indent=1))
    return buffer.getvalue()


def channel(stored: StoredMessage) -> str | None:
    """The channel a message last left on (``vans``, ``ehmi``), as the outbox noted it in the
    status history, or the one a received message arrived on; None before it left (and for
    what was received before the journal kept channels)."""
    return next((h.reason.removeprefix("channel ") for h in reversed(stored.history)
                 if h.reason is not None and h.reason.startswith("channel ")),
                stored.message.channel)


def describe(stored: StoredMessage, *, reveal: bool = True) -> dict[str, Any]:
    """A message's journal record as JSON-ready data (``reveal`` shows full person ids)."""
    m = stored.message
    return {
        "id": stored.id, "direction": m.direction.value, "kind": m.kind, "version": m.version,
        "envelope_id": m.envelope_id, "message_id": m.message_id,
        "sender": {"ean": m.sender_ean, "sor": m.sender_sor},
        "receiver": {"ean": m.receiver_ean, "sor": m.receiver_sor},
        "patient": None if m.patient is None else person(str(m.patient), reveal=reveal),
        "episode_id": m.episode_id, "answers": m.answers, "answered_by": list(stored.answered_by),
        "stored_at": stored.stored_at.isoformat(), "digest": stored.digest,
        "status": stored.status.value, "channel": channel(stored),
        "history": [{"status": h.status.value, "at": h.at.isoformat(), "reason": h.reason}
                    for h in stored.history],
        "attachments": [{"object_id": a.object_id, "content_type": a.content_type,
                         "title": a.title, "bytes": len(a.data)} for a in m.attachments],
        "classification": None if m.classification is None
        else classification(m.classification, reveal=reveal),
        "purged_at": None if stored.purged_at is None else stored.purged_at.isoformat(),
    }


def classification(c: Classification, *, reveal: bool = True) -> dict[str, Any]:
    return {"course_id": str(c.course_id), "referred_on": c.referred_on.isoformat(),
            "cpr": person(str(c.patient), reveal=reveal), "unit_sor": c.unit.value,
            "henvisning": [{"code": h.value, "display": h.display} for h in c.classes]}


# The §126a data standard's fields of a henvisning, then where it came from. Documented field
# by field in docs/126a.md.
HENVISNING_FIELDS = ("forloebs_id", "dato", "cpr", "sor_id", "henvisning_kode", "henvisning",
                     "besked_id", "beskedtype", "forsendelses_id", "registrering_id")


def henvisning(r: RecordedHenvisning) -> dict[str, Any]:
    """One henvisning as a row of the data standard's export."""
    c = r.carrier
    return {"forloebs_id": str(r.record.course_id), "dato": r.record.referred_on.isoformat(),
            "cpr": str(r.record.patient), "sor_id": r.record.unit.value,
            "henvisning_kode": r.record.henvisning.value,
            "henvisning": r.record.henvisning.display,
            "besked_id": None if c is None else c.journal_id,
            "beskedtype": None if c is None else c.kind,
            "forsendelses_id": None if c is None else c.envelope_id, "registrering_id": r.id}


def classifications_json(found: Sequence[RecordedHenvisning]) -> str:
    return json.dumps([henvisning(r) for r in found], ensure_ascii=False, indent=1) + "\n"


def classifications_csv(found: Sequence[RecordedHenvisning]) -> str:
    """One row per henvisning (a referral classified with two classes gives two)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, HENVISNING_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in found:
        writer.writerow({k: "" if v is None else v for k, v in henvisning(r).items()})
    return out.getvalue()


def rendering(stored: StoredMessage, *, reveal: bool) -> str:
    """The message as people read it; its raw kind and size when it cannot be parsed."""
    if not stored.message.data:
        return f"(message {stored.id} was purged {stored.purged_at})\n"
    from medcom_adapter.detect import parse
    from medcom_adapter.render import text as render

    try:
        return render.any_message(parse(stored.message.data), reveal=reveal)
    except MedComError as exc:
        return (f"{stored.message.kind} {stored.message.version}, "
                f"{len(stored.message.data)} bytes: no rendering ({exc.code}: {exc})\n")


def person(value: str, *, reveal: bool) -> str:
    return value if reveal else value[:6] + "xxxx"


def _extension(data: bytes) -> str:
    return "json" if data.lstrip()[:1] in (b"{", b"[") else (
        "xml" if data.lstrip()[:1] == b"<" else "edi")


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:60] or "_"
