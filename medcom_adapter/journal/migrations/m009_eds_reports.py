"""The durable queue of EDS delivery-status reports (EHMI).

One row per report, unique by ``key`` (the transport envelope and the event reported), so
reporting the same event twice (a worker that crashed after queueing, say) queues it once.
The AuditEvent may name the patient, so it is sealed with the journal's keyring and erased
once EDS holds it. A worker claims a row with a lease (``owner``, ``lease_until``) as the
outbox does, counts an attempt before it sends (``attempts``) and settles the row with a
compare-and-set on its owner; a row whose earlier attempt has no known outcome is looked
up in EDS before it is sent again.
"""

from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(9, "EDS delivery-status reports", (
    """CREATE TABLE eds_reports (
        id {serial}, key TEXT NOT NULL UNIQUE, message {bigint} REFERENCES messages (id),
        subtype TEXT NOT NULL, context TEXT NOT NULL, key_id TEXT, event {blob},
        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        owner TEXT, lease_until TEXT, next_try TEXT NOT NULL, queued_at TEXT NOT NULL,
        delivered_at TEXT, location TEXT, last_error TEXT)""",
    "CREATE INDEX eds_reports_due ON eds_reports (status, next_try)",
    "CREATE INDEX eds_reports_message ON eds_reports (message)",
))
