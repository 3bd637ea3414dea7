"""Limits that hold before anyone is authenticated: bodies cut off while they stream (413,
declared or chunked), headers that must arrive in time, launch tokens out of the log."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

from medcom_adapter.journal.interface import Query
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.service import Settings, create_app
from medcom_adapter.service.server import RedactLaunchTokens, protocol
from tests.service.conftest import CONTEXT, Harness
from tests.service.live import serving


def test_an_oversized_declared_body_is_413_before_the_key_is_looked_at(
        harness: Harness) -> None:
    big = b"x" * (3 * 1024 * 1024)
    for headers in ({}, harness.auth("mca_000000000000_wrong"), harness.auth()):
        response = harness.client.post("/api/referrals", content=big, headers={
            **headers, "content-type": "application/json"})
        assert response.status_code == 413, response.text
    assert harness.journal.find(Query()) == [] and harness.journal.audit_log() == []


def test_an_oversized_chunked_body_is_413_not_400(harness: Harness) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(48):
            yield b"x" * 65536

    response = harness.client.post("/api/referrals", content=chunks(),
                                   headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    harness.open("referral")  # a page reads its form only for a live session
    response = harness.client.post("/henvisning", content=chunks(), headers={
        "content-type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413 and "for stor" in response.text


def test_launch_urls_come_from_the_configured_address_not_the_host_header(
        harness: Harness) -> None:
    harness.settings.public_url = "https://medcom.kommune.example"
    response = harness.client.post("/api/launch", json={**CONTEXT, "kind": "km"},
                                   headers={**harness.auth(), "host": "evil.example"})
    assert response.json()["url"].startswith("https://medcom.kommune.example/launch/")


def _closed(sock: socket.socket) -> bool:
    """Whether the server closed the connection (b'' or a reset), waiting as long as it
    takes it; the socket's own timeout only bounds a broken server."""
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


def test_a_client_that_trickles_its_headers_is_cut_off() -> None:
    app = create_app(MemoryJournal(), Settings())
    with serving(app, http=protocol(header_timeout=0.3)) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
            slow.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n")  # never finished
            assert _closed(slow)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as prompt:
            prompt.sendall(b"GET /static/style.css HTTP/1.1\r\nHost: x\r\n\r\n")
            assert prompt.recv(1024).startswith(b"HTTP/1.1 200")


def test_launch_tokens_are_cut_from_access_log_lines() -> None:
    token = "AbCdEfGhIjKlMnOpQrStUvWx.1795000000.c2lnbmF0dXJl"
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", f"/launch/{token}", "1.1", 303), None)
    assert RedactLaunchTokens().filter(record)
    line = record.getMessage()
    assert "/launch/AbCdEf..." in line and token not in line and "1795000000" not in line
