"""A received file as it has been read: what to journal and how to answer it.

Reading (:mod:`.reading`: a channel opens the file, the reader of what it carries reads the
message once) ends in one of two values, which the inbox then records:

- :class:`Inbound`: a message owed a decision (deliver, duplicate, refuse) and an answer;
- :class:`AnswerIn`: a receipt or acknowledgement of something we sent.

They are plain values: nothing here calls back into the inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.ehmi.eds import Subtype
from medcom_adapter.envelopes.ebbp_signal import ReceiptException
from medcom_adapter.errors import MedComError
from medcom_adapter.journal.interface import NewMessage
from medcom_adapter.model.ids import IdSource
from medcom_adapter.reliable.rules import Answer, MessageKey
from medcom_adapter.workers.checked import Checked

# the envelope receipt an ehmiSBDH is owed, journaled as answering entry ``id`` (None: the
# answer is kept with nothing it answers): (id, receipt id, ReceiptException, reason)
Receipt = Callable[[int | None, str, ReceiptException | None, str | None], NewMessage]


@dataclass(frozen=True, slots=True)
class TransportEnvelope:
    """What a transport envelope (an ehmiSBDH) says beside what it carries: its ids for the
    receive table (``reliable.ehmi``), the receipt it is owed, the envelope itself as the
    journal keeps it when refused as a whole, and the EUA's delivery-status reports of what
    it carried: ``events`` once it is taken in, the last one (the EUA's
    ``msg-received-and-finalized``) a failure when what it carried is refused."""

    envelope_id: str
    message_id: str
    receipt: Receipt | None  # None: it asks for no receipt
    refused: NewMessage | None  # the envelope as it is, journaled when refused as a whole
    # queue an EDS report (event, success, the message an answer answers)
    report: Callable[[Subtype, bool, NewMessage | None], None]
    events: tuple[Subtype, ...] = (Subtype.RECEIVED, Subtype.RECEIVED_AND_FINALIZED)


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
    transport_envelope: TransportEnvelope | None = None  # the ehmiSBDH it came in


@dataclass(frozen=True, slots=True)
class AnswerIn:
    """A receipt or acknowledgement (``entry``) of something we sent, and what it says."""

    entry: NewMessage
    answer: Answer
    label: str  # how the status history names it (``XCTL03``, ``Acknowledgement ok``)
    transport_envelope: TransportEnvelope | None = None  # the ehmiSBDH it came in


Reading: TypeAlias = Inbound | AnswerIn


@dataclass(frozen=True, slots=True)
class Context:
    """What reading needs besides the bytes: the clock answers are dated by, the ids they
    get, and the directory that names a sender by SOR id."""

    clock: Callable[[], datetime]
    ids: IdSource = field(default_factory=IdSource)
    directory: Directory | None = None
    checked: Checked | None = None  # told of each answer built (and validated) in reading

    def local_now(self) -> datetime:
        """OIOXML envelopes carry local time without a zone."""
        return self.clock().astimezone().replace(tzinfo=None)


def nothing_owed(answers: int, refusal: MedComError | None) -> NewMessage | None:
    """Owed nothing: answers are never answered, and a file without readable ids cannot be."""
    return None
