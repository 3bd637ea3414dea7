"""Three ``poll`` processes started at once over one in-folder of 100 received letters
deliver 100 and send 100 receipts, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.transport.vans_mailbox import VansMailbox
from tests.conftest import FIXTURES, ROOT
from tests.journal.conftest import postgres_url  # noqa: F401 - a fixture
from tests.workers.campaign import answered_ids, gp_letters
from tests.workers.crash_worker import journal_at

LETTERS = 100


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_three_polls_at_once_deliver_and_receipt_each_of_100_letters_once(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    url = (f"sqlite:///{tmp_path / 'journal.sqlite3'}" if engine == "sqlite"
           else str(request.getfixturevalue("postgres_url")))
    journal_at(tmp_path, url).close()  # the schema and key in place, as an operator sets up
    box = VansMailbox(tmp_path / "mailbox")
    letters = gp_letters(Directory.load(FIXTURES / "network" / "receivers.json"), LETTERS)
    for n, letter in enumerate(letters):
        box.provider.deposit(f"XDIS91_{n:03d}.xml", letter)
    env = {**os.environ, "MEDCOM_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    polls = [subprocess.Popen(
        [sys.executable, "-m", "medcom_adapter", "poll", "--mailbox", str(tmp_path / "mailbox"),
         "--journal", url, "--deliver-to", str(tmp_path / "delivered")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)]
    outcomes = [p.communicate(timeout=600) for p in polls]
    assert [p.returncode for p in polls] == [0, 0, 0], outcomes
    said = [out for out, _ in outcomes]
    print(said)
    assert sum(int(line.split("delivered ")[1].split(",")[0]) for line in said) == LETTERS

    delivered = sorted(os.listdir(tmp_path / "delivered"))
    assert len(delivered) == LETTERS  # one file per journal entry delivered
    sent = box.provider.collect()
    answers = Counter(i for _, data in sent for i in answered_ids(data))
    assert len(sent) == LETTERS and len(answers) == LETTERS
    assert set(answers.values()) == {1}
    assert os.listdir(box.in_dir) == []
    journal = journal_at(tmp_path, url)
    received = journal.find(Query(direction=Direction.INBOUND, limit=1000))
    assert len(received) == LETTERS
    assert {s.status for s in received} == {Status.DELIVERED}
    assert len({s.message.message_id for s in received}) == LETTERS
    assert set(answers) == {s.message.message_id for s in received}
    assert journal.verify().intact
    journal.close()
