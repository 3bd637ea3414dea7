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

The guide names the message identifier "Scope[DOCUMENTID]/InstanceIdentifier"; DOCUMENTID
is the message type's URN, the same for every message of a type, so read literally every
second CareCommunication would be a resend. The key is the MESSAGEIDENTIFIER scope (the
carried message's own id), as the envelope receipt's ORIGINALMESSAGEIDENTIFIER is.

A receiver with a journal keeps the table with :func:`on_arrival`: each envelope it
answered is known by the receipt it sent, whose id :func:`receipt_id` derives from the
envelope's and the message's ids, so the same pair always has the same receipt and a
reused envelope id shows as a receipt of another id for that envelope.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from medcom_adapter.errors import ResendRefused
from medcom_adapter.reliable.rules import Policy, Protocol


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


_RECEIPTS = uuid.UUID("6b2f0c7e-3d51-4f0a-8e2b-9c4d1a7e5f30")  # names receipts after pairs


def receipt_id(envelope_id: str, message_id: str) -> str:
    """The InstanceIdentifier of the receipt answering (envelope id, message id)."""
    return str(uuid.uuid5(_RECEIPTS, f"{envelope_id}\n{message_id}"))


def receipt_message_id(envelope_id: str, message_id: str) -> str:
    """The receipt's own MESSAGEIDENTIFIER."""
    return str(uuid.uuid5(_RECEIPTS, f"message\n{envelope_id}\n{message_id}"))


@dataclass(frozen=True, slots=True)
class Answer:
    """Receive it (the message goes on to its own duplicate rules): answer the envelope with
    a new receipt, ``receipt`` its id (a message seen under another envelope is answered
    as before by those rules, its envelope with a receipt of its own, new id and time)."""

    receipt: str


@dataclass(frozen=True, slots=True)
class AnswerAgain:
    """The same envelope again: ignore its content, send the receipt ``sent`` once more
    (the receiver's reference to it), byte for byte; deliver nothing."""

    sent: str


@dataclass(frozen=True, slots=True)
class RefuseReusedId:
    """An envelope id seen with another message: a ReceiptException (id ``receipt``),
    nothing delivered."""

    receipt: str


EnvelopeDecision = Answer | AnswerAgain | RefuseReusedId


def on_arrival(envelope_id: str, message_id: str,
               answered: Mapping[str, str]) -> EnvelopeDecision:
    """What to do with an envelope that asks for a receipt. ``answered``: the receipts
    already sent for ``envelope_id`` (receipt id -> the receiver's reference to it)."""
    own = receipt_id(envelope_id, message_id)
    if own in answered:
        return AnswerAgain(answered[own])
    if answered:
        return RefuseReusedId(own)
    return Answer(own)


def envelope_resend(*, sent_at: datetime | None, now: datetime, receipt: bool | None,
                    policy: Policy | None = None) -> None:
    """Whether a person may hand a message over again, unchanged, in a new envelope (the
    guide's scenarios 3 and 4: new EnvelopeIdentifier and time, the rest identical);
    ResendRefused naming why not. ``receipt``: the envelope receipt that came (True
    positive, False a ReceiptException, None none).

    Only a sent envelope whose receipt has not come, once the receipt is overdue (the guide:
    "in accordance with the normal response time"; ``Policy`` SBDH, 10 minutes unless the
    operator sets otherwise). After a ReceiptException the envelope is not sent again as it
    was: what was refused must change first (scenario 5), which is a new message."""
    if sent_at is None:
        raise ResendRefused("the envelope has not been handed over yet; it is sent as it is")
    if receipt is True:
        raise ResendRefused("the envelope's receipt came; it is not sent again")
    if receipt is False:
        raise ResendRefused("the envelope was answered with a ReceiptException; send a "
                            "corrected message instead (a new message, new ids)")
    wait = (policy or Policy()).of(Protocol.SBDH).answer_timeout
    if wait is not None and now < sent_at + wait:
        raise ResendRefused(f"the envelope's receipt is awaited until {sent_at + wait:%H:%M} "
                            f"({wait} after it was handed over); resend after that")
