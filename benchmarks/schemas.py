"""A PostgreSQL schema of its own for a benchmark's journal, dropped afterwards, so runs on
one server (and the test suite's) never see each other's rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


def in_schema(url: str, schema: str) -> str:
    """``url`` with ``schema`` as its search path."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@contextmanager
def own_schema(url: str, prefix: str) -> Iterator[str]:
    """A URL on a new schema named ``prefix`` and a random suffix, dropped on leaving."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield in_schema(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
