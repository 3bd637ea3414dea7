"""Page sessions: after a launch, the worker's browser holds a random session id (cookie).

The session keeps the launch context, the CSRF token its forms must echo, and drafts
waiting for the worker to confirm them on the preview page. All in memory: a restart ends
every session, and the case system launches again.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from medcom_adapter.service.context import LaunchContext


@dataclass(slots=True)
class Session:
    id: str
    context: LaunchContext
    csrf: str
    expires: float
    drafts: dict[str, Any] = field(default_factory=dict)
    sent: dict[int, tuple[int, ...]] = field(default_factory=dict)  # letter id -> all ids


class Sessions:
    def __init__(self, ttl_seconds: float, clock: Callable[[], datetime]) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, context: LaunchContext) -> Session:
        now = self._clock().timestamp()
        session = Session(secrets.token_urlsafe(32), context, secrets.token_urlsafe(32),
                          now + self._ttl)
        with self._lock:
            for sid in [s for s, v in self._sessions.items() if v.expires <= now]:
                del self._sessions[sid]
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        now = self._clock().timestamp()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.expires <= now:
                self._sessions.pop(session_id, None)
                return None
            session.expires = now + self._ttl
            return session
