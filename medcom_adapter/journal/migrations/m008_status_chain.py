"""Status history chained with the journal's chain key, like the messages and audit log.

Each ``status_history`` row gets the ``link`` of its change after the one the journal made
before it (any message's), with the newest link and the number of changes in
``journal_head`` row 3. Its ``chain_key`` is empty until the journal links the existing
rows on its first open with this schema (``journal.relink``); from then on every change is
linked as it is made.
"""

from medcom_adapter.journal.chain import GENESIS
from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(8, "status history chained", (
    "ALTER TABLE status_history ADD COLUMN link TEXT",
    f"INSERT INTO journal_head (id, last_id, link) VALUES (3, 0, '{GENESIS}')",
))
