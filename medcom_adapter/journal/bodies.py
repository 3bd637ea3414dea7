"""Large message bodies, kept apart in ``message_bodies`` and written and read in place.

SQLite writes a value given as ``zeroblob(n)`` lazily only when it is the row's last column;
``messages.body`` is not, so SQLite built the whole row (zeros included) in memory twice
before the blob was filled. A body of ``rows.IN_PLACE_FROM`` bytes or more is therefore
stored as the last column of its own table and ``messages.body`` holds ``APART``, an empty
value (no sealed value is empty: it has at least a nonce and a tag). It is sealed exactly as
before, with ``messages.body:<id>`` as associated data, so moving it to another message's
row fails to decrypt, and it is read back a slice at a time with a small page cache, not
through SQLite's and the driver's copies of the value. PostgreSQL keeps it in the same
table, sent by COPY as it is sealed and read back a slice a row (``postgres_bodies``);
its ``messages.body`` held every body whole before, and those rows read as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
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


@runtime_checkable
class ReadsInPieces(Protocol):
    def pieces(self, table: str, column: str, key: str, row: int
               ) -> AbstractContextManager[tuple[int, Iterator[bytes]] | None]:
        """The value's length and its slices in order, or None when there is none."""
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
    elif isinstance(db, ReadsInPieces):
        found = _gathered(db, id)
    else:
        got = db.rows(f"SELECT body FROM {TABLE} WHERE message = ?", (id,))
        found = None if not got or got[0][0] is None else bytes(got[0][0])
    if found is None:
        raise _missing(id)
    return found


def opened(db: Db, keys: Keyring, id: int, key_id: str) -> bytes:
    """The body of message ``id`` kept apart, decrypted and authenticated."""
    where = f"messages.body:{id}"
    if isinstance(db, ReadsInPieces):
        with db.pieces(TABLE, "body", COLUMNS[0], id) as found:
            if found is None:
                raise _missing(id)
            return keys.decrypt_pieces(key_id, *found, where)
    if not isinstance(db, ReadsInPlace):
        return keys.decrypt(key_id, sealed(db, id), where)
    with db.reading_in_place(TABLE, "body", id) as blob:
        if blob is None:
            raise _missing(id)
        return keys.decrypt_reading(key_id, blob, where)


def _missing(id: int) -> JournalCorrupt:
    return JournalCorrupt(f"message {id}: its body is missing: deleted outside the journal")


def _gathered(db: ReadsInPieces, id: int) -> bytearray | None:
    """The sealed value, its slices gathered into one buffer of its size."""
    with db.pieces(TABLE, "body", COLUMNS[0], id) as found:
        if found is None:
            return None
        size, pieces = found
        into, at = bytearray(size), 0
        for piece in pieces:
            into[at:at + len(piece)] = piece
            at += len(piece)
        return into
