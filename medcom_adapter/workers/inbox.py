"""The inbox: detect -> parse -> validate -> decide -> journal -> answer -> deliver -> settle.

Order matters for crash-safety. The received message is journaled (``received``) before
anything else; its receipt is journaled (``queued``, for the outbox to send) before it is
delivered; delivery is marked (``delivered``) before the file is settled. A process killed
anywhere leaves the file in the inbox, and the next run finds the journal entry for the
same file and resumes from where it stopped, so nothing is lost and nothing is delivered
twice. A file that arrives again after it was handled is a duplicate and answered as
before, never delivered again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from medcom_adapter.detect import Report, check
from medcom_adapter.errors import TransportFailure
from medcom_adapter.journal.interface import (
    Attachment,
    Direction,
    Journal,
    NewMessage,
    Query,
    Status,
    StoredMessage,
)
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.letters import BinaryLetter
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml.emessage import Document
from medcom_adapter.oioxml.receipting import RECEIPT_VERSIONS, answer
from medcom_adapter.transport.interface import Transport
from medcom_adapter.workers.hooks import Delivery, Hook

RECEIPT_KINDS = frozenset({"XCTL01", "XCTL02", "XCTL03"})
_OPEN = frozenset({Status.QUEUED, Status.SENT, Status.TIMED_OUT, Status.RESENT})


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class InboxRun:
    delivered: int = 0
    receipts: int = 0  # receipts for our messages taken in
    duplicates: int = 0
    refused: int = 0
    deferred: int = 0  # the hook failed; the file stays and is tried again


class Inbox:
    def __init__(
        self, journal: Journal, transport: Transport, hook: Hook, *,
        clock: Callable[[], datetime] = utc_now, ids: IdSource | None = None,
    ) -> None:
        self.journal = journal
        self.transport = transport
        self.hook = hook
        self.clock = clock
        self.ids = ids or IdSource()

    def run_once(self) -> InboxRun:
        counts = {"delivered": 0, "receipts": 0, "duplicates": 0, "refused": 0, "deferred": 0}
        for received in self.transport.receive():
            try:
                outcome = self.process(received.data)
            except TransportFailure:
                counts["deferred"] += 1
                continue
            counts[outcome] += 1
            self.transport.settle(received)
        return InboxRun(**counts)

    # -- one file ------------------------------------------------------------------------
    def process(self, data: bytes) -> str:
        """Handle one received file; returns what it was (a key of :class:`InboxRun`)."""
        report = check(data)
        document = report.message if isinstance(report.message, Document) else None
        if not report.valid or document is None:
            return self._refuse(data, report)
        first = document.message.letters[0]
        if isinstance(first, Receipt):
            return self._take_receipt(data, document, first)
        return self._take_letter(data, document, report)

    def _take_letter(self, data: bytes, document: Document, report: Report) -> str:
        envelope_id = document.message.envelope.identifier
        first = document.message.letters[0]
        assert not isinstance(first, Receipt)
        sender, letter_id = str(first.sender.ean), first.letter.identifier
        same_file = self._same_file(envelope_id, data)
        if same_file is not None:
            if same_file.status is Status.RECEIVED:  # a run was cut short: finish it
                return self._finish(same_file, data, document)
            self._answer_again(same_file)
            return "duplicates"
        seen = [s for s in self.journal.find(Query(message_id=letter_id,
                                                   direction=Direction.INBOUND))
                if s.message.sender_ean == sender
                and s.status in (Status.RECEIVED, Status.DELIVERED)]
        new = self._inbound(data, document, report)
        if seen:  # new envelope, seen message: the earlier receipt was lost; answer again
            id = self.journal.append(new, Status.DUPLICATE)
            self._queue_receipt(id, data)
            return "duplicates"
        if self.journal.find(Query(envelope_id=envelope_id, direction=Direction.INBOUND)):
            id = self.journal.append(new, Status.REFUSED)  # seen envelope, new message
            self.journal.set_status(id, Status.REFUSED,
                                    reason=f"envelope id {envelope_id} reused for a new message")
            return "refused"
        id = self.journal.append(new, Status.RECEIVED)
        return self._finish(self.journal.get(id), data, document)

    def _finish(self, stored: StoredMessage, data: bytes, document: Document) -> str:
        if not stored.answered_by:
            self._queue_receipt(stored.id, data)
        message = stored.message
        self.hook(Delivery(
            delivery_id=f"{message.sender_ean}:{message.message_id}", journal_id=stored.id,
            kind=message.kind, version=message.version, sender=message.sender_ean,
            receiver=message.receiver_ean, envelope_id=message.envelope_id,
            message_id=message.message_id, data=data, message=document.message))
        self.journal.set_status(stored.id, Status.DELIVERED)
        return "delivered"

    def _refuse(self, data: bytes, report: Report) -> str:
        result = answer(data, now=self._local_now(), ids=self.ids)
        receipt = result.receipt.letters[0] if result.receipt is not None else None
        envelope_id = receipt.original_envelope_id if isinstance(receipt, Receipt) else ""
        same_file = self._same_file(envelope_id, data) if envelope_id else None
        if same_file is not None:
            if not same_file.answered_by:
                self._queue_receipt(same_file.id, data)
            else:
                self._answer_again(same_file)
            return "refused"
        reason = "; ".join(str(i) for i in report.issues if not i.warning)[:500] or result.reason
        new = NewMessage(
            direction=Direction.INBOUND, kind=report.kind or "unknown",
            version=report.version or "", data=data, envelope_id=envelope_id,
            message_id=receipt.letters[0].identifier if isinstance(receipt, Receipt)
            and receipt.letters else "",
            sender_ean=receipt.receiver_ean if isinstance(receipt, Receipt) else None,
            receiver_ean=receipt.sender_ean if isinstance(receipt, Receipt) else None)
        id = self.journal.append(new, Status.RECEIVED)
        self.journal.set_status(id, Status.REFUSED, reason=reason)
        self._queue_receipt(id, data)
        return "refused"

    def _take_receipt(self, data: bytes, document: Document, receipt: Receipt) -> str:
        envelope_id = document.message.envelope.identifier
        same_file = self._same_file(envelope_id, data)
        if same_file is not None and same_file.status is not Status.RECEIVED:
            return "duplicates"
        # our envelope ids are unique among what we send, so the id alone correlates
        originals = self.journal.find(Query(envelope_id=receipt.original_envelope_id,
                                            direction=Direction.OUTBOUND))
        if same_file is None:
            new = NewMessage(
                direction=Direction.INBOUND, kind=receipt.kind.value,
                version=document.versions[0].code, data=data, envelope_id=envelope_id,
                message_id=receipt.identifier, sender_ean=receipt.sender_ean,
                receiver_ean=receipt.receiver_ean,
                answers=originals[0].id if originals else None)
            same_file = self.journal.get(self.journal.append(new, Status.RECEIVED))
        if not originals:
            self.journal.set_status(same_file.id, Status.REFUSED,
                                    reason="answers no message this system sent")
            return "refused"
        original = originals[0]
        if original.status in _OPEN:
            if receipt.kind.negative:
                self.journal.set_status(original.id, Status.REJECTED,
                                        reason=_refusal_text(receipt))
            else:
                self.journal.set_status(original.id, Status.ACKNOWLEDGED)
        self.journal.set_status(same_file.id, Status.DELIVERED)
        return "receipts"

    # -- helpers -------------------------------------------------------------------------
    def _same_file(self, envelope_id: str, data: bytes) -> StoredMessage | None:
        digest = hashlib.sha256(data).hexdigest()
        for stored in self.journal.find(Query(envelope_id=envelope_id,
                                              direction=Direction.INBOUND)):
            if stored.digest == digest:
                return stored
        return None

    def _queue_receipt(self, answers: int, data: bytes) -> None:
        result = answer(data, now=self._local_now(), ids=self.ids)
        if result.receipt is None:
            return
        receipt = result.receipt.letters[0]
        assert isinstance(receipt, Receipt)
        self.journal.append(NewMessage(
            direction=Direction.OUTBOUND, kind=receipt.kind.value,
            version=RECEIPT_VERSIONS[receipt.kind], data=result.build(),
            envelope_id=result.receipt.envelope.identifier, message_id=receipt.identifier,
            sender_ean=receipt.sender_ean, receiver_ean=receipt.receiver_ean,
            answers=answers), Status.QUEUED)

    def _answer_again(self, stored: StoredMessage) -> None:
        """The same file again: send the original receipt once more, unchanged."""
        for id in stored.answered_by:
            earlier = self.journal.get(id)
            if earlier.message.direction is Direction.OUTBOUND:
                self.journal.append(earlier.message, Status.QUEUED)
                return

    def _inbound(self, data: bytes, document: Document, report: Report) -> NewMessage:
        first = document.message.letters[0]
        assert not isinstance(first, Receipt)
        objects = first.objects if isinstance(first, BinaryLetter) else ()
        patient = getattr(first, "patient", None)
        episode = getattr(first, "episode_of_care", None)
        return NewMessage(
            direction=Direction.INBOUND, kind=report.kind or "", version=report.version or "",
            data=data, envelope_id=document.message.envelope.identifier,
            message_id=first.letter.identifier, sender_ean=str(first.sender.ean),
            receiver_ean=str(first.receiver.ean),
            patient=patient.id if patient is not None else None,
            episode_id=episode if isinstance(episode, str) else None,
            attachments=tuple(Attachment(str(o.object_id), o.extension.value, o.data)
                              for o in objects))

    def _local_now(self) -> datetime:
        return self.clock().astimezone().replace(tzinfo=None)


def _refusal_text(receipt: Receipt) -> str:
    refusals = [r for r in (receipt.refusal, *(x.refusal for x in receipt.letters)) if r]
    said = []
    for refusal in refusals:
        if refusal.code is not None:
            said.append(refusal.code.value)
        if refusal.text is not None:
            said.append(refusal.text.to_plain())
    return f"{receipt.kind.value}: {' '.join(said)}" if said else receipt.kind.value

