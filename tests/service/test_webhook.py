"""Signed webhook delivery of inbound correspondence."""

from __future__ import annotations

import base64
import json

import httpx

from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.service.webhook import HEADER, deliver, payload, sign, verify
from tests.service.conftest import CPR
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
