"""The service's shared state: API keys, launch contexts, page sessions, form drafts.

Kept in the journal's store so several ``serve`` processes on one PostgreSQL journal see the
same keys (a revocation counts on the next request everywhere) and a restart keeps open
links and sessions. Secret ids are stored as SHA-256 hashes; payloads are ciphertexts.
"""

from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(4, "the service's shared state", (
    """CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, digest TEXT NOT NULL,
        scopes TEXT NOT NULL, units TEXT NOT NULL, created_at TEXT NOT NULL,
        revoked_at TEXT, webhook_url TEXT, key_id TEXT, webhook_secret {blob})""",
    """CREATE TABLE launches (
        reference TEXT PRIMARY KEY, expires TEXT NOT NULL, key_id TEXT NOT NULL,
        payload {blob} NOT NULL)""",
    "CREATE INDEX launches_expires ON launches (expires)",
    """CREATE TABLE sessions (
        id TEXT PRIMARY KEY, started TEXT NOT NULL, seen TEXT NOT NULL,
        key_id TEXT NOT NULL, payload {blob} NOT NULL)""",
    "CREATE INDEX sessions_seen ON sessions (seen)",
    """CREATE TABLE drafts (
        session TEXT NOT NULL, id TEXT NOT NULL, created TEXT NOT NULL,
        key_id TEXT NOT NULL, payload {blob} NOT NULL, PRIMARY KEY (session, id))""",
))
