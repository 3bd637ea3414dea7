"""SQLite's checkpoint, moved off the committing thread.

In WAL mode a commit appends its pages to the write-ahead log and syncs it; a checkpoint
later copies them into the database file and syncs that. SQLite checkpoints by itself on
the connection whose commit takes the log past a threshold, so one request in every dozen
or so also paid for reading back and rewriting the pages of all the commits before it.
Here a thread with a connection of its own does it after commits (a ``PASSIVE``
checkpoint: it waits for no reader and no writer, and appending goes on meanwhile).
Durability does not depend on it: a commit is on disk once the log is synced, and the
committing connection keeps SQLite's own checkpoint, at a higher threshold, for when this
thread falls behind (or is not running: it starts at the first commit and stops when the
journal has been idle a while, so an idle or forgotten journal holds no thread).

After a purge the log still holds the pages the erased values were on; a ``TRUNCATE``
checkpoint empties it. That one needs no reader on the log, so it is tried without waiting
(a reader is never held up, nor the purge) and again until it succeeds.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

# the committing connection's own checkpoint, in pages: only if this thread falls behind
FALLBACK_PAGES = 8000
_BATCH = 0.02  # seconds to let commits gather before the next checkpoint (one sync for all)
_IDLE = 2.0  # seconds without a commit before the thread stops
_RETRY = 0.2  # seconds between tries of a truncation a reader held up


class Checkpointer:
    """Checkpoints the database at ``path`` on a thread of its own after commits."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Condition()
        self._wake = threading.Event()  # a commit, or closing
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping: threading.Thread | None = None  # idle, closing its connection
        self._pending = 0  # commits since the last checkpoint began
        self._running = False
        self._asked = self._truncated = 0  # truncating checkpoints asked for, and done

    def committed(self) -> None:
        """A write transaction has committed: its pages are to go into the database file."""
        with self._lock:
            if self._closing.is_set():
                return
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name=f"checkpoint {self._path.name}")
                self._thread.start()
        self._wake.set()

    def truncate(self) -> None:
        """Empty the log (its pages into the database file, the file cut to nothing)
        as soon as no reader is on it: values just erased are to leave it too."""
        with self._lock:
            if self._closing.is_set():
                return
            self._asked += 1
        self.committed()

    def truncated(self, timeout: float | None = None) -> bool:
        """Wait until no truncation is owed; whether none is within ``timeout``."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._owed, timeout)

    @property
    def _owed(self) -> bool:
        return self._truncated < self._asked

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until a checkpoint has run after every commit so far; whether it did
        within ``timeout``."""
        with self._lock:
            return self._lock.wait_for(
                lambda: self._thread is None or not (self._pending or self._running), timeout)

    def close(self) -> None:
        """Stop the thread (a checkpoint under way finishes first)."""
        with self._lock:
            self._closing.set()
            threads = [t for t in (self._thread, self._stopping) if t is not None]
        self._wake.set()
        for thread in threads:  # its connection closed before the journal's own
            thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None, timeout=0,
                                     check_same_thread=False)
        try:
            connection.execute("PRAGMA synchronous=FULL")
            while self._next():
                with self._lock:
                    asked, owed = self._asked, self._owed
                done = False
                try:
                    mode = "TRUNCATE" if owed else "PASSIVE"
                    busy = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
                    done = owed and busy[0][0] == 0  # 1: a reader or writer held it up
                except sqlite3.Error:  # another process checkpoints, a full disk: the
                    pass               # committing connection's own checkpoint remains
                finally:
                    with self._lock:
                        self._running = False
                        if done:  # what was asked until it began
                            self._truncated = max(self._truncated, asked)
                        self._lock.notify_all()
                self._closing.wait(_BATCH)  # commits gather meanwhile: one sync for them
        finally:
            connection.close()
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
                self._lock.notify_all()

    def _next(self) -> bool:
        """Wait for commits and take them; False when the thread is to stop (closing, or
        idle: then, under the lock, the next commit starts another thread)."""
        with self._lock:
            owed = self._owed
        woken = self._wake.wait(_RETRY if owed else _IDLE)
        with self._lock:
            self._wake.clear()
            if self._closing.is_set() or not (woken or self._pending or self._owed):
                self._thread, self._stopping = None, threading.current_thread()
                return False
            self._pending, self._running = 0, True
            return True
