"""The shared journal: PostgreSQL through psycopg 3, for several adapter processes.

Appends lock the ``journal_head`` row (``FOR UPDATE``), so they take turns and the chain
stays one line; outbox workers claim rows with ``FOR UPDATE SKIP LOCKED`` and pass over
rows another process is claiming. The connection runs in autocommit mode and the journal
opens its own transactions, as with SQLite, so the same SQL serves both. A lost connection
(or a full or read-only server) is a ``ResourceFault``; the next transaction connects anew.
Large bodies are written and read a slice at a time (see :mod:`.postgres_bodies`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Any

from medcom_adapter.errors import JournalError, ResourceFault
from medcom_adapter.journal import postgres_bodies
from medcom_adapter.journal.crypto import Sealing
from medcom_adapter.journal.db import Dialect, Params, Row
from medcom_adapter.journal.faults import SAFE, postgres_fault

DIALECT = Dialect(
    name="postgresql", blob="BYTEA", bigint="BIGINT",
    serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    lock_rows=" FOR UPDATE", skip_locked=" FOR UPDATE SKIP LOCKED",
    take_turns="SELECT pg_advisory_xact_lock(7262126)", chains_writes=True,
    writes_in_place=True,
)


class PostgresDb:
    dialect = DIALECT

    def __init__(self, url: str) -> None:
        # one thread's transaction at a time on the connection (threads share a journal
        # object in ``serve``): another thread's statements would land in it otherwise
        self._turn = threading.RLock()
        try:
            import psycopg
        except ImportError:
            raise JournalError("a PostgreSQL journal needs psycopg: "
                               "pip install 'medcom-adapter[postgresql]'") from None
        # raw cursors send our SQL as written: psycopg's own parse each query for its ``%s``
        # placeholders and cache that only for short queries with few parameters, so every
        # append (about a hundred) was parsed anew, ~0.3 ms of client CPU
        self._cursor: Any = psycopg.RawCursor
        self._url, self._depth = url, 0
        self._connection: Any = self._connect()

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self._url, autocommit=True)
        except psycopg.OperationalError as exc:
            # The driver's message names host and port, never the password.
            said = " ".join(str(exc).split())  # one line
            raise ResourceFault(f"cannot connect to the PostgreSQL journal ({said}); "
                                f"{SAFE}") from None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            fault = postgres_fault(exc)
            if fault is None:
                raise
            raise fault from exc

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        with self._turn, self._guard():
            # results in binary: a body comes as its bytes, not as hex text twice its size
            # that is then decoded (a 20 MB attachment's letter read cost 4x it less)
            cursor = self._raw().execute(_pg(sql), params, binary=True)
            return list(cursor.fetchall()) if cursor.description else []

    def run(self, sql: str, params: Params = ()) -> int:
        with self._turn, self._guard():
            if any(isinstance(p, Sealing) for p in params):  # sent as it is sealed
                return postgres_bodies.copy_in(self._live(), sql, params)
            count: int = self._raw().execute(_pg(sql), params).rowcount
            return count

    @contextmanager
    def pieces(self, table: str, column: str, key: str, row: int
               ) -> Iterator[tuple[int, Iterator[bytes]] | None]:
        """A large value's length and slices, read one at a time (see ``postgres_bodies``)."""
        with self._turn, self._guard(), postgres_bodies.pieces(
                self._live(), table, column, key, row) as found:
            yield found

    def run_many(self, sql: str, params: Iterable[Params]) -> None:
        with self._turn, self._guard(), self._raw() as cursor:
            cursor.executemany(_pg(sql), list(params))

    def script(self, sql: str) -> None:
        with self._turn, self._guard():
            self._live().execute(sql)

    @contextmanager
    def transaction(self, *, write: bool, join: bool = False) -> Iterator[None]:
        with self._turn:
            if self._depth and join:
                yield
                return
            with self._guard(), self._live().transaction():
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1

    def _raw(self) -> Any:
        return self._cursor(self._live())

    def _live(self) -> Any:
        """The connection; a new one when the last was lost, between transactions only (a
        lost transaction is the caller's to retry whole)."""
        if self._depth == 0 and (self._connection.closed or self._connection.broken):
            with suppress(Exception):
                self._connection.close()
            self._connection = self._connect()
        return self._connection

    def erased(self) -> None:
        pass  # the old row versions are VACUUM's (autovacuum), not a connection's

    def close(self) -> None:
        self._connection.close()


_CACHED = 4096  # characters: a statement of many rows (up to ~100 KB) is numbered each time


def _pg(sql: str) -> bytes:
    """Our ``?`` placeholders numbered as PostgreSQL's ``$1``, ``$2``... (our SQL has no
    literal ``?``); the usual short statements encoded once."""
    return _numbered(sql) if len(sql) <= _CACHED else _number(sql)


@lru_cache(maxsize=512)
def _numbered(sql: str) -> bytes:
    return _number(sql)


def _number(sql: str) -> bytes:
    pieces = sql.split("?")
    numbered = [pieces[0]]
    for n, piece in enumerate(pieces[1:], start=1):
        numbered += (f"${n}", piece)
    return "".join(numbered).encode()
