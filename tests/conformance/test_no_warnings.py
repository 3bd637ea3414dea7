"""We never send what we would warn about: for any valid model, build -> read gives no warning.

The strategies are the round-trip tests' (valid models: real GLNs, SOR ids passing their
check digit, CPR numbers with calendar dates, SKS-shaped SKS codes).
The explicit examples are ones the property once found.
"""

from __future__ import annotations

import dataclasses

from hypothesis import example, given
from hypothesis import strategies as st

from medcom_adapter import detect
from medcom_adapter.edifact import interchange
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.letters import BinaryLetter, Referral
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import emessage
from tests import samples
from tests.edifact import test_properties as edifact_models
from tests.oioxml import test_properties as oioxml_models

SETTINGS = oioxml_models.SETTINGS
# A district name that spells out the FHIR namespace made the letter read as FHIR XML, and an
# ISO-8859-1 FHIR message is refused: we refused a referral we had built ourselves.
_FHIR_DISTRICT = dataclasses.replace(samples.minimal_referral(), receiver=dataclasses.replace(
    samples.BUP, address=dataclasses.replace(samples.BUP.address,
                                             district="http://hl7.org/fhir")))


def _no_warning(data: bytes) -> None:
    report = detect.check(data)
    assert report.issues == (), report.issues


@SETTINGS
@given(oioxml_models.envelopes, oioxml_models.referrals)
@example(Envelope("ENV0001", samples.WHEN), _FHIR_DISTRICT)
def test_a_referral_we_build_reads_without_a_warning(envelope: Envelope,
                                                     referral: Referral) -> None:
    data = emessage.build(Emessage(envelope, (referral,)), "XH0131R")
    assert emessage.parse(data).warnings == ()
    _no_warning(data)


@SETTINGS
@given(oioxml_models.envelopes, oioxml_models.binaries)
def test_a_binary_letter_we_build_reads_without_a_warning(envelope: Envelope,
                                                          letter: BinaryLetter) -> None:
    data = emessage.build(Emessage(envelope, (letter,)), "XB0131X")
    assert emessage.parse(data).warnings == ()
    _no_warning(data)


@SETTINGS
@given(edifact_models.envelopes, edifact_models.referrals, edifact_models.clinical_emails,
       edifact_models.binaries, st.booleans())
def test_edifact_we_build_reads_without_a_warning(
        envelope: Envelope, referral: Referral, km: ClinicalEmail, letter: BinaryLetter,
        line_breaks: bool) -> None:
    for model, version in ((referral, "H0130R"), (km, "D9134L"), (letter, "B0131X")):
        data = interchange.build(Emessage(envelope, (model,)), version,
                                 line_breaks=line_breaks)
        assert interchange.parse(data).warnings == ()
        _no_warning(data)
