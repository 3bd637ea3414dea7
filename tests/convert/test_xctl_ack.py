"""XCTL03 <-> Acknowledgement after MedCom's mapping: round trips, and the FHIR side validates."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from medcom_adapter.cli import main
from medcom_adapter.convert import xctl_ack, xdis91_fhir
from medcom_adapter.convert.xctl_ack import Original
from medcom_adapter.convert.xdis91_fhir import ConversionError
from medcom_adapter.detect import check
from medcom_adapter.errors import RefuseCode
from medcom_adapter.fhir.acknowledgement import from_bundle, to_bundle
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.model.acknowledgement import (
    ERROR_CODES,
    HL7_OUTCOME,
    AckCode,
    Acknowledgement,
    OutcomeIssue,
)
from medcom_adapter.model.carecommunication import Coding
from medcom_adapter.model.message import Emessage
from medcom_adapter.model.receipts import Receipt, ReceiptKind, Refusal
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.emessage import Document, build, parse
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
    vans = replace(receipt, kind=ReceiptKind.NEGATIVE_VANS)
    with pytest.raises(ConversionError, match="negative VANS receipt"):
        xctl_ack.to_fhir(Emessage(message.envelope, (vans,)), sor_of=SOR_DIRECTORY.get)
    two = replace(receipt, letters=receipt.letters * 2)
    with pytest.raises(ConversionError, match="2 letters"):
        xctl_ack.to_fhir(Emessage(message.envelope, (two,)), sor_of=SOR_DIRECTORY.get)
    ack = xctl_ack.to_fhir(message, sor_of=SOR_DIRECTORY.get)
    transient = replace(ack, code=AckCode.TRANSIENT_ERROR,
                        issues=(OutcomeIssue("error", "transient"),))
    with pytest.raises(ConversionError, match="transient-error"):
        xctl_ack.to_oioxml(transient, Original("ENV77"))


def test_medcom_ctl03_example_converts() -> None:
    message = parse(official("oioxml", "examples", "CTL03_1.xml").read_bytes()).message
    directory = {"5790000120420": "265161000016000", "5790000181872": "953741000016009"}
    ack = xctl_ack.to_fhir(message, sor_of=directory.get)
    assert ack.acknowledged_id == "1111FRE01095" and ack.bundle_id == "KuvertNr1234"
    assert errors(to_bundle(ack)) == []
    back = xctl_ack.to_oioxml(ack, Original("MEDREF01095", "H0130R"))
    assert back == message


# ------------------------------------------------------------------ XCTL02 <-> fatal-error

def xctl02_for_broken_km() -> Emessage:
    """The XCTL02 a GP's system sends for an XDIS91 that does not parse."""
    message, _ = km_with_attachment()
    broken = build(message, "XD9134L").replace(b"<Priority>", b"<Prioritet>", 1)
    result = answer(broken, now=NOW)
    assert result.receipt is not None
    return parse(result.build()).message


def test_xctl02_to_fatal_error_follows_the_mapping() -> None:
    message = xctl02_for_broken_km()
    (receipt,) = message.letters
    assert isinstance(receipt, Receipt) and receipt.refusal and receipt.refusal.text
    ack = xctl_ack.to_fhir(message, sor_of=SOR_DIRECTORY.get)
    assert ack.code is AckCode.FATAL_ERROR
    assert ack.bundle_id == message.envelope.identifier and ack.message_id == receipt.identifier
    assert ack.acknowledged_id == receipt.letters[0].identifier
    # the envelope and the letter are refused for the same reason: one issue
    (issue,) = ack.issues
    assert (issue.severity, issue.code) == ("error", "structure")
    assert issue.details == Coding(HL7_OUTCOME, "MSG_BAD_SYNTAX")
    assert issue.text == receipt.refusal.text.to_plain()
    bundle = to_bundle(ack)
    assert errors(bundle) == []
    assert from_bundle(bundle) == ack


def test_round_trip_xctl02_fhir_xctl02() -> None:
    message = xctl02_for_broken_km()
    (receipt,) = message.letters
    assert isinstance(receipt, Receipt)
    ack = from_bundle(to_bundle(xctl_ack.to_fhir(message, sor_of=SOR_DIRECTORY.get)))
    back = xctl_ack.to_oioxml(
        ack, Original(receipt.original_envelope_id, receipt.letters[0].version_code))
    assert back == message
    assert parse(build(back, xctl_ack.RECEIPT_VERSION[ReceiptKind.NEGATIVE])).message == message


@pytest.mark.parametrize("code", list(RefuseCode), ids=[c.value for c in RefuseCode])
def test_every_refuse_code_survives_the_acknowledgement(code: RefuseCode) -> None:
    message = xctl02_for_broken_km()
    (receipt,) = message.letters
    assert isinstance(receipt, Receipt)
    refusal = Refusal(code, FormattedText.plain(f"Afvist: {code.value}"))
    receipt = replace(receipt, refusal=refusal,
                      letters=(replace(receipt.letters[0], refusal=refusal),))
    ack = xctl_ack.to_fhir(Emessage(message.envelope, (receipt,)), sor_of=SOR_DIRECTORY.get)
    assert errors(to_bundle(ack)) == []
    back = xctl_ack.to_oioxml(ack, Original(receipt.original_envelope_id))
    (again,) = back.letters
    assert isinstance(again, Receipt) and again.kind is ReceiptKind.NEGATIVE
    assert again.refusal == refusal == again.letters[0].refusal


def test_a_fatal_error_from_a_fhir_system_becomes_an_xctl02() -> None:
    # a FHIR receiver's fatal-error for our message, which went out as XDIS91
    data, _ = xctl03_for_km()
    ok = xctl_ack.to_fhir(parse(data).message, sor_of=SOR_DIRECTORY.get)
    fatal = replace(ok, code=AckCode.FATAL_ERROR, issues=(
        OutcomeIssue("error", "code-invalid", Coding(ERROR_CODES, "MSG_VALUESET_VALUE_UNKNOWN"),
                     "Communication.category: ukendt kode"),
        OutcomeIssue("error", "not-found",
                     Coding(ERROR_CODES, "MSG_Receiver_Identifier_UNKNOWN"), "Ukendt modtager")))
    back = xctl_ack.to_oioxml(fatal, Original("ENV77"))
    (receipt,) = back.letters
    assert isinstance(receipt, Receipt) and receipt.kind is ReceiptKind.NEGATIVE
    assert receipt.refusal is not None and receipt.refusal.text is not None
    # the first issue with a refuse code of its own gives the code; every text is kept
    assert receipt.refusal.code is RefuseCode.UNKNOWN_LOCATION_NUMBER
    assert receipt.refusal.text.to_plain() == "Communication.category: ukendt kode\nUkendt modtager"
    assert parse(build(back, "XC0230Q")).message == back


def test_medcom_ctl02_example_converts() -> None:
    message = parse(official("oioxml", "examples", "CTL02_1.xml").read_bytes()).message
    (receipt,) = message.letters
    assert isinstance(receipt, Receipt) and receipt.kind is ReceiptKind.NEGATIVE
    sor = {receipt.sender_ean: "265161000016000", receipt.receiver_ean: "953741000016009"}
    ack = xctl_ack.to_fhir(message, sor_of=sor.get)
    assert ack.code is AckCode.FATAL_ERROR and ack.issues
    assert errors(to_bundle(ack)) == []


def test_convert_command_turns_xctl02_into_fatal_error_and_back(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    message = xctl02_for_broken_km()
    (receipt,) = message.letters
    assert isinstance(receipt, Receipt)
    xctl02 = tmp_path / "xctl02.xml"
    xctl02.write_bytes(build(message, "XC0230Q"))
    sors = [f"--sor={gln}={sor}" for gln, sor in SOR_DIRECTORY.items()]
    assert main(["convert", str(xctl02), "--to", "fhir", *sors]) == 0
    ack = tmp_path / "ack.json"
    ack.write_bytes(capsysbinary.readouterr().out)
    report = check(ack.read_bytes())
    assert report.valid and report.kind == "Acknowledgement", report.issues
    assert isinstance(report.message, Acknowledgement)
    assert report.message.code is AckCode.FATAL_ERROR
    assert main(["convert", str(ack), "--to", "oioxml",
                 "--original-envelope", receipt.original_envelope_id]) == 0
    back = check(capsysbinary.readouterr().out)
    assert back.valid and back.kind == "XCTL02"
    assert isinstance(back.message, Document)
    assert back.message.message == message
