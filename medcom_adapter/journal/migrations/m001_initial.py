"""The first schema: messages, attachments, status history, classifications, audit log.

Columns holding content or person ids are ``{blob}`` ciphertexts (see ``journal.crypto``);
``person_index`` is a keyed hash for lookups. ``journal_head`` holds the newest chain link,
so removing the last entries is detected too.
"""

from medcom_adapter.journal.chain import GENESIS
from medcom_adapter.journal.migrations import Migration

_APPEND_ONLY = "audit log rows are never changed or removed"

MIGRATION = Migration(1, "initial schema", (
    """CREATE TABLE messages (
        id {bigint} PRIMARY KEY,
        direction TEXT NOT NULL, kind TEXT NOT NULL, version TEXT NOT NULL,
        envelope_id TEXT NOT NULL, message_id TEXT NOT NULL,
        sender_ean TEXT, receiver_ean TEXT, sender_sor TEXT, receiver_sor TEXT,
        episode_id TEXT, answers {bigint} REFERENCES messages (id),
        stored_at TEXT NOT NULL, stored_by TEXT NOT NULL,
        digest TEXT NOT NULL, attachment_digests TEXT NOT NULL, link TEXT NOT NULL,
        key_id TEXT, body {blob}, person {blob}, person_index TEXT,
        status TEXT NOT NULL, lease_until TEXT, purged_at TEXT)""",
    "CREATE INDEX messages_person ON messages (person_index)",
    "CREATE INDEX messages_episode ON messages (episode_id)",
    "CREATE INDEX messages_status ON messages (status, lease_until)",
    "CREATE INDEX messages_envelope ON messages (envelope_id)",
    "CREATE INDEX messages_letter ON messages (message_id)",
    "CREATE INDEX messages_stored_at ON messages (stored_at)",
    "CREATE INDEX messages_answers ON messages (answers)",
    "CREATE INDEX messages_key ON messages (key_id)",
    """CREATE TABLE attachments (
        message {bigint} NOT NULL REFERENCES messages (id), position INTEGER NOT NULL,
        object_id TEXT NOT NULL, content_type TEXT NOT NULL, title {blob}, data {blob} NOT NULL,
        PRIMARY KEY (message, position))""",
    """CREATE TABLE status_history (
        id {serial}, message {bigint} NOT NULL REFERENCES messages (id),
        status TEXT NOT NULL, at TEXT NOT NULL, key_id TEXT, reason {blob})""",
    "CREATE INDEX status_history_message ON status_history (message, id)",
    """CREATE TABLE classifications (
        message {bigint} PRIMARY KEY REFERENCES messages (id),
        course_id TEXT NOT NULL, referred_on TEXT NOT NULL, unit TEXT NOT NULL,
        classes TEXT NOT NULL, person {blob} NOT NULL, person_index TEXT NOT NULL)""",
    "CREATE INDEX classifications_date ON classifications (referred_on)",
    """CREATE TABLE audit_log (
        id {serial}, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        message_ids TEXT NOT NULL, detail TEXT)""",
    "CREATE INDEX audit_log_at ON audit_log (at)",
    """CREATE TABLE journal_head (
        id INTEGER PRIMARY KEY, last_id {bigint} NOT NULL, link TEXT NOT NULL)""",
    f"INSERT INTO journal_head VALUES (1, 0, '{GENESIS}')",
), {
    "sqlite": (
        f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END""",
        f"""CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END""",
    ),
    "postgresql": (
        f"""CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$""",
        """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
        """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
    ),
})
