"""The fault-injection campaign: workers SIGKILLed at durable steps and random moments, then
restarted, one or several at once on one journal and one mailbox, against the sandbox
network; afterwards everything is counted against what exactly-once promises.

One campaign queues a workload (KMs as XDIS91 and as CareCommunications to a GP, who
answers and replies to each; a referral with its PDF through DNHF; letters the GP starts
itself, already in our in-folder), then plays ``rounds`` rounds: ``workers`` worker
processes start together, each killing itself at a random durable step, the ones still
alive killed at a random moment, and the network moves the files. Then workers run
unharmed until nothing is left to do, and :class:`Tally` counts:

- on the wire: each of our letters published exactly once; each received letter answered
  (receipt or Acknowledgement) by exactly one published answer;
- at the case system: each received letter journaled once, ``delivered``, handed to the
  hook under one delivery id and one journal id (the hook is called again only after a
  kill between the hook and the journal; never more often than there were kills);
- no lost update (each of our letters ``acknowledged``, none put back), nothing stuck
  (nothing queued or received left, in- and out-folders empty), ``journal verify`` intact.

Used by the test suite (a short campaign per engine and worker count) and by ``make soak``
(``python -m tests.workers.soak``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.acknowledgement import from_bundle as read_ack
from medcom_adapter.journal.interface import Direction, Journal, Query, Status
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml import emessage
from medcom_adapter.sandbox.addressing import read_address
from medcom_adapter.sandbox.counterparts import GpSystem
from medcom_adapter.sandbox.network import Network
from medcom_adapter.sandbox.standard import standard_network
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers.submit import queue_km, queue_referral
from medcom_adapter.workers.submit_fhir import queue_care_communication
from tests.conftest import FIXTURES
from tests.workers.crash_worker import PPR, journal_at, work

GP = "5790000121526"
LETTERS = ("XDIS91", "XREF01", "XBIN02", "CareCommunication")  # ours, each owed an answer
RECEIVED = ("XDIS91", "CareCommunication")  # letters we receive
ANSWERS = ("XCTL03", "Acknowledgement")  # what we answer them with


@dataclass(frozen=True, slots=True)
class Workload:
    kms: int = 3  # XDIS91 to the GP, each replied to
    care_communications: int = 2  # CareCommunications to the GP, each replied to
    referrals: int = 1  # XREF01 + XBIN02 through DNHF
    letters: int = 5  # XDIS91 the GP starts, in our in-folder from the start


@dataclass
class Tally:
    runs: int = 0
    kills: int = 0
    messages: int = 0
    lost: int = 0
    duplicated: int = 0  # on the wire: a letter or an answer published twice
    duplicated_deliveries: int = 0
    lost_updates: int = 0
    stuck: int = 0
    broken: int = 0  # journal verify
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.duplicated_deliveries
                    or self.lost_updates or self.stuck or self.broken or self.problems)

    def add(self, other: Tally) -> None:
        for name in ("runs", "kills", "messages", "lost", "duplicated", "duplicated_deliveries",
                     "lost_updates", "stuck", "broken"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems += other.problems

    def line(self) -> str:
        return (f"{self.runs} runs, {self.kills} kills, {self.messages} messages: "
                f"{self.lost} lost, {self.duplicated} duplicated on the wire, "
                f"{self.duplicated_deliveries} duplicated deliveries, {self.lost_updates} "
                f"lost updates, {self.stuck} stuck, verify "
                + ("intact" if not self.broken else f"broken {self.broken}"))

    def fault(self, counter: str, problem: str) -> None:
        setattr(self, counter, getattr(self, counter) + 1)
        self.problems.append(problem)


class CountingProvider:
    """The network's side of our mailbox, counting every file it takes from us: each
    letter by kind and envelope id, each answer by the letter it answers."""

    def __init__(self, mailbox: VansMailbox) -> None:
        self._inner = mailbox.provider
        self.published: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()

    def collect(self) -> list[tuple[str, bytes]]:
        taken = self._inner.collect()
        for _, data in taken:
            address = read_address(data)
            assert address is not None
            self.published[f"{address.kind} {address.envelope_id}"] += 1
            for answered in answered_ids(data):
                self.answers[answered] += 1
        return taken

    def deposit(self, name: str, data: bytes) -> None:
        self._inner.deposit(name, data)


def answered_ids(data: bytes) -> list[str]:
    """The letter ids (MessageHeader ids) a receipt or Acknowledgement we sent answers."""
    if b"VANSEnvelope" in data[:4096]:
        envelope = vans.parse(data)
        if envelope.message is None:
            return []
        payload = fhir_payload.unwrap(envelope)
        if payload.document.kind != "Acknowledgement":
            return []
        bundle, _ = wire.load(payload.data)
        return [read_ack(bundle).acknowledged_id]
    letter = emessage.parse(data, validate=False).message.letters[0]
    return [o.identifier for o in letter.letters] if isinstance(letter, Receipt) else []


def gp_letters(directory: Directory, count: int) -> list[bytes]:
    """``count`` XDIS91 letters a GP starts to the PPR unit (each its own envelope)."""
    journal = _scratch()
    request = json.loads((FIXTURES / "requests" / "km-gp.json").read_text(encoding="utf-8"))
    request["attachments"] = []
    queued = queue_km(journal, directory, request, files=FIXTURES / "requests")
    km = emessage.parse(journal.get(queued.ids[0]).message.data).message.letters[0]
    assert isinstance(km, ClinicalEmail)
    gp = GpSystem(GP)
    return [gp._reply_xdis91(km, datetime.now()) for _ in range(count)]


def _scratch() -> Journal:
    from medcom_adapter.journal.memory import MemoryJournal

    return MemoryJournal()


def campaign(root: Path, url: str, *, workers: int, rounds: int, seed: int,
             workload: Workload = Workload(), lease: float = 1.0,
             most_steps: int = 30) -> Tally:
    """One campaign in ``root`` on the journal at ``url`` (empty); see the module doc."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "url").write_text(url)
    directory = Directory.load(FIXTURES / "network" / "receivers.json")
    requests = FIXTURES / "requests"
    journal = journal_at(root, url)
    km = json.loads((requests / "km-gp.json").read_text(encoding="utf-8"))
    km["attachments"] = []
    for _ in range(workload.kms):
        queue_km(journal, directory, km, files=requests)
    for _ in range(workload.care_communications):
        queue_care_communication(journal, directory, km, files=requests)
    referral = json.loads((requests / "referral-bup.json").read_text(encoding="utf-8"))
    for _ in range(workload.referrals):
        queue_referral(journal, directory, referral, files=requests)
    queued = {s.message.envelope_id for s in journal.find(Query(direction=Direction.OUTBOUND))}
    journal.close()

    mailbox = VansMailbox(root / "net" / PPR)
    provider = CountingProvider(mailbox)
    for n, letter in enumerate(gp_letters(directory, workload.letters)):
        provider.deposit(f"XDIS91_gp{n}.xml", letter)
    network = standard_network(directory, {PPR: provider})
    tally = Tally()

    def worker(kill_at: int | None, until_quiet: bool) -> Callable[[], None]:
        return lambda: work(root, url, kill_at=kill_at, until_quiet=until_quiet, lease=lease)

    for _ in range(rounds):
        pids = [_fork(root, worker(rng.randint(1, most_steps), False))
                for _ in range(workers)]
        tally.kills += _reap(root, pids, time.monotonic() + rng.uniform(0.3, 1.5), tally)
        tally.runs += 1
        network.step()
    _drain(root, workers, network, worker(None, True), lease, tally)
    _count(root, url, tally, queued, provider, network, workload)
    return tally


def _drain(root: Path, workers: int, network: Network, quiet_worker: Callable[[], None],
           lease: float, tally: Tally) -> None:
    """Workers unharmed until the journal, the mailbox and the network are all still."""
    for _ in range(60):
        pids = [_fork(root, quiet_worker) for _ in range(workers)]
        if _reap(root, pids, time.monotonic() + 120, tally):
            tally.problems.append("a worker did not finish its work within 120 s")
        moved = network.step()
        if not moved and network.idle and not _files(root / "net" / PPR / "in") \
                and not _files(root / "net" / PPR / "out"):
            if not _open_work(root):
                return
            time.sleep(lease)  # leases of killed workers still hold something
    tally.problems.append("the campaign did not settle")


def _open_work(root: Path) -> bool:
    """Whether the journal still has anything queued, received or leased."""
    url = (root / "url").read_text()
    journal = journal_at(root, url)
    try:
        return any(journal.find(Query(status=s, limit=1))
                   for s in (Status.QUEUED, Status.RECEIVED))
    finally:
        journal.close()


def _count(root: Path, url: str, tally: Tally, queued: set[str],
           provider: CountingProvider, network: Network, workload: Workload) -> None:
    journal = journal_at(root, url)
    try:
        ours = [s for s in journal.find(Query(direction=Direction.OUTBOUND, limit=100_000))
                if s.message.kind in LETTERS]
        if {s.message.envelope_id for s in ours} != queued:
            tally.fault("lost", "the journal's letters are not the ones queued")
        for stored in ours:
            times = provider.published[f"{stored.message.kind} {stored.message.envelope_id}"]
            if times != 1:
                tally.fault("lost" if times == 0 else "duplicated",
                            f"#{stored.id} {stored.message.kind} published {times} times")
            if stored.status is not Status.ACKNOWLEDGED:
                tally.fault("lost_updates" if times else "stuck",
                            f"#{stored.id} {stored.message.kind} ends {stored.status}")
        gp = network._counterparts[GP]
        assert isinstance(gp, GpSystem)
        expected = workload.letters + gp.replies_sent
        if gp.replies_sent != workload.kms + workload.care_communications:
            tally.fault("lost", f"the GP replied {gp.replies_sent} times")
        received = [s for kind in RECEIVED for s in journal.find(
            Query(direction=Direction.INBOUND, kind=kind, limit=100_000))]
        letters = Counter(f"{s.message.sender_ean}:{s.message.message_id}" for s in received)
        if len(letters) != expected:
            tally.fault("lost", f"{len(letters)} letters received of {expected}")
        for key, times in letters.items():
            if times != 1:
                tally.fault("duplicated_deliveries", f"{key} journaled {times} times")
        for stored in received:
            if stored.status is not Status.DELIVERED:
                tally.fault("stuck", f"#{stored.id} received letter ends {stored.status}")
            answers = provider.answers[stored.message.message_id]
            if answers != 1:
                tally.fault("lost" if not answers else "duplicated",
                            f"#{stored.id} answered {answers} times on the wire")
            ours_to_it = [journal.get(a) for a in stored.answered_by]
            if [a.message.kind for a in ours_to_it if a.message.direction
                    is Direction.OUTBOUND] not in ([k] for k in ANSWERS):
                tally.fault("duplicated", f"#{stored.id} has answers {ours_to_it}")
        _count_hook(root, tally, {f"{s.message.sender_ean}:{s.message.message_id}": s.id
                                  for s in received})
        leftovers = _files(root / "net" / PPR / "in") + _files(root / "net" / PPR / "out")
        for name in leftovers:
            tally.fault("stuck", f"{name} left in the mailbox")
        for status in (Status.QUEUED, Status.RECEIVED):
            for stored in journal.find(Query(status=status)):
                tally.fault("stuck", f"#{stored.id} {stored.message.kind} left {status}")
        if not journal.verify().intact:
            tally.fault("broken", "journal verify fails")
        tally.messages += len(ours) + len(received) + sum(provider.answers.values())
    finally:
        journal.close()


def _count_hook(root: Path, tally: Tally, delivered: dict[str, int]) -> None:
    log = root / "hook.log"
    calls = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    by_delivery: dict[str, set[int]] = {}
    for called, entry in calls:
        by_delivery.setdefault(called, set()).add(int(entry))
    for delivery_id, journal_id in delivered.items():
        got = by_delivery.get(delivery_id, set())
        if got != {journal_id}:
            tally.fault("lost" if not got else "duplicated_deliveries",
                        f"{delivery_id} handed to the hook as journal entries {sorted(got)}")
    if set(by_delivery) - set(delivered):
        tally.fault("duplicated_deliveries", "the hook had deliveries the journal lacks")
    if len(calls) - len(by_delivery) > tally.kills:
        tally.fault("duplicated_deliveries",
                    f"{len(calls)} hook calls for {len(by_delivery)} deliveries and "
                    f"{tally.kills} kills")


def _files(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if not n.startswith(".")) \
        if folder.exists() else []


def _fork(root: Path, run: Callable[[], None]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        run()
    except BaseException:  # a worker must never die of an error: the campaign reports it
        with open(root / "errors.log", "a", encoding="utf-8") as log:
            log.write(traceback.format_exc())
        code = 3
    finally:
        os._exit(code)


def _reap(root: Path, pids: list[int], deadline: float, tally: Tally) -> int:
    """Wait for the workers until ``deadline``, kill the rest; how many were killed."""
    kills = 0
    waiting = set(pids)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                waiting.discard(pid)
                kills += _judge(root, status, tally)
        time.sleep(0.01)
    for pid in waiting:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        kills += _judge(root, status, tally)
    return kills


def _judge(root: Path, status: int, tally: Tally) -> int:
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        return 1
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return 0
    errors = root / "errors.log"
    tally.problems.append("a worker failed: " + (errors.read_text()[-3000:] if errors.exists()
                                                 else f"status {status}"))
    return 0
