"""Property: any model EDIFACT can carry survives model -> EDIFACT -> model unchanged.

The strategies are those of the OIOXML property tests, narrowed to what EDIFACT carries
(see ``tests/edifact/test_official_pairs.DELIBERATE`` and the refusals in
``test_interchange``): a two-digit UNB year, a street whenever there is an address, one
untyped course id, main diagnoses without description code, and a name whenever a
department or unit is named (MedCom's placeholder ``_`` stands in for a missing one and is
read back as written).
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from medcom_adapter.edifact.interchange import build, parse
from medcom_adapter.errors import RefuseCode
from medcom_adapter.model import codes
from medcom_adapter.model.correspondence import (
    ClinicalEmail,
    CorrespondencePriority,
    EpisodeOfCareStatus,
)
from medcom_adapter.model.letters import (
    BinaryLetter,
    BinaryObject,
    ClinicalInformation,
    EpisodeOfCare,
    LetterHeader,
    ObjectId,
    Referral,
    Visitation,
)
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.parties import (
    Address,
    CcReceiver,
    Organisation,
    Patient,
    Referrer,
    Relative,
    Telephone,
)
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind, Refusal
from medcom_adapter.model.text import FormattedText, Inline, Style, Styled
from tests.oioxml.test_properties import (
    SETTINGS,
    cprs,
    diagnoses_of,
    glns,
    opt,
    references,
    sor_ids,
    text,
)

minutes = st.datetimes(datetime(1970, 1, 1), datetime(2069, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0))
addresses = st.just(Address()) | st.builds(
    Address, text(35), opt(text(35)), opt(text(35)),
    opt(st.text("0123456789", min_size=1, max_size=9)))
organisations = st.builds(
    Organisation, ean=glns, identifier=sor_ids, identifier_code=st.just(codes.IdentifierCode.SOR),
    name=text(35), department=opt(text(35)), unit=opt(text(35)), address=addresses,
    phone=opt(text(20)), speciality=opt(st.sampled_from([
        codes.MedicalSpeciality("psykolog"), codes.MedicalSpeciality("boerne_ungdomspsykiatri"),
        codes.MedicalSpeciality("almen_medicin")])),
)


def _styled(runs: list[tuple[Style | None, str]]) -> FormattedText:
    parts: list[Inline] = []
    for style, value in runs:
        if style is None:
            parts.append(value)
        elif parts and isinstance(parts[-1], Styled) and parts[-1].style is style:
            parts[-1] = Styled(style, (*parts[-1].content, value))
        else:
            parts.append(Styled(style, (value,)))
    return FormattedText(tuple(parts))


plain = text(400).map(FormattedText.plain)
styled = st.lists(st.tuples(st.none() | st.sampled_from(Style), text(80)), min_size=1,
                  max_size=4).map(_styled)
formatted = st.none() | plain | styled
envelopes = st.builds(Envelope, text(14), minutes, st.sampled_from(codes.AcknowledgementCode))
headers = st.builds(LetterHeader, text(14), minutes)
edifact_diagnosis_types = st.sampled_from(
    [codes.DiagnoseTypeCode.SKS, codes.DiagnoseTypeCode.UNSPECIFIED, codes.DiagnoseTypeCode.ICPC])

referrals = st.builds(
    Referral,
    letter=headers,
    episodes=st.lists(st.builds(EpisodeOfCare, st.uuids().map(str)), max_size=1).map(tuple),
    sender=organisations, receiver=organisations,
    referrer=st.builds(Referrer, text(35), opt(text(35))),
    answer_cc=opt(st.builds(CcReceiver, st.just("079741"),
                            st.just(codes.IdentifierCode.PROVIDER_NUMBER), text(35),
                            opt(text(35)), opt(text(35)), addresses, opt(text(20)))),
    patient=st.builds(Patient, id=cprs, surname=text(70), given_name=opt(text(70)),
                      title=opt(text(35)), address=addresses, email=opt(text(70)),
                      phones=st.lists(st.builds(Telephone, text(20),
                                                st.sampled_from(codes.TelephoneCode)),
                                      max_size=3).map(tuple)),
    relative=opt(st.builds(Relative, st.sampled_from(codes.RelationCode), text(70),
                           opt(text(70)), opt(st.text("0123456789", min_size=10, max_size=10)))),
    priority=opt(st.sampled_from(codes.Priority)),
    referral_status=opt(st.sampled_from([codes.ReferralStatus.OUTPATIENT,
                                         codes.ReferralStatus.ADMISSION])),
    transport=opt(st.sampled_from(codes.Transport)),
    supplementary=formatted, clinical_reason=formatted,
    diagnosis=opt(diagnoses_of(edifact_diagnosis_types, st.none())),
    additional_diagnoses=st.lists(diagnoses_of(edifact_diagnosis_types, st.sampled_from([
        d for d in codes.DiagnoseDescriptionCode if d.name in (
            "UNSPECIFIED", "SECONDARY", "ADDITIONAL", "ACTION", "TEMPORARY", "COURSE",
            "OPERATION", "XRAY")])), max_size=5).map(tuple),
    clinical_information=st.builds(ClinicalInformation, formatted, formatted, formatted,
                                   formatted),
    references=st.lists(references, max_size=10).map(tuple),
    visitations=st.lists(st.builds(Visitation, st.sampled_from(codes.InformationCode),
                                   text(60).map(FormattedText.plain)), max_size=9).map(tuple),
)
clinical_emails = st.builds(
    ClinicalEmail,
    letter=st.builds(LetterHeader, text(14), minutes, st.sampled_from(codes.LetterStatus)),
    sender=organisations, receiver=organisations,
    patient=st.builds(Patient, id=cprs, surname=text(70), given_name=opt(text(70)),
                      address=addresses),
    patient_status=st.sampled_from(EpisodeOfCareStatus),
    texts=st.lists(plain | styled, max_size=10).map(tuple),
    episode_of_care=opt(st.uuids().map(str)),
    occupation=opt(text(35)),
    priority=opt(st.sampled_from(CorrespondencePriority)),
    subject=opt(text(70)),
    references=st.lists(references, max_size=10).map(tuple),
)
binaries = st.builds(
    BinaryLetter,
    letter=st.builds(LetterHeader, text(14), minutes, st.sampled_from(codes.LetterStatus)),
    sender=organisations, receiver=organisations,
    objects=st.lists(st.builds(BinaryObject, st.uuids().map(lambda u: ObjectId(str(u))),
                               st.sampled_from(codes.ObjectCode),
                               st.sampled_from(codes.ObjectExtensionCode),
                               st.binary(min_size=0, max_size=2048)),
                     min_size=1, max_size=10).map(tuple),
    patient=opt(st.builds(Patient, id=cprs, surname=text(70), given_name=opt(text(70)))),
)
refusals = st.builds(Refusal, st.sampled_from(RefuseCode), opt(plain))


@st.composite
def receipts(draw: st.DrawFn) -> Receipt:
    kind = draw(st.sampled_from(ReceiptKind))
    refusal = opt(refusals) if kind.negative else st.none()
    return Receipt(
        kind=kind, identifier=draw(text(14)), sender_ean=draw(text(35)),
        receiver_ean=draw(text(35)), original_envelope_id=draw(text(14)),
        original_sender_ean=draw(text(35)), original_receiver_ean=draw(text(35)),
        refusal=draw(refusal),
        letters=tuple(draw(st.lists(st.builds(
            OriginalLetter, text(14), st.sampled_from(["H0130R", "D9134L", "XD9134L", "B0131X"]),
            refusal), max_size=5))),
    )


@SETTINGS
@given(envelopes, referrals)
def test_any_referral_round_trips(envelope: Envelope, referral: Referral) -> None:
    message = Emessage(envelope, (referral,))
    assert parse(build(message, "H0130R")).message == message


@SETTINGS
@given(envelopes, clinical_emails)
def test_any_clinical_email_round_trips(envelope: Envelope, km: ClinicalEmail) -> None:
    message = Emessage(envelope, (km,))
    assert parse(build(message, "D9134L")).message == message


@SETTINGS
@given(envelopes, binaries, st.booleans())
def test_any_binary_letter_round_trips(envelope: Envelope, letter: BinaryLetter,
                                       line_breaks: bool) -> None:
    message = Emessage(envelope, (letter,))
    assert parse(build(message, "B0131X", line_breaks=line_breaks)).message == message


@SETTINGS
@given(st.builds(Envelope, text(14), minutes, st.just(codes.AcknowledgementCode
                                                      .MINUS_POSITIVE)), receipts())
def test_any_receipt_round_trips(envelope: Envelope, receipt: Receipt) -> None:
    message = Emessage(envelope, (receipt,))
    version = {ReceiptKind.NEGATIVE_VANS: "C0130Q", ReceiptKind.NEGATIVE: "C0230Q",
               ReceiptKind.POSITIVE: "C0330Q"}[receipt.kind]
    assert parse(build(message, version)).message == message
