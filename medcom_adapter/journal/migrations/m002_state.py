"""A message's current status and outbox lease in a small table of their own.

Changing a column of a ``messages`` row makes the engine write the whole row again, body
included (SQLite copies every overflow page of a 270 KB XBIN body; PostgreSQL writes a new
row version). Status and lease change several times per message, the rest never, so they
move to ``message_state``. ``messages.status`` stays as the status a message was appended
with and ``messages.lease_until`` stays empty: SQLite before 3.35 cannot drop columns.
"""

from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(2, "status and lease apart from the message", (
    """CREATE TABLE message_state (
        message {bigint} PRIMARY KEY REFERENCES messages (id),
        status TEXT NOT NULL, lease_until TEXT)""",
    "INSERT INTO message_state (message, status, lease_until) "
    "SELECT id, status, lease_until FROM messages",
    "UPDATE messages SET lease_until = NULL WHERE lease_until IS NOT NULL",
    "DROP INDEX messages_status",
    "CREATE INDEX message_state_status ON message_state (status, lease_until)",
))
