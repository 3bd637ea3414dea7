"""Henvisninger recorded without a message, and corrections of any henvisning.

Append-only rows chained like the messages; the newest link is in ``henvisninger_head``
(see ``journal.henvisninger``). The patient is sealed; ``person_index`` is the keyed hash
for lookups.
"""

from medcom_adapter.journal.chain import GENESIS
from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(3, "henvisninger without a message, and corrections", (
    """CREATE TABLE henvisninger (
        seq {serial}, id TEXT NOT NULL UNIQUE, course_id TEXT NOT NULL,
        referred_on TEXT NOT NULL, class TEXT NOT NULL, unit TEXT NOT NULL,
        person {blob} NOT NULL, person_index TEXT NOT NULL, key_id TEXT NOT NULL,
        message {bigint} REFERENCES messages (id), supersedes TEXT, withdrawn INTEGER NOT NULL,
        recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL, link TEXT NOT NULL)""",
    "CREATE INDEX henvisninger_course ON henvisninger (course_id)",
    "CREATE INDEX henvisninger_supersedes ON henvisninger (supersedes)",
    """CREATE TABLE henvisninger_head (
        id INTEGER PRIMARY KEY, seq {bigint} NOT NULL, link TEXT NOT NULL)""",
    f"INSERT INTO henvisninger_head VALUES (1, 0, '{GENESIS}')",
))
