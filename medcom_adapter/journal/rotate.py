"""Key rotation: re-encrypt rows under the keyring's current key, a batch per commit.

Appends go on meanwhile (they already use the current key). Once no row names an old key,
the old key can be removed from the keyring.
"""

from __future__ import annotations

from medcom_adapter.journal import bodies
from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.db import Db
from medcom_adapter.journal.rows import body_where, data_where, history_where, insert, where

_BATCH = 500


def rotate(db: Db, keys: Keyring) -> int:
    """How many messages were re-encrypted."""
    changed = 0
    while True:
        with db.transaction(write=True):
            batch = db.rows("SELECT id, key_id, body, person FROM messages WHERE key_id <> ? "
                            "ORDER BY id LIMIT ?" + db.dialect.lock_rows,
                            (keys.current.id, _BATCH))
            if not batch:
                _reasons(db, keys)
                return changed
            for id, key_id, body, person in batch:
                _message(db, keys, id, key_id, body, person)
            changed += len(batch)


def _reasons(db: Db, keys: Keyring) -> None:
    """Reasons a process still holding the old keyring wrote for messages already rotated."""
    while True:
        with db.transaction(write=True):
            batch = db.rows("SELECT id, message, status, at, key_id, reason FROM status_history "
                            "WHERE reason IS NOT NULL AND key_id <> ? ORDER BY id LIMIT ?"
                            + db.dialect.lock_rows, (keys.current.id, _BATCH))
            if not batch:
                return
            for row_id, id, status, at, old_key, sealed in batch:
                place = history_where(id, status, at)
                db.run("UPDATE status_history SET key_id = ?, reason = ? WHERE id = ?", (
                    keys.current.id,
                    keys.encrypt(keys.decrypt(old_key, bytes(sealed), place), place), row_id))


def _message(db: Db, keys: Keyring, id: int, key_id: str, body: bytes | None,
             person: bytes | None) -> None:
    def reseal(sealed: bytes | bytearray | None, place: str) -> bytes | None:
        if sealed is None:
            return None
        return keys.encrypt(keys.decrypt(key_id, bytes(sealed), place), place)

    plain_person = None if person is None else keys.decrypt(
        key_id, bytes(person), where("messages", "person", id)).decode()
    if bodies.apart(body):  # kept in its own table: resealed there as it is written, still
        plain = bodies.opened(db, keys, id, key_id)  # apart (one plaintext, never two sealed)
        db.run(f"DELETE FROM {bodies.TABLE} WHERE message = ?", (id,))
        db.run(insert(bodies.TABLE, bodies.COLUMNS), (id, keys.sealing(
            plain, where("messages", "body", id), bodies.place(id))))
        del plain
    placed = db.rows("SELECT position, title, data, in_body FROM attachments WHERE message = ?",
                     (id,))
    db.run("UPDATE messages SET key_id = ?, body = ?, person = ?, person_index = ? "
           "WHERE id = ?", (
               keys.current.id,
               body if bodies.apart(body)
               else reseal(body, body_where(id, ((n, span) for n, *_, span in placed))),
               reseal(person, where("messages", "person", id)),
               None if plain_person is None else keys.index(plain_person), id))
    for n, title, data, span in placed:  # bound as they were sealed (see rows.data_where)
        db.run("UPDATE attachments SET title = ?, data = ? WHERE message = ? AND position = ?",
               (reseal(title, where("attachments", "title", id, n)),
                reseal(data, data_where(id, n, span)), id, n))
    for row_id, status, at, old_key, sealed in db.rows(
            "SELECT id, status, at, key_id, reason FROM status_history WHERE message = ? AND "
            "reason IS NOT NULL AND key_id <> ?", (id, keys.current.id)):
        place = history_where(id, status, at)
        db.run("UPDATE status_history SET key_id = ?, reason = ? WHERE id = ?", (
            keys.current.id, keys.encrypt(keys.decrypt(old_key, bytes(sealed), place), place),
            row_id))
    for (sealed,) in db.rows("SELECT person FROM classifications WHERE message = ?", (id,)):
        place = where("classifications", "person", id)
        patient = keys.decrypt(key_id, bytes(sealed), place)
        db.run("UPDATE classifications SET person = ?, person_index = ? WHERE message = ?",
               (keys.encrypt(patient, place), keys.index(patient.decode()), id))


