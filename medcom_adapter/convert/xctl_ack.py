"""OIOXML receipts <-> FHIR Acknowledgement, after MedCom's mapping: XCTL03 positive receipt
<-> ``ok``, XCTL02 negative receipt <-> ``fatal-error``.

MedCom's mapping between the OIOXML receipt and the Acknowledgement message says:

- ``Envelope/Sent`` -> ``Bundle.timestamp`` (Danish local time); ``Envelope/Identifier`` ->
  ``Bundle.id``; a positive receipt -> ``response.code`` ``ok``.
- ``Letter/Identifier`` -> ``MessageHeader.id``; ``VersionCode`` and ``StatisticalCode`` have no
  FHIR counterpart.
- ``Sender``/``Receiver`` EAN -> the GLN of the sender / primary receiver organisation; the
  original sender is the acknowledgement's receiver and the original receiver its sender.
- ``OriginalLetter`` -> the acknowledgement Provenance's revision entity (and, by the IG,
  ``response.identifier``: the acknowledged MessageHeader.id, which the XDIS91 mapping makes
  the letter id).

A negative receipt (XCTL02) is a ``fatal-error``: the message was refused and must not be
sent again unchanged (the acknowledgement's ``transient-error`` has no OIOXML counterpart).
MedCom's mapping says a code other than ``ok`` is elaborated in the OperationOutcome; each
refusal (the envelope's and each letter's ``RefuseCode``/``RefuseText``) becomes one issue:
the refuse code gives the issue type and, where the ValueSet has one, the details code
(``REFUSALS`` below, both ways), the refuse text the details text. An issue whose code has
no row maps back to ``ikke_specificeret``.

FHIR has no place for the original envelope id or the original letter's VersionCode, and
OIOXML none for SOR ids. A conversion service knows both from the message it converted on
the way out; here the caller supplies them (``Original`` and a SOR look-up), or the
CareCommunication that was acknowledged, whose latest Provenance the Acknowledgement repeats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from medcom_adapter.convert.xdis91_fhir import (
    DANISH_TIME,
    ConversionError,
    local_minute,
    oioxml_id,
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
from medcom_adapter.model.carecommunication import CareCommunication, Coding, Party
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind, Refusal
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.versions import current

ACK_ACTIVITY = "acknowledgement"
GlnToSor = Callable[[str], str | None]

# the receipt kind each acknowledgement code is, and back
RECEIPT_OF = {AckCode.OK: ReceiptKind.POSITIVE, AckCode.FATAL_ERROR: ReceiptKind.NEGATIVE}
CODE_OF = {kind: code for code, kind in RECEIPT_OF.items()}
RECEIPT_VERSION = {k: current(Kind(k)).code for k in (ReceiptKind.POSITIVE, ReceiptKind.NEGATIVE)}


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


@dataclass(frozen=True, slots=True)
class Original:
    """What the receipt must name of the acknowledged OIOXML message and FHIR does not carry."""

    envelope_id: str
    version_code: str = current(Kind.CORRESPONDENCE).code


def _no_sor(gln: str) -> str | None:
    return None


# --------------------------------------------------------------------------- XCTL03 -> FHIR

def to_fhir(
    message: Emessage, *, sor_of: GlnToSor = _no_sor,
    acknowledged: CareCommunication | None = None,
) -> Acknowledgement:
    """The Acknowledgement for an XCTL03 (``ok``) or XCTL02 (``fatal-error``) answering one
    letter.

    With ``acknowledged`` (the CareCommunication the receipt answers, as converted to XDIS91
    on the way out) its parties and latest Provenance are taken from it.
    """
    (receipt,) = message.letters
    if not isinstance(receipt, Receipt) or receipt.kind not in CODE_OF:
        raise ConversionError("only a positive (XCTL03) or negative (XCTL02) receipt maps to "
                              "an Acknowledgement; a negative VANS receipt comes from the "
                              "network, not the receiver")
    if len(receipt.letters) != 1:
        raise ConversionError(
            f"the receipt names {len(receipt.letters)} letters; an Acknowledgement answers "
            "exactly one message"
        )
    known = (acknowledged.sender, acknowledged.receiver) if acknowledged else ()
    sender = _party(receipt.sender_ean, known, sor_of)
    receiver = _party(receipt.receiver_ean, known, sor_of)
    acked_id = receipt.letters[0].identifier
    timestamp = message.envelope.sent.replace(tzinfo=DANISH_TIME)
    history: list[AckEvent] = []
    if acknowledged is not None:
        latest = acknowledged.latest
        history.append(AckEvent(latest.message_id, latest.activity.value, latest.occurred,
                                latest.agent))
    history.append(AckEvent(receipt.identifier, ACK_ACTIVITY, timestamp, sender,
                            predecessor=acked_id))
    return Acknowledgement(
        bundle_id=message.envelope.identifier,
        message_id=receipt.identifier,
        timestamp=timestamp,
        sender=sender,
        receiver=receiver,
        acknowledged_id=acked_id,
        code=CODE_OF[receipt.kind],
        issues=_issues(receipt),
        history=tuple(history),
    )


def _issues(receipt: Receipt) -> tuple[OutcomeIssue, ...]:
    """One issue per distinct refusal of the receipt (envelope first, then letters)."""
    refusals = dict.fromkeys(
        r for r in (receipt.refusal, *(letter.refusal for letter in receipt.letters)) if r)
    if receipt.kind is ReceiptKind.NEGATIVE and not refusals:
        refusals = {Refusal(RefuseCode.NOT_SPECIFIED): None}
    issues = []
    for refusal in refusals:
        row = _BY_REFUSE[refusal.code or RefuseCode.NOT_SPECIFIED]
        text = refusal.text.to_plain() if refusal.text else None
        issues.append(OutcomeIssue("error", row.issue_type, row.details,
                                   text or f"RefuseCode {row.refuse.value}"))
    return tuple(issues)


def _party(ean: str, known: tuple[Party, ...], sor_of: GlnToSor) -> Party:
    match = next((p for p in known if p.gln == ean), None)
    if match is not None:
        return match
    sor = sor_of(ean)
    if not sor:
        raise ConversionError(f"no SOR id for location number {ean}; FHIR needs one: give a "
                              "SOR look-up or the acknowledged message")
    return Party(sor=sor, gln=ean)


# --------------------------------------------------------------------------- FHIR -> XCTL

def to_oioxml(ack: Acknowledgement, original: Original, *, ids: IdSource | None = None) -> Emessage:
    """The XCTL03 for an ``ok`` Acknowledgement, the XCTL02 for a ``fatal-error`` one, of a
    message that went out as OIOXML (build it with :data:`RECEIPT_VERSION` of its kind)."""
    kind = RECEIPT_OF.get(ack.code)
    if kind is None:
        raise ConversionError(f"a {ack.code.value} Acknowledgement has no OIOXML receipt: "
                              "the sender waits for the ok that follows it")
    ids = ids or IdSource()
    refusal = _refusal(ack.issues) if kind is ReceiptKind.NEGATIVE else None
    receipt = Receipt(
        kind=kind,
        identifier=oioxml_id(ack.message_id, ids),
        sender_ean=ack.sender.gln,
        receiver_ean=ack.receiver.gln,
        original_envelope_id=original.envelope_id,
        original_sender_ean=ack.receiver.gln,
        original_receiver_ean=ack.sender.gln,
        refusal=refusal,
        letters=(OriginalLetter(ack.acknowledged_id, original.version_code, refusal),),
    )
    # receipts themselves are never receipted: minuspositivkvitt
    envelope = Envelope(oioxml_id(ack.bundle_id, ids), local_minute(ack.timestamp),
                        AcknowledgementCode.MINUS_POSITIVE)
    return Emessage(envelope, (receipt,))


def _refusal(issues: tuple[OutcomeIssue, ...]) -> Refusal:
    """The refusal for a fatal-error's issues: the first issue with a known details code
    gives the RefuseCode; the issues' texts, in order, the RefuseText."""
    rows = [_BY_DETAILS.get((i.details.system, i.details.code)) for i in issues if i.details]
    code = next((r.refuse for r in rows if r is not None), RefuseCode.NOT_SPECIFIED)
    texts = tuple(i.text for i in issues if i.text)
    return Refusal(code, FormattedText.plain("\n".join(texts)) if texts else None)
