"""``medcom-adapter convert``: XDIS91 (+XBIN01) <-> CareCommunication, XCTL03 <-> ack."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from medcom_adapter.cli import main
from medcom_adapter.detect import check
from medcom_adapter.fhir.acknowledgement import to_bundle as ack_bundle
from medcom_adapter.fhir.acknowledging import answer as acknowledge
from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.wire import dump_json
from medcom_adapter.model.acknowledgement import Acknowledgement
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.model.letters import LetterHeader
from medcom_adapter.model.message import Letter
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml.emessage import Document
from tests.conftest import FIXTURES

KM_REQUEST = FIXTURES / "requests" / "km-gp.json"
GP_SOR = "5790000121526=265161000016000"


def _document(data: bytes) -> Document:
    message = check(data).message
    assert isinstance(message, Document)
    return message


def _header(letter: Letter) -> LetterHeader:
    assert not isinstance(letter, Receipt)
    return letter.letter


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


def test_ack_to_xctl03_and_back_through_the_conversion_record(
    km_files: tuple[Path, Path], tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # a GP's XDIS91 + XBIN01 went to a FHIR receiver as one CareCommunication ...
    xdis91, xbin = km_files
    record = tmp_path / "conversion.json"
    assert main(["convert", str(xdis91), "--to", "fhir", "--with", str(xbin), "--sor", GP_SOR,
                 "--record", str(record)]) == 0
    cc = check(capsysbinary.readouterr().out).message
    assert isinstance(cc, CareCommunication)
    # ... whose Acknowledgement becomes one XCTL03 per letter, naming each
    result = acknowledge(to_bundle(cc), now=datetime(2026, 11, 22, 12, 0).astimezone())
    assert result.ack is not None
    ack = tmp_path / "ack.json"
    ack.write_bytes(dump_json(ack_bundle(result.ack)))
    capsysbinary.readouterr()
    assert main(["convert", str(ack), "--to", "oioxml"]) == 1  # which letters? not said
    out = tmp_path / "xctl"
    assert main(["convert", str(ack), "--to", "oioxml", "--link", str(record),
                 "--out", str(out)]) == 0
    xctls = sorted(out.glob("XCTL03_*.xml"))
    named = set()
    for path in xctls:
        report = check(path.read_bytes())
        assert report.valid and report.kind == "XCTL03", report.issues
        assert isinstance(report.message, Document)
        receipt = report.message.message.letters[0]
        assert isinstance(receipt, Receipt)
        named.add((receipt.original_envelope_id, receipt.letters[0].identifier))
    letters = [_document(p.read_bytes()).message for p in (xdis91, xbin)]
    assert named == {(m.envelope.identifier, _header(m.letters[0]).identifier) for m in letters}
    # --original names the same letters without the record
    again = tmp_path / "again"
    assert main(["convert", str(ack), "--to", "oioxml", "--original", str(xdis91),
                 "--original", str(xbin), "--out", str(again)]) == 0
    assert len(list(again.glob("XCTL03_*.xml"))) == 2
    # and back: both XCTL03 make one ok Acknowledgement for the CareCommunication
    capsysbinary.readouterr()
    assert main(["convert", str(xctls[0]), "--with", str(xctls[1]), "--to", "fhir",
                 "--link", str(record)]) == 0
    back = check(capsysbinary.readouterr().out)
    assert back.valid and back.kind == "Acknowledgement", back.issues
    assert isinstance(back.message, Acknowledgement)
    assert back.message.acknowledged_id == cc.message_id
    assert back.message.code.value == "ok"


def test_sor_ids_come_from_the_receivers_directory_and_the_sor_register(
    km_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEDCOM_DATA_DIR", str(tmp_path / "data"))
    xdis91, xbin = km_files
    receivers = tmp_path / "receivers.json"
    receivers.write_text(json.dumps({"receivers": [{
        "sor": "953741000016009", "ean": "5790000123452", "name": "Eksempel Kommune, PPR"}]}))
    # the GP is not in this receivers directory: a clear error naming it
    assert main(["convert", str(xdis91), "--to", "fhir", "--with", str(xbin),
                 "--receivers", str(receivers)]) == 1
    assert "5790000121526" in capsys.readouterr().err
    csv = tmp_path / "sor.csv"
    csv.write_text("ean;sor;name;department;phone\n"
                   "5790000121526;265161000016000;Lægehuset Eksempel;;+45 70 10 00 00\n",
                   encoding="utf-8")
    assert main(["sor", "import", str(csv)]) == 0
    assert "imported 1 locations" in capsys.readouterr().out
    assert main(["sor", "show", "5790000121526"]) == 0
    assert "265161000016000" in capsys.readouterr().out
    out = tmp_path / "cc"
    assert main(["convert", str(xdis91), "--to", "fhir", "--with", str(xbin),
                 "--receivers", str(receivers), "--out", str(out)]) == 0
    (bundle,) = out.glob("CareCommunication_*.json")
    report = check(bundle.read_bytes())
    assert report.valid, report.issues
    assert isinstance(report.message, CareCommunication)
    assert report.message.receiver.sor == "265161000016000"
    assert report.message.sender.sor == "953741000016009"  # from the receivers directory
    broken = tmp_path / "broken.csv"
    broken.write_text("ean;sor;name\n5790000121527;265161000016000;X\n", encoding="utf-8")
    assert main(["sor", "import", str(broken)]) == 1
    assert "line 2" in capsys.readouterr().err


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


def test_an_xdis91_whose_xbin01_never_came_converts_only_as_incomplete(
    km_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    xdis91, _ = km_files
    assert main(["convert", str(xdis91), "--to", "fhir", "--sor", GP_SOR]) == 1
    assert "S1.A2" in capsys.readouterr().err
    record = tmp_path / "conversion.json"
    out = tmp_path / "cc"
    assert main(["convert", str(xdis91), "--to", "fhir", "--sor", GP_SOR, "--incomplete",
                 "--record", str(record), "--out", str(out)]) == 0
    (bundle,) = out.glob("CareCommunication_*.json")
    report = check(bundle.read_bytes())  # what MedCom's rules have the receiver refuse
    assert not report.valid and any("title" in i.message for i in report.issues)
    assert json.loads(record.read_text())["incomplete"] is True
