"""The EUA's reports of a letter it received, through a SIGKILL after the commit that
journaled the letter and queued them, and another in the middle of their POST to EDS:
EDS holds each exactly once."""

from __future__ import annotations

import dataclasses
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

from medcom_adapter.envelopes import sbdh
from medcom_adapter.journal.eds_queue import ReportStatus
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Query, Status
from medcom_adapter.kinds import Kind
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers import eds as eds_worker
from tests.ehmi.network import Ehmi, ehmi_network
from tests.ehmi.test_eds_crash import KEY
from tests.envelopes.messages import CHILD, GP, PPR, T0, care_communication, cc_bytes, next_id
from tests.journal.conftest import ROOT

UNIT = f"SOR:{PPR.sor} GLN:{PPR.gln}"  # the receiving unit the reports are made for


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def ehmi(tmp_path: Path) -> Iterator[Ehmi]:
    with ehmi_network(tmp_path, frozenset({UNIT})) as network:
        yield network


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "tests.ehmi.inbox_worker", *args], cwd=ROOT,
                          env=env, capture_output=True, timeout=300, check=False)


def test_reports_of_a_received_letter_reach_eds_once_through_two_kills(
        ehmi: Ehmi, journal_url: str, tmp_path: Path) -> None:
    env = {**os.environ, **ehmi.env(), "MEDCOM_JOURNAL_URL": journal_url,
           "MEDCOM_JOURNAL_KEY": KEY.line(), "MEDCOM_DATA_DIR": str(tmp_path / "data")}
    box = tmp_path / "ap"
    letter = dataclasses.replace(care_communication(), sender=GP, receiver=PPR)
    VansMailbox(box, quiet_seconds=0).provider.deposit("letter.xml", sbdh.build(sbdh.for_fhir(
        cc_bytes(letter), created=T0, instance_id=next_id(), patient=str(CHILD.id))))

    killed = _run([str(box), "worker-1", "die"], env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    journal = open_journal(env=env)
    try:  # the commit stands: the letter and both reports are there, nothing went out
        [received] = journal.find(Query(kind=Kind.CARE_COMMUNICATION.value))
        assert received.status is Status.RECEIVED
        queued = journal.eds.of_message(letter.message_id)
        assert [(r.subtype, r.status) for r in queued] == [
            ("msg-received", ReportStatus.QUEUED),
            ("msg-received-and-finalized", ReportStatus.QUEUED)]
    finally:
        journal.close()
    assert ehmi.services.events == []

    restarted = _run([str(box), "worker-1"], env)  # the same worker, restarted
    assert restarted.returncode == 0, restarted.stderr.decode()
    assert restarted.stdout.split() == [b"1"]  # it finished the delivery

    ehmi.services.hold_answers = threading.Event()  # the EDS sender dies mid-POST
    doomed = subprocess.Popen([sys.executable, "-m", "tests.ehmi.eds_worker", "doomed"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert ehmi.services.held.wait(120)
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate()
    finally:
        ehmi.services.hold_answers.set()
    ehmi.services.hold_answers = None
    later = datetime.now(UTC) + timedelta(seconds=61)  # the dead sender's lease ran out
    journal = open_journal(env=env, clock=lambda: later)
    try:
        while eds_worker.deliver(journal.eds, ehmi.eds, owner="heir", lease_seconds=60
                                 ) != eds_worker.EdsRun():
            pass
        [received] = journal.find(Query(kind=Kind.CARE_COMMUNICATION.value))
        assert received.status is Status.DELIVERED
        assert {r.status for r in journal.eds.of_message(letter.message_id)} == {
            ReportStatus.DELIVERED}
    finally:
        journal.close()
    of_letter = Counter(e["subtype"][0]["code"] for e in ehmi.services.events
                        if any(x["what"]["identifier"]["value"] == letter.message_id
                               for x in e["entity"]))
    assert of_letter == {"msg-received": 1, "msg-received-and-finalized": 1}
    assert ehmi.services.refused == []
