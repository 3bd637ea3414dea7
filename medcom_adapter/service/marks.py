"""What the unit has noted about its messages beyond their status: answered, and copies.

"Markér som besvaret" takes a received message off the mailbox's to-do list; a referral
sent with "send kopi til egen læge" is linked to that copy. Neither is a MedCom status, so
neither goes in the status history. :class:`Marks` is the interface the pages use;
:class:`MemoryMarks` keeps them in this process (one service process), until the
journal's shared state holds them.

Whether a received message has been read is not kept here: the audit log already records
every time a person opened it (:func:`medcom_adapter.service.mailbox.opened`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Protocol

ANSWERED = "besvaret"
OPENED = "aabnet"  # a person has opened the received message
COPY_TO_GP = "kopi-til-egen-laege"


class Marks(Protocol):
    def marked(self, ids: Iterable[int], mark: str) -> set[int]:
        """Those of ``ids`` that carry ``mark``."""
        ...

    def mark(self, id: int, mark: str, *, on: bool = True) -> None: ...

    def link(self, id: int, name: str, other: int) -> None: ...

    def linked(self, id: int, name: str) -> tuple[int, ...]: ...


class MemoryMarks:
    def __init__(self) -> None:
        self._marks: dict[str, set[int]] = {}
        self._links: dict[tuple[int, str], tuple[int, ...]] = {}
        self._lock = threading.Lock()

    def marked(self, ids: Iterable[int], mark: str) -> set[int]:
        with self._lock:
            return set(ids) & self._marks.get(mark, set())

    def mark(self, id: int, mark: str, *, on: bool = True) -> None:
        with self._lock:
            marks = self._marks.setdefault(mark, set())
            if on:
                marks.add(id)
            else:
                marks.discard(id)

    def link(self, id: int, name: str, other: int) -> None:
        with self._lock:
            current = self._links.get((id, name), ())
            if other not in current:
                self._links[(id, name)] = (*current, other)

    def linked(self, id: int, name: str) -> tuple[int, ...]:
        with self._lock:
            return self._links.get((id, name), ())
