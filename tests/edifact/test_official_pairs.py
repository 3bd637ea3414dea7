"""MedCom's paired examples: each EDIFACT file and its OIOXML twin hold the same letter.

Compared as model values (converting the EDIFACT gives exactly the model MedCom's XML twin
reads to, with no field left over) and as segments: converting the XML twin gives MedCom's
EDIFACT file segment for segment, as MedCom's converter wrote it. Where our conversion
differs from MedCom's converter is ``DELIBERATE``: the complete list, each with why, and each
shown by a test below; none of them shows in these examples.
"""

from __future__ import annotations

import glob
import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from medcom_adapter.convert.edifact_oioxml import edifact_to_oioxml, oioxml_to_edifact
from medcom_adapter.edifact.interchange import build, parse
from medcom_adapter.edifact.tokenizer import tokenize
from medcom_adapter.model.codes import MedicalSpeciality
from medcom_adapter.model.letters import BinaryLetter
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.text import FormattedText, Space
from medcom_adapter.oioxml import emessage
from tests import samples
from tests.conftest import OFFICIAL, official

PAIRS = sorted(glob.glob(str(OFFICIAL / "oioxml" / "examples" / "*.edi")))

# Every way our EDIFACT <-> OIOXML conversion differs from MedCom's converter, and why.
DELIBERATE = {
    "two-digit UNB year": "MedCom's converter reads 00-20 as 20xx and 21-99 as 19xx; we read "
    "00-69 as 20xx and 70-99 as 19xx, so messages sent after 2020 keep their century",
    "FTX ending a text without a line break": "MedCom's converter always ends the last line "
    "of a text with a break; we end it with the continuation mark when the text has none, so "
    "XML -> EDIFACT -> XML gives the text back unchanged",
    "dermato_venerologi_praksis": "MedCom's XML -> EDIFACT table writes 2511 (clinical "
    "chemistry's code); we write 2504, the code its EDIFACT -> XML table reads",
    "Space": "EDIFACT has no explicit space; <Space/> is written as a space character",
    "XDIS91 sender without a speciality": "MedCom's converter writes SPR code 99 "
    "(ikkeklassificeret) for a sender that states none; we write the SPR with an empty code, "
    "as it does for REF01 and BIN01, so a letter that said nothing does not come back saying "
    "'not classified'",
    "receiver's SPR and CON": "MedCom's converter writes neither for a receiver; we write "
    "them when the receiver has a speciality or a telephone number, so nothing in the letter "
    "is lost (MedCom's converter reads past them)",
}


def _segments(data: bytes) -> list[tuple[str, tuple[tuple[str, ...], ...], bytes | None]]:
    return [(s.tag, s.elements, s.binary) for s in tokenize(data).segments]


def test_pairs_are_present() -> None:
    official("oioxml", "examples")
    kinds = {os.path.basename(p).split("_")[0] for p in PAIRS}
    assert {"REF01", "BIN01", "DIS91", "CTL01", "CTL02", "CTL03"} <= kinds


@pytest.mark.parametrize("path", PAIRS, ids=os.path.basename)
def test_edifact_reads_to_the_model_of_its_xml_twin(path: str) -> None:
    edifact = parse(Path(path).read_bytes())
    twin = emessage.parse(Path(path).with_suffix(".xml").read_bytes())
    assert edifact.message == twin.message
    assert tuple(v.oioxml for v in edifact.versions) == twin.versions


@pytest.mark.parametrize("path", PAIRS, ids=os.path.basename)
def test_conversion_to_xml_gives_the_twin(path: str) -> None:
    xml = edifact_to_oioxml(Path(path).read_bytes())
    twin = emessage.parse(Path(path).with_suffix(".xml").read_bytes())
    converted = emessage.parse(xml)  # and it is valid by our schema of the twin's version
    assert converted.message == twin.message
    assert converted.versions == twin.versions


@pytest.mark.parametrize("path", PAIRS, ids=os.path.basename)
def test_xml_converts_to_edifact_that_reads_back_the_same(path: str) -> None:
    xml = Path(path).with_suffix(".xml").read_bytes()
    twin = emessage.parse(xml)
    edifact = parse(oioxml_to_edifact(xml))
    assert edifact.message == twin.message
    assert tuple(v.oioxml for v in edifact.versions) == twin.versions


@pytest.mark.parametrize("path", PAIRS, ids=os.path.basename)
def test_xml_converts_to_the_edifact_medcoms_converter_wrote(path: str) -> None:
    ours = oioxml_to_edifact(Path(path).with_suffix(".xml").read_bytes())
    assert _segments(ours) == _segments(Path(path).read_bytes())


@pytest.mark.parametrize("path", [p for p in PAIRS if "BIN01" in p], ids=os.path.basename)
def test_binary_objects_keep_every_byte(path: str) -> None:
    data = Path(path).read_bytes()
    (letter,) = parse(data).message.letters
    assert isinstance(letter, BinaryLetter)
    for obj in letter.objects:
        assert obj.data in data  # the raw bytes between UNO and UNP, unchanged
        assert f"UNP+{obj.size}+".encode() in data
    again = parse(oioxml_to_edifact(edifact_to_oioxml(data)))
    assert again.message.letters[0] == letter


# -- each deliberate difference, shown --------------------------------------------------

def _edifact(letter: object, version: str) -> bytes:
    return build(Emessage(Envelope("E1", samples.WHEN), (letter,)), version)  # type: ignore[arg-type]


def _segment(data: bytes, tag: str, first: str) -> tuple[tuple[str, ...], ...]:
    return next(s.elements for s in tokenize(data).segments
                if s.tag == tag and s.elements and s.elements[0][0] == first)


def test_every_deliberate_difference_is_shown_here() -> None:
    shown = {"two-digit UNB year", "FTX ending a text without a line break",
             "dermato_venerologi_praksis", "Space", "XDIS91 sender without a speciality",
             "receiver's SPR and CON"}
    assert set(DELIBERATE) == shown and all(len(why) > 40 for why in DELIBERATE.values())


def test_two_digit_unb_year_keeps_the_century() -> None:
    data = _edifact(samples.clinical_email(), "D9134L").replace(b"+261120:", b"+300101:", 1)
    assert parse(data).message.envelope.sent == datetime(2030, 1, 1, 9, 30)


def test_a_text_without_a_final_break_ends_with_the_continuation_mark() -> None:
    km = replace(samples.clinical_email(), texts=(FormattedText.plain("Hej"),))
    data = _edifact(km, "D9134L")
    assert b"++Hej\\'" in data
    assert parse(data).message.letters[0].texts == km.texts  # type: ignore[union-attr]


def test_dermato_venerologi_praksis_is_2504() -> None:
    sender = replace(samples.PPR, speciality=MedicalSpeciality("dermato_venerologi_praksis"))
    data = _edifact(replace(samples.clinical_email(), sender=sender), "D9134L")
    assert _segment(data, "SPR", "ORG")[1][0] == "2504"


def test_a_space_element_is_a_space() -> None:
    km = replace(samples.clinical_email(), texts=(FormattedText(("a", Space(), "b")),))
    assert b"++a b" in _edifact(km, "D9134L")


def test_a_km_sender_without_speciality_gets_an_empty_spr_code() -> None:
    km = replace(samples.clinical_email(), sender=replace(samples.PPR, speciality=None))
    data = _edifact(km, "D9134L")
    assert _segment(data, "SPR", "ORG")[1] == ("", "SKS", "SST")
    assert parse(data).message.letters[0].sender.speciality is None  # type: ignore[union-attr]


def test_a_receivers_speciality_and_phone_are_written() -> None:
    receiver = replace(samples.BUP, phone="70200000",
                       speciality=MedicalSpeciality("boerne_ungdomspsykiatri"))
    letter = replace(samples.binary_letter(), receiver=receiver)
    data = _edifact(letter, "B0131X")
    spr = [s for s in tokenize(data).segments if s.tag == "SPR"]
    assert len(spr) == 2 and b"CON++70200000:TE" in data
    assert parse(data).message.letters[0].receiver == receiver  # type: ignore[union-attr]
