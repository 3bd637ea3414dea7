"""``run``/``poll --webhook``: each letter goes signed, as the service's webhooks sign, and only
over https (plain http to this machine only); the receiver's check refuses a hostile
header with False, never an exception."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from medcom_adapter.cli import main
from medcom_adapter.errors import InvalidConfiguration
from medcom_adapter.service.apikeys import ApiKeys
from medcom_adapter.service.webhook import deliver
from medcom_adapter.workers.hooks import Delivery, Webhook, webhook_secret
from medcom_adapter.workers.signing import HEADER, sign, verify

SECRET = b"whsec_shared-with-the-case-system"
NOW = 1_795_000_000
LETTER = Delivery("5790000000000:L1", 7, "XDIS91", "XD9134L", "5790000000000",
                  "5790000123452", "E1", "L1", b"<letter/>")


def _posted(url: str = "https://fagsystem.example/medcom") -> httpx.Request:
    seen: list[httpx.Request] = []

    def case_system(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = httpx.Client(transport=httpx.MockTransport(case_system))
    Webhook(url, secret=SECRET, client=client, clock=lambda: NOW)(LETTER)
    (request,) = seen
    return request


def test_each_letter_is_signed_over_the_bytes_sent() -> None:
    request = _posted()
    assert verify(request.content, request.headers[HEADER], SECRET, now=NOW)
    assert not verify(request.content, request.headers[HEADER], b"another secret", now=NOW)
    assert json.loads(request.content)["delivery_id"] == LETTER.delivery_id
    assert request.headers["Idempotency-Key"] == LETTER.delivery_id


@pytest.mark.parametrize("url", ["http://case-system.example/in", "http://10.0.0.5/in",
                                 "http://169.254.169.254/latest/meta-data/", "ftp://x/",
                                 "https://[::1", "http://", "https://exa mple.org/"])
def test_a_webhook_not_over_https_is_refused(url: str) -> None:
    with pytest.raises(InvalidConfiguration):
        Webhook(url, secret=SECRET)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/in", "http://localhost/in",
                                 "http://[::1]:9000/in"])
def test_plain_http_to_this_machine_is_allowed(url: str) -> None:
    assert _posted(url).url.scheme == "http"


def test_the_secret_comes_from_a_file_or_the_environment(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("  whsec_from-a-file-0123456789\n", encoding="utf-8")
    file_env = {"MEDCOM_WEBHOOK_SECRET_FILE": str(tmp_path / "secret"),
                "MEDCOM_WEBHOOK_SECRET": "whsec_not-this-one-0123456789"}
    assert webhook_secret(file_env) == b"whsec_from-a-file-0123456789"
    assert webhook_secret({"MEDCOM_WEBHOOK_SECRET": "whsec_env-0123456789"}) == (
        b"whsec_env-0123456789")
    for bad in ({}, {"MEDCOM_WEBHOOK_SECRET": "short"},
                {"MEDCOM_WEBHOOK_SECRET_FILE": str(tmp_path / "missing")}):
        with pytest.raises(InvalidConfiguration, match="MEDCOM_WEBHOOK_SECRET"):
            webhook_secret(bad)


def test_poll_with_a_webhook_and_no_secret_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("MEDCOM_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("MEDCOM_WEBHOOK_SECRET_FILE", raising=False)
    monkeypatch.setenv("MEDCOM_DATA_DIR", str(tmp_path / "data"))
    code = main(["poll", "--mailbox", str(tmp_path / "mailbox"), "--journal", "memory:",
                 "--webhook", "https://fagsystem.example/medcom"])
    assert code == 1 and "MEDCOM_WEBHOOK_SECRET" in capsys.readouterr().err


@pytest.mark.parametrize("header", [
    "t=" + "9" * 400 + ",v1=00",                # int() of it overflows a float comparison
    f"t={NOW},v1=\u00e6\u00f8",                 # compare_digest refuses non-ASCII str
    f"t={NOW},v1=\ud800",                       # a lone surrogate
    "t=\u0661\u0662,v1=00",                     # digits int() reads, not ASCII ones
    "t=-1,v1=00", "t=,v1=", "v1=00", "t", ",,,", "",
])
def test_verify_answers_false_to_a_hostile_header(header: str) -> None:
    assert verify(b'{"x":1}', header, SECRET, now=NOW) is False


@pytest.mark.parametrize("url", ["http://fagsystem.example/medcom", "http://", "https://[::1",
                                 "http://exa mple.org/", "http://169.254.169.254/", "ftp://x"])
def test_a_case_systems_webhook_must_be_https_and_valid(url: str) -> None:
    from medcom_adapter.journal.memory import MemoryJournal
    from tests.service.conftest import UNIT

    keys = ApiKeys(MemoryJournal().shared)
    key, _ = keys.add("sbsys", (UNIT,))
    with pytest.raises(ValueError):
        keys.set_webhook(key.id, url)
    assert keys.set_webhook(key.id, "https://fagsystem.example/medcom") is not None


def test_delivery_to_a_url_stored_before_it_was_checked_fails_typed() -> None:
    from medcom_adapter.journal.memory import MemoryJournal
    from tests.service.inbound import inbound_care_communication

    journal = MemoryJournal()
    journal_id, _ = inbound_care_communication(journal)
    with httpx.Client() as client:
        assert deliver(client, "https://[::1", SECRET, journal.get(journal_id), now=NOW) is False


def test_the_service_and_the_cli_sign_alike() -> None:
    body = b'{"id": 1}'
    from medcom_adapter.service import webhook

    assert webhook.sign(body, SECRET, NOW) == sign(body, SECRET, NOW)
    assert webhook.HEADER == HEADER == "X-MedCom-Signature"
