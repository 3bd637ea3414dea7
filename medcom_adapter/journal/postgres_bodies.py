"""Large values on PostgreSQL, written and read a slice at a time (see ``bodies``).

Bound as a parameter, a large body was sealed whole and then copied whole into libpq's
output buffer; read as a column, it arrived whole in libpq's result and again as Python
bytes. A value given as a ``crypto.Sealing`` is instead sent by ``COPY ... FROM STDIN
(FORMAT BINARY)`` as its slices are sealed: one row, one statement. (Appending pieces
with ``body || piece`` rewrites the TOAST chunks every time: for a 27 MB body in 1 MB
pieces, 15.6x its size in write-ahead log against 1.1x, and 20x the time.) A value is
read by one statement that returns it a slice a row, taken in a row at a time: one
statement, so one snapshot, and the slices are of one value even while another process
rotates or purges it (a slice of an uncompressed TOAST value reads only its own chunks;
ciphertext never compresses). Both run in the caller's transaction.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from contextlib import closing, contextmanager
from itertools import chain
from typing import Any

from medcom_adapter.errors import JournalCorrupt
from medcom_adapter.journal.crypto import Sealing
from medcom_adapter.journal.db import Params

# what sqlstore makes: the only statement a value written in place may be given in
_INSERT = re.compile(r"INSERT INTO (\w+) \((\w+(?:, \w+)*)\) VALUES (\(.*\))")
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)  # no flags, no extension
_TRAILER = struct.pack("!h", -1)


def copy_in(connection: Any, sql: str, params: Params) -> int:
    """``sql`` (an INSERT of rows of ``?`` placeholders) as a binary COPY, each Sealing sent
    a slice at a time as it is sealed; the number of rows written."""
    match = _INSERT.fullmatch(sql)
    table, columns, values = match.groups() if match else ("", "", "")
    width = columns.count(",") + 1
    count = len(params) // width if match else 0
    if not count or values != ", ".join(["(" + ", ".join("?" * width) + ")"] * count):
        raise ValueError("a value written in place goes in an INSERT ... VALUES (?, ...), "
                         "(?, ...) of whole rows")
    with connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_SIGNATURE)
        for start in range(0, len(params), width):
            copy.write(struct.pack("!h", width))
            for value in params[start:start + width]:
                for piece in _field(value):
                    copy.write(piece)
        copy.write(_TRAILER)
    return count


def _field(value: object) -> Iterator[bytes]:
    """One field of a binary COPY row: its length, then its bytes in PostgreSQL's binary
    form (an int as a BIGINT's)."""
    if value is None:
        yield struct.pack("!i", -1)
    elif isinstance(value, Sealing):
        yield struct.pack("!i", len(value))
        yield from value.slices()
    elif isinstance(value, int) and not isinstance(value, bool):
        yield struct.pack("!iq", 8, value)
    elif isinstance(value, bytes | bytearray):
        yield struct.pack("!i", len(value))
        yield bytes(value)
    elif isinstance(value, str):
        encoded = value.encode()
        yield struct.pack("!i", len(encoded)) + encoded
    else:
        raise TypeError(f"no binary COPY form for {type(value).__name__}")


@contextmanager
def pieces(connection: Any, table: str, column: str, key: str, row: int
           ) -> Iterator[tuple[int, Iterator[bytes]] | None]:
    """The value of ``column`` in ``table``'s row whose ``key`` is ``row``: its length and
    its slices, in order, taken from the server one at a time; None when the row is not
    there or the value is NULL. The slices must be read within the block."""
    # an empty value still gives one (empty) slice, so it is told from a missing row
    sql = (f"SELECT length({column}), s, substring({column} from s for %s) FROM {table} "
           f"CROSS JOIN LATERAL generate_series(1, greatest(length({column}), 1), %s) AS s "
           f"WHERE {key} = %s AND {column} IS NOT NULL")
    with connection.cursor() as cursor, closing(cursor.stream(
            sql, (Sealing.SLICE, Sealing.SLICE, row), binary=True)) as stream:
        first = next(stream, None)
        if first is None:
            yield None
            return
        size = first[0]
        slices = _in_order(chain((first,), stream))
        try:
            yield size, slices
        finally:
            # what the caller left, even when it stopped on an error (a wrong key, a bad
            # tag): a stream closed early cancels its statement, which aborts the
            # caller's transaction, and ``verify`` goes on reading after such an error
            for _ in slices:
                pass


def _in_order(found: Iterator[tuple[int, int, bytes]]) -> Iterator[bytes]:
    at = 1
    for _, start, piece in found:
        if start != at:  # the plan returns a function's rows in order; said if ever not
            raise JournalCorrupt(f"a large value's slices came out of order ({start}, "
                                 f"not {at})")
        at += Sealing.SLICE
        yield piece
