"""The journal's durable queue of EDS delivery-status reports (migrations 9 and 11).

A report is queued in the same transaction as what it reports (``journal.atomic()``), so a
crash never loses one, and unique by its key (the transport envelope and the event), so
one event is queued once however often a worker retries. Delivery is exactly once with
several processes, as the outbox's claims are:

- ``claim`` leases due rows to one owner (``SKIP LOCKED`` on PostgreSQL); a dead owner's
  rows come free when the lease runs out;
- ``attempt`` counts an attempt before the report leaves, only while the caller still owns
  the row; a row claimed with ``attempts > 0`` had an attempt whose outcome is unknown (the
  sender died), so the delivering side looks it up in EDS before sending again;
- ``delivered``, ``retry`` and ``give_up`` are compare-and-set on the owner and the status:
  a worker whose lease was taken over changes nothing.

The AuditEvent may name the patient: it is sealed with the journal's keyring, bound to its
row, and erased once EDS holds it or it is given up on (the row keeps what ``journal show``
lists), and when its message is purged.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from medcom_adapter.journal.clock import Clock, utc_now
from medcom_adapter.journal.db import Db, Row

if TYPE_CHECKING:  # the CLI's light commands import this module: no crypto library
    from medcom_adapter.journal.crypto import Keyring


class ReportStatus(StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    FAILED = "failed"  # EDS refused it for good (a person must look)


@dataclass(frozen=True, slots=True)
class QueuedReport:
    """A claimed report, opened for sending."""

    id: int
    key: str
    message: str | None  # the MedCom message id (MessageHeader.id) it reports on
    subtype: str
    context: str  # the organisational context a token is asked for: "SOR:... GLN:..."
    event: bytes = b""  # the AuditEvent's JSON; may name the patient
    attempts: int = 0  # attempts counted before this claim


@dataclass(frozen=True, slots=True)
class ReportState:
    """What ``journal show`` lists of a report: no patient data."""

    id: int
    subtype: str
    status: ReportStatus
    attempts: int
    queued_at: datetime
    delivered_at: datetime | None
    location: str | None  # where EDS keeps it (its AuditEvent id)
    last_error: str | None


class EdsQueue(Protocol):
    def enqueue(self, key: str, event: bytes, *, subtype: str, context: str,
                message: str | None) -> bool:
        """Queue a report; False when one with ``key`` is already queued (or delivered)."""
        ...

    def claim(self, owner: str, limit: int, *, lease_seconds: float) -> Sequence[QueuedReport]:
        """Due, unleased reports, leased to ``owner``."""
        ...

    def attempt(self, id: int, owner: str) -> bool:
        """Count an attempt before sending; False when ``owner`` lost the row."""
        ...

    def delivered(self, id: int, owner: str, location: str | None) -> bool: ...

    def retry(self, id: int, owner: str, error: str, after: float) -> bool:
        """Free the row for another try in ``after`` seconds."""
        ...

    def give_up(self, id: int, owner: str, error: str) -> bool: ...

    def of_message(self, message: str) -> Sequence[ReportState]: ...


def _stamp(at: datetime) -> str:
    """As the journal writes times: fixed-width UTC text that sorts as time sorts."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _where(key: str) -> str:
    return f"eds_reports.event:{key}"


class SqlEdsQueue:
    def __init__(self, db: Db, keys: Keyring, clock: Clock = utc_now) -> None:
        self.db, self.keys, self._clock = db, keys, clock

    def enqueue(self, key: str, event: bytes, *, subtype: str, context: str,
                message: str | None) -> bool:
        now = _stamp(self._clock())
        with self.db.transaction(write=True):
            return bool(self.db.run(
                "INSERT INTO eds_reports (key, message, subtype, context, key_id, event, "
                "status, next_try, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO NOTHING",
                (key, message, subtype, context, self.keys.current.id,
                 self.keys.encrypt(event, _where(key)), ReportStatus.QUEUED.value, now, now)))

    def claim(self, owner: str, limit: int, *, lease_seconds: float) -> Sequence[QueuedReport]:
        now = self._clock()
        at = _stamp(now)
        with self.db.transaction(write=True):
            found = self.db.rows(
                "SELECT id, key, message, subtype, context, key_id, event, attempts "
                "FROM eds_reports WHERE status = ? AND next_try <= ? AND (lease_until IS NULL "
                "OR lease_until <= ?) ORDER BY id LIMIT ?" + self.db.dialect.skip_locked,
                (ReportStatus.QUEUED.value, at, at, limit))
            for row in found:
                self.db.run("UPDATE eds_reports SET owner = ?, lease_until = ? WHERE id = ?",
                            (owner, _stamp(now + timedelta(seconds=lease_seconds)),
                             row[0]))
        return [self._open(row) for row in found]

    def _open(self, row: Row) -> QueuedReport:
        id, key, message, subtype, context, key_id, sealed, attempts = row
        return QueuedReport(id, key, message, subtype, context,
                            self.keys.decrypt(key_id, bytes(sealed), _where(key)), attempts)

    def attempt(self, id: int, owner: str) -> bool:
        return self._settle("attempts = attempts + 1", (), id, owner)

    def delivered(self, id: int, owner: str, location: str | None) -> bool:
        return self._settle(
            "status = ?, delivered_at = ?, location = ?, event = NULL, key_id = NULL, "
            "owner = NULL, lease_until = NULL, last_error = NULL",
            (ReportStatus.DELIVERED.value, _stamp(self._clock()), location), id, owner)

    def retry(self, id: int, owner: str, error: str, after: float) -> bool:
        return self._settle("owner = NULL, lease_until = NULL, next_try = ?, last_error = ?",
                            (_stamp(self._clock() + timedelta(seconds=after)), error),
                            id, owner)

    def give_up(self, id: int, owner: str, error: str) -> bool:
        # nothing sends a report given up on again: its event goes as a delivered one's
        return self._settle("status = ?, event = NULL, key_id = NULL, owner = NULL, "
                            "lease_until = NULL, last_error = ?",
                            (ReportStatus.FAILED.value, error), id, owner)

    def _settle(self, assignments: str, params: tuple[object, ...], id: int,
                owner: str) -> bool:
        with self.db.transaction(write=True):
            return bool(self.db.run(
                f"UPDATE eds_reports SET {assignments} WHERE id = ? AND owner = ? "
                "AND status = ? AND lease_until > ?",
                (*params, id, owner, ReportStatus.QUEUED.value,
                 _stamp(self._clock()))))

    def of_message(self, message: str) -> Sequence[ReportState]:
        with self.db.transaction(write=False):
            found = self.db.rows(
                "SELECT id, subtype, status, attempts, queued_at, delivered_at, location, "
                "last_error FROM eds_reports WHERE message = ? ORDER BY id", (message,))
        return [ReportState(id, subtype, ReportStatus(status), attempts,
                            datetime.fromisoformat(queued),
                            None if done is None else datetime.fromisoformat(done), where, error)
                for id, subtype, status, attempts, queued, done, where, error in found]

    def reseal(self) -> int:
        """Re-encrypt queued reports under the current key (key rotation)."""
        with self.db.transaction(write=True):
            found = self.db.rows("SELECT id, key, key_id, event FROM eds_reports WHERE "
                                 "event IS NOT NULL AND key_id <> ?" + self.db.dialect.lock_rows,
                                 (self.keys.current.id,))
            for id, key, key_id, sealed in found:
                plain = self.keys.decrypt(key_id, bytes(sealed), _where(key))
                self.db.run("UPDATE eds_reports SET key_id = ?, event = ? WHERE id = ?",
                            (self.keys.current.id, self.keys.encrypt(plain, _where(key)), id))
        return len(found)


@dataclass(slots=True)
class _Row:
    report: QueuedReport
    status: ReportStatus
    queued_at: datetime
    next_try: datetime
    owner: str | None = None
    lease_until: datetime | None = None
    delivered_at: datetime | None = None
    location: str | None = None
    last_error: str | None = None


class MemoryEdsQueue:
    """The same queue in one process's memory (the memory journal's)."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock, self._lock = clock, threading.Lock()
        self._rows: dict[int, _Row] = {}
        self._keys: set[str] = set()

    def enqueue(self, key: str, event: bytes, *, subtype: str, context: str,
                message: str | None) -> bool:
        with self._lock:
            if key in self._keys:
                return False
            self._keys.add(key)
            id = len(self._rows) + 1
            now = self._clock()
            self._rows[id] = _Row(QueuedReport(id, key, message, subtype, context, event),
                                  ReportStatus.QUEUED, now, now)
            return True

    def claim(self, owner: str, limit: int, *, lease_seconds: float) -> Sequence[QueuedReport]:
        now = self._clock()
        with self._lock:
            found = [r for r in self._rows.values() if r.status is ReportStatus.QUEUED
                     and r.next_try <= now and (r.lease_until is None or r.lease_until <= now)
                     ][:limit]
            for r in found:
                r.owner, r.lease_until = owner, now + timedelta(seconds=lease_seconds)
            return [r.report for r in found]

    def _owned(self, id: int, owner: str) -> _Row | None:
        r = self._rows.get(id)
        if (r is None or r.owner != owner or r.status is not ReportStatus.QUEUED
                or r.lease_until is None or r.lease_until <= self._clock()):
            return None
        return r

    def attempt(self, id: int, owner: str) -> bool:
        with self._lock:
            r = self._owned(id, owner)
            if r is not None:
                r.report = replace(r.report, attempts=r.report.attempts + 1)
            return r is not None

    def delivered(self, id: int, owner: str, location: str | None) -> bool:
        with self._lock:
            r = self._owned(id, owner)
            if r is not None:
                r.status, r.delivered_at, r.location = (ReportStatus.DELIVERED, self._clock(),
                                                        location)
                r.report, r.owner, r.lease_until = replace(r.report, event=b""), None, None
            return r is not None

    def retry(self, id: int, owner: str, error: str, after: float) -> bool:
        with self._lock:
            r = self._owned(id, owner)
            if r is not None:
                r.owner, r.lease_until, r.last_error = None, None, error
                r.next_try = self._clock() + timedelta(seconds=after)
            return r is not None

    def give_up(self, id: int, owner: str, error: str) -> bool:
        with self._lock:
            r = self._owned(id, owner)
            if r is not None:
                r.status, r.owner, r.lease_until, r.last_error = (
                    ReportStatus.FAILED, None, None, error)
                r.report = replace(r.report, event=b"")
            return r is not None

    def of_message(self, message: str) -> Sequence[ReportState]:
        with self._lock:
            return [ReportState(r.report.id, r.report.subtype, r.status, r.report.attempts,
                                r.queued_at, r.delivered_at, r.location, r.last_error)
                    for r in self._rows.values() if r.report.message == message]
