"""Counting the SQL statements a journal sends its database (for benchmarks and tests).

Counting is not timing: a test may assert how many statements a referral costs. Every call
the journal makes through its ``Db`` counts as one statement (``run_many`` as one per row:
the driver sends each), each outermost transaction as two (BEGIN and COMMIT), and each one inside it
as two as well (SAVEPOINT and RELEASE) unless it joins the outer one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any


class StatementCounter:
    """Wraps a journal's ``db`` in place and counts what goes through it."""

    def __init__(self, db: Any) -> None:
        self.statements = 0
        self.transactions = 0
        self._depth = 0
        for name in ("rows", "run", "script"):
            self._count_calls(db, name)
        if hasattr(db, "pieces"):  # a large value read a slice a row: one statement
            self._count_calls(db, "pieces")
        run_many, transaction = db.run_many, db.transaction

        def counted_many(sql: str, params: Iterable[Any]) -> None:
            rows = list(params)
            self.statements += len(rows)
            run_many(sql, rows)

        @contextmanager
        def counted_transaction(*, write: bool, join: bool = False) -> Iterator[None]:
            if not self._depth:
                self.transactions += 1
                self.statements += 2
            elif not join:
                self.statements += 2  # SAVEPOINT and RELEASE
            self._depth += 1
            try:
                with transaction(write=write, join=join):
                    yield
            finally:
                self._depth -= 1

        db.run_many, db.transaction = counted_many, counted_transaction

    def _count_calls(self, db: Any, name: str) -> None:
        original = getattr(db, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.statements += 1
            return original(*args, **kwargs)

        setattr(db, name, counted)
