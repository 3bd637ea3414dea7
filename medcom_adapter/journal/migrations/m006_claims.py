"""What exactly-once with several processes needs of the journal.

- ``journal_identity``: a random id given to each journal when it is created. Outbound files
  are published under it (with their journal id and wire ids), so a new or restored journal
  on the same mailbox is never mistaken for the one that published before it.
- ``inbound_files``: one claim per received file still in the in-folder, unique among the
  unsettled ones (insert-or-nothing), so one worker decides, answers and delivers it; the
  claim keeps the decision (``outcome``, ``message``) so a worker that takes over a crashed
  one's claim resumes it instead of deciding again. The file is known by digests of its
  name and bytes: a provider's file name is not ours to store in the clear.
- ``quarantined_rows``: rows that failed to decrypt or verify, left out of reads and claims
  so the rest keeps flowing, and reported by ``journal verify``.
"""

from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(6, "journal identity, inbound file claims, quarantined rows", (
    "CREATE TABLE journal_identity (id INTEGER PRIMARY KEY, identity TEXT NOT NULL)",
    """CREATE TABLE inbound_files (
        id {serial}, name TEXT NOT NULL, digest TEXT NOT NULL,
        owner TEXT NOT NULL, lease_until TEXT NOT NULL, claimed_at TEXT NOT NULL,
        outcome TEXT, message {bigint} REFERENCES messages (id), settled_at TEXT)""",
    "CREATE UNIQUE INDEX inbound_files_open ON inbound_files (name, digest) "
    "WHERE settled_at IS NULL",
    """CREATE TABLE quarantined_rows (
        message {bigint} PRIMARY KEY REFERENCES messages (id),
        found_at TEXT NOT NULL, reason TEXT NOT NULL)""",
))
