"""What the machine cannot give the journal now, as one clear error.

A full disk, a read-only file system, a disk that fails, a journal locked too long by
another process or a lost database connection is a :class:`ResourceFault`: one line that
names the problem and says what is safe. Every write is one transaction, so whatever
failed was not half-written: the last commit stands, and trying again once the resource
is back is safe (the workers do so, with back-off).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from medcom_adapter.errors import ResourceFault

SAFE = "nothing was half-written (the last commit stands); it is safe to run again"

_SQLITE = (  # sqlite_errorname prefix -> the problem
    ("SQLITE_FULL", "the disk holding the journal is full"),
    ("SQLITE_READONLY", "the journal's file or file system is read-only"),
    ("SQLITE_IOERR", "the disk holding the journal fails to read or write"),
    ("SQLITE_CANTOPEN", "the journal's file cannot be opened"),
    ("SQLITE_BUSY", "another process held the journal locked too long"),
    ("SQLITE_LOCKED", "another process held the journal locked too long"),
)

def sqlite_fault(exc: sqlite3.Error, where: str) -> ResourceFault | None:
    name = getattr(exc, "sqlite_errorname", "") or ""
    for prefix, problem in _SQLITE:
        if name.startswith(prefix):
            return ResourceFault(f"{problem} ({where}: {exc}); {SAFE}")
    return None


@contextmanager
def sqlite_guard(where: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        fault = sqlite_fault(exc, where)
        if fault is None:
            raise
        raise fault from exc


def postgres_fault(exc: Exception) -> ResourceFault | None:
    """The resource fault a psycopg error is, if it is one."""
    import psycopg

    if isinstance(exc, psycopg.errors.DiskFull):
        problem = "the PostgreSQL server's disk is full"
    elif isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        problem = "the PostgreSQL server is read-only"
    elif isinstance(exc, psycopg.OperationalError):
        problem = "lost the connection to the PostgreSQL journal"
    else:
        return None
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ResourceFault(f"{problem} ({detail}); {SAFE}")
