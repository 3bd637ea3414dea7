"""Page sessions: after a launch, the worker's browser holds a random session id (cookie).

A session keeps the launch context, the CSRF token its forms must echo and the journal ids
of what it sent, in the journal's shared store (encrypted, filed under the id's hash): a
restart or another ``serve`` process on the same journal continues it. It ends after
``idle`` without a request, ``longest`` after it began, at logout, or when the API key
that launched it is revoked.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from medcom_adapter.journal.shared import SharedState
from medcom_adapter.service.context import LaunchContext


@dataclass(slots=True)
class Session:
    id: str
    context: LaunchContext
    csrf: str
    sent: dict[int, tuple[int, ...]] = field(default_factory=dict)  # letter id -> all ids

    def payload(self) -> bytes:
        return json.dumps({"context": json.loads(self.context.to_json()), "csrf": self.csrf,
                           "sent": {str(k): list(v) for k, v in self.sent.items()}}).encode()

    @classmethod
    def load(cls, session_id: str, payload: bytes) -> Session:
        raw = json.loads(payload)
        return cls(session_id, LaunchContext.from_json(json.dumps(raw["context"]).encode()),
                   raw["csrf"], {int(k): tuple(v) for k, v in raw["sent"].items()})


class Sessions:
    def __init__(self, store: SharedState, idle_seconds: float, clock: Callable[[], datetime],
                 *, longest_seconds: float = 12 * 3600.0,
                 live: Callable[[str], bool] = lambda key_id: True) -> None:
        self._store = store
        self._idle = timedelta(seconds=idle_seconds)
        self._longest = timedelta(seconds=longest_seconds)
        self._clock = clock
        self._live = live

    def start(self, context: LaunchContext) -> Session:
        session = Session(secrets.token_urlsafe(32), context, secrets.token_urlsafe(32))
        self._store.start_session(session.id, session.payload(), self._clock(), self._idle,
                                  self._longest)
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id or len(session_id) > 100:
            return None
        payload = self._store.session(session_id, self._clock(), self._idle, self._longest)
        if payload is None:
            return None
        session = Session.load(session_id, payload)
        if not self._live(session.context.key_id):
            self._store.end_session(session_id)
            return None
        return session

    def sent(self, session: Session, ids: tuple[int, ...]) -> None:
        session.sent[ids[0]] = ids
        self._store.update_session(session.id, session.payload())

    def end(self, session_id: str | None) -> None:
        if session_id and len(session_id) <= 100:
            self._store.end_session(session_id)
