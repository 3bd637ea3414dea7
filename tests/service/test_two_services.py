"""The acceptance of running several services: two real ``serve`` processes on one
PostgreSQL journal, as behind a load balancer. A launch on one opens on the other (once), the
page session it starts works on both, and a key revoked while they run is refused by both,
its session with it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.journal.conftest import NO_POSTGRES, POSTGRES_URL, with_schema
from tests.service.conftest import CONTEXT
from tests.service.live import free_port

SECRET = "ab" * 32  # MEDCOM_SERVICE_SECRET: the same in every process behind one address


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "medcom_adapter", *args], env=env,
                          capture_output=True, check=True, timeout=60)
    return done.stdout.decode().strip().splitlines()[-1]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    import psycopg

    schema = f"two_services_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEDCOM_")}
    environment.update(MEDCOM_DATA_DIR=str(tmp_path / "data"), MEDCOM_SERVICE_SECRET=SECRET,
                       MEDCOM_JOURNAL_URL=with_schema(POSTGRES_URL, schema))
    yield environment
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


def _ready(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base} did not become ready")


def test_a_launch_opens_on_the_other_service_and_a_revoked_key_is_refused_by_both(
        env: dict[str, str]) -> None:
    unit = f"{CONTEXT['unit']['sor']}:{CONTEXT['unit']['ean']}"
    key = _cli(env, "api-key", "add", "sbsys", "--unit", unit)
    ports = (free_port(), free_port())
    servers = [subprocess.Popen(
        [sys.executable, "-m", "medcom_adapter", "serve", "--port", str(port), "--no-workers"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
    one, other = (f"http://127.0.0.1:{port}" for port in ports)
    auth = {"Authorization": f"Bearer {key}"}
    try:
        _ready(one)
        _ready(other)
        launched = httpx.post(f"{one}/api/launch", json={**CONTEXT, "kind": "km"},
                              headers=auth)
        assert launched.status_code == 201, launched.text
        url = launched.json()["url"]
        assert url.startswith(f"{one}/launch/")
        path = url.removeprefix(one)
        with httpx.Client(base_url=other) as browser:
            opened = browser.get(path, follow_redirects=True)
            assert opened.status_code == 200 and "Korrespondancemeddelelse" in opened.text
            session = dict(browser.cookies)
        assert httpx.get(f"{one}{path}").status_code == 410  # once, whichever opens it
        # the session the other service started is good on this one too
        assert httpx.get(f"{one}/km", cookies=session).status_code == 200
        for base in (one, other):
            assert httpx.get(f"{base}/api/messages/1", headers=auth).status_code == 404
        _cli(env, "api-key", "revoke", key.split("_")[1])
        for base in (one, other):  # refused at once by both, and what it launched ends
            refused = httpx.get(f"{base}/api/messages/1", headers=auth)
            assert refused.status_code == 401
            assert refused.json()["code"] == "api.unauthorized"
            assert httpx.get(f"{base}/km", cookies=session).status_code == 401
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def test_two_services_racing_one_idempotency_key_queue_one_referral(
        env: dict[str, str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.service.test_api import referral_body

    unit = f"{CONTEXT['unit']['sor']}:{CONTEXT['unit']['ean']}"
    key = _cli(env, "api-key", "add", "sbsys", "--unit", unit)
    ports = (free_port(), free_port())
    servers = [subprocess.Popen(
        [sys.executable, "-m", "medcom_adapter", "serve", "--port", str(port), "--no-workers"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    body = referral_body()
    try:
        for base in bases:
            _ready(base)
        for n in range(5):  # each round: one key, posted to both services at once
            headers = {"Authorization": f"Bearer {key}",
                       "Idempotency-Key": f"race-{n}-{uuid.uuid4()}"}
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(
                    lambda base, h=headers: httpx.post(f"{base}/api/referrals", json=body,
                                                       headers=h, timeout=60), bases))
            assert [a.status_code for a in answers] == [201, 201], answers[0].text
            assert answers[0].json() == answers[1].json()
            assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == [
                "", "true"]
        found = httpx.post(f"{bases[0]}/api/messages/search",
                           json={"episode_id": CONTEXT["episode_id"]},
                           headers={"Authorization": f"Bearer {key}"}, timeout=60).json()
        assert sorted(m["kind"] for m in found) == sorted(["XREF01", "XBIN02"] * 5)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
