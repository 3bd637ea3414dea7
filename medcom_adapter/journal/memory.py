"""A journal held in memory: same behaviour as the durable stores, nothing on disk.

For tests of workers and the service, and for trying things out. Nothing is encrypted (no
byte of it outlives the process); the hash chain and audit log are kept as in the durable
stores so ``verify`` and audit tests mean the same thing here, status changes included.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from medcom_adapter.errors import JournalError, TransitionRefused
from medcom_adapter.journal import actors, chain
from medcom_adapter.journal.clock import Clock, utc_now
from medcom_adapter.journal.eds_queue import MemoryEdsQueue
from medcom_adapter.journal.henvisninger import select
from medcom_adapter.journal.interface import (
    SYSTEM,
    AuditEntry,
    Checkpoint,
    FileClaim,
    NewMessage,
    PurgeReport,
    Quarantined,
    Query,
    Status,
    StatusChange,
    StoredMessage,
    VerifyReport,
    belongs,
    unfinished,
)
from medcom_adapter.journal.shared import MemorySharedState, SharedState, Unit
from medcom_adapter.model.classification import Classification
from medcom_adapter.model.henvisninger import (
    Carrier,
    HenvisningRecord,
    RecordedHenvisning,
    check_supersedes,
    from_classification,
)
from medcom_adapter.model.parties import PersonId
from medcom_adapter.reliable.states import allowed


@dataclass(slots=True)
class _Record:
    message: NewMessage
    stored_at: datetime
    entry: chain.Entry
    link: str
    history: list[StatusChange]
    answered_by: list[int] = field(default_factory=list)
    lease_until: datetime | None = None
    purged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _File:
    """A claim on a received file (see ``Journal.claim_file``)."""

    name: str
    digest: str
    owner: str
    lease_until: datetime
    outcome: str | None = None
    message: int | None = None
    settled: bool = False


@dataclass(slots=True)
class _Saved:
    """What ``atomic`` restores when its block fails: the mutable parts of the records and
    file claims its block changed (saved as each is first changed, so a block costs the same
    however much the journal holds), and how long each list was."""

    count: int  # records before the block: any after it are the block's own
    files_count: int
    audit: int
    head: str
    statuses: tuple[int, str]
    henvisninger: int
    records: dict[int, tuple[int, int, datetime | None, NewMessage, datetime | None]] = \
        field(default_factory=dict)
    files: dict[int, _File] = field(default_factory=dict)


class MemoryJournal:
    """The :class:`~medcom_adapter.journal.interface.Journal` protocol, in memory."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._records: dict[int, _Record] = {}
        self._audit: list[AuditEntry] = []
        self._head = chain.GENESIS
        self._chain_key = secrets.token_bytes(32)  # lives and dies with the process
        # every status change in the order made: (message, its place in the history, link)
        self._statuses: list[tuple[int, int, str]] = []
        self._status_head = chain.GENESIS
        self._henvisninger: list[RecordedHenvisning] = []
        self._lock = threading.RLock()
        # ids by a field a worker looks messages up by, so that a lookup costs the same
        # with ten messages stored as with a million (benchmarks use this journal as the
        # floor a durable one is measured against; a scan would slow it as a run grows)
        self._by_field: dict[tuple[str, object], dict[int, None]] = {}
        self._by_status: dict[Status, dict[int, None]] = {}
        self.shared: SharedState = MemorySharedState()
        self.eds = MemoryEdsQueue(clock)
        self._files: dict[int, _File] = {}
        self._open_files: dict[tuple[str, str], int] = {}  # unsettled claims by name, digest
        self._blocks: list[_Saved] = []  # the open ``atomic`` blocks, outermost first
        self.identity = str(uuid.uuid4())

    @contextmanager
    def atomic(self, *, alone: bool = False) -> Iterator[None]:
        with self._lock:
            saved = _Saved(len(self._records), len(self._files), len(self._audit), self._head,
                           (len(self._statuses), self._status_head), len(self._henvisninger))
            self._blocks.append(saved)
            try:
                yield
            except BaseException:
                self._restore(saved)
                raise
            finally:
                self._blocks.pop()

    def _touch(self, id: int) -> None:
        """Before record ``id`` changes: what each open block restores if it fails."""
        record = self._records[id]
        for saved in self._blocks:
            if id <= saved.count and id not in saved.records:
                saved.records[id] = (len(record.history), len(record.answered_by),
                                     record.lease_until, record.message, record.purged_at)

    def _set_file(self, id: int, file: _File) -> None:
        for saved in self._blocks:
            if id <= saved.files_count and id not in saved.files:
                saved.files[id] = self._files[id]
        self._files[id] = file
        if file.settled:
            self._open_files.pop((file.name, file.digest), None)
        else:
            self._open_files[(file.name, file.digest)] = id

    def _restore(self, saved: _Saved) -> None:
        for id in range(len(self._records), saved.count, -1):  # appended in the block
            record = self._records.pop(id)
            self._unindex(id, record.message)
            self._by_status[record.history[-1].status].pop(id, None)
        for id, (history, answered, lease, message, purged) in saved.records.items():
            record = self._records[id]
            self._by_status[record.history[-1].status].pop(id, None)
            del record.history[history:], record.answered_by[answered:]
            record.lease_until, record.message, record.purged_at = lease, message, purged
            self._by_status.setdefault(record.history[-1].status, {})[id] = None
        del self._audit[saved.audit:]
        del self._henvisninger[saved.henvisninger:]
        self._head = saved.head
        del self._statuses[saved.statuses[0]:]
        self._status_head = saved.statuses[1]
        for id in range(len(self._files), saved.files_count, -1):
            file = self._files.pop(id)
            if self._open_files.get((file.name, file.digest)) == id:
                del self._open_files[(file.name, file.digest)]
        for id, file in saved.files.items():
            self._set_file(id, file)

    def append(self, message: NewMessage, status: Status, *, actor: str = "system") -> int:
        return self.append_many((message,), status, actor=actor)[0]

    def append_many(
        self, messages: Sequence[NewMessage], status: Status, *, actor: str = "system"
    ) -> Sequence[int]:
        actors.check(actor)
        with self._lock:
            for message in messages:
                if message.answers is not None and message.answers not in self._records:
                    raise KeyError(message.answers)
            ids = []
            for message in messages:
                id = len(self._records) + 1
                now = self._clock()
                entry = chain.entry_for(id, message, now, self._chain_key)
                self._head = chain.link(self._head, entry, self._chain_key)
                self._records[id] = _Record(
                    message, now, entry, self._head, [StatusChange(status, now)]
                )
                self._chain_status(id)
                for key in _keys(message):
                    self._by_field.setdefault(key, {})[id] = None
                self._by_status.setdefault(status, {})[id] = None
                if message.answers is not None:
                    self._touch(message.answers)
                    self._records[message.answers].answered_by.append(id)
                ids.append(id)
            return ids

    def set_status(self, id: int, status: Status, *, reason: str | None = None,
                   leaving: Status | None = None) -> None:
        with self._lock:
            record = self._records[id]
            current = record.history[-1].status
            if not allowed(current, status) or leaving not in (None, current):
                raise TransitionRefused(
                    f"message {id} is {current}: no change to {status}"
                    + (f" from {leaving}" if leaving is not None else ""), current=current)
            self._touch(id)
            del self._by_status[record.history[-1].status][id]
            record.history.append(StatusChange(status, self._clock(), reason))
            self._chain_status(id)
            self._by_status.setdefault(status, {})[id] = None
            record.lease_until = None

    def set_statuses(self, changes: Sequence[tuple[int, Status, str | None]], *,
                     leaving: Status) -> Sequence[int]:
        for _, status, _ in changes:
            if not allowed(leaving, status):
                raise TransitionRefused(f"no change from {leaving} to {status}")
        with self._lock:
            moving = [(id, status, reason) for id, status, reason in changes
                      if id in self._records
                      and self._records[id].history[-1].status is leaving]
            for id, status, reason in moving:
                self.set_status(id, status, reason=reason, leaving=leaving)
            return [id for id, _, _ in moving]

    def _chain_status(self, id: int) -> None:
        """Link the newest status change of message ``id`` after the last change made."""
        history = self._records[id].history
        self._status_head = _status_link(self._chain_key, self._status_head, id, history[-1])
        self._statuses.append((id, len(history) - 1, self._status_head))

    def claim_file(self, name: str, digest: str, *, owner: str,
                   lease_seconds: float) -> FileClaim | None:
        with self._lock:
            now = self._clock()
            until = now + timedelta(seconds=lease_seconds)
            id = self._open_files.get((name, digest), 0)
            if id:
                f = self._files[id]
                if f.owner != owner and f.lease_until > now:
                    return None
                self._set_file(id, dataclasses.replace(f, owner=owner, lease_until=until))
                return FileClaim(id, f.outcome, f.message)
            id = len(self._files) + 1
            self._files[id] = _File(name, digest, owner, until)
            self._open_files[(name, digest)] = id
            return FileClaim(id)

    def claim_files(self, files: Sequence[tuple[str, str]], *, owner: str,
                    lease_seconds: float) -> Sequence[FileClaim | None]:
        with self._lock:
            first = {file: n for n, file in reversed(list(enumerate(files)))}
            return [self.claim_file(name, digest, owner=owner, lease_seconds=lease_seconds)
                    if first[(name, digest)] == n else None
                    for n, (name, digest) in enumerate(files)]

    def keep_file(self, claim: int, *, owner: str, lease_seconds: float) -> bool:
        with self._lock:
            f = self._files[claim]
            if f.owner != owner or f.settled:
                return False
            until = self._clock() + timedelta(seconds=lease_seconds)
            self._set_file(claim, dataclasses.replace(f, lease_until=until))
            return True

    def decide_file(self, claim: int, outcome: str, message: int | None, *,
                    owner: str) -> bool:
        with self._lock:
            if self._files[claim].owner != owner:
                return False
            self._set_file(claim, dataclasses.replace(self._files[claim], outcome=outcome,
                                                      message=message))
            return True

    def decide_files(self, decisions: Sequence[tuple[int, str, int | None]], *,
                     owner: str) -> Sequence[int]:
        with self._lock:
            return [claim for claim, outcome, message in decisions
                    if self.decide_file(claim, outcome, message, owner=owner)]

    def settle_files(self, claims: Sequence[int]) -> None:
        with self._lock:
            for claim in claims:
                self.settle_file(claim)

    def settle_file(self, claim: int) -> None:
        with self._lock:
            self._set_file(claim, dataclasses.replace(self._files[claim], settled=True))

    def file_in_hand(self, message: int, *, besides: int) -> bool:
        with self._lock:
            return any(f.message == message and id != besides and not f.settled
                       for id, f in self._files.items())

    def quarantined(self) -> Sequence[tuple[int, str]]:
        return ()  # nothing here is sealed, so nothing fails to open

    def quarantined_of(self, units: tuple[Unit, ...], *, actor: str,
                       patient: PersonId | None = None) -> Sequence[Quarantined]:
        return ()

    def get(self, id: int, *, actor: str = "system") -> StoredMessage:
        with self._lock:
            stored = self._stored(id)
            if actor != SYSTEM:
                self._log(actor, "read", (id,))
            return stored

    def find(self, query: Query, *, actor: str = "system") -> Sequence[StoredMessage]:
        with self._lock:
            found: list[StoredMessage] = []
            for id in self._candidates(query):
                if len(found) == query.limit:
                    break
                if _matches(query, self._records[id]):
                    found.append(self._stored(id, bodies=query.bodies,
                                              attachments=query.attachments))
            if actor != SYSTEM:
                self._log(actor, "read" if query.id is not None else "find",
                          tuple(s.id for s in found))
            return found

    def export(self, patient: PersonId, *, actor: str,
               units: tuple[Unit, ...] | None = None) -> Sequence[StoredMessage]:
        with self._lock:
            found = [self._stored(id) for id, r in self._records.items()
                     if r.message.patient == patient
                     and (units is None or belongs(r.message, units))]
            self._log(actor, "export", tuple(s.id for s in found))
            return found

    def claim(self, status: Status, limit: int, *, lease_seconds: float = 60.0) -> Sequence[int]:
        with self._lock:
            now = self._clock()
            free = [id for id in sorted(self._by_status.get(status, {}))
                    if (lease := self._records[id].lease_until) is None or lease <= now][:limit]
            for id in free:
                self._touch(id)
                self._records[id].lease_until = now + timedelta(seconds=lease_seconds)
            return free

    def classifications(
        self, since: date, until: date, *, actor: str = "system"
    ) -> Sequence[Classification]:
        with self._lock:
            found = [(id, r.message.classification) for id, r in self._records.items()
                     if r.message.classification is not None
                     and since <= r.message.classification.referred_on <= until]
            self._log(actor, "classifications", tuple(id for id, _ in found),
                      f"{since.isoformat()}..{until.isoformat()}")
            return [c for _, c in found]

    def record_henvisning(self, record: HenvisningRecord, *, actor: str,
                          supersedes: str | None = None, withdrawn: bool = False) -> str:
        actors.check(actor)
        with self._lock:
            carrier = None
            if supersedes is not None:
                if any(r.supersedes == supersedes for r in self._henvisninger):
                    raise JournalError(f"henvisning {supersedes} is already corrected or "
                                       "withdrawn: correct its newest version")
                known = {r.id: r for r in self._all_henvisninger()}
                if supersedes not in known or known[supersedes].withdrawn:
                    raise JournalError(f"no henvisning {supersedes} in the journal")
                old = known[supersedes]
                check_supersedes(supersedes, old.record.unit.value, str(old.record.course_id),
                                 record, same_child=old.record.patient == record.patient)
                carrier = old.carrier
            id = str(uuid.uuid4())
            self._henvisninger.append(RecordedHenvisning(
                id, record, self._clock(), actor, carrier, supersedes, withdrawn))
            return id

    def henvisninger(self, *, actor: str, course_id: UUID | None = None,
                     since: date | None = None, until: date | None = None,
                     versions: bool = False) -> Sequence[RecordedHenvisning]:
        with self._lock:
            found = select(self._all_henvisninger(), course_id=course_id, since=since,
                           until=until, versions=versions)
            self._log(actor, "henvisninger", tuple(sorted(
                {r.carrier.journal_id for r in found if r.carrier is not None})))
            return found

    def _all_henvisninger(self) -> list[RecordedHenvisning]:
        borne = [h for id, r in self._records.items() if r.message.classification is not None
                 for h in from_classification(
                     r.message.classification,
                     Carrier(id, r.message.kind, r.message.envelope_id), r.stored_at, SYSTEM)]
        return borne + self._henvisninger

    def audit_log(self, *, since: datetime | None = None) -> Sequence[AuditEntry]:
        with self._lock:
            return [a for a in self._audit if since is None or a.at >= since]

    def purge(self, before: datetime, *, dry_run: bool = False,
              actor: str = "system") -> PurgeReport:
        with self._lock:
            old = [(id, r) for id, r in self._records.items()
                   if r.stored_at < before and r.purged_at is None]
            keep = {id for id, r in old if unfinished(r.history[-1].status, r.message.answers)}
            kept = tuple(id for id, _ in old if id in keep)
            purged = tuple(id for id, _ in old if id not in keep)
            if not dry_run:
                now = self._clock()
                for id in purged:
                    self._touch(id)
                    record = self._records[id]
                    record.message = dataclasses.replace(
                        record.message, data=b"", attachments=(), patient=None,
                        classification=None)
                    record.purged_at = now
                self._log(actor, "purge", purged, f"before {chain.timestamp(before)}")
            return PurgeReport(purged, kept, dry_run)

    def rotate_key(self) -> int:
        self.shared.reseal()  # the service's state rotates with the journal's rows
        return 0  # nothing here is encrypted

    def checkpoint(self) -> Checkpoint:
        with self._lock:
            return Checkpoint(len(self._records), self._head, len(self._audit), chain.GENESIS,
                              len(self._statuses), self._status_head)

    def verify(self, against: Checkpoint | None = None) -> VerifyReport:
        with self._lock:
            problems: list[tuple[int, str]] = []
            entries = []
            for id, r in self._records.items():
                entry = r.entry
                if r.purged_at is None:
                    entry = chain.entry_for(id, r.message, r.stored_at, self._chain_key)
                    if entry.digest != r.entry.digest:
                        problems.append((id, f"message {id}: body digest differs"))
                entries.append((entry, r.link))
            report = chain.report(entries, self._head, problems, self._chain_key, against)
            found = self._verify_statuses(against)
            return report if not found else dataclasses.replace(
                report, problems=(*report.problems, *found))

    def _verify_statuses(self, against: Checkpoint | None) -> list[str]:
        """The status chain over the records' histories as they are now."""
        previous = chain.GENESIS
        for n, (id, place, stored) in enumerate(self._statuses, start=1):
            history = self._records[id].history if id in self._records else []
            if place >= len(history) or _status_link(self._chain_key, previous, id,
                                                     history[place]) != stored:
                return [f"status change {n} (message {id}): its link does not follow from "
                        "the change before it (a status change was changed, inserted, "
                        "reordered or removed)"]
            previous = stored
            if against is not None and n == against.statuses and stored != against.status_link:
                return [f"status change {n}: differs from the checkpoint's"]
        made = sum(len(r.history) for r in self._records.values())
        if made != len(self._statuses) or previous != self._status_head:
            return [f"status changes after change number {len(self._statuses)} are missing "
                    "or were added unchained"]
        if against is not None and against.statuses > len(self._statuses):
            return [f"status change number {against.statuses}: missing, though the "
                    "checkpoint names it"]
        return []

    def close(self) -> None:
        pass

    def _candidates(self, query: Query) -> list[int]:
        """Ids that may match, in order: the smallest index the query names, else all."""
        if query.id is not None:
            return [query.id] if query.id in self._records else []
        sets: list[dict[int, None]] = [self._by_field.get(key, {}) for key in _keys(query)]
        if query.status is not None:
            sets.append(self._by_status.get(query.status, {}))
        if query.message_ids is not None:
            sets.append({id: None for value in query.message_ids
                         for id in self._by_field.get(("message", value), {})})
        if not sets:
            return list(self._records)
        smallest = sets[0]
        for ids in sets[1:]:
            if len(ids) < len(smallest):
                smallest = ids
        return sorted(smallest)  # a status index is in change order, not id order

    def _unindex(self, id: int, message: NewMessage) -> None:
        for key in _keys(message):
            self._by_field[key].pop(id, None)

    def _stored(self, id: int, *, bodies: bool = True,
                attachments: bool = True) -> StoredMessage:
        r = self._records[id]
        message = r.message
        if not bodies:
            message = dataclasses.replace(message, data=b"", attachments=(), classification=None)
        elif not attachments:
            message = dataclasses.replace(message, attachments=())
        return StoredMessage(id, message, r.stored_at, r.entry.digest, tuple(r.history),
                             tuple(r.answered_by), r.purged_at)

    def _log(self, actor: str, action: str, ids: tuple[int, ...],
             detail: str | None = None) -> None:
        actors.check(actor)
        self._audit.append(AuditEntry(self._clock(), actor, action, ids, detail))


def _status_link(key: bytes, previous: str, id: int, change: StatusChange) -> str:
    return chain.status_link(key, previous, id, change.status.value,
                             chain.timestamp(change.at), change.reason)


def _keys(m: NewMessage | Query) -> list[tuple[str, object]]:
    """The indexed fields ``m`` sets (a message's, or those a query filters by)."""
    return [(name, value) for name, value in (
        ("patient", m.patient), ("episode", m.episode_id), ("envelope", m.envelope_id),
        ("message", m.message_id)) if value is not None]


def _matches(q: Query, r: _Record) -> bool:
    m = r.message
    wanted = (
        (q.patient, m.patient), (q.episode_id, m.episode_id), (q.kind, m.kind),
        (q.status, r.history[-1].status), (q.direction, m.direction),
        (q.envelope_id, m.envelope_id), (q.message_id, m.message_id),
    )
    return (all(want is None or want == have for want, have in wanted)
            and (q.since is None or r.stored_at >= q.since)
            and (q.until is None or r.stored_at < q.until)
            and (q.id is None or r.entry.id == q.id)
            and (q.after is None or r.entry.id > q.after)
            and (q.kinds is None or m.kind in q.kinds)
            and (q.units is None or belongs(m, q.units)))
