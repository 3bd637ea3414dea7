"""Group commit: sends waiting together share one durable commit, each answered only after
it; a send that fails is undone alone; an idempotent repeat racing its original in the same
commit queues once."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from medcom_adapter.errors import ResourceFault
from medcom_adapter.journal.interface import Query, Status
from medcom_adapter.journal.shared import Remembered
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.service import Settings, create_app, idempotency
from medcom_adapter.service.commits import GroupCommit
from medcom_adapter.service.server import protocol
from medcom_adapter.service.state import ServiceState
from tests.journal.samples import referral
from tests.service.conftest import issue_key
from tests.service.live import serving
from tests.service.test_under_load import REFERRAL

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def journal(sqlite_journal: SqlJournal) -> SqlJournal:
    return sqlite_journal


def _first_commit_waits(journal: Any) -> threading.Event:
    """The first transaction begun on ``journal`` waits, before it begins, until the event
    is set: its send leads while the sends after it gather for the next commit."""
    go, real = threading.Event(), journal.atomic
    waited = False

    @contextmanager
    def atomic(**kwargs: Any) -> Iterator[None]:
        nonlocal waited
        if not waited:
            waited = True
            assert go.wait(30)
        with real(**kwargs):
            yield

    journal.atomic = atomic
    return go


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the sends did not get there"
        time.sleep(0.01)


def _led(commits: GroupCommit) -> None:
    """Once a send leads (waiting before its transaction, see above)."""
    _until(lambda: commits.leading and commits.waiting == 0)


def _gathered(commits: GroupCommit, n: int) -> None:
    _until(lambda: commits.waiting == n)


class _Recording:
    """A journal whose transactions record when they begin and commit."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.depth = self.commits = 0
        self.lock = threading.Lock()

    def note(self, event: str) -> None:
        with self.lock:
            self.events.append(event)

    def atomic(self) -> AbstractContextManager[None]:
        @contextmanager
        def block() -> Iterator[None]:
            self.depth += 1
            if self.depth == 1:
                self.note("begin")
            try:
                yield
            finally:
                self.depth -= 1
            if self.depth == 0:
                self.commits += 1
                self.note(f"commit {self.commits}")
        return block()


def test_sends_waiting_together_share_one_commit_and_are_answered_after_it() -> None:
    recording = _Recording()
    go = _first_commit_waits(recording)
    commits = GroupCommit(recording)  # type: ignore[arg-type]  # only its atomic() is used

    def send(name: str) -> Callable[[], str]:
        def work() -> str:
            recording.note(name)
            return name
        return work

    def answered(name: str) -> str:
        out = commits.run(send(name))
        recording.note(f"answered {out}")
        return out

    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(answered, "a")
        _led(commits)
        later = [pool.submit(answered, n) for n in ("b", "c")]
        _gathered(commits, 2)
        assert not any(f.done() for f in (first, *later))
        go.set()
        assert [f.result(timeout=30) for f in (first, *later)] == ["a", "b", "c"]
    events = recording.events
    assert recording.commits == 2
    assert events.index("a") < events.index("commit 1") < events.index("answered a")
    second = events.index("commit 2")
    for name in ("b", "c"):  # in the second commit, answered only after it
        assert events.index("commit 1") < events.index(name) < second
        assert second < events.index(f"answered {name}")


def test_a_send_that_fails_is_undone_alone(journal: SqlJournal) -> None:
    go = _first_commit_waits(journal)
    commits = GroupCommit(journal)

    def remember(key: str, fail: bool = False) -> Callable[[], str]:
        def work() -> str:
            journal.shared.remember("k1", key, Remembered("r", 201, "{}"), NOW)
            if fail:
                raise ValueError("this send fails after its write")
            return key
        return work

    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(commits.run, remember("first"))
        _led(commits)
        failing: Future[str] = pool.submit(commits.run, remember("failing", fail=True))
        _gathered(commits, 1)
        other = pool.submit(commits.run, remember("other"))
        _gathered(commits, 2)
        go.set()
        assert first.result(timeout=30) == "first" and other.result(timeout=30) == "other"
        with pytest.raises(ValueError):
            failing.result(timeout=30)
    assert journal.shared.remembered("k1", "failing") is None
    assert journal.shared.remembered("k1", "other") is not None
    assert journal.shared.remembered("k1", "first") is not None


def test_an_idempotent_repeat_racing_its_original_in_one_commit_queues_once(
        journal: SqlJournal) -> None:
    _, key = issue_key(journal)
    go = _first_commit_waits(journal)
    app = create_app(journal, Settings())
    assert isinstance(app.state.service, ServiceState)
    commits = app.state.service.commits
    auth = {"Authorization": f"Bearer {key}"}
    with serving(app, http=protocol()) as base, ThreadPoolExecutor(3) as pool:
        def post(headers: dict[str, str]) -> httpx.Response:
            return httpx.post(f"{base}/api/referrals", json=REFERRAL,
                              headers={**auth, **headers}, timeout=60)

        first = pool.submit(post, {})
        _led(commits)
        racing = [pool.submit(post, {idempotency.HEADER: "send-1"}) for _ in range(2)]
        _gathered(commits, 2)  # both in the next commit
        go.set()
        answers = [f.result(timeout=60) for f in (first, *racing)]
    assert [a.status_code for a in answers] == [201, 201, 201], answers[0].text
    original, repeat = sorted(answers[1:], key=lambda a: idempotency.REPLAYED in a.headers)
    assert repeat.headers[idempotency.REPLAYED] == "true"
    assert repeat.json() == original.json()
    queued = {m.id for m in journal.find(Query())}
    assert queued == set(answers[0].json()["ids"]) | set(original.json()["ids"])


def test_a_full_disk_fails_the_whole_batch_and_commits_nothing(journal: SqlJournal) -> None:
    """SQLite undoes the whole transaction on a full disk, savepoints and all: the sends
    after the one that filled it must not run (each would commit alone) and every send of
    the batch is told, as a resource fault, that nothing of it was written."""
    journal.append(referral(1), Status.QUEUED)
    connection = journal.db._connection  # type: ignore[attr-defined]
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count={pages + 40}")  # a nearly full disk
    big = dataclasses.replace(referral(3), data=b"<Emessage>" + b"x" * 2_000_000
                              + b"</Emessage>")
    go = _first_commit_waits(journal)
    commits = GroupCommit(journal)
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(commits.run, lambda: journal.append(referral(2), Status.QUEUED))
        _led(commits)
        filling = pool.submit(commits.run, lambda: journal.append(big, Status.QUEUED))
        _gathered(commits, 1)
        after = pool.submit(commits.run, lambda: journal.append(referral(4), Status.QUEUED))
        _gathered(commits, 2)
        go.set()
        assert first.result(timeout=30) == 2  # alone in the commit before
        for send in (filling, after):  # one batch: a savepoint each
            with pytest.raises(ResourceFault):
                send.result(timeout=30)
    connection.execute(f"PRAGMA max_page_count={pages + 100_000}")
    assert sorted(s.message.envelope_id for s in journal.find(Query(limit=10))) == [
        "ENV00000001", "ENV00000002"]
    (later,) = journal.append_many([referral(5)], Status.QUEUED)  # and the journal goes on
    assert later == 3
