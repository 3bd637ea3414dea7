"""Files a worker has uploaded to a form that is not sent yet: kept, encrypted, per session.

An upload must survive a form error and "Ret" from the preview: the browser never sends a
file twice, so losing it makes the worker attach it again (or send without it). The page
shows a kept file as "Vedhæftet: navn, størrelse" with a button to remove it, and the form
carries only its random id; a file id from another session opens nothing.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.journal.shared import SharedState


@dataclass(frozen=True, slots=True)
class KeptFile:
    id: str
    name: str  # the file's name as uploaded, for the page
    title: str  # what the letter calls it (the name without its extension)
    content_type: str
    size: int


class KeptFiles:
    """In the journal's shared state as drafts of the session (sealed there, bound to the
    session, gone with it), so any ``serve`` process can show or send them."""

    def __init__(self, store: SharedState, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def keep(self, session_id: str, name: str, title: str, content_type: str,
             data: bytes) -> KeptFile:
        file = KeptFile(f"fil-{secrets.token_urlsafe(12)}", name[:120], title, content_type,
                        len(data))
        payload = json.dumps({"name": file.name, "title": title, "type": content_type,
                              "data": base64.b64encode(data).decode("ascii")}).encode()
        self._store.put_draft(session_id, file.id, payload, self._clock())
        return file

    def get(self, session_id: str, file_id: str) -> tuple[KeptFile, bytes] | None:
        if not file_id.startswith("fil-") or len(file_id) > 40:
            return None  # a form draft's id is not a file's
        found = self._store.draft(session_id, file_id)
        if found is None:
            return None
        raw = json.loads(found)
        data = base64.b64decode(raw["data"])
        return KeptFile(file_id, raw["name"], raw["title"], raw["type"], len(data)), data

    def remove(self, session_id: str, file_id: str) -> None:
        if file_id.startswith("fil-") and len(file_id) <= 40:
            self._store.take_draft(session_id, file_id)
