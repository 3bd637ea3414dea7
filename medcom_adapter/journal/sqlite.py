"""The embedded journal: one SQLite file in the data directory, WAL mode, durable commits.

``synchronous=FULL`` makes every commit reach the disk before it returns (in WAL mode the
default, NORMAL, may lose the last commits on power loss). Write transactions begin
``IMMEDIATE`` so two processes never both read the chain head and then both append.
A transaction begun inside another is a savepoint, as in PostgreSQL. The connection is one
per journal object: threads sharing the object (``serve`` runs journal calls on the event
loop and in worker threads) take turns, a whole transaction at a time, so one thread's
statements never land in another's transaction. Connections to one file in one process
take turns at writing on the file's writer lock (see :mod:`.writer_lock`), in order, rather
than polling through SQLite's busy handler. A full or read-only disk is a
``ResourceFault`` (see :mod:`.faults`), never a bare driver error. Checkpoints
(the log's pages copied into the database file) run on a thread of their own after commits
(see :mod:`.checkpointer`), not on the committing one.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from medcom_adapter.errors import ResourceFault
from medcom_adapter.journal.checkpointer import FALLBACK_PAGES, Checkpointer
from medcom_adapter.journal.crypto import Sealing
from medcom_adapter.journal.db import Dialect, Params, Row
from medcom_adapter.journal.faults import SAFE, sqlite_guard
from medcom_adapter.journal.writer_lock import for_file, writes, writing

DIALECT = Dialect(
    name="sqlite", blob="BLOB", bigint="INTEGER", serial="INTEGER PRIMARY KEY AUTOINCREMENT",
    lock_rows="", skip_locked="", take_turns=None, writes_in_place=True,
)
# the page cache while a large value is written: its pages spill to the WAL as they are
# filled instead of all staying in memory until the commit
_SMALL_CACHE = "PRAGMA cache_size=-2048"
_CACHE = "PRAGMA cache_size=-65536"
_LOG_LIMIT = 64 * 1024 * 1024  # bytes of write-ahead log kept once it has been checkpointed
_ERASED_WAIT = 2.0  # seconds a purge waits for the log to be emptied (then it is left to
# the checkpointer, which tries again until no reader holds it up)


class SqliteDb:
    dialect = DIALECT

    def __init__(self, path: Path) -> None:
        # owner-only: the rows are encrypted, but ids, times and sizes still say who talks
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # WAL files follow it
        self.path = path
        self._where = f"SQLite {path}"
        self._depth, self._writing = 0, False  # open transactions (savepoints nest inside)
        self._turn = threading.RLock()  # one thread's transaction at a time (see above)
        self._writer = for_file(path)  # one writer at a time per file in this process
        with sqlite_guard(self._where):
            self._connection = sqlite3.connect(path, isolation_level=None, timeout=30.0,
                                               check_same_thread=False)
            # 64 MB of page cache: appends touch several indexes with random keys (digests,
            # person index), which at a million rows no longer fit SQLite's 2 MB default.
            # secure_delete: a deleted value's bytes are overwritten with zeros, whatever
            # the build's default; the log is cut back to its limit when it restarts
            for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                           "PRAGMA secure_delete=ON", f"PRAGMA journal_size_limit={_LOG_LIMIT}",
                           "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=30000", _CACHE,
                           f"PRAGMA wal_autocheckpoint={FALLBACK_PAGES}"):
                self._connection.execute(pragma)
        self.checkpoints = Checkpointer(path)
        self._changes = 0  # the connection's total_changes when a checkpoint was last asked

    def _committed(self) -> None:
        """After a statement: outside any transaction, it committed what it wrote."""
        if not self._depth and self._connection.total_changes != self._changes:
            self._changes = self._connection.total_changes
            self.checkpoints.committed()

    def _undone(self) -> None:
        """Refuse a statement inside a transaction SQLite has undone by itself (a full
        disk, an I/O error): run now, it would commit alone, outside what was begun."""
        if self._depth and not self._connection.in_transaction:
            raise ResourceFault(f"SQLite undid the whole transaction after an error in it "
                                f"({self._where}); {SAFE}")

    def _alone(self, sql: str) -> AbstractContextManager[None]:
        """Around a statement: the file's writer lock, when it writes outside a transaction
        (inside one, the transaction holds it)."""
        return (writing(self._writer, self._where) if not self._depth and writes(sql)
                else nullcontext())

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        with self._turn, self._alone(sql), sqlite_guard(self._where):
            self._undone()
            found = self._connection.execute(sql, params).fetchall()
            self._committed()  # an INSERT ... RETURNING, say
            return found

    def run(self, sql: str, params: Params = ()) -> int:
        with self._turn, self._alone(sql), sqlite_guard(self._where):
            self._undone()
            if not any(isinstance(p, Sealing) for p in params):
                count = self._connection.execute(sql, params).rowcount
            else:
                count = self._run_in_place(sql, params)
            self._committed()
            return count

    def _run_in_place(self, sql: str, params: Params) -> int:
        """``sql`` with each Sealing written in place: the row gets a zeroblob of its size,
        then the sealed bytes go into it a slice at a time (incremental blob I/O), with a
        small page cache meanwhile. The value is never whole in memory, nor bound."""
        later = [(n, p) for n, p in enumerate(params) if isinstance(p, Sealing)]
        pieces = sql.split("?")
        if len(pieces) != len(params) + 1:
            raise ValueError("a statement with a value written in place must use ? only "
                             "as placeholders")
        for n, _ in later:
            pieces[n] += "zeroblob("
            pieces[n + 1] = ")" + pieces[n + 1]
        bound = [len(p) if isinstance(p, Sealing) else p for p in params]
        alone = not self._connection.in_transaction  # the zeros must never be committed
        self._connection.execute(_SMALL_CACHE)
        try:
            if alone:
                self._connection.execute("BEGIN IMMEDIATE")
            count = self._connection.execute("?".join(pieces), bound).rowcount
            for _, sealing in later:
                table, column, row = _place(sealing.place)
                with self._connection.blobopen(table, column, row) as blob:
                    for piece in sealing.slices():
                        blob.write(piece)
            if alone:
                self._connection.execute("COMMIT")
        except BaseException:
            if alone and self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
            raise
        finally:
            self._connection.execute(_CACHE)
        return count

    def read_in_place(self, table: str, column: str, row: int) -> bytearray | None:
        """A large value read a slice at a time into one buffer (see ``reading_in_place``).
        None when the row is not there or the value is NULL."""
        with self.reading_in_place(table, column, row) as blob:
            if blob is None:
                return None
            found = bytearray(len(blob))
            view = memoryview(found)
            for at in range(0, len(found), Sealing.SLICE):
                view[at:at + Sealing.SLICE] = blob.read(Sealing.SLICE)
            return found

    @contextmanager
    def reading_in_place(self, table: str, column: str, row: int
                         ) -> Iterator[sqlite3.Blob | None]:
        """A large value to read in place (incremental blob I/O, a small page cache
        meanwhile): no copy of it by SQLite or the driver, no cache of all of it. None when
        the row is not there or the value is NULL."""
        with self._turn, sqlite_guard(self._where):
            self._connection.execute(_SMALL_CACHE)
            try:
                try:
                    blob = self._connection.blobopen(table, column, row, readonly=True)
                except sqlite3.OperationalError:  # no such row, or NULL
                    yield None
                    return
                with blob:
                    yield blob
            finally:
                self._connection.execute(_CACHE)

    def run_many(self, sql: str, params: Iterable[Params]) -> None:
        with self._turn, self._alone(sql), sqlite_guard(self._where):
            self._undone()
            self._connection.executemany(sql, params)
            self._committed()

    def script(self, sql: str) -> None:
        with self._turn, self._alone(sql), sqlite_guard(self._where):
            self._undone()
            self._connection.execute(sql)
            self._committed()

    @contextmanager
    def transaction(self, *, write: bool, join: bool = False) -> Iterator[None]:
        with (self._turn,
              writing(self._writer, self._where) if write and not self._depth
              else nullcontext(),
              self._transaction(write, join)):
            yield

    @contextmanager
    def _transaction(self, write: bool, join: bool) -> Iterator[None]:
        if self._depth and join:
            if write and not self._writing:
                raise RuntimeError("a write transaction cannot begin inside a read transaction")
            yield
            return
        if self._depth:
            with self._savepoint(write):
                yield
            return
        with sqlite_guard(self._where):
            self._connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        self._depth, self._writing = 1, write
        try:
            yield
        except BaseException:
            if self._connection.in_transaction:  # SQLite may have rolled back itself
                self._connection.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        if not self._connection.in_transaction:  # undone by SQLite: a failure caught inside
            raise ResourceFault(f"SQLite undid the whole transaction after an error in it "
                                f"({self._where}); {SAFE}")
        try:
            with sqlite_guard(self._where):
                self._connection.execute("COMMIT")
        except BaseException:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
            raise
        if write:
            self.checkpoints.committed()

    @contextmanager
    def _savepoint(self, write: bool) -> Iterator[None]:
        """A transaction inside another: undone alone when it fails, committed with it."""
        if write and not self._writing:
            raise RuntimeError("a write transaction cannot begin inside a read transaction")
        self._undone()  # a SAVEPOINT outside a transaction would begin one of its own
        name = f"inner{self._depth}"
        self._connection.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield
        except BaseException:
            # SQLite undoes the whole transaction on some errors (SQLITE_FULL, _IOERR): the
            # savepoint is gone with it, and the outer commit refuses (see _undone)
            if self._connection.in_transaction:
                self._connection.execute(f"ROLLBACK TO {name}")
            raise
        finally:
            self._depth -= 1
            if self._connection.in_transaction:
                self._connection.execute(f"RELEASE {name}")

    def erased(self) -> None:
        """Values were erased: the log's copies of their pages go too (``secure_delete``
        has zeroed them in the database file)."""
        self.checkpoints.truncate()
        self.checkpoints.truncated(_ERASED_WAIT)

    def close(self) -> None:
        self.checkpoints.close()  # first: the last connection closed removes the log
        self._connection.close()


def _place(where: str) -> tuple[str, str, int]:
    """Table, column and row of a sealed value's associated data (``table.column:id``)."""
    name, _, row = where.partition(":")
    table, _, column = name.partition(".")
    return table, column, int(row)
