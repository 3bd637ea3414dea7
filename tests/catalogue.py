"""Generate the certification catalogue ``fixtures/catalogue/`` from our builders.

``python -m tests.catalogue`` rewrites the files and ``manifest.json``; a test checks the
committed files equal what this produces, so the catalogue follows the builders. Everything
is deterministic (fixed ids and times) and uses MedCom's test persons and invented
organisations only.

Valid fixtures come from the builders; each invalid one is a valid fixture broken in exactly
one place, and its manifest row names the error code and element path a validator must
report for it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from medcom_adapter.edifact import interchange as edifact
from medcom_adapter.edifact import versions as edifact_versions
from medcom_adapter.envelopes import fhir_payload, sbdh, vans
from medcom_adapter.errors import RefuseCode
from medcom_adapter.fhir import acknowledgement, carecommunication
from medcom_adapter.fhir.threads import NewAttachment, forward, new_message, reply
from medcom_adapter.model.acknowledgement import (
    ERROR_CODES,
    AckCode,
    AckEvent,
    Acknowledgement,
    OutcomeIssue,
)
from medcom_adapter.model.carecommunication import (
    Author,
    CarePatient,
    CareTeam,
    Category,
    Coding,
    EpisodeOfCareRef,
    Party,
    Priority,
)
from medcom_adapter.model.codes import AcknowledgementCode, LetterStatus
from medcom_adapter.model.correspondence import CorrespondencePriority, EpisodeOfCareStatus
from medcom_adapter.model.identifiers import Cpr, DeCpr, XeCpr
from medcom_adapter.model.message import Emessage, Envelope, Letter
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind, Refusal
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.emessage import build
from medcom_adapter.oioxml.emessage import parse as parse_oioxml
from tests import samples

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "catalogue"
CPH = timezone(timedelta(hours=1))
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=CPH)

PPR = Party("953741000016009", "5790000123452", "Eksempel Kommune, PPR")
GP = Party("265161000016000", "5790000121526", "Lægehuset Eksempel")
HOSPITAL = Party("330461000016004", "5790000987658", "Eksempel Regionshospital")
PSYCHOLOGIST = Author("Testsen", ("Sara",), role_text="Psykolog", organisation=PPR)
DOCTOR = Author("Testlæge", ("Hans",), role=Coding(
    "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-PractitionerRoles", "laege"))
CHILD = CarePatient(Cpr("2509479989"), "Elmer", ("Bruno", "Test"), address_lines=("Testvej 3",),
                    city="Eksempelby", postal_code="9999")


@dataclass(frozen=True, slots=True)
class Fixture:
    file: str  # path under fixtures/catalogue
    kind: str | None  # as certify reports it; None: not identifiable from the file
    version: str | None
    scenario: str
    data: bytes
    error: tuple[str, str | None] | None = None  # (code, element path) for invalid ones
    # (code, element path) of the one warning a valid fixture breaking only our own check has
    warning: tuple[str, str | None] | None = None

    def row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"file": self.file, "kind": self.kind, "version": self.version,
                               "scenario": self.scenario,
                               "verdict": "invalid" if self.error else "valid"}
        if self.error:
            row["error"] = {"code": self.error[0], "location": self.error[1]}
        if self.warning:
            row["warning"] = {"code": self.warning[0], "location": self.warning[1]}
        return row


# ------------------------------------------------------------------------------ OIOXML

def _oioxml(letter: Letter, version: str, envelope: str,
            ack: AcknowledgementCode = AcknowledgementCode.PLUS_POSITIVE) -> bytes:
    return build(Emessage(Envelope(envelope, samples.WHEN, ack), (letter,)), version)


def _receipt(kind: ReceiptKind, code: RefuseCode | None = None) -> Receipt:
    refusal = (Refusal(code, FormattedText.plain("Fejl i HospitalReferral/Patient"))
               if code else None)
    return Receipt(
        kind=kind, identifier="KVIT0001", sender_ean="5790000120400",
        receiver_ean="5790000123452", original_envelope_id="CATREF0001",
        original_sender_ean="5790000123452", original_receiver_ean="5790000120400",
        refusal=refusal, letters=(OriginalLetter("L0000002", "XH0131R", refusal),),
    )


def oioxml_fixtures() -> list[Fixture]:
    out: list[Fixture] = []
    for code in ("XH0131R", "XH0130R"):
        typed = code == "XH0131R"
        for full in (True, False):
            letter = (samples.full_referral(typed_episode=typed, describe_main=typed) if full
                      else samples.minimal_referral(typed_episode=typed))
            name = "every-optional-element" if full else "minimal"
            out.append(Fixture(f"oioxml/XREF01-{code}-{name}.xml", "XREF01", code,
                               f"referral, {name}", _oioxml(letter, code, "CATREF0001")))
    for code in ("XB0131X", "XB0130X", "XB0230X"):
        kind = "XBIN02" if code == "XB0230X" else "XBIN01"
        out.append(Fixture(f"oioxml/{kind}-{code}-pdf.xml", kind, code, "attachment, PDF",
                           _oioxml(samples.binary_letter(), code, "CATBIN0001")))
    km = samples.clinical_email()
    out.append(Fixture("oioxml/XDIS91-XD9134L-every-optional-element.xml", "XDIS91", "XD9134L",
                       "correspondence, every optional element",
                       _oioxml(km, "XD9134L", "CATKM00001")))
    for status in EpisodeOfCareStatus:
        with_status = dataclasses.replace(km, patient_status=status)
        out.append(Fixture(f"oioxml/XDIS91-XD9134L-status-{status.value}.xml", "XDIS91",
                           "XD9134L", f"correspondence, EpisodeOfCareStatusCode {status.value}",
                           _oioxml(with_status, "XD9134L", "CATKM00002")))
    for priority in CorrespondencePriority:
        with_priority = dataclasses.replace(km, priority=priority)
        out.append(Fixture(f"oioxml/XDIS91-XD9134L-priority-{priority.name.lower()}.xml", "XDIS91",
                           "XD9134L", f"correspondence, priority {priority.value}",
                           _oioxml(with_priority, "XD9134L", "CATKM00003")))
    minus = AcknowledgementCode.MINUS_POSITIVE
    out.append(Fixture("oioxml/XCTL03-XC0330Q.xml", "XCTL03", "XC0330Q", "positive receipt",
                       _oioxml(_receipt(ReceiptKind.POSITIVE), "XC0330Q", "CATKV00001", minus)))
    for refuse in RefuseCode:
        out.append(Fixture(
            f"oioxml/XCTL02-XC0230Q-{refuse.value}.xml", "XCTL02", "XC0230Q",
            f"negative receipt, {refuse.value}",
            _oioxml(_receipt(ReceiptKind.NEGATIVE, refuse), "XC0230Q", "CATKV00002", minus)))
    out.append(Fixture(
        "oioxml/XCTL01-XC0130Q.xml", "XCTL01", "XC0130Q", "negative VANS receipt",
        _oioxml(_receipt(ReceiptKind.NEGATIVE_VANS, RefuseCode.UNKNOWN_LOCATION_NUMBER),
                "XC0130Q", "CATKV00003", minus)))
    return out


# ------------------------------------------------------------------------------ FHIR

def _ids(prefix: int) -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix:08d}-0000-4000-8000-{next(numbers):012d}"


def _json(bundle: dict[str, Any]) -> bytes:
    return (json.dumps(bundle, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def thread() -> tuple[Any, Any, Any]:
    new = new_message(
        sender=PPR, receiver=GP, patient=CHILD, category=Category.REGARDING_REFERRAL,
        priority=Priority.ASAP, text="Bruno er henvist til BUP.\nVi foreslår en samtale.",
        author=PSYCHOLOGIST, phone="70100000", now=T0,
        episode_of_care=EpisodeOfCareRef("8f0c4a52-3d1e-4a8b-9c7e-2b5d6f1a0e93",
                                         "https://sor2.sum.dsdn.dk/#id=953741000016009",
                                         "in-progress", "AMB"),
        attachments=[NewAttachment(f"Bilag {t.split('/')[1]}", t, b"test-" + t.encode())
                     for t in ("application/pdf", "image/gif", "image/jpeg", "image/png",
                               "image/tiff", "image/bmp")],
        sender_detail=PSYCHOLOGIST,
        recipient_detail=CareTeam("Lægeteam", GP), new_id=_ids(1),
    )
    answer = reply(new, text="Tak, jeg ringer.", author=DOCTOR, phone="44527000",
                   now=T0 + timedelta(hours=2), new_id=_ids(2))
    onward = forward(answer, to=HOSPITAL, text="Til orientering.", author=PSYCHOLOGIST,
                     phone="70100000", now=T0 + timedelta(days=1),
                     segment_ids=[new.segments[0].id], new_id=_ids(3))
    return new, answer, onward


def ack_of(message: Any, code: AckCode, n: int) -> Acknowledgement:
    ids = _ids(10 + n)
    message_id = ids()
    issues = () if code is AckCode.OK else (OutcomeIssue(
        "error", "code-invalid", Coding(ERROR_CODES, "MSG_VALUESET_VALUE_UNKNOWN"),
        "Communication.category: ukendt kode"),)
    latest = message.latest
    at = message.timestamp + timedelta(minutes=5)
    return Acknowledgement(
        bundle_id=ids(), message_id=message_id, timestamp=at, sender=message.receiver,
        receiver=message.sender, acknowledged_id=message.message_id, code=code, issues=issues,
        history=(AckEvent(latest.message_id, latest.activity.value, latest.occurred,
                          latest.agent),
                 AckEvent(message_id, "acknowledgement", at, message.receiver,
                          predecessor=message.message_id)),
    )


def fhir_fixtures() -> list[Fixture]:
    out: list[Fixture] = []
    new, answer, onward = thread()
    for name, cc in (("new-every-optional-element", new), ("reply", answer),
                     ("forward", onward)):
        out.append(Fixture(f"fhir/CareCommunication-5.0-{name}.json", "CareCommunication",
                           "5.0", f"CareCommunication {name}",
                           _json(carecommunication.to_bundle(cc))))
    for i, category in enumerate(Category):
        cc = new_message(
            sender=PPR, receiver=GP, patient=CHILD, category=category,
            topic="Forløb i PPR" if category is Category.OTHER else None,
            text=f"Kategori {category.value}.", author=PSYCHOLOGIST, phone="70100000",
            now=T0, new_id=_ids(100 + i))
        out.append(Fixture(f"fhir/CareCommunication-5.0-category-{category.value}.json",
                           "CareCommunication", "5.0", f"category {category.value}",
                           _json(carecommunication.to_bundle(cc))))
    for name, pid in (("x-ecpr", XeCpr("0703921VJ5")), ("d-ecpr", DeCpr("0101705AB1"))):
        cc = dataclasses.replace(new, patient=dataclasses.replace(CHILD, id=pid))
        out.append(Fixture(f"fhir/CareCommunication-5.0-patient-{name}.json",
                           "CareCommunication", "5.0", f"replacement CPR ({name})",
                           _json(carecommunication.to_bundle(cc))))
    deceased = dataclasses.replace(new, patient=dataclasses.replace(CHILD, deceased=True))
    out.append(Fixture("fhir/CareCommunication-5.0-patient-deceased.json", "CareCommunication",
                       "5.0", "deceased patient", _json(carecommunication.to_bundle(deceased))))
    for n, code in enumerate(AckCode):
        out.append(Fixture(f"fhir/Acknowledgement-2.0-{code.value}.json", "Acknowledgement",
                           "2.0", f"acknowledgement {code.value}",
                           _json(acknowledgement.to_bundle(ack_of(new, code, n)))))
    return out


# ------------------------------------------------------------------------------ EDIFACT

EDIFACT_SOURCES = (  # (OIOXML fixture, EDIFACT kind, version, name)
    ("oioxml/XREF01-XH0130R-every-optional-element.xml", "REF01", "H0130R",
     "every-optional-element"),
    ("oioxml/XREF01-XH0130R-minimal.xml", "REF01", "H0130R", "minimal"),
    ("oioxml/XBIN01-XB0131X-pdf.xml", "BIN01", "B0131X", "pdf"),
    ("oioxml/XBIN01-XB0130X-pdf.xml", "BIN01", "B0130X", "pdf"),
    ("oioxml/XDIS91-XD9134L-every-optional-element.xml", "DIS91", "D9134L",
     "every-optional-element"),
    ("oioxml/XCTL01-XC0130Q.xml", "CTL01", "C0130Q", "negative-vans"),
    ("oioxml/XCTL02-XC0230Q-syntaksfejl.xml", "CTL02", "C0230Q", "syntaksfejl"),
    ("oioxml/XCTL03-XC0330Q.xml", "CTL03", "C0330Q", "positive"),
)


def _twin(data: bytes) -> bytes:
    """The EDIFACT twin of an OIOXML fixture. EDIFACT has no statistical code (UNH names
    the letter type) and MedCom's REF01 mapping no corrected letter: both are left out."""
    document = parse_oioxml(data)
    letters = tuple(
        letter if isinstance(letter, Receipt) else dataclasses.replace(
            letter, letter=dataclasses.replace(letter.letter, statistical_code=None,
                                               status=LetterStatus.NEW))
        for letter in document.message.letters)
    twins = tuple(edifact_versions.by_twin(v.code) for v in document.versions)
    return edifact.build(dataclasses.replace(document.message, letters=letters), twins,
                         line_breaks=True)


def edifact_fixtures(valid: dict[str, Fixture]) -> list[Fixture]:
    return [Fixture(f"edifact/{kind}-{version}-{name}.edi", kind, version,
                    f"EDIFACT twin of {source.split('/')[1]}", _twin(valid[source].data))
            for source, kind, version, name in EDIFACT_SOURCES]


# ------------------------------------------------------------------------------ envelopes

VANS_SENT = T0 + timedelta(minutes=1)


def _vans_id(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-0000000000a{n}"


def envelope_fixtures(valid: dict[str, Fixture]) -> list[Fixture]:
    cc = valid["fhir/CareCommunication-5.0-new-every-optional-element.json"].data
    ack = valid["fhir/Acknowledgement-2.0-ok.json"].data
    sent_cc = fhir_payload.wrap(cc, sent=VANS_SENT, envelope_id=_vans_id(1))
    sent_ack = fhir_payload.wrap(ack, sent=VANS_SENT, envelope_id=_vans_id(2))
    receipts = [
        vans.receipt_for(sent_cc, vans.VansReceiptKind.POSITIVE, envelope_id=_vans_id(3),
                         sent=VANS_SENT),
        vans.receipt_for(sent_cc, vans.VansReceiptKind.NEGATIVE, envelope_id=_vans_id(4),
                         sent=VANS_SENT, error=vans.VansError("Beskeden kunne ikke læses", 2)),
        vans.VansEnvelope(  # from the network itself: the receiver is unknown
            sent_cc.receiver, sent_cc.sender, _vans_id(5), VANS_SENT,
            vans.VansReceipt(vans.VansReceiptKind.NEGATIVE_VANS, sent_cc.envelope_id,
                             error=vans.VansError("Ukendt modtager", 1))),
    ]
    out = [
        Fixture("envelopes/VANSEnvelope-CareCommunication.xml", "VANSEnvelope", "1.0.4",
                "VANSEnvelope carrying a CareCommunication", vans.build(sent_cc)),
        Fixture("envelopes/VANSEnvelope-Acknowledgement.xml", "VANSEnvelope", "1.0.4",
                "VANSEnvelope carrying an Acknowledgement", vans.build(sent_ack)),
    ]
    for receipt in receipts:
        assert receipt.receipt is not None
        name = receipt.receipt.kind.value
        out.append(Fixture(f"envelopes/VANSEnvelope-receipt-{name}.xml", "VANSEnvelope",
                           "1.0.4", f"VANS receipt {name}", vans.build(receipt)))
    for name, data in (("CareCommunication", cc), ("Acknowledgement", ack)):
        document = sbdh.for_fhir(data, created=VANS_SENT, instance_id=_vans_id(6))
        out.append(Fixture(f"envelopes/SBDH-{name}.xml", "SBDH", sbdh.PROFILE_VERSION,
                           f"ehmiSBDH carrying a {name}", sbdh.build(document)))
    return out


# ------------------------------------------------------------------------------ invalid

Json = dict[str, Any]


def _resource(bundle: Json, kind: str) -> Json:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


_SAME = "same"  # kind or version: as the fixture broken


def _fhir_broken(source: Fixture, name: str, change: Callable[[Json], None],
                 code: str, location: str | None, *, version: str | None = _SAME) -> Fixture:
    bundle = json.loads(source.data)
    change(bundle)
    return Fixture(f"invalid/{name}.json", source.kind,
                   source.version if version == _SAME else version, name, _json(bundle),
                   (code, location))


def _xml_broken(source: Fixture, name: str, old: bytes, new: bytes, code: str,
                location: str | None, *, kind: str | None = _SAME,
                version: str | None = _SAME) -> Fixture:
    """``kind``/``version`` None: the break leaves nothing to tell them by."""
    assert old in source.data, (source.file, old)
    suffix = Path(source.file).suffix
    return Fixture(f"invalid/{name}{suffix}", source.kind if kind == _SAME else kind,
                   source.version if version == _SAME else version, name,
                   source.data.replace(old, new, 1), (code, location))


def _own_check_broken(source: Fixture, name: str, old: bytes, new: bytes, code: str,
                      location: str | None) -> Fixture:
    """Breaks only a check of our own: valid by MedCom's rules, read with one warning."""
    assert old in source.data, (source.file, old)
    suffix = Path(source.file).suffix
    return Fixture(f"warning/{name}{suffix}", source.kind, source.version, name,
                   source.data.replace(old, new, 1), warning=(code, location))


def _enveloped_broken(name: str, inner: Fixture, outer: str) -> Fixture:
    """An envelope valid in itself carrying ``inner`` (an invalid message): the envelope
    reports the inner message's one error, at the inner message's place."""
    assert inner.error is not None
    if outer == "VANSEnvelope":
        data = vans.build(fhir_payload.wrap(inner.data, sent=VANS_SENT, envelope_id=_vans_id(7)))
        version = "1.0.4"
    else:
        data = sbdh.build(sbdh.for_fhir(inner.data, created=VANS_SENT, instance_id=_vans_id(8)))
        version = sbdh.PROFILE_VERSION
    return Fixture(f"invalid/{name}.xml", outer, version, name, data, inner.error)


def edifact_invalid(valid: dict[str, Fixture]) -> list[Fixture]:
    dis = valid["edifact/DIS91-D9134L-every-optional-element.edi"]
    binary = valid["edifact/BIN01-B0131X-pdf.edi"]
    unknown = {"kind": None, "version": None}  # an unreadable interchange tells neither
    return [
        _xml_broken(dis, "DIS91-UNT-count-wrong", b"UNT+43+", b"UNT+42+",
                    "remote.edifact.count", "segment 44 (UNT), column 1", **unknown),
        _xml_broken(dis, "DIS91-UNZ-missing", b"UNZ+1+CATKM00001'\n", b"",
                    "remote.edifact.truncated", "segment 44 (UNT), column 1", **unknown),
        _xml_broken(dis, "DIS91-unknown-version", b"D9134L", b"D9199L",
                    "remote.unknown-version", "segment 2 (UNH), column 1", **unknown),
        _xml_broken(dis, "DIS91-letter-status-unknown", b"GIS+N'\nRFF+SRI", b"GIS+X'\nRFF+SRI",
                    "remote.edifact.structure", "segment 16 (GIS), column 1", **unknown),
        _xml_broken(binary, "BIN01-UNO-byte-count-wrong", b"+1061:14", b"+1062:14",
                    "remote.edifact.count", "segment 22 (UNO), column 2", **unknown),
    ]


def envelope_invalid(valid: dict[str, Fixture], broken: dict[str, Fixture]) -> list[Fixture]:
    cc = valid["envelopes/VANSEnvelope-CareCommunication.xml"]
    receipt = valid["envelopes/VANSEnvelope-receipt-PositiveMessage.xml"]
    document = valid["envelopes/SBDH-CareCommunication.xml"]
    size = b"<SizeInBytes>%d<" % len(
        valid["fhir/CareCommunication-5.0-new-every-optional-element.json"].data)
    return [
        _xml_broken(cc, "VANSEnvelope-size-mismatch", size, size.replace(b">", b">9"),
                    "remote.inconsistent",
                    "VANSEnvelope/Message/MetaInformation/Document/SizeInBytes", version=None),
        _xml_broken(cc, "VANSEnvelope-format-unknown", b"<Format>HL7<", b"<Format>FHIR<",
                    "xsd.code", "VANSEnvelope/Message/MetaInformation/Document/Format",
                    version=None),
        _xml_broken(receipt, "VANSEnvelope-receipt-unexpected-element",
                    b"<OriginalEnvelopeIdentifier>", b"<Note/><OriginalEnvelopeIdentifier>",
                    "xsd.structure", "VANSEnvelope/Receipt/PositiveMessage/Note", version=None),
        _enveloped_broken("VANSEnvelope-carrying-invalid-Acknowledgement",
                          broken["invalid/Acknowledgement-issue-severity-unknown.json"],
                          "VANSEnvelope"),
        _xml_broken(document, "SBDH-header-version-missing",
                    b"<HeaderVersion>1.0</HeaderVersion>", b"", "xsd.structure",
                    "StandardBusinessDocument/StandardBusinessDocumentHeader/Sender",
                    version=None),
        _enveloped_broken("SBDH-carrying-CareCommunication-priority-not-allowed",
                          broken["invalid/CareCommunication-priority-without-referral.json"],
                          "SBDH"),
    ]


def invalid_fixtures(valid: dict[str, Fixture]) -> list[Fixture]:
    ref = valid["oioxml/XREF01-XH0131R-every-optional-element.xml"]
    km = valid["oioxml/XDIS91-XD9134L-every-optional-element.xml"]
    ctl = valid["oioxml/XCTL02-XC0230Q-syntaksfejl.xml"]
    new = valid["fhir/CareCommunication-5.0-new-every-optional-element.json"]
    other = valid["fhir/CareCommunication-5.0-category-other.json"]
    fatal = valid["fhir/Acknowledgement-2.0-fatal-error.json"]

    def category_twice(b: Json) -> None:
        # twice, not missing: without a category cc-6 cannot hold either, and each invalid
        # fixture breaks exactly one official rule
        communication = _resource(b, "Communication")
        communication["category"] = communication["category"] * 2

    def priority_on_other(b: Json) -> None:
        _resource(b, "Communication")["priority"] = "asap"

    def no_topic(b: Json) -> None:
        del _resource(b, "Communication")["topic"]

    def legacy_definition(b: Json) -> None:
        header = _resource(b, "MessageHeader")
        header["definition"] = ("http://medcomfhir.dk/ig/carecommunication/"
                                "medcom-careCommunication-message-definition|4.0.0")

    def no_outcome(b: Json) -> None:
        b["entry"] = [e for e in b["entry"]
                      if e["resource"]["resourceType"] != "OperationOutcome"]
        del _resource(b, "MessageHeader")["response"]["details"]

    def unknown_severity(b: Json) -> None:
        _resource(b, "OperationOutcome")["issue"][0]["severity"] = "serious"

    def bad_thread_id(b: Json) -> None:
        _resource(b, "Communication")["identifier"][0]["value"] = "urn:uuid:not-a-uuid"

    return [
        _xml_broken(ref, "XREF01-priority-unknown-code", b"<Priority>akut<", b"<Priority>nu<",
                    "xsd.code", "Emessage/HospitalReferral/AdditionalInformation/Priority"),
        _xml_broken(km, "XDIS91-unknown-version-code", b"<VersionCode>XD9134L<",
                    b"<VersionCode>XD9199L<", "remote.unknown-version",
                    None, kind=None, version=None),
        _xml_broken(km, "XDIS91-episode-status-missing",
                    b"<EpisodeOfCareStatusCode>inaktiv</EpisodeOfCareStatusCode>", b"",
                    "xsd.structure", "Emessage/ClinicalEmail/Patient"),
        _xml_broken(km, "XDIS91-truncated", b"</Emessage>", b"", "remote.malformed", None,
                    kind=None, version=None),
        _xml_broken(ctl, "XCTL02-unknown-refuse-code", b">syntaksfejl<", b">fejl<", "xsd.code",
                    "Emessage/NegativeReceipt/OriginalEmessage/RefuseCode"),
        _fhir_broken(new, "CareCommunication-category-twice", category_twice,
                     "fhir.cardinality", "Bundle.entry[8].resource(Communication).category"),
        _fhir_broken(other, "CareCommunication-priority-without-referral", priority_on_other,
                     "cc-5", "Bundle.entry[5].resource(Communication).priority"),
        _fhir_broken(other, "CareCommunication-other-without-topic", no_topic, "cc-6",
                     "Bundle.entry[5].resource(Communication).topic"),
        _fhir_broken(new, "CareCommunication-thread-id-not-uuid", bad_thread_id,
                     "medcom-uuidv4",
                     "Bundle.entry[8].resource(Communication).identifier[0].value"),
        _fhir_broken(new, "CareCommunication-legacy-4.0-definition", legacy_definition,
                     "fhir.unsupported-version",
                     "Bundle.entry[0].resource(MessageHeader).definition", version="4.0.0"),
        _fhir_broken(fatal, "Acknowledgement-fatal-error-without-outcome", no_outcome,
                     "medcom-acknowledgement-1",
                     "Bundle.entry[0].resource(MessageHeader).response.code"),
        _fhir_broken(fatal, "Acknowledgement-issue-severity-unknown", unknown_severity,
                     "fhir.binding",
                     "Bundle.entry[5].resource(OperationOutcome).issue[0].severity"),
    ]


def own_check_fixtures(valid: dict[str, Fixture]) -> list[Fixture]:
    """Valid by MedCom's rules, failing one check of our own: read with one warning."""
    ref = valid["oioxml/XREF01-XH0131R-every-optional-element.xml"]
    xbin = valid["oioxml/XBIN01-XB0131X-pdf.xml"]
    edi = valid["edifact/REF01-H0130R-minimal.edi"]
    return [
        _own_check_broken(ref, "XREF01-cpr-impossible-date", b"2509479989", b"3102479989",
                          "medcom.cpr-date",
                          "Emessage/HospitalReferral/Patient/CivilRegistrationNumber"),
        _own_check_broken(ref, "XREF01-kommunenummer-holding-a-location-number",
                          b"<Identifier>953741000016009</Identifier><IdentifierCode>sorkode<",
                          b"<Identifier>5790000123452</Identifier><IdentifierCode>"
                          b"kommunenummer<", "medcom.identifier-shape",
                          "Emessage/HospitalReferral/Sender/Identifier"),
        _own_check_broken(ref, "XREF01-referrer-identifier-without-code",
                          b"<IdentifierCode>sorkode</IdentifierCode><PersonName>",
                          b"<PersonName>", "medcom.referrer-identifier",
                          "Emessage/HospitalReferral/Sender/Referrer/Identifier"),
        _own_check_broken(xbin, "XBIN01-size-mismatch", b"<OriginalObjectSize>",
                          b"<OriginalObjectSize>9", "medcom.object-size",
                          "Emessage/BinaryLetter/BinaryObject/OriginalObjectSize"),
        _own_check_broken(edi, "REF01-cpr-impossible-date", b"2509479989", b"3102479989",
                          "medcom.cpr-date", "segment 26 (PNA), column 1"),
    ]


def catalogue() -> list[Fixture]:
    valid = oioxml_fixtures() + fhir_fixtures()
    by_file = {f.file: f for f in valid}
    valid += edifact_fixtures(by_file) + envelope_fixtures(by_file)
    valid_by_file = {f.file: f for f in valid}
    broken = invalid_fixtures(valid_by_file)
    by_broken = {f.file: f for f in broken}
    return (valid + own_check_fixtures(valid_by_file) + broken + edifact_invalid(valid_by_file)
            + envelope_invalid(valid_by_file, by_broken))


def manifest(fixtures: list[Fixture]) -> bytes:
    doc = {"description": "medcom-adapter certification catalogue: each fixture's kind, "
                          "version, scenario, expected verdict and, for invalid ones, the "
                          "expected error code and location (element path).",
           "generated_by": "python -m tests.catalogue",
           "fixtures": [f.row() for f in fixtures]}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def write(root: Path = ROOT) -> list[Fixture]:
    fixtures = catalogue()
    for sub in ("oioxml", "fhir", "edifact", "envelopes", "warning", "invalid"):
        folder = root / sub
        if folder.exists():
            for old in folder.iterdir():
                old.unlink()
    for f in fixtures:
        target = root / f.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)
    (root / "manifest.json").write_bytes(manifest(fixtures))
    return fixtures


DOC = ROOT.parents[1] / "docs" / "certification.md"


def markdown(fixtures: list[Fixture]) -> str:
    """The catalogue table of the vendor guide, one row per fixture."""
    lines = ["| file | kind | version | scenario | verdict | expected error (or warning) |",
             "|---|---|---|---|---|---|"]
    for f in fixtures:
        error = ""
        if f.error or f.warning:
            code, at = f.error or f.warning  # type: ignore[misc]
            error = f"`{code}`" + (f" at `{at}`" if at else "")
            error = error if f.error else f"warning {error}"
        lines.append(f"| `{f.file}` | {f.kind or '?'} | {f.version or '?'} | {f.scenario} | "
                     f"{'invalid' if f.error else 'valid'} | {error} |")
    return "\n".join(lines) + "\n"


def write_doc(fixtures: list[Fixture], doc: Path = DOC) -> None:
    """Replace the table between ``<!-- catalogue:start -->`` and ``<!-- catalogue:end -->``."""
    text = doc.read_text(encoding="utf-8")
    head, _, rest = text.partition("<!-- catalogue:start -->\n")
    _, _, tail = rest.partition("<!-- catalogue:end -->")
    doc.write_text(f"{head}<!-- catalogue:start -->\n{markdown(fixtures)}"
                   f"<!-- catalogue:end -->{tail}", encoding="utf-8")


if __name__ == "__main__":
    written = write()
    write_doc(written)
    print(f"wrote {len(written)} fixtures and manifest.json to {ROOT}, and the table in {DOC}")
