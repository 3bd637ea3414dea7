"""Sending: one message's life as a small immutable state machine.

::

    queued --sent--> sent --positive answer--> acknowledged
                      |  --negative answer--> rejected
                      |  --transient answer-> sent (the receiver answers again later)
                      |  --no answer in time--> timed_out
    timed_out --resend (FHIR: automatic allowed, <= 3; OIOXML/VANS: deliberate only)--> queued
    FHIR, resends used up and still no answer --> gave_up

Every function returns a new :class:`Outbound`; nothing here does I/O or reads a clock (the
caller passes ``now``). The journal keeps the states; the edge maps them to its own.
A send whose outcome is unknown (the transport failed mid-way) stays ``queued``: sending the
same bytes again is safe, because an identical envelope is a duplicate at the receiver.

The journal's statuses map one to one (``queued``, ``sent``, ``acknowledged``, ``rejected``,
``timed_out``); ``gave_up`` is the journal's ``failed``, and a :func:`resend` is recorded as
``resent`` followed by ``queued`` for the new attempt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from medcom_adapter.errors import InvalidValue, RefuseCode, ResendRefused
from medcom_adapter.reliable.rules import Answer, AnswerKind, Policy, Protocol


class OutState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    GAVE_UP = "gave_up"

    @property
    def final(self) -> bool:
        return self in (OutState.ACKNOWLEDGED, OutState.REJECTED)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One envelope the message went (or goes) out in."""

    envelope_id: str
    queued_at: datetime
    sent_at: datetime | None = None
    deliberate: bool = False  # a person asked for this resend


@dataclass(frozen=True, slots=True)
class Outbound:
    protocol: Protocol
    message_ids: tuple[str, ...]  # letter ids / MessageHeader.id / VANS message id
    attempts: tuple[Attempt, ...]
    state: OutState = OutState.QUEUED
    expects_answer: bool = True  # False: OIOXML minuspositivkvitt (only negatives come back)
    answer: Answer | None = None
    waiting_since: datetime | None = None  # when the current wait for an answer began
    kind: str | None = None  # the message kind, where its timing differs from the channel's

    def __post_init__(self) -> None:
        if not self.attempts or not self.message_ids:
            raise InvalidValue("an outbound message has an envelope id and a message id")

    @property
    def current(self) -> Attempt:
        return self.attempts[-1]

    @property
    def resends(self) -> int:
        return len(self.attempts) - 1

    @property
    def envelope_ids(self) -> tuple[str, ...]:
        return tuple(a.envelope_id for a in self.attempts)


def start(
    protocol: Protocol,
    envelope_id: str,
    message_ids: str | Sequence[str],
    *,
    now: datetime,
    expects_answer: bool = True,
    kind: str | None = None,
) -> Outbound:
    """A message queued for its first send."""
    ids = (message_ids,) if isinstance(message_ids, str) else tuple(message_ids)
    return Outbound(protocol, ids, (Attempt(envelope_id, now),), expects_answer=expects_answer,
                    kind=kind)


def sent(out: Outbound, *, at: datetime) -> Outbound:
    """The transport took the current attempt."""
    if out.state is not OutState.QUEUED:
        return out  # already recorded: marking twice changes nothing
    attempts = (*out.attempts[:-1], dataclasses.replace(out.current, sent_at=at))
    return dataclasses.replace(out, attempts=attempts, state=OutState.SENT, waiting_since=at)


# --------------------------------------------------------------------------------------------
# Answers


def matches(out: Outbound, answer: Answer) -> bool:
    """Whether ``answer`` answers this message: by envelope id where the answer names one
    (OIOXML, VANS, SBDH receipts), else by message id (FHIR acknowledgements)."""
    if answer.protocol is not out.protocol:
        return False
    if answer.original_envelope_id is not None:
        if answer.original_envelope_id not in out.envelope_ids:
            return False
        return not answer.original_message_ids or bool(
            set(answer.original_message_ids) & set(out.message_ids))
    return bool(set(answer.original_message_ids) & set(out.message_ids))


@dataclass(frozen=True, slots=True)
class Acknowledged:
    answer: Answer


@dataclass(frozen=True, slots=True)
class Rejected:
    answer: Answer
    reason: str
    refuse_code: RefuseCode | None


@dataclass(frozen=True, slots=True)
class Ignore:
    """Nothing changes (a repeated answer, or one after a final answer); log it."""

    reason: str


@dataclass(frozen=True, slots=True)
class Wait:
    """Nothing to do until ``until`` (None: until an answer arrives)."""

    until: datetime | None


@dataclass(frozen=True, slots=True)
class Send:
    """Send the current attempt's bytes, unchanged (first send, or outcome unknown)."""

    envelope_id: str


@dataclass(frozen=True, slots=True)
class Resend:
    """No answer in time and the rules allow an automatic resend: rebuild the message
    (``reliable.rebuild``) with a new envelope id and call :func:`resend`."""

    resend_number: int  # 1 for the first resend


@dataclass(frozen=True, slots=True)
class TimedOut:
    """No answer in time; a resend needs a person's decision (or none is left)."""

    since: datetime
    resend_allowed: bool


@dataclass(frozen=True, slots=True)
class GiveUp:
    reason: str


@dataclass(frozen=True, slots=True)
class Done:
    state: OutState


OutboundDecision = (Acknowledged | Rejected | Ignore | Wait | Send | Resend | TimedOut | GiveUp
                    | Done)


def on_answer(out: Outbound, answer: Answer) -> tuple[Outbound, OutboundDecision]:
    """Apply a received receipt or acknowledgement (check :func:`matches` first)."""
    if not matches(out, answer):
        raise InvalidValue("this answer is for another message")
    if out.state.final:
        same = out.answer is not None and out.answer.kind is answer.kind
        return out, Ignore("answer repeated" if same else
                           f"{answer.kind.value} answer after {out.state.value}; kept the first")
    if answer.kind is AnswerKind.TRANSIENT:
        return dataclasses.replace(out, answer=answer, state=OutState.SENT,
                                   waiting_since=None), Wait(None)
    if answer.kind is AnswerKind.POSITIVE:
        return dataclasses.replace(out, answer=answer, state=OutState.ACKNOWLEDGED), (
            Acknowledged(answer))
    reason = answer.reason or answer.kind.value
    return dataclasses.replace(out, answer=answer, state=OutState.REJECTED), Rejected(
        answer, reason, answer.refuse_code)


# --------------------------------------------------------------------------------------------
# Time


def next_step(out: Outbound, *, now: datetime, policy: Policy | None = None) -> OutboundDecision:
    """What the outbox should do about this message at ``now``."""
    rules = (policy or Policy()).of(out.protocol, out.kind)
    if out.state.final:
        return Done(out.state)
    if out.state is OutState.QUEUED:
        return Send(out.current.envelope_id)
    if out.state is OutState.GAVE_UP:
        return Done(out.state)
    wait = rules.wait_after(out.resends)
    if not out.expects_answer or out.waiting_since is None or wait is None:
        return Wait(None)  # nothing awaited on a clock (or the receiver owes a follow-up)
    deadline = out.waiting_since + wait
    if now < deadline:
        return Wait(deadline)
    left = rules.max_resends is None or out.resends < rules.max_resends
    if rules.auto_resend and left:
        return Resend(out.resends + 1)
    if out.protocol is Protocol.FHIR and not left:
        return GiveUp(f"no acknowledgement after {out.resends} resends")
    return TimedOut(deadline, resend_allowed=left)


def timed_out(out: Outbound) -> Outbound:
    """Record a :class:`TimedOut` decision."""
    return out if out.state is not OutState.SENT else dataclasses.replace(
        out, state=OutState.TIMED_OUT)


def gave_up(out: Outbound) -> Outbound:
    """Record a :class:`GiveUp` decision (a late answer is still taken)."""
    return out if out.state.final else dataclasses.replace(out, state=OutState.GAVE_UP)


def resend(
    out: Outbound,
    *,
    new_envelope_id: str,
    now: datetime,
    deliberate: bool = False,
    policy: Policy | None = None,
) -> Outbound:
    """A new attempt with a new envelope id, queued; ResendRefused when the rules forbid it.

    Automatic resends (``deliberate`` False) are only for protocols whose rules allow them and
    only once the answer is overdue; a deliberate resend is allowed for any unanswered or
    negatively answered message, within the resend limit."""
    rules = (policy or Policy()).of(out.protocol, out.kind)
    if out.state is OutState.ACKNOWLEDGED:
        raise ResendRefused("the message was acknowledged; it is not resent")
    if out.state is OutState.QUEUED:
        raise ResendRefused("the message has not been sent yet; send it as it is")
    if rules.max_resends is not None and out.resends >= rules.max_resends:
        raise ResendRefused(f"{out.protocol.value}: at most {rules.max_resends} resends")
    if new_envelope_id in out.envelope_ids:
        raise ResendRefused("a resend needs a new envelope id")
    if not deliberate:
        if not rules.auto_resend:
            raise ResendRefused(f"{out.protocol.value}: a resend is a deliberate action")
        decision = next_step(out, now=now, policy=policy)
        if not isinstance(decision, Resend):
            raise ResendRefused("no automatic resend is due")
    if out.state is OutState.REJECTED and out.protocol is Protocol.FHIR:
        raise ResendRefused("a fatal-error message is not resent unchanged (correct it and "
                            "send it as a new message)")
    attempt = Attempt(new_envelope_id, now, deliberate=deliberate)
    return dataclasses.replace(out, attempts=(*out.attempts, attempt), state=OutState.QUEUED,
                               answer=None, waiting_since=None)
