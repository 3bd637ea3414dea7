"""The worker the fault-injection campaign kills: outbox and inbox over one mailbox folder.

:func:`work` runs in a forked child of the campaign (forking is what keeps hundreds of kills
fast: nothing is imported again). With ``kill_at`` N it SIGKILLs itself just before its
N-th durable step: a journal write (append, status change, lease, file claim, its decision
and settlement), the end of a journal block, a publish to the mailbox, a settle or a hook
call; so kills land on every kind of durable step. Otherwise it works until killed from
outside (a random moment), or with ``until_quiet`` until a round finds nothing to do.

Every hook call appends ``<delivery id> <journal id>`` to ``hook.log`` (one write, fsynced),
so the campaign sees each delivery the case system was handed.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.addressing.dnhf import DnhfTransport
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import FileClaim, Journal, NewMessage, Status
from medcom_adapter.transport.interface import Parcel, Received
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers.hooks import Delivery
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox, OutboxSettings
from tests.conftest import FIXTURES

PPR = "5790000123452"


class _Countdown:
    def __init__(self, n: int | None) -> None:
        self.n = n

    def tick(self) -> None:
        if self.n is not None:
            self.n -= 1
            if self.n <= 0:
                os.kill(os.getpid(), signal.SIGKILL)


def journal_at(root: Path, url: str) -> Journal:
    """The campaign's journal (``url``), its key file in ``root``."""
    return open_journal(url, env={"MEDCOM_DATA_DIR": str(root)})


class _Ticking:
    """The journal, with a tick before every durable step (the kill points)."""

    def __init__(self, inner: Journal, tick: Callable[[], None]) -> None:
        self._inner, self._tick = inner, tick

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def append(self, message: NewMessage, status: Status, *, actor: str = "system") -> int:
        self._tick()
        return self._inner.append(message, status, actor=actor)

    def append_many(self, messages: Sequence[NewMessage], status: Status, *,
                    actor: str = "system") -> Sequence[int]:
        self._tick()
        return self._inner.append_many(messages, status, actor=actor)

    def set_status(self, id: int, status: Status, *, reason: str | None = None,
                   leaving: Status | None = None) -> None:
        self._tick()
        self._inner.set_status(id, status, reason=reason, leaving=leaving)

    def set_statuses(self, changes: Sequence[tuple[int, Status, str | None]], *,
                     leaving: Status) -> Sequence[int]:
        self._tick()
        return self._inner.set_statuses(changes, leaving=leaving)

    def claim(self, status: Status, limit: int, *, lease_seconds: float = 60.0) -> Sequence[int]:
        self._tick()
        return self._inner.claim(status, limit, lease_seconds=lease_seconds)

    def claim_file(self, name: str, digest: str, *, owner: str,
                   lease_seconds: float) -> FileClaim | None:
        self._tick()
        return self._inner.claim_file(name, digest, owner=owner, lease_seconds=lease_seconds)

    def claim_files(self, files: Sequence[tuple[str, str]], *, owner: str,
                    lease_seconds: float) -> Sequence[FileClaim | None]:
        self._tick()
        return self._inner.claim_files(files, owner=owner, lease_seconds=lease_seconds)

    def keep_file(self, claim: int, *, owner: str, lease_seconds: float) -> bool:
        self._tick()
        return self._inner.keep_file(claim, owner=owner, lease_seconds=lease_seconds)

    def decide_file(self, claim: int, outcome: str, message: int | None, *,
                    owner: str) -> bool:
        self._tick()
        return self._inner.decide_file(claim, outcome, message, owner=owner)

    def decide_files(self, decisions: Sequence[tuple[int, str, int | None]], *,
                     owner: str) -> Sequence[int]:
        self._tick()
        return self._inner.decide_files(decisions, owner=owner)

    def settle_file(self, claim: int) -> None:
        self._tick()
        self._inner.settle_file(claim)

    def settle_files(self, claims: Sequence[int]) -> None:
        self._tick()
        self._inner.settle_files(claims)

    @contextmanager
    def atomic(self, *, alone: bool = False) -> Iterator[None]:
        with self._inner.atomic(alone=alone):
            yield
            self._tick()  # just before the block commits (or, nested, is released)


def work(root: Path, url: str, *, kill_at: int | None, until_quiet: bool,
         lease: float) -> None:
    countdown = _Countdown(kill_at)
    journal = cast(Journal, _Ticking(journal_at(root, url), countdown.tick))
    directory = Directory.load(FIXTURES / "network" / "receivers.json")
    mailbox = VansMailbox(root / "net" / PPR)
    send, settle = mailbox.send, mailbox.settle

    def ticking_send(parcel: Parcel) -> None:
        countdown.tick()
        send(parcel)

    def ticking_settle(received: Received) -> None:
        countdown.tick()
        settle(received)

    mailbox.send = ticking_send  # type: ignore[method-assign]
    mailbox.settle = ticking_settle  # type: ignore[method-assign]
    log = os.open(root / "hook.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def hook(delivery: Delivery) -> None:
        countdown.tick()
        os.write(log, f"{delivery.delivery_id} {delivery.journal_id}\n".encode())
        os.fsync(log)

    outbox = Outbox(journal, DnhfTransport(mailbox, directory), directory,
                    settings=OutboxSettings(lease_seconds=lease))
    inbox = Inbox(journal, mailbox, hook, lease_seconds=lease)
    while True:
        sent = outbox.run_once().sent
        taken = inbox.run_once()
        if until_quiet and not sent and not (taken.delivered or taken.receipts
                                             or taken.duplicates or taken.refused):
            return
