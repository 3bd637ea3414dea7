"""``open_journal``: the journal the configuration names.

``None`` or ``sqlite:///path`` (four slashes for an absolute path; by default
``journal.sqlite3`` in the data directory), ``postgresql://...`` (or ``postgres://``),
``memory:``. The URL comes from the argument or ``MEDCOM_JOURNAL_URL``; the data directory
from ``MEDCOM_DATA_DIR`` (default ``.medcom``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from medcom_adapter.errors import JournalError
from medcom_adapter.journal.clock import Clock, utc_now
from medcom_adapter.journal.crypto import load_keyring
from medcom_adapter.journal.interface import Journal

URL_ENV = "MEDCOM_JOURNAL_URL"
DATA_DIR_ENV = "MEDCOM_DATA_DIR"


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get(DATA_DIR_ENV) or ".medcom")


def open_journal(url: str | None = None, *, env: Mapping[str, str] | None = None,
                 clock: Clock = utc_now) -> Journal:
    env = os.environ if env is None else env
    url = url or env.get(URL_ENV) or None
    if url == "memory:":
        from medcom_adapter.journal.memory import MemoryJournal

        return MemoryJournal(clock=clock)
    from medcom_adapter.journal.sqlstore import SqlJournal

    keys = load_keyring(data_dir(env), env)
    if url is None or url.startswith("sqlite:"):
        from medcom_adapter.journal.sqlite import SqliteDb

        path = Path(url[len("sqlite:///"):]) if url and url.startswith("sqlite:///") else None
        if url is not None and path is None:
            raise JournalError(f"a SQLite journal URL is sqlite:///relative/file or "
                               f"sqlite:////absolute/file, not {url!r}")
        return SqlJournal(SqliteDb(path or data_dir(env) / "journal.sqlite3"), keys, clock=clock)
    if url.startswith(("postgresql://", "postgres://")):
        from medcom_adapter.journal.postgres import PostgresDb

        return SqlJournal(PostgresDb(url), keys, clock=clock)
    scheme = url.split(":", 1)[0]
    raise JournalError(f"unknown journal URL scheme {scheme!r}: use sqlite:///FILE, "
                       "postgresql://... or memory:")
