"""The service's shared state in the journal's SQL store (SQLite or PostgreSQL).

Secret ids (launch references, session ids) are kept as their SHA-256; payloads and webhook
secrets are sealed with the journal's keyring, bound to their row. Taking a launch or a
draft is a DELETE whose row count says who won, so of two processes only one gets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from medcom_adapter.journal import chain
from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.db import Db, Row, marks
from medcom_adapter.journal.shared import (
    KeyRecord,
    Limits,
    Remembered,
    StoreFull,
    Unit,
    lookup,
)

_KEY_COLUMNS = ("id, name, digest, scopes, units, created_at, revoked_at, webhook_url, "
                "key_id, webhook_secret")


class SqlSharedState:
    def __init__(self, db: Db, keys: Keyring, limits: Limits | None = None) -> None:
        self.db, self.keyring, self.limits = db, keys, limits or Limits()

    # -- API keys -----------------------------------------------------------------------

    def add_key(self, key: KeyRecord) -> None:
        with self.db.transaction(write=True):
            self.db.run(f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, "
                        "?, NULL, NULL)", (
                            key.id, key.name, key.digest, ",".join(key.scopes),
                            " ".join(str(u) for u in key.units),
                            chain.timestamp(key.created_at),
                            key.revoked_at and chain.timestamp(key.revoked_at), key.webhook_url))
            if key.webhook_secret is not None:
                self._seal_webhook(key.id, key.webhook_secret)

    def key(self, key_id: str) -> KeyRecord | None:
        with self.db.transaction(write=False):
            found = self.db.rows(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE id = ?", (key_id,))
        return self._key(found[0]) if found else None

    def all_keys(self) -> Sequence[KeyRecord]:
        with self.db.transaction(write=False):
            found = self.db.rows(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id")
        return [self._key(r) for r in found]

    def revoke_key(self, key_id: str, at: datetime) -> bool:
        with self.db.transaction(write=True):
            self.db.run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                        (chain.timestamp(at), key_id))
            return bool(self.db.rows("SELECT 1 FROM api_keys WHERE id = ?", (key_id,)))

    def set_webhook(self, key_id: str, url: str | None, secret: str | None) -> bool:
        with self.db.transaction(write=True):
            if not self.db.run("UPDATE api_keys SET webhook_url = ?, key_id = NULL, "
                               "webhook_secret = NULL WHERE id = ?", (url, key_id)):
                return False
            if secret is not None:
                self._seal_webhook(key_id, secret)
            return True

    def _seal_webhook(self, key_id: str, secret: str) -> None:
        sealed = self.keyring.encrypt(secret.encode(), f"api_keys.webhook_secret:{key_id}")
        self.db.run("UPDATE api_keys SET key_id = ?, webhook_secret = ? WHERE id = ?",
                    (self.keyring.current.id, sealed, key_id))

    def _key(self, row: Row) -> KeyRecord:
        id, name, digest, scopes, units, created, revoked, url, key_id, sealed = row
        secret = None if sealed is None else self.keyring.decrypt(
            key_id, bytes(sealed), f"api_keys.webhook_secret:{id}").decode()
        return KeyRecord(id, name, digest, tuple(s for s in scopes.split(",") if s),
                         tuple(Unit.parse(u) for u in units.split()),
                         _moment(created),
                         None if revoked is None else _moment(revoked), url, secret)

    # -- launch contexts ----------------------------------------------------------------

    def put_launch(self, reference: str, payload: bytes, expires: datetime, now: datetime
                   ) -> None:
        ref = lookup(reference)
        with self.db.transaction(write=True):
            self.db.run("DELETE FROM launches WHERE expires <= ?", (chain.timestamp(now),))
            if self.db.rows("SELECT COUNT(*) FROM launches")[0][0] >= self.limits.launches:
                raise StoreFull("launches")
            self.db.run("INSERT INTO launches (reference, expires, key_id, payload) "
                        "VALUES (?, ?, ?, ?)", (ref, chain.timestamp(expires),
                                                self.keyring.current.id,
                                                self._seal("launches", ref, payload)))

    def take_launch(self, reference: str) -> tuple[bytes, datetime] | None:
        ref = lookup(reference)
        with self.db.transaction(write=True):
            found = self.db.rows("SELECT expires, key_id, payload FROM launches "
                                 "WHERE reference = ?" + self.db.dialect.lock_rows, (ref,))
            if not found or not self.db.run("DELETE FROM launches WHERE reference = ?", (ref,)):
                return None
        expires, key_id, sealed = found[0]
        return self._open("launches", ref, key_id, sealed), _moment(expires)

    # -- page sessions ------------------------------------------------------------------

    def start_session(self, session_id: str, payload: bytes, now: datetime, idle: timedelta,
                      longest: timedelta) -> None:
        sid = lookup(session_id)
        at = chain.timestamp(now)
        with self.db.transaction(write=True):
            self._forget(now, idle, longest)
            if self.db.rows("SELECT COUNT(*) FROM sessions")[0][0] >= self.limits.sessions:
                raise StoreFull("sessions")
            self.db.run("INSERT INTO sessions (id, started, seen, key_id, payload) "
                        "VALUES (?, ?, ?, ?, ?)", (sid, at, at, self.keyring.current.id,
                                                   self._seal("sessions", sid, payload)))

    def session(self, session_id: str, now: datetime, idle: timedelta,
                longest: timedelta) -> bytes | None:
        sid = lookup(session_id)
        with self.db.transaction(write=True):
            found = self.db.rows("SELECT started, seen, key_id, payload FROM sessions "
                                 "WHERE id = ?", (sid,))
            if not found:
                return None
            started, seen, key_id, sealed = found[0]
            if _moment(seen) + idle <= now or _moment(started) + longest <= now:
                self._end(sid)
                return None
            self.db.run("UPDATE sessions SET seen = ? WHERE id = ?", (chain.timestamp(now), sid))
        return self._open("sessions", sid, key_id, sealed)

    def update_session(self, session_id: str, payload: bytes) -> None:
        sid = lookup(session_id)
        with self.db.transaction(write=True):
            self.db.run("UPDATE sessions SET key_id = ?, payload = ? WHERE id = ?",
                        (self.keyring.current.id, self._seal("sessions", sid, payload), sid))

    def end_session(self, session_id: str) -> None:
        with self.db.transaction(write=True):
            self._end(lookup(session_id))

    def _end(self, sid: str) -> None:
        self.db.run("DELETE FROM drafts WHERE session = ?", (sid,))
        self.db.run("DELETE FROM sessions WHERE id = ?", (sid,))

    def _forget(self, now: datetime, idle: timedelta, longest: timedelta) -> None:
        stale = ("SELECT id FROM sessions WHERE seen <= ? OR started <= ?")
        params = (chain.timestamp(now - idle), chain.timestamp(now - longest))
        self.db.run(f"DELETE FROM drafts WHERE session IN ({stale})", params)
        self.db.run("DELETE FROM sessions WHERE seen <= ? OR started <= ?", params)

    # -- drafts -------------------------------------------------------------------------

    def put_draft(self, session_id: str, draft_id: str, payload: bytes, now: datetime
                  ) -> None:
        sid = lookup(session_id)
        where = f"{sid}:{draft_id}"
        with self.db.transaction(write=True):
            held = self.db.rows("SELECT id FROM drafts WHERE session = ? ORDER BY created, id",
                                (sid,))
            for (old,) in held[:max(0, len(held) - self.limits.drafts_per_session + 1)]:
                self.db.run("DELETE FROM drafts WHERE session = ? AND id = ?", (sid, old))
            self.db.run("INSERT INTO drafts (session, id, created, key_id, payload) "
                        "VALUES (?, ?, ?, ?, ?)", (sid, draft_id, chain.timestamp(now),
                                                   self.keyring.current.id,
                                                   self._seal("drafts", where, payload)))

    def draft(self, session_id: str, draft_id: str) -> bytes | None:
        sid = lookup(session_id)
        with self.db.transaction(write=False):
            found = self.db.rows("SELECT key_id, payload FROM drafts WHERE session = ? AND id = ?",
                                 (sid, draft_id))
        return self._open("drafts", f"{sid}:{draft_id}", *found[0]) if found else None

    def take_draft(self, session_id: str, draft_id: str) -> bytes | None:
        sid = lookup(session_id)
        with self.db.transaction(write=True):
            found = self.db.rows("SELECT key_id, payload FROM drafts WHERE session = ? AND id = ?"
                                 + self.db.dialect.lock_rows, (sid, draft_id))
            if not found or not self.db.run("DELETE FROM drafts WHERE session = ? AND id = ?",
                                            (sid, draft_id)):
                return None
        return self._open("drafts", f"{sid}:{draft_id}", *found[0])

    # -- the pages' marks on messages ------------------------------------------------------

    def marked(self, ids: Sequence[int], mark: str) -> set[int]:
        found: set[int] = set()
        with self.db.transaction(write=False):
            for start in range(0, len(ids), 500):
                chunk = list(ids[start:start + 500])
                if chunk:
                    found |= {int(r[0]) for r in self.db.rows(
                        f"SELECT message FROM page_marks WHERE mark = ? AND other = 0 AND "
                        f"message IN ({marks(len(chunk))})", (mark, *chunk))}
        return found

    def set_mark(self, id: int, mark: str, other: int = 0, *, on: bool = True) -> None:
        with self.db.transaction(write=True):
            if on:
                self.db.run("INSERT INTO page_marks (message, mark, other) VALUES (?, ?, ?) "
                            "ON CONFLICT DO NOTHING", (id, mark, other))
            else:
                self.db.run("DELETE FROM page_marks WHERE message = ? AND mark = ? AND "
                            "other = ?", (id, mark, other))

    def linked(self, id: int, mark: str) -> tuple[int, ...]:
        with self.db.transaction(write=False):
            rows = self.db.rows("SELECT other FROM page_marks WHERE message = ? AND mark = ? "
                                "AND other <> 0 ORDER BY other", (id, mark))
        return tuple(int(r[0]) for r in rows)

    # -- idempotency keys ---------------------------------------------------------------

    def remembered(self, scope: str, key: str) -> Remembered | None:
        with self.db.transaction(write=False):
            found = self.db.rows("SELECT request, status, response FROM idempotency_keys "
                                 "WHERE scope = ? AND key = ?", (scope, key))
        return Remembered(*found[0]) if found else None

    def remember(self, scope: str, key: str, answer: Remembered, now: datetime
                 ) -> Remembered | None:
        with self.db.transaction(write=True):
            # another process's uncommitted row under the key makes this wait for its end
            if self.db.rows("INSERT INTO idempotency_keys (scope, key, request, status, "
                            "response, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT "
                            "(scope, key) DO NOTHING RETURNING scope",
                            (scope, key, answer.request, answer.status, answer.response,
                             chain.timestamp(now))):
                return None
            found = self.db.rows("SELECT request, status, response FROM idempotency_keys "
                                 "WHERE scope = ? AND key = ?", (scope, key))
        return Remembered(*found[0])

    # -- key rotation -------------------------------------------------------------------

    def reseal(self) -> int:
        """Re-seal every sealed value under an older key with the current one (key
        rotation), each bound to its row as when it was written; how many were."""
        current = self.keyring.current.id
        with self.db.transaction(write=True):
            found = [("api_keys.webhook_secret", "api_keys", "id", "webhook_secret", where,
                      key_id, sealed) for where, key_id, sealed in self.db.rows(
                "SELECT id, key_id, webhook_secret FROM api_keys WHERE webhook_secret IS NOT "
                "NULL AND key_id <> ?" + self.db.dialect.lock_rows, (current,))]
            for table, key in (("launches", "reference"), ("sessions", "id")):
                found += [(f"{table}.payload", table, key, "payload", where, key_id, sealed)
                          for where, key_id, sealed in self.db.rows(
                    f"SELECT {key}, key_id, payload FROM {table} WHERE key_id <> ?"
                    + self.db.dialect.lock_rows, (current,))]
            drafts = self.db.rows("SELECT session, id, key_id, payload FROM drafts WHERE "
                                  "key_id <> ?" + self.db.dialect.lock_rows, (current,))
            for session, id, key_id, sealed in drafts:
                place = f"drafts.payload:{session}:{id}"
                self.db.run("UPDATE drafts SET key_id = ?, payload = ? WHERE session = ? AND "
                            "id = ?", (current, self._reseal(key_id, sealed, place), session,
                                       id))
            for prefix, table, key, column, where, key_id, sealed in found:
                place = f"{prefix}:{where}"
                self.db.run(f"UPDATE {table} SET key_id = ?, {column} = ? WHERE {key} = ?",
                            (current, self._reseal(key_id, sealed, place), where))
        return len(found) + len(drafts)

    def _reseal(self, key_id: str, sealed: bytes, place: str) -> bytes:
        return self.keyring.encrypt(self.keyring.decrypt(key_id, bytes(sealed), place), place)

    def _seal(self, table: str, where: str, payload: bytes) -> bytes:
        return self.keyring.encrypt(payload, f"{table}.payload:{where}")

    def _open(self, table: str, where: str, key_id: str, sealed: bytes) -> bytes:
        return self.keyring.decrypt(key_id, bytes(sealed), f"{table}.payload:{where}")


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)
