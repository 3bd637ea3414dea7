"""``medcom-adapter api-key`` and ``serve``: keys stored hashed; the server answers on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from medcom_adapter.cli import main
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.service.apikeys import ApiKeys
from tests.conftest import FIXTURES
from tests.service.conftest import CONTEXT, UNIT

LAUNCH = FIXTURES / "requests" / "launch.json"


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
        capsys.readouterr()
        assert main(["launch", "--request", str(LAUNCH), "--service", base,
                     "--key", secret]) == 0
        by_hand = capsys.readouterr().out.strip()
        assert by_hand.startswith(f"{base}/launch/")
        assert "TESTMILJØ" in httpx.get(by_hand, follow_redirects=True).text
        assert main(["launch", "--request", str(LAUNCH), "--service", base,
                     "--key", "mca_x_y"]) == 1
        assert "api.unauthorized" in capsys.readouterr().err
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
    lines = [json.loads(line) for line in output.splitlines()]  # every line is JSON
    (start,) = [line for line in lines if line["logger"] == "medcom_adapter.serve"]
    assert start["version"] == version("medcom-adapter") and start["api_keys"] == 1
    assert start["unit"] == "5790000123452" and start["network"].startswith("sandbox")
    assert start["public_url"] == base and start["data_directory"] == str(tmp_path / "data")
    assert start["journal"].startswith("sqlite")
    (queued,) = [line for line in lines if line["message"].startswith("queued ")]
    assert queued["journal_ids"][0] == km.json()["id"] and queued["request_id"]
    access = [line for line in lines if line["logger"] == "medcom_adapter.access"]
    assert access and all(len(line["request_id"]) == 36 for line in access)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made here: no network, no openssl CLI)."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "medcom-adapter test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile


def test_serve_over_tls_with_certfile_and_keyfile(tmp_path: Path) -> None:
    import ssl

    certfile, keyfile = _certificate(tmp_path)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDCOM_")}
    env["MEDCOM_DATA_DIR"] = str(tmp_path / "data")
    server = subprocess.Popen(
        [sys.executable, "-m", "medcom_adapter", "serve", "--port", str(port), "--no-workers",
         "--certfile", str(certfile), "--keyfile", str(keyfile), "--log-format", "text"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        trust = ssl.create_default_context(cafile=str(certfile))
        for _ in range(100):
            try:
                health = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        assert health.headers["strict-transport-security"] == "max-age=31536000"
        with pytest.raises(httpx.TransportError):  # plain HTTP is not served
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert "no live API key" in output  # said at start: no case system can call it yet
    assert main(["serve", "--certfile", str(certfile)]) == 2
