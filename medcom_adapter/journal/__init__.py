"""The local journal: every message sent or received, its receipts and status history.

An adapter at the edge. The core never imports it; workers, the service and the CLI reach a
journal only through the :class:`~medcom_adapter.journal.interface.Journal` protocol, so
SQLite, PostgreSQL and in-memory stores are interchangeable (``open_journal`` picks one).
"""
