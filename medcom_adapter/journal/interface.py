"""The journal's contract: what workers, the service and the CLI may ask of any store.

Records are append-only: a message's bytes never change once stored; what changes is its
status, recorded as a new history row. Implementations encrypt bodies, attachments and
person ids at rest and keep a hash chain (see the package's implementations); callers hand
over and get back plaintext values in memory only.

The audit log records access to patient data by people and case systems: every ``get`` and
``find`` by any actor, every export (``export``, ``classifications``) and every purge, each
committed durably with the read itself. The adapter's own processing, actor
:data:`SYSTEM` (the workers reading what they must send, correlating a receipt with what
it answers, checking for duplicates), is not an access by anyone: what it does with what it
read is recorded in the status history of the messages concerned (``sent``,
``acknowledged``, ``delivered``, ...), and whatever leaves the adapter towards a person or
case system goes through an actor of its own (``worker:webhook``, ``api-key:...``,
``cli:<login>``: actors are typed, see ``journal.actors``).
So ``get`` and ``find`` by ``SYSTEM`` leave no audit row and cost no durable write; the
name is reserved (the CLI refuses it as ``--actor``). Exports and purges are audited
whoever asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from medcom_adapter.journal.eds_queue import EdsQueue
from medcom_adapter.journal.shared import SharedState, Unit
from medcom_adapter.model.classification import Classification
from medcom_adapter.model.henvisninger import HenvisningRecord, RecordedHenvisning
from medcom_adapter.model.parties import PersonId
from medcom_adapter.reliable.states import Status as Status  # re-exported: the journal speaks it

SYSTEM = "system"  # the adapter's own workers: their reads are not audited (see above)


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


# Statuses in which a message is not finished: still owed a receipt (outbound) or not yet
# sent or delivered. ``purge`` never erases these.
UNFINISHED = frozenset({
    Status.DRAFT, Status.QUEUED, Status.SENT, Status.RESENT, Status.TIMED_OUT, Status.RECEIVED,
})


def unfinished(status: Status, answers: int | None) -> bool:
    """Whether ``purge`` must keep a message: a receipt or acknowledgement (``answers`` set)
    is finished once received; anything else while its status is in ``UNFINISHED``."""
    return status in UNFINISHED and not (status is Status.RECEIVED and answers is not None)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A binary carried with a message (XBIN letter, FHIR attachment): stored encrypted."""

    object_id: str
    content_type: str
    data: bytes
    title: str | None = None


@dataclass(frozen=True, slots=True)
class NewMessage:
    """What is appended: the exact bytes plus what is needed to find them again.

    ``envelope_id`` is the OIOXML Envelope/Identifier, VANSEnvelope or Bundle.id;
    ``message_id`` the Letter/Identifier or MessageHeader.id. ``answers`` is the journal id
    of the message a receipt or acknowledgement answers. ``channel``: the channel (``vans``,
    ``ehmi``) a received message arrived on, or the one an answer must leave on (the one its
    message arrived on); None when the channels decide.
    """

    direction: Direction
    kind: str  # XREF01, XBIN01, XDIS91, XCTL03, CareCommunication, Acknowledgement, ...
    version: str  # XH0131R, 5.0, ...
    data: bytes
    envelope_id: str
    message_id: str
    sender_ean: str | None = None
    receiver_ean: str | None = None
    sender_sor: str | None = None
    receiver_sor: str | None = None
    patient: PersonId | None = None
    episode_id: str | None = None  # forløbs-ID / episode-of-care id
    answers: int | None = None
    attachments: tuple[Attachment, ...] = ()
    classification: Classification | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: Status
    at: datetime
    reason: str | None = None  # e.g. the refuse code and text of a negative receipt


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    message: NewMessage
    stored_at: datetime
    digest: str  # SHA-256 of ``message.data``, hex
    history: tuple[StatusChange, ...]
    answered_by: tuple[int, ...] = ()  # receipts and acknowledgements of this message
    purged_at: datetime | None = None  # body, attachments and person erased by retention

    @property
    def status(self) -> Status:
        return self.history[-1].status


@dataclass(frozen=True, slots=True)
class Query:
    """Filters for :meth:`Journal.find`; unset fields do not filter."""

    patient: PersonId | None = None
    episode_id: str | None = None
    status: Status | None = None
    kind: str | None = None
    direction: Direction | None = None
    envelope_id: str | None = None
    message_id: str | None = None
    message_ids: tuple[str, ...] | None = None  # any of these message ids
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 1000
    id: int | None = None  # one message, if the other filters let it through
    after: int | None = None  # ids after this one (a polling cursor)
    kinds: tuple[str, ...] | None = None  # any of these kinds
    units: tuple[Unit, ...] | None = None  # only messages these units sent or received
    # False: what the message is (ids, parties, status, history, digest) without its bytes:
    # data is b"", attachments () and classification None, none of them read or decrypted.
    # For matching an answer to what it answers, which never needs a 270 KB body.
    bodies: bool = True
    # False: the message's bytes without its attachments (attachments ()), which a sender
    # does not need: the bytes carry them already (an XBIN's base64, a Bundle's Binary).
    attachments: bool = True


def belongs(message: NewMessage, units: Sequence[Unit]) -> bool:
    """Whether ``message`` was sent (outbound) or received (inbound) by one of ``units``:
    by the unit's SOR id on our side of the message, or by its EAN where the message names
    no SOR id there (receipts name location numbers only)."""
    outbound = message.direction is Direction.OUTBOUND
    sor = message.sender_sor if outbound else message.receiver_sor
    ean = message.sender_ean if outbound else message.receiver_ean
    if sor is not None:
        return any(u.sor == sor for u in units)
    return ean is not None and any(u.ean == ean for u in units)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the append-only audit log: who read or exported what, and when.

    ``detail`` never holds a person id in plaintext."""

    at: datetime
    actor: str
    action: str  # read, find, export, classifications, purge, rotate-key
    message_ids: tuple[int, ...] = ()
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What ``purge`` erased (or would erase), and what it kept because a receipt is owed."""

    purged: tuple[int, ...]
    kept: tuple[int, ...]  # old enough, but still awaiting a receipt or not yet finished
    dry_run: bool


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A row left out of reads and claims because it failed to open: what its clear
    columns say (never its sealed body or person) and why, as ``code: text``."""

    id: int
    direction: Direction
    kind: str
    stored_at: datetime
    found_at: datetime
    reason: str

    @property
    def code(self) -> str:
        return self.reason.partition(":")[0].strip()


@dataclass(frozen=True, slots=True)
class FileClaim:
    """A received file, claimed by one worker (:meth:`Journal.claim_file`).

    ``outcome`` (what the inbox decided it was: ``delivered``, ``receipts``, ``duplicates``,
    ``refused``) and ``message`` (the journal entry it was decided as) are set once the
    decision is committed; a worker that takes the claim over resumes from them."""

    id: int
    outcome: str | None = None
    message: int | None = None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    checked: int
    first_broken: int | None = None  # journal id of the first entry whose digest/chain fails
    problems: tuple[str, ...] = field(default=())

    @property
    def intact(self) -> bool:
        return self.first_broken is None and not self.problems


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The heads of the message, audit and status chains at one moment, printed to be kept
    elsewhere: ``mcj2.<last message>.<its link>.<last audit row>.<its link>.<status
    changes>.<the last one's link>``. A line of the first form (``mcj1``, without the status
    chain) still reads."""

    messages: int
    message_link: str
    audit: int
    audit_link: str
    statuses: int = 0  # status changes chained; 0: the checkpoint does not name them
    status_link: str = "0" * 64

    def __str__(self) -> str:
        return ".".join((_CHECKPOINT, str(self.messages), self.message_link, str(self.audit),
                         self.audit_link, str(self.statuses), self.status_link))

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        parts = text.strip().split(".")
        counts, links = parts[1::2], parts[2::2]
        if ((parts[0], len(parts)) not in ((_CHECKPOINT, 7), (_CHECKPOINT_1, 5))
                or not all(c.isdigit() for c in counts)
                or any(len(link) != 64 for link in links)):
            raise ValueError("a checkpoint reads mcj2.<n>.<link>.<n>.<link>.<n>.<link>, as "
                             "'journal checkpoint' prints it")
        status = (int(parts[5]), parts[6]) if len(parts) == 7 else (0, "0" * 64)
        return cls(int(parts[1]), parts[2], int(parts[3]), parts[4], *status)


_CHECKPOINT = "mcj2"  # the version tag of a printed checkpoint
_CHECKPOINT_1 = "mcj1"  # before the status chain


class Journal(Protocol):
    """Any journal store. Every method that writes commits durably before it returns."""

    shared: SharedState  # the service's keys, launch contexts, sessions and drafts

    @property
    def eds(self) -> EdsQueue:
        """EHMI's delivery-status reports waiting for, or given to, EDS."""
        ...

    def append(self, message: NewMessage, status: Status, *, actor: str = "system") -> int:
        """Store a message with its first status; returns its journal id."""
        ...

    @property
    def identity(self) -> str:
        """This journal's own random id, given when it was created: what it published is
        recorded under it, so another journal on the same mailbox never looks like it."""
        ...

    def set_status(self, id: int, status: Status, *, reason: str | None = None,
                   leaving: Status | None = None) -> None:
        """Change a message's status, compare-and-set: only as ``reliable.states`` allows, and
        only while it is still in ``leaving`` when that is given. ``TransitionRefused``
        otherwise (nothing is written); ``KeyError`` when there is no such message."""
        ...

    def set_statuses(self, changes: Sequence[tuple[int, Status, str | None]], *,
                     leaving: Status) -> Sequence[int]:
        """Compare-and-set changes out of ``leaving`` for several messages at once (``id``,
        new status, reason; each id once), in one transaction: the ones still in
        ``leaving`` change as :meth:`set_status` would change them, any other is passed
        over with nothing written for it (so is an id no message has). Returns the ids
        that changed, in order. ``TransitionRefused`` (nothing written) for a change
        ``reliable.states`` never allows out of ``leaving``."""
        ...

    def get(self, id: int, *, actor: str = "system") -> StoredMessage:
        """The stored message; raises KeyError when there is none. Audited unless ``actor``
        is :data:`SYSTEM`."""
        ...

    def find(self, query: Query, *, actor: str = "system") -> Sequence[StoredMessage]:
        """Messages matching ``query``, oldest first. Audited unless ``actor`` is
        :data:`SYSTEM`."""
        ...

    def claim(self, status: Status, limit: int, *, lease_seconds: float = 60.0) -> Sequence[int]:
        """Ids in ``status`` not leased by another process, leased to this one (outbox)."""
        ...

    def classifications(
        self, since: date, until: date, *, actor: str = "system"
    ) -> Sequence[Classification]:
        """Referral classifications by referral date (inclusive), audited as an export."""
        ...

    def record_henvisning(self, record: HenvisningRecord, *, actor: str,
                          supersedes: str | None = None, withdrawn: bool = False) -> str:
        """Record a henvisning that travels without a message, or correct (``supersedes``)
        or withdraw any henvisning with a new record; the new record's id. Never changes
        a stored record."""
        ...

    def henvisninger(self, *, actor: str, course_id: UUID | None = None,
                     since: date | None = None, until: date | None = None,
                     versions: bool = False) -> Sequence[RecordedHenvisning]:
        """Henvisninger in force (every version with ``versions``), recorded and
        message-borne, by date; audited as an export."""
        ...

    def verify(self, against: Checkpoint | None = None) -> VerifyReport:
        """Every digest, seal and chain link; with ``against``, also that the chains still
        pass through the checkpoint (rows after it not cut off, none before it rewritten)."""
        ...

    def checkpoint(self) -> Checkpoint:
        """The chains' heads now, to be kept outside the journal."""
        ...

    def close(self) -> None: ...

    def append_many(
        self, messages: Sequence[NewMessage], status: Status, *, actor: str = "system"
    ) -> Sequence[int]:
        """Store several messages in one durable commit (bulk loads, batched inboxes)."""
        ...

    def atomic(self, *, alone: bool = False) -> AbstractContextManager[None]:
        """A block whose writes are one durable commit: all of them when it ends without an
        exception, none of them when it raises or the process dies inside it. Reads inside
        see its writes. Blocks nest; an inner block that raises undoes only its own writes.
        Keep blocks short: a SQLite write block holds the journal's write lock throughout.

        ``alone``: no other process appends, or runs a block ``alone``, until it ends, so
        what it reads is still true when it writes (an inbound decision looks up what was
        received before and appends; two processes must not both find nothing)."""
        ...

    def claim_file(self, name: str, digest: str, *, owner: str,
                   lease_seconds: float) -> FileClaim | None:
        """Claim a received file (its name and the SHA-256 of its bytes) for ``owner``:
        insert-or-nothing among unsettled claims; a claim whose lease ran out (its worker
        died) is taken over with what it decided. None: another worker holds it."""
        ...

    def claim_files(self, files: Sequence[tuple[str, str]], *, owner: str,
                    lease_seconds: float) -> Sequence[FileClaim | None]:
        """:meth:`claim_file` for several files (name, SHA-256) at once, in order; files
        nobody holds are claimed in one statement. A file listed twice is claimed once."""
        ...

    def keep_file(self, claim: int, *, owner: str, lease_seconds: float) -> bool:
        """Renew the lease before acting on a claim; False when it was taken over."""
        ...

    def decide_file(self, claim: int, outcome: str, message: int | None, *,
                    owner: str) -> bool:
        """Record what the claimed file was decided to be, in the decision's own block;
        False when ``owner`` no longer holds the claim (then the block must not commit)."""
        ...

    def decide_files(self, decisions: Sequence[tuple[int, str, int | None]], *,
                     owner: str) -> Sequence[int]:
        """:meth:`decide_file` for several claims (claim, outcome, message) in one statement;
        returns the claims ``owner`` still held and decided (unless all are, the block
        must not commit)."""
        ...

    def settle_file(self, claim: int) -> None:
        """The file left the in-folder: the claim is done."""
        ...

    def settle_files(self, claims: Sequence[int]) -> None:
        """:meth:`settle_file` for several claims, in one statement."""
        ...

    def file_in_hand(self, message: int, *, besides: int) -> bool:
        """Whether a claim other than ``besides`` decided ``message`` and is not settled:
        its file is still being finished (by its worker, or whoever takes it over)."""
        ...

    def quarantined(self) -> Sequence[tuple[int, str]]:
        """Rows left out of reads and claims because they failed to decrypt: (id, why)."""
        ...

    def quarantined_of(self, units: tuple[Unit, ...], *, actor: str,
                       patient: PersonId | None = None) -> Sequence[Quarantined]:
        """The quarantined rows ``units`` sent or received (about ``patient``, when given),
        from their clear columns, audited as a read under ``actor``."""
        ...

    def export(self, patient: PersonId, *, actor: str,
               units: tuple[Unit, ...] | None = None) -> Sequence[StoredMessage]:
        """Everything stored about one person (that ``units`` sent or received, when
        given), audited as an export."""
        ...

    def audit_log(self, *, since: datetime | None = None) -> Sequence[AuditEntry]: ...

    def purge(self, before: datetime, *, dry_run: bool = False,
              actor: str = "system") -> PurgeReport:
        """Erase bodies, attachments and person ids of messages stored before ``before``.

        A message still awaiting a receipt (queued, sent, resent, timed out) is never
        erased. The chain skeleton (ids, digests, links) stays, so ``verify`` still holds."""
        ...

    def rotate_key(self) -> int:
        """Re-encrypt every row under the current key; returns how many rows changed."""
        ...
