"""``open_journal``: the journal the configuration names.

``None`` or ``sqlite:///path`` (four slashes for an absolute path; by default
``journal.sqlite3`` in the data directory), ``postgresql://...`` (or ``postgres://``),
``memory:``. The URL comes from the argument or ``MEDCOM_JOURNAL_URL``; the data directory
from ``MEDCOM_DATA_DIR`` (default: the user's data directory, see :func:`data_dir`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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
    """Where the journal's SQLite file, its key and the API keys live: ``MEDCOM_DATA_DIR``
    (made absolute), else the user's data directory (``~/.local/share/medcom-adapter`` on
    Linux). Never the current directory: a command run from elsewhere must find the same
    journal and keys, not silently start new ones."""
    env = os.environ if env is None else env
    given = env.get(DATA_DIR_ENV)
    if given:
        return Path(given).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_data_dir("medcom-adapter", appauthor=False)).absolute()


def public_url(url: str | None) -> str:
    """A journal URL fit to print: without its password."""
    if not url:
        return "sqlite (journal.sqlite3 in the data directory)"
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[1]}"))


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
    """The configured keys. A key file is made only for a journal never opened under a key
    (the first open keys its chains) and holding nothing: never beside anything sealed or
    chained under a key that went missing."""
    try:
        return load_keyring(data_dir(env), env, create=False)
    except JournalKeyError:
        if env.get(KEY_ENV) or env.get(KEY_COMMAND_ENV):
            raise
        if not _empty(db):
            raise JournalKeyError(
                f"the journal was opened under a key before (its chains name it, and it may "
                f"hold messages, henvisninger, API keys), but that key "
                f"({key_file(data_dir(env), env)}) is missing: refusing to start rather "
                f"than seal new rows under a new key. Restore the key file, or set "
                f"{KEY_ENV} or {KEY_COMMAND_ENV} (see docs/security.md)") from None
        return load_keyring(data_dir(env), env, create=True)


_HOLDS = (  # any of these: the journal was opened under a key
    "SELECT 1 FROM journal_head WHERE chain_key IS NOT NULL",
    "SELECT 1 FROM messages", "SELECT 1 FROM audit_log", "SELECT 1 FROM henvisninger",
    "SELECT 1 FROM status_history",
)


def _empty(db: Db) -> bool:
    for query in _HOLDS:
        try:
            with db.transaction(write=False):
                if db.rows(f"{query} LIMIT 1"):
                    return False
        except Exception:  # no such table: a journal older than it, or none yet
            continue
    return True
