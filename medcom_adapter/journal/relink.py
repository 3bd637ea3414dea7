"""Relink a journal's chains under the current key's chain key, in one commit.

Done once when a journal from before schema 5 (unkeyed SHA-256 links) is upgraded; once
when a journal from before schema 8 is upgraded, for its status history only (the other
chains are keyed already and stay as they are, so what they show is not laundered); and by
``rotate_key`` after re-encrypting (the chain key follows the journal key, so the old key
can go). ``rotate_key`` verifies the chains first: a broken chain is never relinked, which
would launder the tampering it shows.

The upgrade's relink runs in the very commit that applies migration 5 or 8 (see
:func:`upgrade`), never because a head row names no chain key: anyone who can write the
database could clear that column, and a relink would then bless whatever they changed.
After the upgrade a head row gone or without a chain key is tampering: the journal refuses
to open, to link anything by it, and ``verify`` reports it. A migration's record deleted
below the newest is refused too (``migrations``: they only apply in order). Someone who
undoes every later migration's schema changes as well makes the journal look older, and
its upgrade then relinks the rows as they left them; a checkpoint kept elsewhere catches
that, as it catches any rewrite of the history before it.
"""

from __future__ import annotations

from medcom_adapter.errors import JournalCorrupt
from medcom_adapter.journal import chain, henvisninger, rows
from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.db import Db
from medcom_adapter.journal.migrations import migrate

_BATCH = 1000


KEYED_CHAINS = 5  # the schema version from which every chain is keyed
STATUS_CHAIN = 8  # the one from which the status history is chained too


def upgrade(db: Db, keys: Keyring) -> None:
    """Apply the missing migrations and, for a journal upgraded past keyed chains now, link
    its chains under the key, all in one commit (a crash leaves the old journal whole);
    then refuse head rows gone or naming no chain key. Run when a journal opens."""
    with db.transaction(write=True):
        applied = migrate(db)  # refuses a record with a version missing below its newest
        if KEYED_CHAINS in applied or STATUS_CHAIN in applied:  # the relink sees which
            relink(db, keys, only_unkeyed=True)
        problem = head_problem(db)
        if problem is not None:
            raise JournalCorrupt(problem)


_HEADS = (1, 2, 3)  # the message, audit and status chains' head rows


def head_problem(db: Db) -> str | None:
    """What is wrong with the chains' head rows (after the upgrade: nothing): one gone, or
    one that names no chain key; and what to do."""
    found: dict[int, str | None] = dict(db.rows("SELECT id, chain_key FROM journal_head"))
    gone = [id for id in _HEADS if id not in found]
    unkeyed = [id for id in _HEADS if id in found and found[id] is None]
    if gone:
        what = f"{_rows(gone)} {'are' if len(gone) > 1 else 'is'} gone"
    elif unkeyed:
        what = (f"{_rows(unkeyed)} name{'' if len(unkeyed) > 1 else 's'} no chain key, though "
                "the journal's chains were keyed when it was made or upgraded")
    else:
        return None
    return (f"{what}: changed outside the journal (links made without the key would then "
            "pass). Refusing to read or write by it: restore the journal from a backup and "
            "run 'journal verify' against a checkpoint kept elsewhere (docs/security.md)")


def _rows(ids: list[int]) -> str:
    return f"journal_head row{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))}"


def chain_key(keys: Keyring, key_id: str | None) -> bytes:
    """The chain key named in a head row; JournalCorrupt when the row names none."""
    if key_id is None:
        raise JournalCorrupt("a journal_head row names no chain key: changed outside the "
                             "journal; restore it from a backup (docs/security.md)")
    if key_id not in keys.keys:
        from medcom_adapter.errors import JournalKeyError

        raise JournalKeyError(f"the journal's chains are keyed with key {key_id!r}, which is "
                              "not configured")
    return chain.chain_key(keys.keys[key_id].secret)


def relink(db: Db, keys: Keyring, *, only_unkeyed: bool) -> bool:
    """Relink every message, status change and audit row; False when ``only_unkeyed`` and
    another process (or an earlier open) already did."""
    key_id = keys.current.id
    key = chain.chain_key(keys.current.secret)
    with db.transaction(write=True):
        heads: dict[int, str | None] = dict(db.rows(
            "SELECT id, chain_key FROM journal_head ORDER BY id" + db.dialect.lock_rows))
        if only_unkeyed and all(k is not None for k in heads.values()):
            return False
        if only_unkeyed and heads[1] is not None and heads[2] is not None:
            _relink_history(db, keys, key, key_id)  # a journal from before schema 8
            return True
        link, after = chain.GENESIS, 0
        select = f"SELECT {', '.join(rows.MESSAGE_COLUMNS)} FROM messages"
        while batch := db.rows(f"{select} WHERE id > ? ORDER BY id LIMIT ?", (after, _BATCH)):
            for raw in batch:
                row = rows.as_dict(raw)
                digest = row["classification_digest"]
                if row["purged_at"] is None:
                    found = db.rows(f"SELECT {', '.join(rows.CLASSIFICATION_COLUMNS)} FROM "
                                    "classifications WHERE message = ?", (row["id"],))
                    digest = chain.classification_digest(key, rows.open_classification(
                        found[0], keys, row["key_id"])) if found else None
                entry = rows.entry({**row, "classification_digest": digest})
                link = chain.link(link, entry, key)
                db.run("UPDATE messages SET link = ?, classification_digest = ? WHERE id = ?",
                       (link, digest, row["id"]))
            after = batch[-1][0]
        db.run("UPDATE journal_head SET link = ?, chain_key = ? WHERE id = 1", (link, key_id))
        henvisninger.relink(db, key)
        db.run("DELETE FROM audit_chain")
        audit, last = chain.GENESIS, 0
        while batch := db.rows("SELECT id, at, actor, action, message_ids, detail FROM "
                               "audit_log WHERE id > ? ORDER BY id LIMIT ?", (last, _BATCH)):
            for id, at, actor, action, ids, detail in batch:
                audit = chain.audit_link(key, audit, at, actor, action, ids, detail)
                db.run("INSERT INTO audit_chain (id, link) VALUES (?, ?)", (id, audit))
                last = id
        db.run("UPDATE journal_head SET last_id = ?, link = ?, chain_key = ? WHERE id = 2",
               (last, audit, key_id))
        _relink_history(db, keys, key, key_id)
    return True


def _relink_history(db: Db, keys: Keyring, key: bytes, key_id: str) -> None:
    """Link every status change in the order it was made (its row id), in the caller's
    transaction."""
    link, after, count = chain.GENESIS, 0, 0
    while batch := db.rows("SELECT id, message, status, at, key_id, reason FROM "
                           "status_history WHERE id > ? ORDER BY id LIMIT ?", (after, _BATCH)):
        for id, message, *change in batch:
            opened = rows.open_history(message, tuple(change), keys)
            link = chain.status_link(key, link, message, change[0], change[1], opened.reason)
            db.run("UPDATE status_history SET link = ? WHERE id = ?", (link, id))
            after, count = id, count + 1
    db.run("UPDATE journal_head SET last_id = ?, link = ?, chain_key = ? WHERE id = 3",
           (count, link, key_id))
