"""A received message as the inbox has read it: what to journal and how to answer it.

Both inboxes (OIOXML in :mod:`.inbox`, FHIR in :mod:`.inbox_fhir`) read a file into an
:class:`Inbound`; :meth:`.inbox.Inbox.decide` then does the same with either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from medcom_adapter.errors import MedComError
from medcom_adapter.journal.interface import NewMessage
from medcom_adapter.reliable.rules import MessageKey

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
