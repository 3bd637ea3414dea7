"""An attachment whose bytes are already in its message's body is stored once.

An XBIN carries its object base64-encoded in the letter, and the journal kept both the
letter and the decoded object: for a referral's PDF, the same bytes sealed and written twice.
``in_body`` holds ``start:end``, where the object's base64 text lies in the (decrypted) body;
the row's ``data`` is then a sealed empty value. The chain still covers the object: its
digest is of the decoded bytes, and ``verify`` decodes them from the body to check it.
"""

from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(12, "attachments kept as base64 in their message's body", (
    "ALTER TABLE attachments ADD COLUMN in_body TEXT",
))
