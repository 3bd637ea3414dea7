"""A received message as the inbox has read it: what to journal and how to answer it.

Both inboxes (OIOXML in :mod:`.inbox`, FHIR in :mod:`.inbox_fhir`) read a file into an
:class:`Inbound`; :meth:`.inbox.Inbox.decide` then does the same with either. The FHIR side
sees the inbox only as :class:`Taking`, so the two modules do not import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from medcom_adapter.errors import MedComError
from medcom_adapter.journal.interface import NewMessage
from medcom_adapter.reliable.rules import Answer, MessageKey

# the answer a message is owed, journaled as answering entry ``id``; ``refusal``: why it is
# refused beyond what its bytes show (None: as the bytes show)
Owed = Callable[[int, MedComError | None], NewMessage | None]


@dataclass(frozen=True, slots=True)
class Inbound:
    """One received message, read: what the journal needs and how to answer it."""

    key: MessageKey | None  # None: not even its ids could be read
    entry: NewMessage
    problem: MedComError | None  # why it is invalid (None: valid)
    reason: str | None  # the problem as the journal records it
    owed: Owed
    message: Any = None  # the parsed model, for the hook


class Taking(Protocol):
    """What reading a received file needs of the inbox: decide on a message, take an
    answer, and the time. The FHIR side is written against this, not the inbox, so the
    inbox imports it and not the other way round."""

    @property
    def clock(self) -> Callable[[], datetime]: ...

    def decide(self, data: bytes, inbound: Inbound) -> str: ...

    def take_answer(self, entry: NewMessage, answer: Answer, label: str) -> str: ...
