"""What the unit has noted about its messages beyond their status: opened, answered, copies.

A received message is "opened" once a person has viewed it on its page: for the unit, and,
when the launch named the worker (``worker.id``), for that worker, whose mailbox then shows
as unread what they have not opened themselves. "Markér som besvaret" takes it off the
mailbox's to-do list for the whole unit, since an answer is the unit's; a referral sent
with "send kopi til egen læge" is linked to that copy. None of them is a MedCom status, so
none goes in the status history: they live in the journal's shared state (``page_marks``),
which every ``serve`` process on the journal sees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from medcom_adapter.journal.shared import SharedState

ANSWERED = "besvaret"
OPENED = "aabnet"  # a person has opened the received message
COPY_TO_GP = "kopi-til-egen-laege"


def opened_by(case_system: str, worker_id: str | None) -> str:
    """The mark a person's "opened" is kept under: the unit's when the launch named no
    worker; otherwise one per worker of that case system, keyed by a digest so that the
    worker's id is not stored beside the marks."""
    if worker_id is None:
        return OPENED
    who = hashlib.sha256(f"{case_system}\0{worker_id}".encode()).hexdigest()[:32]
    return f"{OPENED}:{who}"


class Marks:
    def __init__(self, store: SharedState) -> None:
        self._store = store

    def marked(self, ids: Iterable[int], mark: str) -> set[int]:
        """Those of ``ids`` that carry ``mark``."""
        return self._store.marked(list(ids), mark)

    def mark(self, id: int, mark: str, *, on: bool = True) -> None:
        self._store.set_mark(id, mark, on=on)

    def link(self, id: int, name: str, other: int) -> None:
        self._store.set_mark(id, name, other)

    def linked(self, id: int, name: str) -> tuple[int, ...]:
        return self._store.linked(id, name)
