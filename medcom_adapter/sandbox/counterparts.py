"""The parties a PPR unit talks to, played by the sandbox.

Each counterpart gets the files addressed to it and returns the files it sends in answer.
They answer as MedCom's rules say, using the same core the adapter uses: a receipt for
every OIOXML letter that asked for one (a negative one for an invalid letter), and nothing
twice to the adapter's side beyond what the rules require. What each has accepted is kept
in ``accepted`` (letter ids, once each) for tests and the demo to inspect.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.errors import RefuseCode, UnknownReceiver
from medcom_adapter.fhir.threads import reply as reply_in_thread
from medcom_adapter.kinds import Kind
from medcom_adapter.model.carecommunication import Author, CareCommunication
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.letters import LetterHeader
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind, Refusal
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml import emessage
from medcom_adapter.oioxml.receipting import answer
from medcom_adapter.oioxml.versions import current
from medcom_adapter.sandbox.addressing import Address, read_address
from medcom_adapter.sandbox.fhir import FhirAnswers

GP_REPLY = "Tak for orienteringen. Vi ser barnet til en samtale i næste uge."
GP_AUTHOR = Author(family="Lægesen", given=("Lise",), role_text="Praktiserende læge")
GP_PHONE = "70000000"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A file a counterpart sends; ``to`` overrides routing by content (DNHF forwarding)."""

    data: bytes
    to: str | None = None


class Counterpart(Protocol):
    ean: str

    def handle(self, data: bytes, now: datetime,
               address: Address | None = None) -> list[Outgoing]:
        """Answer ``data``; ``address`` is its routing facts when the network has read them."""
        ...


def receipt_file(
    kind: ReceiptKind, address: Address, *, sender: str, now: datetime, ids: IdSource,
    code: RefuseCode | None = None, text: str | None = None,
) -> bytes:
    """A receipt for the file at ``address`` built from its routing facts alone."""
    refusal = Refusal(code, FormattedText((text,)) if text else None) if kind.negative else None
    receipt = Receipt(
        kind=kind, identifier=ids.letter_id(), sender_ean=sender,
        receiver_ean=address.sender or "", original_envelope_id=address.envelope_id or "",
        original_sender_ean=address.sender or "", original_receiver_ean=address.receiver or "",
        refusal=refusal,
        letters=tuple(OriginalLetter(i, v) for i, v in address.letters),
    )
    version = current(Kind(kind)).code
    envelope = Envelope(ids.envelope_id(), now.replace(second=0, microsecond=0, tzinfo=None),
                        AcknowledgementCode.MINUS_POSITIVE)
    return emessage.build(Emessage(envelope, (receipt,)), version)


@dataclass
class _Receiving:
    """What every receiving counterpart shares: receipts, and letters accepted once."""

    ean: str
    ids: IdSource = field(default_factory=IdSource)
    accepted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    receipts_sent: int = 0
    reads_letters: bool = False  # whether handle needs the parsed message (to reply)

    def _receive(self, data: bytes, now: datetime,
                 address: Address | None) -> tuple[list[Outgoing], Emessage | None]:
        """Receipt ``data``; the message when it is new, valid and not a receipt."""
        address = address or read_address(data)
        if address is not None and address.is_receipt:
            return [], None
        result = answer(data, now=now, ids=self.ids)
        out = [Outgoing(result.build())] if result.receipt is not None else []
        self.receipts_sent += len(out)
        if result.error is not None:
            self.refused.extend(i for i, _ in (address.letters if address else ()))
            return out, None
        new = [i for i, _ in (address.letters if address else ()) if i not in self.accepted]
        self.accepted.extend(new)
        if not new or not self.reads_letters:
            return out, None
        return out, emessage.parse(data).message


@dataclass
class Department(_Receiving):
    """A BUP department: validates each referral and attachment, answers XCTL03 or XCTL02."""

    def handle(self, data: bytes, now: datetime,
               address: Address | None = None) -> list[Outgoing]:
        out, _ = self._receive(data, now, address)
        return out


@dataclass
class GpSystem(_Receiving):
    """A GP's system: receipts KM (XDIS91) and acknowledges CareCommunications (``fhir``),
    and replies once to each new one, in kind, when asked to."""

    reply_text: str | None = GP_REPLY
    replies_sent: int = 0
    reads_letters: bool = True
    fhir: FhirAnswers = field(default_factory=FhirAnswers)

    def handle(self, data: bytes, now: datetime,
               address: Address | None = None) -> list[Outgoing]:
        address = address or read_address(data)
        if address is not None and address.vans:
            return [Outgoing(d) for d in self.fhir.handle(data, now, self._reply_fhir)]
        out, message = self._receive(data, now, address)
        if message is None or self.reply_text is None:
            return out
        letter = message.letters[0]
        if isinstance(letter, ClinicalEmail):
            out.append(Outgoing(self._reply_xdis91(letter, now)))
        return out

    def _reply_fhir(self, message: CareCommunication, now: datetime) -> CareCommunication | None:
        if self.reply_text is None:
            return None
        self.replies_sent += 1
        return reply_in_thread(message, text=self.reply_text, author=GP_AUTHOR, phone=GP_PHONE,
                               now=now)

    def _reply_xdis91(self, km: ClinicalEmail, now: datetime) -> bytes:
        sent = now.replace(second=0, microsecond=0, tzinfo=None)
        assert self.reply_text is not None
        reply = ClinicalEmail(
            letter=LetterHeader(self.ids.letter_id(), sent),
            sender=dataclasses.replace(km.receiver, phone=km.receiver.phone or GP_PHONE),
            receiver=dataclasses.replace(km.sender, phone=None, speciality=None),
            patient=km.patient, patient_status=km.patient_status,
            texts=(FormattedText((self.reply_text,)),), episode_of_care=km.episode_of_care,
            subject=f"Sv: {km.subject}"[:70] if km.subject else None,
        )
        self.replies_sent += 1
        envelope = Envelope(self.ids.envelope_id(), sent, AcknowledgementCode.PLUS_POSITIVE)
        return emessage.build(Emessage(envelope, (reply,)), current(Kind.CORRESPONDENCE))


@dataclass
class Dnhf:
    """DNHF: takes referrals and their attachments and forwards each, unchanged, to the BUP
    department the letter names; the department's receipt goes back to the sender (its
    sender is DNHF's number, the letter's receiver). Unknown department: XCTL02."""

    ean: str
    directory: Directory
    departments: Callable[[str], bool]  # is this location number a department we can reach
    ids: IdSource = field(default_factory=IdSource)
    forwarded: int = 0

    def handle(self, data: bytes, now: datetime,
               address: Address | None = None) -> list[Outgoing]:
        address = address or read_address(data)
        if address is None or address.is_receipt:
            return []
        target = None
        if address.receiver_identifier is not None:
            code, value = address.receiver_identifier
            try:
                target = self.directory.by_identifier(code, value)
            except UnknownReceiver:
                target = None
        if target is None or not self.departments(target.ean):
            named = f"{address.receiver_identifier}" if address.receiver_identifier else "none"
            return [Outgoing(receipt_file(
                ReceiptKind.NEGATIVE, address, sender=self.ean, now=now, ids=self.ids,
                code=RefuseCode.RECEIVER_ID_PROBLEM,
                text=f"DNHF kender ikke modtageren {named}"))]
        self.forwarded += 1
        return [Outgoing(data, to=target.ean)]
