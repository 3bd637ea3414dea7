"""XCTL01/02/03 <-> Acknowledgement as MedCom's conversion service does it: one
Acknowledgement for the receipts of every letter of a conversion (table 4), one XCTL per
letter for an Acknowledgement (table 3), each naming the right original message."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from medcom_adapter.convert import xctl_ack, xdis91_fhir
from medcom_adapter.convert.links import CONVERSION_FAILED, Link, OioxmlLetter
from medcom_adapter.convert.xdis91_fhir import ConversionError
from medcom_adapter.errors import RefuseCode
from medcom_adapter.fhir import acknowledgement as ack_bundle
from medcom_adapter.fhir.acknowledging import answer as acknowledge
from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.model.acknowledgement import (
    ERROR_CODES,
    AckCode,
    Acknowledgement,
    OutcomeIssue,
)
from medcom_adapter.model.carecommunication import CareCommunication, Coding
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import Receipt, ReceiptKind, Refusal
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.emessage import build, parse
from medcom_adapter.oioxml.receipting import answer
from tests.conftest import official
from tests.convert.test_xdis91_fhir import km_with_attachment, sor_of

NOW = datetime(2026, 11, 22, 12, 5)


def errors(bundle: dict[str, object]) -> list[str]:
    return [str(i) for i in validate_message(bundle) if not i.warning]


def is_uuid(value: str) -> bool:
    return str(uuid.UUID(value)) == value


def fhir_went_out_as_oioxml() -> tuple[CareCommunication, xdis91_fhir.OioxmlMessages]:
    """A CareCommunication with an attachment, converted to XDIS91 + XBIN01 (use case S2)."""
    message, binary = km_with_attachment()
    cc = xdis91_fhir.to_fhir(message, [binary], sor_of=sor_of)
    return cc, xdis91_fhir.to_oioxml(cc)


def receipt_for(message: Emessage, version: str, *, broken: bool = False) -> Emessage:
    """The XCTL03 (or, for ``broken`` bytes, XCTL02) the OIOXML receiver sends."""
    data = build(message, version)
    if broken:
        data = data.replace(b"<Priority>", b"<Prioritet>", 1).replace(
            b"<ObjectCode>", b"<ObjektKode>", 1)
    result = answer(data, now=NOW)
    assert result.receipt is not None
    return parse(result.build()).message


def receipts(out: xdis91_fhir.OioxmlMessages, *, broken: str = "") -> list[Emessage]:
    return [receipt_for(out.correspondence, "XD9134L", broken=broken == "XDIS91"),
            receipt_for(out.binaries[0], "XB0131X", broken=broken == "XBIN01")]


# ------------------------------------------------------------------ XCTL -> Acknowledgement

def test_two_positive_xctl_become_one_ok_for_the_care_communication() -> None:
    cc, out = fhir_went_out_as_oioxml()
    ack = xctl_ack.to_fhir(receipts(out), link=out.link)
    assert ack.code is AckCode.OK and not ack.issues
    assert ack.acknowledged_id == cc.message_id  # a FHIR sender can match it
    assert is_uuid(ack.bundle_id) and is_uuid(ack.message_id)
    assert ack.sender == cc.receiver and ack.receiver == cc.sender  # with their SOR ids
    # the acknowledged message's Provenance, then the acknowledgement's own
    assert [e.activity for e in ack.history] == ["new-message", "acknowledgement"]
    assert ack.history[0].message_id == cc.latest.message_id
    assert ack.history[1].predecessor == cc.message_id
    bundle = ack_bundle.to_bundle(ack)
    assert errors(bundle) == []
    assert bundle["entry"][0]["resource"]["response"]["identifier"] == cc.message_id
    assert ack_bundle.from_bundle(bundle) == ack


@pytest.mark.parametrize("broken", ["XDIS91", "XBIN01"])
def test_any_negative_xctl_makes_the_ack_a_fatal_error(broken: str) -> None:
    cc, out = fhir_went_out_as_oioxml()
    ack = xctl_ack.to_fhir(receipts(out, broken=broken), link=out.link)
    assert ack.code is AckCode.FATAL_ERROR and ack.acknowledged_id == cc.message_id
    (issue,) = ack.issues
    assert issue.text and ("Prioritet" in issue.text or "ObjektKode" in issue.text)
    assert errors(ack_bundle.to_bundle(ack)) == []


def test_while_a_letter_has_no_receipt_no_acknowledgement_is_made() -> None:
    _, out = fhir_went_out_as_oioxml()
    first, _ = receipts(out)
    with pytest.raises(ConversionError, match="no receipt yet for XBIN01"):
        xctl_ack.to_fhir([first], link=out.link)


def test_a_receipt_for_another_message_is_refused() -> None:
    _, out = fhir_went_out_as_oioxml()
    _, other = fhir_went_out_as_oioxml()
    with pytest.raises(ConversionError, match="not part of the conversion"):
        xctl_ack.to_fhir(receipts(other), link=out.link)
    with pytest.raises(ConversionError, match=r"MessageHeader\.id"):
        xctl_ack.to_fhir(receipts(out))  # neither link nor CareCommunication


def test_the_care_communication_serves_when_the_link_was_not_kept() -> None:
    cc, out = fhir_went_out_as_oioxml()
    ack = xctl_ack.to_fhir(receipts(out), acknowledged=cc)
    assert ack.acknowledged_id == cc.message_id and ack.code is AckCode.OK


def test_a_negative_vans_receipt_is_a_fatal_error() -> None:
    _, out = fhir_went_out_as_oioxml()
    positive, binary = receipts(out)
    (receipt,) = positive.letters
    assert isinstance(receipt, Receipt)
    vans = replace(receipt, kind=ReceiptKind.NEGATIVE_VANS,
                   refusal=Refusal(RefuseCode.UNKNOWN_LOCATION_NUMBER))
    ack = xctl_ack.to_fhir([Emessage(positive.envelope, (vans,)), binary], link=out.link)
    assert ack.code is AckCode.FATAL_ERROR
    assert ack.issues[0].details == Coding(ERROR_CODES, "MSG_Receiver_Identifier_UNKNOWN")


# ------------------------------------------------------------------ Acknowledgement -> XCTL

def oioxml_went_out_as_fhir(*, incomplete: bool = False) -> tuple[
        Emessage, Emessage, CareCommunication, Link]:
    """An XDIS91 + XBIN01 converted to one CareCommunication (use case S1.A1)."""
    message, binary = km_with_attachment()
    xbin = Emessage(Envelope("XBIN0162528", message.envelope.sent),
                    (binary,))
    cc, link = xdis91_fhir.to_fhir_linked(message, [] if incomplete else [xbin], sor_of=sor_of,
                                          incomplete=incomplete)
    return message, xbin, cc, link


def ack_of(cc: CareCommunication, problems: tuple[OutcomeIssue, ...] = ()) -> Acknowledgement:
    result = acknowledge(to_bundle(cc), now=NOW.astimezone())
    assert result.ack is not None
    if problems:
        return replace(result.ack, code=AckCode.FATAL_ERROR, issues=problems)
    return result.ack


def test_ok_becomes_an_xctl03_for_the_xdis91_and_one_for_the_xbin01() -> None:
    km, xbin, cc, link = oioxml_went_out_as_fhir()
    xctls = xctl_ack.to_oioxml(ack_of(cc), link)
    assert len(xctls) == 2
    named = []
    for message in xctls:
        (receipt,) = message.letters
        assert isinstance(receipt, Receipt) and receipt.kind is ReceiptKind.POSITIVE
        again = parse(build(message, "XC0330Q")).message  # schema-valid, 14-character ids
        assert again == message
        assert len(receipt.identifier) <= 14 and len(message.envelope.identifier) <= 14
        (original,) = receipt.letters
        named.append((receipt.original_envelope_id, original.identifier, original.version_code))
    ids = []
    for m in (km, xbin):
        letter = m.letters[0]
        assert not isinstance(letter, Receipt)
        ids.append((m.envelope.identifier, letter.letter.identifier))
    assert named == [(*ids[0], "XD9134L"), (*ids[1], "XB0131X")]


def test_a_fatal_error_becomes_two_xctl02_with_the_receivers_reason() -> None:
    _, _, cc, link = oioxml_went_out_as_fhir()
    problem = OutcomeIssue("error", "code-invalid",
                           Coding(ERROR_CODES, "MSG_Receiver_Identifier_UNKNOWN"),
                           "Ukendt modtager")
    xctls = xctl_ack.to_oioxml(ack_of(cc, (problem,)), link)
    for message in xctls:
        (receipt,) = message.letters
        assert isinstance(receipt, Receipt) and receipt.kind is ReceiptKind.NEGATIVE
        assert receipt.refusal is not None and receipt.refusal.text is not None
        assert receipt.refusal.code is RefuseCode.UNKNOWN_LOCATION_NUMBER
        assert receipt.refusal.text.to_plain() == "Ukendt modtager"
        assert parse(build(message, "XC0230Q")).message == message


def test_an_incomplete_conversion_adds_the_conversion_services_reason() -> None:
    # S1.A2: the XBIN01 never came; the receiver refuses the incomplete CareCommunication
    _, _, cc, link = oioxml_went_out_as_fhir(incomplete=True)
    assert link.incomplete and len(link.letters) == 1
    problem = OutcomeIssue("error", "required", None, "title- og dataelement mangler")
    (message,) = xctl_ack.to_oioxml(ack_of(cc, (problem,)), link)
    (receipt,) = message.letters
    assert isinstance(receipt, Receipt) and receipt.refusal and receipt.refusal.text
    assert receipt.refusal.text.to_plain() == f"{CONVERSION_FAILED}\ntitle- og dataelement mangler"


def test_an_ack_for_another_message_is_refused() -> None:
    _, _, _, link = oioxml_went_out_as_fhir()
    _, _, other, _ = oioxml_went_out_as_fhir()
    with pytest.raises(ConversionError, match="answers message"):
        xctl_ack.to_oioxml(ack_of(other), link)


def test_transient_error_is_a_negative_receipt_as_section_4_3_says() -> None:
    _, _, cc, link = oioxml_went_out_as_fhir()
    transient = replace(ack_of(cc), code=AckCode.TRANSIENT_ERROR,
                        issues=(OutcomeIssue("error", "transient", None, "prøv igen"),))
    kinds = {m.letters[0].kind for m in xctl_ack.to_oioxml(transient, link)}  # type: ignore[union-attr]
    assert kinds == {ReceiptKind.NEGATIVE}


# ------------------------------------------------------------------ round trips

@pytest.mark.parametrize("code", [AckCode.OK, AckCode.FATAL_ERROR])
def test_ack_to_xctl_and_back_names_the_same_messages(code: AckCode) -> None:
    _, _, cc, link = oioxml_went_out_as_fhir()
    problems = (OutcomeIssue("error", "invalid", Coding(
        ERROR_CODES, "MSG_Receiver_Identifier_MISSING"), "Mangler modtager"),)
    ack = ack_of(cc, problems if code is AckCode.FATAL_ERROR else ())
    back = xctl_ack.to_fhir(list(xctl_ack.to_oioxml(ack, link)), link=link)
    assert (back.code, back.acknowledged_id) == (ack.code, ack.acknowledged_id)
    assert back.sender == ack.sender and back.receiver == ack.receiver
    assert [(i.details, i.text) for i in back.issues] == [(i.details, i.text) for i in ack.issues]
    assert errors(ack_bundle.to_bundle(back)) == []


@pytest.mark.parametrize("code", list(RefuseCode), ids=[c.value for c in RefuseCode])
def test_xctl_to_ack_and_back_keeps_every_refuse_code(code: RefuseCode) -> None:
    _, out = fhir_went_out_as_oioxml()
    refusal = Refusal(code, FormattedText.plain(f"Afvist: {code.value}"))
    negative = []
    for message in receipts(out, broken="XDIS91"):
        (receipt,) = message.letters
        assert isinstance(receipt, Receipt)
        receipt = replace(receipt, kind=ReceiptKind.NEGATIVE, refusal=refusal,
                          letters=(replace(receipt.letters[0], refusal=refusal),))
        negative.append(Emessage(message.envelope, (receipt,)))
    ack = xctl_ack.to_fhir(negative, link=out.link)
    assert errors(ack_bundle.to_bundle(ack)) == []
    for message in xctl_ack.to_oioxml(ack, out.link):
        (again,) = message.letters
        assert isinstance(again, Receipt) and again.kind is ReceiptKind.NEGATIVE
        assert again.refusal == refusal == again.letters[0].refusal
        assert again.original_envelope_id in {x.envelope_id for x in out.link.letters}


def test_link_survives_being_kept_as_json() -> None:
    _, _, _, link = oioxml_went_out_as_fhir()
    assert Link.from_json(link.to_json()) == link


def test_medcom_ctl_examples_convert_for_their_letter() -> None:
    for name, code in (("CTL03_1.xml", AckCode.OK), ("CTL02_1.xml", AckCode.FATAL_ERROR)):
        message = parse(official("oioxml", "examples", name).read_bytes()).message
        (receipt,) = message.letters
        assert isinstance(receipt, Receipt)
        cc, _ = fhir_went_out_as_oioxml()
        letters = tuple(OioxmlLetter("XDIS91", receipt.original_envelope_id, x.identifier,
                                     x.version_code, receipt.original_sender_ean,
                                     receipt.original_receiver_ean) for x in receipt.letters)
        link = Link(str(uuid.uuid4()), cc.message_id, cc.sender, cc.receiver, letters,
                    cc.latest)
        ack = xctl_ack.to_fhir(message, link=link)
        assert ack.code is code and ack.acknowledged_id == cc.message_id
        assert errors(ack_bundle.to_bundle(ack)) == []


def test_receipts_after_three_months_are_not_converted() -> None:
    _, out = fhir_went_out_as_oioxml()
    occurred = out.link.event.occurred
    assert not out.link.expired(occurred + timedelta(days=88))
    later = occurred + timedelta(days=93)
    assert out.link.expired(later)
    assert xctl_ack.to_fhir(receipts(out), link=out.link, now=occurred).code is AckCode.OK
    with pytest.raises(ConversionError, match="3 months"):
        xctl_ack.to_fhir(receipts(out), link=out.link, now=later)
