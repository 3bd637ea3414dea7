"""One journal test suite, run against every engine.

PostgreSQL runs when ``MEDCOM_TEST_POSTGRES_URL`` names a server (``.ci/run`` starts one);
each test gets a schema of its own there, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from medcom_adapter.journal.crypto import Key, Keyring
from medcom_adapter.journal.db import Db
from medcom_adapter.journal.interface import Journal
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.journal.sqlstore import SqlJournal

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ENV = "MEDCOM_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_ENV)
NO_POSTGRES = f"no PostgreSQL server configured: set {POSTGRES_ENV}=postgresql://... to run"


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys() -> Keyring:
    return Keyring((Key("test-1", bytes(range(32))),))


def with_schema(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections see a fresh, empty schema."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    import psycopg

    schema = f"journal_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    yield with_schema(POSTGRES_URL, schema)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


Opener = Callable[[], Journal]


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_store(engine: str, clock: Clock, keys: Keyring, tmp_path: Path,
               request: pytest.FixtureRequest) -> Iterator[Opener]:
    """Opens (and reopens) one journal of the engine under test; closes them afterwards."""
    opened: list[Journal] = []
    if engine == "memory":
        shared = MemoryJournal(clock=clock)

        def opener() -> Journal:
            return shared
    elif engine == "sqlite":
        from medcom_adapter.journal.sqlite import SqliteDb

        def opener() -> Journal:
            return _sql(SqliteDb(tmp_path / "journal.sqlite3"), keys, clock)
    else:
        from medcom_adapter.journal.postgres import PostgresDb

        url = request.getfixturevalue("postgres_url")

        def opener() -> Journal:
            return _sql(PostgresDb(url), keys, clock)

    def tracked() -> Journal:
        opened.append(opener())
        return opened[-1]

    yield tracked
    for journal in opened:
        journal.close()


def _sql(db: Db, keys: Keyring, clock: Clock) -> SqlJournal:
    """A SQL journal on ``db``; a refused open closes it (its connection, its threads)."""
    try:
        return SqlJournal(db, keys, clock=clock)
    except BaseException:
        db.close()
        raise


@pytest.fixture
def journal(open_store: Opener) -> Journal:
    return open_store()


@pytest.fixture
def sql_journal(engine: str, open_store: Opener) -> SqlJournal:
    """The journal under test, for the engines that store rows (not the memory one)."""
    if engine == "memory":
        pytest.skip("the memory journal stores no rows")
    journal = open_store()
    assert isinstance(journal, SqlJournal)
    return journal
