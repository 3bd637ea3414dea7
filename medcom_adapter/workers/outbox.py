"""The outbox: queued -> checked -> handed to the transport -> sent; overdue -> timed out.

Crash-safety: a message is claimed (leased) from the journal, published by the transport
under its journal id (publishing the same id twice is a no-op) and only then marked sent.
A process killed anywhere in between leaves it queued; when the lease runs out the next
process publishes it again, which publishes nothing new, and marks it sent.

Resending follows MedCom: an OIOXML message whose receipt is overdue is marked
``timed_out``; sending it again is a deliberate :meth:`Outbox.resend`, which journals a copy
with a new envelope id and the same letter id (the receiver sees a duplicate, answers it as
before and does not deliver it twice).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from medcom_adapter.detect import check
from medcom_adapter.errors import MedComError, OutboundInvalid, TransportFailure
from medcom_adapter.journal.interface import Direction, Journal, Query, Status
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage
from medcom_adapter.oioxml import emessage
from medcom_adapter.transport.directory import ALWAYS_ACCEPTED, Directory
from medcom_adapter.transport.interface import Parcel, Transport


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    receipt_timeout: timedelta = timedelta(minutes=30)  # MedCom: 30 minutes for FHIR
    lease_seconds: float = 60.0
    batch: int = 100
    validate: bool = True  # check every message against its schema/profile before sending


@dataclass(frozen=True, slots=True)
class OutboxRun:
    sent: int = 0
    failed: int = 0
    deferred: int = 0  # the transport could not take it now; stays queued


class Outbox:
    def __init__(
        self, journal: Journal, transport: Transport, directory: Directory | None = None, *,
        settings: OutboxSettings | None = None, clock: Callable[[], datetime] = utc_now,
        ids: IdSource | None = None,
    ) -> None:
        self.journal = journal
        self.transport = transport
        self.directory = directory
        self.settings = settings or OutboxSettings()
        self.clock = clock
        self.ids = ids or IdSource()

    def run_once(self) -> OutboxRun:
        sent = failed = deferred = 0
        claimed = self.journal.claim(Status.QUEUED, self.settings.batch,
                                     lease_seconds=self.settings.lease_seconds)
        for id in claimed:
            message = self.journal.get(id).message
            try:
                self._check(message.kind, message.version, message.data, message.receiver_ean)
            except MedComError as exc:
                self.journal.set_status(id, Status.FAILED, reason=f"{exc.code}: {exc}")
                failed += 1
                continue
            try:
                self.transport.send(Parcel(
                    message.data, message.kind, message.envelope_id,
                    message.sender_ean or "", message.receiver_ean or "", key=str(id)))
            except TransportFailure:
                deferred += 1  # the lease runs out and a later run tries again
                continue
            self.journal.set_status(id, Status.SENT)
            sent += 1
        return OutboxRun(sent, failed, deferred)

    def _check(self, kind: str, version: str, data: bytes, receiver: str | None) -> None:
        if self.settings.validate:
            report = check(data)
            if not report.valid:
                raise OutboundInvalid(report.issues)
        if self.directory is not None and kind not in ALWAYS_ACCEPTED:
            self.directory.by_ean(receiver or "").check(kind, version)

    def overdue(self) -> list[int]:
        """Mark sent messages whose receipt is overdue as ``timed_out``; returns their ids."""
        now = self.clock()
        timed_out = []
        for stored in self.journal.find(Query(status=Status.SENT, direction=Direction.OUTBOUND)):
            message = stored.message
            if message.kind in ALWAYS_ACCEPTED or stored.answered_by:
                continue
            if now - stored.history[-1].at < self.settings.receipt_timeout:
                continue
            if not _owes_receipt(message.data):
                continue
            self.journal.set_status(
                stored.id, Status.TIMED_OUT,
                reason=f"no receipt within {self.settings.receipt_timeout}")
            timed_out.append(stored.id)
        return timed_out

    def resend(self, id: int) -> int:
        """Send a timed-out OIOXML message again with a new envelope id; returns the new
        journal id. The original is marked ``resent``."""
        stored = self.journal.get(id)
        document = emessage.parse(stored.message.data)
        now = self.clock().astimezone().replace(second=0, microsecond=0, tzinfo=None)
        envelope = dataclasses.replace(document.message.envelope,
                                       identifier=self.ids.envelope_id(), sent=now)
        data = emessage.build(Emessage(envelope, document.message.letters), document.versions)
        copy = dataclasses.replace(stored.message, data=data, envelope_id=envelope.identifier,
                                   classification=None)
        new_id = self.journal.append(copy, Status.QUEUED)
        self.journal.set_status(id, Status.RESENT, reason=f"resent as journal entry {new_id}"
                                f" with envelope {envelope.identifier}")
        return new_id


def _owes_receipt(data: bytes) -> bool:
    try:
        ack = emessage.parse(data, validate=False).message.envelope.acknowledgement
    except MedComError:
        return True
    return ack is AcknowledgementCode.PLUS_POSITIVE
