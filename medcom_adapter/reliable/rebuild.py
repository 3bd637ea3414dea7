"""The bytes of a resend, made from the bytes first sent, as MedCom's resend rules require.

- FHIR CareCommunication: a new Bundle.id, new Bundle timestamp and new times on the
  message's own Provenance; MessageHeader.id unchanged, so the receiver sees a duplicate.
  Written in the format (JSON or XML) of the original.
- OIOXML Emessage: a new Envelope/Identifier and send time; the letters unchanged (same
  letter ids). Written in the original's versions and encoding.
- VANSEnvelope: a new EnvelopeIdentifier and SentDateTime; the message id and data unchanged.

These are pure: ids and times come from the caller. Whether a resend is allowed at all is
:func:`medcom_adapter.reliable.outbound.resend`'s decision.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from medcom_adapter.convert.xdis91_fhir import DANISH_TIME
from medcom_adapter.envelopes.vans import VansEnvelope
from medcom_adapter.errors import InvalidValue, MedComError, ResendRefused
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.carecommunication import from_bundle, to_bundle
from medcom_adapter.fhir.threads import resend as resend_thread_message
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.model.message import Envelope
from medcom_adapter.oioxml import emessage

_DUMP = {"json": wire.dump_json, "xml": wire.dump_xml}


def fhir_message(message: CareCommunication, *, now: datetime,
                 new_id: Callable[[], str]) -> CareCommunication:
    """The model of a FHIR resend (see the module docstring)."""
    return resend_thread_message(message, now=now, new_id=new_id)


def fhir_bytes(data: bytes, *, now: datetime, new_id: Callable[[], str]) -> bytes:
    """The bytes of a FHIR resend of ``data`` (one of our CareCommunication messages)."""
    try:
        bundle, fmt = wire.load(data)
        event = ((bundle.get("entry") or [{}])[0].get("resource") or {}).get("eventCoding")
        if (event or {}).get("code") == "acknowledgement-message":
            raise ResendRefused("acknowledgements are never resent (they are not acknowledged)")
        message = from_bundle(bundle)
    except ResendRefused:
        raise
    except MedComError as exc:
        raise InvalidValue(f"cannot resend: the original does not read: {exc.message}",
                           location=exc.location) from None
    return _DUMP[fmt](to_bundle(fhir_message(message, now=now, new_id=new_id)))


def oioxml_bytes(data: bytes, *, new_envelope_id: str, now: datetime) -> bytes:
    """The bytes of an OIOXML resend of ``data``: new envelope id and time, same letters.

    ``now`` may carry a zone (it is written as Danish wall-clock time, to the minute, as
    OIOXML has it) or be a naive local time."""
    try:
        document = emessage.parse(data)
    except MedComError as exc:
        raise InvalidValue(f"cannot resend: the original does not read: {exc.message}",
                           location=exc.location) from None
    old = document.message.envelope
    if new_envelope_id == old.identifier:
        raise ResendRefused("a resend needs a new envelope id")
    local = now.astimezone(DANISH_TIME).replace(tzinfo=None) if now.tzinfo else now
    envelope = Envelope(new_envelope_id, local.replace(second=0, microsecond=0),
                        old.acknowledgement)
    message = dataclasses.replace(document.message, envelope=envelope)
    return emessage.build(message, document.versions, encoding=document.encoding)


def vans_envelope(envelope: VansEnvelope, *, new_envelope_id: str, now: datetime) -> VansEnvelope:
    """A VANSEnvelope resend: new envelope id and time, same message (id and data)."""
    if envelope.message is None:
        raise ResendRefused("receipts are not resent")
    if new_envelope_id == envelope.envelope_id:
        raise ResendRefused("a resend needs a new envelope id")
    return dataclasses.replace(envelope, envelope_id=new_envelope_id, sent=now)
