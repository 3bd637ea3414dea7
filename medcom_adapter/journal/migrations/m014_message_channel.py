"""The channel a received message arrived on (``vans``, ``ehmi``), and the one an answer to
it must leave on, so an answer to a sender the directory does not list goes back the way
its message came. NULL for what was journaled before, and for what the channels route."""

from medcom_adapter.journal.migrations import Migration

MIGRATION = Migration(14, "the channel a message arrived on or must leave on", (
    "ALTER TABLE messages ADD COLUMN channel TEXT",
))
