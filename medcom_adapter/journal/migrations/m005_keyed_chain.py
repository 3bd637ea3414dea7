"""Chains that need a secret: keyed message links, a chained audit log, classifications.

Links become HMAC-SHA256 under a chain key derived from the journal key (``journal_head.
chain_key`` names the key; empty until the journal relinks its rows on first open with this
schema, see ``journal.relink``). Each audit row's link lives in ``audit_chain`` (the audit
log itself stays append-only, trigger and all) with the newest in ``journal_head`` row 2.
``messages.classification_digest`` is the keyed digest of a referral's classification,
covered by its link, so a changed classification row is seen.
"""

from medcom_adapter.journal.chain import GENESIS
from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(5, "keyed chains over messages, classifications and the audit log", (
    "ALTER TABLE journal_head ADD COLUMN chain_key TEXT",
    f"INSERT INTO journal_head (id, last_id, link) VALUES (2, 0, '{GENESIS}')",
    "ALTER TABLE messages ADD COLUMN classification_digest TEXT",
    """CREATE TABLE audit_chain (
        id {bigint} PRIMARY KEY REFERENCES audit_log (id), link TEXT NOT NULL)""",
))
