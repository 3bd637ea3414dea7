"""The inbox: read once -> ask ``reliable`` -> journal -> answer -> deliver -> settle.

What to do with a received message is :func:`medcom_adapter.reliable.inbound.on_message`'s
decision (deliver, duplicate, reject); what a receipt or acknowledgement means for what we
sent is :func:`medcom_adapter.reliable.outbound.on_answer`'s. The inbox has the file read
(:mod:`.reading`), looks up what the journal has (:mod:`.tracking`) and records the
decision.

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

Each file is read once, before anything is recorded, by a pure step (:mod:`.reading`): the
channel it arrived on opens its envelope, the reader of what it carries reads and
validates the message, and the value it returns (:class:`~.received.Inbound` or
:class:`~.received.AnswerIn`) is what the inbox records. Nothing in reading calls the inbox.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import logging
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.channels import Channels
from medcom_adapter.envelopes.ebbp_signal import ReceiptException
from medcom_adapter.errors import (
    InconsistentMessage,
    JournalError,
    MedComError,
    ResourceFault,
    TransitionRefused,
    TransportFailure,
)
from medcom_adapter.journal.interface import (
    Direction,
    FileClaim,
    Journal,
    NewMessage,
    Query,
    Status,
    StoredMessage,
)
from medcom_adapter.kinds import Kind
from medcom_adapter.model.ids import IdSource
from medcom_adapter.reliable import ehmi
from medcom_adapter.reliable.inbound import AnswerMode, Deliver, Duplicate, on_message
from medcom_adapter.reliable.outbound import Acknowledged, Rejected, matches, on_answer
from medcom_adapter.reliable.rules import Protocol
from medcom_adapter.reliable.states import allowed
from medcom_adapter.transport.interface import Received, Transport
from medcom_adapter.workers import reading, tracking
from medcom_adapter.workers.checked import Checked
from medcom_adapter.workers.hooks import Delivery, Hook
from medcom_adapter.workers.lease import lease_seconds as lease
from medcom_adapter.workers.received import AnswerIn, Context, Inbound, Reading, TransportEnvelope

T = TypeVar("T")
log = logging.getLogger(__name__)
_SBDH_RECEIPT = Kind.SBDH_RECEIPT.value
_CLAIMED_TOGETHER = 50  # files claimed in one statement, at most
_CLAIMED_BYTES = 8 << 20  # and no more bytes held before they are handled


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
        self, journal: Journal, transport: Transport | None, hook: Hook, *,
        channels: Channels | None = None, clock: Callable[[], datetime] = utc_now,
        ids: IdSource | None = None, directory: Directory | None = None,
        lease_seconds: float | None = None, checked: Checked | None = None,
    ) -> None:
        self.journal = journal
        if channels is None:
            if transport is None:
                raise ValueError("an inbox reads a transport or channels")
            channels = Channels.vans(transport)
        self.channels = channels  # where files arrive, and how their envelopes open
        self.directory = directory  # names a received message's sender by SOR id
        self.hook = hook
        self.clock = clock
        self.ids = ids or IdSource()
        self.checked = checked  # told of the receipts it builds, for its node's outbox
        self.answers_per_commit = 100
        # how long a claimed file stays ours (--lease, MEDCOM_OUTBOX_LEASE)
        self.lease_seconds = lease_seconds or lease(env=os.environ)
        self.owner = uuid.uuid4().hex  # this worker, as the journal's file claims know it
        self._claim: FileClaim | None = None  # the file being handled

    def run_once(self) -> InboxRun:
        counts = {"delivered": 0, "receipts": 0, "duplicates": 0, "refused": 0,
                  "deferred": 0, "elsewhere": 0, "quarantined": 0}
        answers: list[tuple[_File, AnswerIn]] = []  # read, to be taken in under one commit
        for transport in self.channels.transports():
            try:
                self._receive(transport, counts, answers)
            except TransportFailure as exc:  # this transport cannot be read now (an access
                # point down): what the others hold is still taken in
                log.warning("a transport could not be read: %s", exc.code)
                counts["deferred"] += 1
        self._take_answers(answers, counts)
        return InboxRun(**counts)

    def _receive(self, transport: Transport, counts: dict[str, int],
                 answers: list[tuple[_File, AnswerIn]]) -> None:
        """Take in what ``transport`` holds; answers read are added to ``answers``, for
        one commit with the next letter or at the end of the round."""
        for received, claim in self._claimed(transport):
            if claim is None:
                counts["elsewhere"] += 1
                continue
            if not transport.pending(received):  # settled since we read it
                self.journal.settle_file(claim.id)
                counts["elsewhere"] += 1
                continue
            file = _File(transport, received, claim)
            resumed = self._resume(claim)
            if resumed is not None:  # decided and done before: only settle it
                counts[resumed] += 1
                self._settle(file)
                continue
            read = self._handle(file, counts, partial(self._read, file))
            if read is None:
                continue
            if isinstance(read, AnswerIn):
                answers.append((file, read))
                if len(answers) >= self.answers_per_commit:
                    self._take_answers(answers, counts)
                    answers.clear()
                continue
            self._take_answers(answers, counts)  # a letter is decided on its own
            answers.clear()
            outcome = self._handle(file, counts, partial(self.decide, read))
            if outcome is not None:
                counts[outcome] += 1
                self._settle(file)

    def _claimed(self, transport: Transport) -> Iterator[tuple[Received, FileClaim | None]]:
        """The transport's files, each with our claim on it (None: another worker holds
        it), claimed a few at a time in one statement each: enough files to spare the
        journal a round trip each, few enough bytes held and leases running meanwhile."""
        files: list[Received] = []
        size = 0
        for received in itertools.chain(transport.receive(), (None,)):
            if received is not None:
                files.append(received)
                size += len(received.data)
                if len(files) < _CLAIMED_TOGETHER and size < _CLAIMED_BYTES:
                    continue
            if files:
                yield from zip(files, self.journal.claim_files(
                    [(f.name, hashlib.sha256(f.data).hexdigest()) for f in files],
                    owner=self.owner, lease_seconds=self.lease_seconds), strict=True)
            files, size = [], 0

    def _read(self, file: _File) -> Reading:
        return reading.read(self.channels, file.received.data, self._context(),
                            transport=file.transport)

    def _context(self) -> Context:
        return Context(self.clock, self.ids, self.directory, self.checked)

    def _handle(self, file: _File, counts: dict[str, int], step: Callable[[], T]) -> T | None:
        """``step`` for one claimed file; None when it ended otherwise (counted)."""
        self._claim = file.claim
        try:
            return step()
        except TransportFailure:
            counts["deferred"] += 1
        except _ClaimLost:
            counts["elsewhere"] += 1
        except (ResourceFault, JournalError):
            raise  # the journal or disk, not this file: the round stops, all stays
        except Exception as exc:  # this file alone: set aside, the rest flows on
            if not self._set_aside(file, exc):
                raise
            counts["quarantined"] += 1
        finally:
            self._claim = None
        return None

    def _take_answers(self, answers: list[tuple[_File, AnswerIn]],
                      counts: dict[str, int]) -> None:
        """Take receipts and acknowledgements in under one durable commit, then settle their
        files: a process killed before the commit takes them all in again.

        Answers that change the status of what they answer are taken in together, a few
        statements for all of them (:meth:`_take_together`); any other answer (one that came
        in an ehmiSBDH asking for a receipt, for one), and any whose message changed
        meanwhile, one by one as :meth:`_take` decides it."""
        if not answers:
            return
        together: Counter[str] = Counter()
        try:
            with self.journal.atomic():
                taken = self._take_together(answers, together)
        except _ClaimLost:  # a claim was taken over: nothing of the block stands
            together, taken = Counter(), None
        if taken is None:
            taken = []
            with self.journal.atomic():
                for file, answer in answers:
                    outcome = self._handle(file, together, partial(self._take, answer))
                    if outcome is not None:
                        together[outcome] += 1
                        taken.append(file)
        for outcome, n in together.items():
            counts[outcome] += n
        with self.journal.atomic():  # one commit settles their claims
            for file in taken:
                file.transport.settle(file.received)
            self.journal.settle_files([file.claim.id for file in taken])

    def _take_together(self, answers: Sequence[tuple[_File, AnswerIn]],
                       counts: Counter[str]) -> list[_File]:
        """The answers' status changes compare-and-set together, the answers journaled and
        their claims decided together; the rest one by one after them (each in its own
        block, seeing what these changed). ``_ClaimLost`` when a claim was taken over."""
        chains = tracking.chains_for(self.journal, [
            (a.answer.original_envelope_id, a.answer.original_message_ids) for _, a in answers])
        planned: list[tuple[int, _Step]] = []  # by place in ``answers``
        apart: list[int] = []
        touched: set[int] = set()  # one change per message per statement
        for n, ((_, answer), chain) in enumerate(zip(answers, chains, strict=True)):
            try:  # one in an ehmiSBDH keeps its envelope's receive table: taken alone
                step = (self._step(answer, chain) if chain is not None
                        and answer.transport_envelope is None else None)
            except Exception:  # decided alone below, where it is set aside
                step = None
            change = step.change if step is not None else None
            ids = {s.id for s in chain or ()}
            if step is None or change is None or touched & ids or not allowed(change[1],
                                                                              change[2]):
                apart.append(n)
                continue
            touched |= ids
            planned.append((n, step))
        held: set[int] = set()
        for leaving in dict.fromkeys(step.change[1] for _, step in planned if step.change):
            held.update(self.journal.set_statuses(
                [(id, status, reason) for _, step in planned if step.change
                 for id, left, status, reason in (step.change,) if left is leaving],
                leaving=leaving))
        taken = [(n, step) for n, step in planned if step.change and step.change[0] in held]
        apart += [n for n, step in planned if not (step.change and step.change[0] in held)]
        claims = [(answers[n][0].claim.id, "receipts", None) for n, _ in taken]
        if taken:
            self.journal.append_many([step.entry for _, step in taken], Status.DELIVERED)
            if len(self.journal.decide_files(claims, owner=self.owner)) < len(claims):
                raise _ClaimLost
        counts["receipts"] = len(taken)
        files = [answers[n][0] for n, _ in taken]
        for n in sorted(apart):  # changed by another process since read, or not a change
            file, answer = answers[n]
            outcome = self._handle(file, counts, partial(self._take, answer))
            if outcome is not None:
                counts[outcome] += 1
                files.append(file)
        return files

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

    def _set_aside(self, file: _File, exc: Exception) -> bool:
        """Quarantine a file whose handling failed unexpectedly (the transport keeps it with
        its reason and offers it again later); False when the transport cannot."""
        quarantine = getattr(file.transport, "quarantine", None)
        if quarantine is None:
            return False
        quarantine(file.received, f"{type(exc).__name__}: {exc}")
        self.journal.settle_file(file.claim.id)  # it comes back as a new file
        return True

    def _settle(self, file: _File) -> None:
        file.transport.settle(file.received)
        self.journal.settle_file(file.claim.id)

    # -- one file ------------------------------------------------------------------------
    def process(self, data: bytes) -> str:
        """Read and handle one received file on its own; returns what it was (a key of
        :class:`InboxRun`)."""
        read = reading.read(self.channels, data, self._context())
        if isinstance(read, AnswerIn):
            return self._take(read)
        return self.decide(read)

    def decide(self, inbound: Inbound) -> str:
        """Journal, answer and deliver one received message as ``reliable`` decides."""
        with self.journal.atomic(alone=True):  # what was received before stays all there is
            decided = self._decide(inbound)
        if isinstance(decided, str):
            return decided
        return self._finish(decided, inbound)

    def _decide(self, inbound: Inbound) -> str | StoredMessage:
        """The decision, journaled; a message to deliver is returned, not yet delivered."""
        journal, key = self.journal, inbound.key
        digest = hashlib.sha256(inbound.entry.data).hexdigest()
        resumed = tracking.same_file(journal, inbound.entry.envelope_id, digest)
        if (resumed is not None and resumed.status is Status.RECEIVED
                and not self._copy_in_hand(resumed)):  # a run was cut short
            if inbound.problem is None:  # delivered with its bytes: read them now
                self._decided("delivered", resumed.id)
                return journal.get(resumed.id)
            return self._decided(self._refuse(resumed.id, inbound, inbound.reason), resumed.id)
        envelope = inbound.transport_envelope
        step = self._receive_table(envelope)
        if step is not None and not isinstance(step, ehmi.Answer):
            return self._envelope_alone(envelope, step)
        receipt = step.receipt if step is not None else None
        if key is None:
            id = journal.append(inbound.entry, Status.RECEIVED)
            self._answer_envelope(envelope, receipt, id, ReceiptException.SYNTAX,
                                  inbound.reason, delivered=False)
            return self._decided(self._refuse(id, inbound, inbound.reason), id)
        records = {e: s for s, e in tracking.earlier(journal, key, inbound.entry.sender_ean)}
        decision = on_message(key, records, problem=inbound.problem)
        if isinstance(decision, Deliver):  # received, its answers queued: one commit
            id = journal.append(inbound.entry, Status.RECEIVED)
            self._queue(inbound.owed(id, None))
            self._answer_envelope(envelope, receipt, id, delivered=True)
            self._decided("delivered", id)
            return journal.get(id)
        if isinstance(decision, Duplicate):
            earlier = records[decision.earlier]
            if decision.mode is AnswerMode.RESEND_ORIGINAL:
                if decision.answer_with is not None:
                    self._queue_again(int(decision.answer_with))
                else:
                    self._queue(inbound.owed(earlier.id, _refusal(earlier)))
                self._answer_envelope(envelope, receipt, earlier.id)
                return self._decided(
                    "refused" if earlier.status is Status.REFUSED else "duplicates", None)
            id = journal.append(inbound.entry, Status.DUPLICATE)
            self._queue(inbound.owed(id, _refusal(earlier)))
            self._answer_envelope(envelope, receipt, id)
            return self._decided("duplicates", id)
        refusal = None if inbound.problem is not None else InconsistentMessage(decision.reason)
        id = journal.append(inbound.entry, Status.RECEIVED)
        self._answer_envelope(envelope, receipt, id, delivered=False)
        return self._decided(self._refuse(id, inbound, inbound.reason or decision.reason,
                                          refusal), id)

    # -- the network envelope (ehmiSBDH): its receive table, receipt and EDS reports -------
    def _copy_in_hand(self, resumed: StoredMessage) -> bool:
        """Whether these bytes came in another file too, whose claim decided ``resumed``
        and is still being finished: then this file is a copy, not a run cut short."""
        claim = self._claim
        return (claim is not None and claim.message != resumed.id
                and self.journal.file_in_hand(resumed.id, besides=claim.id))

    def _receive_table(self, envelope: TransportEnvelope | None) -> ehmi.EnvelopeDecision | None:
        """The guide's receive table for an envelope that asks for a receipt (None: it
        asks for none, or came in no such envelope): by the receipts sent for its id."""
        if envelope is None or envelope.receipt is None:
            return None
        sent = self.journal.find(Query(message_id=envelope.envelope_id, kind=_SBDH_RECEIPT,
                                       direction=Direction.OUTBOUND, bodies=False))
        answered: dict[str, str] = {}
        for stored in sorted(sent, key=lambda s: s.id):  # the first sending of each
            answered.setdefault(stored.message.envelope_id, str(stored.id))
        return ehmi.on_arrival(envelope.envelope_id, envelope.message_id, answered)

    def _envelope_alone(self, envelope: TransportEnvelope | None,
                        step: ehmi.AnswerAgain | ehmi.RefuseReusedId) -> str:
        """The envelope decides alone: its content is neither read on nor delivered."""
        assert envelope is not None and envelope.receipt is not None
        assert envelope.refused is not None
        if isinstance(step, ehmi.AnswerAgain):  # the same envelope again: the same receipt
            self._queue_again(int(step.sent))
            return self._decided("duplicates", None)
        reason = (f"envelope {envelope.envelope_id} came before with another message; an "
                  "envelope id is never reused")
        id = self.journal.append(envelope.refused, Status.RECEIVED)
        self.journal.set_status(id, Status.REFUSED, reason=reason, leaving=Status.RECEIVED)
        self._queue(envelope.receipt(id, step.receipt, ReceiptException.SEQUENCE, reason))
        return self._decided("refused", id)

    def _answer_envelope(self, envelope: TransportEnvelope | None, receipt: str | None,
                         answers: int | None, exception: ReceiptException | None = None,
                         reason: str | None = None, *, delivered: bool | None = None,
                         answered: NewMessage | None = None) -> None:
        """Queue the envelope's receipt (``receipt``: its id, when one is asked for) and,
        for a message taken in (``delivered`` True) or refused (False), the EUA's EDS
        reports, in the commit that journals the decision."""
        if envelope is None:
            return
        if receipt is not None and envelope.receipt is not None:
            self._queue(envelope.receipt(answers, receipt, exception, reason))
        if delivered is not None:
            for n, event in enumerate(envelope.events, 1):
                envelope.report(event, delivered or n < len(envelope.events), answered)

    def _finish(self, stored: StoredMessage, inbound: Inbound) -> str:
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
    def _take(self, answer: AnswerIn) -> str:
        """Record a receipt or acknowledgement of something we sent, as
        ``reliable.outbound.on_answer`` decides.

        The decision is recorded on what we sent first, then the answer is journaled, already
        settled: a process killed in between takes the answer in again, and ``reliable`` then
        ignores it as repeated. So an answer that changed a status is new, and only one that
        changed nothing needs looking up, alone (two copies taken at once on PostgreSQL
        would both find nothing). An answer that came in an ehmiSBDH asking for a
        receipt keeps the envelope's receive table first, in the same block.
        """
        envelope = answer.transport_envelope
        with self.journal.atomic(alone=envelope is not None and envelope.receipt is not None):
            step = self._receive_table(envelope)
            if step is not None and not isinstance(step, ehmi.Answer):
                return self._envelope_alone(envelope, step)
            outcome = None
            for _ in range(3):
                try:
                    outcome = self._decided(self._take_answer(answer), None)
                    break
                except TransitionRefused:
                    continue  # another process changed the message since it was read
            if outcome is None:
                outcome = self._decided(self._take_answer(answer), None)
            self._answer_envelope(envelope, step.receipt if step is not None else None, None,
                                  delivered=None if outcome == "duplicates"
                                  else outcome == "receipts", answered=self._answered_by(answer))
            return outcome

    def _take_answer(self, taken: AnswerIn) -> str:
        entry, answer = taken.entry, taken.answer
        step = self._step(taken, tracking.chain_for(
            self.journal, envelope_id=answer.original_envelope_id,
            message_ids=answer.original_message_ids))
        if step is not None and step.change is not None:  # new: it changed a status
            id, leaving, status, reason = step.change
            self.journal.set_status(id, status, leaving=leaving, reason=reason)
            self.journal.append(step.entry, Status.DELIVERED)
            return "receipts"
        # nothing to compare-and-set: two copies taken at once must not both find nothing
        with self.journal.atomic(alone=True):
            if self._seen(entry):
                return "duplicates"
            if step is None:
                id = self.journal.append(entry, Status.RECEIVED)
                self.journal.set_status(id, Status.REFUSED,
                                        reason="answers no message this system sent")
                return "refused"
            self.journal.append(step.entry, Status.DELIVERED)
            return "receipts"

    def _step(self, taken: AnswerIn, chain: list[StoredMessage]) -> _Step | None:
        """What an answer changes, as ``reliable`` decides; None when it answers nothing we
        sent."""
        entry, answer, label = taken.entry, taken.answer, taken.label
        out = tracking.outbound_of(chain, protocol=answer.protocol) if chain else None
        if out is None or not matches(out, answer):
            return None
        _, decision = on_answer(out, answer)
        current = tracking.current(chain)
        change: tuple[int, Status, Status, str | None] | None = None
        # a positive VANS or EHMI envelope receipt says the envelope arrived; only the FHIR
        # Acknowledgement acknowledges the message
        if isinstance(decision, Acknowledged) and answer.protocol not in (Protocol.VANS,
                                                                          Protocol.SBDH):
            change = (current.id, current.status, Status.ACKNOWLEDGED, None)
        elif isinstance(decision, Rejected):
            code = decision.refuse_code.value if decision.refuse_code is not None else None
            said = [code] if code else []
            said += [decision.reason] if decision.reason != code else []
            change = (current.id, current.status, Status.REJECTED,
                      f"{label}: {' '.join(said)}"[:500])
        answers = tracking.answered(chain, answer.original_envelope_id).id
        return _Step(change, dataclasses.replace(entry, answers=answers))

    def _answered_by(self, taken: AnswerIn) -> NewMessage | None:
        """What an answer that came in a transport envelope answers (for its EDS reports)."""
        if taken.transport_envelope is None:
            return None
        answer = taken.answer
        chain = tracking.chain_for(self.journal, envelope_id=answer.original_envelope_id,
                                   message_ids=answer.original_message_ids)
        return tracking.current(chain).message if chain else None

    # -- helpers -------------------------------------------------------------------------
    def _seen(self, entry: NewMessage) -> bool:
        digest = hashlib.sha256(entry.data).hexdigest()
        return tracking.same_file(self.journal, entry.envelope_id, digest) is not None

    def _answered(self, stored: StoredMessage) -> bool:
        """Whether the message's own answer (receipt, Acknowledgement) is queued; the
        envelope receipt of the ehmiSBDH it came in answers the envelope, not the message."""
        return any(a.message.direction is Direction.OUTBOUND
                   and a.message.kind != _SBDH_RECEIPT
                   for a in map(self.journal.get, stored.answered_by))

    def _queue(self, answer: NewMessage | None) -> None:
        if answer is not None:
            self.journal.append(answer, Status.QUEUED)

    def _queue_again(self, answer_id: int) -> None:
        """The original answer once more, unchanged."""
        self.journal.append(self.journal.get(answer_id).message, Status.QUEUED)



@dataclass(frozen=True, slots=True)
class _File:
    """A received file, the transport it arrived on, and our claim on it."""

    transport: Transport
    received: Received
    claim: FileClaim


@dataclass(frozen=True, slots=True)
class _Step:
    """What an answer does: a status change of what it answers (id, leaving, new status,
    reason), and the answer's own entry."""

    change: tuple[int, Status, Status, str | None] | None
    entry: NewMessage


class _ClaimLost(Exception):
    """Our claim on a file was taken over: the other worker finishes it."""


def _refusal(earlier: StoredMessage) -> MedComError | None:
    if earlier.status is not Status.REFUSED:
        return None
    return InconsistentMessage(earlier.history[-1].reason or "refused before")
