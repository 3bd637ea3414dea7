"""The network commands: the demo, and send -> sandbox -> poll over mailbox folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from medcom_adapter.cli import main
from tests.conftest import FIXTURES

PPR = "5790000123452"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEDCOM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MEDCOM_JOURNAL_URL", raising=False)
    monkeypatch.delenv("MEDCOM_JOURNAL_KEY", raising=False)
    monkeypatch.delenv("MEDCOM_JOURNAL_KEY_FILE", raising=False)
    return tmp_path / "data"


def test_the_demo_sends_receives_and_summarises_with_cpr_masked(
    capsys: pytest.CaptureFixture[str], data_dir: Path,
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert f"journal: SQLite in {data_dir / 'journal.sqlite3'}" in out
    assert (data_dir / "journal.sqlite3").exists()  # the embedded default store
    # XREF01, XBIN02, XDIS91, XBIN01, CareCommunication
    assert out.count(": acknowledged") == 5
    assert "§126a henvisning: Børne- og ungdomspsykiatri" in out
    assert "via Den Nationale Henvisningsformidling" in out
    assert "250947-xxxx" in out and "2509479989" not in out
    assert "XDIS91 XD9134L" in out and "from Lægehuset Eksempel" in out
    assert "KM (CareCommunication) to Lægehuset Eksempel" in out
    assert "answered by Acknowledgement" in out  # the GP's ack of our CareCommunication
    received = out.split("Received")[1]
    assert "CareCommunication 5.0" in received  # the GP's reply ...
    assert "we answered Acknowledgement" in received  # ... and our ack of it
    # the KM over EHMI: its envelope receipt and its EDS report, delivered over mutual TLS
    ehmi = out.split("over EHMI to Lægehuset Eksempel, EHMI-pilot")[1].split("Received")[0]
    assert ": sent (channel ehmi)  patient 250947-xxxx" in ehmi
    assert "answered by SBDHReceipt" in ehmi
    assert "EDS report msg-created-and-sent: delivered as AuditEvent/" in ehmi
    assert "EDS report msg-received-and-finalized: delivered as AuditEvent/" in ehmi.split(
        "answered by SBDHReceipt")[1]  # the MSH's report of the envelope receipt
    assert "EDS holds 2 report(s)" in ehmi
    assert "SBDHReceipt ebbp-signals-2.0" in received
    # the journal lists each message with the channel it left on
    assert main(["journal", "list", "--format", "json", "--kind", "CareCommunication",
                 "--direction", "outbound"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(m["channel"] for m in listed) == ["ehmi", "vans"]
    assert main(["journal", "list"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert "CHANNEL" in table[0] and any(" ehmi " in line for line in table)


def test_the_demo_without_ehmi_is_vans_only(capsys: pytest.CaptureFixture[str],
                                            data_dir: Path) -> None:
    assert main(["demo", "--no-ehmi"]) == 0
    out = capsys.readouterr().out
    assert "over EHMI" not in out and "SBDHReceipt" not in out
    assert out.split("Journal: ")[1].split(";")[0] == "5 acknowledged, 7 delivered, 2 sent"


def test_the_demo_under_faults_still_ends_acknowledged(
    capsys: pytest.CaptureFixture[str], data_dir: Path,
) -> None:
    assert main(["demo", "--faults", "seed=5,duplicate=0.3,reorder=0.3"]) == 0
    first = capsys.readouterr().out
    assert first.count(": acknowledged") == 5
    assert main(["demo"]) == 0  # again, on the same SQLite journal: summarises this run only
    second = capsys.readouterr().out
    assert second.count(": acknowledged") == 5
    # + the KM over EHMI: sent (the envelope receipt says it arrived) and its receipt
    assert second.split("Journal: ")[1].split(";")[0] == "5 acknowledged, 8 delivered, 3 sent"


def test_send_then_the_sandbox_carries_the_referral_and_its_receipts_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    box = tmp_path / PPR
    request = FIXTURES / "requests" / "referral-bup.json"
    assert main(["send", "referral", "--request", str(request), "--mailbox", str(box),
                 "--journal", "memory:"]) == 0
    assert "sent 2, failed 0" in capsys.readouterr().out
    assert len(os.listdir(box / "out")) == 2
    assert main(["sandbox", "--root", str(tmp_path), "--mailbox", PPR, "--steps", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("XCTL03") == 2 and os.listdir(box / "out") == []
    assert sorted(n.split("_")[0] for n in os.listdir(box / "in")) == ["XCTL03", "XCTL03"]
    assert main(["poll", "--mailbox", str(box), "--journal", "memory:",
                 "--deliver-to", str(tmp_path / "delivered")]) == 0
    # this journal (in memory, fresh) never sent them: taken in and refused, not delivered
    assert "refused 2" in capsys.readouterr().out
    assert os.listdir(box / "in") == [] and not (box / "archive").exists()  # no copy kept


def test_poll_needs_a_place_to_deliver(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["poll", "--mailbox", str(tmp_path), "--journal", "memory:"]) == 1
    assert "local.configuration" in capsys.readouterr().err
