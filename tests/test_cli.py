"""The command line: exit codes, JSON output, build -> validate -> show."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from medcom_adapter.cli import main
from tests.conftest import FIXTURES

REQUEST = FIXTURES / "requests" / "referral-bup.json"


@pytest.fixture
def built(tmp_path: Path) -> list[Path]:
    assert main(["build", "referral", "--request", str(REQUEST), "--out", str(tmp_path)]) == 0
    return sorted(tmp_path.glob("*.xml"))


def test_build_writes_referral_and_binary(built: list[Path]) -> None:
    names = [p.name.split("_")[0] for p in built]
    assert names == ["XBIN01", "XREF01"]


def test_validate_json_reports_each_file(
    built: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--format", "json", *map(str, built)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(x["kind"], x["version"], x["valid"]) for x in lines] == [
        ("XBIN01", "XB0131X", True), ("XREF01", "XH0131R", True)]
    assert all(x["errors"] == [] for x in lines)


def test_validate_invalid_file_exits_1_and_names_the_element(
    tmp_path: Path, built: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    referral = built[1].read_bytes().replace(b"<Priority>elektiv", b"<Priority>snart")
    broken = tmp_path / "broken.xml"
    broken.write_bytes(referral)
    assert main(["validate", "--format", "json", str(broken)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    error = report["errors"][0]
    assert error["code"] == "xsd.code"
    assert error["path"].endswith("AdditionalInformation/Priority")
    assert isinstance(error["line"], int)


def test_validate_missing_file_exits_2(tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "nope.xml")]) == 2


def test_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate"])
    assert caught.value.code == 2


def test_show_masks_cpr_unless_revealed(
    built: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", str(built[1])]) == 0
    out = capsys.readouterr().out
    assert "250947-xxxx" in out and "2509479989" not in out
    assert "Henvisningsskema BUP" in out and "pdf" in out
    assert "Vedvarende angst" in out
    assert main(["show", "--reveal", str(built[1])]) == 0
    assert "2509479989" in capsys.readouterr().out


def test_show_of_invalid_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<Emessage")
    proc = subprocess.run([sys.executable, "-m", "medcom_adapter", "show", str(bad)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "remote.malformed" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_request_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = json.loads(REQUEST.read_text(encoding="utf-8"))
    request["patient"]["id"] = "3102479989"
    shutil.copy(REQUEST.parent / "henvisningsskema-bup.pdf", tmp_path)
    path = tmp_path / "req.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    assert main(["build", "referral", "--request", str(path), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "patient.id" in err and "3102479989" not in err


def test_attach_option_adds_a_pdf(tmp_path: Path) -> None:
    extra = tmp_path / "bilag.pdf"  # a real PDF: --attach files are opened as uploads are
    extra.write_bytes((FIXTURES / "requests" / "henvisningsskema-bup.pdf").read_bytes())
    out = tmp_path / "out"
    assert main(["build", "referral", "--request", str(REQUEST), "--out", str(out),
                 "--attach", str(extra)]) == 0
    assert len(list(out.glob("XBIN01_*.xml"))) == 2


def test_max_bytes_is_configurable(built: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", "--max-bytes", "100", str(built[0])]) == 1
    assert json.loads(capsys.readouterr().out)["errors"][0]["code"] == "remote.too-large"


KM_REQUEST = FIXTURES / "requests" / "km-gp.json"


def test_build_km_as_xdis91_with_its_attachment(tmp_path: Path) -> None:
    assert main(["build", "km", "--request", str(KM_REQUEST), "--out", str(tmp_path)]) == 0
    names = sorted(p.name.split("_")[0] for p in tmp_path.glob("*.xml"))
    assert names == ["XBIN01", "XDIS91"]
    assert main(["validate", *map(str, tmp_path.glob("*.xml"))]) == 0


def test_build_km_as_fhir(tmp_path: Path) -> None:
    from medcom_adapter.fhir.carecommunication import from_bundle
    from medcom_adapter.model.carecommunication import AttachmentSegment, Category

    assert main(["build", "km", "--request", str(KM_REQUEST), "--out", str(tmp_path),
                 "--format", "fhir"]) == 0
    (path,) = tmp_path.glob("CareCommunication_*.json")
    cc = from_bundle(json.loads(path.read_text(encoding="utf-8")))
    assert cc.category is Category.CARE_COORDINATION
    assert cc.receiver.sor == "265161000016000" and cc.sender.sor == "953741000016009"
    assert cc.segments[0].author is not None and cc.segments[0].author.family == "Testsen"
    assert any(isinstance(s, AttachmentSegment) and s.data for s in cc.segments)
    assert cc.latest.message_id == cc.message_id


def test_km_request_without_sor_for_fhir_is_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = json.loads(KM_REQUEST.read_text(encoding="utf-8"))
    del request["receiver"]["sor"]
    shutil.copy(KM_REQUEST.parent / "henvisningsskema-bup.pdf", tmp_path)
    path = tmp_path / "req.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    assert main(["build", "km", "--request", str(path), "--out", str(tmp_path / "o"),
                 "--format", "fhir"]) == 1
    assert "SOR" in capsys.readouterr().err


def test_validate_and_show_fhir(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import official

    xml = sorted(official("fhir", "carecommunication-5.0.2").glob("Bundle-*.xml"))[0]
    assert main(["validate", "--format", "json", str(xml)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["kind"], report["version"]) == ("CareCommunication", "5.0")
    assert report["valid"] is True
    assert main(["show", str(xml)]) == 0
    out = capsys.readouterr().out
    assert "CareCommunication 5.0" in out and "-xxxx" in out
