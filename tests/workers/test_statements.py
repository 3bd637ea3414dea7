"""What a referral costs the journal in SQL statements, end to end through the sandbox.

Counted, not timed: queued (XREF01 + XBIN02 with its PDF), sent by the outbox, routed via
DNHF to BUP, and both receipts taken in and matched. The ceilings hold the figures the
journal reaches now (``benchmarks/end_to_end.py`` reports them), so a change that adds
round trips to the hot path fails here instead of going unnoticed. Savepoints count: they
are statements the engine runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.sandbox.harness import Harness
from medcom_adapter.workers.submit import queue_referral
from tests.conftest import FIXTURES
from tests.journal.conftest import keys, postgres_url  # noqa: F401 - fixtures
from tests.journal.statements import StatementCounter
from tests.samples import pdf_with

REFERRALS = 5
CEILING = {"sqlite": 19, "postgresql": 8}  # statements a referral (issue 19: <= 15 on PostgreSQL)


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_journal(request: pytest.FixtureRequest, tmp_path: Path,
                keys: Keyring) -> Iterator[tuple[str, SqlJournal]]:  # noqa: F811
    engine = str(request.param)
    if engine == "sqlite":
        from medcom_adapter.journal.sqlite import SqliteDb

        journal = SqlJournal(SqliteDb(tmp_path / "journal.sqlite3"), keys)
    else:
        from medcom_adapter.journal.postgres import PostgresDb

        journal = SqlJournal(PostgresDb(request.getfixturevalue("postgres_url")), keys)
    yield engine, journal
    journal.close()


def test_a_referral_end_to_end_stays_within_its_statements(
        sql_journal: tuple[str, SqlJournal], tmp_path: Path) -> None:
    engine, journal = sql_journal
    directory = Directory.load(FIXTURES / "network" / "receivers.json")
    request = json.loads((FIXTURES / "requests" / "referral-bup.json").read_text("utf-8"))
    (tmp_path / "henvisningsskema-bup.pdf").write_bytes(pdf_with(bytes(range(256)) * 64))
    harness = Harness(journal, directory, unit_ean="5790000123452")
    queue_referral(journal, directory, request, files=tmp_path,
                   checked=harness.checked)  # warm-up: schemas, caches
    harness.pump()
    counter = StatementCounter(journal.db)
    for _ in range(REFERRALS):
        queue_referral(journal, directory, request, files=tmp_path, checked=harness.checked)
    harness.pump(REFERRALS * 4)
    sent = journal.find(Query(direction=Direction.OUTBOUND, limit=1000))
    assert len(sent) == 2 * (REFERRALS + 1)  # each XREF01 and its XBIN02, once
    assert {(s.status, len(s.answered_by)) for s in sent} == {(Status.ACKNOWLEDGED, 1)}
    assert counter.statements / REFERRALS <= CEILING[engine], counter.statements / REFERRALS
