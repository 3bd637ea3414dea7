"""Receivers looked up in the sandbox's EER over mutual TLS, cached with expiry, and the
look-up's failures as typed errors (timeout, refused token, an answer that is no Bundle)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from medcom_adapter.ehmi import eer
from medcom_adapter.ehmi_client.eer import EerClient
from medcom_adapter.ehmi_client.oauth import TokenSource
from medcom_adapter.errors import EhmiAuthRefused, EhmiUnavailable
from medcom_adapter.sandbox.ehmi_services import eer_endpoint
from tests.ehmi.network import Ehmi, ehmi_network
from tests.ehmi.test_eer import CC, GP, XREF


@pytest.fixture
def ehmi(tmp_path: Path) -> Iterator[Ehmi]:
    with ehmi_network(tmp_path, frozenset()) as network:
        network.services.endpoints = [
            eer_endpoint(GP, "EerMessagingEdeliveryFhir", [CC], address="https://ap.gp"),
            eer_endpoint(GP, "vansMessaging", [XREF], address="vans:5790000121526")]
        yield network


def test_a_receiver_is_looked_up_once_until_the_cache_expires(ehmi: Ehmi) -> None:
    client = EerClient(ehmi.http, ehmi.settings.eer_url or "", ehmi.tokens)
    now = [datetime(2026, 12, 5, tzinfo=UTC)]
    cache = eer.EerCache(client.endpoints, ttl=timedelta(hours=1), clock=lambda: now[0])
    found = cache.lookup(GP)
    today = date(2026, 12, 5)
    assert eer.channel_for(found, GP, "CareCommunication", "5.0", on=today) == "ehmi"
    assert eer.channel_for(found, GP, "XREF01", "XH0131R", on=today) == "vans"
    assert cache.lookup(GP) == found and ehmi.services.eer_searches == 1
    now[0] += timedelta(hours=1)
    cache.lookup(GP)
    assert ehmi.services.eer_searches == 2
    assert cache.lookup("5790000000005") == []


def test_a_silent_register_is_a_timeout(ehmi: Ehmi) -> None:
    with socket.socket() as silent:  # accepts connections, never answers the handshake
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"https://localhost:{silent.getsockname()[1]}"
        with httpx.Client(verify=ehmi.settings.tls(), timeout=0.5) as http:
            client = EerClient(http, url + "/eer", TokenSource(http, url + "/token", "x"))
            with pytest.raises(EhmiUnavailable, match="no answer in time"):
                client.endpoints(GP)


def test_a_refused_client_gets_a_typed_error(ehmi: Ehmi) -> None:
    ehmi.services.enrolments.clear()
    with pytest.raises(EhmiAuthRefused):
        EerClient(ehmi.http, ehmi.settings.eer_url or "", ehmi.tokens).endpoints(GP)


@pytest.mark.parametrize("answer", [b"<html/>", b'{"resourceType": "OperationOutcome"}'])
def test_an_answer_that_is_no_bundle_is_a_typed_error(answer: bytes) -> None:
    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 300})
        return httpx.Response(200, content=answer)

    with httpx.Client(transport=httpx.MockTransport(serve)) as http:
        client = EerClient(http, "https://eer/fhir", TokenSource(http, "https://eer/token", "x"))
        with pytest.raises(EhmiUnavailable, match="not"):
            client.endpoints(GP)
