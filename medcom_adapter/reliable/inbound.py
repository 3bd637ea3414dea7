"""Receiving: MedCom's duplicate rules, as one pure function.

The caller looks up what it has on record for the incoming message's envelope id and message
id (records of the same protocol, from earlier files only) and passes them in as
:class:`Earlier` values, plus any problem validation found. ``on_message`` answers:

==================  =================  =====================================================
envelope id         message id         decision
==================  =================  =====================================================
new                 new                ``Deliver`` (or ``Reject`` when validation failed)
seen (same pair)    seen               ``Duplicate(mode=RESEND_ORIGINAL)``: send the original
                                       answer again, deliver nothing
new                 seen               ``Duplicate(mode=ANSWER_AS_BEFORE)``: the sender resent
                                       it; answer as before (FHIR: same content, new Bundle.id
                                       and time), never deliver twice
seen (other msg)    new                ``Reject``: an envelope id may carry one message only
==================  =================  =====================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from medcom_adapter.errors import MedComError, RefuseCode
from medcom_adapter.reliable.rules import AnswerKind, MessageKey


@dataclass(frozen=True, slots=True)
class Earlier:
    """A message received before, as the journal has it.

    ``answer_ref`` is whatever the edge uses to find the answer it sent (a journal id, the
    answer's envelope id), None when no answer was sent; ``answer`` is what kind it was."""

    key: MessageKey
    answer: AnswerKind | None = None
    answer_ref: str | None = None


class AnswerMode(StrEnum):
    RESEND_ORIGINAL = "resend-original"  # the very same answer again (same bytes)
    ANSWER_AS_BEFORE = "answer-as-before"  # an answer with the same content


@dataclass(frozen=True, slots=True)
class Deliver:
    """New and valid: journal it, answer it (positive, when ``answer`` is set), deliver it."""

    key: MessageKey
    answer: AnswerKind | None = AnswerKind.POSITIVE


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Seen before: answer as the earlier copy was answered; never deliver again."""

    key: MessageKey
    earlier: Earlier
    mode: AnswerMode

    @property
    def answer_with(self) -> str | None:
        """The earlier answer to repeat (None: none was sent; build the one it is owed)."""
        return self.earlier.answer_ref


@dataclass(frozen=True, slots=True)
class Reject:
    """Refuse it: a negative receipt / fatal-error acknowledgement, nothing delivered."""

    key: MessageKey
    reason: str
    refuse_code: RefuseCode
    error: MedComError | None = None


InboundDecision = Deliver | Duplicate | Reject


def on_message(
    key: MessageKey,
    earlier: Iterable[Earlier] = (),
    *,
    problem: MedComError | None = None,
    answer_requested: bool = True,
) -> InboundDecision:
    """What to do with a received message. ``answer_requested`` False: the sender asked for
    no positive answer (OIOXML ``minuspositivkvitt``); FHIR messages always ask for one."""
    same_protocol = [e for e in earlier if e.key.protocol is key.protocol]
    same_message = [e for e in same_protocol if e.key.message_id == key.message_id]
    exact = next((e for e in same_message if e.key.envelope_id == key.envelope_id), None)
    if exact is not None:
        return Duplicate(key, exact, AnswerMode.RESEND_ORIGINAL)
    if same_message:
        return Duplicate(key, _best(same_message), AnswerMode.ANSWER_AS_BEFORE)
    if any(e.key.envelope_id == key.envelope_id for e in same_protocol):
        return Reject(key, f"envelope {key.envelope_id} was already used for another message",
                      RefuseCode.NOT_SPECIFIED)
    if problem is not None:
        return Reject(key, problem.message, problem.receipt_reason, problem)
    return Deliver(key, AnswerKind.POSITIVE if answer_requested else None)


def _best(candidates: list[Earlier]) -> Earlier:
    # prefer a copy that was answered, so the answer can be repeated
    return next((e for e in candidates if e.answer_ref is not None), candidates[0])
