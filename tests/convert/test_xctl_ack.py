"""XCTL03 <-> Acknowledgement after MedCom's mapping: round trips, and the FHIR side validates."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from medcom_adapter.convert import xctl_ack, xdis91_fhir
from medcom_adapter.convert.xctl_ack import Original
from medcom_adapter.convert.xdis91_fhir import ConversionError
from medcom_adapter.fhir.acknowledgement import from_bundle, to_bundle
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.model.acknowledgement import AckCode, OutcomeIssue
from medcom_adapter.model.message import Emessage
from medcom_adapter.model.receipts import Receipt, ReceiptKind
from medcom_adapter.oioxml.emessage import build, parse
from medcom_adapter.oioxml.receipting import answer
from tests.conftest import official
from tests.convert.test_xdis91_fhir import SOR_DIRECTORY, km_with_attachment, sor_of

NOW = datetime(2026, 11, 22, 12, 5)


def errors(bundle: dict[str, object]) -> list[str]:
    return [str(i) for i in validate_message(bundle) if not i.warning]


def xctl03_for_km() -> tuple[bytes, Emessage]:
    """The XCTL03 a GP's system sends for our XDIS91 (built by our receipting)."""
    message, _ = km_with_attachment()
    xdis91 = build(message, "XD9134L")
    result = answer(xdis91, now=NOW)
    assert result.receipt is not None
    return result.build(), message


def test_xctl03_to_fhir_follows_the_mapping() -> None:
    data, km = xctl03_for_km()
    receipt_message = parse(data).message
    ack = xctl_ack.to_fhir(receipt_message, sor_of=SOR_DIRECTORY.get)
    (receipt,) = receipt_message.letters
    assert isinstance(receipt, Receipt)
    assert ack.bundle_id == receipt_message.envelope.identifier
    assert ack.message_id == receipt.identifier
    assert ack.code is AckCode.OK and not ack.issues
    assert ack.acknowledged_id == km.letters[0].letter.identifier  # type: ignore[union-attr]
    assert ack.sender.gln == receipt.sender_ean == receipt.original_receiver_ean
    assert ack.receiver.gln == receipt.receiver_ean == receipt.original_sender_ean
    assert ack.timestamp.utcoffset() is not None
    bundle = to_bundle(ack)
    assert errors(bundle) == []
    assert from_bundle(bundle) == ack


def test_round_trip_xctl03_fhir_xctl03() -> None:
    data, _ = xctl03_for_km()
    original_message = parse(data).message
    (original,) = original_message.letters
    assert isinstance(original, Receipt)
    ack = xctl_ack.to_fhir(original_message, sor_of=SOR_DIRECTORY.get)
    ack = from_bundle(to_bundle(ack))
    back = xctl_ack.to_oioxml(
        ack, Original(original.original_envelope_id, original.letters[0].version_code))
    assert back == original_message
    assert parse(build(back, "XC0330Q")).message == original_message


def test_fhir_to_xctl03_with_the_acknowledged_care_communication() -> None:
    # a CareCommunication went out as XDIS91; the XCTL03 that came back becomes its ack
    message, binary = km_with_attachment()
    cc = xdis91_fhir.to_fhir(message, [binary], sor_of=sor_of)
    out = xdis91_fhir.to_oioxml(cc)
    receipt = answer(build(out.correspondence, "XD9134L"), now=NOW)
    assert receipt.receipt is not None
    ack = xctl_ack.to_fhir(receipt.receipt, acknowledged=cc)
    assert ack.sender == cc.receiver and ack.receiver == cc.sender
    assert [e.activity for e in ack.history] == ["new-message", "acknowledgement"]
    assert ack.history[0].message_id == cc.message_id == ack.acknowledged_id
    assert errors(to_bundle(ack)) == []


def test_ack_for_a_fhir_message_with_long_ids_gets_oioxml_ids() -> None:
    data, _ = xctl03_for_km()
    ack = xctl_ack.to_fhir(parse(data).message, sor_of=SOR_DIRECTORY.get)
    long = "0f4c2a1e-7d3b-4e59-8a6c-1b2d3e4f5a6b"
    ack = replace(ack, bundle_id=long, message_id=long)
    back = xctl_ack.to_oioxml(ack, Original("ENV77"))
    (receipt,) = back.letters
    assert isinstance(receipt, Receipt)
    assert len(back.envelope.identifier) <= 14 and len(receipt.identifier) <= 14
    assert back.envelope.sent.second == 0
    parse(build(back, "XC0330Q"))


def test_what_cannot_convert_is_explained() -> None:
    data, _ = xctl03_for_km()
    message = parse(data).message
    with pytest.raises(ConversionError, match="SOR"):
        xctl_ack.to_fhir(message)
    (receipt,) = message.letters
    assert isinstance(receipt, Receipt)
    negative = replace(receipt, kind=ReceiptKind.NEGATIVE)
    with pytest.raises(ConversionError, match="positive receipt"):
        xctl_ack.to_fhir(Emessage(message.envelope, (negative,)), sor_of=SOR_DIRECTORY.get)
    two = replace(receipt, letters=receipt.letters * 2)
    with pytest.raises(ConversionError, match="2 letters"):
        xctl_ack.to_fhir(Emessage(message.envelope, (two,)), sor_of=SOR_DIRECTORY.get)
    ack = xctl_ack.to_fhir(message, sor_of=SOR_DIRECTORY.get)
    fatal = replace(ack, code=AckCode.FATAL_ERROR, issues=(OutcomeIssue("error", "structure"),))
    with pytest.raises(ConversionError, match="fatal-error"):
        xctl_ack.to_oioxml(fatal, Original("ENV77"))


def test_medcom_ctl03_example_converts() -> None:
    message = parse(official("oioxml", "examples", "CTL03_1.xml").read_bytes()).message
    directory = {"5790000120420": "265161000016000", "5790000181872": "953741000016009"}
    ack = xctl_ack.to_fhir(message, sor_of=directory.get)
    assert ack.acknowledged_id == "1111FRE01095" and ack.bundle_id == "KuvertNr1234"
    assert errors(to_bundle(ack)) == []
    back = xctl_ack.to_oioxml(ack, Original("MEDREF01095", "H0130R"))
    assert back == message
