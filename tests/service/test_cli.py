"""``medcom-adapter api-key`` and ``serve``: keys stored hashed; the server answers on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from medcom_adapter.cli import main
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.service.apikeys import ApiKeys
from tests.service.conftest import CONTEXT, UNIT


def test_api_keys_are_added_listed_revoked_and_stored_only_hashed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDCOM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MEDCOM_JOURNAL_URL", raising=False)
    assert main(["api-key", "add", "sbsys", "--scope", "launch", "--scope", "read",
                 "--unit", str(UNIT)]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert secret.startswith("mca_")
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert secret.split("_", 2)[2].encode() not in stored
    journal = open_journal(None)
    store = ApiKeys(journal.shared)
    assert store.check(secret, "launch") is not None and store.check(secret, "send") is None
    key_id = secret.split("_")[1]
    assert main(["api-key", "list"]) == 0
    assert f"{key_id}  sbsys  launch,read  {UNIT}  active" in capsys.readouterr().out
    assert main(["api-key", "revoke", key_id]) == 0
    assert store.check(secret, "launch") is None  # the same open journal sees it at once
    journal.close()
    assert main(["api-key", "add", "x", "--scope", "admin", "--unit", str(UNIT)]) == 2
    assert main(["api-key", "add", "x", "--unit", "not-a-sor"]) == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_on_the_embedded_defaults_sends_over_the_sandbox(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDCOM_")}
    env["MEDCOM_DATA_DIR"] = str(tmp_path / "data")
    added = subprocess.run([sys.executable, "-m", "medcom_adapter", "api-key", "add", "sbsys",
                            "--unit", str(UNIT)], env=env, capture_output=True, check=True)
    secret = added.stdout.decode().strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "medcom_adapter", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        response = httpx.post(f"{base}/api/launch", json={**CONTEXT, "kind": "km"},
                              headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 201
        assert response.json()["url"].startswith(f"{base}/launch/")
        page = httpx.get(response.json()["url"], follow_redirects=True)
        assert page.status_code == 200 and "Korrespondancemeddelelse" in page.text
        auth = {"Authorization": f"Bearer {secret}"}
        km = httpx.post(f"{base}/api/km", headers=auth, json={
            **CONTEXT, "receiver_sor": "265161000016000", "category": "carecoordination",
            "text": "Kære læge"})
        assert km.status_code == 201, km.text
        assert km.json()["kind"] == "CareCommunication"
        for _ in range(300):  # the workers send it; the sandbox's GP acknowledges it
            status = httpx.get(f"{base}/api/messages/{km.json()['id']}", headers=auth)
            if status.json()["status"] == "acknowledged":
                break
            time.sleep(0.1)
        assert status.json()["status"] == "acknowledged"
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert CONTEXT["patient"]["cpr"] not in output
    assert "GET /launch/" in output  # access log on, and it shows paths only
    assert (tmp_path / "data" / "journal.sqlite3").exists()  # the embedded SQLite journal
