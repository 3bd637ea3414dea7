"""Journal entries <-> the facts :mod:`medcom_adapter.reliable` decides on.

The workers hold no reliable-messaging rules: they read what the journal has, hand it to
``reliable`` as :class:`~medcom_adapter.reliable.outbound.Outbound` and
:class:`~medcom_adapter.reliable.inbound.Earlier` values, and record the decisions as
journal statuses. This module is that mapping, both ways:

==================  ==========================================================
reliable            journal
==================  ==========================================================
queued, sent,       the same status of the latest attempt
acknowledged,
rejected, timed_out
gave_up             ``failed``
an attempt          one outbound entry; earlier attempts of the same message
                    (same kind, receiver and message id) are ``resent``
==================  ==========================================================

A message's attempts are the outbound entries with its message id (OIOXML letter id, FHIR
MessageHeader.id): a resend is a new entry with a new envelope id (Bundle.id) and the same
message id. FHIR messages travel in a VANSEnvelope whose envelope id is the Bundle.id, so
the same attempts answer VANS receipts (protocol ``vans-envelope``) and Acknowledgements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from medcom_adapter import catalogue
from medcom_adapter.journal.interface import Direction, Journal, Query, Status, StoredMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.reliable.inbound import Earlier
from medcom_adapter.reliable.outbound import Attempt, Outbound, OutState
from medcom_adapter.reliable.rules import AnswerKind, MessageKey, Protocol

FHIR_KINDS = catalogue.FHIR
VANS_RECEIPT = Kind.VANS_RECEIPT.value  # the kind a received VANS receipt is journaled as
ANSWER_KINDS = catalogue.ANSWERS

_STATES = {
    Status.QUEUED: OutState.QUEUED, Status.DRAFT: OutState.QUEUED, Status.SENT: OutState.SENT,
    Status.ACKNOWLEDGED: OutState.ACKNOWLEDGED, Status.REJECTED: OutState.REJECTED,
    Status.TIMED_OUT: OutState.TIMED_OUT, Status.RESENT: OutState.TIMED_OUT,
    Status.FAILED: OutState.GAVE_UP,
}
OPEN = frozenset({Status.QUEUED, Status.SENT, Status.TIMED_OUT, Status.RESENT})


def protocol_of(kind: str) -> Protocol:
    return Protocol.FHIR if kind in FHIR_KINDS else Protocol.OIOXML


def attempts(journal: Journal, stored: StoredMessage) -> list[StoredMessage]:
    """Every outbound entry of ``stored``'s message (first send and resends), oldest first."""
    message = stored.message
    found = journal.find(Query(message_id=message.message_id, direction=Direction.OUTBOUND,
                                bodies=False))
    same = [s for s in found if s.message.kind == message.kind
            and s.message.receiver_ean == message.receiver_ean]
    return sorted(same or [stored], key=lambda s: s.id)


def chain_for(journal: Journal, *, envelope_id: str | None,
              message_ids: Sequence[str]) -> list[StoredMessage]:
    """The attempts of the message an answer points at (by envelope id where it names one,
    else by message id), found with as few journal reads as possible: each is audited."""
    if message_ids:
        found = journal.find(Query(message_id=message_ids[0], direction=Direction.OUTBOUND,
                                   bodies=False))
        chain = _named(found, envelope_id)
        if chain is not None:
            return chain
    if not envelope_id:
        return []
    named_by_envelope = journal.find(Query(envelope_id=envelope_id,
                                           direction=Direction.OUTBOUND, bodies=False))
    return attempts(journal, named_by_envelope[0]) if named_by_envelope else []


def chains_for(journal: Journal, answers: Sequence[tuple[str | None, Sequence[str]]]
               ) -> list[list[StoredMessage] | None]:
    """:func:`chain_for` of several answers (envelope id, message ids) in one journal read;
    None for an answer that read cannot settle (it names no message id, or its envelope id
    alone finds the message): look that one up with :func:`chain_for`."""
    wanted = tuple(sorted({ids[0] for _, ids in answers if ids}))
    found: dict[str, list[StoredMessage]] = {}
    if wanted:
        for stored in journal.find(Query(message_ids=wanted, direction=Direction.OUTBOUND,
                                         bodies=False, limit=1_000_000)):
            found.setdefault(stored.message.message_id, []).append(stored)
    chains: list[list[StoredMessage] | None] = []
    for envelope_id, ids in answers:
        chain = _named(found.get(ids[0], []), envelope_id) if ids else None
        chains.append([] if chain is None and ids and envelope_id is None else chain)
    return chains


def _named(found: Sequence[StoredMessage], envelope_id: str | None
           ) -> list[StoredMessage] | None:
    """Of the outbound entries with an answer's message id, the attempts of the one it
    names (by envelope id, when it gives one), oldest first; None when none is named."""
    found = [s for s in found if s.message.kind not in ANSWER_KINDS]
    named = next((s for s in found if envelope_id is None
                  or s.message.envelope_id == envelope_id), None)
    if named is None:
        return None
    return sorted((s for s in found if s.message.kind == named.message.kind
                   and s.message.receiver_ean == named.message.receiver_ean),
                  key=lambda s: s.id)


def sent_at(stored: StoredMessage) -> datetime | None:
    return next((c.at for c in reversed(stored.history) if c.status is Status.SENT), None)


def outbound_of(
    chain: Sequence[StoredMessage], *, protocol: Protocol | None = None,
    expects_answer: bool = True,
) -> Outbound:
    """The reliable state of a message from its attempts (see :func:`attempts`)."""
    latest = chain[-1]
    return Outbound(
        protocol=protocol or protocol_of(latest.message.kind),
        message_ids=(latest.message.message_id,),
        attempts=tuple(Attempt(s.message.envelope_id, s.stored_at, sent_at(s))
                       for s in chain),
        state=_STATES.get(latest.status, OutState.QUEUED),
        expects_answer=expects_answer,
        waiting_since=sent_at(latest),
        kind=latest.message.kind,
    )


def answered(chain: Sequence[StoredMessage], envelope_id: str | None) -> StoredMessage:
    """The attempt an answer belongs to: the one it names, else the latest."""
    return next((s for s in chain if s.message.envelope_id == envelope_id), chain[-1])


def current(chain: Sequence[StoredMessage]) -> StoredMessage:
    """The attempt whose status speaks for the message: the latest one."""
    return chain[-1]


def earlier(journal: Journal, key: MessageKey,
            sender: str | None) -> list[tuple[StoredMessage, Earlier]]:
    """What the journal has received before from ``sender`` with ``key``'s envelope id or
    message id (answers excluded), each with its :class:`Earlier` record."""
    found: dict[int, StoredMessage] = {}
    for query in (Query(envelope_id=key.envelope_id, direction=Direction.INBOUND, bodies=False),
                  Query(message_id=key.message_id, direction=Direction.INBOUND, bodies=False)):
        found.update((s.id, s) for s in journal.find(query))
    return [(s, _earlier(journal, s, key.protocol)) for _, s in sorted(found.items())
            if s.message.sender_ean == sender
            and s.message.kind not in ANSWER_KINDS
            and protocol_of(s.message.kind) is key.protocol]


def _earlier(journal: Journal, stored: StoredMessage, protocol: Protocol) -> Earlier:
    answer = next((a for a in stored.answered_by
                   if journal.get(a).message.direction is Direction.OUTBOUND), None)
    kind = AnswerKind.NEGATIVE if stored.status is Status.REFUSED else AnswerKind.POSITIVE
    return Earlier(MessageKey(protocol, stored.message.envelope_id, stored.message.message_id),
                   answer=kind if answer is not None else None,
                   answer_ref=str(answer) if answer is not None else None)


def same_file(journal: Journal, envelope_id: str, digest: str) -> StoredMessage | None:
    """An inbound entry of these very bytes (a file received again, or a run cut short)."""
    for stored in journal.find(Query(envelope_id=envelope_id, direction=Direction.INBOUND,
                                     bodies=False)):
        if stored.digest == digest:
            return stored
    return None


def first_open(entries: Iterable[StoredMessage]) -> StoredMessage | None:
    return next((s for s in entries if s.status in OPEN), None)
