"""The journal over SQL: one implementation for SQLite and PostgreSQL.

Appends take the ``journal_head`` row first (locked in PostgreSQL; SQLite's write
transaction is exclusive anyway), so ids are gapless and each entry's chain link follows the
one before it even when several processes append at once. A status change takes the same
row before its compare-and-set, so status changes are chained (``journal_head`` row 3) in
the order they commit, and a transaction that changes statuses and appends takes its locks
in one order. On PostgreSQL, a journal that wrote the heads last appends after them without
reading them, in one statement that writes only if they are still as it left them, and
otherwise takes its turn as above (see :mod:`.guessed_heads`).

A read by any actor but ``SYSTEM`` writes its audit row in the read's own transaction, so
it is durable before the caller sees anything; a read by ``SYSTEM`` is a plain read
transaction (no audit row, no sync: see :mod:`.interface` for why).
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from medcom_adapter.errors import (
    JournalCorrupt,
    JournalError,
    JournalKeyError,
    TransitionRefused,
)
from medcom_adapter.journal import actors, chain, guessed_heads, in_body, rows
from medcom_adapter.journal import bodies as apart
from medcom_adapter.journal.clock import Clock, utc_now
from medcom_adapter.journal.crypto import Keyring, Sealing
from medcom_adapter.journal.db import Db, Row, marks
from medcom_adapter.journal.eds_queue import SqlEdsQueue
from medcom_adapter.journal.guessed_heads import HeadGuess
from medcom_adapter.journal.henvisninger import HenvisningStore
from medcom_adapter.journal.interface import (
    SYSTEM,
    AuditEntry,
    Checkpoint,
    Direction,
    FileClaim,
    NewMessage,
    PurgeReport,
    Quarantined,
    Query,
    Status,
    StoredMessage,
    VerifyReport,
    unfinished,
)
from medcom_adapter.journal.relink import chain_key, head_problem, relink, upgrade
from medcom_adapter.journal.shared import SharedState, Unit
from medcom_adapter.journal.shared_sql import SqlSharedState
from medcom_adapter.journal.verify import check_key, verify_audit, verify_history, verify_rows
from medcom_adapter.model.classification import Classification
from medcom_adapter.model.henvisninger import HenvisningRecord, RecordedHenvisning
from medcom_adapter.model.parties import PersonId
from medcom_adapter.reliable.states import allowed, sources

_SELECT = f"SELECT {', '.join(rows.MESSAGE_COLUMNS)} FROM messages"
_SELECT_HEADS = "SELECT {} FROM messages".format(", ".join(
    "NULL AS body" if column == "body" else column for column in rows.MESSAGE_COLUMNS))
_CHUNK = 500  # ids per IN list
_SEALED_UNDER = (  # table, the column naming a key, which rows' key matters
    ("messages", "key_id", ""), ("status_history", "key_id", " AND reason IS NOT NULL"),
    ("henvisninger", "key_id", ""), ("eds_reports", "key_id", " AND event IS NOT NULL"),
    ("api_keys", "key_id", " AND webhook_secret IS NOT NULL"), ("launches", "key_id", ""),
    ("sessions", "key_id", ""), ("drafts", "key_id", ""), ("journal_head", "chain_key", ""))
_ATTACHMENT_DIGESTS = rows.MESSAGE_COLUMNS.index("attachment_digests")  # "": none


class SqlJournal:
    """The :class:`~medcom_adapter.journal.interface.Journal` protocol over a ``Db``."""

    def __init__(self, db: Db, keys: Keyring, *, clock: Clock = utc_now) -> None:
        self.db, self.keys, self._clock = db, keys, clock
        self._damaged: dict[int, JournalError] = {}  # found by a read, quarantined after it
        self._guess = HeadGuess()
        check_key(db, keys)  # before anything is written: a wrong key must change nothing
        upgrade(db, keys)  # the schema; a journal from before keyed chains linked, once
        self.shared: SharedState = SqlSharedState(db, keys)
        self.eds = SqlEdsQueue(db, keys, clock)
        self._henvisninger = HenvisningStore(db, keys, clock)
        with db.transaction(write=True):
            db.run("INSERT INTO journal_identity (id, identity) VALUES (1, ?) "
                   "ON CONFLICT (id) DO NOTHING", (str(uuid.uuid4()),))
            self._identity: str = db.rows("SELECT identity FROM journal_identity")[0][0]

    @property
    def identity(self) -> str:
        return self._identity

    @contextmanager
    def atomic(self, *, alone: bool = False) -> Iterator[None]:
        with self.db.transaction(write=True):
            if alone:  # appends lock the head row too: they and other such blocks wait
                self.db.rows("SELECT last_id FROM journal_head WHERE id = 1"
                             + self.db.dialect.lock_rows)
            yield

    def append(self, message: NewMessage, status: Status, *, actor: str = "system") -> int:
        return self.append_many((message,), status, actor=actor)[0]

    def append_many(
        self, messages: Sequence[NewMessage], status: Status, *, actor: str = "system"
    ) -> Sequence[int]:
        actors.check(actor)
        guess = self._guess.heads(self.db, messages)
        if guess is not None:  # one statement, no transaction of its own, no head read
            appended = self._append(messages, status, actor, guess, guarded=True)
            if appended is not None:
                return appended
        with self.db.transaction(write=True, join=True):  # KeyError comes before a write
            wanted = sorted({m.answers for m in messages if m.answers is not None})
            heads = self._heads(wanted)
            last, _, _, known = heads[0]
            if known != len(wanted):  # some answer no stored message: which, said alone
                _check_answers(messages, last, self._stored(wanted))
            appended = self._append(messages, status, actor, heads)
        assert appended is not None
        return appended

    def _append(self, messages: Sequence[NewMessage], status: Status, actor: str,
                heads: tuple[Row, Row], *, guarded: bool = False) -> range | None:
        """Write ``messages`` after ``heads`` (rows 1 and 3 of journal_head); ``guarded``:
        in one statement that writes only if the heads are still those, None when they
        were not."""
        (last, link, key_id, _), history_head = heads
        key = chain_key(self.keys, key_id)
        now, at = self._clock(), chain.timestamp(self._clock())
        batch: dict[str, list[Row]] = {"m": [], "s": [], "a": [], "c": [], "b": []}
        for n, message in enumerate(messages, start=last + 1):
            entry = chain.entry_for(n, message, now, key)
            link = chain.link(link, entry, key)
            in_place = self.db.dialect.writes_in_place
            stored = rows.stored_form(message, in_place=in_place)
            batch["m"].append(rows.message_row(n, entry, link, message, status, actor,
                                               self.keys, in_place=in_place, stored=stored))
            batch["s"].append((n, status.value))
            kept = rows.body_row(n, message, self.keys, in_place=in_place)
            batch["b"] += [] if kept is None else [kept]
            batch["a"] += rows.attachment_rows(n, message, self.keys, stored)
            if message.classification is not None:
                batch["c"].append(
                    rows.classification_row(n, message.classification, self.keys))
        ids = range(last + 1, last + 1 + len(messages))
        history, history_head = self._history(
            [(n, status, at, None) for n in ids], history_head)
        tables = (("messages", rows.MESSAGE_COLUMNS, batch["m"]),
                  (apart.TABLE, apart.COLUMNS, batch["b"]),
                  ("message_state", _STATE_COLUMNS, batch["s"]),
                  ("attachments", rows.ATTACHMENT_COLUMNS, batch["a"]),
                  ("classifications", rows.CLASSIFICATION_COLUMNS, batch["c"]),
                  ("status_history", _HISTORY_COLUMNS, history))
        left = ((last + len(messages), link, key_id), (*history_head, heads[1][2]))
        if guarded:
            if not guessed_heads.write(self.db, tables, heads, left, limit=_PARAMETERS):
                self._guess.missed()
                return None
        else:
            self._write([*(statement for table, columns, found in tables
                           for statement in _inserts(table, columns, found)),
                         ("UPDATE journal_head SET last_id = ?, link = ? WHERE id = 1",
                          left[0][:2]),
                         ("UPDATE journal_head SET last_id = ?, link = ? WHERE id = 3",
                          history_head)])
        self._guess.wrote(left)
        return ids

    def _heads(self, answered: Sequence[int]) -> tuple[Row, Row]:
        """The message chain's head row and the status chain's (rows 1 and 3, locked in
        that order), each with how many of ``answered`` are stored messages: what an
        append reads, in one statement."""
        many = len(answered) > _CHUNK
        count = ("0" if many or not answered else
                 f"(SELECT COUNT(*) FROM messages WHERE id IN ({marks(len(answered))}))")
        messages, history = self.db.rows(
            f"SELECT last_id, link, chain_key, {count} FROM journal_head WHERE id IN (1, 3) "
            "ORDER BY id" + self.db.dialect.lock_rows, () if many else answered)
        if many:
            messages = (*messages[:3], len(self._stored(answered)))
        self._guess.read(messages, history)
        return messages, history

    def _stored(self, ids: Sequence[int]) -> set[int]:
        return {id for chunk in _chunks(ids) for (id,) in self.db.rows(
            f"SELECT id FROM messages WHERE id IN ({marks(len(chunk))})", chunk)}

    def _write(self, statements: Sequence[tuple[str, Sequence[object]]]) -> None:
        """Writes that return nothing, in order; chained into one statement where the
        engine allows it and the parameters fit (they touch different tables, so the order
        PostgreSQL runs a WITH's parts in does not matter; foreign keys are checked after
        the whole statement)."""
        if self.db.dialect.chains_writes:  # a value written in place (by COPY) goes alone,
            alone = [s for s in statements if _in_place(s[1])]  # after the rows it names
            statements = [s for s in statements if not _in_place(s[1])]
        else:
            alone = []
        params = [p for _, ps in statements for p in ps]
        if not self.db.dialect.chains_writes or len(statements) < 2 or len(params) > _PARAMETERS:
            for sql, each in statements:
                self.db.run(sql, each)
        else:
            *first, (last, _) = statements
            parts = ", ".join(f"w{n} AS ({sql})" for n, (sql, _) in enumerate(first))
            self.db.run(f"WITH {parts} {last}", params)
        for sql, each in alone:
            self.db.run(sql, each)

    def set_status(self, id: int, status: Status, *, reason: str | None = None,
                   leaving: Status | None = None) -> None:
        if leaving is not None and not allowed(leaving, status):
            raise TransitionRefused(f"message {id}: no change from {leaving} to {status}")
        leaves = sorted(sources(status) if leaving is None else {leaving})
        update = ("UPDATE message_state SET status = ?, lease_until = NULL WHERE message = ? "
                  f"AND status IN ({marks(len(leaves))})")
        with self.db.transaction(write=True, join=True):  # refused before it writes
            # the head rows before the message's row, as appends take them (see the module)
            _, read = self._heads(())
            (change,), history_head = self._history(
                [(id, status, chain.timestamp(self._clock()), reason)], read)
            if not leaves:
                changed = 0
            elif self.db.dialect.chains_writes:  # the change, its history row and the head
                changed = self.db.run(
                    f"WITH changed AS ({update} RETURNING message), history AS (INSERT INTO "
                    f"status_history ({', '.join(_HISTORY_COLUMNS)}) SELECT message, ?, ?, ?, "
                    f"CAST(? AS {self.db.dialect.blob}), ? FROM changed) UPDATE journal_head "
                    "SET last_id = ?, link = ? WHERE id = 3 AND EXISTS (SELECT 1 FROM changed)",
                    (status.value, id, *leaves, *change[1:], *history_head))
            else:
                changed = self.db.run(update, (status.value, id, *leaves))
                if changed:
                    self._write([(_HISTORY, change), (
                        "UPDATE journal_head SET last_id = ?, link = ? WHERE id = 3",
                        history_head)])
            if changed:
                self._guess.wrote_history(history_head, read[2])
            if not changed:
                found = self.db.rows("SELECT status FROM message_state WHERE message = ?",
                                     (id,))
                if not found:
                    raise KeyError(id)
                raise TransitionRefused(
                    f"message {id} is {found[0][0]}: no change to {status}"
                    + (f" from {leaving}" if leaving is not None else ""),
                    current=found[0][0])

    def set_statuses(self, changes: Sequence[tuple[int, Status, str | None]], *,
                     leaving: Status) -> Sequence[int]:
        for _, status, _ in changes:
            if not allowed(leaving, status):
                raise TransitionRefused(f"no change from {leaving} to {status}")
        changed: set[int] = set()
        if not changes:
            return []
        with self.db.transaction(write=True, join=True):
            # the head rows before the messages' rows, as appends take them
            _, read = self._heads(())
            for start in range(0, len(changes), _CHUNK):
                chunk = changes[start:start + _CHUNK]
                cases = " ".join("WHEN ? THEN ?" for _ in chunk)
                changed.update(id for (id,) in self.db.rows(
                    f"UPDATE message_state SET status = CASE message {cases} END, lease_until "
                    f"= NULL WHERE message IN ({marks(len(chunk))}) AND status = ? "
                    "RETURNING message", (*(v for id, status, _ in chunk
                                            for v in (id, status.value)),
                                          *(id for id, _, _ in chunk), leaving.value)))
            at = chain.timestamp(self._clock())
            history, history_head = self._history(
                [(id, status, at, reason) for id, status, reason in changes if id in changed],
                read)
            if history:
                self._write([*_inserts("status_history", _HISTORY_COLUMNS, history), (
                    "UPDATE journal_head SET last_id = ?, link = ? WHERE id = 3",
                    history_head)])
                self._guess.wrote_history(history_head, read[2])
        return [id for id, _, _ in changes if id in changed]

    def _history(self, changes: Sequence[tuple[int, Status, str, str | None]],
                 head: Row) -> tuple[list[Row], tuple[int, str]]:
        """Rows of status changes, each linked after the one before it, and the status
        chain's head after them; ``head`` is row 3 as read with row 1 locked, so no other
        process is between reading it and writing it."""
        count, link, key_id, _ = head
        key = chain_key(self.keys, key_id)
        found = []
        for id, status, at, reason in changes:
            link = chain.status_link(key, link, id, status.value, at, reason)
            found.append((*rows.history_row(id, status, at, reason, self.keys), link))
        return found, (count + len(found), link)

    def get(self, id: int, *, actor: str = "system") -> StoredMessage:
        with self.db.transaction(write=actor != SYSTEM, join=True):
            found = self._load(self.db.rows(_SELECT + " WHERE id = ?", (id,)))
            damage = self._damaged.get(id)
            if not found and damage is None:
                raise KeyError(id)
            if actor != SYSTEM:
                self._log(actor, "read", (id,))
        self._quarantine()
        if damage is not None:
            raise damage
        return found[0]

    def find(self, query: Query, *, actor: str = "system") -> Sequence[StoredMessage]:
        sql, params = self._where(query)
        select = _SELECT if query.bodies else _SELECT_HEADS
        with self.db.transaction(write=actor != SYSTEM, join=True):
            found = self._load(self.db.rows(
                f"{select}{sql} ORDER BY id LIMIT ?", (*params, query.limit)),
                bodies=query.bodies, attachments=query.attachments)
            if actor != SYSTEM:
                # one message by id is a read (scoped by the query's other filters)
                self._log(actor, "read" if query.id is not None else "find",
                          tuple(s.id for s in found), _describe(query))
        self._quarantine()
        return found

    def _quarantine(self) -> None:
        """Record the rows a read could not open, so claims pass over them from now on."""
        if not self._damaged:
            return
        damaged, self._damaged = self._damaged, {}
        at = chain.timestamp(self._clock())
        with self.db.transaction(write=True):
            self.db.run_many("INSERT INTO quarantined_rows (message, found_at, reason) "
                             "VALUES (?, ?, ?) ON CONFLICT (message) DO NOTHING",
                             [(id, at, f"{exc.code}: {exc}"[:500])
                              for id, exc in damaged.items()])

    def quarantined(self) -> Sequence[tuple[int, str]]:
        return [(id, why) for id, why in self.db.rows(
            "SELECT message, reason FROM quarantined_rows ORDER BY message")]

    def quarantined_of(self, units: tuple[Unit, ...], *, actor: str,
                       patient: PersonId | None = None) -> Sequence[Quarantined]:
        scope, params = _scope(units)
        if patient is not None:
            indexes = self.keys.indexes(str(patient))
            scope += f" AND person_index IN ({marks(len(indexes))})"
            params += indexes
        with self.db.transaction(write=actor != SYSTEM):
            found = [Quarantined(id, Direction(direction), kind, rows.moment(stored_at),
                                 rows.moment(found_at), reason)
                     for id, direction, kind, stored_at, found_at, reason in self.db.rows(
                         "SELECT m.id, m.direction, m.kind, m.stored_at, q.found_at, q.reason "
                         "FROM quarantined_rows q JOIN messages m ON m.id = q.message "
                         f"WHERE 1 = 1{scope} ORDER BY m.id", params)]
            if actor != SYSTEM:
                self._log(actor, "quarantined", tuple(q.id for q in found))
        return found

    # -- received files ------------------------------------------------------------------
    def claim_file(self, name: str, digest: str, *, owner: str,
                   lease_seconds: float) -> FileClaim | None:
        return self.claim_files(((name, digest),), owner=owner,
                                lease_seconds=lease_seconds)[0]

    def claim_files(self, files: Sequence[tuple[str, str]], *, owner: str,
                    lease_seconds: float) -> Sequence[FileClaim | None]:
        now = self._clock()
        until, at = chain.timestamp(now + timedelta(seconds=lease_seconds)), chain.timestamp(now)
        named = [(hashlib.sha256(name.encode()).hexdigest(), digest) for name, digest in files]
        wanted = list(dict.fromkeys(named))  # a file listed twice is claimed once
        new: dict[tuple[str, str], FileClaim] = {}
        # each statement is whole on its own (outside a transaction it commits by itself, one
        # round trip): the new claims, then taking over ours or an expired one, file by file
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start:start + _CHUNK]
            new.update(((name, digest), FileClaim(id)) for id, name, digest in self.db.rows(
                "INSERT INTO inbound_files (name, digest, owner, lease_until, claimed_at) "
                f"VALUES {', '.join(['(?, ?, ?, ?, ?)'] * len(chunk))} ON CONFLICT (name, "
                "digest) WHERE settled_at IS NULL DO NOTHING RETURNING id, name, digest",
                [v for name, digest in chunk for v in (name, digest, owner, until, at)]))
        for name, digest in wanted:
            if (name, digest) not in new:
                taken = self.db.rows(
                    "UPDATE inbound_files SET owner = ?, lease_until = ? WHERE name = ? AND "
                    "digest = ? AND settled_at IS NULL AND (owner = ? OR lease_until <= ?) "
                    "RETURNING id, outcome, message", (owner, until, name, digest, owner, at))
                if taken:
                    new[(name, digest)] = FileClaim(*taken[0])
        return [new.pop(file, None) for file in named]

    def keep_file(self, claim: int, *, owner: str, lease_seconds: float) -> bool:
        until = chain.timestamp(self._clock() + timedelta(seconds=lease_seconds))
        return bool(self.db.run(  # one statement: committed alone, or with the caller's
            "UPDATE inbound_files SET lease_until = ? WHERE id = ? AND owner = ? "
            "AND settled_at IS NULL", (until, claim, owner)))

    def decide_file(self, claim: int, outcome: str, message: int | None, *,
                    owner: str) -> bool:
        return bool(self.db.run(  # one statement: committed alone, or with the caller's
            "UPDATE inbound_files SET outcome = ?, message = ? WHERE id = ? AND owner = ?",
            (outcome, message, claim, owner)))

    def decide_files(self, decisions: Sequence[tuple[int, str, int | None]], *,
                     owner: str) -> Sequence[int]:
        decided: list[int] = []
        for start in range(0, len(decisions), _CHUNK):  # as above
            chunk = decisions[start:start + _CHUNK]
            cases = " ".join("WHEN ? THEN ?" for _ in chunk)
            messages = " ".join(f"WHEN ? THEN CAST(? AS {self.db.dialect.bigint})"
                                for _ in chunk)
            decided += [id for (id,) in self.db.rows(
                f"UPDATE inbound_files SET outcome = CASE id {cases} END, message = CASE id "
                f"{messages} END WHERE id IN ({marks(len(chunk))}) AND owner = ? RETURNING id",
                (*(v for claim, outcome, _ in chunk for v in (claim, outcome)),
                 *(v for claim, _, message in chunk for v in (claim, message)),
                 *(claim for claim, _, _ in chunk), owner))]
        return decided

    def settle_file(self, claim: int) -> None:
        self.settle_files((claim,))

    def settle_files(self, claims: Sequence[int]) -> None:
        at = chain.timestamp(self._clock())
        for chunk in _chunks(claims):  # as above
            self.db.run(f"UPDATE inbound_files SET settled_at = ? WHERE id IN "
                        f"({marks(len(chunk))})", (at, *chunk))

    def file_in_hand(self, message: int, *, besides: int) -> bool:
        return bool(self.db.rows(
            "SELECT 1 FROM inbound_files WHERE message = ? AND id <> ? AND settled_at IS NULL "
            "LIMIT 1", (message, besides)))

    def export(self, patient: PersonId, *, actor: str,
               units: tuple[Unit, ...] | None = None) -> Sequence[StoredMessage]:
        indexes = self.keys.indexes(str(patient))
        scope, params = _scope(units) if units is not None else ("", [])
        earlier = set(self._damaged)
        with self.db.transaction(write=True):
            found = self._load(self.db.rows(
                f"{_SELECT} WHERE person_index IN ({marks(len(indexes))}){scope} ORDER BY id",
                (*indexes, *params)))
            self._log(actor, "export", tuple(s.id for s in found))
        damage = next((e for id, e in self._damaged.items() if id not in earlier), None)
        self._quarantine()
        if damage is not None:  # a patient's export is whole or not made: none left out
            raise damage
        return found

    def claim(self, status: Status, limit: int, *, lease_seconds: float = 60.0) -> Sequence[int]:
        now = self._clock()
        # one statement, whole on its own (or part of the caller's transaction); the rows it
        # picks are locked as picked, and ones other workers are claiming passed over
        return sorted(id for (id,) in self.db.rows(
            "UPDATE message_state SET lease_until = ? WHERE message IN (SELECT message FROM "
            "message_state WHERE status = ? AND (lease_until IS NULL OR lease_until <= ?) AND "
            "message NOT IN (SELECT message FROM quarantined_rows) ORDER BY message LIMIT ?"
            f"{self.db.dialect.skip_locked}) RETURNING message",
            (chain.timestamp(now + timedelta(seconds=lease_seconds)), status.value,
             chain.timestamp(now), limit)))

    def classifications(
        self, since: date, until: date, *, actor: str = "system"
    ) -> Sequence[Classification]:
        columns = ", ".join(f"c.{c}" for c in rows.CLASSIFICATION_COLUMNS)
        with self.db.transaction(write=True):
            found = self.db.rows(
                f"SELECT {columns}, m.key_id FROM classifications c JOIN messages m "
                "ON m.id = c.message WHERE c.referred_on BETWEEN ? AND ? ORDER BY c.message",
                (since.isoformat(), until.isoformat()))
            self._log(actor, "classifications", tuple(r[0] for r in found),
                      f"{since.isoformat()}..{until.isoformat()}")
        return [rows.open_classification(r[:-1], self.keys, r[-1]) for r in found]

    def record_henvisning(self, record: HenvisningRecord, *, actor: str,
                          supersedes: str | None = None, withdrawn: bool = False) -> str:
        actors.check(actor)
        with self.db.transaction(write=True):
            return self._henvisninger.record(record, actor=actor, supersedes=supersedes,
                                             withdrawn=withdrawn)

    def henvisninger(self, *, actor: str, course_id: UUID | None = None,
                     since: date | None = None, until: date | None = None,
                     versions: bool = False) -> Sequence[RecordedHenvisning]:
        with self.db.transaction(write=True):
            found = self._henvisninger.find(course_id=course_id, since=since, until=until,
                                            versions=versions)
            period = f"{since or ''}..{until or ''}" + (f" course={course_id}" if course_id
                                                         else "")
            self._log(actor, "henvisninger", tuple(sorted(
                {r.carrier.journal_id for r in found if r.carrier is not None})), period)
        return found

    def audit_log(self, *, since: datetime | None = None) -> Sequence[AuditEntry]:
        sql = "SELECT at, actor, action, message_ids, detail FROM audit_log"
        params: tuple[str, ...] = ()
        if since is not None:
            sql, params = sql + " WHERE at >= ?", (chain.timestamp(since),)
        return [AuditEntry(rows.moment(at), actor, action,
                           tuple(int(i) for i in ids.split(",") if i), detail)
                for at, actor, action, ids, detail in self.db.rows(sql + " ORDER BY id", params)]

    def purge(self, before: datetime, *, dry_run: bool = False,
              actor: str = "system") -> PurgeReport:
        with self.db.transaction(write=True):
            old = self.db.rows(
                "SELECT id, s.status, answers FROM messages JOIN message_state s ON s.message "
                "= id WHERE stored_at < ? AND purged_at IS NULL ORDER BY id"
                + self.db.dialect.lock_rows, (chain.timestamp(before),))
            keep = {id for id, status, answers in old if unfinished(Status(status), answers)}
            kept = tuple(id for id, *_ in old if id in keep)
            purged = tuple(id for id, *_ in old if id not in keep)
            if not dry_run:
                self._erase(purged)
                self._log(actor, "purge", purged, f"before {chain.timestamp(before)}")
                # the API's idempotency keys of sends made before then go with them
                self.db.run("DELETE FROM idempotency_keys WHERE created_at < ?",
                            (chain.timestamp(before),))
        if purged and not dry_run:
            self.db.erased()
        return PurgeReport(purged, kept, dry_run)

    def _erase(self, ids: Sequence[int]) -> None:
        now = chain.timestamp(self._clock())
        for chunk in _chunks(ids):
            where = f"IN ({marks(len(chunk))})"
            self.db.run("UPDATE messages SET body = NULL, person = NULL, person_index = NULL, "
                        f"purged_at = ? WHERE id {where}", (now, *chunk))
            self.db.run(f"DELETE FROM attachments WHERE message {where}", chunk)
            self.db.run(f"DELETE FROM {apart.TABLE} WHERE message {where}", chunk)
            self.db.run(f"DELETE FROM classifications WHERE message {where}", chunk)
            reports = f"message IN (SELECT message_id FROM messages WHERE id {where})"
            self.db.run("UPDATE eds_reports SET status = 'failed', last_error = 'purged' "
                        f"WHERE status = 'queued' AND {reports}", chunk)
            # in every status: one given up on may still hold its event (given up before
            # give_up erased it)
            self.db.run("UPDATE eds_reports SET event = NULL, key_id = NULL WHERE event IS "
                        f"NOT NULL AND {reports}", chunk)

    def rotate_key(self) -> int:
        from medcom_adapter.journal.rotate import rotate

        before = self.verify()
        if not before.intact:  # relinking a broken chain would hide what broke it
            raise JournalCorrupt("the journal does not verify, so its key is not rotated: "
                                 + "; ".join(before.problems[:3]))
        changed = rotate(self.db, self.keys)
        with self.db.transaction(write=True):
            self._henvisninger.rotate()
        self.eds.reseal()  # reports not yet given to EDS
        self.shared.reseal()  # API keys' webhook secrets, launches, sessions, drafts
        with self.db.transaction(write=True):
            self._log("system", "rotate-key", (), f"{changed} messages now under "
                      f"{self.keys.current.id}")
        relink(self.db, self.keys, only_unkeyed=False)
        return changed

    def keys_in_use(self) -> set[str]:
        """Every key a sealed value or a chain of the journal is under: a key outside this
        set can be dropped from the keyring, one in it never."""
        with self.db.transaction(write=False):
            return {k for (k,) in self.db.rows(" UNION ".join(
                f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL{extra}"
                for table, column, extra in _SEALED_UNDER))}

    def checkpoint(self) -> Checkpoint:
        with self.db.transaction(write=False):
            (m, m_link), (a, a_link), (s, s_link) = self.db.rows(
                "SELECT last_id, link FROM journal_head WHERE id IN (1, 2, 3) ORDER BY id")
        return Checkpoint(m, m_link, a, a_link, s, s_link)

    def verify(self, against: Checkpoint | None = None) -> VerifyReport:
        with self.db.transaction(write=False):
            problem = head_problem(self.db)
            if problem is not None:  # no head to check the chains against: nothing holds
                return VerifyReport(0, None, (problem,))
            (head, key_id, last), (audit_head, audit_key_id, audits) = (
                self.db.rows("SELECT link, chain_key, last_id FROM journal_head WHERE id = 1")[0],
                self.db.rows("SELECT link, chain_key, last_id FROM journal_head WHERE id = 2")[0])
            purged = {int(i) for (ids,) in self.db.rows(
                "SELECT message_ids FROM audit_log WHERE action = 'purge'") for i in
                ids.split(",") if i}
            report = verify_rows(self._all_rows(), head, self.keys, self._attachments,
                                 key=chain_key(self.keys, key_id), purged=purged,
                                 classifications=self._classifications, against=against)
            audit = verify_audit(self.db, chain_key(self.keys, audit_key_id), audit_head,
                                 audits, against, last)
            audit += verify_history(self.db, self.keys, against)
            recorded = self._henvisninger.verify()
        if audit:  # the audit log's break is named in the problems (it is no message)
            report = VerifyReport(report.checked, report.first_broken,
                                  (*report.problems, *audit))
        self._release_quarantine()
        if not recorded:
            return report
        return VerifyReport(report.checked, report.first_broken, (*report.problems, *recorded))

    def _release_quarantine(self) -> None:
        """Rows that open again (their key is back) rejoin the flow."""
        for id, _ in self.quarantined():
            with self.db.transaction(write=True):
                if self._load(self.db.rows(_SELECT + " WHERE id = ?", (id,))):
                    self.db.run("DELETE FROM quarantined_rows WHERE message = ?", (id,))
        self._damaged.clear()

    def close(self) -> None:
        self.db.close()

    def _all_rows(self) -> Iterator[dict[str, Any]]:
        after = 0
        while batch := self.db.rows(f"{_SELECT} WHERE id > ? ORDER BY id LIMIT 1000", (after,)):
            for r in batch:  # a body kept apart is opened when its row is checked, so a
                row = rows.as_dict(r)  # batch never holds more than one large body at once
                if apart.apart(row["body"]):
                    row["body"] = functools.partial(apart.opened, self.db, self.keys, row["id"])
                yield row
            after = batch[-1][0]

    def _attachments(self, ids: Sequence[int], *, cut_only: bool = False
                     ) -> dict[int, list[Row]]:
        """Attachment rows by message; ``cut_only``: those cut out of their message's body
        (which it takes to rebuild the body)."""
        found: dict[int, list[Row]] = {id: [] for id in ids}
        only = " AND in_body LIKE ?" if cut_only else ""
        for chunk in _chunks(ids):
            for row in self.db.rows(
                f"SELECT {', '.join(rows.ATTACHMENT_COLUMNS)} FROM attachments "
                f"WHERE message IN ({marks(len(chunk))}){only} ORDER BY message, position",
                    (*chunk, f"%{in_body.CUT}") if cut_only else chunk):
                found[row[0]].append(row)
        return found

    def _load(self, found: list[Row], *, bodies: bool = True,
              attachments: bool = True) -> list[StoredMessage]:
        ids = [r[0] for r in found]
        # without attachments, still those cut out of a body (it is rebuilt from them),
        # looked for only where a message has any
        wanted = ids if attachments else [r[0] for r in found
                                          if r[_ATTACHMENT_DIGESTS]]
        attached: dict[int, list[Row]] = {id: [] for id in ids}
        if bodies and wanted:
            attached.update(self._attachments(wanted, cut_only=not attachments))
        history: dict[int, list[Row]] = {id: [] for id in ids}
        answered: dict[int, list[int]] = {id: [] for id in ids}
        classified: dict[int, Row] = {}
        for chunk in _chunks(ids):
            inside = f"IN ({marks(len(chunk))})"
            # histories and answers in one statement: an answer is a row without a status
            for id, status, *change, row in self.db.rows(
                    "SELECT message, status, at, key_id, reason, id FROM status_history "
                    f"WHERE message {inside} UNION ALL SELECT answers, NULL, NULL, NULL, NULL, "
                    f"id FROM messages WHERE answers {inside} ORDER BY 6", (*chunk, *chunk)):
                if status is None:
                    answered[id].append(row)
                else:
                    history[id].append((status, *change))
            for row in self.db.rows(f"SELECT {', '.join(rows.CLASSIFICATION_COLUMNS)} FROM "
                                    f"classifications WHERE message {inside}",
                                    chunk) if bodies else ():
                classified[row[0]] = row
        opened = []
        for r in found:
            try:
                row = rows.as_dict(r)
                opened.append(rows.stored(
                    row, self.keys, attachments=attached[r[0]],
                    history=history[r[0]], answered_by=answered[r[0]],
                    classification=classified.get(r[0]),
                    body=apart.opened(self.db, self.keys, row["id"], row["key_id"])
                    if apart.apart(row["body"]) else None, with_attachments=attachments))
            except (JournalCorrupt, JournalKeyError) as exc:  # one bad row stops no one
                self._damaged[r[0]] = exc
        return opened

    def _where(self, q: Query) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if q.patient is not None:
            indexes = self.keys.indexes(str(q.patient))
            clauses.append(f"person_index IN ({marks(len(indexes))})")
            params += indexes
        if q.status is not None:
            clauses.append("id IN (SELECT message FROM message_state WHERE status = ?)")
            params.append(str(q.status))
        for column, value in (("episode_id", q.episode_id),
                              ("kind", q.kind), ("direction", q.direction),
                              ("envelope_id", q.envelope_id), ("message_id", q.message_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(str(value))
        if q.since is not None:
            clauses.append("stored_at >= ?")
            params.append(chain.timestamp(q.since))
        if q.until is not None:
            clauses.append("stored_at < ?")
            params.append(chain.timestamp(q.until))
        for clause, number in (("id = ?", q.id), ("id > ?", q.after)):
            if number is not None:
                clauses.append(clause)
                params.append(number)
        if q.message_ids is not None:
            clauses.append(f"message_id IN ({marks(len(q.message_ids))})" if q.message_ids
                           else "1 = 0")
            params += q.message_ids
        if q.kinds is not None:
            clauses.append(f"kind IN ({marks(len(q.kinds))})" if q.kinds else "1 = 0")
            params += q.kinds
        if q.units is not None:
            scope, more = _scope(q.units)
            clauses.append(scope[len(" AND "):])
            params += more
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def _classifications(self, ids: Sequence[int]) -> dict[int, Row]:
        found: dict[int, Row] = {}
        for chunk in _chunks(ids):
            for row in self.db.rows(f"SELECT {', '.join(rows.CLASSIFICATION_COLUMNS)} FROM "
                                    f"classifications WHERE message IN ({marks(len(chunk))})",
                                    chunk):
                found[row[0]] = row
        return found

    def _log(self, actor: str, action: str, ids: tuple[int, ...],
             detail: str | None = None) -> None:
        """An audit row, chained after the one before it (the audit head row is locked)."""
        actors.check(actor)  # before anything is written: a free-text actor is refused
        previous, key_id = self.db.rows("SELECT link, chain_key FROM journal_head WHERE id = 2"
                                        + self.db.dialect.lock_rows)[0]
        at, listed = chain.timestamp(self._clock()), ",".join(map(str, ids))
        link = chain.audit_link(chain_key(self.keys, key_id), previous, at, actor, action,
                                listed, detail)
        row = ("INSERT INTO audit_log (at, actor, action, message_ids, detail) "
               "VALUES (?, ?, ?, ?, ?)")
        if self.db.dialect.chains_writes:  # the row, its link and the head: one statement
            self.db.run(f"WITH added AS ({row} RETURNING id), linked AS (INSERT INTO "
                        "audit_chain (id, link) SELECT id, ? FROM added) UPDATE journal_head "
                        "SET last_id = (SELECT id FROM added), link = ? WHERE id = 2",
                        (at, actor, action, listed, detail, link, link))
            return
        ((id,),) = self.db.rows(f"{row} RETURNING id", (at, actor, action, listed, detail))
        self.db.run("INSERT INTO audit_chain (id, link) VALUES (?, ?)", (id, link))
        self.db.run("UPDATE journal_head SET last_id = ?, link = ? WHERE id = 2", (id, link))


_STATE_COLUMNS = ("message", "status")
_HISTORY_COLUMNS = ("message", "status", "at", "key_id", "reason", "link")
_HISTORY = rows.insert("status_history", _HISTORY_COLUMNS)
_PARAMETERS = 30_000  # per statement: SQLite allows 32,766, PostgreSQL 65,535


def _in_place(params: Sequence[object]) -> bool:
    return any(isinstance(p, Sealing) for p in params)


def _inserts(table: str, columns: Sequence[str],
             found: Sequence[Row]) -> Iterator[tuple[str, list[object]]]:
    """INSERTs of ``found``, as many rows each as the engines' parameter limits allow."""
    per = max(1, _PARAMETERS // len(columns))
    for start in range(0, len(found), per):
        chunk = found[start:start + per]
        values = ", ".join([f"({marks(len(columns))})"] * len(chunk))
        yield (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}",
               [value for row in chunk for value in row])


def _check_answers(messages: Sequence[NewMessage], last: int, known: set[int]) -> None:
    """KeyError unless each answered message is stored (``known``) or comes earlier in
    ``messages``."""
    for n, message in enumerate(messages, start=last + 1):
        if message.answers is not None and message.answers not in known:
            raise KeyError(message.answers)
        known.add(n)


def _scope(units: Sequence[Unit]) -> tuple[str, list[object]]:
    """`` AND ...``: messages ``units`` sent or received (see ``interface.belongs``)."""
    sors = [u.sor for u in units]
    eans = [u.ean for u in units if u.ean is not None]
    sides = []
    params: list[object] = []
    for direction, side in (("outbound", "sender"), ("inbound", "receiver")):
        by_ean = (f" OR ({side}_sor IS NULL AND {side}_ean IN ({marks(len(eans))}))"
                  if eans else "")
        sides.append(f"(direction = ? AND ({side}_sor IN ({marks(len(sors))}){by_ean}))"
                     if sors else "1 = 0")
        params += [direction, *sors, *eans] if sors else []
    return f" AND ({' OR '.join(sides)})", params


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _describe(q: Query) -> str:
    """The filters of a query, for the audit log: a person id is named, never shown."""
    shown = {"patient": "(person)" if q.patient is not None else None,
             "episode": q.episode_id, "status": q.status, "kind": q.kind,
             "direction": q.direction, "envelope": q.envelope_id, "letter": q.message_id,
             "since": q.since and chain.timestamp(q.since),
             "until": q.until and chain.timestamp(q.until)}
    return " ".join(f"{k}={v}" for k, v in shown.items() if v is not None) or "all"

