"""MedCom's Word test protocols: every section with test steps is mapped, by MedCom's
section number and use-case id, to the scenarios that play it (or says why none does), and
the section numbers the kit counts are the ones MedCom's own text refers to."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcom_adapter.certify.protocol import every_scenario
from medcom_adapter.certify.word_cases import PLAYS, PROTOCOLS, WORD_CASES, WORD_SCENARIOS
from medcom_adapter.certify.word_protocol import Section, read
from medcom_adapter.errors import UnsafeMessage
from tests.conftest import OFFICIAL

WORD = OFFICIAL / "testprotocols" / "word"


def _protocol(name: str) -> dict[str, Section]:
    path = WORD / f"{name}.docx"
    if not path.is_file():
        pytest.skip(f"MedCom's Word protocols are not in {WORD} (../shared is absent)")
    return {s.number: s for s in read(path)}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_section_with_test_steps_is_mapped(protocol: str) -> None:
    sections = _protocol(protocol)
    mapped = {c.section: c for c in WORD_CASES if c.protocol == protocol}
    assert set(mapped) == set(sections)
    for number, case in mapped.items():
        assert case.use_case == sections[number].use_case, number


def test_section_numbers_are_the_ones_medcoms_text_refers_to() -> None:
    receive = _protocol("CareCommunication_Testprotocol_Receive")
    steps = {st.number: st.examples for s in receive.values() for st in s.steps}
    # "Use test example from 3.2.1.1" / "Load test data from 3.2.7.1 again"
    assert steps["3.2.1.1"] == ("R-Tek-A",)
    assert steps["3.2.7.1"] == ("R-Tek-J-dublicate",)
    assert steps["3.2.7.9"] == ("R-Tek-M-dublicate-inv",)
    # the use-case tables: R1 3.1.1, R2 3.1.2, R3 3.1.3; S1 3.3.1, S3.A3 3.3.10
    assert {n: receive[n].use_case for n in ("3.1.1", "3.1.2", "3.1.3")} == {
        "3.1.1": "R1", "3.1.2": "R2", "3.1.3": "R3"}
    send = _protocol("CareCommunication_Testprotocol_Send")
    assert send["3.3.1"].use_case == "S1 + S1.A2 + S1.A4"
    assert send["3.3.10"].use_case == "S3.A3"
    # "If an Acknowledgement of the type [ACK AR] has been generated in test step 3.3.1.7"
    ack_send = _protocol("Acknowledgement_Testprotocol_Send")
    assert [st.number for st in ack_send["3.3.1"].steps][6:8] == ["3.3.1.7", "3.3.1.8"]
    # written out in the table: 3.4.1 .. 3.4.4; S.TC4's steps are 3.3.4.n
    ack_receive = _protocol("Acknowledgement_Testprotocol_Receive")
    assert [st.number for st in ack_receive["3.4"].steps] == ["3.4.1", "3.4.2", "3.4.3",
                                                              "3.4.4"]
    assert ack_receive["3.3.4"].use_case == "S.TC4"
    assert ack_receive["3.3.4"].steps[0].number == "3.3.4.1"


def test_every_case_is_played_or_says_why_not() -> None:
    known = {s.id for s in every_scenario()}
    for case in WORD_CASES:
        assert bool(case.played_by) != bool(case.not_run), (case.protocol, case.section)
        assert set(case.played_by) <= known, (case.protocol, case.section)
    ids = [s.id for s in every_scenario()]
    assert len(ids) == len(set(ids))
    assert all(PLAYS[s.id] in known for s in WORD_SCENARIOS if s.id in PLAYS)


def test_the_list_names_every_word_case(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from medcom_adapter.cli import main

    assert main(["certify", "--list-scenarios", "--format", "json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    for scenario in WORD_SCENARIOS:
        assert rows[scenario.id]["source"].startswith("MedCom "), scenario.id
    assert rows["carecommunication-protocol-receive-3.2.7"]["direction"] == "receive"
    assert rows["carecommunication-protocol-send-3.3.1"]["source"].endswith(
        "TestScript carecommunication-send-new-category-other")


def test_a_docx_is_read_without_entities(tmp_path: Path) -> None:
    import zipfile

    hostile = tmp_path / "hostile.docx"
    with zipfile.ZipFile(hostile, "w") as docx:
        docx.writestr("word/document.xml", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e '
                      '"x">]><w:document xmlns:w="http://schemas.openxmlformats.org/'
                      'wordprocessingml/2006/main"><w:body/></w:document>')
    with pytest.raises(UnsafeMessage):
        read(hostile)
