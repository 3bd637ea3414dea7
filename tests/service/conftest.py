"""Shared fixtures: an app on a fake journal with a settable clock, a case system's API key."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from medcom_adapter.journal.factory import DATA_DIR_ENV, open_journal
from medcom_adapter.journal.interface import Journal
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.journal.shared import KeyRecord, Unit
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.service import Settings, create_app
from medcom_adapter.service.apikeys import DEFAULT_SCOPES, SCOPES, ApiKeys
from tests.conftest import FIXTURES

PDF = (FIXTURES / "requests" / "henvisningsskema-bup.pdf").read_bytes()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)  # starts like a PNG: uploads are checked by content
CPR = "2509479989"  # MedCom test person
BUP = "88020001000016009"  # Region Eksempel's BUP department (XBIN02 attachments)
BUP_XBIN01 = "88030001000016007"  # Region Prøve's (XBIN01 attachments)
GP = "265161000016000"
GP_EAN = "5790000121526"  # the GP takes XDIS91 and CareCommunication: KMs go as FHIR
DENTAL = "88040001000016006"  # takes XDIS91 only: KMs go as XDIS91
DENTAL_EAN = "5790000777778"
DNHF_EAN = "5790000200009"
CONTEXT: dict[str, Any] = {
    "patient": {"cpr": CPR, "given_name": "Bruno Test", "surname": "Elmer",
                "address": {"street": "Testvej 3", "postcode": "9999", "district": "Eksempelby"},
                "gp_sor": GP},
    "unit": {"sor": "953741000016009", "ean": "5790000123452", "name": "Eksempel Kommune PPR",
             "address": {"street": "Skolevej 1", "postcode": "9999", "district": "Eksempelby"},
             "speciality": "psykolog"},
    "worker": {"name": "Sara Testsen", "title": "Psykolog", "phone": "70100000"},
    "episode_id": "8f0c4a52-3d1e-4a8b-9c7e-2b5d6f1a0e93",
}

UNIT = Unit(CONTEXT["unit"]["sor"], CONTEXT["unit"]["ean"])


def issue_key(journal: Journal, name: str = "sbsys", scopes: tuple[str, ...] = DEFAULT_SCOPES,
              units: tuple[Unit, ...] = (UNIT,)) -> tuple[KeyRecord, str]:
    """A case system's key for the example PPR unit, stored in ``journal``'s shared state."""
    return ApiKeys(journal.shared).add(name, units, scopes)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Harness:
    client: TestClient
    journal: MemoryJournal
    settings: Settings
    clock: Clock
    key: str  # every scope
    key_id: str

    @property
    def keys(self) -> ApiKeys:
        return ApiKeys(self.journal.shared, self.clock)

    def actors(self) -> set[str]:
        return {entry.actor for entry in self.journal.audit_log()}

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    def launch(self, kind: str = "referral", *, journal: bool = False) -> str:
        response = self.client.post("/api/launch", json={**CONTEXT, "kind": kind,
                                                         "journal": journal},
                                    headers=self.auth())
        assert response.status_code == 201, response.text
        url: str = response.json()["url"]
        return url

    def open(self, kind: str = "referral", *, journal: bool = False) -> str:
        """Launch and open the page; the CSRF token of the page it lands on."""
        page = self.client.get(self.launch(kind, journal=journal))
        assert page.status_code == 200, page.text
        return csrf_of(page.text)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def assert_problem(response: httpx2.Response) -> None:
    """An API error: RFC 9457 problem+json with a stable code and both titles."""
    assert response.headers["content-type"] == "application/problem+json", response.text
    body = response.json()
    assert body["status"] == response.status_code
    assert re.fullmatch(r"(api|local|remote)\.[a-z0-9.-]+", body["code"]), body
    assert body["type"] == "urn:medcom-adapter:problem:" + body["code"]
    assert body["title"] and body["title_da"]
    assert body["instance"] == f"urn:uuid:{response.headers['x-request-id']}"
    for error in body["errors"]:
        assert re.fullmatch(r"(api|local|remote)\.[a-z0-9.-]+", error["code"]), error


def fields_of(response: httpx2.Response) -> dict[str, dict[str, Any]]:
    """The field errors of a problem answer, by path."""
    assert_problem(response)
    return {e["path"]: e for e in response.json()["errors"]}


def check_api_errors(response: httpx2.Response) -> None:
    """Installed on every test client: every API error the suite sees is a problem."""
    if response.request.url.path.startswith("/api/") and response.status_code >= 400:
        response.read()
        assert_problem(response)


def api_client(app: Any) -> TestClient:
    client = TestClient(app)
    client.event_hooks = {"response": [check_api_errors], "request": []}
    return client


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture
def harness() -> Iterator[Harness]:
    clock = Clock()
    settings = Settings(clock=clock, max_upload_bytes=64 * 1024)
    journal = MemoryJournal(clock=clock)
    key, secret = issue_key(journal, "sbsys-test", SCOPES)
    with api_client(create_app(journal, settings)) as client:
        yield Harness(client, journal, settings, clock, secret, key.id)


@pytest.fixture
def sqlite_journal(tmp_path: Path) -> Iterator[SqlJournal]:
    """A durable journal of its own (SQLite in the test's folder)."""
    journal = open_journal(f"sqlite:///{tmp_path}/journal.sqlite3",
                           env={DATA_DIR_ENV: str(tmp_path)})
    assert isinstance(journal, SqlJournal)
    yield journal
    journal.close()
