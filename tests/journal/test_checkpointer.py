"""SQLite checkpoints on a thread of its own, after commits, not on the committing one.

The database file itself is read with ``immutable=1``, which ignores the write-ahead log:
a row is there only once a checkpoint has copied it out of the log.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from medcom_adapter.journal import checkpointer
from medcom_adapter.journal.sqlite import SqliteDb


def _in_database_file(path: Path) -> list[int]:
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return [n for (n,) in connection.execute("SELECT n FROM t ORDER BY n")]
    finally:
        connection.close()


def _threads(path: Path) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"checkpoint {path.name}"]


def _write(db: SqliteDb, n: int) -> None:
    with db.transaction(write=True):
        db.run("INSERT INTO t (n) VALUES (?)", (n,))


@pytest.fixture
def db(tmp_path: Path) -> SqliteDb:
    db = SqliteDb(tmp_path / "j.sqlite3")
    db.script("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    return db


def test_a_commit_reaches_the_database_file_through_the_checkpoint_thread(
        db: SqliteDb) -> None:
    _write(db, 1)
    assert db.checkpoints.settle(timeout=30)
    assert _in_database_file(db.path) == [1]
    # without the thread, a small commit stays in the log: the committing connection
    # did not checkpoint it itself
    db.checkpoints.close()
    _write(db, 2)
    assert db.rows("SELECT n FROM t ORDER BY n") == [(1,), (2,)]
    assert _in_database_file(db.path) == [1]
    db.close()
    assert _in_database_file(db.path) == [1, 2]  # closing checkpoints what is left


def test_a_write_outside_a_transaction_is_checkpointed_too(db: SqliteDb) -> None:
    db.run("INSERT INTO t (n) VALUES (7)")
    assert db.checkpoints.settle(timeout=30)
    assert _in_database_file(db.path) == [7]
    db.close()


def test_closing_stops_the_thread_and_removes_the_log(db: SqliteDb) -> None:
    _write(db, 1)
    assert _threads(db.path)
    db.close()
    assert not _threads(db.path)
    assert not db.path.with_name(db.path.name + "-wal").exists()


def test_an_idle_journal_holds_no_thread_and_the_next_commit_starts_one(
        db: SqliteDb, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpointer, "_IDLE", 0.05)
    _write(db, 1)
    deadline = time.monotonic() + 30
    while _threads(db.path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _threads(db.path)
    _write(db, 2)
    assert db.checkpoints.settle(timeout=30)
    assert _in_database_file(db.path) == [1, 2]
    db.close()
