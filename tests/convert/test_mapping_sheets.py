"""MedCom's mapping sheets, row by row: XDIS91 (+XBIN01) <-> CareCommunication (January 2026)
and XCTL <-> Acknowledgement.

The cases are generated from the sheets' CSVs in ../shared/medcom-official/conversion/ (and
skip cleanly without them): every row is one case. A row that maps a field is checked by
the entry in ``CHECKS`` for its direction and name: a message with the field filled is
converted and the field looked for on the other side. A row that maps nothing (``-`` on
the far side, or both) is checked to still say so. A row without a check fails, so a new
row in MedCom's sheet is noticed. Where we deliberately do otherwise than a row says, its
check asserts what we do and ``DIFFERENCES`` says why; docs/conversion.md lists the same.
"""

from __future__ import annotations

import csv
import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from medcom_adapter.convert import xctl_ack, xdis91_fhir
from medcom_adapter.convert.links import CONVERSION_FAILED, Link
from medcom_adapter.fhir import acknowledgement as ack_fhir
from medcom_adapter.fhir.acknowledging import answer as acknowledge
from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.threads import NewAttachment, new_message
from medcom_adapter.model.acknowledgement import ERROR_CODES, AckCode, Acknowledgement, OutcomeIssue
from medcom_adapter.model.carecommunication import (
    AttachmentSegment,
    Author,
    CarePatient,
    CareTeam,
    Category,
    Coding,
    EpisodeOfCareRef,
    Party,
    Priority,
)
from medcom_adapter.model.codes import ObjectCode
from medcom_adapter.model.correspondence import ClinicalEmail, EpisodeOfCareStatus
from medcom_adapter.model.identifiers import Cpr
from medcom_adapter.model.letters import BinaryLetter, BinaryRef, UrlRef
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.parties import person_id
from medcom_adapter.model.receipts import Receipt, ReceiptKind
from medcom_adapter.oioxml.emessage import build, parse
from medcom_adapter.oioxml.receipting import answer
from tests import samples
from tests.conftest import OFFICIAL, ROOT
from tests.convert.test_xdis91_fhir import km_with_attachment, sor_of

SHEETS = OFFICIAL / "conversion"
Json = dict[str, Any]


@dataclass(frozen=True)
class Sheet:
    file: str
    direction: str  # to_fhir | to_oioxml | xctl_to_ack | ack_to_xctl
    source: int  # column of the element on the side converted from
    target: int  # column of the element on the side converted to
    binary: int | None = None  # column of the XBIN01 element, where the sheet has one


XDIS = "Mapning-XDIS91-CareCommunication_v500_januar2026__"
XCTL = "Mapning-XCTL-Acknowledgement__"
ALL_SHEETS = (
    Sheet(f"{XDIS}XDIS91_-_CareCommunication.csv", "to_fhir", 1, 3),
    Sheet(f"{XDIS}XDIS91_MedBin_-_CareCommunicat.csv", "to_fhir", 1, 5, binary=3),
    Sheet(f"{XDIS}CareCommunication_-_XDIS91.csv", "to_oioxml", 1, 3),
    Sheet(f"{XDIS}CareCommunicat_-_XDIS91_MedBin.csv", "to_oioxml", 1, 3, binary=5),
    Sheet(f"{XCTL}XCTL_-_Acknowledgement.csv", "xctl_to_ack", 1, 3),
    Sheet(f"{XCTL}Acknowledgement_-_XCTL.csv", "ack_to_xctl", 1, 3),
)


@dataclass(frozen=True)
class Row:
    sheet: Sheet
    line: int
    name: str
    source: str
    target: str
    binary: str

    @property
    def maps(self) -> bool:
        """Whether the row carries anything to the side converted to (an XBIN01 column is a
        source going to FHIR and a target coming from it)."""
        to_binary = self.sheet.direction == "to_oioxml" and _filled(self.binary)
        return _filled(self.target) or to_binary


def _filled(cell: str) -> bool:
    return cell.strip() not in ("", "-")


def _cell(cells: list[str], column: int | None) -> str:
    return cells[column].strip() if column is not None and column < len(cells) else ""


def rows() -> list[Row]:
    if not SHEETS.is_dir():
        return []
    found = []
    for sheet in ALL_SHEETS:
        with (SHEETS / sheet.file).open(encoding="utf-8") as handle:
            for line, cells in enumerate(csv.reader(handle), start=1):
                name = cells[0].strip()
                if line == 1 or (name in ("", "-")
                                 and not any(_filled(c) for c in cells[1:7])):
                    continue
                found.append(Row(sheet, line, name, _cell(cells, sheet.source),
                                 _cell(cells, sheet.target), _cell(cells, sheet.binary)))
    return found


# --------------------------------------------------------------------------- the messages

@dataclass(frozen=True)
class ToFhir:
    km: ClinicalEmail
    xbin: BinaryLetter
    message: Emessage
    xbin_message: Emessage
    bundle: Json
    link: Link

    def one(self, kind: str) -> Json:
        return next(e["resource"] for e in self.bundle["entry"]
                    if e["resource"]["resourceType"] == kind)

    def org(self, gln: str) -> Json:
        return next(e["resource"] for e in self.bundle["entry"]
                    if e["resource"]["resourceType"] == "Organization"
                    and {"system": "https://www.gs1.org/gln", "value": gln}
                    in e["resource"]["identifier"])

    def payloads(self) -> list[Json]:
        return list(self.one("Communication")["payload"])

    def attachment(self) -> Json:
        return next(p["contentAttachment"] for p in self.payloads()
                    if "data" in p.get("contentAttachment", {}))

    def link_attachment(self) -> Json:
        return next(p["contentAttachment"] for p in self.payloads()
                    if "url" in p.get("contentAttachment", {}))


@cache
def to_fhir_world() -> ToFhir:
    message, binary = km_with_attachment()
    km = message.letters[0]
    assert isinstance(km, ClinicalEmail)
    km = dataclasses.replace(km, patient_status=EpisodeOfCareStatus.ADMITTED)
    message = Emessage(message.envelope, (km,))
    xbin_message = Emessage(Envelope("XBIN0162528", samples.WHEN), (binary,))
    cc, link = xdis91_fhir.to_fhir_linked(message, [xbin_message], sor_of=sor_of)
    return ToFhir(km, binary, message, xbin_message, to_bundle(cc), link)


@dataclass(frozen=True)
class ToOioxml:
    cc: Any
    km: ClinicalEmail
    xbin: BinaryLetter
    out: xdis91_fhir.OioxmlMessages

    def text(self) -> str:
        return "\n".join(t.to_plain() for t in self.km.texts)

    @property
    def file(self) -> AttachmentSegment:
        return next(s for s in self.cc.segments if isinstance(s, AttachmentSegment) and s.data)

    @property
    def link(self) -> AttachmentSegment:
        return next(s for s in self.cc.segments if isinstance(s, AttachmentSegment) and s.url)


SENDER = Party("953741000016009", "5790000123452", "Eksempel Kommune, PPR, Tidlig indsats")
RECEIVER = Party("265161000016000", "5790000121526", "Lægehuset Eksempel")
AUTHOR = Author("Hansen", ("Lise",), role=Coding(
    "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-PractitionerRoles",
    "sygeplejerske"))
WHEN = datetime(2026, 11, 20, 9, 30, 41, tzinfo=UTC)


@cache
def to_oioxml_world() -> ToOioxml:
    cc = new_message(
        sender=SENDER, receiver=RECEIVER,
        patient=CarePatient(Cpr("2509479989"), "Elmer", ("Bruno", "Test"),
                            address_lines=("Testvej 3",), city="Eksempelby",
                            postal_code="9999"),
        category=Category.REGARDING_REFERRAL, topic="Henvisning til BUP",
        priority=Priority.ASAP, text="Kære læge\nBruno er henvist.", author=AUTHOR,
        phone="70100000", now=WHEN,
        episode_of_care=EpisodeOfCareRef(samples.COURSE_ID, None, "in-progress", "IMP"),
        attachments=(NewAttachment("Skoleudtalelse", "application/pdf", samples.PDF),),
        sender_detail=CareTeam("Team Tidlig indsats", SENDER),
        recipient_detail=Author("Testlæge", ("Hans",), role_text="Læge"),
    )
    url = AttachmentSegment("urn:uuid:11111111-2222-4333-8444-555555555555", WHEN, SENDER,
                            "Vejledning", url="https://example.invalid/vejledning")
    latest = dataclasses.replace(cc.latest, segment_ids=(*cc.latest.segment_ids, url.id))
    cc = dataclasses.replace(cc, segments=(*cc.segments, url), history=(latest,))
    out = xdis91_fhir.to_oioxml(cc)
    km = parse(build(out.correspondence, "XD9134L")).message.letters[0]
    xbin = parse(build(out.binaries[0], "XB0131X")).message.letters[0]
    assert isinstance(km, ClinicalEmail) and isinstance(xbin, BinaryLetter)
    return ToOioxml(cc, km, xbin, out)


@dataclass(frozen=True)
class Receipts:
    cc: Any
    link: Link
    xctl: Emessage  # the negative one, for the XDIS91
    receipt: Receipt
    ack: Acknowledgement
    bundle: Json

    def header(self) -> Json:
        return dict(self.bundle["entry"][0]["resource"])

    def resources(self, kind: str) -> list[Json]:
        return [e["resource"] for e in self.bundle["entry"]
                if e["resource"]["resourceType"] == kind]

    def party(self, reference: str) -> Json:
        return next(e["resource"] for e in self.bundle["entry"]
                    if e["fullUrl"].endswith(reference))


@cache
def xctl_to_ack_world() -> Receipts:
    message, binary = km_with_attachment()
    cc = xdis91_fhir.to_fhir(message, [binary], sor_of=sor_of)
    out = xdis91_fhir.to_oioxml(cc)
    broken = build(out.correspondence, "XD9134L").replace(b"<Priority>", b"<Prioritet>", 1)
    results = [answer(broken, now=datetime(2026, 11, 22, 12, 5)),
               answer(build(out.binaries[0], "XB0131X"), now=datetime(2026, 11, 22, 12, 5))]
    xctls = [parse(r.build()).message for r in results]
    ack = xctl_ack.to_fhir(xctls, link=out.link)
    receipt = xctls[0].letters[0]
    assert isinstance(receipt, Receipt)
    return Receipts(cc, out.link, xctls[0], receipt, ack, ack_fhir.to_bundle(ack))


@cache
def ack_to_xctl_world() -> Receipts:
    message, binary = km_with_attachment()
    xbin = Emessage(Envelope("XBIN0162528", samples.WHEN), (binary,))
    cc, link = xdis91_fhir.to_fhir_linked(message, [xbin], sor_of=sor_of, incomplete=False)
    result = acknowledge(to_bundle(cc), now=datetime(2026, 11, 22, 12, 5, tzinfo=UTC))
    assert result.ack is not None
    issue = OutcomeIssue("error", "not-found",
                         Coding(ERROR_CODES, "MSG_Receiver_Identifier_UNKNOWN"), "Ukendt modtager")
    ack = dataclasses.replace(result.ack, code=AckCode.FATAL_ERROR, issues=(issue,))
    xctl = xctl_ack.to_oioxml(ack, link)[0]
    receipt = parse(build(xctl, "XC0230Q")).message.letters[0]
    assert isinstance(receipt, Receipt)
    return Receipts(cc, link, xctl, receipt, ack, ack_fhir.to_bundle(ack))


def is_uuid(value: str) -> bool:
    return str(uuid.UUID(value.removeprefix("urn:uuid:"))) == value.removeprefix("urn:uuid:")


SOR = "urn:oid:1.2.208.176.1.1"
GLN = "https://www.gs1.org/gln"

# --------------------------------------------------------------------------- the checks
# Each check gets the row (for the XBIN01 column) and asserts; names as in the sheets.

Check = Callable[[Row], None]


def _f(check: Callable[[ToFhir], object]) -> Check:
    def run(row: Row) -> None:
        assert check(to_fhir_world()), row

    return run


def _o(check: Callable[[ToOioxml], object]) -> Check:
    def run(row: Row) -> None:
        assert check(to_oioxml_world()), row

    return run


def _x(check: Callable[[Receipts], object]) -> Check:
    def run(row: Row) -> None:
        assert check(xctl_to_ack_world()), row

    return run


def _a(check: Callable[[Receipts], object]) -> Check:
    def run(row: Row) -> None:
        assert check(ack_to_xctl_world()), row

    return run


def _stamp(w: ToFhir) -> bool:
    return str(w.bundle["timestamp"]).startswith(w.message.envelope.sent.strftime("%Y-%m-%dT%H:%M"))


def _sender_ids(w: ToFhir) -> list[Json]:
    return list(w.org(str(w.km.sender.ean))["identifier"])


TO_FHIR: dict[str, Check] = {
    "Date for Message sent": _f(_stamp),
    "Time for Message sent": _f(_stamp),
    "Message envelope id": _f(lambda w: is_uuid(w.bundle["id"])
                              and w.link.letters[0].envelope_id == w.message.envelope.identifier
                              and w.link.letters[1].envelope_id == "XBIN0162528"),
    "Bundle type": _f(lambda w: w.bundle["type"] == "message"),
    "AcknowledgementCode": _f(lambda w: w.message.envelope.acknowledgement.value
                              == "pluspositivkvitt"),
    "Destination use": _f(lambda w: w.one("MessageHeader")["destination"][0]["extension"][0]
                          ["valueCoding"]["code"] == "primary"),
    "Destination endpoint": _f(lambda w: w.one("MessageHeader")["destination"][0]["endpoint"]
                               .endswith(w.link.receiver.sor)),
    "Sender endpoint": _f(lambda w: w.one("MessageHeader")["source"]["endpoint"]
                          .endswith(w.link.sender.sor)),
    "Message letter id": _f(lambda w: is_uuid(w.one("MessageHeader")["id"])
                            and w.link.letters[0].letter_id == w.km.letter.identifier
                            and w.link.letters[1].letter_id == w.xbin.letter.identifier),
    "Message definition": _f(lambda w: w.one("MessageHeader")["definition"].endswith(
        "MedComCareCommunicationMessageDefinition|5.0")),
    "Version code": _f(lambda w: [x.version_code for x in w.link.letters]
                       == ["XD9134L", "XB0131X"]),
    "Statistical code": _f(lambda w: "StatisticalCode" not in str(w.bundle)),
    "Authorisation date": _f(lambda w: w.payloads()[0]["extension"][0]["valueDateTime"]
                             .startswith(w.km.letter.authorised.strftime("%Y-%m-%dT%H:%M"))),
    "Authorisation time": _f(lambda w: w.payloads()[0]["extension"][0]["valueDateTime"]
                             .startswith(w.km.letter.authorised.strftime("%Y-%m-%dT%H:%M"))),
    "Message type (DIS91)": _f(lambda w: w.one("MessageHeader")["eventCoding"]["code"]
                               == "care-communication-message"),
    "Message status/activity": _f(lambda w: w.one("Provenance")["activity"]["coding"][0]["code"]
                                  == "new-message"),
    "Episode of care identifier": _f(lambda w: w.one("Encounter")["episodeOfCare"][0]
                                     ["identifier"]["value"] == samples.COURSE_ID),
    "EAN id for sender": _f(lambda w: {"system": GLN, "value": str(w.km.sender.ean)}
                            in _sender_ids(w)),
    "Sender id": _f(lambda w: {"system": SOR, "value": w.km.sender.identifier}
                    in _sender_ids(w)),
    "Sender identifier type": _f(lambda w: w.km.sender.identifier_code.value == "sorkode"),
    "Sender SOR": _f(lambda w: any(i["system"] == SOR for i in _sender_ids(w))),
    "Sender organization name": _f(lambda w: w.org(str(w.km.sender.ean))["name"]
                                   == "Eksempel Kommune, PPR, Tidlig indsats"),
    "Sender department": _f(lambda w: "PPR" in w.org(str(w.km.sender.ean))["name"]),
    "Sender unit": _f(lambda w: "Tidlig indsats" in w.org(str(w.km.sender.ean))["name"]),
    "Sender telephone": _f(lambda w: w.payloads()[0]["extension"][3]["valueContactPoint"]
                           == {"system": "phone", "value": w.km.sender.phone}),
    "EAN id for receiver": _f(lambda w: w.org(str(w.km.receiver.ean)) is not None),
    "Receiver id": _f(lambda w: {"system": SOR, "value": "265161000016000"}
                      in w.org(str(w.km.receiver.ean))["identifier"]),
    "Receiver SOR": _f(lambda w: any(i["system"] == SOR
                                     for i in w.org(str(w.km.receiver.ean))["identifier"])),
    "Receiver organization name": _f(lambda w: w.org(str(w.km.receiver.ean))["name"]
                                     == w.km.receiver.name),
    "Patient id": _f(lambda w: w.one("Patient")["identifier"] == [
        {"system": "urn:oid:1.2.208.176.1.2", "value": str(w.km.patient.id)}]),
    "Patient family name": _f(lambda w: w.one("Patient")["name"][0]["family"]
                              == w.km.patient.surname),
    "Patient name": _f(lambda w: w.one("Patient")["name"][0]["given"]
                       == [w.km.patient.given_name]),
    "Patient street name": _f(lambda w: w.one("Patient")["address"][0]["line"]
                              == [w.km.patient.address.street]),
    "Patient city name": _f(lambda w: w.one("Patient")["address"][0]["city"]
                            == w.km.patient.address.district),
    "Patient post code": _f(lambda w: w.one("Patient")["address"][0]["postalCode"]
                            == w.km.patient.address.postcode),
    "Episode of care status": _f(lambda w: (w.one("Encounter")["status"],
                                            w.one("Encounter")["class"]["code"])
                                 == ("in-progress", "IMP")),
    "Communication identifier": _f(lambda w: uuid.UUID(w.one("Communication")["identifier"][0]
                                                       ["value"][9:]).version == 4),
    "Communication status": _f(lambda w: w.one("Communication")["status"] == "unknown"),
    "Category": _f(lambda w: w.one("Communication")["category"][0]["coding"][0]["code"]
                   == "other"),
    "Priority": _f(lambda w: "priority" not in w.one("Communication")
                   and w.payloads()[1]["contentString"].endswith(xdis91_fhir.HIGH_PRIORITY)),
    "Subject": _f(lambda w: w.one("Communication")["topic"]["text"] == w.km.subject),
    "Text": _f(lambda w: w.payloads()[0]["contentString"] == w.km.texts[0].to_plain()),
    "Payload.string Provenance reference": _f(
        lambda w: w.payloads()[0]["extension"][1]["valueIdentifier"]["value"]
        in str(w.one("Provenance")["entity"])),
    "Payload.attachment Provenance reference": _f(
        lambda w: all(p["extension"][1]["valueIdentifier"]["value"]
                      in str(w.one("Provenance")["entity"]) for p in w.payloads())),
    "Author role": _f(lambda w: w.one("PractitionerRole")["code"] == [{"text": "ukendt"}]),
    "Author name": _f(lambda w: w.one("Practitioner")["name"][0]["family"]
                      == w.org(str(w.km.sender.ean))["name"]),
    "attachment id": _f(lambda w: any(p["extension"][1]["valueIdentifier"]["value"]
                                      == f"urn:uuid:{samples.COURSE_ID}" for p in w.payloads())),
    "attachment code": _f(lambda w: w.attachment()["title"] == "Skoleudtalelse"),
    "attachment extension code": _f(lambda w: w.attachment()["contentType"]
                                    == "application/pdf"),
    "attachment size": _f(lambda w: "size" not in w.attachment()),
    "attachment content": _f(lambda w: w.attachment()["data"].startswith("JVBERi")),
    "attachment date": _f(lambda w: all("valueDateTime" in p["extension"][0]
                                        for p in w.payloads())),
    "url": _f(lambda w: w.link_attachment()["url"] == "https://example.invalid/u"
              and w.link_attachment()["title"] == "Skoleudtalelse"),
    "URL id": _f(lambda w: any(is_uuid(p["extension"][1]["valueIdentifier"]["value"])
                               for p in w.payloads() if "url" in p.get("contentAttachment", {}))),
    "URL date": _f(lambda w: all("valueDateTime" in p["extension"][0] for p in w.payloads())),
    "Message sent dateTime": _f(lambda w: w.one("Provenance")["occurredDateTime"]
                                == w.one("Provenance")["recorded"] == w.bundle["timestamp"]),
}

TO_OIOXML: dict[str, Check] = {
    "Date for Message sent": _o(lambda w: w.out.correspondence.envelope.sent
                                == datetime(2026, 11, 20, 10, 30)),  # Danish time, minutes
    "Time for Message sent": _o(lambda w: w.out.binaries[0].envelope.sent
                                == datetime(2026, 11, 20, 10, 30)),
    "Message envelope id": _o(lambda w: len(w.out.correspondence.envelope.identifier) <= 14
                              and w.out.link.bundle_id == w.cc.bundle_id),
    "Version code": _o(lambda w: [x.version_code for x in w.out.link.letters]
                       == ["XD9134L", "XB0131X"]),
    "Statistical code": _o(lambda w: b"<StatisticalCode>XDIS91</StatisticalCode>"
                           in build(w.out.correspondence, "XD9134L")),
    "AcknowledgementCode": _o(lambda w: w.out.correspondence.envelope.acknowledgement.value
                              == w.out.binaries[0].envelope.acknowledgement.value
                              == "pluspositivkvitt"),
    "Message letter id": _o(lambda w: w.out.link.message_id == w.cc.message_id
                            and len(w.km.letter.identifier) <= 14),
    "Message type": _o(lambda w: b"<TypeCode>XDIS91</TypeCode>"
                       in build(w.out.correspondence, "XD9134L")),
    "Sender EAN": _o(lambda w: str(w.km.sender.ean) == str(w.xbin.sender.ean) == SENDER.gln),
    "Sender SOR": _o(lambda w: w.km.sender.identifier == SENDER.sor),
    "Sender organization name": _o(lambda w: (w.km.sender.name, w.km.sender.department,
                                              w.km.sender.unit)
                                   == ("Eksempel Kommune", "PPR", "Tidlig indsats")
                                   and w.xbin.sender.name == "Eksempel Kommune"),
    "Sender id": _o(lambda w: w.km.sender.identifier == w.xbin.sender.identifier == SENDER.sor),
    "Sender identifier type": _o(lambda w: w.km.sender.identifier_code.value == "sorkode"),
    "Receiver EAN": _o(lambda w: str(w.km.receiver.ean) == str(w.xbin.receiver.ean)
                       == RECEIVER.gln),
    "Receiver SOR": _o(lambda w: w.km.receiver.identifier == RECEIVER.sor),
    "Receiver organization name": _o(lambda w: w.km.receiver.name == RECEIVER.name),
    "Receiver id": _o(lambda w: w.km.receiver.identifier == w.xbin.receiver.identifier
                      == RECEIVER.sor),
    "Receiver identifier type": _o(lambda w: w.km.receiver.identifier_code.value == "sorkode"),
    "Patient id": _o(lambda w: str(w.km.patient.id) == str(w.xbin.patient.id)  # type: ignore[union-attr]
                     == "2509479989"),
    "Patient family name": _o(lambda w: w.km.patient.surname == "Elmer"
                              and w.xbin.patient is not None and w.xbin.patient.surname == "Elmer"),
    "Patient name": _o(lambda w: w.km.patient.given_name == "Bruno Test"),
    "Patient street name": _o(lambda w: w.km.patient.address.street == "Testvej 3"),
    "Patient city name": _o(lambda w: w.km.patient.address.district == "Eksempelby"),
    "Patient post code": _o(lambda w: w.km.patient.address.postcode == "9999"),
    "Episode of care identifier": _o(lambda w: w.km.episode_of_care == samples.COURSE_ID),
    "Episode of care status": _o(lambda w: w.km.patient_status is EpisodeOfCareStatus.ADMITTED),
    "Communication identifier": _o(lambda w: w.cc.thread_id not in w.text()),
    "Category": _o(lambda w: w.km.subject == "Vedr. henvisning, Henvisning til BUP"),
    "Priority": _o(lambda w: w.km.priority is not None
                   and w.km.priority.value == "høj_prioritet"),
    "Subject": _o(lambda w: (w.km.subject or "").endswith("Henvisning til BUP")),
    "Text": _o(lambda w: "Kære læge\nBruno er henvist." in w.text()),
    "Authorisation date": _o(lambda w: w.km.letter.authorised == datetime(2026, 11, 20, 10, 30)),
    "Authorisation time": _o(lambda w: w.xbin.letter.authorised == datetime(2026, 11, 20, 10, 30)),
    "Author role": _o(lambda w: "sygeplejerske" in w.text()),
    "Author name": _o(lambda w: "Lise Hansen" in w.text()),
    "Author contact": _o(lambda w: w.km.sender.phone == "70100000"),
    "attachment id": _o(lambda w: [str(r.target.object_id) for r in w.km.references
                                   if isinstance(r.target, BinaryRef)]
                        == [str(w.xbin.objects[0].object_id)] == [w.file.id[9:]]),
    "attachment code": _o(lambda w: w.xbin.objects[0].object_code is ObjectCode.VECTOR_GRAPHICS
                          and w.km.references[0].description == "Skoleudtalelse"),
    "attachment extension code": _o(lambda w: w.xbin.objects[0].extension.value == "pdf"),
    "attachment content": _o(lambda w: w.xbin.objects[0].data == samples.PDF),
    "attachment size": _o(lambda w: [r.target.size for r in w.km.references
                                     if isinstance(r.target, BinaryRef)] == [len(samples.PDF)]),
    "URL code": _o(lambda w: any(r.description == "Vejledning" for r in w.km.references)),
    "URL content": _o(lambda w: any(isinstance(r.target, UrlRef)
                                    and r.target.url == w.link.url for r in w.km.references)),
    "Specific sender": _o(lambda w: "Afsender: Team Tidlig indsats" in w.text()),
    "Specific recipient": _o(lambda w: "Modtager: Hans Testlæge (Læge)" in w.text()),
    "specific recipient": _o(lambda w: "Modtager: Hans Testlæge (Læge)" in w.text()),
    "Message status/activity": _o(lambda w: w.km.letter.status.value == "nytbrev"),
}


def _text(receipt: Receipt) -> str:
    return receipt.refusal.text.to_plain() if receipt.refusal and receipt.refusal.text else ""


XCTL_TO_ACK: dict[str, Check] = {
    "Date for Message sent": _x(lambda w: w.ack.timestamp.replace(tzinfo=None)
                                == w.xctl.envelope.sent),
    "Time for Message sent": _x(lambda w: w.ack.timestamp.minute == w.xctl.envelope.sent.minute),
    "Message envelope id": _x(lambda w: is_uuid(w.ack.bundle_id)),
    "Bundle type": _x(lambda w: w.bundle["type"] == "message"),
    "AcknowledgementCode": _x(lambda w: w.xctl.envelope.acknowledgement.value
                              == "minuspositivkvitt"),
    "Type of Acknowledgement": _x(lambda w: w.header()["response"]["code"] == "fatal-error"),
    "Message letter id": _x(lambda w: is_uuid(w.ack.message_id)),
    "Statistical code": _x(lambda w: w.header()["eventCoding"]["code"]
                           == "acknowledgement-message"),
    "EAN id for sender": _x(lambda w: w.ack.sender.gln == w.receipt.sender_ean),
    "EAN id for receiver": _x(lambda w: w.ack.receiver.gln == w.receipt.receiver_ean),
    "SOR id for sender": _x(lambda w: w.ack.sender.sor == w.cc.receiver.sor),
    "SOR id for receiver": _x(lambda w: w.ack.receiver.sor == w.cc.sender.sor),
    "Name Sender": _x(lambda w: w.ack.sender.name == w.cc.receiver.name),
    "Name receiver": _x(lambda w: w.ack.receiver.name == w.cc.sender.name),
    "Destination use": _x(lambda w: w.header()["destination"][0]["extension"][0]["valueCoding"]
                          ["code"] == "primary"),
    "Destination endpoint": _x(lambda w: w.header()["destination"][0]["endpoint"]
                               .endswith(w.cc.sender.sor)),
    "Sender endpoint": _x(lambda w: w.header()["source"]["endpoint"].endswith(w.cc.receiver.sor)),
    "Original Envelope identifier": _x(lambda w: w.link.letter(
        w.receipt.original_envelope_id, w.receipt.letters[0].identifier) is not None),
    "Original sender": _x(lambda w: w.receipt.original_sender_ean == w.ack.receiver.gln),
    "Original receiver": _x(lambda w: w.receipt.original_receiver_ean == w.ack.sender.gln),
    "Original SOR id for sender": _x(lambda w: w.ack.receiver.sor == w.cc.sender.sor),
    "Original SOR id for receiver": _x(lambda w: w.ack.sender.sor == w.cc.receiver.sor),
    "Original Name Sender": _x(lambda w: w.ack.receiver.name == w.cc.sender.name),
    "Original Name receiver": _x(lambda w: w.ack.sender.name == w.cc.receiver.name),
    "Refuse Code": _x(lambda w: w.ack.issues[0].code == "structure"),
    "Details about severity": _x(lambda w: w.ack.issues[0].severity == "error"),
    "Refuse text": _x(lambda w: w.ack.issues[0].text == _text(w.receipt)),
    "Additional refuse code": _x(lambda w: w.ack.issues[0].details is not None),
    "Orginal Message id": _x(lambda w: w.header()["response"]["identifier"] == w.cc.message_id),
    "Orginal Message versionCode": _x(lambda w: w.receipt.letters[0].version_code == "XD9134L"),
    "Message sent dateTime": _x(lambda w: w.resources("Provenance")[-1]["occurredDateTime"]
                                == w.bundle["timestamp"]),
    "Activity code": _x(lambda w: w.resources("Provenance")[-1]["activity"]["coding"][0]["code"]
                        == "acknowledgement"),
    "Type of response": _x(lambda w: w.resources("Provenance")[-1]["entity"][0]["role"]
                           == "revision"),
}

ACK_TO_XCTL: dict[str, Check] = {
    "Date for Message sent": _a(lambda w: w.xctl.envelope.sent == datetime(2026, 11, 22, 13, 5)),
    "Time for Message sent": _a(lambda w: w.xctl.envelope.sent.second == 0),
    "Message envelope id": _a(lambda w: len(w.xctl.envelope.identifier) <= 14),
    "AcknowledgementCode": _a(lambda w: w.xctl.envelope.acknowledgement.value
                              == "minuspositivkvitt"),
    "Type of Acknowledgement": _a(lambda w: w.receipt.kind is ReceiptKind.NEGATIVE),
    "Message letter id": _a(lambda w: len(w.receipt.identifier) <= 14),
    "Statistical code": _a(lambda w: b"<StatisticalCode>XCTL02</StatisticalCode>"
                           in build(w.xctl, "XC0230Q")),
    "Orginal Message id": _a(lambda w: w.receipt.letters[0].identifier == "K0000001"),
    "EAN id for sender": _a(lambda w: w.receipt.sender_ean == w.ack.sender.gln),
    "EAN id for receiver": _a(lambda w: w.receipt.receiver_ean == w.ack.receiver.gln),
    "Original sender": _a(lambda w: w.receipt.original_sender_ean == w.link.letters[0].sender_ean),
    "Original receiver": _a(lambda w: w.receipt.original_receiver_ean
                            == w.link.letters[0].receiver_ean),
    "Original Envelope identifier": _a(lambda w: w.receipt.original_envelope_id
                                       == w.link.letters[0].envelope_id),
    "Refuse Code": _a(lambda w: w.receipt.refusal is not None
                      and w.receipt.refusal.code is not None
                      and w.receipt.refusal.code.value == "ukendt_lokationsnummer"),
    "Refuse text": _a(lambda w: _text(w.receipt) == "Ukendt modtager"),
    "Orginal Message versionCode": _a(lambda w: w.receipt.letters[0].version_code == "XD9134L"),
    "Refuse Letter Code": _a(lambda w: w.receipt.letters[0].refusal == w.receipt.refusal),
    "Refuse Letter  text": _a(lambda w: w.receipt.letters[0].refusal == w.receipt.refusal),
}

def _alternative_to_fhir(row: Row) -> None:
    """A replacement CPR gets the system its 7th digit says (1 or 7: X-eCPR)."""
    message, binary = km_with_attachment()
    km = message.letters[0]
    assert isinstance(km, ClinicalEmail)
    for value, system in (("0703921VJ5", "urn:oid:1.2.208.176.1.6.1.1"),
                          ("0703925AB1", "urn:oid:1.2.208.176.1.6.1.3")):
        patient = dataclasses.replace(km.patient, id=person_id(value))
        letter = Emessage(message.envelope, (dataclasses.replace(km, patient=patient),))
        bundle = to_bundle(xdis91_fhir.to_fhir(letter, [binary], sor_of=sor_of))
        found = next(e["resource"] for e in bundle["entry"]
                     if e["resource"]["resourceType"] == "Patient")["identifier"]
        assert found == [{"system": system, "value": value}], row


def _alternative_to_oioxml(row: Row) -> None:
    world = to_oioxml_world()
    cc = dataclasses.replace(world.cc, patient=dataclasses.replace(
        world.cc.patient, id=person_id("0703921VJ5")))
    out = xdis91_fhir.to_oioxml(cc)
    assert b"<AlternativeIdentifier>0703921VJ5</AlternativeIdentifier>" in build(
        out.correspondence, "XD9134L"), row
    xbin = out.binaries[0].letters[0]
    assert isinstance(xbin, BinaryLetter) and xbin.patient is not None
    assert str(xbin.patient.id) == "0703921VJ5", row


TO_FHIR["Patient alternative id"] = _alternative_to_fhir
TO_OIOXML["Patient alternative id"] = _alternative_to_oioxml
ACK_TO_XCTL["Version code"] = _a(lambda w: b"<VersionCode>XC0230Q</VersionCode>"
                                 in build(w.xctl, "XC0230Q"))

CHECKS = {"to_fhir": TO_FHIR, "to_oioxml": TO_OIOXML, "xctl_to_ack": XCTL_TO_ACK,
          "ack_to_xctl": ACK_TO_XCTL}

# Rows whose check asserts something other than the sheet says, and why (docs/conversion.md).
DIFFERENCES: dict[tuple[str, str], str] = {
    ("to_fhir", "Category"): "a subject that starts with a category's Danish display, as our "
    "FHIR -> XDIS91 writes it, gets that category back (the sheet: always 'other'), so a "
    "round trip keeps the category",
    ("to_oioxml", "Category"): "for category 'other' the subject is the topic alone: 'Andet, "
    "' before it would say nothing and not survive the way back",
    ("to_oioxml", "Sender organization name"): "a FHIR sender without Organization.name gets "
    "the SOR register's name (XDIS91 requires one), else 'SOR <id>'; each of organisation, "
    "department and unit is cut to XDIS91's 35 characters",
    ("to_oioxml", "Receiver identifier type"): "FHIR names every organisation by its SOR id, "
    "so the receiver's Identifier is always that SOR id with 'sorkode'",
    ("to_oioxml", "Text"): "a forward's forwarded texts, and a reply's earlier attachments by "
    "name, go into Text01 too, so the receiver of the XDIS91 loses nothing",
    ("xctl_to_ack", "Message envelope id"): "Bundle.id is a new UUID, not the XCTL's envelope "
    "id: FHIR requires UUIDs and our VANSEnvelope builder refuses anything else",
    ("xctl_to_ack", "Message letter id"): "MessageHeader.id is a new UUID for the same reason",
    ("xctl_to_ack", "Type of Acknowledgement"): "an XCTL01 (negative VANS receipt) is a "
    "fatal-error too: the sheet lists it, section 4.3 leaves its row empty",
    ("ack_to_xctl", "Message envelope id"): "new 14-character OIOXML ids: a FHIR id does not "
    "fit OIOXML's identifier fields",
    ("ack_to_xctl", "Message letter id"): "new 14-character OIOXML ids, as above",
    ("ack_to_xctl", "Type of Acknowledgement"): "transient-error becomes an XCTL02, as section "
    "4.3 says; OIOXML has no transient negative receipt",
}


ROWS = rows()


@pytest.mark.skipif(not ROWS, reason=f"MedCom's mapping sheets are not present at {SHEETS}")
@pytest.mark.parametrize("row", ROWS, ids=[
    f"{r.sheet.direction}{'+xbin01' if r.sheet.binary else ''}-{r.line}-{r.name}" for r in ROWS])
def test_row(row: Row) -> None:
    checks = CHECKS[row.sheet.direction]
    if not row.maps and row.name not in checks:
        assert not _filled(row.target)  # the sheet still maps it to nothing
        return
    assert row.name in checks, (f"no case for the sheet's row {row.line} {row.name!r} "
                                f"({row.source} -> {row.target or row.binary})")
    checks[row.name](row)


def test_every_difference_is_a_row_and_documented() -> None:
    names = {(r.sheet.direction, r.name) for r in ROWS}
    if not names:
        pytest.skip(f"MedCom's mapping sheets are not present at {SHEETS}")
    assert set(DIFFERENCES) <= names
    documented = (ROOT / "docs" / "conversion.md").read_text(encoding="utf-8")
    for direction, name in DIFFERENCES:
        assert f"{direction} | {name} |" in documented, (direction, name)


def test_an_incomplete_conversion_adds_the_conversion_services_text_in_the_xctl() -> None:
    message, _ = km_with_attachment()
    cc, link = xdis91_fhir.to_fhir_linked(message, [], sor_of=sor_of, incomplete=True)
    result = acknowledge(to_bundle(cc), now=datetime(2026, 11, 22, 12, 5, tzinfo=UTC))
    assert result.ack is not None
    ack = dataclasses.replace(result.ack, code=AckCode.FATAL_ERROR,
                              issues=(OutcomeIssue("error", "required", None, "mangler"),))
    (xctl,) = xctl_ack.to_oioxml(ack, link)
    receipt = xctl.letters[0]
    assert isinstance(receipt, Receipt)
    assert _text(receipt).startswith(CONVERSION_FAILED)

