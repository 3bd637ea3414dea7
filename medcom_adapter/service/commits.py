"""Group commit: the sends that wait for the journal at the same moment are written in one
durable commit, and each is answered only once that commit is on disk.

A durable commit costs a disk flush, and the journal writes one transaction at a time: under
concurrent clients, each send waited for every earlier one's flush. Here the first send to
arrive leads: it writes itself and every send waiting by then in one transaction, each in
a savepoint of its own (a send that fails is undone alone, as if it had been written by
itself), and commits once. Sends arriving meanwhile wait together; when the commit is done,
the oldest of them leads the next batch. Nothing changes for what a send sees: its work
runs in a transaction, under its own context (log fields), and returns or raises as before,
only after the commit. If the commit itself fails, every send of the batch fails with it.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from medcom_adapter.journal.interface import Journal

T = TypeVar("T")
MOST = 32  # sends in one commit: bounds how long a batch holds the journal


class _Send(Generic[T]):
    __slots__ = ("context", "done", "error", "lead", "turn", "value", "work")

    def __init__(self, work: Callable[[], T]) -> None:
        self.work, self.context = work, contextvars.copy_context()
        self.turn = threading.Event()  # set when done, or when it is to lead the next batch
        self.done = self.lead = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # set when there is no error


class GroupCommit:
    """Runs each send's journal writes in a commit shared with the sends waiting with it."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._mutex = threading.Lock()
        self._waiting: list[_Send[Any]] = []
        self._leading = False  # a batch is being written

    @property
    def leading(self) -> bool:
        """A batch is being written."""
        with self._mutex:
            return self._leading

    @property
    def waiting(self) -> int:
        """Sends waiting for the next batch."""
        with self._mutex:
            return len(self._waiting)

    def run(self, work: Callable[[], T]) -> T:
        """``work``'s result (or exception) once its writes are committed."""
        send = _Send(work)
        with self._mutex:
            self._waiting.append(send)
            send.lead = not self._leading
            self._leading = True
        if not send.lead:
            send.turn.wait()
        if send.done:
            return send.outcome()
        with self._mutex:  # leading: the oldest waiting, itself first
            batch, self._waiting = self._waiting[:MOST], self._waiting[MOST:]
        try:
            self._commit(batch)
        finally:
            with self._mutex:
                if self._waiting:
                    self._waiting[0].turn.set()  # the oldest leads the next batch
                else:
                    self._leading = False
            for each in batch:
                each.done = True
                each.turn.set()
        return send.outcome()

    def _commit(self, batch: list[_Send[Any]]) -> None:
        try:
            with self._journal.atomic():
                for send in batch:
                    try:
                        with self._journal.atomic():  # a savepoint: undone alone
                            send.value = send.context.run(send.work)
                    except Exception as exc:
                        send.error = exc
        except BaseException as exc:  # nothing of the batch is committed
            for send in batch:
                send.value, send.error = None, send.error or exc
            if not isinstance(exc, Exception):
                raise
