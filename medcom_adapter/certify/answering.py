"""Answering what arrives as a receiver must, for the send protocol (the vendor's system
expects its messages answered) and as the reference peer in tests.

- An OIOXML letter: the receipt it is owed (``oioxml.receipting``), none for receipts.
- A VANSEnvelope carrying a FHIR message: a VANS ``PositiveMessage`` receipt for the
  envelope (reliable transport), and the Acknowledgement the message is owed
  (``fhir.acknowledging``) in an envelope of its own. A message seen before (same
  MessageHeader.id) gets the acknowledgement it got the first time, never a second verdict.
  VANS receipts and Acknowledgements are never answered.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from medcom_adapter.catalogue import Envelope
from medcom_adapter.detect import Enveloped, check
from medcom_adapter.detect import answer as receipt_answer
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.fhir import acknowledgement, wire
from medcom_adapter.fhir.acknowledging import answer as ack_answer
from medcom_adapter.model.acknowledgement import ERROR_CODES, AckCode, OutcomeIssue
from medcom_adapter.model.carecommunication import Coding

_NOT_RECEIPTED = frozenset({"SBDH", "CareCommunication", "Acknowledgement"})


def utc_now() -> datetime:
    return datetime.now(UTC)


class Answerer:
    """The answers one received file is owed; remembers acknowledgements given."""

    def __init__(self, *, clock: Callable[[], datetime] = utc_now,
                 new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self.clock = clock
        self.new_id = new_id
        self.acks: dict[str, bytes] = {}  # MessageHeader.id -> the envelope that acked it
        self.duplicates = 0

    def answer(self, data: bytes) -> list[bytes]:
        report = check(data)
        if report.kind == Envelope.VANS_ENVELOPE:
            return self._envelope(report.message, report.carried)
        if report.kind in _NOT_RECEIPTED or bytes(data[:64]).lstrip().startswith(b"{"):
            return []  # FHIR outside a VANSEnvelope, or an envelope we do not answer here
        now = self.clock().astimezone().replace(tzinfo=None)
        result = receipt_answer(data, now=now)  # XCTL for OIOXML, CONTRL for EDIFACT
        return [result.build()] if result.receipt is not None else []

    def _envelope(self, opened: object, carried: object) -> list[bytes]:
        if not isinstance(opened, Enveloped):
            return []  # an envelope that does not read cannot be addressed
        envelope = opened.envelope
        if not isinstance(envelope, vans.VansEnvelope) or envelope.message is None:
            return []  # VANS receipts are never answered
        now = self.clock()
        out = [vans.build(vans.receipt_for(envelope, vans.VansReceiptKind.POSITIVE,
                                           envelope_id=self.new_id(), sent=now))]
        inner = envelope.message.data
        try:
            bundle, _ = wire.load(inner)
            header_id = str(bundle["entry"][0]["resource"]["id"])
        except Exception:  # unreadable FHIR: nothing to acknowledge by
            return out
        if header_id in self.acks:
            self.duplicates += 1
            return [*out, self.acks[header_id]]
        issues = getattr(carried, "issues", ())
        result = ack_answer(bundle, issues, now=now, new_id=self.new_id)
        if result.ack is None:
            return out
        ack = wire.dump_json(acknowledgement.to_bundle(result.ack))
        enveloped = vans.build(fhir_payload.wrap(ack, sent=now, envelope_id=self.new_id()))
        self.acks[header_id] = enveloped
        return [*out, enveloped]

    def scripted(self, data: bytes, codes: Sequence[str]) -> tuple[list[bytes], list[str]]:
        """A VANS receipt and the Acknowledgements ``codes`` name, in order, for an
        enveloped FHIR message (MedCom's Acknowledgement receive cases); the same code
        twice is the same Acknowledgement again (a duplicate). Also the MessageHeader ids
        of the Acknowledgements, which nothing may acknowledge."""
        report = check(data)
        opened = report.message
        envelope = opened.envelope if isinstance(opened, Enveloped) else None
        if not isinstance(envelope, vans.VansEnvelope) or envelope.message is None:
            return [], []
        now = self.clock()
        out = [vans.build(vans.receipt_for(envelope, vans.VansReceiptKind.POSITIVE,
                                           envelope_id=self.new_id(), sent=now))]
        bundle, _ = wire.load(envelope.message.data)
        made: dict[str, bytes] = {}
        ids: list[str] = []
        for code in codes:
            if code not in made:
                ok = ack_answer(bundle, now=now, new_id=self.new_id).ack
                assert ok is not None, "a CareCommunication that reads is acknowledged"
                ack = ok if code == "ok" else dataclasses.replace(
                    ok, code=AckCode(code), issues=(OutcomeIssue(
                        "error", "transient" if code == "transient-error" else "invalid",
                        Coding(ERROR_CODES, "MSG_VALUESET_VALUE_UNKNOWN"),
                        "Modtagerens test: kvittering efter MedComs testprotokol"),))
                made[code] = wire.dump_json(acknowledgement.to_bundle(ack))
                ids.append(ack.message_id)
            out.append(vans.build(fhir_payload.wrap(made[code], sent=now,
                                                    envelope_id=self.new_id())))
        return out, ids
