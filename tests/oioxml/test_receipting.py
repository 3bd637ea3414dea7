"""The receipt owed for a received message: positive, negative, or none."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from medcom_adapter.errors import RefuseCode
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import Receipt, ReceiptKind
from medcom_adapter.oioxml.emessage import build, parse
from medcom_adapter.oioxml.receipting import answer
from tests import samples
from tests.conftest import official

NOW = datetime(2026, 11, 22, 12, 0, 31)


def referral_bytes(ack: AcknowledgementCode = AcknowledgementCode.PLUS_POSITIVE) -> bytes:
    message = Emessage(Envelope("ENV42", samples.WHEN, ack), (samples.full_referral(),))
    return build(message, "XH0131R")


def receipt_of(data: bytes) -> Receipt:
    result = answer(data, now=NOW)
    assert result.receipt is not None, result.reason
    built = result.build()
    parsed = parse(built).message
    assert parsed == result.receipt  # the receipt we send is valid and reads back
    assert parsed.envelope.acknowledgement is AcknowledgementCode.MINUS_POSITIVE
    (letter,) = parsed.letters
    assert isinstance(letter, Receipt)
    return letter


def test_positive_receipt_when_asked_for() -> None:
    receipt = receipt_of(referral_bytes())
    assert receipt.kind is ReceiptKind.POSITIVE
    assert receipt.original_envelope_id == "ENV42"
    assert [(x.identifier, x.version_code) for x in receipt.letters] == [("L0000002", "XH0131R")]
    assert receipt.sender_ean == str(samples.BUP.ean)  # the receiver answers
    assert receipt.receiver_ean == str(samples.PPR.ean)


def test_no_positive_receipt_with_minuspositivkvitt() -> None:
    result = answer(referral_bytes(AcknowledgementCode.MINUS_POSITIVE), now=NOW)
    assert result.receipt is None and "minuspositivkvitt" in result.reason


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (lambda d: d.replace(b"<Priority>akut<", b"<Priority>nu<"), RefuseCode.SYNTAX_ERROR),
        (lambda d: d.replace(b"<VersionCode>XH0131R<", b"<VersionCode>XH0231R<"),
         RefuseCode.VERSION_PROBLEM),
        (lambda d: d[: len(d) - 40], RefuseCode.SYNTAX_ERROR),
    ],
    ids=["schema", "version", "truncated"],
)
def test_negative_receipt_even_with_minuspositivkvitt(
    damage: Callable[[bytes], bytes], code: RefuseCode
) -> None:
    data = damage(referral_bytes(AcknowledgementCode.MINUS_POSITIVE))
    receipt = receipt_of(data)
    assert receipt.kind is ReceiptKind.NEGATIVE
    assert receipt.original_envelope_id == "ENV42"
    assert receipt.refusal is not None and receipt.refusal.code is code
    assert receipt.refusal.text is not None
    assert "3102479989" not in receipt.refusal.text.to_plain()
    assert [x.identifier for x in receipt.letters] == ["L0000002"]


def test_impossible_cpr_date_is_receipted_positively() -> None:
    # MedCom's schema asks for 10 digits; the date part is our own check, a warning only
    receipt = receipt_of(referral_bytes().replace(b"2509479989", b"3102479989"))
    assert receipt.kind is ReceiptKind.POSITIVE and receipt.refusal is None


def test_refusal_says_where() -> None:
    data = referral_bytes().replace(b"<Priority>akut<", b"<Priority>nu<")
    receipt = receipt_of(data)
    assert receipt.refusal is not None and receipt.refusal.text is not None
    assert "AdditionalInformation/Priority" in receipt.refusal.text.to_plain()


def test_receipts_are_never_receipted() -> None:
    positive = answer(referral_bytes(), now=NOW).build()
    assert answer(positive, now=NOW).receipt is None
    broken = positive.replace(b"<OriginalEnvelopeIdentifier>", b"<Oops>", 1)
    result = answer(broken, now=NOW)
    assert result.receipt is None and "never receipted" in result.reason


@pytest.mark.parametrize("data", [
    b"", b"garbage", b"<Emessage><Envelope/></Emessage>",
    # found by fuzzing: a "}" in the namespace gives a tag lxml's QName refuses
    b'<Emessage xmlns="http://x/}}2005/08/07/"><Envelope/></Emessage>',
])
def test_unaddressable_input_is_explained(data: bytes) -> None:
    result = answer(data, now=NOW)
    assert result.receipt is None and result.reason and result.error is not None


@pytest.mark.parametrize("name", ["REF01_1.xml", "DIS91_1.xml", "BIN01_3.xml"])
def test_receipts_for_medcom_examples_validate_against_medcom(name: str) -> None:
    data = official("oioxml", "examples", name).read_bytes()
    data = data.replace(b"minuspositivkvitt", b"pluspositivkvitt")
    built = answer(data, now=NOW).build()
    schema_path = official("oioxml", "xsd", "2005", "08", "07", "EMessage.xsd")
    schema = etree.XMLSchema(etree.parse(str(schema_path)))
    assert schema.validate(etree.fromstring(built).getroottree()), schema.error_log


def test_medcom_receipt_examples_read_back() -> None:
    for name in ("CTL01_1.xml", "CTL02_1.xml", "CTL03_1.xml"):
        document = parse(Path(official("oioxml", "examples", name)).read_bytes())
        (receipt,) = document.message.letters
        assert isinstance(receipt, Receipt)
        assert receipt.kind.value == "X" + name.split("_")[0]


def _official_schema() -> etree.XMLSchema:
    schema_path = official("oioxml", "xsd", "2005", "08", "07", "EMessage.xsd")
    return etree.XMLSchema(etree.parse(str(schema_path)))


@pytest.mark.parametrize(
    "damage",
    [lambda d: d.replace(b"<Priority>akut<", b"<Priority>nu<"),
     lambda d: d[: len(d) - 40]],
    ids=["schema", "truncated"],
)
def test_negative_receipts_we_build_validate_against_medcom(
    damage: Callable[[bytes], bytes],
) -> None:
    built = answer(damage(referral_bytes()), now=NOW).build()
    assert b"NegativeReceipt" in built
    schema = _official_schema()
    assert schema.validate(etree.fromstring(built).getroottree()), schema.error_log


@pytest.mark.parametrize("kind", list(ReceiptKind))
def test_every_receipt_kind_we_build_validates_against_medcom(kind: ReceiptKind) -> None:
    from medcom_adapter.model.receipts import OriginalLetter, Refusal
    from medcom_adapter.model.text import FormattedText

    refusal = (Refusal(RefuseCode.SYNTAX_ERROR, FormattedText.plain("Fejl i Priority"))
               if kind.negative else None)
    receipt = Receipt(
        kind=kind, identifier="R1", sender_ean="5790000121526", receiver_ean="5790000123452",
        original_envelope_id="ENV42", original_sender_ean="5790000123452",
        original_receiver_ean="5790000121526", refusal=refusal,
        letters=(OriginalLetter("L1", "XD9134L", refusal),),
    )
    version = {ReceiptKind.NEGATIVE_VANS: "XC0130Q", ReceiptKind.NEGATIVE: "XC0230Q",
               ReceiptKind.POSITIVE: "XC0330Q"}[kind]
    message = Emessage(Envelope("E1", NOW.replace(second=0),
                                AcknowledgementCode.MINUS_POSITIVE), (receipt,))
    built = build(message, version)
    schema = _official_schema()
    assert schema.validate(etree.fromstring(built).getroottree()), schema.error_log
    assert parse(built).message == message
