"""Idempotency keys of the API's sends, shared by every ``serve`` process on the journal.

One row per (API key, ``Idempotency-Key``) that queued something: the digests of the key
and of the request it came with, and the answer given, so a repeat gets the same answer
and a repeat with another request is refused. The row is written in the transaction that
queues the messages, so a key names a send exactly when the send happened. Nothing here
names a person (the answer holds journal ids, a kind and file names).
"""

from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(10, "idempotency keys of the API's sends", (
    """CREATE TABLE idempotency_keys (
        scope TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL,
        status INTEGER NOT NULL, response TEXT NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (scope, key))""",
))
