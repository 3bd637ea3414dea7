"""The worker the crash test kills: outbox and inbox over a mailbox folder, forever.

``python -m tests.workers.crash_worker DIR [--kill-at N | --until-quiet]``. With
``--kill-at N`` it SIGKILLs itself just before its N-th durable step (a journal write, the
end of a journal block, a publish to the mailbox, a settle or a hook call), so the crash
test hits every kind of point deterministically; if it runs out of work first, it is killed
from outside.
Every hook call appends the delivery id to ``DIR/hook.log`` (fsynced), so the test can see
each delivery the hook was given. The journal is the product's SQLite journal in ``DIR``.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.addressing.dnhf import DnhfTransport
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Journal, NewMessage, Status
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


def journal_in(root: Path) -> Journal:
    """The SQLite journal (and its key file) in ``root``."""
    return open_journal(f"sqlite:///{root / 'journal.sqlite3'}",
                        env={"MEDCOM_DATA_DIR": str(root)})


class _Ticking:
    """The journal, with a tick before every write (the kill points)."""

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

    def set_status(self, id: int, status: Status, *, reason: str | None = None) -> None:
        self._tick()
        self._inner.set_status(id, status, reason=reason)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._inner.atomic():
            yield
            self._tick()  # just before the block commits (or, nested, is released)


def main(root: Path, until_quiet: bool, kill_at: int | None) -> None:
    countdown = _Countdown(kill_at)
    journal = cast(Journal, _Ticking(journal_in(root), countdown.tick))
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
        os.write(log, f"{delivery.delivery_id}\n".encode())
        os.fsync(log)

    # a killed worker's leases must not hold up the next one for long
    outbox = Outbox(journal, DnhfTransport(mailbox, directory), directory,
                    settings=OutboxSettings(lease_seconds=0.5))
    inbox = Inbox(journal, mailbox, hook)
    print("ready", flush=True)
    while True:
        sent = outbox.run_once().sent
        taken = inbox.run_once()
        if until_quiet and not sent and not (taken.delivered or taken.receipts
                                             or taken.duplicates or taken.refused):
            return


if __name__ == "__main__":
    kill_at = int(sys.argv[sys.argv.index("--kill-at") + 1]) if "--kill-at" in sys.argv else None
    main(Path(sys.argv[1]), "--until-quiet" in sys.argv, kill_at)
