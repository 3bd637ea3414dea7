"""The ehmiSBDH-EnvelopeReceipt: the receiving MSH's answer to an envelope that asked for
one (scope ``EHMI-ReceiptAcknowledgement`` = Request), itself an ehmiSBDH.

Its header swaps the parties, names itself as an ``ehmisbdh-acknowledgement`` of type
``ReceiptAcknowledgement`` (or ``ReceiptException``), carries the original's ids in the
``ORIGINAL*`` scopes and answers the request in an ``EHMI-ReceiptAcknowledgement`` =
Response scope correlated with the requesting document; the payload is the ebbp signal
(``ebbp_signal``). Reading a receipt gives what the sender's reliable messaging needs:
which envelope and message it answers, positive or not, and why.

The header is what counts. The guide (dk-ehmi-sbdh 2.0.1, ehmiSBDH-EnvelopeReceipt and
ehmiSBDHAck, "EHMI ReceiptAcknowledgement") correlates a receipt by its header (sender,
receiver, SENDERID/RECEIVERID, CorrelationInformation) and says the embedded ebBP signal
"in principle contains the same information, but ... does not need to be checked": so a
signal that disagrees with its header is a warning (``SIGNAL_DISAGREES``), never a refusal.
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
from medcom_adapter.errors import Issue, MalformedMessage

STANDARD = "ehmisbdh-acknowledgement"
TYPE_VERSION = "ebbp-signals-2.0"
DOCUMENT_ID = ("urn:dk:healthcare:messaging:oasis:ebxml:schema:xsd::ehmisbdh-acknowledgement"
               "##urn:dk:ehmi:sbdh:ehmisbdh-acknowledgement::1.0")
POSITIVE, NEGATIVE = "ReceiptAcknowledgement", "ReceiptException"
SIGNAL_DISAGREES = "medcom.ehmi-receipt-signal"  # the warning's code (docs/rules.md)


@dataclass(frozen=True, slots=True)
class EnvelopeReceipt:
    """What a received envelope receipt says."""

    receipt_id: str  # its own InstanceIdentifier
    original_envelope_id: str  # the answered envelope's InstanceIdentifier
    original_message_id: str | None  # the answered MESSAGEIDENTIFIER
    positive: bool
    reason: str | None
    warnings: tuple[Issue, ...] = ()  # where the signal disagrees with the header


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
    """What an envelope receipt answers, as its header says; where its ebBP signal says
    otherwise, a warning. MalformedMessage when it is no receipt, its signal is unreadable,
    or nothing names the envelope it answers."""
    if not is_receipt(document):
        raise MalformedMessage(f"an ehmiSBDH of standard {document.standard!r} is not an "
                               "envelope receipt")
    signal = ebbp_signal.parse(document.content)
    warnings: list[Issue] = []

    def disagree(what: str) -> None:
        warnings.append(Issue(SIGNAL_DISAGREES, what, "BinaryContent/" + (
            "ReceiptAcknowledgement" if signal.positive else "Exception"), warning=True))

    correlation = next((s.correlation for s in document.scopes
                        if s.type is ScopeType.RECEIPT_ACKNOWLEDGEMENT and s.correlation), None)
    named = document.scope(ScopeType.ORIGINAL_ENVELOPE_ID) or (
        correlation.requesting_instance_id.strip() if correlation else None)
    if named is not None and named != signal.original_envelope_id:
        disagree(f"the signal's OriginalMessageIdentifier {signal.original_envelope_id} is "
                 f"not the envelope {named} the header answers; the header counts")
    if document.type in (POSITIVE, NEGATIVE):
        positive = document.type == POSITIVE
        if positive != signal.positive:
            disagree(f"the header's type is {document.type} but the signal is "
                     f"{'a ReceiptAcknowledgement' if signal.positive else 'an Exception'}; "
                     "the header counts")
    else:  # a header type MedCom's schema allows but that says neither: the signal tells
        positive = signal.positive
    return EnvelopeReceipt(document.instance_id, named or signal.original_envelope_id,
                           document.scope(ScopeType.ORIGINAL_MESSAGE_ID), positive,
                           signal.reason, tuple(warnings))
