"""Writers to one SQLite file in one process queue on a lock, in order, instead of polling
through SQLite's busy handler."""

from __future__ import annotations

import gc
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from medcom_adapter.errors import ResourceFault
from medcom_adapter.journal import writer_lock
from medcom_adapter.journal.sqlite import SqliteDb
from medcom_adapter.journal.writer_lock import Turns, for_file, writes


def _until(condition: object, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"no end to waiting for {what}")
        time.sleep(0.001)


def test_connections_in_one_process_never_meet_the_busy_handler(tmp_path: Path) -> None:
    # with no busy timeout, SQLite refuses a writer that finds the file locked at once:
    # any overlap the lock failed to order would surface as a ResourceFault
    path = tmp_path / "j.sqlite3"
    dbs = [SqliteDb(path) for _ in range(3)]
    dbs[0].script("CREATE TABLE t (id INTEGER PRIMARY KEY, who INTEGER)")
    for db in dbs:
        db._connection.execute("PRAGMA busy_timeout=0")
    failed: list[BaseException] = []

    def write(n: int, db: SqliteDb) -> None:
        try:
            for k in range(40):
                if k % 2:
                    db.run("INSERT INTO t (who) VALUES (?)", (n,))  # alone: its own commit
                    continue
                with db.transaction(write=True):
                    db.run("INSERT INTO t (who) VALUES (?)", (n,))
                    time.sleep(0.001)  # the write lock held a while: others must wait
                    db.run("INSERT INTO t (who) VALUES (?)", (n,))
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=write, args=(n, db)) for n, db in enumerate(dbs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert dbs[0].rows("SELECT who, COUNT(*) FROM t GROUP BY who ORDER BY who") == [
        (0, 60), (1, 60), (2, 60)]
    for db in dbs:
        db.close()


def test_without_the_lock_the_same_writers_are_refused(tmp_path: Path) -> None:
    # the attack the lock answers: a second connection writing while the first holds the
    # write lock meets SQLite's busy handler (here, with no timeout, a refusal)
    path = tmp_path / "j.sqlite3"
    first, second = SqliteDb(path), SqliteDb(path)
    first.script("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    second._connection.execute("PRAGMA busy_timeout=0")
    second._writer = Turns()  # a lock of its own: no longer ordered with the first
    with first.transaction(write=True):
        first.run("INSERT INTO t DEFAULT VALUES")
        with pytest.raises(ResourceFault):
            second.run("INSERT INTO t DEFAULT VALUES")
    first.close()
    second.close()


def test_one_lock_per_file_however_it_is_named(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    path.touch()
    (tmp_path / "link.sqlite3").symlink_to(path)
    assert for_file(path) is for_file(tmp_path / "link.sqlite3")
    other = tmp_path / "other.sqlite3"
    other.touch()
    assert for_file(other) is not for_file(path)


def test_waiters_get_the_lock_in_the_order_they_asked() -> None:
    turns, order = Turns(), []
    assert turns.acquire(timeout=1)

    def take(name: str) -> None:
        assert turns.acquire(timeout=10)
        order.append(name)
        turns.release()

    threads = []
    for n, name in enumerate("abcd", start=1):
        threads.append(threading.Thread(target=take, args=(name,)))
        threads[-1].start()
        _until(lambda n=n: turns.waiting == n, f"{name} waiting")
    turns.release()
    for thread in threads:
        thread.join()
    assert order == list("abcd")


def test_the_releasing_thread_cannot_take_it_back_before_a_waiter() -> None:
    turns, got = Turns(), threading.Event()
    assert turns.acquire(timeout=1)

    def wait() -> None:
        if turns.acquire(timeout=10):
            got.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    _until(lambda: turns.waiting == 1, "the waiter")
    turns.release()
    assert not turns.acquire(timeout=0.05)  # handed over already, though the waiter may not run yet
    assert got.wait(10)
    waiter.join()


def test_a_waiter_that_gave_up_is_passed_over() -> None:
    turns = Turns()
    assert turns.acquire(timeout=1)
    gave_up: list[bool] = []
    quitter = threading.Thread(target=lambda: gave_up.append(turns.acquire(timeout=0.05)))
    quitter.start()
    quitter.join()
    assert gave_up == [False] and turns.waiting == 0
    turns.release()
    later: list[bool] = []
    taker = threading.Thread(target=lambda: later.append(turns.acquire(timeout=1)))
    taker.start()
    taker.join()
    assert later == [True]


def test_re_entrant_and_released_only_by_its_holder() -> None:
    turns = Turns()
    assert turns.acquire(timeout=1) and turns.acquire(timeout=1)
    turns.release()
    failed: list[BaseException] = []

    def other() -> None:
        try:
            turns.release()
        except RuntimeError as exc:
            failed.append(exc)
        if turns.acquire(timeout=0.05):
            failed.append(AssertionError("taken"))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert [type(e) for e in failed] == [RuntimeError]  # still held once: not taken
    turns.release()
    assert turns.acquire(timeout=0.05)
    turns.release()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_does_not_inherit_a_held_lock(tmp_path: Path) -> None:
    # held by another thread of the parent, which the child does not have
    path = tmp_path / "j.sqlite3"
    path.touch()
    held, taken, done = for_file(path), threading.Event(), threading.Event()

    def hold() -> None:
        assert held.acquire(timeout=1)
        taken.set()
        done.wait(10)
        held.release()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    try:
        pid = os.fork()
        if pid == 0:  # the child
            fresh = for_file(path)
            os._exit(0 if fresh is not held and fresh.acquire(timeout=1) else 1)
        _, status = os.waitpid(pid, 0)
    finally:
        done.set()
        holder.join()
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_file_given_a_deleted_ones_inode_does_not_inherit_its_lock(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    old.touch()
    held = for_file(old)
    assert held.acquire(timeout=1)
    old.unlink()
    del held  # its last connection gone (held, as a dead thread could leave it)
    gc.collect()
    new = tmp_path / "new.sqlite3"
    new.touch()  # on most file systems, the deleted file's inode again
    assert for_file(new).free


def test_kept_waiting_by_a_writer_in_this_process_is_refused_as_sqlite_refuses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_lock, "WAIT_SECONDS", 0.2)
    path = tmp_path / "j.sqlite3"
    first, second = SqliteDb(path), SqliteDb(path)
    first.script("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    refused: list[BaseException] = []

    def write() -> None:
        try:
            second.run("INSERT INTO t DEFAULT VALUES")
        except ResourceFault as exc:
            refused.append(exc)

    with first.transaction(write=True):
        first.run("INSERT INTO t DEFAULT VALUES")
        started = time.monotonic()
        thread = threading.Thread(target=write)
        thread.start()
        thread.join()
        waited = time.monotonic() - started
    assert len(refused) == 1 and "locked too long" in str(refused[0])
    assert waited < 5  # the lock's wait, not the lock's and then SQLite's busy timeout
    assert writer_lock.for_file(path).free
    second.run("INSERT INTO t DEFAULT VALUES")  # and the next write goes through
    assert first.rows("SELECT COUNT(*) FROM t") == [(2,)]
    first.close()
    second.close()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="interval timers")
def test_a_waiter_interrupted_leaves_the_queue_and_the_lock_free() -> None:
    turns, release = Turns(), threading.Event()

    def hold() -> None:
        assert turns.acquire(timeout=1)
        release.wait(10)
        turns.release()

    holder = threading.Thread(target=hold)
    holder.start()
    _until(lambda: not turns.free, "the holder")

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(KeyboardInterrupt):
            turns.acquire(timeout=10)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert turns.waiting == 0
    release.set()
    holder.join()
    assert turns.free  # not handed to the thread that stopped waiting


def test_many_threads_with_short_waits_never_overlap_and_leave_it_free() -> None:
    # timeouts from none to 10 ms race the hand-over: a waiter whose wait runs out just
    # as it is handed the lock must hold it (and release it), never leave it owned
    turns, inside, overlaps, lock = Turns(), [0], [0], threading.Lock()
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    def work(seed: int) -> None:
        chosen = random.Random(seed)
        for _ in range(1500):
            if not turns.acquire(timeout=chosen.choice((0, 1e-5, 1e-4, 1e-3, 1e-2))):
                continue
            nested = chosen.random() < 0.3
            if nested:
                assert turns.acquire(timeout=0)
            with lock:
                inside[0] += 1
                overlaps[0] += inside[0] != 1
            time.sleep(0)
            with lock:
                inside[0] -= 1
            if nested:
                turns.release()
            turns.release()

    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert overlaps == [0]
    assert turns.free and turns.waiting == 0


def test_only_select_is_read_alone() -> None:
    assert not writes("  select 1")
    assert writes("INSERT INTO t DEFAULT VALUES")
    assert writes("WITH x AS (SELECT 1) DELETE FROM t")
    assert writes("PRAGMA wal_checkpoint(PASSIVE)")
