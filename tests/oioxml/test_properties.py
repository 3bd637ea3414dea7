"""Property: any model value a version can carry survives build -> parse unchanged."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medcom_adapter.model import codes
from medcom_adapter.model.identifiers import Cpr, Gln, LocationNumber, SorId
from medcom_adapter.model.letters import (
    BinaryLetter,
    BinaryObject,
    ClinicalInformation,
    Diagnosis,
    EpisodeOfCare,
    LetterHeader,
    ObjectId,
    Reference,
    Referral,
    SupplementaryRef,
    UrlRef,
)
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.parties import Address, Organisation, Patient, Referrer, Relative
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.emessage import build, parse

# Latin-1 text without control characters, as names and free text are in practice.
LATIN1 = st.characters(codec="latin-1", exclude_categories=("Cc", "Cs"))


def text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(LATIN1, min_size=1, max_size=max_size)


def opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


minutes = st.datetimes(datetime(1990, 1, 1), datetime(2090, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0))
cprs = st.builds(
    lambda born, serial: Cpr(born.strftime("%d%m%y") + f"{serial:04d}"),
    st.dates(date(1900, 1, 1), date(1999, 12, 31)), st.integers(0, 3999),
)
glns = st.text("0123456789", min_size=12, max_size=12).map(
    lambda d: LocationNumber.of(Gln.with_check_digit(d)))


def _with_verhoeff(digits: int) -> str:
    """A SOR id: ``digits`` and the Verhoeff check digit that makes it pass."""
    return next(f"{digits}{d}" for d in range(10) if SorId(f"{digits}{d}").passes_verhoeff)


# Identifier holds 17 characters; what we build passes the check digit a reader looks at
sor_ids = st.integers(10_000, 10**16 - 1).map(_with_verhoeff)
addresses = st.builds(Address, opt(text(35)), opt(text(35)), opt(text(35)),
                      opt(st.text("0123456789", min_size=1, max_size=9)))
organisations = st.builds(
    Organisation, ean=glns, identifier=sor_ids, identifier_code=st.just(codes.IdentifierCode.SOR),
    name=text(35), department=opt(text(35)), unit=opt(text(35)), address=addresses,
)
patients = st.builds(Patient, id=cprs, surname=text(70), given_name=opt(text(70)),
                     title=opt(text(35)), address=addresses, email=opt(text(70)))
formatted = opt(text(500).map(FormattedText.plain))
SKS_CODES = st.from_regex(r"D[A-Z][0-9]{2}[0-9A-Z]{0,6}", fullmatch=True)


def diagnoses_of(types: st.SearchStrategy[codes.DiagnoseTypeCode],
                 descriptions: st.SearchStrategy[Any]) -> st.SearchStrategy[Diagnosis]:
    """Diagnoses whose code fits its type: an SKSdiagnosekode is shaped as one."""
    return types.flatmap(lambda t: st.builds(
        Diagnosis, text(70), st.just(t),
        opt(SKS_CODES if t is codes.DiagnoseTypeCode.SKS else text(17)), descriptions))


diagnoses = diagnoses_of(st.sampled_from(codes.DiagnoseTypeCode),
                         st.sampled_from(codes.DiagnoseDescriptionCode))
references = st.builds(
    Reference, text(70),
    st.one_of(st.builds(UrlRef, text(350)), st.just(SupplementaryRef()),
              st.builds(lambda u, d: BinaryObject(ObjectId(str(u)), codes.ObjectCode.IMAGE,
                                                  codes.ObjectExtensionCode.PDF, d).reference("")
                        .target, st.uuids(), st.binary(min_size=1, max_size=64))),
)
referrals = st.builds(
    Referral,
    letter=st.builds(LetterHeader, text(14), minutes, st.sampled_from(codes.LetterStatus)),
    episodes=st.lists(st.builds(EpisodeOfCare, st.uuids().map(str), text(17)),
                      min_size=1, max_size=3).map(tuple),
    sender=organisations, referrer=st.builds(Referrer, text(35), opt(text(35))),
    receiver=organisations, patient=patients,
    relative=opt(st.builds(Relative, st.sampled_from(codes.RelationCode), text(70),
                           opt(text(70)), opt(st.text("0123456789", min_size=10, max_size=10)))),
    priority=opt(st.sampled_from(codes.Priority)),
    referral_status=opt(st.sampled_from(codes.ReferralStatus)),
    transport=opt(st.sampled_from(codes.Transport)),
    supplementary=formatted, clinical_reason=formatted,
    hospital_choice=opt(st.sampled_from(codes.HospitalChoice)),
    diagnosis=opt(diagnoses),
    additional_diagnoses=st.lists(diagnoses, max_size=5).map(tuple),
    clinical_information=st.builds(ClinicalInformation, formatted, formatted, formatted, formatted),
    references=st.lists(references, max_size=10).map(tuple),
)
binaries = st.builds(
    BinaryLetter,
    letter=st.builds(LetterHeader, text(14), minutes),
    sender=organisations, receiver=organisations,
    objects=st.lists(st.builds(BinaryObject, st.uuids().map(lambda u: ObjectId(str(u))),
                               st.sampled_from(codes.ObjectCode),
                               st.sampled_from([e for e in codes.ObjectExtensionCode
                                                if e is not codes.ObjectExtensionCode.FNX]),
                               st.binary(min_size=1, max_size=2048)),
                     min_size=1, max_size=10).map(tuple),
    patient=st.builds(Patient, id=cprs, surname=text(70), given_name=opt(text(70))),
)
envelopes = st.builds(Envelope, text(14), minutes, st.sampled_from(codes.AcknowledgementCode))
SETTINGS = settings(max_examples=60, deadline=timedelta(seconds=2),
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(envelopes, referrals, st.sampled_from(["ISO-8859-1", "UTF-8"]))
def test_any_referral_round_trips(envelope: Envelope, referral: Referral, encoding: str) -> None:
    message = Emessage(envelope, (referral,))
    assert parse(build(message, "XH0131R", encoding=encoding)).message == message


@SETTINGS
@given(envelopes, binaries)
def test_any_binary_letter_round_trips(envelope: Envelope, letter: BinaryLetter) -> None:
    message = Emessage(envelope, (letter,))
    assert parse(build(message, "XB0131X")).message == message
