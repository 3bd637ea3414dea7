"""Resource faults: a full disk or a lost connection is one clear line, nothing is
half-written, and the journal works again once the resource is back."""

from __future__ import annotations

import pytest

from medcom_adapter.cli import main
from medcom_adapter.errors import ResourceFault
from medcom_adapter.journal.interface import Status
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.samples import referral


def test_a_full_disk_is_a_resource_fault_and_the_last_commit_stands(
    sql_journal: SqlJournal, engine: str,
) -> None:
    if engine != "sqlite":
        pytest.skip("a full disk is made with SQLite's page limit")
    first = sql_journal.append(referral(1), Status.QUEUED)
    pages = sql_journal.db.rows("PRAGMA page_count")[0][0]
    sql_journal.db.rows(f"PRAGMA max_page_count = {pages}")  # the disk is full now
    with pytest.raises(ResourceFault, match="the disk holding the journal is full") as full:
        sql_journal.append_many([referral(n) for n in range(2, 200)], Status.QUEUED)
    assert "nothing was half-written" in str(full.value) and "\n" not in str(full.value)
    sql_journal.db.rows("PRAGMA max_page_count = 1073741823")  # space again
    assert sql_journal.get(first).message == referral(1)
    assert sql_journal.append(referral(2), Status.QUEUED) == first + 1
    assert sql_journal.verify().intact


def test_a_lost_connection_is_a_resource_fault_and_the_next_one_reconnects(
    sql_journal: SqlJournal, engine: str,
) -> None:
    if engine != "postgresql":
        pytest.skip("a lost connection is PostgreSQL's")
    import psycopg

    first = sql_journal.append(referral(1), Status.QUEUED)
    backend = sql_journal.db.rows("SELECT pg_backend_pid()")[0][0]
    with psycopg.connect(sql_journal.db._url, autocommit=True) as other:  # type: ignore[attr-defined]
        other.execute("SELECT pg_terminate_backend(%s)", (backend,))
    with pytest.raises(ResourceFault, match="lost the connection to the PostgreSQL journal"):
        sql_journal.append(referral(2), Status.QUEUED)
    assert sql_journal.append(referral(2), Status.QUEUED) == first + 1  # connected anew
    assert sql_journal.verify().intact


def test_the_cli_says_a_resource_fault_in_one_line_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEDCOM_JOURNAL_URL",
                       "postgresql://nobody@127.0.0.1:9/nowhere?connect_timeout=2")
    code = main(["journal", "verify"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "local.resource: cannot connect" in err
    assert "Traceback" not in err
