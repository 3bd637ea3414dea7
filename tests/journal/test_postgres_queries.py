"""PostgreSQL gets our SQL as written, its ``?`` placeholders numbered: the driver parses
nothing, so a value that looks like a placeholder is only a value."""

from __future__ import annotations

import dataclasses

from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.interface import Query, Status
from medcom_adapter.journal.postgres import PostgresDb, _numbered, _pg
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import keys, postgres_url  # noqa: F401 - fixtures
from tests.journal.samples import referral


def test_placeholders_are_numbered_in_order() -> None:
    assert _pg("SELECT a FROM t WHERE b = ? AND c IN (?, ?)") == (
        b"SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)")
    assert _pg("SELECT 1") == b"SELECT 1"


def test_only_short_statements_are_kept_numbered() -> None:
    """A statement of many rows (an append of many messages: up to ~100 KB) is numbered each
    time, so the cache of numbered statements stays small."""
    many = "INSERT INTO t (a, b) VALUES " + ", ".join(["(?, ?)"] * 2000)
    before = _numbered.cache_info().currsize
    assert _pg(many).endswith(b"($3999, $4000)")
    assert _numbered.cache_info().currsize == before
    _pg("SELECT a FROM t WHERE b = ? AND z = 'kept'")
    assert _numbered.cache_info().currsize == before + 1


def test_values_that_look_like_placeholders_are_stored_as_given(
        postgres_url: str, keys: Keyring) -> None:  # noqa: F811
    journal = SqlJournal(PostgresDb(postgres_url), keys)
    try:
        odd = dataclasses.replace(referral(), envelope_id="ENV?%s$1", message_id="LET%(x)s?")
        id = journal.append(odd, Status.QUEUED)
        assert journal.get(id).message == odd
        found = journal.find(Query(message_ids=("LET%(x)s?",)))
        assert [s.id for s in found] == [id]
    finally:
        journal.close()
