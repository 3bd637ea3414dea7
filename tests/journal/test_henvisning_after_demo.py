"""The §126a acceptance on the embedded defaults: after the demo (what ``make run`` runs),
a civilsamfund henvisning recorded for the demo course joins the referral's in the export."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from medcom_adapter.cli import main
from medcom_adapter.stats.figures import DANISH_TIME
from tests.conftest import FIXTURES


def test_a_civilsamfund_henvisning_joins_the_demo_referral_in_the_export(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("MEDCOM_JOURNAL_URL", "MEDCOM_JOURNAL_KEY", "MEDCOM_JOURNAL_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEDCOM_DATA_DIR", str(tmp_path / "data"))
    assert main(["demo"]) == 0
    summary = capsys.readouterr().out
    request = json.loads((FIXTURES / "requests" / "referral-bup.json").read_text("utf-8"))
    course = request["episodes_of_care"][0]["identifier"]
    assert re.search(rf"forløb {course}", summary)
    today = datetime.now(DANISH_TIME).date().isoformat()
    assert main(["journal", "--actor", "psykolog", "henvisning", "add", "--course", course,
                 "--class", "civilsamfund", "--date", today, "--patient",
                 request["patient"]["id"], "--unit", request["sender"]["identifier"]]) == 0
    capsys.readouterr()
    around = [(datetime.now(DANISH_TIME).date() + timedelta(days=d)).isoformat() for d in (-1, 1)]
    assert main(["journal", "--actor", "psykolog", "export-classifications",
                 "--from", around[0], "--to", around[1]]) == 0
    rows = [r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))
            if r["forloebs_id"] == course]
    assert sorted(r["henvisning_kode"] for r in rows) == ["boerne-ungdomspsykiatri",
                                                          "civilsamfund"]
    assert main(["journal", "--actor", "psykolog", "verify"]) == 0
