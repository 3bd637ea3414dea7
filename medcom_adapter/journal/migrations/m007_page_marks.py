"""What a unit notes about its messages on the pages: opened, answered, linked copies.

Journal ids and mark names only (no person data, so nothing to seal); several ``serve``
processes on one journal see the same marks.
"""

from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(7, "the pages' marks on messages", (
    """CREATE TABLE page_marks (
        message {bigint} NOT NULL, mark TEXT NOT NULL, other {bigint} NOT NULL,
        PRIMARY KEY (message, mark, other))""",
))
