"""The outbox: queued -> checked -> wrapped and sent by its channel -> sent; what is overdue.

Crash-safety: a message is claimed (leased) from the journal, published by its channel
under its publish key (:func:`publish_key`: the journal's identity, the entry's journal id
and its envelope and letter ids; publishing the same key twice is a no-op) and only then
marked sent. A process killed anywhere in between leaves it queued; when the lease runs out
the next process publishes it again, which publishes nothing new, and marks it sent. The
marks of one run (a claimed batch) are one durable commit, and each is compare-and-set
(``queued`` -> ``sent``): an answer taken in meanwhile by another process stands.

A message leaves on the channel its receiver is reached on (``channels.Channels
.for_message``), which wraps it in the envelope it needs there: an OIOXML Emessage travels
as it is, a FHIR message (journaled as its Bundle) in a VANSEnvelope on VANS.

When an answer is overdue and what may be resent is
:func:`medcom_adapter.reliable.outbound.next_step`'s and ``resend``'s decision, never the
outbox's: :meth:`Outbox.overdue` records ``TimedOut`` as ``timed_out``, carries out an
automatic FHIR ``Resend`` (new Bundle.id and Provenance times, ``reliable.rebuild``) and
records ``GiveUp`` as ``failed``; :meth:`Outbox.resend` is the deliberate resend (OIOXML:
new envelope id, same letter ids). A resend is a new journal entry; the attempt it replaces
is marked ``resent``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from medcom_adapter.addressing.directory import ALWAYS_ACCEPTED, Directory
from medcom_adapter.channels import Channel, Channels
from medcom_adapter.conformance import built
from medcom_adapter.detect import check
from medcom_adapter.envelopes import sbdh, sbdh_receipt
from medcom_adapter.errors import (
    EhmiRefused,
    JournalCorrupt,
    JournalError,
    MedComError,
    OutboundInvalid,
    ResendRefused,
    TransitionRefused,
    TransportFailure,
)
from medcom_adapter.journal.interface import (
    Direction,
    Journal,
    NewMessage,
    Query,
    Status,
    StoredMessage,
)
from medcom_adapter.kinds import Kind
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.ids import IdSource
from medcom_adapter.oioxml import emessage
from medcom_adapter.reliable import ehmi, outbound, rebuild
from medcom_adapter.reliable.rules import Policy, Protocol
from medcom_adapter.transport.interface import Parcel, Transport
from medcom_adapter.workers import tracking
from medcom_adapter.workers.checked import Checked
from medcom_adapter.workers.lease import lease_seconds


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    # MedCom's timeouts and resend limits, with the operator's MEDCOM_* settings applied
    policy: Policy = field(default_factory=lambda: Policy.from_settings(os.environ))
    receipt_timeout: timedelta | None = None  # overrides the policy's OIOXML receipt timeout
    lease_seconds: float = field(default_factory=lambda: lease_seconds(env=os.environ))
    batch: int = 100
    validate: bool = True  # check every message against its schema/profile before sending

    def rules(self) -> Policy:
        if self.receipt_timeout is None:
            return self.policy
        return self.policy.with_rules(Protocol.OIOXML, answer_timeout=self.receipt_timeout)


@dataclass(frozen=True, slots=True)
class OutboxRun:
    sent: int = 0
    failed: int = 0
    deferred: int = 0  # the transport could not take it now; stays queued


class Outbox:
    def __init__(
        self, journal: Journal, transport: Transport | None,
        directory: Directory | None = None, *, channels: Channels | None = None,
        settings: OutboxSettings | None = None, clock: Callable[[], datetime] = utc_now,
        ids: IdSource | None = None, checked: Checked | None = None,
    ) -> None:
        self.journal = journal
        # bytes its node validated as it built them (None: validate everything)
        self.checked = checked
        if channels is None:
            if transport is None:
                raise ValueError("an outbox sends on a transport or channels")
            channels = Channels.vans(transport, directory)
        self.channels = channels
        self.directory = directory
        self.settings = settings or OutboxSettings()
        self.policy = self.settings.rules()
        self.clock = clock
        self.ids = ids or IdSource()

    def run_once(self) -> OutboxRun:
        deferred = 0
        claimed = self.journal.claim(Status.QUEUED, self.settings.batch,
                                     lease_seconds=self.settings.lease_seconds)
        loaded = self._load(claimed)
        outcomes: list[tuple[int, Status, str | None]] = []
        handed: list[tuple[Channel, Parcel, bool, NewMessage]] = []  # for the channels
        try:
            for id in claimed:
                try:
                    stored = loaded[id] if id in loaded else self.journal.get(id)
                except JournalError:
                    continue  # damaged: quarantined by the read, passed over from now on
                message = stored.message
                channel = parcel = None
                try:
                    channel = self.channels.for_message(message)
                    # created when it was queued: handed over again after a crash or a
                    # lost answer, it is the same bytes under the same publish key
                    parcel = channel.wrap(message, sent=stored.stored_at,
                                          key=publish_key(self.journal.identity, id, message))
                    self._check(message, stored.digest)
                except MedComError as exc:
                    outcomes.append((id, Status.FAILED, f"{exc.code}: {exc}"))
                    if channel is not None and parcel is not None:
                        handed.append((channel, parcel, False, message))
                    continue
                try:
                    channel.send(parcel)
                except EhmiRefused as exc:  # refused for good: handing it over again won't help
                    outcomes.append((id, Status.FAILED, f"{exc.code}: {exc}"))
                    handed.append((channel, parcel, False, message))
                    continue
                except TransportFailure:
                    deferred += 1  # the lease runs out and a later run tries again
                    continue
                outcomes.append((id, Status.SENT, f"channel {channel.name}"))
                handed.append((channel, parcel, True, message))
        finally:
            # one durable commit for the run, with what the channels record of it; killed
            # before it, the messages stay queued and are published again (a no-op) when
            # their lease runs out. One answered meanwhile is no longer queued and is
            # passed over: its answer stands
            with self.journal.atomic():
                self.journal.set_statuses(outcomes, leaving=Status.QUEUED)
                for channel, parcel, went, message in handed:
                    channel.record(parcel, sent=went, answering=partial(self._answered, message))
        sent = sum(status is Status.SENT for _, status, _ in outcomes)
        return OutboxRun(sent, len(outcomes) - sent, deferred)

    def _answered(self, message: NewMessage) -> NewMessage | None:
        return None if message.answers is None else self.journal.get(message.answers).message

    def _load(self, ids: Sequence[int]) -> dict[int, StoredMessage]:
        """The claimed entries in one journal read, without their attachments (the bytes
        carry them); any it misses (queued ones leased elsewhere came first) are read one by
        one. Bytes the node holds for an entry (``Checked.hold``) are taken from it if the
        entry's chained digest is theirs, and only the rest of that row is read."""
        if not ids:
            return {}
        wanted = set(ids)
        loaded: dict[int, StoredMessage] = {}
        if self.checked is not None and self.checked.holding():
            for head in self.journal.find(Query(status=Status.QUEUED, after=min(ids) - 1,
                                                limit=2 * len(ids), bodies=False,
                                                attachments=False)):
                data = self.checked.take(head.id, head.digest) if head.id in wanted else None
                if data is not None:
                    loaded[head.id] = dataclasses.replace(
                        head, message=dataclasses.replace(head.message, data=data))
        rest = wanted - loaded.keys()
        if not rest:
            return loaded
        found = self.journal.find(Query(status=Status.QUEUED, after=min(rest) - 1,
                                        limit=2 * len(rest),
                                        attachments=False))  # the bytes carry them
        return loaded | {s.id: s for s in found if s.id in rest}

    def _check(self, message: NewMessage, digest: str) -> None:
        # the bytes about to go must be those the journal chained: ``Checked`` vouches for
        # a digest, not for bytes a read may have put together (0.16 ms for a 273 KB body;
        # nothing for a Built still in hand, which carries its own)
        if built.digest(message.data) != digest:
            raise JournalCorrupt("the message read does not match its stored digest: "
                                 "changed outside the journal; not sent")
        if self.settings.validate and not (self.checked is not None
                                           and self.checked.validated(digest)):
            report = check(message.data)
            if not report.valid:
                raise OutboundInvalid(report.issues)
        if self.directory is not None and message.kind not in ALWAYS_ACCEPTED:
            self.directory.by_ean(message.receiver_ean or "").check(message.kind,
                                                                    message.version)

    # -- overdue answers -----------------------------------------------------------------
    def overdue(self) -> list[int]:
        """Act on sent messages whose answer is overdue, as ``reliable`` decides; returns the
        journal ids acted on (timed out, resent automatically, or given up)."""
        now = self.clock()
        acted = []
        # what is outstanding, without its bytes (a body is read only for a message acted on)
        for stored in self.journal.find(Query(status=Status.SENT, direction=Direction.OUTBOUND,
                                              limit=1_000_000, bodies=False)):
            if stored.message.kind in tracking.ANSWER_KINDS:
                continue
            chain = tracking.attempts(self.journal, stored)
            if chain[-1].id != stored.id:
                continue  # a later attempt speaks for the message
            decision = outbound.next_step(tracking.outbound_of(chain), now=now,
                                          policy=self.policy)
            if (isinstance(decision, outbound.TimedOut)
                    and not _owes_receipt(self.journal.get(stored.id))):
                # read only now: whether the receiver owes a positive answer at all
                decision = outbound.next_step(
                    tracking.outbound_of(chain, expects_answer=False), now=now,
                    policy=self.policy)
            try:
                if isinstance(decision, outbound.TimedOut):
                    kind = stored.message.kind
                    timeout = self.policy.of(tracking.protocol_of(kind), kind)
                    self.journal.set_status(
                        stored.id, Status.TIMED_OUT, leaving=Status.SENT,
                        reason=f"no answer within {timeout.wait_after(len(chain) - 1)}")
                elif isinstance(decision, outbound.Resend):
                    self._resend(chain, deliberate=False)
                elif isinstance(decision, outbound.GiveUp):
                    self.journal.set_status(stored.id, Status.FAILED, leaving=Status.SENT,
                                            reason=decision.reason)
                else:
                    continue
            except TransitionRefused:
                continue  # answered, or acted on by another process, since it was read
            acted.append(stored.id)
        return acted

    def resend(self, id: int) -> int:
        """Send a message again, deliberately, with a new envelope id (FHIR: a new Bundle.id
        and Provenance times); returns the new journal id. ``ResendRefused`` when MedCom's
        rules forbid it. The attempt it replaces is marked ``resent``."""
        return self._resend(tracking.attempts(self.journal, self.journal.get(id)),
                            deliberate=True)

    def resend_envelope(self, id: int) -> int:
        """Hand a message sent on EHMI over again, unchanged, in a new ehmiSBDH (new
        InstanceIdentifier and time: the envelope is named after the new journal entry), a
        person's decision when its envelope receipt has not come
        (``reliable.ehmi.envelope_resend`` says when; ResendRefused otherwise). Returns the
        new journal id; the entry it replaces is marked ``resent``."""
        stored = self.journal.get(id)
        if stored.status not in (Status.SENT, Status.TIMED_OUT, Status.REJECTED):
            raise ResendRefused(f"#{id} is {stored.status.value}; only a message handed over "
                                "and still unanswered has its envelope resent")
        if not any(c.status is Status.SENT and c.reason == "channel ehmi"
                   for c in stored.history):
            raise ResendRefused(f"#{id} was not handed over on EHMI; its envelope is not "
                                "resent")
        receipts = [self.journal.get(a).message for a in stored.answered_by]
        receipt = next((r.data for r in receipts if r.kind == Kind.SBDH_RECEIPT.value
                        and r.direction is Direction.INBOUND), None)
        positive = None if receipt is None else sbdh_receipt.read_receipt(
            sbdh.parse(receipt)).positive
        ehmi.envelope_resend(sent_at=tracking.sent_at(stored), now=self.clock(),
                             receipt=positive, policy=self.policy)
        with self.journal.atomic():  # the new attempt exists only if this one was left
            new_id = self.journal.append(dataclasses.replace(stored.message,
                                                             classification=None),
                                         Status.QUEUED)
            self.journal.set_status(id, Status.RESENT, leaving=stored.status,
                                    reason=f"envelope resent as journal entry {new_id}, the "
                                    "message unchanged")
        return new_id

    def _resend(self, chain: list[StoredMessage], *, deliberate: bool) -> int:
        latest = chain[-1]
        message = self.journal.get(latest.id).message  # the chain is read without bytes
        now = self.clock()
        fhir = message.kind in tracking.FHIR_KINDS
        envelope_id = str(uuid.uuid4()) if fhir else self.ids.envelope_id()
        outbound.resend(tracking.outbound_of(chain), new_envelope_id=envelope_id, now=now,
                        deliberate=deliberate, policy=self.policy)  # or ResendRefused
        if fhir:
            data = rebuild.fhir_bytes(message.data, now=now, new_id=lambda: envelope_id)
        else:
            data = rebuild.oioxml_bytes(message.data, new_envelope_id=envelope_id, now=now)
        copy = dataclasses.replace(message, data=data, envelope_id=envelope_id,
                                   classification=None)
        with self.journal.atomic():  # the new attempt exists only if this one was left
            new_id = self.journal.append(copy, Status.QUEUED)
            self.journal.set_status(latest.id, Status.RESENT, leaving=latest.status,
                                    reason=f"resent as journal entry {new_id} with "
                                    f"envelope {envelope_id}")
        return new_id


def publish_key(identity: str, id: int, message: NewMessage) -> str:
    """What a transport records a publish under: this journal (its identity, never shared
    with a new or restored one), the entry, and the ids the file carries on the wire. The
    same entry handed over again is published once; any other is published."""
    said = "\n".join((identity, str(id), message.envelope_id, message.message_id))
    return hashlib.sha256(said.encode()).hexdigest()[:48]


def _owes_receipt(stored: StoredMessage) -> bool:
    """Whether the receiver owes a positive answer (OIOXML: ``pluspositivkvitt``)."""
    if stored.message.kind in tracking.FHIR_KINDS:
        return True
    try:
        envelope = emessage.parse(stored.message.data, validate=False).message.envelope
    except MedComError:
        return True
    return envelope.acknowledgement is AcknowledgementCode.PLUS_POSITIVE
