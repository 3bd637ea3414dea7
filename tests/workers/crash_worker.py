"""The worker the crash test kills: outbox and inbox over a mailbox folder, forever.

``python -m tests.workers.crash_worker DIR [--until-quiet]``; prints ``ready`` once set up.
Every hook call appends the delivery id to ``DIR/hook.log`` (fsynced), so the test can see
each delivery the hook was given.
"""

from __future__ import annotations

import os
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


def main(root: Path, until_quiet: bool) -> None:
    journal = DurableJournal(root / "journal.log")
    directory = Directory.load(FIXTURES / "network" / "receivers.json")
    mailbox = VansMailbox(root / "net" / PPR)
    log = os.open(root / "hook.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def hook(delivery: Delivery) -> None:
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
    main(Path(sys.argv[1]), "--until-quiet" in sys.argv)
