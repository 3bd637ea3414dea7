"""The outbox and inbox workers, run beside the service so what the pages queue travels.

On the embedded defaults they carry messages over the in-process sandbox network (DNHF,
the BUP departments and the GPs answer as the sandbox plays them); with a VANS mailbox
folder configured they use that instead. Either way they run on a thread of their own
with a journal of their own (a second connection to the same store: the stores are safe
for several processes), started and stopped with the application. A failed round is
logged by error code only (messages may quote patient data) and the next round tries
again: nothing is lost, as the workers are crash-safe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.addressing.dnhf import DnhfTransport
from medcom_adapter.errors import MedComError, ResourceFault
from medcom_adapter.journal.interface import Journal
from medcom_adapter.sandbox.harness import Harness
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers.hooks import Hook
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox

log = logging.getLogger(__name__)


class WorkerLoop:
    """Calls ``step`` every ``interval`` seconds on a daemon thread until stopped."""

    def __init__(self, step: Callable[[], object], *, interval: float = 0.5,
                 on_stop: Callable[[], None] | None = None) -> None:
        self._step = step
        self._interval = interval
        self._on_stop = on_stop
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="medcom-workers", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the current round, then stop (and close what the loop owns)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._on_stop is not None:
            self._on_stop()

    def _run(self) -> None:
        wait = self._interval
        while not self._stop.is_set():
            try:
                self._step()
                wait = self._interval
            except ResourceFault as exc:  # disk or database: back off, doubling, to 5 min
                wait = min(max(wait * 2, 1.0), 300.0)
                log.error("worker round failed: %s; trying again in %.0f s", exc.code, wait)
            except MedComError as exc:
                log.error("worker round failed: %s", exc.code)
            except Exception as exc:  # the loop must outlive one bad round
                log.error("worker round failed: %s", type(exc).__name__)
            self.rounds += 1
            self._stop.wait(wait)


def sandbox_loop(journal: Journal, directory: Directory, *, unit_ean: str, hook: Hook,
                 interval: float = 0.5, close: bool = False) -> WorkerLoop:
    """Outbox, sandbox network and inbox in turn, for the unit with location number
    ``unit_ean``; ``close`` closes the journal when the loop stops."""
    harness = Harness(journal, directory, unit_ean=unit_ean, hook=hook)

    def step() -> None:
        harness.pump()
        harness.outbox.overdue()

    return WorkerLoop(step, interval=interval, on_stop=journal.close if close else None)


def mailbox_loop(journal: Journal, directory: Directory, *, mailbox: Path, hook: Hook,
                 interval: float = 5.0, close: bool = False) -> WorkerLoop:
    """Inbox and outbox over the VANS provider client's mailbox folder."""
    box = VansMailbox(mailbox)
    outbox = Outbox(journal, DnhfTransport(box, directory) if directory.dnhf else box,
                    directory)
    inbox = Inbox(journal, box, hook)

    def step() -> None:
        inbox.run_once()
        outbox.run_once()
        outbox.overdue()

    return WorkerLoop(step, interval=interval, on_stop=journal.close if close else None)
