"""The service's shared state, kept in the journal's store so every process sees the same.

API keys (hashed), launch contexts waiting to be opened, page sessions and form drafts live
beside the messages: a revoked key is refused on the next request by every ``serve``
process on one PostgreSQL journal, a restart keeps open links and sessions, and nothing a
worker typed (or the PDF they attached) waits in one process's memory.

The store knows no service rules: contexts, sessions and drafts are opaque payloads that the
durable stores encrypt with the journal's keys (associated data names the row), looked up
by the SHA-256 of their random id, so a reader of the database can neither use a session
nor read what it holds. Callers pass ``now``; expiry is the caller's rule, enforced here.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit a key may act for: its SOR id, and its EAN location number when known."""

    sor: str
    ean: str | None = None

    def __str__(self) -> str:
        return self.sor if self.ean is None else f"{self.sor}:{self.ean}"

    @classmethod
    def parse(cls, text: str) -> Unit:
        sor, _, ean = text.partition(":")
        if not sor.isdigit() or (ean and not (ean.isdigit() and len(ean) == 13)):
            raise ValueError(f"a unit is SOR or SOR:EAN (digits; EAN 13 digits), not {text!r}")
        return cls(sor, ean or None)


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A case system's API key as stored: never the secret, only its SHA-256."""

    id: str
    name: str
    digest: str
    scopes: tuple[str, ...]
    units: tuple[Unit, ...]
    created_at: datetime
    revoked_at: datetime | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None  # whsec_... (see apikeys.signing_key); sealed at rest

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what unauthenticated or careless callers can make the store hold."""

    launches: int = 10_000  # unopened launch links (they expire within minutes)
    sessions: int = 10_000  # live page sessions
    drafts_per_session: int = 20  # the oldest goes when a session makes more


@dataclass(frozen=True, slots=True)
class Remembered:
    """What a send under an idempotency key answered: the digest of the request it came
    with, and the answer (status and JSON body) to give its repeats."""

    request: str
    status: int
    response: str


class StoreFull(Exception):
    """The bounded store holds its maximum of live entries of this kind."""


class SharedState(Protocol):
    """Keys, launch contexts, sessions, drafts and the pages' marks on messages; every write
    is durable when it returns."""

    limits: Limits

    def add_key(self, key: KeyRecord) -> None: ...

    def key(self, key_id: str) -> KeyRecord | None: ...

    def all_keys(self) -> Sequence[KeyRecord]: ...

    def revoke_key(self, key_id: str, at: datetime) -> bool:
        """False when there is no such key."""
        ...

    def set_webhook(self, key_id: str, url: str | None, secret: str | None) -> bool: ...

    def put_launch(self, reference: str, payload: bytes, expires: datetime, now: datetime
                   ) -> None:
        """Keep a launch context until ``expires``; StoreFull when the bound is reached."""
        ...

    def take_launch(self, reference: str) -> tuple[bytes, datetime] | None:
        """The context and its expiry, removed: of two processes taking one, one wins."""
        ...

    def start_session(self, session_id: str, payload: bytes, now: datetime, idle: timedelta,
                      longest: timedelta) -> None:
        """Keep a new session (expired ones go first); StoreFull when the bound is reached."""
        ...

    def session(self, session_id: str, now: datetime, idle: timedelta,
                longest: timedelta) -> bytes | None:
        """The session's payload, marked as used now; None (and gone) once it was idle for
        ``idle`` or began more than ``longest`` ago."""
        ...

    def update_session(self, session_id: str, payload: bytes) -> None: ...

    def end_session(self, session_id: str) -> None:
        """Logout: the session and its drafts are gone."""
        ...

    def put_draft(self, session_id: str, draft_id: str, payload: bytes, now: datetime
                  ) -> None: ...

    def draft(self, session_id: str, draft_id: str) -> bytes | None: ...

    def take_draft(self, session_id: str, draft_id: str) -> bytes | None:
        """The draft, removed: a draft is sent at most once, whichever process is asked."""
        ...

    def marked(self, ids: Sequence[int], mark: str) -> set[int]:
        """Those of the journal ids ``ids`` that carry the page mark ``mark``."""
        ...

    def set_mark(self, id: int, mark: str, other: int = 0, *, on: bool = True) -> None:
        """Put (or take off) a mark on a journal id; ``other`` links a second id."""
        ...

    def remembered(self, scope: str, key: str) -> Remembered | None:
        """What the send under ``key`` (of API key ``scope``) answered, if one happened."""
        ...

    def remember(self, scope: str, key: str, answer: Remembered, now: datetime
                 ) -> Remembered | None:
        """Keep ``answer`` under ``key`` unless another send holds it: then write nothing
        and return that send's answer. Called inside the transaction that queues the send
        (``Journal.atomic``), so the answer is kept exactly when the send is."""
        ...

    def reseal(self) -> int:
        """Re-seal what is sealed under an older key with the current one (key rotation)."""
        ...

    def linked(self, id: int, mark: str) -> tuple[int, ...]:
        """The ids linked to ``id`` under ``mark``, in order."""
        ...


def lookup(secret_id: str) -> str:
    """What the store files a secret id under: its SHA-256, so the id itself is never kept."""
    return hashlib.sha256(secret_id.encode()).hexdigest()


@dataclass(slots=True)
class _Session:
    payload: bytes
    started: datetime
    seen: datetime


class MemorySharedState:
    """The shared state of a memory journal: one process, nothing on disk."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._keys: dict[str, KeyRecord] = {}
        self._launches: dict[str, tuple[bytes, datetime]] = {}
        self._sessions: dict[str, _Session] = {}
        self._drafts: dict[str, dict[str, tuple[datetime, bytes]]] = {}
        self._marks: set[tuple[int, str, int]] = set()
        self._remembered: dict[tuple[str, str], Remembered] = {}
        self._lock = threading.Lock()

    def add_key(self, key: KeyRecord) -> None:
        with self._lock:
            if key.id in self._keys:
                raise ValueError(f"API key {key.id} exists")
            self._keys[key.id] = key

    def key(self, key_id: str) -> KeyRecord | None:
        with self._lock:
            return self._keys.get(key_id)

    def all_keys(self) -> Sequence[KeyRecord]:
        with self._lock:
            return sorted(self._keys.values(), key=lambda k: (k.created_at, k.id))

    def revoke_key(self, key_id: str, at: datetime) -> bool:
        with self._lock:
            key = self._keys.get(key_id)
            if key is None:
                return False
            if key.revoked_at is None:
                self._keys[key_id] = replace(key, revoked_at=at)
            return True

    def set_webhook(self, key_id: str, url: str | None, secret: str | None) -> bool:
        with self._lock:
            key = self._keys.get(key_id)
            if key is None:
                return False
            self._keys[key_id] = replace(key, webhook_url=url, webhook_secret=secret)
            return True

    def put_launch(self, reference: str, payload: bytes, expires: datetime, now: datetime
                   ) -> None:
        with self._lock:
            for ref in [r for r, (_, e) in self._launches.items() if e <= now]:
                del self._launches[ref]
            if len(self._launches) >= self.limits.launches:
                raise StoreFull("launches")
            self._launches[lookup(reference)] = (payload, expires)

    def take_launch(self, reference: str) -> tuple[bytes, datetime] | None:
        with self._lock:
            return self._launches.pop(lookup(reference), None)

    def start_session(self, session_id: str, payload: bytes, now: datetime, idle: timedelta,
                      longest: timedelta) -> None:
        with self._lock:
            self._forget(now, idle, longest)
            if len(self._sessions) >= self.limits.sessions:
                raise StoreFull("sessions")
            self._sessions[lookup(session_id)] = _Session(payload, now, now)

    def session(self, session_id: str, now: datetime, idle: timedelta,
                longest: timedelta) -> bytes | None:
        with self._lock:
            self._forget(now, idle, longest)
            found = self._sessions.get(lookup(session_id))
            if found is None:
                return None
            found.seen = now
            return found.payload

    def _forget(self, now: datetime, idle: timedelta, longest: timedelta) -> None:
        for sid in [s for s, v in self._sessions.items()
                    if v.seen + idle <= now or v.started + longest <= now]:
            del self._sessions[sid]
            self._drafts.pop(sid, None)

    def update_session(self, session_id: str, payload: bytes) -> None:
        with self._lock:
            found = self._sessions.get(lookup(session_id))
            if found is not None:
                found.payload = payload

    def end_session(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(lookup(session_id), None)
            self._drafts.pop(lookup(session_id), None)

    def put_draft(self, session_id: str, draft_id: str, payload: bytes, now: datetime
                  ) -> None:
        with self._lock:
            drafts = self._drafts.setdefault(lookup(session_id), {})
            while len(drafts) >= self.limits.drafts_per_session:
                del drafts[min(drafts, key=lambda d: drafts[d][0])]
            drafts[draft_id] = (now, payload)

    def draft(self, session_id: str, draft_id: str) -> bytes | None:
        with self._lock:
            found = self._drafts.get(lookup(session_id), {}).get(draft_id)
            return None if found is None else found[1]

    def take_draft(self, session_id: str, draft_id: str) -> bytes | None:
        with self._lock:
            found = self._drafts.get(lookup(session_id), {}).pop(draft_id, None)
            return None if found is None else found[1]

    def marked(self, ids: Sequence[int], mark: str) -> set[int]:
        with self._lock:
            return {i for i in ids if (i, mark, 0) in self._marks}

    def set_mark(self, id: int, mark: str, other: int = 0, *, on: bool = True) -> None:
        with self._lock:
            if on:
                self._marks.add((id, mark, other))
            else:
                self._marks.discard((id, mark, other))

    def linked(self, id: int, mark: str) -> tuple[int, ...]:
        with self._lock:
            return tuple(sorted(o for i, m, o in self._marks if i == id and m == mark and o))

    def remembered(self, scope: str, key: str) -> Remembered | None:
        with self._lock:
            return self._remembered.get((scope, key))

    def remember(self, scope: str, key: str, answer: Remembered, now: datetime
                 ) -> Remembered | None:
        with self._lock:
            earlier = self._remembered.get((scope, key))
            if earlier is None:
                self._remembered[(scope, key)] = answer
            return earlier

    def reseal(self) -> int:
        return 0  # kept in this process's memory, never sealed
