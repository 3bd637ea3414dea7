"""The ehmiSBDH-EnvelopeReceipt: the receiving MSH's answer to an envelope that asked for
one (scope ``EHMI-ReceiptAcknowledgement`` = Request), itself an ehmiSBDH.

Its header swaps the parties, names itself as an ``ehmisbdh-acknowledgement`` of type
``ReceiptAcknowledgement`` (or ``ReceiptException``), carries the original's ids in the
``ORIGINAL*`` scopes and answers the request in an ``EHMI-ReceiptAcknowledgement`` =
Response scope correlated with the requesting document; the payload is the ebbp signal
(``ebbp_signal``). Reading a receipt gives what the sender's reliable messaging needs:
which envelope and message it answers, positive or not, and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.envelopes import ebbp_signal
from medcom_adapter.envelopes.sbdh import (
    PROCESS_ID,
    BusinessService,
    Correlation,
    Sbdh,
    Scope,
    ScopeType,
    ServiceName,
    TransactionType,
)
from medcom_adapter.errors import MalformedMessage

STANDARD = "ehmisbdh-acknowledgement"
TYPE_VERSION = "ebbp-signals-2.0"
DOCUMENT_ID = ("urn:dk:healthcare:messaging:oasis:ebxml:schema:xsd::ehmisbdh-acknowledgement"
               "##urn:dk:ehmi:sbdh:ehmisbdh-acknowledgement::1.0")
POSITIVE, NEGATIVE = "ReceiptAcknowledgement", "ReceiptException"


@dataclass(frozen=True, slots=True)
class EnvelopeReceipt:
    """What a received envelope receipt says."""

    receipt_id: str  # its own InstanceIdentifier
    original_envelope_id: str  # the answered envelope's InstanceIdentifier
    original_message_id: str | None  # the answered MESSAGEIDENTIFIER
    positive: bool
    reason: str | None


def receipt_for(original: Sbdh, *, instance_id: str, message_id: str, created: datetime,
                exception: ebbp_signal.ReceiptException | None = None,
                reason: str | None = None) -> Sbdh:
    """The envelope receipt answering ``original`` (positive unless ``exception``)."""
    request = original.receipt_request
    signal = ebbp_signal.Signal(
        original.instance_id, original.scope(ScopeType.DOCUMENT_ID), original.created, created,
        original.receiver, original.sender, exception, reason)
    scopes = [
        Scope(ScopeType.DOCUMENT_ID, DOCUMENT_ID),
        Scope(ScopeType.PROCESS_ID, PROCESS_ID),
        *([Scope(ScopeType.SENDER_ID, original.receiver_sor)] if original.receiver_sor else []),
        *([Scope(ScopeType.RECEIVER_ID, original.sender_sor)] if original.sender_sor else []),
        Scope(ScopeType.MESSAGE_ID, message_id),
        *([Scope(ScopeType.ORIGINAL_MESSAGE_ID, original.message_id)]
          if original.message_id else []),
        *([Scope(ScopeType.ORIGINAL_MESSAGE_ENVELOPE_ID, original.message_envelope_id)]
          if original.message_envelope_id else []),
        Scope(ScopeType.ORIGINAL_MESSAGE_STANDARD, original.standard),
        Scope(ScopeType.ORIGINAL_MESSAGE_VERSION, original.type_version),
        Scope(ScopeType.ORIGINAL_ENVELOPE_ID, original.instance_id),
        Scope(ScopeType.STATISTICAL_INFORMATION, "EHMI-ReceiptAcknowledgement"),
        Scope(ScopeType.RECEIPT_ACKNOWLEDGEMENT, "Response", correlation=Correlation(
            original.created, original.instance_id,
            request.expected_response if request is not None else created),
            service=BusinessService(ServiceName.RECEIPT_RESPONSE, TransactionType.RESPONDING)),
    ]
    return Sbdh(sender=original.receiver, receiver=original.sender, standard=STANDARD,
                type_version=TYPE_VERSION, instance_id=instance_id, created=created,
                scopes=tuple(scopes), content=ebbp_signal.build(signal),
                mime_type="application/xml", type=POSITIVE if exception is None else NEGATIVE)


def is_receipt(document: Sbdh) -> bool:
    return document.standard == STANDARD


def read_receipt(document: Sbdh) -> EnvelopeReceipt:
    """What an envelope receipt answers; MalformedMessage when its header and its signal
    disagree or it names no original envelope."""
    if not is_receipt(document):
        raise MalformedMessage(f"an ehmiSBDH of standard {document.standard!r} is not an "
                               "envelope receipt")
    signal = ebbp_signal.parse(document.content)
    named = document.scope(ScopeType.ORIGINAL_ENVELOPE_ID)
    if named is not None and named != signal.original_envelope_id:
        raise MalformedMessage(
            f"the receipt's ORIGINALENVELOPEIDENTIFIER {named} and its signal's "
            f"OriginalMessageIdentifier {signal.original_envelope_id} differ")
    if (document.type == POSITIVE) != signal.positive:
        raise MalformedMessage(f"the receipt's type {document.type} and its signal "
                               f"({'positive' if signal.positive else 'an exception'}) differ")
    return EnvelopeReceipt(document.instance_id, signal.original_envelope_id,
                           document.scope(ScopeType.ORIGINAL_MESSAGE_ID), signal.positive,
                           signal.reason)
