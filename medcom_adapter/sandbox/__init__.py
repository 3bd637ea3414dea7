"""A local VANS network for development, tests and vendors' trials.

It routes files between mailboxes by location number, answers a file for an unknown
receiver with a negative VANS receipt, and plays the counterparts a PPR unit talks to: a
BUP department, a GP system and DNHF. Faults (drop, duplicate, delay, reorder, corrupt) are
injected deterministically from a seed. Use it in-process (:class:`~.network.Network`) or as
``medcom-adapter sandbox`` over mailbox folders.
"""
