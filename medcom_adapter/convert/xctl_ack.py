"""XCTL01/02/03 <-> Acknowledgement, as MedCom's VANS conversion service does it.

The rules are MedCom's use cases and rules v3.1.0 (sections 4.1, 4.3, 4.4) and the mapping
sheet XCTL <-> Acknowledgement; ``docs/conversion.md`` lists where we differ and why.

- One conversion, one :class:`~medcom_adapter.convert.links.Link`: the CareCommunication's
  Bundle.id and MessageHeader.id and the OIOXML letters it became or came from (an XDIS91,
  and with attachments one XBIN01). Neither receipt form names the other side's ids, so both
  directions take the Link.
- XCTL -> Acknowledgement: the receipts for every letter of the conversion make ONE
  Acknowledgement (table 4): all XCTL03 -> ``ok``; any XCTL02 (or XCTL01) -> ``fatal-error``,
  each refusal one OperationOutcome issue. While a letter's receipt is missing nothing is
  sent (the FHIR sender resends after 120 minutes). ``response.identifier`` is the
  CareCommunication's MessageHeader.id and its latest Provenance is repeated, so a FHIR
  sender can match it. Bundle.id and MessageHeader.id are new UUIDs.
- Acknowledgement -> XCTL: one receipt per letter of the conversion (table 3): ``ok`` ->
  XCTL03, ``fatal-error``/``transient-error`` -> XCTL02, each naming its letter's envelope
  id, letter id and VersionCode. A conversion that was incomplete or carried a foreign file
  type adds the conversion service's reason (table 5) before the receiver's. Ids are new
  14-character OIOXML ids; receipts ask for no receipt (``minuspositivkvitt``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.convert.links import Link, OioxmlLetter
from medcom_adapter.convert.xdis91_fhir import (
    DANISH_TIME,
    XDIS91_VERSION,
    ConversionError,
    local_minute,
)
from medcom_adapter.errors import RefuseCode
from medcom_adapter.kinds import Kind
from medcom_adapter.model.acknowledgement import (
    ERROR_CODES,
    HL7_OUTCOME,
    AckCode,
    AckEvent,
    Acknowledgement,
    OutcomeIssue,
)
from medcom_adapter.model.carecommunication import (
    Activity,
    CareCommunication,
    Coding,
    Event,
    Party,
)
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.letters import BinaryLetter
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind, Refusal
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.versions import current

ACK_ACTIVITY = "acknowledgement"
GlnToSor = Callable[[str], str | None]
NewId = Callable[[], str]

# section 4.3: the receipt kind each acknowledgement code becomes, and back
RECEIPT_OF = {AckCode.OK: ReceiptKind.POSITIVE, AckCode.FATAL_ERROR: ReceiptKind.NEGATIVE,
              AckCode.TRANSIENT_ERROR: ReceiptKind.NEGATIVE}
CODE_OF = {ReceiptKind.POSITIVE: AckCode.OK, ReceiptKind.NEGATIVE: AckCode.FATAL_ERROR,
           ReceiptKind.NEGATIVE_VANS: AckCode.FATAL_ERROR}
RECEIPT_VERSION = {k: current(Kind(k)).code for k in ReceiptKind}


@dataclass(frozen=True, slots=True)
class RefusalRow:
    refuse: RefuseCode
    issue_type: str  # FHIR IssueType
    details: Coding | None  # from MedComAcknowledgementIssueDetailValues


REFUSALS: tuple[RefusalRow, ...] = (
    RefusalRow(RefuseCode.SYNTAX_ERROR, "structure", Coding(HL7_OUTCOME, "MSG_BAD_SYNTAX")),
    RefusalRow(RefuseCode.VERSION_PROBLEM, "not-supported",
               Coding(ERROR_CODES, "MSG_RECEIVER_UNABLE_TO_RECEIVE_MSG_TYPE")),
    RefusalRow(RefuseCode.UNKNOWN_LOCATION_NUMBER, "not-found",
               Coding(ERROR_CODES, "MSG_Receiver_Identifier_UNKNOWN")),
    RefusalRow(RefuseCode.RECEIVER_ID_PROBLEM, "invalid",
               Coding(ERROR_CODES, "MSG_Receiver_Identifier_MISSING")),
    RefusalRow(RefuseCode.NOT_SPECIFIED, "processing", None),
)
_BY_REFUSE = {row.refuse: row for row in REFUSALS}
_BY_DETAILS = {(row.details.system, row.details.code): row for row in REFUSALS if row.details}


def _uuid() -> str:
    return str(uuid.uuid4())


def _no_sor(gln: str) -> str | None:
    return None


# --------------------------------------------------------------------------- links

def link_to_care_communication(
    cc: CareCommunication, receipts: Sequence[Emessage] = ()
) -> Link:
    """The Link of a CareCommunication whose XDIS91/XBIN01 the ``receipts`` answer, when the
    conversion's own Link was not kept (the receipts name the OIOXML letters)."""
    letters = []
    for message in receipts:
        receipt = _receipt(message)
        for original in receipt.letters:
            letters.append(OioxmlLetter(
                Kind.CORRESPONDENCE if original.version_code == XDIS91_VERSION else Kind.BINARY,
                receipt.original_envelope_id, original.identifier, original.version_code,
                receipt.original_sender_ean, receipt.original_receiver_ean))
    if not letters:
        raise ConversionError("the receipts name no letter")
    return Link(cc.bundle_id, cc.message_id, cc.sender, cc.receiver, tuple(letters),
                cc.latest)


def link_to_oioxml(originals: Sequence[Emessage], ack: Acknowledgement) -> Link:
    """The Link of the XDIS91 (and XBIN01) an Acknowledgement answers, as converted to the
    CareCommunication it names, when the conversion's own Link was not kept."""
    letters = []
    for message in originals:
        for letter in message.letters:
            if not isinstance(letter, ClinicalEmail | BinaryLetter):
                raise ConversionError("only an XDIS91 and its XBIN01 become a CareCommunication")
            kind = Kind.CORRESPONDENCE if isinstance(letter, ClinicalEmail) else Kind.BINARY
            version = current(kind).code
            letters.append(OioxmlLetter(kind, message.envelope.identifier,
                                        letter.letter.identifier, version,
                                        str(letter.sender.ean), str(letter.receiver.ean)))
    if not letters:
        raise ConversionError("give the XDIS91 (and XBIN01) the Acknowledgement answers")
    own = next((e for e in ack.history if e.message_id == ack.acknowledged_id), None)
    event = Event(ack.acknowledged_id, Activity.NEW,
                  own.occurred if own else ack.timestamp, ack.receiver, ())
    return Link(_uuid(), ack.acknowledged_id, ack.receiver, ack.sender, tuple(letters), event)


# --------------------------------------------------------------------------- XCTL -> FHIR

def to_fhir(
    receipts: Emessage | Sequence[Emessage],
    *,
    link: Link | None = None,
    acknowledged: CareCommunication | None = None,
    sor_of: GlnToSor = _no_sor,
    new_id: NewId = _uuid,
    now: datetime | None = None,
) -> Acknowledgement:
    """The one Acknowledgement for the receipts of a conversion's letters (table 4).

    ``link`` (or ``acknowledged``, the CareCommunication that went out as these letters)
    says which FHIR message they answer; ConversionError when a linked letter has no
    receipt yet, a receipt answers another message, or neither is given.
    """
    messages = (receipts,) if isinstance(receipts, Emessage) else tuple(receipts)
    if not messages:
        raise ConversionError("no receipt to convert")
    if link is None:
        if acknowledged is None:
            raise ConversionError(
                "an Acknowledgement names the CareCommunication's MessageHeader.id, which an "
                "XCTL does not carry: give the CareCommunication or the conversion's record")
        link = link_to_care_communication(acknowledged, messages)
    if now is not None and link.expired(now):
        raise ConversionError(
            f"the conversion of message {link.message_id} is more than 3 months old: its "
            "receipts are passed on unconverted (rules 4.5.1)")
    answered = _match(messages, link)
    sender = _party(link.receiver, messages, sor_of)  # the original receiver answers
    receiver = _party(link.sender, messages, sor_of)
    latest = max(m.envelope.sent for m in messages).replace(tzinfo=DANISH_TIME)
    kinds = {r.kind for _, r in answered}
    code = AckCode.OK if kinds == {ReceiptKind.POSITIVE} else AckCode.FATAL_ERROR
    issues = tuple(dict.fromkeys(i for _, r in answered for i in _issues(r)))
    message_id = new_id()
    event = link.event
    history = (
        AckEvent(event.message_id, event.activity.value, event.occurred, event.agent,
                 predecessor=event.predecessor.message_id if event.predecessor else None),
        AckEvent(message_id, ACK_ACTIVITY, latest, sender, predecessor=link.message_id),
    )
    return Acknowledgement(
        bundle_id=new_id(), message_id=message_id, timestamp=latest, sender=sender,
        receiver=receiver, acknowledged_id=link.message_id, code=code,
        issues=issues if code is not AckCode.OK else (), history=history,
    )


def _receipt(message: Emessage) -> Receipt:
    (receipt,) = message.letters
    if not isinstance(receipt, Receipt):
        raise ConversionError("expected an XCTL receipt")
    return receipt


def _match(messages: Sequence[Emessage], link: Link) -> list[tuple[OioxmlLetter, Receipt]]:
    """Each linked letter with the receipt that answers it; every receipt must answer one."""
    answered: dict[OioxmlLetter, Receipt] = {}
    for message in messages:
        receipt = _receipt(message)
        if not receipt.letters:
            raise ConversionError("the receipt names no letter; an Acknowledgement answers "
                                  "one message")
        for original in receipt.letters:
            letter = link.letter(receipt.original_envelope_id, original.identifier)
            if letter is None:
                raise ConversionError(
                    f"the receipt answers letter {original.identifier} in envelope "
                    f"{receipt.original_envelope_id}, which is not part of the conversion of "
                    f"message {link.message_id}")
            answered[letter] = receipt
    waiting = [x for x in link.letters if x not in answered]
    if waiting:
        names = ", ".join(f"{x.type_code} {x.letter_id}" for x in waiting)
        raise ConversionError(
            f"no receipt yet for {names}: one Acknowledgement answers every letter of the "
            "conversion; without all receipts none is sent (the sender resends)")
    return list(answered.items())


def _issues(receipt: Receipt) -> tuple[OutcomeIssue, ...]:
    """One issue per distinct refusal of a negative receipt (envelope first, then letters)."""
    if not receipt.kind.negative:
        return ()
    refusals = dict.fromkeys(
        r for r in (receipt.refusal, *(letter.refusal for letter in receipt.letters)) if r)
    if not refusals:
        refusals = {Refusal(RefuseCode.NOT_SPECIFIED): None}
    issues = []
    for refusal in refusals:
        row = _BY_REFUSE[refusal.code or RefuseCode.NOT_SPECIFIED]
        text = refusal.text.to_plain() if refusal.text else None
        issues.append(OutcomeIssue("error", row.issue_type, row.details,
                                   text or f"RefuseCode {row.refuse.value}"))
    return tuple(issues)


def _party(known: Party, messages: Sequence[Emessage], sor_of: GlnToSor) -> Party:
    if known.sor:
        return known
    sor = sor_of(known.gln)
    if not sor:
        raise ConversionError(f"no SOR id for location number {known.gln}; FHIR needs one")
    return Party(sor, known.gln, known.name)


# --------------------------------------------------------------------------- FHIR -> XCTL

def to_oioxml(
    ack: Acknowledgement, link: Link, *, ids: IdSource | None = None,
    now: datetime | None = None,
) -> tuple[Emessage, ...]:
    """One XCTL03 (``ok``) or XCTL02 (an error) per OIOXML letter the acknowledged
    CareCommunication came from (table 3); build each with :data:`RECEIPT_VERSION`."""
    if ack.acknowledged_id != link.message_id:
        raise ConversionError(
            f"the Acknowledgement answers message {ack.acknowledged_id}, not {link.message_id} "
            "(the CareCommunication this conversion made)")
    ids = ids or IdSource()
    kind = RECEIPT_OF[ack.code]
    refusal = _refusal(ack.issues, link.enrichment) if kind.negative else None
    sent = local_minute(now or ack.timestamp)
    out = []
    for letter in link.letters:
        receipt = Receipt(
            kind=kind,
            identifier=ids.letter_id(),
            sender_ean=ack.sender.gln,
            receiver_ean=ack.receiver.gln,
            original_envelope_id=letter.envelope_id,
            original_sender_ean=letter.sender_ean,
            original_receiver_ean=letter.receiver_ean,
            refusal=refusal,
            letters=(OriginalLetter(letter.letter_id, letter.version_code, refusal),),
        )
        # receipts themselves are never receipted: minuspositivkvitt
        envelope = Envelope(ids.envelope_id(), sent, AcknowledgementCode.MINUS_POSITIVE)
        out.append(Emessage(envelope, (receipt,)))
    return tuple(out)


def _refusal(issues: tuple[OutcomeIssue, ...], enrichment: str | None) -> Refusal:
    """The refusal for an error's issues: the first issue with a known details code gives
    the RefuseCode; the conversion service's reason (if any) and the issues' texts, in that
    order, the RefuseText (table 5: both texts appear)."""
    rows = [_BY_DETAILS.get((i.details.system, i.details.code)) for i in issues if i.details]
    code = next((r.refuse for r in rows if r is not None), RefuseCode.NOT_SPECIFIED)
    texts = tuple(t for t in (enrichment, *(i.text for i in issues)) if t)
    return Refusal(code, FormattedText.plain("\n".join(texts)) if texts else None)
