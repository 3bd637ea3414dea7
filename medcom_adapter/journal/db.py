"""What the SQL journal needs of a database connection, and how engines differ.

The journal's SQL is written once, with ``?`` placeholders and a few type words filled in
per engine (``Dialect``); each engine module wraps its driver's connection as a ``Db``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

Row = tuple[Any, ...]
Params = Sequence[object]


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    blob: str  # binary column type
    bigint: str
    serial: str  # an auto-numbered primary key column
    lock_rows: str  # appended to a SELECT whose rows this transaction will change
    skip_locked: str  # appended to a SELECT that must pass over rows others have locked
    take_turns: str | None  # a statement that makes concurrent migrations wait for each other
    # whether writes chain in one statement (WITH w AS (INSERT ...) ...): one round trip
    chains_writes: bool = False
    # whether a large body may be given as a crypto.Sealing, sealed as the engine writes
    # it in place (SQLite's incremental blob I/O), never whole in memory
    writes_in_place: bool = False

    def types(self) -> dict[str, str]:
        return {"blob": self.blob, "bigint": self.bigint, "serial": self.serial}


class Db(Protocol):
    """One connection. Statements outside ``transaction()`` commit on their own."""

    dialect: Dialect

    def rows(self, sql: str, params: Params = ()) -> list[Row]: ...

    def run(self, sql: str, params: Params = ()) -> int:
        """Execute; the number of rows changed."""
        ...

    def run_many(self, sql: str, params: Iterable[Params]) -> None: ...

    def script(self, sql: str) -> None:
        """Execute one statement that takes no parameters (DDL)."""
        ...

    def transaction(self, *, write: bool, join: bool = False) -> AbstractContextManager[None]:
        """Commit durably on leaving, roll back on an exception. ``write`` transactions of
        SQLite take the write lock at once, so their reads see what they will change.
        Begun inside another transaction, it is a savepoint: an exception undoes its own
        statements only, and the outer transaction commits the rest. With ``join`` it is
        no savepoint but part of the outer transaction (two statements fewer), for blocks
        whose own exceptions come before they write."""
        ...

    def erased(self) -> None:
        """Committed rows' values were erased (a purge): whatever the engine keeps of their
        old bytes beside the tables is to go as well, as far as it can without waiting."""
        ...

    def close(self) -> None: ...


def marks(n: int) -> str:
    """``?, ?, ?`` for an IN list of ``n`` values."""
    return ", ".join("?" * n)
