"""``medcom-adapter convert``: XDIS91 (+XBIN01) <-> CareCommunication, XCTL03 <-> ack."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from medcom_adapter.cli import main
from medcom_adapter.detect import check
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml.emessage import Document
from medcom_adapter.oioxml.receipting import answer
from tests.conftest import FIXTURES

KM_REQUEST = FIXTURES / "requests" / "km-gp.json"
GP_SOR = "5790000121526=265161000016000"


@pytest.fixture
def km_files(tmp_path: Path) -> tuple[Path, Path]:
    out = tmp_path / "km"
    assert main(["build", "km", "--request", str(KM_REQUEST), "--out", str(out)]) == 0
    (xdis91,) = out.glob("XDIS91_*.xml")
    (xbin,) = out.glob("XBIN01_*.xml")
    return xdis91, xbin


def test_xdis91_with_attachment_to_fhir_on_stdout(
    km_files: tuple[Path, Path], capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    xdis91, xbin = km_files
    assert main(["convert", str(xdis91), "--to", "fhir", "--with", str(xbin),
                 "--sor", GP_SOR]) == 0
    data = capsysbinary.readouterr().out
    report = check(data)
    assert report.valid and report.kind == "CareCommunication", report.issues
    assert isinstance(report.message, CareCommunication)
    assert any(getattr(s, "data", None) for s in report.message.segments)


def test_fhir_with_attachment_to_oioxml_needs_out_dir(
    km_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xdis91, xbin = km_files
    fhir = tmp_path / "cc"
    assert main(["convert", str(xdis91), "--to", "fhir", "--with", str(xbin), "--sor", GP_SOR,
                 "--fhir-format", "xml", "--out", str(fhir)]) == 0
    (bundle,) = fhir.glob("CareCommunication_*.xml")
    capsys.readouterr()
    assert main(["convert", str(bundle), "--to", "oioxml"]) == 2
    assert "--out DIR" in capsys.readouterr().err
    back = tmp_path / "back"
    assert main(["convert", str(bundle), "--to", "oioxml", "--out", str(back)]) == 0
    files = sorted(p.name.split("_")[0] for p in back.iterdir())
    assert files == ["XBIN01", "XDIS91"]
    for path in back.iterdir():
        assert check(path.read_bytes()).valid


def test_xctl03_to_ack_and_back(
    km_files: tuple[Path, Path], tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    xdis91, _ = km_files
    xctl03 = tmp_path / "xctl03.xml"
    xctl03.write_bytes(answer(xdis91.read_bytes(), now=datetime(2026, 11, 22, 12, 0)).build())
    assert main(["convert", str(xctl03), "--to", "fhir", "--sor", GP_SOR,
                 "--sor", "5790000123452=953741000016009"]) == 0
    ack = tmp_path / "ack.json"
    ack.write_bytes(capsysbinary.readouterr().out)
    report = check(ack.read_bytes())
    assert report.valid and report.kind == "Acknowledgement", report.issues
    assert json.loads(ack.read_bytes())["entry"][0]["resource"]["response"]["code"] == "ok"
    assert main(["convert", str(ack), "--to", "oioxml"]) == 1  # needs --original-envelope
    capsysbinary.readouterr()
    xctl = check(xctl03.read_bytes()).message
    assert isinstance(xctl, Document) and isinstance(xctl.message.letters[0], Receipt)
    original = xctl.message.letters[0].original_envelope_id
    assert main(["convert", str(ack), "--to", "oioxml", "--original-envelope", original]) == 0
    back = check(capsysbinary.readouterr().out)
    assert back.valid and back.kind == "XCTL03"
    assert isinstance(back.message, Document)
    assert back.message.message == xctl.message


def test_unsupported_pair_and_invalid_input_are_explained(
    km_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xdis91, _ = km_files
    assert main(["convert", str(xdis91), "--to", "oioxml"]) == 2
    assert "XDIS91 message has no oioxml form" in capsys.readouterr().err
    broken = tmp_path / "broken.xml"
    broken.write_bytes(xdis91.read_bytes().replace(b"<Priority>", b"<Prioritet>", 1))
    assert main(["convert", str(broken), "--to", "fhir"]) == 1
    assert "not a valid message" in capsys.readouterr().err
    assert main(["convert", str(xdis91), "--to", "fhir", "--sor", "nonsense"]) == 2
