"""One unit's node: journal + receivers directory + channels + outbox and inbox, wired once.

:func:`wire` is the one place that says how they fit together, used by the CLI's
``send``/``poll``/``run``/``resend``, the service's background workers and the sandbox
harness: it builds the node's channels once (VANS over the mailbox, with DNHF routing in
front of it when the directory names a DNHF; EHMI beside it when given, as an
:class:`~medcom_adapter.ehmi_client.side.EhmiSide` built from the operator's settings or by
the sandbox) and gives the same channels to the outbox, which sends on them, and the inbox,
which opens what arrives on them; a round also delivers the EDS reports EHMI queued. A new
transport is a new channel, wired here and nowhere else.

The service runs the workers beside it so what the pages queue travels. On the embedded
defaults they carry messages over the in-process sandbox network (DNHF,
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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.addressing.dnhf import DnhfTransport
from medcom_adapter.addressing.senders import sender_sor
from medcom_adapter.channels import Channel, Channels, VansChannel
from medcom_adapter.ehmi_client.side import EhmiSide
from medcom_adapter.errors import MedComError, ResourceFault
from medcom_adapter.journal.interface import Journal
from medcom_adapter.model.ids import IdSource
from medcom_adapter.transport.interface import Transport
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers.checked import Checked
from medcom_adapter.workers.hooks import CollectingHook, Hook
from medcom_adapter.workers.inbox import Inbox, InboxRun
from medcom_adapter.workers.outbox import Outbox, OutboxRun, OutboxSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Node:
    """A unit on the network: what it sends leaves through ``outbox``, what arrives in
    ``mailbox`` is taken by ``inbox``."""

    journal: Journal
    directory: Directory
    mailbox: Transport
    channels: Channels
    checked: Checked  # what this node built and validated: its outbox need not again
    outbox: Outbox
    inbox: Inbox
    ehmi: EhmiSide | None = None

    def round(self) -> tuple[InboxRun, OutboxRun, int]:
        """Take what arrived, send what is queued, deliver the EDS reports that queued,
        mark what is overdue: one worker round. Returns the inbox's run, the outbox's run and
        how many timed out."""
        self.checked.expire()  # first: held bytes go after their time even if a step fails
        taken = self.inbox.run_once()
        sent = self.outbox.run_once()
        if self.ehmi is not None and self.ehmi.report is not None:
            self.ehmi.report()
        return taken, sent, len(self.outbox.overdue())

    def close(self) -> None:
        """Close the EHMI clients (the journal is the caller's)."""
        if self.ehmi is not None:
            self.ehmi.close()


def wire(
    journal: Journal, directory: Directory, mailbox: Transport, *, hook: Hook | None = None,
    clock: Callable[[], datetime] | None = None, settings: OutboxSettings | None = None,
    ids: IdSource | None = None, checked: Checked | None = None,
    ehmi: EhmiSide | None = None,
) -> Node:
    """The outbox and inbox of the unit whose VANS mailbox is ``mailbox`` (and, with
    ``ehmi``, whose EHMI access point, EDS reporter and EER look-up that side names)."""
    timed: dict[str, Any] = {"clock": clock} if clock is not None else {}
    channels = Channels(channels_of(directory, mailbox, journal, ehmi), directory,
                        lookup=ehmi.lookup if ehmi is not None else None)
    checked = checked or Checked()
    outbox = Outbox(journal, None, directory, channels=channels, settings=settings, ids=ids,
                    checked=checked, **timed)
    inbox = Inbox(journal, None, hook or CollectingHook(), channels=channels, ids=ids,
                  directory=directory, checked=checked,
                  lease_seconds=settings.lease_seconds if settings else None, **timed)
    return Node(journal, directory, mailbox, channels, checked, outbox, inbox, ehmi)


def channels_of(directory: Directory, mailbox: Transport, journal: Journal | None = None,
                ehmi: EhmiSide | None = None) -> list[Channel]:
    """The node's channels, the first the one answers and unlisted receivers take: VANS,
    then EHMI when it is given (its EDS reports queued in ``journal``)."""
    routed = DnhfTransport(mailbox, directory) if directory.dnhf else None
    channels: list[Channel] = [VansChannel(mailbox, sending=routed)]
    if ehmi is not None:
        from medcom_adapter.channels.ehmi import EhmiChannel

        channels.append(EhmiChannel(ehmi.access_point, eds=journal.eds if journal else None,
                                    reporter=ehmi.reporter,
                                    sor_of=lambda gln: sender_sor(directory, ean=gln)))
    return channels


class WorkerLoop:
    """Calls ``step`` every ``interval`` seconds on a daemon thread until stopped."""

    def __init__(self, step: Callable[[], object], *, interval: float = 0.5,
                 on_stop: Callable[[], None] | None = None,
                 checked: Checked | None = None) -> None:
        self._step = step
        self.checked = checked  # the node's: what is queued beside it need not be validated twice
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
                 interval: float = 0.5, close: bool = False,
                 ehmi: EhmiSide | None = None) -> WorkerLoop:
    """Outbox, sandbox network and inbox in turn, for the unit with location number
    ``unit_ean`` (on EHMI too, with ``ehmi``); ``close`` closes the journal when the loop
    stops."""
    from medcom_adapter.sandbox.harness import Harness  # the sandbox only when asked for

    harness = Harness(journal, directory, unit_ean=unit_ean, hook=hook, side=ehmi)

    def step() -> None:
        harness.pump()
        harness.outbox.overdue()

    return WorkerLoop(step, interval=interval, on_stop=_closing(journal if close else None, ehmi),
                      checked=harness.checked)


def mailbox_loop(journal: Journal, directory: Directory, *, mailbox: Path, hook: Hook,
                 interval: float = 5.0, close: bool = False, ehmi: EhmiSide | None = None,
                 settings: OutboxSettings | None = None) -> WorkerLoop:
    """Inbox and outbox over the VANS provider client's mailbox folder (and EHMI's access
    point, with ``ehmi``)."""
    node = wire(journal, directory, VansMailbox(mailbox), hook=hook, ehmi=ehmi,
                settings=settings)

    def step() -> None:
        node.round()

    return WorkerLoop(step, interval=interval, on_stop=_closing(journal if close else None, ehmi),
                      checked=node.checked)


def _closing(journal: Journal | None, ehmi: EhmiSide | None) -> Callable[[], None] | None:
    if journal is None and ehmi is None:
        return None

    def close() -> None:
        if ehmi is not None:
            ehmi.close()
        if journal is not None:
            journal.close()

    return close
