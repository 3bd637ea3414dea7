"""The EDS queue through a SIGKILL and with several processes on one journal: every report
reaches EDS exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from medcom_adapter.ehmi.eds import Reporter, Subtype
from medcom_adapter.journal.crypto import Key
from medcom_adapter.journal.eds_queue import ReportStatus
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.workers import eds as eds_worker
from tests.ehmi.network import DEVICE, Ehmi, context, document, ehmi_network
from tests.envelopes.messages import T0
from tests.journal.conftest import ROOT, postgres_url  # noqa: F401 - a fixture

KEY = Key("eds-test", bytes(range(32)))


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def ehmi(tmp_path: Path) -> Iterator[Ehmi]:
    with ehmi_network(tmp_path, frozenset({context(document())})) as network:
        yield network


def _env(ehmi: Ehmi, url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **ehmi.env(), "MEDCOM_JOURNAL_URL": url,
            "MEDCOM_JOURNAL_KEY": KEY.line(), "MEDCOM_DATA_DIR": str(tmp_path / "data")}


def _worker(owner: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.ehmi.eds_worker", owner], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _queue(env: dict[str, str], count: int) -> None:
    journal = open_journal(env=env)
    try:
        for _ in range(count):
            assert eds_worker.queue_report(journal.eds, document(), Subtype.SENT,
                                           reporter=Reporter(DEVICE), recorded=T0,
                                           message=None)
    finally:
        journal.close()


def test_a_worker_killed_after_eds_stored_its_report_leaves_exactly_one(
        ehmi: Ehmi, journal_url: str, tmp_path: Path) -> None:
    env = _env(ehmi, journal_url, tmp_path)
    _queue(env, 1)
    ehmi.services.hold_answers = threading.Event()
    worker = _worker("doomed", env)
    try:
        assert ehmi.services.held.wait(120)
        worker.send_signal(signal.SIGKILL)  # EDS holds the report; the worker never heard
        worker.communicate()
    finally:
        ehmi.services.hold_answers.set()
    assert len(ehmi.services.events) == 1
    ehmi.services.hold_answers = None
    later = datetime.now(UTC) + timedelta(seconds=61)  # the dead worker's lease ran out
    journal = open_journal(env=env, clock=lambda: later)
    try:
        run = eds_worker.deliver(journal.eds, ehmi.eds, owner="heir", lease_seconds=60)
        assert run == eds_worker.EdsRun(found=1)
        assert eds_worker.deliver(journal.eds, ehmi.eds, owner="heir", lease_seconds=60
                                  ) == eds_worker.EdsRun()
    finally:
        journal.close()
    assert len(ehmi.services.events) == 1


def test_three_processes_deliver_each_report_exactly_once(
        ehmi: Ehmi, postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    env = _env(ehmi, postgres_url, tmp_path)
    _queue(env, 30)
    workers = [_worker(f"w{n}", env) for n in range(3)]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err.decode()
    envelopes = Counter(next(e["what"]["identifier"]["value"] for e in event["entity"]
                             if e["type"]["code"] == "ehmiTransportEnvelope")
                        for event in ehmi.services.events)
    assert len(envelopes) == 30 and set(envelopes.values()) == {1}
    journal = open_journal(env=env)
    try:
        assert {s for (s,) in journal.db.rows(  # type: ignore[attr-defined]
            "SELECT DISTINCT status FROM eds_reports")} == {ReportStatus.DELIVERED.value}
    finally:
        journal.close()
