"""MedCom's paired examples: each EDIFACT file and its OIOXML twin hold the same letter.

Compared as model values: converting the EDIFACT gives exactly the model MedCom's XML twin
reads to, with no field left over. The deliberate differences between our conversion and
MedCom's converter are elsewhere (see ``DELIBERATE``); none shows in these examples.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from medcom_adapter.convert.edifact_oioxml import edifact_to_oioxml, oioxml_to_edifact
from medcom_adapter.edifact.interchange import parse
from medcom_adapter.model.letters import BinaryLetter
from medcom_adapter.oioxml import emessage
from tests.conftest import OFFICIAL, official

PAIRS = sorted(glob.glob(str(OFFICIAL / "oioxml" / "examples" / "*.edi")))

# Where our EDIFACT <-> OIOXML conversion differs from MedCom's converter, and why.
DELIBERATE = {
    "two-digit UNB year": "MedCom's converter reads 00-20 as 20xx and 21-99 as 19xx; we read "
    "00-69 as 20xx and 70-99 as 19xx, so messages sent after 2020 keep their century",
    "FTX ending a text without a line break": "MedCom's converter always ends the last line "
    "of a text with a break; we end it with the continuation mark when the text has none, so "
    "XML -> EDIFACT -> XML gives the text back unchanged",
    "dermato_venerologi_praksis": "MedCom's XML -> EDIFACT table writes 2511 (clinical "
    "chemistry's code); we write 2504, the code its EDIFACT -> XML table reads",
    "Space": "EDIFACT has no explicit space; <Space/> is written as a space character",
}


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
