"""What the operator sees: health, readiness, metrics, the data directory, the sandbox
banner and the public URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcom_adapter.cli import main
from medcom_adapter.journal.factory import data_dir, open_journal, public_url
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.service import Settings, create_app
from tests.service.conftest import CONTEXT, UNIT, Harness, api_client, issue_key


class StoppedWorkers:
    running = False

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 0) -> None:
        pass


def test_health_and_readiness(harness: Harness) -> None:
    assert harness.client.get("/healthz").json() == {"status": "ok"}
    ready = harness.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"journal": "ok"}


def test_not_ready_without_the_journal_or_with_stopped_workers(tmp_path: Path) -> None:
    journal = open_journal(f"sqlite:///{tmp_path / 'j.sqlite3'}",
                           env={"MEDCOM_DATA_DIR": str(tmp_path)})
    with api_client(create_app(journal, Settings(), workers=StoppedWorkers())) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"journal": "ok", "workers": "stopped"}
        journal.close()
        assert client.get("/readyz").json()["checks"]["journal"] == "unavailable"
        assert client.get("/healthz").status_code == 200


def test_metrics_count_what_the_api_queued(harness: Harness) -> None:
    sent = harness.client.post("/api/km", headers=harness.auth(), json={
        **CONTEXT, "receiver_sor": "88040001000016006", "text": "Kære tandlæge"})
    assert sent.status_code == 201, sent.text
    metrics = harness.client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'medcom_queue_depth{kind="XDIS91"} 1.0' in metrics.text
    assert CONTEXT["patient"]["cpr"] not in metrics.text
    assert "/metrics" not in harness.client.get("/openapi.json").text


def test_pages_on_the_sandbox_carry_the_test_banner() -> None:
    for sandbox in (True, False):
        settings = Settings(sandbox=sandbox)
        journal = MemoryJournal()
        _, key = issue_key(journal)
        with api_client(create_app(journal, settings)) as client:
            url = client.post("/api/launch", json={**CONTEXT, "kind": "km"},
                              headers={"Authorization": f"Bearer {key}"}).json()["url"]
            page = client.get(url)
            assert page.status_code == 200
            assert ("TESTMILJØ – sandkasse" in page.text) is sandbox  # noqa: RUF001


def test_launch_urls_start_with_the_public_url() -> None:
    settings = Settings(public_url="https://medcom.kommune.example/")
    journal = MemoryJournal()
    _, key = issue_key(journal)
    with api_client(create_app(journal, settings)) as client:
        url = client.post("/api/launch", json={**CONTEXT, "kind": "km"},
                          headers={"Authorization": f"Bearer {key}"}).json()["url"]
    assert url.startswith("https://medcom.kommune.example/launch/")


def test_the_data_directory_is_absolute_and_the_same_from_anywhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MEDCOM_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "medcom-adapter"
    assert data_dir({"MEDCOM_DATA_DIR": "relative/dir"}).is_absolute()
    for where in ("a", "b"):  # two working directories, one key store
        (tmp_path / where).mkdir()
        monkeypatch.chdir(tmp_path / where)
        assert main(["api-key", "add", f"sbsys-{where}", "--unit", str(UNIT)]) == 0
    capsys.readouterr()
    assert main(["--verbose", "api-key", "list"]) == 0
    out, err = capsys.readouterr()
    assert "sbsys-a" in out and "sbsys-b" in out
    assert f"data directory {tmp_path / 'xdg' / 'medcom-adapter'}" in err
    assert not (tmp_path / "a" / ".medcom").exists()


def test_journal_urls_are_printed_without_their_password() -> None:
    url = "postgresql://medcom:hemmeligt-kodeord@db.kommune.example:5432/medcom"
    assert public_url(url) == "postgresql://medcom:***@db.kommune.example:5432/medcom"
    assert public_url("sqlite:////var/lib/medcom/journal.sqlite3").endswith("journal.sqlite3")
