"""``medcom-adapter stats`` on a SQLite journal: JSON that matches the journal's counts, and
HTML whose charts show in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from medcom_adapter.cli import main
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Query, Status
from medcom_adapter.model.henvisninger import HenvisningRecord, henvisning_class
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.stats.figures import DANISH_TIME
from tests.journal.samples import COURSE, CPR, OTHER_CPR, referral

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.now(DANISH_TIME).date()  # the journal stores with the real clock
THIS_MONTH = TODAY.strftime("%Y-%m")


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("MEDCOM_JOURNAL_URL", "MEDCOM_JOURNAL_KEY", "MEDCOM_JOURNAL_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEDCOM_DATA_DIR", str(tmp_path / "data"))
    journal = open_journal()
    for n in range(1, 8):  # seven referrals on 1 March 2024, five of them answered
        id = journal.append(referral(n, patient=CPR if n % 2 else OTHER_CPR), Status.SENT)
        if n <= 5:
            journal.set_status(id, Status.ACKNOWLEDGED)
    journal.record_henvisning(HenvisningRecord(COURSE, date(2024, 3, 5),
                                               henvisning_class("civilsamfund"), CPR,
                                               SorId("1234561000016000")), actor="cli:psykolog")
    journal.close()
    yield tmp_path / "data"


def stats(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["stats", "--actor", "tester", "--from", "2024-03-01", "--to", TODAY.isoformat(),
                 *args])
    assert code == 0
    return capsys.readouterr().out


def test_json_matches_the_journals_counts(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = json.loads(stats(capsys, "--format", "json"))
    journal = open_journal()
    try:
        stored = journal.find(Query(limit=100), actor="cli:tester")
        henvisninger = journal.henvisninger(actor="cli:tester")
    finally:
        journal.close()
    by_month = Counter(s.message.kind for s in stored)
    assert out["sendt_pr_maaned"]["XREF01"][THIS_MONTH] == by_month["XREF01"] == 7
    assert sum(v for v in out["sendt_pr_maaned"]["XREF01"].values() if isinstance(v, int)) == 7
    classes = Counter(r.record.henvisning.display for r in henvisninger)
    assert out["henvisninger_pr_maaned"]["Børne- og ungdomspsykiatri"]["2024-03"] == 7
    assert classes["Civilsamfund"] == 1
    assert out["henvisninger_pr_maaned"]["Civilsamfund"]["2024-03"] == "<5"
    assert CPR.value not in json.dumps(out) and OTHER_CPR.value not in json.dumps(out)
    journal = open_journal()
    try:
        assert ("cli:tester", "find") in {(a.actor, a.action) for a in journal.audit_log()}
    finally:
        journal.close()


def test_text_is_the_default(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = stats(capsys)
    assert out.startswith(f"Statistik 2024-03-01 til {TODAY.isoformat()}")
    assert "XREF01" in out and CPR.value not in out


def test_a_period_backwards_is_refused(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--from", "2024-02-01", "--to", "2024-01-01"]) == 1
    assert "--to is before --from" in capsys.readouterr().err


CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                    reason="needs Debian's chromium and chromium-driver")
def test_html_charts_show_in_chromium(data: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    page = tmp_path / "stats.html"
    stats(capsys, "--format", "html", "--out", str(page))
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1000,2400", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    try:
        driver.get(page.as_uri())
        charts = driver.find_elements(By.CSS_SELECTOR, "svg")
        bars = driver.find_elements(By.CSS_SELECTOR, "svg rect.bar")
        assert charts and all(c.is_displayed() for c in charts)
        assert any(b.size["width"] > 100 for b in bars)  # the 7 referrals' bar is drawn
        assert driver.find_elements(By.CSS_SELECTOR, "svg rect.hidden-bar")
        shots = ROOT / "out" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(shots / "statistik.png"))
    finally:
        driver.quit()
