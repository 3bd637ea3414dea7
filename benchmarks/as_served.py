"""The end-to-end flow as ``serve`` runs it: creates on the case system's threads, the workers
in the background beside them.

``serve`` (``cli/serve.py``) takes a case system's creates on its request threads, which
share one journal object, while ``node.sandbox_loop`` runs the outbox, the sandbox network
and the inbox on a thread of its own, on a journal of its own (a second connection to the
same store; an in-memory journal is shared, as ``serve`` shares it). Here the same: the
creating threads call ``queue_referral`` with the loop's ``checked`` on the shared journal
object, and the loop is ``sandbox_loop`` itself, with its interval and the hook ``serve``
gives it, started as the application starts it. The creates are ``queue_referral`` itself,
not the service's request path: no HTTP, no API-key look-up, no idempotency record and no
group commit (``service/commits.py``), so each create commits alone. Across threads this
is what the product relies on: each SQL journal object lets one thread's transaction run at
a time on its connection (the creates take turns on theirs, the workers have their own),
connections to one SQLite file queue on its writer lock, the in-memory journal locks each
call, and ``Checked`` locks.

The loop is started once, as the application starts it, and keeps running between the
rounds (idle, a round every ``interval``, as ``serve``'s does), so a round's creates arrive
at whatever point of its wait the loop is. In a round the creates start together, and it
lasts until every referral queued in it has exactly its two receipts
journaled, each answering it, and both its messages are acknowledged; anything else fails
the round, so a faster figure never comes from lost or doubled work. It is timed from the
first create to the end of the worker round that journaled the last receipt, less the loop's
pause after the last create while it had caught up (it waits ``interval`` between rounds
once nothing moves; under steady load further creates fill that time; the pause left out is
reported). CPU is this process's, all its threads (the SQLite checkpointer, the PostgreSQL
driver).

How many creating threads: two. A service under load has more than one create in flight
(its users' requests, each on a thread of the server's pool), and two is the fewest that
shows creates overlapping each other as well as the workers; one gave the same figures
within the noise of a shared machine, so more would only add switching (each create is
Python work that holds the interpreter lock most of its time, and the creates take turns at
the journal object they share). "Cores busy" in the report is this process's CPU over the
round's time: how much of a second core the shape used.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.journal.interface import Direction, Journal, Query, Status
from medcom_adapter.node import sandbox_loop
from medcom_adapter.service.apikeys import ApiKeys
from medcom_adapter.service.webhook import CaseSystemWebhooks
from medcom_adapter.workers.submit import queue_referral

CREATORS = 2  # threads making creates, as a case system's requests (see above)
DRAIN_SECONDS = 120.0  # a round not done this long after its last create has failed


class _Step(NamedTuple):
    """One round of the worker loop."""

    start: float
    end: float
    cpu: float  # this process's CPU seconds when it ended
    own: float  # CPU seconds of the loop's thread in it


@dataclass(frozen=True, slots=True)
class Round:
    """One round, or the sum of several."""

    referrals: int
    seconds: float  # the first create to the last receipt, less ``pause``
    cpu: float  # seconds of CPU, this process, all threads
    creates: float  # seconds of CPU, the creating threads
    workers: float  # seconds of CPU, the worker loop's thread
    pause: float  # the loop's wait after the last create, while it had caught up
    worker_rounds: int  # of the loop, during the round

    def __add__(self, other: Round) -> Round:
        return Round(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @property
    def rate(self) -> float:
        return self.referrals / self.seconds

    @property
    def rest(self) -> float:
        """CPU seconds on other threads: the SQLite checkpointer, the waiting main one."""
        return self.cpu - self.creates - self.workers


class Served:
    """Referrals on one store as ``serve`` has it: ``journal``, the creates' journal object;
    ``own``, the workers' (a second connection, or the same in-memory journal)."""

    def __init__(self, journal: Journal, own: Journal, directory: Directory, request: object,
                 files: Path, *, unit_ean: str, creators: int = CREATORS) -> None:
        self.journal, self.own, self.creators = journal, own, creators
        self.directory, self.request, self.files = directory, request, files
        self.loop = sandbox_loop(own, directory, unit_ean=unit_ean,
                                 hook=CaseSystemWebhooks(ApiKeys(own.shared), own))
        self._steps: list[_Step] = []
        self._failed: list[BaseException] = []
        step = self.loop._step

        def timed() -> None:  # the loop's own round, timed; a failure fails the benchmark
            started, own = time.perf_counter(), time.thread_time()
            try:
                step()
            except BaseException as exc:
                self._failed.append(exc)
                raise
            finally:
                self._steps.append(_Step(started, time.perf_counter(), time.process_time(),
                                         time.thread_time() - own))

        self.loop._step = timed
        self.rounds: list[Round] = []
        self.run(creators)  # warm-up: schemas, caches, each thread's first create
        self.rounds.clear()

    def run(self, referrals: int) -> Round:
        """``referrals`` created on the creating threads while the loop runs, until each has
        its two receipts."""
        if not self.loop.running:
            self.loop.start()  # as the application starts it, once
            self._wait(1, "the worker loop's first round")
        queued: list[tuple[int, ...]] = []
        ended: list[float] = []
        creates: list[float] = []  # CPU seconds of each creating thread
        gate = threading.Barrier(self.creators + 1)

        def create(count: int) -> None:
            gate.wait()
            own = time.thread_time()
            try:
                for _ in range(count):
                    queued.append(queue_referral(self.journal, self.directory, self.request,
                                                 files=self.files,
                                                 checked=self.loop.checked).ids)
            except BaseException as exc:
                self._failed.append(exc)
            finally:
                ended.append(time.perf_counter())
                creates.append(time.thread_time() - own)

        threads = [threading.Thread(target=create, name=f"case-system-{n}",
                                    args=(referrals // self.creators
                                          + (n < referrals % self.creators),))
                   for n in range(self.creators)]
        for thread in threads:
            thread.start()
        first = len(self._steps)
        cpu, started = time.process_time(), time.perf_counter()
        gate.wait()
        for thread in threads:
            thread.join()
        if self._failed:
            raise self._failed[0]
        if len(queued) != referrals:
            self._fail(f"{len(queued)} of {referrals} referrals queued")
        end, end_cpu, last = self._drained(sorted(i for q in queued for i in q), max(ended),
                                           first)
        pause = _pauses(self._steps[max(first - 1, 0):last], max(ended), end)
        done = Round(referrals, end - started - pause, end_cpu - cpu, sum(creates),
                     sum(s.own for s in self._steps[first:last]), pause, last - first)
        self.rounds.append(done)
        return done

    def _drained(self, ids: list[int], creates_ended: float, seen: int
                 ) -> tuple[float, float, int]:
        """When the worker round that took in the last receipt ended (seconds, CPU) and how
        many rounds the loop had made by then (``seen`` when the round began)."""
        while True:
            self._wait(seen + 1, "the referrals' receipts")
            seen = len(self._steps)
            step = self._steps[seen - 1]
            if step.end > creates_ended and self._answered(ids):
                return step.end, step.cpu, seen

    def _answered(self, ids: list[int]) -> bool:
        """Whether each of ``ids`` has exactly one receipt and is acknowledged; fails on a
        receipt twice or answering anything else."""
        receipts = Counter(s.message.answers for s in self.journal.find(Query(
            direction=Direction.INBOUND, kind="XCTL03", after=ids[0], limit=4 * len(ids),
            bodies=False)))
        wanted: Counter[int | None] = Counter(ids)
        if receipts - wanted:
            self._fail(f"receipts beyond one for each message: {dict(receipts - wanted)}")
        if receipts != wanted:
            return False
        acknowledged = self.journal.find(Query(
            direction=Direction.OUTBOUND, status=Status.ACKNOWLEDGED, after=ids[0] - 1,
            limit=4 * len(ids), bodies=False))
        if sorted(s.id for s in acknowledged) != ids:
            self._fail("a message with its receipt is not acknowledged")
        return True

    def _wait(self, steps: int, what: str) -> None:
        """Until the loop has made ``steps`` rounds."""
        deadline = time.perf_counter() + DRAIN_SECONDS
        while len(self._steps) < steps:
            if self._failed:
                raise self._failed[0]
            if time.perf_counter() > deadline:
                self._fail(f"no end to waiting for {what}")
            time.sleep(0.002)

    def _fail(self, why: str) -> None:
        raise AssertionError(f"as served: {why}")

    def close(self) -> None:
        self.loop.stop()
        if self.own is not self.journal:
            self.own.close()
        self.journal.close()


def _pauses(steps: list[_Step], since: float, until: float) -> float:
    """Seconds between the loop's rounds, counted from ``since`` to ``until``."""
    gaps = [(a.end, b.start) for a, b in pairwise(steps)]
    return sum(max(0.0, min(end, until) - max(start, since)) for start, end in gaps)


def in_turn(flows: Sequence[Served], referrals: int, rounds: int) -> list[Round]:
    """Each flow's rounds summed, the flows taking turns a round at a time, so a busy
    machine slows them alike."""
    took = [Round(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0) for _ in flows]
    for _ in range(rounds):
        for n, flow in enumerate(flows):
            took[n] += flow.run(referrals)
    return took


def report(store: str, durable: Round, memory: Round, *, rounds: int, creators: int,
           target: float, share_target: float) -> list[str]:
    """Lines for the end-to-end report: the served shape on ``store`` against the in-memory
    journal in the same shape, each target line naming the shape and the store."""
    cores = os.cpu_count() or 1
    shape = (f"as served (creates by queue_referral on {creators} thread"
             f"{'s' * (creators > 1)}, without HTTP or the service's group commit; workers in "
             "the background as `serve` runs them)")

    def figures(done: Round) -> str:
        n = done.referrals
        return (f"{done.rate:,.1f}/s ({done.seconds / n * 1e3:.1f} ms a referral; "
                f"{done.cpu / n * 1e3:.2f} ms CPU a referral in this process: "
                f"{done.creates / n * 1e3:.2f} creating, {done.workers / n * 1e3:.2f} in the "
                f"workers, {done.rest / n * 1e3:.2f} on other threads; "
                f"{done.cpu / done.seconds:.2f} of {cores} cores busy)")

    share = durable.rate / memory.rate
    return [
        f"{shape}, {store}: {figures(durable)}; {rounds} rounds of "
        f"{durable.referrals // rounds}, sampled in turn with the in-memory journal; the "
        f"loop's pause after the last create while it had caught up, "
        f"{durable.pause / rounds * 1e3:.0f} ms a round ({memory.pause / rounds * 1e3:.0f} ms "
        "in-memory), not counted",
        f"as served, the same on the in-memory journal: {figures(memory)}",
        f"as served, {store} against in-memory: {share:.2f}x the in-memory journal's rate "
        f"(target >= {share_target}x: {'met' if share >= share_target else 'NOT met'})",
        f"as served, {store}: {durable.rate:,.0f} referrals/s (target >= {target:.0f}/s: "
        f"{'met' if durable.rate >= target else 'NOT met'} on this machine)",
        _costs(store, durable, memory),
    ]


def _costs(store: str, durable: Round, memory: Round) -> str:
    """Where the durable store's time goes, beside the in-memory journal's, as served."""
    def more(a: float, b: float) -> str:
        return f"{(a / durable.referrals - b / memory.referrals) * 1e3:+.2f}"

    busy = (durable.cpu / durable.seconds, memory.cpu / memory.seconds)
    line = (f"as served, where a referral's {durable.seconds / durable.referrals * 1e3:.1f} ms "
            f"go on the {store}: {more(durable.cpu, memory.cpu)} ms of CPU in this process to "
            f"the in-memory journal's {memory.cpu / memory.referrals * 1e3:.2f} "
            f"({more(durable.creates, memory.creates)} creating, "
            f"{more(durable.workers, memory.workers)} in the workers, "
            f"{more(durable.rest, memory.rest)} on other threads), with {busy[0]:.2f} cores "
            f"busy ({busy[1]:.2f} in-memory)")
    if max(busy) < 1.5:
        line += ("; little of one referral's work ran beside another's (the creates and the "
                 "workers are Python work, which runs one thread at a time)")
    if busy[0] < 0.95:
        line += ("; under one core busy: the rest is waiting (for commits to be synced, for "
                 "the server, for the journal object another thread holds, for the worker "
                 "loop's next round, or for a CPU the machine's other work holds)")
    return line
