"""One writer at a time per SQLite file in this process, queued on a lock rather than
left to SQLite's busy handler.

SQLite lets one connection write at a time. Another that wants to write polls: its busy
handler sleeps 1, 2, 5, 10, ... then 100 ms between tries, however soon the lock comes
free. ``serve`` writes to one file from several connections in one process (the case
system's requests on one, the worker loop on its own), so a create could sleep 100 ms
behind a commit that took one. Connections to the same file in one process take this
lock around each write transaction instead, in the order they asked for it: the next
writer starts as soon as the last one has committed, and none is passed over (a plain
lock lets the thread that just released it take it again before a woken waiter runs).
Other processes still meet SQLite's busy handler, which remains the rule across
processes; the lock only orders writers that would otherwise poll.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from medcom_adapter.errors import ResourceFault
from medcom_adapter.journal.faults import SAFE

# as the connections' busy_timeout: a writer kept waiting this long by another connection
# in this process is refused as SQLite refuses one kept waiting by another process
WAIT_SECONDS = 30.0


class Turns:
    """A re-entrant lock taken in the order it was asked for."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiting: deque[tuple[int, threading.Lock]] = deque()

    @property
    def waiting(self) -> int:
        """How many threads wait for it."""
        with self._guard:
            return len(self._waiting)

    @property
    def free(self) -> bool:
        """Whether no thread holds it."""
        with self._guard:
            return self._owner is None

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me or (self._owner is None and not self._waiting):
                self._owner, self._depth = me, self._depth + 1
                return True
            turn = (me, threading.Lock())
            turn[1].acquire()
            self._waiting.append(turn)
        try:
            if turn[1].acquire(timeout=timeout):
                return True  # handed over by release(), which made this thread the owner
        except BaseException:  # interrupted while waiting: never left holding it unawares
            self._give_up(turn, handed=True)
            raise
        return not self._give_up(turn, handed=False)

    def _give_up(self, turn: tuple[int, threading.Lock], *, handed: bool) -> bool:
        """Leave the queue; True if ``turn`` was still in it. If it was handed over
        meanwhile, it is kept when ``handed`` is False (the wait ran out just as it came:
        the caller holds it) and passed on otherwise (the caller will not release it)."""
        with self._guard:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return True
            if handed:
                self._depth = 0
                self._hand_on()
            return False

    def release(self) -> None:
        with self._guard:
            if self._owner != threading.get_ident():
                raise RuntimeError("released by a thread that does not hold it")
            self._depth -= 1
            if not self._depth:
                self._hand_on()

    def _hand_on(self) -> None:
        """To the first waiter, straight (no one can take it between), or free. Under the
        guard, with the depth run down."""
        if self._waiting:
            self._owner, gate = self._waiting.popleft()
            self._depth = 1
            gate.release()
        else:
            self._owner = None


# one lock per file while a connection to it lives: a file deleted and another given its
# inode later does not inherit the old one's lock
_locks: weakref.WeakValueDictionary[tuple[int, int], Turns] = weakref.WeakValueDictionary()
_guard = threading.Lock()


def _forget() -> None:
    """In a forked child: none of the parent's threads is there to release a lock it held,
    so files opened in the child get fresh locks. (A connection carried over from the
    parent keeps its old lock; SQLite forbids using it in the child anyway.)"""
    global _locks, _guard
    _locks = weakref.WeakValueDictionary()
    _guard = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget)


def for_file(path: Path) -> Turns:
    """The lock of the database file at ``path`` (which exists): one per file, however it is
    named (a link, a relative path), shared by every connection to it in this process.
    Re-entrant: a thread that writes through a second connection while its first holds
    the lock meets SQLite's busy handler, as it would without the lock, not a deadlock."""
    found = os.stat(path)
    key = (found.st_dev, found.st_ino)
    with _guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = Turns()
        return lock


@contextmanager
def writing(lock: Turns, where: str) -> Iterator[None]:
    """Hold ``lock`` while the block writes. Kept waiting ``WAIT_SECONDS`` by another
    connection in this process, a ResourceFault, as SQLite's for another process."""
    if not lock.acquire(timeout=WAIT_SECONDS):
        raise ResourceFault(f"another connection in this process held the journal locked "
                            f"too long ({where}); {SAFE}")
    try:
        yield
    finally:
        lock.release()


def writes(sql: str) -> bool:
    """Whether a statement run outside a transaction may write (every one but a SELECT)."""
    return not sql.lstrip()[:6].upper().startswith("SELECT")
