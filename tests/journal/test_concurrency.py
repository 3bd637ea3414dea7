"""Several processes on one journal: appends lose and duplicate nothing; claims never overlap."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.interface import Query, Status
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import ROOT, Clock

COUNT = 150


def _url(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if engine == "memory":
        pytest.skip("the memory journal lives in one process")
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


def _start(*args: str, keys: Keyring) -> subprocess.Popen[str]:
    env = {**os.environ, "MEDCOM_JOURNAL_KEY": keys.current.line(), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.journal.worker", *args], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen[str]) -> str:
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0
    return out


def _open(url: str, keys: Keyring, clock: Clock) -> SqlJournal:
    from medcom_adapter.journal.factory import open_journal

    journal = open_journal(url, env={"MEDCOM_JOURNAL_KEY": keys.current.line()}, clock=clock)
    assert isinstance(journal, SqlJournal)
    return journal


def test_two_processes_appending_lose_and_duplicate_nothing(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path, keys: Keyring, clock: Clock
) -> None:
    url = _url(engine, request, tmp_path)
    _open(url, keys, clock).close()  # schema in place before the race
    workers = [_start("append", url, name, str(COUNT), keys=keys) for name in ("a", "b")]
    for worker in workers:
        _finish(worker)
    journal = _open(url, keys, clock)
    stored = journal.find(Query(limit=10 * COUNT))
    assert [s.id for s in stored] == list(range(1, 2 * COUNT + 1))
    names = Counter(s.message.envelope_id for s in stored)
    assert set(names) == {f"{w}-{n}" for w in "ab" for n in range(COUNT)}
    assert set(names.values()) == {1}
    assert journal.verify().intact
    journal.close()


def test_two_processes_claiming_never_take_the_same_message(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path, keys: Keyring, clock: Clock
) -> None:
    from tests.journal.samples import referral

    url = _url(engine, request, tmp_path)
    journal = _open(url, keys, clock)
    ids = journal.append_many([referral(n) for n in range(COUNT)], Status.QUEUED)
    workers = [_start("claim", url, keys=keys) for _ in range(2)]
    claimed = [json.loads(_finish(w)) for w in workers]
    assert sorted(claimed[0] + claimed[1]) == list(ids)
    assert not set(claimed[0]) & set(claimed[1])
    assert journal.find(Query(status=Status.QUEUED)) == []
    journal.close()


def test_two_processes_racing_status_changes_chain_each_change_once(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path, keys: Keyring, clock: Clock
) -> None:
    from tests.journal.samples import referral

    url = _url(engine, request, tmp_path)
    journal = _open(url, keys, clock)
    journal.append_many([referral(n) for n in range(COUNT)], Status.QUEUED)
    workers = [_start("race", url, str(COUNT), way, keys=keys) for way in ("up", "down")]
    made = [int(_finish(w)) for w in workers]
    assert sum(made) == 2 * COUNT  # each change made by exactly one of them
    for stored in journal.find(Query(limit=2 * COUNT)):
        assert [c.status for c in stored.history] == [
            Status.QUEUED, Status.SENT, Status.ACKNOWLEDGED]
    report = journal.verify(journal.checkpoint())
    assert report.intact, report.problems
    assert journal.checkpoint().statuses == 3 * COUNT
    journal.close()


def test_a_process_killed_inside_an_atomic_block_leaves_none_of_its_writes(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path, keys: Keyring, clock: Clock
) -> None:
    url = _url(engine, request, tmp_path)
    worker = _start("die-inside", url, keys=keys)
    worker.communicate(timeout=120)
    assert worker.returncode == -signal.SIGKILL
    journal = _open(url, keys, clock)
    (stored,) = journal.find(Query())
    assert stored.status is Status.QUEUED and stored.answered_by == ()
    assert journal.verify().intact
    assert journal.append(stored.message, Status.QUEUED) == stored.id + 1
    journal.close()


def test_threads_sharing_one_journal_object_take_turns(sql_journal: SqlJournal) -> None:
    """``serve`` calls one journal object from the event loop and from worker threads: each
    thread's transaction is its own, never mixed with another's on the one connection."""
    import threading

    from tests.journal.samples import referral

    failed: list[str] = []

    def work() -> None:
        try:
            for n in range(40):
                with sql_journal.atomic():
                    id = sql_journal.append(referral(n), Status.QUEUED)
                    sql_journal.set_status(id, Status.SENT, leaving=Status.QUEUED)
                sql_journal.get(id, actor="cli:ops")
        except Exception as exc:  # reported below: a thread's failure must fail the test
            failed.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failed == []
    stored = sql_journal.find(Query(limit=1000))
    assert len(stored) == 120 and {s.status for s in stored} == {Status.SENT}
    assert sql_journal.verify().intact


def test_two_processes_reading_chain_every_audit_row_once(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path, keys: Keyring, clock: Clock
) -> None:
    from tests.journal.samples import referral

    url = _url(engine, request, tmp_path)
    journal = _open(url, keys, clock)
    journal.append_many([referral(n) for n in range(3)], Status.QUEUED)
    workers = [_start("read", url, name, str(COUNT), keys=keys) for name in ("a", "b")]
    for worker in workers:
        _finish(worker)
    read = Counter(a.actor for a in journal.audit_log() if a.action == "read")
    assert read == {"cli:a": COUNT, "cli:b": COUNT}
    report = journal.verify()
    assert report.intact, report.problems  # the audit chain is one line: no fork, no gap
    journal.close()
