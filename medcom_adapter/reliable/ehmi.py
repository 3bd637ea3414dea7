"""EHMI's reliable messaging for envelopes (the ehmiSBDH guide's receive table).

Received envelopes are keyed on (EnvelopeIdentifier = InstanceIdentifier,
MessageIdentifier = MESSAGEIDENTIFIER):

- neither seen: process it, answer with a positive envelope receipt;
- both seen (the same envelope again): ignore its content, answer as the original was;
- the message seen under a new envelope: the receipt was lost, so resend the original
  receipt's content with a new id and time;
- the envelope seen with a new message: an error, envelope ids are never reused; a
  negative receipt.

A positive receipt is never followed by a negative one for the same envelope, or the
reverse. Sending again is always a person's decision on EHMI: a sender never resends on its
own, and a resend is a new envelope around the unchanged message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    PROCESS = "process"  # new: deliver it and send a positive receipt
    ANSWER_AGAIN = "answer-again"  # the same envelope again: the original receipt again
    RESEND_RECEIPT = "resend-receipt"  # the original receipt's content, new id and time
    REFUSE_REUSED_ID = "refuse-reused-id"  # a reused envelope id: a negative receipt


@dataclass(frozen=True, slots=True)
class Seen:
    """What the receiver already holds: envelope ids and the message each carried."""

    envelopes: dict[str, str]  # envelope id -> message id
    messages: frozenset[str]


def on_envelope(seen: Seen, envelope_id: str, message_id: str) -> Action:
    if envelope_id in seen.envelopes:
        return (Action.ANSWER_AGAIN if seen.envelopes[envelope_id] == message_id
                else Action.REFUSE_REUSED_ID)
    return Action.RESEND_RECEIPT if message_id in seen.messages else Action.PROCESS


def delivers(action: Action) -> bool:
    """Whether the message goes on to the case system (only the first time)."""
    return action is Action.PROCESS


def resends_automatically() -> bool:
    """EHMI: re-dispatches are always done manually (the guide's scenario 3)."""
    return False
