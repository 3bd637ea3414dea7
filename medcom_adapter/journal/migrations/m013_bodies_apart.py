"""Large message bodies in a table of their own, where the body is the last column.

SQLite keeps a ``zeroblob`` lazily (and so writes a large value in place without building
it in memory) only in a row's last column. A body kept here leaves ``messages.body`` empty;
it is sealed exactly as in ``messages.body`` (see ``journal.bodies``). Rows written before
keep their bodies where they are and read as before.
"""

from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(13, "large message bodies in a table of their own", (
    """CREATE TABLE message_bodies (
        message {bigint} PRIMARY KEY REFERENCES messages (id), body {blob} NOT NULL)""",
))
