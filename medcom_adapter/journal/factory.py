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

from medcom_adapter.errors import JournalError
from medcom_adapter.journal.clock import Clock, utc_now
from medcom_adapter.journal.crypto import load_keyring
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
