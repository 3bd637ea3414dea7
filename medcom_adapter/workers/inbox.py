"""The inbox: read -> validate -> ask ``reliable`` -> journal -> answer -> deliver -> settle.

What to do with a received message is :func:`medcom_adapter.reliable.inbound.on_message`'s
decision (deliver, duplicate, reject); what a receipt or acknowledgement means for what we
sent is :func:`medcom_adapter.reliable.outbound.on_answer`'s. The inbox only reads the
bytes, looks up what the journal has (:mod:`.tracking`) and records the decision.

Several workers may read one in-folder. Each file is first claimed in the journal
(:meth:`~medcom_adapter.journal.interface.Journal.claim_file`: insert-or-nothing on the
file's name and bytes), so exactly one worker decides it; the decision looks up what was
received before and appends in one block that runs ``alone``, so two files of the same
letter are never both taken as new.

Order matters for crash-safety. The received message is journaled (``received``) together
with its receipt or acknowledgement (``queued``, for the outbox to send) and the claim's
decision, in one commit, before anything else; delivery is marked (``delivered``) after
the hook has it and before the file is settled, and the claim is closed after that.
A process killed anywhere leaves the file in the in-folder and its claim open; when the
claim's lease runs out another worker (or the same one restarted) takes it over and resumes
from the decision it holds: finishes a delivery still ``received``, and only settles a file
whose letter was delivered and answered, never deciding it again. So nothing is lost and
nothing is answered twice; the hook is called again only when a process died between the
hook and the journal's ``delivered`` (hence its idempotency key). Receipts and
acknowledgements of what we sent are delivered to no one: consecutive ones are taken in
under one durable commit, their files settled after it.

OIOXML Emessages are handled here; FHIR messages in VANSEnvelopes by :mod:`.inbox_fhir`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.addressing.senders import sender_sor
from medcom_adapter.detect import VANS_NAMESPACE, Report, check
from medcom_adapter.errors import (
    InboundInvalid,
    InconsistentMessage,
    JournalError,
    MedComError,
    ResourceFault,
    TransitionRefused,
    TransportFailure,
)
from medcom_adapter.journal.interface import (
    Attachment,
    Direction,
    FileClaim,
    Journal,
    NewMessage,
    Status,
    StoredMessage,
)
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.letters import BinaryLetter
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml.emessage import Document
from medcom_adapter.oioxml.receipting import RECEIPT_VERSIONS, answer
from medcom_adapter.reliable import correlate
from medcom_adapter.reliable.inbound import AnswerMode, Deliver, Duplicate, on_message
from medcom_adapter.reliable.outbound import Acknowledged, Rejected, matches, on_answer
from medcom_adapter.reliable.rules import Answer, MessageKey, Protocol
from medcom_adapter.transport.interface import Received, Transport
from medcom_adapter.workers import checked, tracking
from medcom_adapter.workers.hooks import Delivery, Hook
from medcom_adapter.workers.inbox_fhir import process_vans
from medcom_adapter.workers.lease import lease_seconds as lease
from medcom_adapter.workers.received import Inbound, Owed


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class InboxRun:
    delivered: int = 0
    receipts: int = 0  # receipts and acknowledgements of our messages taken in
    duplicates: int = 0
    refused: int = 0
    deferred: int = 0  # the hook failed; the file stays and is tried again
    elsewhere: int = 0  # claimed by another worker (or it took our claim over)
    quarantined: int = 0  # failed to be handled: moved aside with why, tried again later


class Inbox:
    def __init__(
        self, journal: Journal, transport: Transport, hook: Hook, *,
        clock: Callable[[], datetime] = utc_now, ids: IdSource | None = None,
        directory: Directory | None = None,
        lease_seconds: float | None = None,
    ) -> None:
        self.journal = journal
        self.directory = directory  # names a received message's sender by SOR id
        self.transport = transport
        self.hook = hook
        self.clock = clock
        self.ids = ids or IdSource()
        self.answers_per_commit = 100
        # how long a claimed file stays ours (--lease, MEDCOM_OUTBOX_LEASE)
        self.lease_seconds = lease_seconds or lease(env=os.environ)
        self.owner = uuid.uuid4().hex  # this worker, as the journal's file claims know it
        self._batching = False
        self._answers: _Answers | None = None
        self._claim: FileClaim | None = None  # the file being handled

    def run_once(self) -> InboxRun:
        counts = {"delivered": 0, "receipts": 0, "duplicates": 0, "refused": 0,
                  "deferred": 0, "elsewhere": 0, "quarantined": 0}
        self._batching = True
        try:
            for received in self.transport.receive():
                claim = self.journal.claim_file(
                    received.name, hashlib.sha256(received.data).hexdigest(),
                    owner=self.owner, lease_seconds=self.lease_seconds)
                if claim is None:
                    counts["elsewhere"] += 1
                    continue
                if not self.transport.pending(received):  # settled since we read it
                    self.journal.settle_file(claim.id)
                    counts["elsewhere"] += 1
                    continue
                self._claim = claim
                try:
                    outcome = self._resume(claim) or self.process(received.data)
                except TransportFailure:
                    counts["deferred"] += 1
                    continue
                except _ClaimLost:
                    counts["elsewhere"] += 1
                    continue
                except (ResourceFault, JournalError):
                    raise  # the journal or disk, not this file: the round stops, all stays
                except Exception as exc:  # this file alone: set aside, the rest flows on
                    if not self._set_aside(received, claim, exc):
                        raise
                    counts["quarantined"] += 1
                    continue
                finally:
                    self._claim = None
                counts[outcome] += 1
                if self._answers is None:
                    self._settle(received, claim)
                    continue
                self._answers.files.append((received, claim))  # settled when it commits
                if len(self._answers.files) >= self.answers_per_commit:
                    self._commit_answers()
        except BaseException as exc:
            self._drop_answers(exc)
            raise
        finally:
            self._batching = False
        self._commit_answers()
        return InboxRun(**counts)

    def _resume(self, claim: FileClaim) -> str | None:
        """What a claim taken over had decided, when nothing is left to do but settle the
        file; None when the file is still to be handled (not decided, or not delivered)."""
        if claim.outcome is None:
            return None
        if claim.message is not None and self.journal.get(claim.message).status in (
                Status.RECEIVED,):
            return None  # decided and answered, not yet delivered: finish it
        return claim.outcome

    def _decided(self, outcome: str, message: int | None) -> str:
        """Record the claimed file's decision (inside the decision's own block)."""
        if self._claim is not None and not self.journal.decide_file(
                self._claim.id, outcome, message, owner=self.owner):
            raise _ClaimLost  # taken over: the decision's block is undone, the other decides
        return outcome

    def _set_aside(self, received: Received, claim: FileClaim, exc: Exception) -> bool:
        """Quarantine a file whose handling failed unexpectedly (the transport keeps it with
        its reason and offers it again later); False when the transport cannot."""
        quarantine = getattr(self.transport, "quarantine", None)
        if quarantine is None:
            return False
        quarantine(received, f"{type(exc).__name__}: {exc}")
        self.journal.settle_file(claim.id)  # it comes back as a new file
        return True

    def _settle(self, received: Received, claim: FileClaim) -> None:
        self.transport.settle(received)
        self.journal.settle_file(claim.id)

    # -- one file ------------------------------------------------------------------------
    def process(self, data: bytes) -> str:
        """Handle one received file; returns what it was (a key of :class:`InboxRun`)."""
        if VANS_NAMESPACE in bytes(data[:4096]):
            return process_vans(self, data)
        report = check(data)
        document = report.message if isinstance(report.message, Document) else None
        if report.valid and document is not None:
            first = document.message.letters[0]
            if isinstance(first, Receipt):
                return self._take_receipt(data, document, first)
        return self.decide(data, self._read_letter(data, report, document))

    def decide(self, data: bytes, inbound: Inbound) -> str:
        """Journal, answer and deliver one received message as ``reliable`` decides."""
        self._commit_answers()  # a letter is journaled, answered and delivered on its own
        with self.journal.atomic(alone=True):  # what was received before stays all there is
            decided = self._decide(inbound)
        if isinstance(decided, str):
            return decided
        return self._finish(decided, data, inbound)

    def _decide(self, inbound: Inbound) -> str | StoredMessage:
        """The decision, journaled; a message to deliver is returned, not yet delivered."""
        journal, key = self.journal, inbound.key
        digest = hashlib.sha256(inbound.entry.data).hexdigest()
        resumed = tracking.same_file(journal, inbound.entry.envelope_id, digest)
        if resumed is not None and resumed.status is Status.RECEIVED:  # a run was cut short
            if inbound.problem is None:  # delivered with its bytes: read them now
                self._decided("delivered", resumed.id)
                return journal.get(resumed.id)
            return self._decided(self._refuse(resumed.id, inbound, inbound.reason), resumed.id)
        if key is None:
            id = journal.append(inbound.entry, Status.RECEIVED)
            return self._decided(self._refuse(id, inbound, inbound.reason), id)
        records = {e: s for s, e in tracking.earlier(journal, key, inbound.entry.sender_ean)}
        decision = on_message(key, records, problem=inbound.problem)
        if isinstance(decision, Deliver):  # received, its receipt queued: one commit
            id = journal.append(inbound.entry, Status.RECEIVED)
            self._queue(inbound.owed(id, None))
            self._decided("delivered", id)
            return journal.get(id)
        if isinstance(decision, Duplicate):
            earlier = records[decision.earlier]
            if decision.mode is AnswerMode.RESEND_ORIGINAL:
                if decision.answer_with is not None:
                    self._queue_again(int(decision.answer_with))
                else:
                    self._queue(inbound.owed(earlier.id, _refusal(earlier)))
                return self._decided(
                    "refused" if earlier.status is Status.REFUSED else "duplicates", None)
            id = journal.append(inbound.entry, Status.DUPLICATE)
            self._queue(inbound.owed(id, _refusal(earlier)))
            return self._decided("duplicates", id)
        refusal = None if inbound.problem is not None else InconsistentMessage(decision.reason)
        id = journal.append(inbound.entry, Status.RECEIVED)
        return self._decided(self._refuse(id, inbound, inbound.reason or decision.reason,
                                          refusal), id)

    def _finish(self, stored: StoredMessage, data: bytes, inbound: Inbound) -> str:
        if not self._answered(stored):
            self._queue(inbound.owed(stored.id, None))
        if self._claim is not None and not self.journal.keep_file(
                self._claim.id, owner=self.owner, lease_seconds=self.lease_seconds):
            raise _ClaimLost  # our lease ran out and another worker resumed the file
        message = stored.message
        self.hook(Delivery(
            delivery_id=f"{message.sender_ean}:{message.message_id}", journal_id=stored.id,
            kind=message.kind, version=message.version, sender=message.sender_ean,
            receiver=message.receiver_ean, envelope_id=message.envelope_id,
            message_id=message.message_id, data=message.data, message=inbound.message))
        with suppress(TransitionRefused):  # a worker that took the file over marked it first
            self.journal.set_status(stored.id, Status.DELIVERED, leaving=Status.RECEIVED)
        return "delivered"

    def _refuse(self, id: int, inbound: Inbound, reason: str | None,
                refusal: MedComError | None = None) -> str:
        with self.journal.atomic():  # refused, and its negative answer queued: one commit
            self.journal.set_status(id, Status.REFUSED, reason=(reason or "refused")[:500],
                                    leaving=Status.RECEIVED)
            if not self._answered(self.journal.get(id)):
                self._queue(inbound.owed(id, refusal))
        return "refused"

    # -- answers to what we sent ---------------------------------------------------------
    def take_answer(self, entry: NewMessage, answer: Answer, label: str) -> str:
        """Record a receipt or acknowledgement (``entry``) of something we sent, as
        ``reliable.outbound.on_answer`` decides.

        The decision is recorded on what we sent first, then the answer is journaled, already
        settled: a process killed in between takes the answer in again, and ``reliable`` then
        ignores it as repeated. So an answer that changed a status is new, and only one that
        changed nothing needs looking up.

        Within :meth:`run_once`, consecutive answers share one durable commit, and their files
        are settled only after it: a process killed before it takes them all in again.
        """
        if self._batching and self._answers is None:
            block = self.journal.atomic()
            block.__enter__()
            self._answers = _Answers(block)
        with self.journal.atomic():
            for _ in range(3):
                try:
                    return self._decided(self._take_answer(entry, answer, label), None)
                except TransitionRefused:
                    continue  # another process changed the message since it was read
            return self._decided(self._take_answer(entry, answer, label), None)

    def _take_answer(self, entry: NewMessage, answer: Answer, label: str) -> str:
        chain = tracking.chain_for(self.journal, envelope_id=answer.original_envelope_id,
                                   message_ids=answer.original_message_ids)
        out = tracking.outbound_of(chain, protocol=answer.protocol) if chain else None
        if out is None or not matches(out, answer):
            if self._seen(entry):
                return "duplicates"
            id = self.journal.append(entry, Status.RECEIVED)
            self.journal.set_status(id, Status.REFUSED,
                                    reason="answers no message this system sent")
            return "refused"
        _, decision = on_answer(out, answer)
        current = tracking.current(chain)
        # a positive VANS receipt says the envelope arrived; only the FHIR Acknowledgement
        # acknowledges the message
        if isinstance(decision, Acknowledged) and answer.protocol is not Protocol.VANS:
            self.journal.set_status(current.id, Status.ACKNOWLEDGED, leaving=current.status)
        elif isinstance(decision, Rejected):
            code = decision.refuse_code.value if decision.refuse_code is not None else None
            said = [code] if code else []
            said += [decision.reason] if decision.reason != code else []
            self.journal.set_status(current.id, Status.REJECTED, leaving=current.status,
                                    reason=f"{label}: {' '.join(said)}"[:500])
        elif self._seen(entry):  # only an answer that changed nothing can be one we have
            return "duplicates"
        answers = tracking.answered(chain, answer.original_envelope_id).id
        self.journal.append(dataclasses.replace(entry, answers=answers), Status.DELIVERED)
        return "receipts"

    def _take_receipt(self, data: bytes, document: Document, receipt: Receipt) -> str:
        (answer,) = correlate.emessage_answers(document.message)
        entry = NewMessage(
            direction=Direction.INBOUND, kind=receipt.kind.value,
            version=document.versions[0].code, data=data,
            envelope_id=document.message.envelope.identifier, message_id=receipt.identifier,
            sender_ean=receipt.sender_ean, receiver_ean=receipt.receiver_ean)
        return self.take_answer(entry, answer, receipt.kind.value)

    # -- reading a letter ----------------------------------------------------------------
    def _read_letter(self, data: bytes, report: Report, document: Document | None) -> Inbound:
        if report.valid and document is not None:
            first = document.message.letters[0]
            assert not isinstance(first, Receipt)
            key = correlate.emessage_keys(document.message)[0]
            objects = first.objects if isinstance(first, BinaryLetter) else ()
            patient = getattr(first, "patient", None)
            episode = getattr(first, "episode_of_care", None)
            entry = NewMessage(
                direction=Direction.INBOUND, kind=report.kind or "",
                version=report.version or "", data=data, envelope_id=key.envelope_id,
                message_id=key.message_id, sender_ean=str(first.sender.ean),
                receiver_ean=str(first.receiver.ean),
                sender_sor=sender_sor(self.directory, ean=str(first.sender.ean),
                                      identifier=first.sender.identifier,
                                      code=first.sender.identifier_code.value),
                patient=patient.id if patient is not None else None,
                episode_id=episode if isinstance(episode, str) else None,
                attachments=tuple(Attachment(str(o.object_id), o.extension.value, o.data)
                                  for o in objects))
            return Inbound(key, entry, None, None, self._owed_receipt(data),
                           document.message)
        # invalid: what a lenient read salvages is what the negative receipt answers
        result = answer(data, now=self._local_now(), ids=self.ids)
        receipt = result.receipt.letters[0] if result.receipt is not None else None
        salvaged = receipt if isinstance(receipt, Receipt) else None
        envelope_id = salvaged.original_envelope_id if salvaged else ""
        letter_id = salvaged.letters[0].identifier if salvaged and salvaged.letters else ""
        entry = NewMessage(
            direction=Direction.INBOUND, kind=report.kind or "unknown",
            version=report.version or "", data=data, envelope_id=envelope_id,
            message_id=letter_id, sender_ean=salvaged.receiver_ean if salvaged else None,
            receiver_ean=salvaged.sender_ean if salvaged else None)
        reason = "; ".join(str(i) for i in report.issues if not i.warning) or result.reason
        salvaged_key = MessageKey(Protocol.OIOXML, envelope_id, letter_id) if salvaged else None
        return Inbound(salvaged_key, entry, InboundInvalid(report.issues), reason,
                       self._owed_receipt(data))

    def _owed_receipt(self, data: bytes) -> Owed:
        def owed(answers: int, refusal: MedComError | None) -> NewMessage | None:
            result = answer(data, now=self._local_now(), ids=self.ids)
            if result.receipt is None or (refusal is not None and result.error is None):
                return None  # a valid letter refused for its ids: no receipt says so
            receipt = result.receipt.letters[0]
            assert isinstance(receipt, Receipt)
            built = result.build()  # validated as it is built
            checked.remember(built)
            return NewMessage(
                direction=Direction.OUTBOUND, kind=receipt.kind.value,
                version=RECEIPT_VERSIONS[receipt.kind], data=built,
                envelope_id=result.receipt.envelope.identifier, message_id=receipt.identifier,
                sender_ean=receipt.sender_ean, receiver_ean=receipt.receiver_ean,
                answers=answers)
        return owed

    def _commit_answers(self) -> None:
        """Commit the open block of answers, then settle their files."""
        answers, self._answers = self._answers, None
        if answers is not None:
            answers.block.__exit__(None, None, None)
            with self.journal.atomic():  # one commit settles their claims
                for received, claim in answers.files:
                    self._settle(received, claim)

    def _drop_answers(self, exc: BaseException) -> None:
        """Roll the open block of answers back; their files stay to be taken in again."""
        answers, self._answers = self._answers, None
        if answers is not None:
            answers.block.__exit__(type(exc), exc, exc.__traceback__)

    # -- helpers -------------------------------------------------------------------------
    def _seen(self, entry: NewMessage) -> bool:
        digest = hashlib.sha256(entry.data).hexdigest()
        return tracking.same_file(self.journal, entry.envelope_id, digest) is not None

    def _answered(self, stored: StoredMessage) -> bool:
        return any(self.journal.get(a).message.direction is Direction.OUTBOUND
                   for a in stored.answered_by)

    def _queue(self, answer: NewMessage | None) -> None:
        if answer is not None:
            self.journal.append(answer, Status.QUEUED)

    def _queue_again(self, answer_id: int) -> None:
        """The original answer once more, unchanged."""
        self.journal.append(self.journal.get(answer_id).message, Status.QUEUED)

    def _local_now(self) -> datetime:
        return self.clock().astimezone().replace(tzinfo=None)


@dataclass(slots=True)
class _Answers:
    """An open journal block of answers taken in, and the files they came in."""

    block: AbstractContextManager[None]
    files: list[tuple[Received, FileClaim]] = field(default_factory=list)


class _ClaimLost(Exception):
    """Our claim on a file was taken over: the other worker finishes it."""


def _refusal(earlier: StoredMessage) -> MedComError | None:
    if earlier.status is not Status.REFUSED:
        return None
    return InconsistentMessage(earlier.history[-1].reason or "refused before")
