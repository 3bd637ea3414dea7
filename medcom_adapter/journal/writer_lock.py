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
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# as the connections' busy_timeout: a writer that waited this long goes on to SQLite,
# whose busy handler then refuses it as it always did (a lock never turns into a hang)
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

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me or (self._owner is None and not self._waiting):
                self._owner, self._depth = me, self._depth + 1
                return True
            turn = (me, threading.Lock())
            turn[1].acquire()
            self._waiting.append(turn)
        if turn[1].acquire(timeout=timeout):
            return True  # handed over by release(), which made this thread the owner
        with self._guard:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return False
        return True  # handed over as the wait ran out

    def release(self) -> None:
        with self._guard:
            if self._owner != threading.get_ident():
                raise RuntimeError("released by a thread that does not hold it")
            self._depth -= 1
            if self._depth:
                return
            if self._waiting:  # straight to the first waiter: no one can take it between
                self._owner, gate = self._waiting.popleft()
                self._depth = 1
                gate.release()
            else:
                self._owner = None


_locks: dict[tuple[int, int], Turns] = {}
_guard = threading.Lock()


def _forget() -> None:
    """In a forked child: none of the parent's threads is there to release a lock it held
    (nor may the child use the parent's connections), so files start with fresh locks."""
    global _guard
    _locks.clear()
    _guard = threading.Lock()


os.register_at_fork(after_in_child=_forget)


def for_file(path: Path) -> Turns:
    """The lock of the database file at ``path`` (which exists): one per file, however it is
    named (a link, a relative path), shared by every connection to it in this process.
    Re-entrant: a thread that writes through a second connection while its first holds
    the lock meets SQLite's busy handler, as it would without the lock, not a deadlock."""
    found = os.stat(path)
    with _guard:
        return _locks.setdefault((found.st_dev, found.st_ino), Turns())


@contextmanager
def writing(lock: Turns) -> Iterator[None]:
    """Hold ``lock`` while the block writes (or, after ``WAIT_SECONDS``, go on without it)."""
    held = lock.acquire(timeout=WAIT_SECONDS)
    try:
        yield
    finally:
        if held:
            lock.release()


def writes(sql: str) -> bool:
    """Whether a statement run outside a transaction may write (every one but a SELECT)."""
    return not sql.lstrip()[:6].upper().startswith("SELECT")
