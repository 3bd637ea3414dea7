"""What the unit has noted about its messages beyond their status: opened, answered, copies.

A received message is "opened" once a person has viewed it on its page, and "Markér som
besvaret" takes it off the mailbox's to-do list; a referral sent with "send kopi til egen
læge" is linked to that copy. None of them is a MedCom status, so none goes in the status
history: they live in the journal's shared state (``page_marks``), which every ``serve``
process on the journal sees.
"""

from __future__ import annotations

from collections.abc import Iterable

from medcom_adapter.journal.shared import SharedState

ANSWERED = "besvaret"
OPENED = "aabnet"  # a person has opened the received message
COPY_TO_GP = "kopi-til-egen-laege"


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
