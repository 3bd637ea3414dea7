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

from medcom_adapter.errors import JournalError, JournalKeyError
from medcom_adapter.journal.clock import Clock, utc_now
from medcom_adapter.journal.crypto import (
    KEY_COMMAND_ENV,
    KEY_ENV,
    Keyring,
    key_file,
    load_keyring,
)
from medcom_adapter.journal.db import Db
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

    db = _database(url, env)
    try:
        keys = _keyring(db, env)
        return SqlJournal(db, keys, clock=clock)
    except BaseException:
        db.close()
        raise


def _database(url: str | None, env: Mapping[str, str]) -> Db:
    if url is None or url.startswith("sqlite:"):
        from medcom_adapter.journal.sqlite import SqliteDb

        path = Path(url[len("sqlite:///"):]) if url and url.startswith("sqlite:///") else None
        if url is not None and path is None:
            raise JournalError(f"a SQLite journal URL is sqlite:///relative/file or "
                               f"sqlite:////absolute/file, not {url!r}")
        return SqliteDb(path or data_dir(env) / "journal.sqlite3")
    if url.startswith(("postgresql://", "postgres://")):
        from medcom_adapter.journal.postgres import PostgresDb

        return PostgresDb(url)
    scheme = url.split(":", 1)[0]
    raise JournalError(f"unknown journal URL scheme {scheme!r}: use sqlite:///FILE, "
                       "postgresql://... or memory:")


def _keyring(db: Db, env: Mapping[str, str]) -> Keyring:
    """The configured keys. A key file is made only for a journal that holds nothing yet:
    never beside rows sealed (or chained) under a key that went missing."""
    try:
        return load_keyring(data_dir(env), env, create=False)
    except JournalKeyError:
        if env.get(KEY_ENV) or env.get(KEY_COMMAND_ENV):
            raise
        if not _empty(db):
            raise JournalKeyError(
                f"the journal holds messages or audit rows, but its key "
                f"({key_file(data_dir(env), env)}) is missing: refusing to start rather "
                f"than seal new rows under a new key. Restore the key file, or set "
                f"{KEY_ENV} or {KEY_COMMAND_ENV} (see docs/security.md)") from None
        return load_keyring(data_dir(env), env, create=True)


def _empty(db: Db) -> bool:
    for table in ("messages", "audit_log"):
        try:
            with db.transaction(write=False):
                if db.rows(f"SELECT 1 FROM {table} LIMIT 1"):
                    return False
        except Exception:
            continue
    return True
