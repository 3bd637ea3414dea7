"""The shared journal: PostgreSQL through psycopg 3, for several adapter processes.

Appends lock the ``journal_head`` row (``FOR UPDATE``), so they take turns and the chain
stays one line; outbox workers claim rows with ``FOR UPDATE SKIP LOCKED`` and pass over
rows another process is claiming. The connection runs in autocommit mode and the journal
opens its own transactions, as with SQLite, so the same SQL serves both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from medcom_adapter.errors import JournalError
from medcom_adapter.journal.db import Dialect, Params, Row

DIALECT = Dialect(
    name="postgresql", blob="BYTEA", bigint="BIGINT",
    serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    lock_rows=" FOR UPDATE", skip_locked=" FOR UPDATE SKIP LOCKED",
    take_turns="SELECT pg_advisory_xact_lock(7262126)",
)


class PostgresDb:
    dialect = DIALECT

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise JournalError("a PostgreSQL journal needs psycopg: "
                               "pip install 'medcom-adapter[postgresql]'") from None
        try:
            self._connection: Any = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            # The driver's message names host and port, never the password.
            raise JournalError(f"cannot connect to the PostgreSQL journal: {exc}") from None

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        cursor = self._connection.execute(_pg(sql), params)
        return list(cursor.fetchall()) if cursor.description else []

    def run(self, sql: str, params: Params = ()) -> int:
        count: int = self._connection.execute(_pg(sql), params).rowcount
        return count

    def run_many(self, sql: str, params: Iterable[Params]) -> None:
        with self._connection.cursor() as cursor:
            cursor.executemany(_pg(sql), list(params))

    def script(self, sql: str) -> None:
        self._connection.execute(sql)

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[None]:
        with self._connection.transaction():
            yield

    def close(self) -> None:
        self._connection.close()


def _pg(sql: str) -> str:
    """Our ``?`` placeholders as psycopg's ``%s`` (our SQL has no literal ``?`` or ``%``)."""
    return sql.replace("?", "%s")
