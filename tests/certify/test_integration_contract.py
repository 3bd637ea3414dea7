"""``certify --integration``: the contract is checked against a real ``serve`` on loopback
(every item kept) and against deliberately broken services in front of it (a proxy that
breaks one promise), which must fail exactly the items whose promise is broken."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from medcom_adapter.certify.integration import ITEMS, Contract, ItemResult
from tests.service.live import free_port, serving

UNIT = "953741000016009:5790000123452"
OTHER_UNIT = "88040001000016006:5790000777778"  # the example dental service


def _key(env: dict[str, str], name: str, unit: str) -> str:
    added = subprocess.run([sys.executable, "-m", "medcom_adapter", "api-key", "add", name,
                            "--unit", unit], env=env, capture_output=True, check=True)
    return added.stdout.decode().strip().splitlines()[-1]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """A real ``serve`` (sandbox network, embedded journal): (URL, key, other key)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDCOM_")}
    env["MEDCOM_DATA_DIR"] = str(tmp_path_factory.mktemp("serve"))
    key, other = _key(env, "sagssystem", UNIT), _key(env, "andet-system", OTHER_UNIT)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "medcom_adapter", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, key, other
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(base: str, key: str, other: str | None) -> dict[str, ItemResult]:
    return {r.item.id: r for r in Contract(base, key, other_key=other, timeout=60.0,
                                           poll=0.1).run()}


def failing(results: dict[str, ItemResult]) -> dict[str, list[str]]:
    return {k: r.failures for k, r in results.items() if r.failures}


def test_a_real_service_keeps_every_item(service: tuple[str, str, str]) -> None:
    results = run(*service)
    assert failing(results) == {}
    assert [r.skipped for r in results.values()] == [None] * len(ITEMS)
    evidence = [line for r in results.values() for line in r.evidence]
    assert any(line.startswith("POST /api/launch (no key) -> 401 application/problem+json")
               for line in evidence)
    assert any("(other key) -> 404 application/problem+json" in line for line in evidence)
    assert not any("2509479989" in line for line in evidence)  # no CPR in the evidence


def test_without_a_second_key_tenancy_is_skipped_not_passed(
        service: tuple[str, str, str]) -> None:
    base, key, _ = service
    results = run(base, key, None)
    assert failing(results) == {}
    assert results["I-TENANCY"].skipped and not results["I-TENANCY"].passed


def broken(upstream: str, *faults: str) -> FastAPI:
    """A service in front of ``upstream`` that breaks the promises ``faults`` name."""
    app = FastAPI()
    first_launch: dict[str, Response] = {}

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def proxy(path: str, request: Request) -> Response:
        params = dict(request.query_params)
        if "ignores-cursor" in faults and path == "api/inbound":
            params.pop("after", None)
        async with httpx.AsyncClient(base_url=upstream) as client:
            answer = await client.request(
                request.method, f"/{path}", params=params, content=await request.body(),
                headers={k: v for k, v in request.headers.items() if k in (
                    "authorization", "content-type", "idempotency-key")
                    and not (k == "idempotency-key" and "forgets-keys" in faults)})
        headers = {k: v for k, v in answer.headers.items()
                   if k in ("content-type", "x-request-id", "www-authenticate", "location",
                            "set-cookie", "idempotent-replayed")}
        # launch URLs name the service the case system called
        here = str(request.base_url).rstrip("/").encode()
        response = Response(answer.content.replace(upstream.encode(), here),
                            answer.status_code, headers)
        if "reusable-launch" in faults and path.startswith("launch/"):
            return first_launch.setdefault(path, response)  # the first answer, every time
        if "says-forbidden" in faults and path.startswith("api/messages/") \
                and answer.status_code == 404:
            return Response(answer.content.replace(b"not-found", b"forbidden"), 403, headers)
        return response

    return app


def test_a_reusable_launch_and_an_ignored_cursor_fail_those_items(
        service: tuple[str, str, str]) -> None:
    base, key, other = service
    with serving(broken(base, "reusable-launch", "ignores-cursor")) as url:
        results = run(url, key, other)
    failed = failing(results)
    assert set(failed) == {"I-LAUNCH", "I-INBOUND"}
    assert failed["I-LAUNCH"] == ["launch URL, second use: expected a refusal, got 303 "
                                  "(a launch URL works once)"]
    assert any("out of order or twice" in why for why in failed["I-INBOUND"])


def test_answering_403_for_hidden_messages_fails_not_found_and_tenancy(
        service: tuple[str, str, str]) -> None:
    base, key, other = service
    with serving(broken(base, "says-forbidden")) as url:
        results = run(url, key, other)
    failed = failing(results)
    assert set(failed) == {"I-NOT-FOUND", "I-TENANCY"}
    assert failed["I-NOT-FOUND"][0] == ("an unknown message: expected 404, got 403 "
                                        "(api.forbidden)")
    assert all("expected 404, got 403" in why for why in failed["I-TENANCY"])


def test_a_service_forgetting_idempotency_keys_fails_that_item(
        service: tuple[str, str, str]) -> None:
    base, key, other = service
    with serving(broken(base, "forgets-keys")) as url:
        results = run(url, key, other)
    failed = failing(results)
    assert set(failed) == {"I-IDEMPOTENT"}
    assert "the same send again queued 1 more message(s)" in failed["I-IDEMPOTENT"]


def test_cli_reports_per_item_with_junit(service: tuple[str, str, str], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from lxml import etree

    from medcom_adapter.cli import main

    base, key, other = service
    junit = tmp_path / "contract.xml"
    assert main(["certify", "--integration", base, "--key", key, "--other-key", other,
                 "--junit", str(junit)]) == 0
    out = capsys.readouterr().out
    assert f"[1/{len(ITEMS)}] I-AUTH" in out
    assert f"{len(ITEMS)} contract items: {len(ITEMS)} passed, 0 failed, 0 skipped" in out
    cases = list(etree.parse(str(junit)).getroot().iter("testcase"))
    assert len(cases) == len(ITEMS) and not any(c.find("failure") is not None for c in cases)
    assert main(["certify", "--integration", base, "--key", "mca_000000000000_x"]) == 1
    assert "FAILED I-LAUNCH: launch: expected 201, got 401 (api.unauthorized)" in \
        capsys.readouterr().out
