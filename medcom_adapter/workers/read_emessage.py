"""Reading a received letter-carrying message once, in either of its syntaxes.

OIOXML Emessages and EDIFACT interchanges carry the same letters (one model), are answered
by the same receipts and are recorded alike; a :class:`Syntax` names only what differs: the
document type ``detect.check`` reads, the receipting module that answers it, and where the
letter's kind and version are read from. The file is parsed and validated once; the receipt
a valid letter is owed is built from that reading (``answer_read``). An invalid file is read
leniently (``answer``) for what a negative receipt needs: the envelope id, the parties and
the letters up to the damage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from medcom_adapter.addressing.senders import sender_sor
from medcom_adapter.channels import Carried
from medcom_adapter.conformance.built import Built
from medcom_adapter.detect import Report, check
from medcom_adapter.errors import InboundInvalid, MedComError
from medcom_adapter.journal.interface import Attachment, Direction, NewMessage
from medcom_adapter.model.letters import BinaryLetter
from medcom_adapter.model.message import Emessage
from medcom_adapter.model.receipts import Receipt, ReceiptKind
from medcom_adapter.reliable import correlate
from medcom_adapter.reliable.receipting import Answer
from medcom_adapter.reliable.rules import MessageKey
from medcom_adapter.reliable.rules import Protocol as Reliable
from medcom_adapter.workers.received import AnswerIn, Context, Inbound, Owed, Reading


class _Version(Protocol):
    @property
    def code(self) -> str: ...


class Document(Protocol):
    @property
    def message(self) -> Emessage: ...


D = TypeVar("D", bound=Document)


@dataclass(frozen=True, slots=True)
class Syntax(Generic[D]):
    """What reading one syntax needs; :meth:`read` is the reader ``reading`` calls."""

    document: type[D]
    answer: Callable[..., Answer]  # (data, *, now, ids): the lenient read's receipt
    answer_read: Callable[..., Answer]  # (document, *, now, ids): the receipt of a read one
    receipt_versions: Mapping[ReceiptKind, str]
    kind_version: Callable[[Report, D], tuple[str, str]]  # the letter's, as journaled
    answer_version: Callable[[D], _Version]  # the version a receipt of ours arrived in

    def read(self, carried: Carried, context: Context) -> Reading:
        data = carried.data
        report = check(data)
        document = report.message if isinstance(report.message, self.document) else None
        if not report.valid or document is None:
            return self._invalid(data, report, context)
        first = document.message.letters[0]
        if isinstance(first, Receipt):
            (said,) = correlate.emessage_answers(document.message)
            entry = NewMessage(
                direction=Direction.INBOUND, kind=first.kind.value,
                version=self.answer_version(document).code, data=data,
                envelope_id=document.message.envelope.identifier,
                message_id=first.identifier, sender_ean=first.sender_ean,
                receiver_ean=first.receiver_ean)
            return AnswerIn(entry, said, first.kind.value)
        key = correlate.emessage_keys(document.message)[0]
        objects = first.objects if isinstance(first, BinaryLetter) else ()
        patient = getattr(first, "patient", None)
        episode = getattr(first, "episode_of_care", None)
        kind, version = self.kind_version(report, document)
        entry = NewMessage(
            direction=Direction.INBOUND, kind=kind, version=version, data=data,
            envelope_id=key.envelope_id, message_id=key.message_id,
            sender_ean=str(first.sender.ean), receiver_ean=str(first.receiver.ean),
            sender_sor=sender_sor(context.directory, ean=str(first.sender.ean),
                                  identifier=first.sender.identifier,
                                  code=first.sender.identifier_code.value),
            patient=patient.id if patient is not None else None,
            episode_id=episode if isinstance(episode, str) else None,
            attachments=tuple(Attachment(str(o.object_id), o.extension.value, o.data)
                              for o in objects))

        def receipt() -> Answer:
            return self.answer_read(document, now=context.local_now(), ids=context.ids)

        return Inbound(key, entry, None, None, self._owed_receipt(receipt, context),
                       document.message)

    def _invalid(self, data: bytes, report: Report, context: Context) -> Inbound:
        """What a lenient read salvages is what the negative receipt answers."""
        result = self.answer(data, now=context.local_now(), ids=context.ids)
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
        salvaged_key = MessageKey(Reliable.OIOXML, envelope_id, letter_id) if salvaged else None

        def again() -> Answer:  # an invalid file was never read whole: read leniently again
            return self.answer(data, now=context.local_now(), ids=context.ids)

        return Inbound(salvaged_key, entry, InboundInvalid(report.issues), reason,
                       self._owed_receipt(again, context))

    def _owed_receipt(self, receipt_of: Callable[[], Answer], context: Context) -> Owed:
        versions = self.receipt_versions

        def owed(answers: int, refusal: MedComError | None) -> NewMessage | None:
            result = receipt_of()
            if result.receipt is None or (refusal is not None and result.error is None):
                return None  # a valid letter refused for its ids: no receipt says so
            receipt = result.receipt.letters[0]
            assert isinstance(receipt, Receipt)
            built = result.build()  # validated as it is built
            if context.checked is not None and isinstance(built, Built):
                context.checked.remember(built)  # so the outbox need not validate it again
            return NewMessage(
                direction=Direction.OUTBOUND, kind=receipt.kind.value,
                version=versions[receipt.kind], data=built,
                envelope_id=result.receipt.envelope.identifier,
                message_id=receipt.identifier, sender_ean=receipt.sender_ean,
                receiver_ean=receipt.receiver_ean, answers=answers)
        return owed
