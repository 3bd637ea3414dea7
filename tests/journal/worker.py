"""A separate process working on a shared journal: ``python -m tests.journal.worker``.

``append URL NAME N``: appends N referrals (singly and in small batches) named NAME-n.
``claim URL``: claims queued messages until none is left, marks each sent, prints their ids.
``race URL N up|down``: moves messages 1..N (in that order) queued -> sent ->
acknowledged, each change compare-and-set; prints how many changes this process made
(another races it from the other end: they change different messages at once, then meet).
``die-inside URL``: appends one referral, then SIGKILLs itself inside an atomic block that
has appended a receipt for it and marked it sent.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys

from medcom_adapter.errors import TransitionRefused
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Status
from tests.journal.samples import receipt, referral


def main(command: str, url: str, *rest: str) -> None:
    journal = open_journal(url)
    if command == "append":
        name, count = rest[0], int(rest[1])
        pending = []
        for n in range(count):
            message = dataclasses.replace(referral(n), envelope_id=f"{name}-{n}")
            if n % 3:
                journal.append(message, Status.QUEUED)
            else:
                pending.append(message)
            if len(pending) == 4:
                journal.append_many(pending, Status.QUEUED)
                pending = []
        journal.append_many(pending, Status.QUEUED)
    elif command == "race":
        made = 0
        order = list(range(1, int(rest[0]) + 1))
        for id in order if rest[1] == "up" else order[::-1]:
            for leaving, entering in ((Status.QUEUED, Status.SENT),
                                      (Status.SENT, Status.ACKNOWLEDGED)):
                try:
                    journal.set_status(id, entering, leaving=leaving)
                    made += 1
                except TransitionRefused:
                    pass  # the other process made this change first
        print(made)
    elif command == "read":  # audited reads, each chained after whichever came before
        name, count = rest[0], int(rest[1])
        for n in range(count):
            journal.get(n % 3 + 1, actor=f"cli:{name}")
    elif command == "die-inside":
        sent = journal.append(referral(1), Status.QUEUED)
        with journal.atomic():
            journal.set_status(sent, Status.SENT)
            journal.append(receipt(sent), Status.RECEIVED)
            os.kill(os.getpid(), signal.SIGKILL)
    else:
        claimed: list[int] = []
        while ids := journal.claim(Status.QUEUED, 3):
            for id in ids:
                journal.set_status(id, Status.SENT)
            claimed += ids
        print(json.dumps(claimed))
    journal.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
