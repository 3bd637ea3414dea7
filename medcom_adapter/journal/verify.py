"""``verify`` for stored rows: recompute every digest and link, decrypt every sealed value.

A flipped byte in a ciphertext fails its authentication tag; a changed digest, header field
or classification breaks the chain at that entry (links are keyed: see ``chain``); a
removed row breaks it at the next one, and removed last rows no longer lead to the link
recorded in ``journal_head``. Content erased without a purge in the audit log is reported,
and the audit log's and the status history's own chains are followed; a message's current
status must be the last change its chained history holds. ``check_key`` refuses a key that
does not open a journal's rows before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from medcom_adapter.errors import JournalCorrupt, JournalError, JournalKeyError
from medcom_adapter.journal import bodies, chain, rows
from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.db import Db, Row
from medcom_adapter.journal.interface import Checkpoint, VerifyReport
from medcom_adapter.journal.relink import chain_key

Attachments = Callable[[Sequence[int]], dict[int, list[Row]]]
Classifications = Callable[[Sequence[int]], dict[int, Row]]


def verify_rows(stored: Iterable[dict[str, Any]], head: str, keys: Keyring,
                attachments: Attachments, *, key: bytes | None = None,
                purged: set[int] | None = None, classifications: Classifications | None = None,
                against: Checkpoint | None = None) -> VerifyReport:
    problems: list[tuple[int, str]] = []
    entries = []
    for batch in _batches(iter(stored), 1000):
        ids = [r["id"] for r in batch]
        found = attachments(ids)
        classified = classifications(ids) if classifications is not None else {}
        for row in batch:
            entry = rows.entry(row)
            entries.append((entry, row["link"]))
            id = row["id"]
            if row["purged_at"] is None:
                problems += [(id, p) for p in _check(row, entry, found[id], keys)]
                if classifications is not None:
                    problems += [(id, p) for p in _classification(row, classified.get(id),
                                                                  keys, key)]
            elif purged is not None and id not in purged:
                problems.append((id, f"message {id}: its content was erased, but no purge "
                                     "in the audit log names it"))
    return chain.report(entries, head, problems, key, against)


def _classification(row: dict[str, Any], found: Row | None, keys: Keyring,
                    key: bytes | None) -> Iterator[str]:
    if found is None and row["classification_digest"] is None:
        return
    try:
        digest = None if found is None else chain.classification_digest(
            key, rows.open_classification(found, keys, row["key_id"]))
    except (JournalError, ValueError):  # a sealed value or a class no longer reads
        digest = ""
    if digest != row["classification_digest"]:
        yield (f"message {row['id']}: its §126a classification was changed or removed")


def verify_audit(db: Db, key: bytes | None, head: str, last: int,
                 against: Checkpoint | None, messages: int) -> list[str]:
    """Problems of the audit log's chain: the first row whose link does not follow, rows
    cut off after the head, the checkpoint's row gone or rewritten, and rows naming
    messages beyond the last one (the newest messages were cut off)."""
    previous, seen, problems = chain.GENESIS, 0, []
    beyond = None
    after = 0
    while batch := db.rows(
            "SELECT a.id, a.at, a.actor, a.action, a.message_ids, a.detail, c.link FROM "
            "audit_log a LEFT JOIN audit_chain c ON c.id = a.id WHERE a.id > ? ORDER BY a.id "
            "LIMIT 1000", (after,)):
        for id, at, actor, action, ids, detail, stored in batch:
            expected = chain.audit_link(key, previous, at, actor, action, ids, detail)
            if stored != expected:
                return [f"audit log row {id}: its link does not follow from the row before it "
                        "(an audit row was changed or removed)"]
            if against is not None and id == against.audit and stored != against.audit_link:
                problems.append(f"audit log row {id}: differs from the checkpoint's")
            if beyond is None and any(int(i) > messages for i in ids.split(",") if i):
                beyond = id
            previous, seen = stored, id
        after = batch[-1][0]
    if previous != head or seen != last:
        problems.append(f"audit log rows after row {seen} are missing")
    if beyond is not None:
        problems.append(f"audit log row {beyond} names messages after message {messages}, "
                        "the last in the journal: newer messages were cut off")
    if against is not None and against.audit > seen:
        problems.append(f"audit log row {against.audit}: missing, though the checkpoint "
                        "names it")
    return problems


def verify_history(db: Db, keys: Keyring, against: Checkpoint | None) -> list[str]:
    """Problems of the status history's chain: the first change whose link does not follow
    (one changed, inserted, reordered or removed before it), changes cut off after the head,
    the checkpoint's change gone or rewritten, and a current status (``message_state``) that
    is not the last change of its message."""
    count, head, key_id = db.rows("SELECT last_id, link, chain_key FROM journal_head "
                                  "WHERE id = 3")[0]
    key = chain_key(keys, key_id)
    previous, seen, after, problems = chain.GENESIS, 0, 0, []
    last: dict[int, str] = {}
    while batch := db.rows("SELECT id, message, status, at, key_id, reason, link FROM "
                           "status_history WHERE id > ? ORDER BY id LIMIT 1000", (after,)):
        for id, message, status, at, sealed_by, sealed, stored in batch:
            try:
                reason = rows.open_history(message, (status, at, sealed_by, sealed),
                                           keys).reason
            except (JournalError, TypeError):  # a flipped byte or a reason moved elsewhere
                return [f"status change {id} (message {message}): its sealed reason does "
                        "not open"]
            if stored != chain.status_link(key, previous, message, status, at, reason):
                return [f"status change {id} (message {message}): its link does not follow "
                        "from the change before it (a status change was changed, inserted, "
                        "reordered or removed)"]
            seen += 1
            if against is not None and seen == against.statuses and stored != against.status_link:
                problems.append(f"status change {id}: differs from the checkpoint's")
            previous, last[message] = stored, status
        after = batch[-1][0]
    if previous != head or seen != count:
        problems.append(f"status changes after change number {seen} are missing")
    if against is not None and against.statuses > seen:
        problems.append(f"status change number {against.statuses}: missing, though the "
                        "checkpoint names it")
    for message, status in db.rows("SELECT message, status FROM message_state ORDER BY "
                                   "message"):
        if last.get(message) != status:
            problems.append(f"message {message}: its status {status} is not the last change "
                            f"in its chained history ({last.get(message) or 'none'})")
            break
    return problems


def check_key(db: Db, keys: Keyring) -> None:
    """Refuse (JournalKeyError) a keyring that does not open the journal's sealed rows."""
    try:
        with db.transaction(write=False):
            found = db.rows("SELECT id, key_id, body FROM messages WHERE body IS NOT NULL "
                            "ORDER BY id DESC LIMIT 1")
            placed = [] if not found else db.rows(
                "SELECT position, in_body FROM attachments WHERE message = ?", (found[0][0],))
    except Exception:
        return
    if not found:
        return
    id, key_id, body = found[0]
    if key_id not in keys.keys:
        raise JournalKeyError(
            f"the journal's rows are sealed under key {key_id!r}, which is not configured "
            f"(configured: {', '.join(keys.keys)}); refusing to start rather than write "
            "under another key. Restore the key (see docs/security.md)")
    try:
        if bodies.apart(body):  # read a slice at a time, as the journal reads it
            bodies.opened(db, keys, id, key_id)
        else:
            keys.decrypt(key_id, bytes(body), rows.body_where(id, placed))
    except JournalCorrupt:
        raise JournalKeyError(
            f"the configured key {key_id!r} does not open the journal's rows: it is not the "
            "key they were sealed with; refusing to start") from None


def _check(row: dict[str, Any], entry: chain.Entry, attachments: list[Row],
           keys: Keyring) -> Iterator[str]:
    id, key_id = row["id"], row["key_id"]
    try:
        # kept apart: opens itself a slice at a time (bodies); else opened, bound to the
        # places of what was cut out of it, by open_body
        stored = row["body"](key_id) if callable(row["body"]) else None
        body, opened = rows.open_body(row, keys, attachments, stored)
        if chain.digest(body) != entry.digest:
            yield f"message {id}: body does not match its digest"
        if row["person"] is not None:
            keys.decrypt(key_id, bytes(row["person"]), rows.where("messages", "person", id))
        digests = tuple(chain.digest(a.data) for a in opened)
        if digests != entry.attachment_digests:
            yield f"message {id}: attachments do not match their digests"
    except JournalError as exc:
        yield f"message {id}: {exc}"
    except TypeError:  # a sealed column set to NULL
        yield f"message {id}: a sealed value is missing"


def _batches(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(items, size)):
        yield batch
