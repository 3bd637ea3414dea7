"""Hostile EDIFACT: each fault gets its typed error, with segment, line and column, and an
inbound interchange gets the negative CONTRL that names the right refuse code."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from random import Random

import pytest

from medcom_adapter.detect import answer as any_answer
from medcom_adapter.detect import check
from medcom_adapter.edifact.interchange import build, parse
from medcom_adapter.edifact.receipting import answer
from medcom_adapter.errors import (
    EdifactCharsetError,
    EdifactCountError,
    EdifactError,
    EdifactStructureError,
    EdifactSyntaxError,
    EdifactTruncated,
    RefuseCode,
    RemoteError,
    UnknownMessage,
)
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import Receipt, ReceiptKind
from medcom_adapter.model.text import FormattedText
from tests import samples

NOW = datetime(2026, 11, 21, 8, 0)
KM = build(Emessage(Envelope("E0000001", samples.WHEN), (dataclasses.replace(
    samples.clinical_email(), texts=(FormattedText.plain("Hej"),)),)), "D9134L",
    line_breaks=True)
BIN = build(Emessage(Envelope("E0000002", samples.WHEN), (samples.binary_letter(),)), "B0131X")
SIZE = len(samples.PDF)


def _unt(data: bytes) -> bytes:
    start = data.index(b"UNT+")
    return data[start : data.index(b"'", start)]


def _unb_date_with(digit: bytes) -> bytes:
    start = KM.index(b"UNB+")
    end = KM.index(b"'", start)
    parts = KM[start:end].split(b"+")
    parts[4] = digit + parts[4][1:]
    return KM[:start] + b"+".join(parts) + KM[end:]


HOSTILE = [
    ("UNT count", KM.replace(_unt(KM), b"UNT+99+K0000001"), EdifactCountError, "UNT"),
    ("UNO count too small", BIN.replace(f"+{SIZE}:14:1:A".encode(),
                                        f"+{SIZE - 5}:14:1:A".encode()),
     EdifactCountError, "UNO"),
    ("truncated binary", BIN[: BIN.index(b"%%EOF")], EdifactTruncated, "UNO"),
    ("missing UNZ", KM[: KM.index(b"UNZ+")], EdifactTruncated, "UNT"),
    ("bad release escape", KM.replace(b"Elmer", b"El?mer"), EdifactSyntaxError, "PNA"),
    ("unterminated segment", KM.rstrip(b"'\n"), EdifactTruncated, "UNZ"),
    ("bad segment tag", KM.replace(b"\nBGM+", b"\nbgm+"), EdifactSyntaxError, None),
    ("wrong charset", KM.replace(b"UNB+UNOC:3", b"UNB+UNOY:3"), EdifactCharsetError, "UNB"),
    ("ASCII charset with latin-1", KM.replace(b"UNB+UNOC:3", b"UNB+UNOA:3"),
     EdifactCharsetError, "NAD"),
    ("unknown code", KM.replace(b"PAS+POT", b"PAS+XXX"), EdifactStructureError, "PAS"),
    # found by fuzzing: str.isdigit() takes the Latin-1 superscript one
    ("superscript digit in UNB date", _unb_date_with(b"\xb9"), EdifactStructureError, "UNB"),
]


# Trailers MedCom's converter does not check (it counts UNT's segments only): warnings.
TOLERATED = [
    ("UNT reference", KM.replace(_unt(KM), _unt(KM).replace(b"K0000001", b"K9")), "UNT"),
    ("UNZ count", KM.replace(b"UNZ+1+", b"UNZ+2+"), "UNZ"),
    ("UNP count", BIN.replace(f"UNP+{SIZE}+1".encode(), f"UNP+{SIZE - 1}+1".encode()), "UNP"),
]


@pytest.mark.parametrize(("name", "data", "tag"), TOLERATED, ids=[t[0] for t in TOLERATED])
def test_trailers_medcoms_converter_ignores_are_warnings(name: str, data: bytes,
                                                         tag: str) -> None:
    document = parse(data)
    (warning,) = document.warnings
    assert warning.code == "medcom.edifact-trailer" and warning.warning
    assert f"({tag})" in (warning.path or "") and warning.line
    assert check(data).valid
    found = answer(data, now=NOW, ids=IdSource(Random(1)))
    assert found.error is None


@pytest.mark.parametrize(("name", "data", "error", "tag"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_interchange_gets_a_typed_error_with_its_place(
    name: str, data: bytes, error: type[EdifactError], tag: str | None
) -> None:
    with pytest.raises(error) as caught:
        parse(data)
    exc = caught.value
    assert exc.line and exc.column, exc
    assert exc.tag == tag, exc
    if tag not in (None, "UNB"):
        assert exc.segment and exc.segment > 1
    report = check(data)
    assert not report.valid and report.issues[0].code == error.code
    assert report.issues[0].line == exc.line


@pytest.mark.parametrize(("name", "data", "error", "tag"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_interchange_gets_a_negative_contrl(
    name: str, data: bytes, error: type[EdifactError], tag: str | None
) -> None:
    found = answer(data, now=NOW, ids=IdSource(Random(1)))
    assert found.receipt is not None and isinstance(found.error, error)
    (receipt,) = found.receipt.letters
    assert isinstance(receipt, Receipt) and receipt.kind is ReceiptKind.NEGATIVE
    assert receipt.refusal is not None and receipt.refusal.code is RefuseCode.SYNTAX_ERROR
    assert receipt.original_envelope_id in ("E0000001", "E0000002")
    assert receipt.sender_ean == receipt.original_receiver_ean
    contrl = found.build()
    assert b"+CONTRL:D:93A:ZZ:C0230Q+CTL02'" in contrl and b"FTX+SYN+P00++" in contrl
    assert parse(contrl).message == found.receipt  # a CONTRL we can read back


@pytest.mark.parametrize(
    ("data", "error", "reason"),
    [
        (KM.replace(b"D9134L+DIS91", b"D9999L+DIS91"), UnknownMessage,
         RefuseCode.VERSION_PROBLEM),
        (KM.replace(b"+E0000001++++1'", b"+E0000001++++7'"), EdifactStructureError,
         RefuseCode.SYNTAX_ERROR),
    ],
)
def test_refuse_code_follows_the_error(data: bytes, error: type[RemoteError],
                                       reason: RefuseCode) -> None:
    with pytest.raises(error) as caught:
        parse(data)
    assert caught.value.location is not None and caught.value.location.line
    found = answer(data, now=NOW)
    (receipt,) = found.receipt.letters  # type: ignore[union-attr]
    assert isinstance(receipt, Receipt) and receipt.refusal is not None
    assert receipt.refusal.code is reason
    assert parse(found.build()).message == found.receipt


def test_impossible_cpr_date_is_a_warning_and_receipted_positively() -> None:
    # the date part is our own check; MedCom's converter and schemas take 10 digits
    data = KM.replace(b"2509479989", b"3213479989")
    (warning,) = parse(data).warnings
    assert warning.code == "medcom.cpr-date" and warning.warning
    assert "3213479989" not in str(warning)
    found = answer(data, now=NOW)
    (receipt,) = found.receipt.letters  # type: ignore[union-attr]
    assert isinstance(receipt, Receipt) and receipt.kind is ReceiptKind.POSITIVE


def test_positive_contrl_when_asked_for_and_none_otherwise() -> None:
    found = any_answer(KM, now=NOW, ids=IdSource(Random(2)))
    assert found.receipt is not None
    (receipt,) = found.receipt.letters
    assert isinstance(receipt, Receipt)
    assert receipt.kind is ReceiptKind.POSITIVE
    assert [(x.identifier, x.version_code) for x in receipt.letters] == [("K0000001", "D9134L")]
    assert b"UCM+K0000001+MEDDIS:D:93A:UN:D9134L+7'" in found.build()
    quiet = KM.replace(b"+E0000001++++1'", b"+E0000001++++0'")
    assert answer(quiet, now=NOW).receipt is None
    assert answer(found.build(), now=NOW).receipt is None  # receipts are never receipted


def test_nothing_to_answer_without_an_interchange_header() -> None:
    found = answer(b"UNA:+.? 'UNH+1+MEDDIS:D:93A:UN:D9134L+DIS91'", now=NOW)
    assert found.receipt is None and "cannot address" in found.reason
