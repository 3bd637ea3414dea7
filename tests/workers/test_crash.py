"""Kill the worker with SIGKILL at random points, many times, then let it finish: every
message (OIOXML letters and FHIR CareCommunications) is published once, every received
letter or CareCommunication is journaled as delivered once and given to the hook under one
delivery id, and the journal agrees with the network."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.sandbox.addressing import read_address
from medcom_adapter.sandbox.counterparts import GpSystem
from medcom_adapter.sandbox.standard import standard_network
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers.submit import queue_km, queue_referral
from medcom_adapter.workers.submit_fhir import queue_care_communication
from tests.conftest import FIXTURES, ROOT
from tests.workers.crash_worker import journal_in

PPR, GP = "5790000123452", "5790000121526"
RUNS = 30
KMS = 8
CARE_COMMUNICATIONS = 4
LETTERS = ("XDIS91", "XREF01", "XBIN02", "CareCommunication")
ANSWERS = {"XDIS91": "XCTL03", "CareCommunication": "Acknowledgement"}


class CountingProvider:
    """The network's side of our mailbox, counting every file it takes from us."""

    def __init__(self, mailbox: VansMailbox) -> None:
        self._inner = mailbox.provider
        self.published: Counter[str] = Counter()

    def collect(self) -> list[tuple[str, bytes]]:
        taken = self._inner.collect()
        for _, data in taken:
            address = read_address(data)
            assert address is not None
            self.published[f"{address.kind} {address.envelope_id}"] += 1
        return taken

    def deposit(self, name: str, data: bytes) -> None:
        self._inner.deposit(name, data)


def worker(root: Path, *, until_quiet: bool = False,
           kill_at: int = 0) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "tests.workers.crash_worker", str(root)]
    args += ["--kill-at", str(kill_at)] if kill_at else []
    if until_quiet:
        return subprocess.Popen([*args, "--until-quiet"], cwd=ROOT, stdout=subprocess.DEVNULL)
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE)


def test_killing_the_worker_anywhere_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    directory = Directory.load(FIXTURES / "network" / "receivers.json")
    requests = FIXTURES / "requests"
    journal = journal_in(tmp_path)
    km = json.loads((requests / "km-gp.json").read_text(encoding="utf-8"))
    km["attachments"] = []
    for _ in range(KMS):
        queue_km(journal, directory, km, files=requests)
    for _ in range(CARE_COMMUNICATIONS):
        queue_care_communication(journal, directory, km, files=requests)
    queue_referral(journal, directory,
                   json.loads((requests / "referral-bup.json").read_text(encoding="utf-8")),
                   files=requests)
    queued = {s.message.envelope_id for s in journal.find(Query(direction=Direction.OUTBOUND))}
    journal.close()

    provider = CountingProvider(VansMailbox(tmp_path / "net" / PPR))
    network = standard_network(directory, {PPR: provider})
    rng = random.Random(20261122)
    self_killed = 0
    for _ in range(RUNS):
        process = worker(tmp_path, kill_at=rng.randint(1, 12))
        assert process.stdout is not None
        process.stdout.readline()  # "ready", or nothing when it killed itself at once
        try:
            process.wait(timeout=0.3)
            self_killed += 1
        except subprocess.TimeoutExpired:  # out of work before its kill point
            process.send_signal(signal.SIGKILL)
            process.wait()
        process.stdout.close()
        assert process.returncode == -signal.SIGKILL
        network.step()
    print(f"{self_killed} of {RUNS} runs killed at a chosen durable step")
    assert self_killed >= 10, "kills land at chosen durable steps, not only when idle"
    for _ in range(20):  # now let it finish
        process = worker(tmp_path, until_quiet=True)
        assert process.wait(timeout=60) == 0
        if not network.step() and network.idle and not any(provider._inner.collect()):
            break

    journal = journal_in(tmp_path)
    letters = [s for s in journal.find(Query(direction=Direction.OUTBOUND))
               if s.message.kind in LETTERS]
    assert {s.message.envelope_id for s in letters} == queued
    assert {s.status for s in letters} == {Status.ACKNOWLEDGED}
    for stored in letters:  # published exactly once, whatever the kills interrupted
        assert provider.published[f"{stored.message.kind} {stored.message.envelope_id}"] == 1

    gp = network._counterparts[GP]
    assert isinstance(gp, GpSystem) and gp.replies_sent == KMS + CARE_COMMUNICATIONS
    assert len(gp.fhir.accepted) == CARE_COMMUNICATIONS
    replies = [s for kind in ANSWERS
               for s in journal.find(Query(direction=Direction.INBOUND, kind=kind))]
    assert Counter(s.message.kind for s in replies) == {"XDIS91": KMS,
                                                        "CareCommunication": CARE_COMMUNICATIONS}
    assert {s.status for s in replies} == {Status.DELIVERED}
    hook_calls = (tmp_path / "hook.log").read_text().split()
    assert sorted(set(hook_calls)) == sorted(f"{GP}:{s.message.message_id}" for s in replies)
    for reply in replies:  # each answered with a positive receipt / ack that went out
        kinds = [(journal.get(a).message.kind, journal.get(a).status) for a in reply.answered_by]
        assert (ANSWERS[reply.message.kind], Status.SENT) in kinds
    assert journal.verify().intact
