"""Reading one received file, once: bytes -> envelope -> message -> what it is.

A pure step (no journal, no transport, no call back into the inbox): the file's channel
opens its envelope (``channels``), the reader of what the envelope carries reads and
validates the message once, and the result is a value the inbox records
(:class:`~.received.Inbound` to decide on, :class:`~.received.AnswerIn` to correlate with
what we sent). The answer a message is owed is built from what was read, never by reading
the bytes again.

Readers are chosen by the envelope: OIOXML Emessages (:mod:`.read_oioxml`), EDIFACT
interchanges (:mod:`.read_edifact`), FHIR messages
from a VANSEnvelope or an ehmiSBDH (:mod:`.read_fhir`). A new syntax is a reader and a row.

What is read is marked with the channel it arrived on, and so is the answer it is owed: the
answer leaves the way its message came, also to a sender the directory does not list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from medcom_adapter.catalogue import Envelope
from medcom_adapter.channels import Carried, Channels
from medcom_adapter.envelopes.ebbp_signal import ReceiptException
from medcom_adapter.errors import MedComError, UnknownMessage
from medcom_adapter.journal.interface import NewMessage
from medcom_adapter.transport.interface import Transport
from medcom_adapter.workers import read_edifact, read_fhir, read_oioxml
from medcom_adapter.workers.received import AnswerIn, Context, Reading, Receipt

Reader = Callable[[Carried, Context], Reading]
READERS: dict[Envelope, Reader] = {
    Envelope.EMESSAGE: read_oioxml.read,
    Envelope.INTERCHANGE: read_edifact.read,
    Envelope.VANS_ENVELOPE: read_fhir.read,
    Envelope.EHMI_SBDH: read_fhir.read,
}


def read(channels: Channels, data: bytes, context: Context, *,
         transport: Transport | None = None) -> Reading:
    """What the file ``data`` that arrived on ``transport`` is, read once."""
    channel, opened = channels.open(data, clock=context.clock, transport=transport)
    if not isinstance(opened, Carried):
        return arrived(opened, channel.name)  # the envelope alone says what it is
    reader = READERS.get(opened.envelope)
    if reader is None:
        raise UnknownMessage(f"no reader for what a {opened.envelope.value} carries")
    read = reader(opened, context)
    if opened.transport_envelope is not None:  # answered and reported with what it carried
        read = dataclasses.replace(read, transport_envelope=opened.transport_envelope)
    return arrived(read, channel.name)


def arrived(reading: Reading, channel: str) -> Reading:
    """``reading`` marked as arrived on ``channel``, and so is the answer it is owed."""
    entry = dataclasses.replace(reading.entry, channel=channel)
    envelope = reading.transport_envelope
    if envelope is not None:  # its receipt goes back, and it is kept, the same way
        refused = envelope.refused
        envelope = dataclasses.replace(
            envelope, refused=None if refused is None else dataclasses.replace(
                refused, channel=channel),
            receipt=None if envelope.receipt is None else _bound(envelope.receipt, channel))
    if isinstance(reading, AnswerIn):
        return dataclasses.replace(reading, entry=entry, transport_envelope=envelope)
    owed = reading.owed

    def answer(answers: int, refusal: MedComError | None) -> NewMessage | None:
        found = owed(answers, refusal)
        return None if found is None else dataclasses.replace(found, channel=channel)

    return dataclasses.replace(reading, entry=entry, owed=answer, transport_envelope=envelope)


def _bound(receipt: Receipt, channel: str) -> Receipt:
    def bound(answers: int | None, receipt_id: str,
              exception: ReceiptException | None, reason: str | None) -> NewMessage:
        return dataclasses.replace(receipt(answers, receipt_id, exception, reason),
                                   channel=channel)

    return bound
