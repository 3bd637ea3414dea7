"""Reading a received OIOXML Emessage once: a letter to decide on, or a receipt of ours.

The file is parsed and schema-validated once (``detect.check``); the receipt a valid letter
is owed is built from that reading (``oioxml.receipting.answer_read``). An invalid file is
read leniently for what a negative receipt needs (``oioxml.receipting.answer``): the
envelope id, the parties and the letters up to the damage.
"""

from __future__ import annotations

from collections.abc import Callable

from medcom_adapter.addressing.senders import sender_sor
from medcom_adapter.channels import Carried
from medcom_adapter.detect import Report, check
from medcom_adapter.errors import InboundInvalid, MedComError
from medcom_adapter.journal.interface import Attachment, Direction, NewMessage
from medcom_adapter.model.letters import BinaryLetter
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml.emessage import Document
from medcom_adapter.oioxml.receipting import RECEIPT_VERSIONS, Answer, answer, answer_read
from medcom_adapter.reliable import correlate
from medcom_adapter.reliable.rules import MessageKey, Protocol
from medcom_adapter.workers.received import AnswerIn, Context, Inbound, Owed, Reading


def read(carried: Carried, context: Context) -> Reading:
    data = carried.data
    report = check(data)
    document = report.message if isinstance(report.message, Document) else None
    if not report.valid or document is None:
        return _invalid(data, report, context)
    first = document.message.letters[0]
    if isinstance(first, Receipt):
        (said,) = correlate.emessage_answers(document.message)
        entry = NewMessage(
            direction=Direction.INBOUND, kind=first.kind.value,
            version=document.versions[0].code, data=data,
            envelope_id=document.message.envelope.identifier, message_id=first.identifier,
            sender_ean=first.sender_ean, receiver_ean=first.receiver_ean)
        return AnswerIn(entry, said, first.kind.value)
    key = correlate.emessage_keys(document.message)[0]
    objects = first.objects if isinstance(first, BinaryLetter) else ()
    patient = getattr(first, "patient", None)
    episode = getattr(first, "episode_of_care", None)
    entry = NewMessage(
        direction=Direction.INBOUND, kind=report.kind or "",
        version=report.version or "", data=data, envelope_id=key.envelope_id,
        message_id=key.message_id, sender_ean=str(first.sender.ean),
        receiver_ean=str(first.receiver.ean),
        sender_sor=sender_sor(context.directory, ean=str(first.sender.ean),
                              identifier=first.sender.identifier,
                              code=first.sender.identifier_code.value),
        patient=patient.id if patient is not None else None,
        episode_id=episode if isinstance(episode, str) else None,
        attachments=tuple(Attachment(str(o.object_id), o.extension.value, o.data)
                          for o in objects))

    def receipt() -> Answer:
        return answer_read(document, now=context.local_now(), ids=context.ids)

    return Inbound(key, entry, None, None, _owed_receipt(receipt, context),
                   document.message)


def _invalid(data: bytes, report: Report, context: Context) -> Inbound:
    """What a lenient read salvages is what the negative receipt answers."""
    result = answer(data, now=context.local_now(), ids=context.ids)
    receipt = result.receipt.letters[0] if result.receipt is not None else None
    salvaged = receipt if isinstance(receipt, Receipt) else None
    envelope_id = salvaged.original_envelope_id if salvaged else ""
    letter_id = salvaged.letters[0].identifier if salvaged and salvaged.letters else ""
    entry = NewMessage(
        direction=Direction.INBOUND, kind=report.kind or "unknown",
        version=report.version or "", data=data, envelope_id=envelope_id,
        message_id=letter_id, sender_ean=salvaged.receiver_ean if salvaged else None,
        receiver_ean=salvaged.sender_ean if salvaged else None)
    reason = "; ".join(str(i) for i in report.issues if not i.warning) or result.reason
    salvaged_key = MessageKey(Protocol.OIOXML, envelope_id, letter_id) if salvaged else None

    def again() -> Answer:  # an invalid file was never read whole: read leniently again
        return answer(data, now=context.local_now(), ids=context.ids)

    return Inbound(salvaged_key, entry, InboundInvalid(report.issues), reason,
                   _owed_receipt(again, context))


def _owed_receipt(receipt_of: Callable[[], Answer], context: Context) -> Owed:
    def owed(answers: int, refusal: MedComError | None) -> NewMessage | None:
        result = receipt_of()
        if result.receipt is None or (refusal is not None and result.error is None):
            return None  # a valid letter refused for its ids: no receipt says so
        receipt = result.receipt.letters[0]
        assert isinstance(receipt, Receipt)
        built = result.build()  # validated as it is built
        if context.checked is not None:
            context.checked.remember(built)  # so the outbox need not validate it again
        return NewMessage(
            direction=Direction.OUTBOUND, kind=receipt.kind.value,
            version=RECEIPT_VERSIONS[receipt.kind], data=built,
            envelope_id=result.receipt.envelope.identifier, message_id=receipt.identifier,
            sender_ean=receipt.sender_ean, receiver_ean=receipt.receiver_ean,
            answers=answers)
    return owed
