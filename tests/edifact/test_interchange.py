"""Our own models written as EDIFACT and read back; what EDIFACT cannot carry is refused."""

from __future__ import annotations

import dataclasses

import pytest

from medcom_adapter.edifact.interchange import build, parse
from medcom_adapter.errors import UnsupportedInVersion
from medcom_adapter.model.codes import AcknowledgementCode, LetterStatus
from medcom_adapter.model.letters import LetterHeader, Referral
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.text import FormattedText, Space
from tests import samples

ENVELOPE = Envelope("E0000001", samples.WHEN)


def without_space(text: FormattedText | None) -> FormattedText | None:
    return None if text is None else FormattedText(
        tuple(" " if isinstance(p, Space) else p for p in text.content))


def edifact_referral() -> Referral:
    referral = samples.full_referral(typed_episode=False, describe_main=False)
    return dataclasses.replace(
        referral, letter=LetterHeader("L0000002", samples.WHEN),
        clinical_reason=without_space(referral.clinical_reason))


@pytest.mark.parametrize("line_breaks", [False, True])
def test_full_referral_round_trips(line_breaks: bool) -> None:
    message = Emessage(ENVELOPE, (edifact_referral(),))
    data = build(message, "H0130R", line_breaks=line_breaks)
    assert data.startswith(b"UNA:+.? 'UNB+UNOC:3+5790000123452:14+5790000987658:14+261120:0930")
    document = parse(data)
    assert document.message == message
    assert [v.code for v in document.versions] == ["H0130R"]


def test_clinical_email_round_trips() -> None:
    km = samples.clinical_email()
    km = dataclasses.replace(km, texts=tuple(without_space(t) for t in km.texts))  # type: ignore[misc]
    message = Emessage(dataclasses.replace(ENVELOPE, acknowledgement=AcknowledgementCode
                                           .MINUS_POSITIVE), (km,))
    data = build(message, "D9134L")
    assert b"+0'UNH+K0000001+MEDDIS:D:93A:UN:D9134L+DIS91'" in data
    assert b"RFF+REI:8f0c4a523d1e4a8b9c7e2b5d6f1a0e93'" in data  # MedCom: UUID undashed
    assert parse(data).message == message


@pytest.mark.parametrize("with_patient", [True, False])
def test_binary_letter_round_trips_with_raw_bytes(with_patient: bool) -> None:
    message = Emessage(ENVELOPE, (samples.binary_letter(with_patient=with_patient),))
    data = build(message, "B0131X")
    size = len(samples.PDF)
    assert f"+{size}:14:1:A'".encode() + samples.PDF + f"UNP+{size}+1'".encode() in data
    assert parse(data).message == message


def test_several_letters_make_one_interchange() -> None:
    first = samples.binary_letter()
    second = dataclasses.replace(first, letter=LetterHeader("B0000002", samples.WHEN))
    data = build(Emessage(ENVELOPE, (first, second)), "B0131X")
    assert data.count(b"UNH+") == 2 and data.endswith(b"UNZ+2+E0000001'")
    assert parse(data).message.letters == (first, second)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda r: dataclasses.replace(r, letter=LetterHeader("L1", samples.WHEN,
                                                                statistical_code="X")),
         "statistical code"),
        (lambda r: dataclasses.replace(r, letter=LetterHeader("L1", samples.WHEN,
                                                                LetterStatus.CORRECTED)),
         "letter status"),
        (lambda r: dataclasses.replace(samples.full_referral(), letter=r.letter),
         "untyped course id"),
        (lambda r: dataclasses.replace(r, visitations=(dataclasses.replace(
            r.visitations[0], information=FormattedText.plain("x\n" * 6)),)), "one FTX"),
    ],
)
def test_what_edifact_cannot_carry_is_refused(change, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnsupportedInVersion, match=match):
        build(Emessage(ENVELOPE, (change(edifact_referral()),)), "H0130R")


def test_year_outside_the_two_digit_window_is_refused() -> None:
    envelope = dataclasses.replace(ENVELOPE, sent=samples.WHEN.replace(year=2070))
    with pytest.raises(UnsupportedInVersion, match="two-digit year"):
        build(Emessage(envelope, (samples.binary_letter(),)), "B0131X")
