"""The fault-injection campaign in the suite: short, on SQLite and PostgreSQL (when a server
is configured), with one worker and with three at once; ``make soak`` runs it long."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.journal.conftest import postgres_url  # noqa: F401 - a fixture
from tests.workers.campaign import campaign

ROUNDS = 12


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_workers_killed_anywhere_send_deliver_and_answer_each_letter_exactly_once(
    engine: str, workers: int, tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    url = (f"sqlite:///{tmp_path / 'journal.sqlite3'}" if engine == "sqlite"
           else str(request.getfixturevalue("postgres_url")))
    tally = campaign(tmp_path / "campaign", url, workers=workers, rounds=ROUNDS,
                     seed=20261204 + workers)
    print(tally.line())
    assert tally.problems == []
    assert tally.clean
    assert tally.runs == ROUNDS and tally.kills >= ROUNDS * workers  # every worker was killed
    assert tally.messages > 0
