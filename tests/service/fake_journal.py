"""A small in-memory Journal for the service tests: the contract only, with a read log."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from medcom_adapter.journal.interface import (
    NewMessage,
    Query,
    Status,
    StatusChange,
    StoredMessage,
    VerifyReport,
)
from medcom_adapter.model.classification import Classification


class FakeJournal:
    def __init__(self) -> None:
        self.rows: dict[int, StoredMessage] = {}
        self.reads: list[tuple[str, str]] = []  # (actor, what) for every read

    def append(self, message: NewMessage, status: Status, *, actor: str = "system") -> int:
        new_id = len(self.rows) + 1
        now = datetime.now(UTC)
        self.rows[new_id] = StoredMessage(new_id, message, now,
                                          hashlib.sha256(message.data).hexdigest(),
                                          (StatusChange(status, now),))
        if message.answers is not None:
            answered = self.rows[message.answers]
            self.rows[message.answers] = replace(
                answered, answered_by=(*answered.answered_by, new_id))
        return new_id

    def set_status(self, id: int, status: Status, *, reason: str | None = None) -> None:
        row = self.rows[id]
        change = StatusChange(status, datetime.now(UTC), reason)
        self.rows[id] = replace(row, history=(*row.history, change))

    def get(self, id: int, *, actor: str = "system") -> StoredMessage:
        self.reads.append((actor, f"get {id}"))
        return self.rows[id]

    def find(self, query: Query, *, actor: str = "system") -> Sequence[StoredMessage]:
        self.reads.append((actor, "find"))
        out = []
        for row in self.rows.values():
            m = row.message
            if all(want is None or want == have for want, have in (
                (query.patient, m.patient), (query.episode_id, m.episode_id),
                (query.status, row.status), (query.kind, m.kind),
                (query.direction, m.direction), (query.envelope_id, m.envelope_id),
                (query.message_id, m.message_id),
            )):
                out.append(row)
        return out[: query.limit]

    def claim(self, status: Status, limit: int, *, lease_seconds: float = 60.0) -> Sequence[int]:
        return [i for i, r in self.rows.items() if r.status is status][:limit]

    def classifications(self, since: date, until: date) -> Sequence[Classification]:
        return [r.message.classification for r in self.rows.values()
                if r.message.classification is not None
                and since <= r.message.classification.referred_on <= until]

    def verify(self) -> VerifyReport:
        return VerifyReport(checked=len(self.rows))

    def close(self) -> None:
        pass
