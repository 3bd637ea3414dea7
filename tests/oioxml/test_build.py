"""Builders: every message we write validates (ours and MedCom's schemas) and reads back equal."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import StrEnum
from functools import cache
from typing import Any

import pytest
from lxml import etree

from medcom_adapter.errors import OutboundInvalid, UnsupportedInVersion
from medcom_adapter.model import codes
from medcom_adapter.model.letters import BinaryLetter, ObjectId, Referral
from medcom_adapter.model.message import Emessage, Envelope, Letter
from medcom_adapter.model.parties import Relative
from medcom_adapter.oioxml import schemas
from medcom_adapter.oioxml.emessage import build, parse
from medcom_adapter.oioxml.versions import Version, by_code
from tests import samples
from tests.conftest import official

REFERRALS = ("XH0131R", "XH0130R")
BINARIES = ("XB0131X", "XB0130X", "XB0230X")


@cache
def official_schema(version: Version) -> etree.XMLSchema:
    date = version.namespace.rstrip("/").split("/")[-3:]
    return etree.XMLSchema(etree.parse(str(official("oioxml", "xsd", *date, "EMessage.xsd"))))


def message(letter: Letter) -> Emessage:
    return Emessage(Envelope("ENV0001", samples.WHEN), (letter,))


def assert_valid_everywhere_and_round_trips(letter: Letter, code: str) -> bytes:
    version = by_code(code)
    data = build(message(letter), version)  # validates against our xsd/ or raises
    tree = etree.fromstring(data).getroottree()
    schema = official_schema(version)
    assert schema.validate(tree), schema.error_log
    assert parse(data).message == message(letter)
    return data


def referral_for(code: str, full: bool = True) -> Referral:
    typed = by_code(code).episode_form is not None and code == "XH0131R"
    if not full:
        return samples.minimal_referral(typed_episode=typed)
    return samples.full_referral(typed_episode=typed, describe_main=typed)


@pytest.mark.parametrize("code", REFERRALS)
@pytest.mark.parametrize("full", [True, False], ids=["every-optional", "minimal"])
def test_referral_builds_in_each_version(code: str, full: bool) -> None:
    assert_valid_everywhere_and_round_trips(referral_for(code, full), code)


@pytest.mark.parametrize("code", BINARIES)
@pytest.mark.parametrize("with_patient", [True, False], ids=["patient", "system-information"])
def test_binary_builds_in_each_version(code: str, with_patient: bool) -> None:
    assert_valid_everywhere_and_round_trips(samples.binary_letter(with_patient=with_patient), code)


def test_object_id_is_spelled_per_version_and_still_matches() -> None:
    ref_xml = build(message(samples.full_referral()), "XH0131R")
    bin_xml = build(message(samples.binary_letter()), "XB0131X")
    hex_id = samples.COURSE_ID.replace("-", "")
    assert f"<ObjectIdentifier>{hex_id}</ObjectIdentifier>".encode() in ref_xml
    assert f"<ObjectIdentifier>{samples.COURSE_ID.upper()}</ObjectIdentifier>".encode() in bin_xml
    referral = parse(ref_xml).message.letters[0]
    binary = parse(bin_xml).message.letters[0]
    assert isinstance(referral, Referral) and isinstance(binary, BinaryLetter)
    assert referral.binary_refs[0].object_id == binary.objects[0].object_id


def _relative() -> Relative:
    relative = samples.full_referral().relative
    assert relative is not None
    return relative


# --- every value of every code list: our verdict equals MedCom's, and valid ones read back ---

Variant = Callable[[Any], Letter]  # each takes a value of its own code list

CODE_LISTS: list[tuple[str, type[StrEnum], Variant, tuple[str, ...]]] = [
    ("priority", codes.Priority,
     lambda v: dataclasses.replace(referral_for("XH0131R"), priority=v), REFERRALS),
    ("referral_status", codes.ReferralStatus,
     lambda v: dataclasses.replace(referral_for("XH0131R"), referral_status=v), REFERRALS),
    ("transport", codes.Transport,
     lambda v: dataclasses.replace(referral_for("XH0131R"), transport=v), REFERRALS),
    ("relation", codes.RelationCode,
     lambda v: dataclasses.replace(referral_for("XH0131R"), relative=dataclasses.replace(
         _relative(), relation=v)), REFERRALS),
    ("diagnose_type", codes.DiagnoseTypeCode,
     lambda v: dataclasses.replace(referral_for("XH0131R"), additional_diagnoses=(
         dataclasses.replace(samples.full_referral().additional_diagnoses[0], type=v),)),
     REFERRALS),
    ("diagnose_description", codes.DiagnoseDescriptionCode,
     lambda v: dataclasses.replace(referral_for("XH0131R"), additional_diagnoses=(
         dataclasses.replace(samples.full_referral().additional_diagnoses[0], description=v),)),
     REFERRALS),
    ("visitation", codes.InformationCode,
     lambda v: dataclasses.replace(referral_for("XH0131R"), visitations=(
         dataclasses.replace(samples.full_referral().visitations[0], code=v),)), REFERRALS),
    ("hospital_choice", codes.HospitalChoice,
     lambda v: dataclasses.replace(referral_for("XH0131R"), hospital_choice=v), ("XH0131R",)),
    ("speciality", codes.MedicalSpeciality,
     lambda v: dataclasses.replace(referral_for("XH0131R"), sender=dataclasses.replace(
         samples.PPR, speciality=v)), REFERRALS),
    ("telephone", codes.TelephoneCode,
     lambda v: dataclasses.replace(referral_for("XH0131R"), patient=dataclasses.replace(
         samples.CHILD, phones=(samples.CHILD.phones[0].__class__("1", v),))), REFERRALS),
    ("object_code", codes.ObjectCode,
     lambda v: dataclasses.replace(samples.binary_letter(), objects=(dataclasses.replace(
         samples.binary_letter().objects[0], object_code=v),)), BINARIES),
    ("extension", codes.ObjectExtensionCode,
     lambda v: dataclasses.replace(samples.binary_letter(), objects=(dataclasses.replace(
         samples.binary_letter().objects[0], extension=v),)), BINARIES),
]


def _code_cases() -> list[Any]:
    cases = []
    for name, enum, variant, versions in CODE_LISTS:
        for code in versions:
            for value in enum:
                cases.append(pytest.param(variant, value, code, id=f"{name}-{code}-{value}"))
    return cases


@pytest.mark.parametrize(("variant", "value", "code"), _code_cases())
def test_code_lists_agree_with_medcom(variant: Variant, value: StrEnum, code: str) -> None:
    letter = variant(value)
    if code == "XH0130R" and isinstance(letter, Referral):
        base = referral_for("XH0130R")
        letter = dataclasses.replace(letter, letter=base.letter, episodes=base.episodes,
                                     diagnosis=base.diagnosis, hospital_choice=None)
    version = by_code(code)
    data = build(message(letter), version, validate=False)
    tree = etree.fromstring(data).getroottree()
    ours = not schemas.validate(tree, version.schema_folder)
    theirs = official_schema(version).validate(tree)
    assert ours == theirs, f"our schema says {ours}, MedCom's says {theirs}"
    if ours:
        assert parse(data).message == message(letter)


# --- what a version cannot carry is refused, naming the element ---

def test_too_long_name_is_refused_by_both_with_element_named() -> None:
    letter = dataclasses.replace(samples.minimal_referral(),
                                 referrer=samples.minimal_referral().referrer.__class__("x" * 36))
    data = build(message(letter), "XH0131R", validate=False)
    assert not official_schema(by_code("XH0131R")).validate(etree.fromstring(data).getroottree())
    with pytest.raises(OutboundInvalid) as caught:
        build(message(letter), "XH0131R")
    issue = caught.value.issues[0]
    assert issue.path == "Emessage/HospitalReferral/Sender/Referrer/PersonName"
    assert issue.code == "xsd.length"


def test_hospital_choice_only_exists_from_xh0131r() -> None:
    letter = dataclasses.replace(referral_for("XH0130R"),
                                 hospital_choice=codes.HospitalChoice.ALDB01)
    with pytest.raises(OutboundInvalid) as caught:
        build(message(letter), "XH0130R")
    assert (caught.value.issues[0].path or "").endswith("AdditionalInformation/HospitalChoice")
    data = build(message(letter), "XH0130R", validate=False)
    assert not official_schema(by_code("XH0130R")).validate(etree.fromstring(data).getroottree())


def test_current_referral_needs_an_episode_of_care() -> None:
    letter = dataclasses.replace(samples.minimal_referral(), episodes=())
    with pytest.raises(UnsupportedInVersion, match="at least one episode"):
        build(message(letter), "XH0131R")


def test_old_referral_cannot_carry_typed_episodes() -> None:
    with pytest.raises(UnsupportedInVersion, match="XH0130R"):
        build(message(samples.minimal_referral()), "XH0130R")


def test_old_binary_needs_sender_address() -> None:
    bare = dataclasses.replace(samples.PPR, address=samples.PPR.address.__class__())
    letter = dataclasses.replace(samples.binary_letter(), sender=bare)
    build(message(letter), "XB0131X")  # optional there
    with pytest.raises(OutboundInvalid) as caught:
        build(message(letter), "XB0130X")
    assert "Sender" in (caught.value.issues[0].path or "")


def test_referral_cannot_be_written_as_binary() -> None:
    with pytest.raises(UnsupportedInVersion, match="BinaryLetter"):
        build(message(samples.minimal_referral()), "XB0131X")


def test_letters_of_different_namespaces_cannot_share_an_envelope() -> None:
    both = Emessage(Envelope("E1", samples.WHEN),
                    (samples.minimal_referral(), samples.binary_letter()))
    with pytest.raises(UnsupportedInVersion, match="namespace"):
        build(both, ("XH0131R", "XB0131X"))


def test_2005_referral_and_binary_share_one_envelope() -> None:
    both = Emessage(Envelope("E1", samples.WHEN),
                    (referral_for("XH0130R"), samples.binary_letter()))
    data = build(both, ("XH0130R", "XB0130X"))
    assert parse(data).message == both


def test_utf8_output_on_request() -> None:
    letter = samples.full_referral()
    latin = build(message(letter), "XH0131R")
    utf8 = build(message(letter), "XH0131R", encoding="UTF-8")
    assert latin.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    assert "Ørstedsvej".encode("latin-1") in latin
    assert "Ørstedsvej".encode() in utf8
    assert parse(latin).message == parse(utf8).message == message(letter)


@pytest.mark.parametrize("code", BINARIES)
def test_an_xbin_with_its_base64_spliced_in_is_the_document_lxml_writes(code: str) -> None:
    letter = samples.binary_letter(with_patient=False)
    objects = tuple(dataclasses.replace(o, data=bytes(range(256)) * 40) for o in letter.objects)
    # a text of ours that looks like a placeholder stays as it is
    letter = dataclasses.replace(letter, objects=objects, contents="base64-0 base64-")
    data = build(message(letter), code)
    tree = etree.fromstring(data).getroottree()
    assert etree.tostring(tree, encoding="ISO-8859-1", xml_declaration=True) == data
    assert parse(data).message.letters[0] == letter
    wide = build(message(letter), code, encoding="UTF-16")  # not ASCII-compatible: no splice
    assert parse(wide).message.letters[0] == letter


@pytest.mark.parametrize("sizes", [(1, 2, 56, 57), (57 * 16384 * 2 + 5, 3)])
def test_spliced_base64_is_the_text_lxml_writes_for_any_size(sizes: tuple[int, ...]) -> None:
    # written a slice at a time into a buffer sized in advance: every slice boundary and
    # last line must come out as one encoding of the whole would
    letter = samples.binary_letter(with_patient=False)
    template = letter.objects[0]
    objects = tuple(dataclasses.replace(template, object_id=ObjectId.new(),
                                        data=bytes([n % 256]) * n) for n in sizes)
    letter = dataclasses.replace(letter, objects=objects)
    data = build(message(letter), "XB0131X")
    tree = etree.fromstring(data, etree.XMLParser(huge_tree=True)).getroottree()
    assert etree.tostring(tree, encoding="ISO-8859-1", xml_declaration=True) == data
    assert parse(data).message.letters[0] == letter
