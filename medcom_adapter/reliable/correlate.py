"""Plain facts from parsed messages: the key of a message, the answer a receipt or
acknowledgement is. The one place that knows where each protocol keeps its ids."""

from __future__ import annotations

from medcom_adapter.envelopes.sbdh import Sbdh
from medcom_adapter.envelopes.vans import VansEnvelope, VansReceiptKind
from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.acknowledgement import AckCode, Acknowledgement
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.model.message import Emessage
from medcom_adapter.model.receipts import Receipt, ReceiptKind
from medcom_adapter.reliable.rules import Answer, AnswerKind, MessageKey, Protocol

_RECEIPT_KINDS = {
    ReceiptKind.POSITIVE: AnswerKind.POSITIVE,
    ReceiptKind.NEGATIVE: AnswerKind.NEGATIVE,
    ReceiptKind.NEGATIVE_VANS: AnswerKind.NETWORK_NEGATIVE,
}
_ACK_KINDS = {
    AckCode.OK: AnswerKind.POSITIVE,
    AckCode.FATAL_ERROR: AnswerKind.NEGATIVE,
    AckCode.TRANSIENT_ERROR: AnswerKind.TRANSIENT,
}
_VANS_KINDS = {
    VansReceiptKind.POSITIVE: AnswerKind.POSITIVE,
    VansReceiptKind.NEGATIVE: AnswerKind.NEGATIVE,
    VansReceiptKind.NEGATIVE_VANS: AnswerKind.NETWORK_NEGATIVE,
}


def emessage_keys(message: Emessage) -> tuple[MessageKey, ...]:
    """One key per letter that is not itself a receipt (receipts are answers)."""
    envelope = message.envelope.identifier
    return tuple(MessageKey(Protocol.OIOXML, envelope, letter.letter.identifier)
                 for letter in message.letters if not isinstance(letter, Receipt))


def emessage_answers(message: Emessage) -> tuple[Answer, ...]:
    """The receipts an Emessage carries, as answers."""
    return tuple(receipt_answer(letter, message.envelope.identifier)
                 for letter in message.letters if isinstance(letter, Receipt))


def receipt_answer(receipt: Receipt, envelope_id: str) -> Answer:
    refusals = [x.refusal for x in receipt.letters if x.refusal is not None]
    refusal = receipt.refusal or (refusals[0] if refusals else None)
    text = refusal.text.to_plain() if refusal is not None and refusal.text is not None else None
    return Answer(
        Protocol.OIOXML, _RECEIPT_KINDS[receipt.kind], envelope_id,
        receipt.original_envelope_id, tuple(x.identifier for x in receipt.letters),
        reason=text or (refusal.code.value if refusal and refusal.code else None),
        refuse_code=refusal.code if refusal is not None else None,
    )


def fhir_key(message: CareCommunication) -> MessageKey:
    return MessageKey(Protocol.FHIR, message.bundle_id, message.message_id)


def ack_key(ack: Acknowledgement) -> MessageKey:
    """An acknowledgement's own key: to recognise the same ack arriving twice."""
    return MessageKey(Protocol.FHIR, ack.bundle_id, ack.message_id)


def ack_answer(ack: Acknowledgement) -> Answer:
    reason = "; ".join(i.text or (i.details.code if i.details else i.code) for i in ack.issues)
    return Answer(Protocol.FHIR, _ACK_KINDS[ack.code], ack.bundle_id, None,
                  (ack.acknowledged_id,), reason=reason or None)


def vans_key(envelope: VansEnvelope) -> MessageKey:
    if envelope.message is None:
        raise InvalidValue("a VANS receipt is an answer, not a message")
    return MessageKey(Protocol.VANS, envelope.envelope_id, envelope.message.meta.identifier)


def vans_answer(envelope: VansEnvelope) -> Answer:
    receipt = envelope.receipt
    if receipt is None:
        raise InvalidValue("this VANSEnvelope carries a message, not a receipt")
    ids = (receipt.original.identifier,) if receipt.original is not None else ()
    return Answer(Protocol.VANS, _VANS_KINDS[receipt.kind], envelope.envelope_id,
                  receipt.original_envelope_id, ids,
                  reason=receipt.error.description if receipt.error else None)


def sbdh_key(document: Sbdh) -> MessageKey:
    if not document.message_id:
        raise InvalidValue("the ehmiSBDH has no MESSAGEIDENTIFIER scope")
    return MessageKey(Protocol.SBDH, document.instance_id, document.message_id)
