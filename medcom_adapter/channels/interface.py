"""What every channel offers: wrap and send on the way out, open on the way in.

A channel is a transport and the envelope a message needs on it. The outbox asks a
message's channel to :meth:`~Channel.wrap` the journaled message into the file that travels
and to :meth:`~Channel.send` it; the inbox asks the channel a file arrived on to
:meth:`~Channel.open` it, which ends in one of:

- :class:`Carried`: the message the envelope carries, for the reader of its syntax;
- :class:`~medcom_adapter.workers.received.AnswerIn`: a receipt of the network itself
  (a VANS receipt, later an EHMI transport receipt);
- :class:`~medcom_adapter.workers.received.Inbound`: an envelope refused as it is (it could
  not be read, or carries nothing we read), with the answer the network's rules owe it.

The journal keeps what the envelope carries (an OIOXML Emessage or EDIFACT interchange is
its own envelope; a FHIR message is kept as its Bundle), so the same entry can leave over
any channel that carries its catalogue row's envelopes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeAlias

from medcom_adapter.catalogue import Envelope
from medcom_adapter.errors import MedComError
from medcom_adapter.journal.interface import NewMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.transport.interface import Parcel, Transport
from medcom_adapter.workers.received import AnswerIn, Inbound, TransportEnvelope


@dataclass(frozen=True, slots=True)
class Carried:
    """The message an envelope carried, and what the envelope says of it."""

    data: bytes
    envelope: Envelope  # what it came in (the reader of its syntax is chosen by it)
    kind: Kind | None = None  # what the envelope says it carries (None: the message says)
    sender: str | None = None  # the envelope's location numbers (None: the message's own)
    receiver: str | None = None
    # the envelope refused as it is, when what it carries cannot be read at all (None: the
    # reader refuses the message itself)
    refuse: Callable[[MedComError], Inbound] | None = None
    # the network envelope, when it asks to be answered or reported on (ehmiSBDH): what
    # the inbox keeps the receive table and EDS reports by (None: nothing beyond the message)
    transport_envelope: TransportEnvelope | None = None


Opened: TypeAlias = Carried | AnswerIn | Inbound


class Channel(Protocol):
    @property
    def name(self) -> str:
        """What the receivers directory calls it (``vans``, ``ehmi``)."""
        ...

    @property
    def envelopes(self) -> frozenset[Envelope]:
        """The envelopes it carries: a message whose catalogue row travels in one of them
        can be sent on it."""
        ...

    @property
    def transport(self) -> Transport:
        """Where its files are published and arrive (channels may share one)."""
        ...

    def wrap(self, message: NewMessage, *, key: str, sent: datetime) -> Parcel:
        """The file that carries ``message`` (published under ``key``); a LocalError when
        it cannot be enveloped."""
        ...

    def send(self, parcel: Parcel) -> None:
        """Publish a wrapped file (idempotent per ``parcel.key``); TransportFailure when the
        transport cannot take it now."""
        ...

    def record(self, parcel: Parcel, *, sent: bool,
               answering: Callable[[], NewMessage | None] = ...) -> None:
        """What handing ``parcel`` over (``sent``), or giving it up before it could be
        (not ``sent``), means beyond the transport; called inside the journal block that
        marks the message ``sent`` or ``failed``, so it commits with that mark (EHMI: the
        EUA's EDS report). ``answering``: the message an answer answers, read only when
        asked for."""
        ...

    def open(self, data: bytes, *, clock: Callable[[], datetime]) -> Opened | None:
        """What a received file is; None when it is not in an envelope of this channel
        (another channel on the same transport may take it)."""
        ...
