"""VANSEnvelope 1.0.4: FHIR messages and receipts written, read back, and checked against
MedCom's published schema."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from lxml import etree

from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.envelopes.vans import (
    DocumentFormat,
    DocumentInfo,
    Endpoint,
    EndpointKind,
    MetaInformation,
    VansEnvelope,
    VansError,
    VansMessage,
    VansReceipt,
    VansReceiptKind,
)
from medcom_adapter.errors import (
    InboundInvalid,
    InconsistentMessage,
    InvalidValue,
    MalformedMessage,
    OutboundInvalid,
    UnknownMessage,
    UnsafeMessage,
)
from tests.conftest import official
from tests.envelopes.messages import T0, ack_bytes, cc_bytes, next_id


def official_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(official("envelopes", "vans",
                                                    "vans-envelope-1.0.4.xsd"))))


def envelope_of(data: bytes) -> VansEnvelope:
    return fhir_payload.wrap(data, sent=T0)


def receipts(original: VansEnvelope) -> list[VansEnvelope]:
    error = VansError("Ukendt modtager", 1)
    return [
        vans.receipt_for(original, VansReceiptKind.POSITIVE, envelope_id=next_id(), sent=T0),
        vans.receipt_for(original, VansReceiptKind.NEGATIVE, envelope_id=next_id(), sent=T0,
                         error=error),
        vans.receipt_for(original, VansReceiptKind.NEGATIVE_VANS, envelope_id=next_id(),
                         sent=T0, error=error),
        VansEnvelope(Endpoint("KMD", EndpointKind.VANS), original.sender, next_id(), T0,
                     VansReceipt(VansReceiptKind.NEGATIVE_VANS, original.envelope_id, None,
                                 VansError("unknown receiver"))),
    ]


@pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
def test_care_communication_round_trips(xml: bool) -> None:
    data = cc_bytes(xml=xml)
    envelope = envelope_of(data)
    assert vans.parse(vans.build(envelope)) == envelope
    message = envelope.message
    assert message is not None and message.data == data
    meta = message.meta
    assert (meta.document.format, meta.document.name, meta.document.version) == (
        DocumentFormat.HL7, "MCM:FDIS91#regarding-referral", "5.0")
    assert meta.document.size == len(data)
    assert meta.transport is not None
    assert meta.transport.kind is vans.TransportKind.RELIABLE
    assert meta.transport.mime_type == ("application/fhir+xml" if xml else "application/fhir+json")
    assert (envelope.sender, envelope.receiver) == (Endpoint("5790000123452"),
                                                     Endpoint("5790000121526"))


def test_acknowledgement_is_named_by_its_response_code() -> None:
    meta = envelope_of(ack_bytes()).message.meta  # type: ignore[union-attr]
    assert (meta.document.name, meta.document.version) == ("MCM:FCTL#ok", "2.0.0")


def test_every_receipt_kind_round_trips() -> None:
    original = envelope_of(cc_bytes())
    for receipt in receipts(original):
        assert vans.parse(vans.build(receipt)) == receipt
        assert receipt.receiver == original.sender
        assert receipt.sender in (original.receiver, Endpoint("KMD", EndpointKind.VANS))
        assert receipt.receipt is not None
        assert receipt.receipt.original_envelope_id == original.envelope_id


def test_what_we_build_validates_against_medcoms_schema() -> None:
    schema = official_schema()
    original = envelope_of(cc_bytes())
    for envelope in (original, envelope_of(ack_bytes(xml=True)), *receipts(original)):
        assert schema.validate(etree.fromstring(vans.build(envelope))), schema.error_log


def test_receipt_written_from_the_published_structure_reads() -> None:
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<VANSEnvelope xmlns="urn:oio:medcom:vans-envelope:1.0.4">
  <SenderID EndPointType="VANS">KMD</SenderID>
  <ReceiverID EndPointType="EAN">5790000123452</ReceiverID>
  <EnvelopeIdentifier>6F9619FF-8B86-D011-B42D-00C04FC964FF</EnvelopeIdentifier>
  <SentDateTime>2026-11-22T10:05:00Z</SentDateTime>
  <Receipt><NegativeVans>
    <Error><Description>Ukendt modtager</Description></Error>
    <OriginalEnvelopeIdentifier>0f8fad5b-d9cb-469f-a165-70867728950e</OriginalEnvelopeIdentifier>
  </NegativeVans></Receipt>
</VANSEnvelope>"""
    assert official_schema().validate(etree.fromstring(data))
    envelope = vans.parse(data)
    assert envelope.sender == Endpoint("KMD", EndpointKind.VANS)
    assert envelope.sent.utcoffset() == timedelta(0)
    assert envelope.receipt == VansReceipt(VansReceiptKind.NEGATIVE_VANS,
                                           "0f8fad5b-d9cb-469f-a165-70867728950e", None,
                                           VansError("Ukendt modtager"))


def _bytes_with(old: bytes, new: bytes) -> bytes:
    data = vans.build(envelope_of(cc_bytes()))
    assert old in data
    return data.replace(old, new, 1)


def test_missing_element_is_an_inbound_schema_error_naming_it() -> None:
    data = vans.build(envelope_of(cc_bytes()))
    start, end = data.index(b"<EnvelopeIdentifier>"), data.index(b"</EnvelopeIdentifier>")
    broken = data[:start] + data[end + len(b"</EnvelopeIdentifier>"):]
    with pytest.raises(InboundInvalid) as caught:
        vans.parse(broken)
    assert "SentDateTime" in str(caught.value) or "EnvelopeIdentifier" in str(caught.value)
    assert caught.value.issues[0].path == "VANSEnvelope/SentDateTime"


def test_size_that_disagrees_with_the_data_is_inconsistent() -> None:
    size = str(len(cc_bytes())).encode()
    broken = _bytes_with(b"<SizeInBytes>" + size, b"<SizeInBytes>1" + size)
    with pytest.raises(InconsistentMessage, match="SizeInBytes"):
        vans.parse(broken)


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (b"<Data>", b"<Data>!!", InconsistentMessage),
        (b"<Format>HL7", b"<Format>FHIR", InboundInvalid),
        (b"<Type>reliable", b"<Type>sometimes", InboundInvalid),
        (b'EndPointType="EAN"', b'EndPointType="GLN"', InboundInvalid),
        (b"<VANSEnvelope", b"<!DOCTYPE x><VANSEnvelope", UnsafeMessage),
        (b"</VANSEnvelope>", b"", MalformedMessage),
        (b"urn:oio:medcom:vans-envelope:1.0.4", b"urn:oio:medcom:vans-envelope:1.0.3",
         UnknownMessage),
    ],
)
def test_bad_envelopes_get_typed_remote_errors(old: bytes, new: bytes, error: type) -> None:
    with pytest.raises(error):
        vans.parse(_bytes_with(old, new))
    assert not vans.check(_bytes_with(old, new)).valid


def test_model_refuses_what_the_envelope_cannot_carry() -> None:
    meta = MetaInformation("0f8fad5b-d9cb-469f-a165-70867728950e",
                           DocumentInfo(DocumentFormat.HL7, "MCM:FCTL#ok", 1))
    with pytest.raises(InvalidValue):
        Endpoint("5790000123452" * 2)
    with pytest.raises(InvalidValue):
        VansReceipt(VansReceiptKind.POSITIVE, meta.identifier, meta, VansError("no"))
    with pytest.raises(InvalidValue):
        VansReceipt(VansReceiptKind.NEGATIVE, meta.identifier, None, VansError("x"))
    with pytest.raises(InvalidValue):
        VansEnvelope(Endpoint("1"), Endpoint("2"), meta.identifier, T0.replace(tzinfo=None),
                     VansMessage(meta, b"x"))
    receipt = receipts(envelope_of(cc_bytes()))[0]
    with pytest.raises(InvalidValue, match="never answered"):
        vans.receipt_for(receipt, VansReceiptKind.POSITIVE, envelope_id=next_id(), sent=T0)


def test_build_refuses_an_id_that_is_not_a_uuid() -> None:
    envelope = dataclasses.replace(envelope_of(cc_bytes()), envelope_id="HnvKuv1234")
    with pytest.raises(OutboundInvalid) as caught:
        vans.build(envelope)
    assert caught.value.issues[0].path == "VANSEnvelope/EnvelopeIdentifier"


def test_payload_stays_out_of_repr() -> None:
    envelope = envelope_of(cc_bytes())
    assert "2509479989" not in repr(envelope)
