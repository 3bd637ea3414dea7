"""FHIR on the sandbox network: VANS receipts, and a counterpart's answers to FHIR messages.

:class:`FhirAnswers` is what a counterpart does with a VANSEnvelope addressed to it: a
CareCommunication is validated with our profiles and acknowledged with an Acknowledgement
built by ``fhir.acknowledging.answer`` (``fatal-error`` naming what failed when it is
invalid, or when it cannot be read, e.g. a reference to no entry of the Bundle); a new,
valid one may be replied to (``fhir.threads.reply``) once; the same
envelope again gets the very same acknowledgement, the same message in a new envelope an
acknowledgement with the same content. Acknowledgements are taken, never answered. A payload
that is not a FHIR message is answered with a VANS ``NegativeMessage`` receipt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.envelopes.vans import (
    Endpoint,
    VansEnvelope,
    VansError,
    VansReceipt,
    VansReceiptKind,
)
from medcom_adapter.errors import Issue, MedComError
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.acknowledgement import from_bundle as read_ack
from medcom_adapter.fhir.acknowledgement import to_bundle as ack_bundle
from medcom_adapter.fhir.acknowledging import answer as acknowledge
from medcom_adapter.fhir.carecommunication import from_bundle, to_bundle
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.kinds import Kind
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.sandbox.addressing import Address

Reply = Callable[[CareCommunication, datetime], CareCommunication | None]


def aware(now: datetime) -> datetime:
    """FHIR and VANS times carry a zone; the network's clock may give local wall time."""
    return now if now.tzinfo is not None else now.astimezone()


def vans_receipt_file(
    kind: VansReceiptKind, address: Address, *, sender: str, now: datetime, text: str,
) -> bytes:
    """A VANS receipt for the envelope at ``address``, from its routing facts alone."""
    return vans.build(VansEnvelope(
        sender=Endpoint(sender), receiver=Endpoint(address.sender or sender),
        envelope_id=str(uuid.uuid4()), sent=aware(now),
        content=VansReceipt(kind, address.envelope_id or "", None, VansError(text[:500]))))


def envelope_file(bundle_data: bytes, now: datetime) -> bytes:
    """A FHIR message in its VANSEnvelope, as it goes on the network."""
    return vans.build(fhir_payload.wrap(bundle_data, sent=aware(now)))


@dataclass
class FhirAnswers:
    accepted: list[str] = field(default_factory=list)  # MessageHeader ids, once each
    refused: list[str] = field(default_factory=list)
    acks_received: list[str] = field(default_factory=list)  # ids acknowledged to us
    acks_sent: int = 0
    _acks: dict[str, bytes] = field(default_factory=dict)  # envelope id -> the ack sent

    def handle(self, data: bytes, now: datetime, reply: Reply) -> list[bytes]:
        now = aware(now)
        try:
            envelope = vans.parse(data)
        except MedComError:
            self.refused.append("?")  # nothing trustworthy to answer to
            return []
        if envelope.message is None:
            return []  # a VANS receipt for something we sent
        if envelope.envelope_id in self._acks:  # the same envelope again: the same ack
            self.acks_sent += 1
            return [self._acks[envelope.envelope_id]]
        try:
            payload = fhir_payload.unwrap(envelope)
            bundle, _ = wire.load(payload.data)
        except MedComError as exc:
            return [vans.build(vans.receipt_for(
                envelope, VansReceiptKind.NEGATIVE, envelope_id=str(uuid.uuid4()), sent=now,
                error=VansError(exc.message[:500])))]
        issues = [i for i in validate_message(bundle) if not i.warning]
        message: CareCommunication | None = None
        if not issues and payload.document.kind is not Kind.ACKNOWLEDGEMENT:
            try:  # what the profiles let through can still fail to read (a dangling
                message = from_bundle(bundle)  # reference): that is a fatal error too
            except MedComError as exc:
                issues = [Issue(exc.code, exc.message,
                                exc.location.path if exc.location else None)]
        if payload.document.kind is Kind.ACKNOWLEDGEMENT:
            if not issues:
                self.acks_received.append(read_ack(bundle).acknowledged_id)
            return []
        ack = acknowledge(bundle, issues, now=now).ack
        out = [envelope_file(wire.dump_json(ack_bundle(ack)), now)] if ack is not None else []
        if out:
            self._acks[envelope.envelope_id] = out[0]
            self.acks_sent += 1
        if issues:
            self.refused.append(str(envelope.message.meta.identifier))
            return out
        assert message is not None
        if message.message_id in self.accepted:
            return out  # a resend: acknowledged as before, never answered twice
        self.accepted.append(message.message_id)
        answer = reply(message, now)
        if answer is not None:
            out.append(envelope_file(wire.dump_json(to_bundle(answer)), now))
        return out
