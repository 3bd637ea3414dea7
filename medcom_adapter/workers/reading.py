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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from medcom_adapter.catalogue import Envelope
from medcom_adapter.channels import Carried, Channels
from medcom_adapter.errors import UnknownMessage
from medcom_adapter.transport.interface import Transport
from medcom_adapter.workers import read_edifact, read_fhir, read_oioxml
from medcom_adapter.workers.received import Context, Reading

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
    opened = channels.open(data, clock=context.clock, transport=transport)
    if not isinstance(opened, Carried):
        return opened  # the envelope alone says what it is
    reader = READERS.get(opened.envelope)
    if reader is None:
        raise UnknownMessage(f"no reader for what a {opened.envelope.value} carries")
    read = reader(opened, context)
    if opened.transport_envelope is not None:  # answered and reported with what it carried
        read = dataclasses.replace(read, transport_envelope=opened.transport_envelope)
    return read
