"""Signed webhook delivery of inbound correspondence."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from medcom_adapter.cli import main
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.journal.shared import KeyRecord
from medcom_adapter.node import sandbox_loop
from medcom_adapter.service import Settings, create_app
from medcom_adapter.service.apikeys import ApiKeys, signing_key
from medcom_adapter.service.webhook import (
    HEADER,
    CaseSystemWebhooks,
    deliver,
    payload,
    sign,
    verify,
)
from tests.service.conftest import CONTEXT, CPR, GP, GP_EAN, UNIT, api_client
from tests.service.inbound import inbound_care_communication

SECRET = b"shared-with-the-case-system"
NOW = 1_795_000_000


def test_signature_verifies_and_refuses_tampering_other_secrets_and_old_deliveries() -> None:
    body = b'{"id": 1}'
    header = sign(body, SECRET, NOW)
    assert verify(body, header, SECRET, now=NOW + 10)
    assert not verify(b'{"id": 2}', header, SECRET, now=NOW)
    assert not verify(body, header, b"another secret", now=NOW)
    assert not verify(body, header, SECRET, now=NOW + 301)
    assert not verify(body, header.replace("t=", "t=1"), SECRET, now=NOW)
    assert not verify(body, "garbage", SECRET, now=NOW)


def test_deliver_posts_the_message_signed() -> None:
    journal = MemoryJournal()
    journal_id, _ = inbound_care_communication(journal)
    stored = journal.get(journal_id)
    seen: list[httpx.Request] = []

    def case_system(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        ok = verify(request.content, request.headers[HEADER], SECRET, now=NOW)
        return httpx.Response(204 if ok else 401)

    with httpx.Client(transport=httpx.MockTransport(case_system)) as client:
        assert deliver(client, "https://fagsystem.example/hook", SECRET, stored, now=NOW)
        assert not deliver(client, "https://fagsystem.example/hook", b"wrong", stored, now=NOW)
    body = json.loads(seen[0].content)
    assert body["id"] == journal_id and body["patient_cpr"] == CPR
    assert base64.b64decode(body["data_base64"]) == stored.message.data
    assert seen[0].content == payload(stored)
    assert CPR not in str(seen[0].url)


def test_deliver_reports_an_unreachable_case_system() -> None:
    journal = MemoryJournal()
    stored = journal.get(inbound_care_communication(journal)[0])

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(down)) as client:
        assert not deliver(client, "https://fagsystem.example/hook", SECRET, stored, now=NOW)


# -- end to end: the inbox worker pushes the GP's reply to the case system ------------------

class CaseSystem:
    """A case system's webhook receiver on 127.0.0.1; answers 500 first, then 204."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers = [500]
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.answers.pop(0) if outer.answers else 204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/medcom"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_received_km_is_pushed_signed_to_the_case_systems_webhook() -> None:
    case_system = CaseSystem()
    journal = MemoryJournal()
    settings = Settings()
    keys = ApiKeys(journal.shared)
    key, api_key = keys.add("sbsys", (UNIT,))
    keys.add("reporting", (UNIT,), ("read",))  # no inbound scope: gets nothing
    secret = keys.set_webhook(key.id, case_system.url)
    assert secret is not None
    workers = sandbox_loop(journal, settings.directory, unit_ean=CONTEXT["unit"]["ean"],
                           hook=CaseSystemWebhooks(keys, journal), interval=0.05)
    try:
        with api_client(create_app(journal, settings, workers=workers)) as client:
            sent = client.post("/api/km", headers={"Authorization": f"Bearer {api_key}"},
                               json={**CONTEXT, "receiver_sor": GP, "text": "Kære læge",
                                     "category": "carecoordination"})
            assert sent.status_code == 201, sent.text
            deadline = time.monotonic() + 30
            while len(case_system.received) < 2:  # refused once, then taken
                assert time.monotonic() < deadline, case_system.received
                time.sleep(0.05)
            time.sleep(0.3)  # a few more rounds: nothing is delivered again once taken
        (first, first_body), (second, body) = case_system.received
    finally:
        case_system.close()
    assert len(case_system.received) == 2
    assert first_body == body and first["idempotency-key"] == second["idempotency-key"]
    assert secret.startswith("whsec_")  # used as printed: its UTF-8 bytes are the key
    assert verify(body, second[HEADER.lower()], secret.encode(), now=time.time())
    assert not verify(body, second[HEADER.lower()], b"another secret", now=time.time())
    pushed = json.loads(body)
    stored = journal.get(pushed["id"])
    assert stored.message.kind == "CareCommunication" == pushed["kind"]
    assert stored.status is Status.DELIVERED and stored.message.sender_ean == GP_EAN
    assert pushed["patient_cpr"] == CPR
    assert base64.b64decode(pushed["data_base64"]) == stored.message.data
    assert any(e.actor == "worker:webhook" for e in journal.audit_log())


def test_api_key_webhook_command_stores_the_url_and_prints_the_secret_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    monkeypatch.setenv("MEDCOM_DATA_DIR", str(tmp_path))
    main(["api-key", "add", "sbsys", "--unit", str(UNIT), "--journal", url])
    key_id = capsys.readouterr().out.strip().splitlines()[-1].split("_")[1]
    assert main(["api-key", "webhook", key_id, "https://fagsystem.example/medcom",
                 "--journal", url]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]

    def webhooks() -> tuple[KeyRecord, ...]:
        journal = open_journal(url)
        try:
            return ApiKeys(journal.shared).webhooks()
        finally:
            journal.close()

    (hook,) = webhooks()
    assert hook.webhook_url == "https://fagsystem.example/medcom"
    assert hook.webhook_secret == secret
    assert main(["api-key", "webhook", key_id, "ftp://x", "--journal", url]) == 2
    assert main(["api-key", "webhook", key_id, "--journal", url]) == 0
    assert webhooks() == ()


def test_a_secret_from_before_the_whsec_form_keeps_signing_as_it_did() -> None:
    legacy = "ab" * 32  # 64 hex digits, as earlier versions printed
    assert signing_key(legacy) == bytes.fromhex(legacy)
    assert signing_key("whsec_" + "ab" * 32) == ("whsec_" + "ab" * 32).encode()
    keys = ApiKeys(MemoryJournal().shared)
    key, _ = keys.add("sbsys", (UNIT,))
    secret = keys.set_webhook(key.id, "https://fagsystem.example/medcom")
    (hook,) = keys.webhooks()
    assert secret is not None and secret.startswith("whsec_")
    assert hook.webhook_secret is not None and signing_key(hook.webhook_secret) == secret.encode()
