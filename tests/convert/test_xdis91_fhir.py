"""XDIS91 <-> CareCommunication after MedCom's mapping: content survives the round trip."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from medcom_adapter.convert.xdis91_fhir import (
    HIGH_PRIORITY,
    NO_PHONE,
    ConversionError,
    to_fhir,
    to_fhir_linked,
    to_oioxml,
)
from medcom_adapter.fhir.carecommunication import from_bundle, to_bundle
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.model.carecommunication import AttachmentSegment, Category, TextSegment
from medcom_adapter.model.codes import ObjectCode, ObjectExtensionCode
from medcom_adapter.model.correspondence import (
    ClinicalEmail,
    CorrespondencePriority,
    EpisodeOfCareStatus,
)
from medcom_adapter.model.letters import BinaryLetter, BinaryObject, LetterHeader, ObjectId
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.parties import Organisation
from medcom_adapter.oioxml.emessage import build, parse
from tests import samples
from tests.conftest import official

SOR_DIRECTORY = {"5790000121526": "265161000016000", "5790000123452": "953741000016009",
                 "5790000120400": "330461000016004", "5790000125067": "441211000016000",
                 "5790000128700": "502191000016006"}


def sor_of(org: Organisation) -> str | None:
    return SOR_DIRECTORY.get(str(org.ean))


def km_with_attachment() -> tuple[Emessage, BinaryLetter]:
    obj = BinaryObject(ObjectId(samples.COURSE_ID), ObjectCode.IMAGE, ObjectExtensionCode.PDF,
                       samples.PDF)
    km = dataclasses.replace(
        samples.clinical_email(),
        references=(*samples.clinical_email().references, obj.reference("Skoleudtalelse")),
    )
    binary = BinaryLetter(LetterHeader("B1", samples.WHEN), km.sender, km.receiver, (obj,),
                          samples.binary_letter().patient)
    return Emessage(Envelope("ENV77", samples.WHEN), (km,)), binary


def is_uuid(value: str) -> bool:
    return str(uuid.UUID(value)) == value


def test_xdis91_to_fhir_follows_the_mapping() -> None:
    message, binary = km_with_attachment()
    cc, link = to_fhir_linked(message, [binary], sor_of=sor_of)
    # new UUIDs on the FHIR side; the link keeps the OIOXML ids for the receipts
    assert is_uuid(cc.bundle_id) and is_uuid(cc.message_id)
    assert (link.bundle_id, link.message_id) == (cc.bundle_id, cc.message_id)
    assert [(x.type_code, x.envelope_id, x.letter_id, x.version_code) for x in link.letters] \
        == [("XDIS91", "ENV77", "K0000001", "XD9134L")]
    assert cc.category is Category.OTHER and cc.topic == "Forløb i PPR efter §126a"
    assert cc.priority is None  # only allowed for referrals: it goes into the text
    texts = [s for s in cc.segments if isinstance(s, TextSegment)]
    assert texts[-1].text.endswith(HIGH_PRIORITY)
    assert texts[0].text == "Kære læge\nVi har haft Bruno i forløb."
    assert texts[0].author.role_text == "ukendt"
    assert texts[0].phone == samples.PPR.phone  # the sender's telephone
    assert cc.sender.name == "Eksempel Kommune, PPR, Tidlig indsats"
    attachment = next(s for s in cc.segments
                      if isinstance(s, AttachmentSegment) and s.data is not None)
    assert attachment.data == samples.PDF and attachment.content_type == "application/pdf"
    assert attachment.title == "Skoleudtalelse"
    assert cc.episode_of_care is not None
    assert cc.episode_of_care.value == samples.COURSE_ID
    assert (cc.episode_of_care.status, cc.episode_of_care.class_code) == ("unknown", "other")
    bundle = to_bundle(cc)
    assert [str(i) for i in validate_message(bundle) if not i.warning] == []
    assert from_bundle(bundle) == cc  # a valid Bundle we can read back


def test_sender_telephone_from_the_letter_or_sor_else_the_placeholder() -> None:
    message, binary = km_with_attachment()
    km = message.letters[0]
    assert isinstance(km, ClinicalEmail)
    assert km.sender.phone
    cc = to_fhir(message, [binary], sor_of=sor_of, phone_of=lambda org: "+45 99 88 77 66")
    assert {s.phone for s in cc.segments} == {km.sender.phone}
    none = Emessage(message.envelope, (dataclasses.replace(
        km, sender=dataclasses.replace(km.sender, phone=None)),))
    assert {s.phone for s in to_fhir(none, [binary], sor_of=sor_of).segments} == {NO_PHONE}
    cc = to_fhir(none, [binary], sor_of=sor_of, phone_of=lambda org: "+45 99 88 77 66")
    assert {s.phone for s in cc.segments} == {"+45 99 88 77 66"}
    back = to_oioxml(cc).correspondence.letters[0]
    assert isinstance(back, ClinicalEmail) and back.sender.phone == "+45 99 88 77 66"


def test_round_trip_keeps_content() -> None:
    message, binary = km_with_attachment()
    original = message.letters[0]
    assert isinstance(original, ClinicalEmail)
    back = to_oioxml(to_fhir(message, [binary], sor_of=sor_of))
    km = back.correspondence.letters[0]
    assert isinstance(km, ClinicalEmail)
    # the XDIS91 and XBIN01 are valid messages
    again = parse(build(back.correspondence, "XD9134L")).message.letters[0]
    assert again == km
    for file in back.binaries:
        parse(build(file, "XB0131X"))
    assert [t.to_plain() for t in km.texts] == [t.to_plain() for t in original.texts]
    assert km.subject == original.subject and km.priority is CorrespondencePriority.HIGH
    assert km.patient.id == original.patient.id and km.patient.surname == original.patient.surname
    assert km.patient.given_name == original.patient.given_name
    assert km.patient.address.street == original.patient.address.street
    assert km.episode_of_care == original.episode_of_care
    assert (str(km.sender.ean), km.sender.name, km.sender.department, km.sender.unit) == (
        str(original.sender.ean), original.sender.name, original.sender.department,
        original.sender.unit)
    assert str(km.receiver.ean) == str(original.receiver.ean)
    assert len(km.letter.identifier) <= 14  # ids aside: OIOXML gets new ones
    assert [r.description for r in km.references] == [r.description for r in original.references]
    (xbin,) = back.binaries
    (obj,) = xbin.letters[0].objects  # type: ignore[union-attr]
    assert obj.data == samples.PDF and obj.object_id == ObjectId(samples.COURSE_ID)
    assert obj.object_code is ObjectCode.VECTOR_GRAPHICS  # a PDF is vektor_grafik (4.6.2)


@pytest.mark.parametrize("status", list(EpisodeOfCareStatus))
def test_patient_status_survives_where_the_mapping_can_carry_it(
    status: EpisodeOfCareStatus,
) -> None:
    message, binary = km_with_attachment()
    letter = message.letters[0]
    assert isinstance(letter, ClinicalEmail)
    km = dataclasses.replace(letter, patient_status=status)
    back = to_oioxml(to_fhir(Emessage(message.envelope, (km,)), [binary], sor_of=sor_of))
    got = back.correspondence.letters[0].patient_status  # type: ignore[union-attr]
    # MedCom's FHIR side has no separate x-ray outpatient status
    expected = (EpisodeOfCareStatus.OUTPATIENT if status is EpisodeOfCareStatus.OUTPATIENT_XRAY
                else status)
    assert got is expected


def test_missing_sor_id_and_missing_binary_are_explained() -> None:
    message, binary = km_with_attachment()
    with pytest.raises(ConversionError, match="SOR"):
        to_fhir(message, [binary])
    with pytest.raises(ConversionError, match="binary letter"):
        to_fhir(message, [], sor_of=sor_of)


def test_medcom_dis91_example_converts() -> None:
    document = parse(official("oioxml", "examples", "DIS91_1.xml").read_bytes())
    cc = to_fhir(document.message, sor_of=sor_of)
    assert from_bundle(to_bundle(cc)) == cc
    assert any(isinstance(s, TextSegment) and s.text for s in cc.segments)
