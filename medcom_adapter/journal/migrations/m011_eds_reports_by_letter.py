"""EDS reports name the MedCom message they concern by its id (MessageHeader.id), not by a
journal entry: a report is queued where the envelope is made, which knows the message but
not the entry, and ``journal show`` lists a message's reports whichever attempt or channel
they came from. Version 9's table is made again: nothing but tests queued into it.
"""

from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(11, "EDS reports by message id", (
    "DROP TABLE eds_reports",
    """CREATE TABLE eds_reports (
        id {serial}, key TEXT NOT NULL UNIQUE, message TEXT,
        subtype TEXT NOT NULL, context TEXT NOT NULL, key_id TEXT, event {blob},
        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        owner TEXT, lease_until TEXT, next_try TEXT NOT NULL, queued_at TEXT NOT NULL,
        delivered_at TEXT, location TEXT, last_error TEXT)""",
    "CREATE INDEX eds_reports_due ON eds_reports (status, next_try)",
    "CREATE INDEX eds_reports_message ON eds_reports (message)",
))
