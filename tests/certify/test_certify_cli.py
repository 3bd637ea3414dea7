"""``medcom-adapter certify``: the manifest reproduced, MedCom's own files valid, legacy refused,
JUnit and HTML reports (the HTML rendered in headless Chromium)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from medcom_adapter.certify import reports
from medcom_adapter.certify.codes import table
from medcom_adapter.certify.runner import FileResult, Finding, certify
from medcom_adapter.cli import main
from tests import catalogue
from tests.conftest import official

MANIFEST: dict[str, Any] = json.loads((catalogue.ROOT / "manifest.json").read_text("utf-8"))


def _junit_cases(path: Path) -> dict[str, list[tuple[str, str]]]:
    root = etree.parse(str(path)).getroot()
    return {case.get("name", ""): [(f.get("type", ""), f.text or "")
                                   for f in case.iter("failure")]
            for case in root.iter("testcase")}


def test_certify_on_the_catalogue_reproduces_the_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "report.xml"
    assert main(["certify", str(catalogue.ROOT), "--junit", str(junit)]) == 1  # invalid ones
    out = capsys.readouterr().out
    cases = _junit_cases(junit)
    rows = MANIFEST["fixtures"]
    assert len(cases) == len(rows)
    for row in rows:
        failures = cases[str(catalogue.ROOT / row["file"])]
        if row["verdict"] == "valid":
            assert failures == [], row["file"]
            if "warning" in row:  # reported beside the verdict, never as a failure
                assert f"warning [{row['warning']['code']}]" in out, row["file"]
        else:
            codes = {code for code, _ in failures if code}
            assert codes == {row["error"]["code"]}, row["file"]
            if row["error"]["location"]:
                assert any(row["error"]["location"] in text for _, text in failures)
    valid = sum(r["verdict"] == "valid" for r in rows)
    assert f"{len(rows)} files: {valid} valid, {len(rows) - valid} invalid" in out
    assert "hint: " in out


def _official_files() -> list[Path]:
    examples = official("oioxml", "examples")
    fhir = official("fhir")
    files = sorted(examples.glob("*.xml"))
    for folder in ("carecommunication-5.0.2", "acknowledgement-2.0.3", "send-examples"):
        files += sorted((fhir / folder).glob("Bundle-*"))
    return files


def test_certify_reports_medcom_examples_valid(capsys: pytest.CaptureFixture[str]) -> None:
    files = _official_files()
    assert len(files) > 30
    assert main(["certify", *map(str, files)]) == 0, capsys.readouterr().out


def test_certify_reports_legacy_v4_as_wrong_version() -> None:
    results = certify([official("fhir", "legacy-v4")])
    assert len(results) > 20
    for r in results:
        assert not r.valid and r.version is not None and r.version.startswith("4."), r.path
        assert [f.code for f in r.errors] == ["fhir.unsupported-version"], r.path


def test_every_code_has_a_hint_and_unknown_files_are_explained(tmp_path: Path) -> None:
    assert all(info.hint for info in table().values())
    assert table()["remote.unknown-version"].receipt == "problem_med_version"
    pdf = tmp_path / "form.xml"
    pdf.write_bytes(b"%PDF-1.4")
    (result,) = certify([pdf])
    assert not result.valid and result.errors[0].code == "remote.malformed"
    assert result.errors[0].hint == table()["remote.malformed"].hint


def hostile_results() -> list[FileResult]:
    evil = "<script>alert('x')</script>&amp;"
    return [
        FileResult("ok.xml", True, "XDIS91", "XD9134L", ()),
        FileResult(f"{evil}.json", False, evil, None,
                   (Finding("fhir.binding", f"Bundle.{evil}", 3, evil, table()["fhir.binding"]
                            .hint),)),
    ]


def test_html_report_escapes_everything_and_summarises_first() -> None:
    page = reports.html_report(hostile_results())
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&amp;amp;" in page
    assert page.index("1 valid") < page.index("<table")
    assert "http" not in page.split("<body>")[1]  # self-contained: no external resources


def test_junit_is_well_formed_with_hostile_content(tmp_path: Path) -> None:
    path = tmp_path / "j.xml"
    path.write_bytes(reports.junit(hostile_results()))
    cases = _junit_cases(path)
    assert cases["ok.xml"] == []
    ((code, text),) = cases["<script>alert('x')</script>&amp;.json"]
    assert code == "fhir.binding" and "hint:" in text
    suite = etree.parse(str(path)).getroot()[0]
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium is not installed (Debian: apt-get install -y chromium)")


def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = _chromium()
    page = tmp_path / "report.html"
    assert main(["certify", str(catalogue.ROOT), "--html", str(page)]) == 1
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()],
        capture_output=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1280, 2000)
