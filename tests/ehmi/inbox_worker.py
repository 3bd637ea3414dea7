"""An inbox worker in a process of its own, taking ehmiSBDHs from a folder, for the kill
test: ``python -m tests.ehmi.inbox_worker ROOT OWNER [die]`` runs one inbox round as
``OWNER`` (the same owner again is the same worker restarted); with ``die`` it kills itself
the moment the case system's hook is called: after the decision's commit, before any EDS
report has left. The journal and its key come from the environment."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from medcom_adapter.channels import Channels
from medcom_adapter.channels.ehmi import EhmiChannel
from medcom_adapter.ehmi.eds import Reporter
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers.hooks import Delivery
from medcom_adapter.workers.inbox import Inbox
from tests.ehmi.network import DEVICE


def main(root: str, owner: str, die: bool) -> int:
    journal = open_journal()
    delivered: list[str] = []

    def hook(delivery: Delivery) -> None:
        if die:
            os.kill(os.getpid(), signal.SIGKILL)
        delivered.append(delivery.delivery_id)

    channels = Channels([EhmiChannel(VansMailbox(Path(root), quiet_seconds=0),
                                     eds=journal.eds, reporter=Reporter(DEVICE))])
    inbox = Inbox(journal, None, hook, channels=channels)
    inbox.owner = owner
    try:
        inbox.run_once()
    finally:
        journal.close()
    print(len(delivered))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:] == ["die"]))
