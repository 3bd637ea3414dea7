"""XCTL03 positive receipt <-> FHIR Acknowledgement ``ok``, after MedCom's mapping.

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
from medcom_adapter.model.acknowledgement import AckCode, AckEvent, Acknowledgement
from medcom_adapter.model.carecommunication import CareCommunication, Party
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind

ACK_ACTIVITY = "acknowledgement"
GlnToSor = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Original:
    """What the receipt must name of the acknowledged OIOXML message and FHIR does not carry."""

    envelope_id: str
    version_code: str = "XD9134L"


def _no_sor(gln: str) -> str | None:
    return None


# --------------------------------------------------------------------------- XCTL03 -> FHIR

def to_fhir(
    message: Emessage, *, sor_of: GlnToSor = _no_sor,
    acknowledged: CareCommunication | None = None,
) -> Acknowledgement:
    """The ``ok`` Acknowledgement for an XCTL03 that answers one letter.

    With ``acknowledged`` (the CareCommunication the receipt answers, as converted to XDIS91
    on the way out) its parties and latest Provenance are taken from it.
    """
    (receipt,) = message.letters
    if not isinstance(receipt, Receipt) or receipt.kind is not ReceiptKind.POSITIVE:
        raise ConversionError("only a positive receipt (XCTL03) maps to an ok Acknowledgement")
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
        code=AckCode.OK,
        history=tuple(history),
    )


def _party(ean: str, known: tuple[Party, ...], sor_of: GlnToSor) -> Party:
    match = next((p for p in known if p.gln == ean), None)
    if match is not None:
        return match
    sor = sor_of(ean)
    if not sor:
        raise ConversionError(f"no SOR id for location number {ean}; FHIR needs one: give a "
                              "SOR look-up or the acknowledged message")
    return Party(sor=sor, gln=ean)


# --------------------------------------------------------------------------- FHIR -> XCTL03

def to_oioxml(ack: Acknowledgement, original: Original, *, ids: IdSource | None = None) -> Emessage:
    """The XCTL03 for an ``ok`` Acknowledgement of a message that went out as OIOXML."""
    if ack.code is not AckCode.OK:
        raise ConversionError(f"a {ack.code.value} Acknowledgement is not a positive receipt")
    ids = ids or IdSource()
    receipt = Receipt(
        kind=ReceiptKind.POSITIVE,
        identifier=oioxml_id(ack.message_id, ids),
        sender_ean=ack.sender.gln,
        receiver_ean=ack.receiver.gln,
        original_envelope_id=original.envelope_id,
        original_sender_ean=ack.receiver.gln,
        original_receiver_ean=ack.sender.gln,
        letters=(OriginalLetter(ack.acknowledged_id, original.version_code),),
    )
    # receipts themselves are never receipted: minuspositivkvitt
    envelope = Envelope(oioxml_id(ack.bundle_id, ids), local_minute(ack.timestamp),
                        AcknowledgementCode.MINUS_POSITIVE)
    return Emessage(envelope, (receipt,))
