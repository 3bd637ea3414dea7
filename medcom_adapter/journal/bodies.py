"""Large message bodies, kept apart in ``message_bodies`` and written and read in place.

SQLite writes a value given as ``zeroblob(n)`` lazily only when it is the row's last column;
``messages.body`` is not, so SQLite built the whole row (zeros included) in memory twice
before the blob was filled. A body of ``rows.IN_PLACE_FROM`` bytes or more is therefore
stored as the last column of its own table and ``messages.body`` holds ``APART``, an empty
value (no sealed value is empty: it has at least a nonce and a tag). It is sealed exactly as
before, with ``messages.body:<id>`` as associated data, so moving it to another message's
row fails to decrypt, and it is read back a slice at a time with a small page cache, not
through SQLite's and the driver's copies of the value. Engines that take a value whole
(PostgreSQL) keep every body in ``messages.body``, as before.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from medcom_adapter.errors import JournalCorrupt
from medcom_adapter.journal.crypto import Keyring, Readable
from medcom_adapter.journal.db import Db

TABLE = "message_bodies"
COLUMNS = ("message", "body")
APART = b""  # messages.body of a body kept in TABLE


@runtime_checkable
class ReadsInPlace(Protocol):
    def read_in_place(self, table: str, column: str, row: int) -> bytearray | None:
        """The value a slice at a time into one buffer, or None when there is none."""
        ...

    def reading_in_place(self, table: str, column: str, row: int
                         ) -> AbstractContextManager[Readable | None]:
        """The value to read a slice at a time, or None when there is none."""
        ...


def apart(body: object) -> bool:
    """Whether a ``messages.body`` value says the body is kept in ``TABLE``."""
    return body is not None and len(body) == 0  # type: ignore[arg-type]


def place(id: int) -> str:
    """Where a body kept apart is written in place (table.column:row)."""
    return f"{TABLE}.body:{id}"


def sealed(db: Db, id: int) -> bytes | bytearray:
    """The sealed body of message ``id`` kept apart; JournalCorrupt when it is gone."""
    found: bytes | bytearray | None
    if isinstance(db, ReadsInPlace):
        found = db.read_in_place(TABLE, "body", id)
    else:
        got = db.rows(f"SELECT body FROM {TABLE} WHERE message = ?", (id,))
        found = None if not got or got[0][0] is None else bytes(got[0][0])
    if found is None:
        raise JournalCorrupt(f"message {id}: its body is missing: deleted outside the journal")
    return found


def opened(db: Db, keys: Keyring, id: int, key_id: str) -> bytes:
    """The body of message ``id`` kept apart, decrypted and authenticated."""
    where = f"messages.body:{id}"
    if not isinstance(db, ReadsInPlace):
        return keys.decrypt(key_id, sealed(db, id), where)
    with db.reading_in_place(TABLE, "body", id) as blob:
        if blob is None:
            raise JournalCorrupt(f"message {id}: its body is missing: deleted outside the "
                                 "journal")
        return keys.decrypt_reading(key_id, blob, where)
