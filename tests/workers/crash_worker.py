"""The worker the crash test kills: outbox and inbox over a mailbox folder, forever.

``python -m tests.workers.crash_worker DIR [--kill-at N | --until-quiet]``. With
``--kill-at N`` it SIGKILLs itself just before its N-th durable step (a journal write, a
publish to the mailbox, a settle or a hook call), so the crash test hits every kind of
point deterministically; if it runs out of work first, it is killed from outside.
Every hook call appends the delivery id to ``DIR/hook.log`` (fsynced), so the test can see
each delivery the hook was given.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from medcom_adapter.transport.directory import Directory
from medcom_adapter.transport.dnhf import DnhfTransport
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers.hooks import Delivery
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox
from tests.conftest import FIXTURES
from tests.workers.durable_journal import DurableJournal

PPR = "5790000123452"


class _Countdown:
    def __init__(self, n: int | None) -> None:
        self.n = n

    def tick(self) -> None:
        if self.n is not None:
            self.n -= 1
            if self.n <= 0:
                os.kill(os.getpid(), signal.SIGKILL)


def main(root: Path, until_quiet: bool, kill_at: int | None) -> None:
    countdown = _Countdown(kill_at)
    journal = DurableJournal(root / "journal.log", before_write=countdown.tick)
    directory = Directory.load(FIXTURES / "network" / "receivers.json")
    mailbox = VansMailbox(root / "net" / PPR)
    send, settle = mailbox.send, mailbox.settle
    mailbox.send = lambda parcel: (countdown.tick(), send(parcel))[1]  # type: ignore[method-assign]
    mailbox.settle = lambda r: (countdown.tick(), settle(r))[1]  # type: ignore[method-assign]
    log = os.open(root / "hook.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def hook(delivery: Delivery) -> None:
        countdown.tick()
        os.write(log, f"{delivery.delivery_id}\n".encode())
        os.fsync(log)

    outbox = Outbox(journal, DnhfTransport(mailbox, directory), directory)
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
