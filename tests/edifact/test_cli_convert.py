"""``medcom-adapter convert``: EDIFACT <-> OIOXML from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcom_adapter.cli import main
from medcom_adapter.edifact.interchange import build, parse
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import emessage
from tests import samples

MESSAGE = Emessage(Envelope("E0000002", samples.WHEN), (samples.binary_letter(),))


def test_edifact_to_oioxml_on_stdout(tmp_path: Path,
                                     capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    source = tmp_path / "in.edi"
    source.write_bytes(build(MESSAGE, "B0131X"))
    assert main(["convert", str(source), "--to", "oioxml"]) == 0
    converted = emessage.parse(capsysbinary.readouterr().out)
    assert converted.message == MESSAGE and converted.versions[0].code == "XB0131X"


def test_oioxml_to_edifact_into_a_folder(tmp_path: Path) -> None:
    source = tmp_path / "in.xml"
    source.write_bytes(emessage.build(MESSAGE, "XB0131X"))
    assert main(["convert", str(source), "--to", "edifact", "--out", str(tmp_path / "o")]) == 0
    (written,) = (tmp_path / "o").iterdir()
    assert written.name == "BIN01_E0000002.edi"
    assert parse(written.read_bytes()).message == MESSAGE


def test_unsupported_pair_and_bad_input_exit_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.edi"
    source.write_bytes(build(MESSAGE, "B0131X"))
    assert main(["convert", str(source), "--to", "edifact"]) == 2
    assert "a BIN01 message has no edifact form" in capsys.readouterr().err
    # a wrong UNT count (MedCom's converter refuses it too; a wrong UNZ count is a warning)
    source.write_bytes(build(MESSAGE, "B0131X").replace(b"UNT+", b"UNT+9", 1))
    assert main(["convert", str(source), "--to", "oioxml"]) == 1
    assert "remote.edifact.count" in capsys.readouterr().err
