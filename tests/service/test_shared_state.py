"""Two ``serve`` processes on one journal (or one after a restart) share keys, launch links,
sessions and drafts: nothing that matters waits in one process's memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Journal, Query, Status
from medcom_adapter.service import Settings, create_app
from tests.service.conftest import CONTEXT, Clock, api_client, csrf_of, issue_key
from tests.service.test_pages import pdf_file, referral_form

SECRET = bytes(range(32))  # both processes sign launch links alike (MEDCOM_SERVICE_SECRET)


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, Journal, Clock]]:
    """Two applications, each with its own connection to one SQLite journal."""
    env = {"MEDCOM_DATA_DIR": str(tmp_path)}
    clock = Clock()
    first, second = (open_journal(None, env=env, clock=clock) for _ in range(2))
    settings = Settings(clock=clock, secret=SECRET, max_upload_bytes=64 * 1024)
    with (api_client(create_app(first, settings)) as a,
          api_client(create_app(second, settings)) as b):
        yield a, b, first, clock
    first.close()
    second.close()


def test_a_link_opened_a_draft_made_and_sent_across_processes(
        two_processes: tuple[TestClient, TestClient, Journal, Clock]) -> None:
    a, b, journal, _ = two_processes
    key = issue_key(journal)[1]
    url = a.post("/api/launch", json={**CONTEXT, "kind": "referral"},
                 headers={"Authorization": f"Bearer {key}"}).json()["url"]
    page = b.get(url)  # opened by the other process
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    a.cookies = b.cookies  # the browser's next request lands on the first process
    made = a.post("/henvisning", data=referral_form(csrf), files=pdf_file(),
                  follow_redirects=False)
    assert made.status_code == 303
    assert "Angst og skolevægring" in b.get(made.headers["location"]).text
    assert not journal.find(Query())
    sent = b.post(made.headers["location"], data={"csrf": csrf}, follow_redirects=False)
    assert sent.status_code == 303
    assert a.post(made.headers["location"], data={"csrf": csrf}).status_code == 404
    kinds = [m.message.kind for m in journal.find(Query(status=Status.QUEUED))]
    assert kinds == ["XREF01", "XBIN02"]  # queued once
    status = a.get(sent.headers["location"])
    assert status.status_code == 200 and "XBIN02" in status.text  # the session's sent ids
    assert b.get(url).status_code == 410  # the link worked once, in either process


def test_logout_and_inactivity_end_the_session_in_every_process(
        two_processes: tuple[TestClient, TestClient, Journal, Clock]) -> None:
    a, b, journal, clock = two_processes
    key = issue_key(journal)[1]

    def opened() -> str:
        url = a.post("/api/launch", json={**CONTEXT, "kind": "km"},
                     headers={"Authorization": f"Bearer {key}"}).json()["url"]
        page = a.get(url)
        b.cookies = a.cookies
        return csrf_of(page.text)

    csrf = opened()
    assert b.get("/km").status_code == 200
    assert b.post("/log-ud", data={"csrf": csrf}).status_code == 200
    assert a.get("/km").status_code == 401
    opened()
    clock.advance(29 * 60)
    assert b.get("/km").status_code == 200  # use keeps it alive
    clock.advance(29 * 60)
    assert a.get("/km").status_code == 200
    clock.advance(30 * 60)
    response = b.get("/km")
    assert response.status_code == 401 and "Sessionen er udløbet" in response.text


def test_revoking_the_launching_key_ends_its_sessions(
        two_processes: tuple[TestClient, TestClient, Journal, Clock]) -> None:
    a, b, journal, _ = two_processes
    record, key = issue_key(journal)
    url = a.post("/api/launch", json={**CONTEXT, "kind": "km"},
                 headers={"Authorization": f"Bearer {key}"}).json()["url"]
    assert b.get(url).status_code == 200
    from medcom_adapter.service.apikeys import ApiKeys

    ApiKeys(journal.shared).revoke(record.id)
    assert b.get("/km").status_code == 401


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "medcom_adapter", *args], env=env,
                          capture_output=True, check=True)
    return done.stdout.decode()


def test_a_key_revoked_or_added_while_two_servers_run_counts_on_the_next_request(
        tmp_path: Path) -> None:
    """Two real ``serve`` processes on one journal (PostgreSQL when configured, else the
    embedded SQLite): the CLI revokes a key and adds one; both answer accordingly at once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDCOM_")}
    env["MEDCOM_DATA_DIR"] = str(tmp_path / "data")
    postgres = os.environ.get("MEDCOM_TEST_POSTGRES_URL")
    schema = None
    if postgres:
        import uuid

        import psycopg

        from tests.journal.conftest import with_schema

        schema = f"serve_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
        env["MEDCOM_JOURNAL_URL"] = with_schema(postgres, schema)
    unit = f"{CONTEXT['unit']['sor']}:{CONTEXT['unit']['ean']}"
    old = _cli(env, "api-key", "add", "sbsys", "--unit", unit).strip().splitlines()[-1]
    ports = [_free_port(), _free_port()]
    servers = [subprocess.Popen([sys.executable, "-m", "medcom_adapter", "serve", "--port",
                                 str(p), "--no-workers"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for p in ports]
    bases = [f"http://127.0.0.1:{p}" for p in ports]

    def search(base: str, key: str) -> int:
        return httpx.post(f"{base}/api/messages/search", json={"episode_id": "x"},
                          headers={"Authorization": f"Bearer {key}"}).status_code

    try:
        for base in bases:
            for _ in range(200):
                try:
                    httpx.get(f"{base}/openapi.json", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
        assert [search(base, old) for base in bases] == [200, 200]
        new = _cli(env, "api-key", "add", "epj", "--unit", unit).strip().splitlines()[-1]
        _cli(env, "api-key", "revoke", old.split("_")[1])
        assert [search(base, old) for base in bases] == [401, 401]
        assert [search(base, new) for base in bases] == [200, 200]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        if schema is not None:
            import psycopg

            with psycopg.connect(postgres or "", autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA {schema} CASCADE")
