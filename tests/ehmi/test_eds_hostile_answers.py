"""Answers from EHMI's services that no well-behaved server gives: each is a typed error, and
one report whose answers are poisoned waits its back-off while the rest of the round is
delivered."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from medcom_adapter.ehmi_client.eds import EdsClient
from medcom_adapter.ehmi_client.http import call
from medcom_adapter.ehmi_client.oauth import TokenSource
from medcom_adapter.errors import EhmiUnavailable
from medcom_adapter.journal.eds_queue import MemoryEdsQueue, ReportStatus
from medcom_adapter.workers import eds as eds_worker

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


class FixedTokens(TokenSource):
    def __init__(self) -> None:  # no token endpoint: EDS's answers are under test
        pass

    def token(self, scope: str) -> str:
        return "t"

    def forget(self, scope: str) -> None:
        pass


def _http(handler: Handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def _event(envelope: str) -> bytes:
    return json.dumps({
        "resourceType": "AuditEvent", "subtype": [{"code": "msg-sent"}],
        "entity": [{"type": {"code": "ehmiTransportEnvelope"},
                    "what": {"identifier": {"value": envelope}}}],
        "source": {"observer": {"reference": "Device/adapter"}}}).encode()


@pytest.mark.parametrize("body", [
    b'{"access_token": "t", "expires_in": NaN}',
    b'{"access_token": "t", "expires_in": Infinity}',
    b'{"access_token": "t", "expires_in": -5}',
    b'{"access_token": "t", "expires_in": "300"}',
    b'{"access_token": "t", "expires_in": true}',
    b"[" * 100_000 + b"]" * 100_000,
])
def test_a_token_answer_without_a_usable_lifetime_is_a_typed_error(body: bytes) -> None:
    tokens = TokenSource(_http(lambda r: httpx.Response(200, content=body)),
                         "https://as/token", "client")
    with pytest.raises(EhmiUnavailable, match="token endpoint"):
        tokens.token("EDS")


def test_a_token_lifetime_beyond_a_day_is_kept_for_a_day() -> None:
    now = [T0]
    tokens = TokenSource(_http(lambda r: httpx.Response(
        200, content=b'{"access_token": "t", "expires_in": 1e20}')),
        "https://as/token", "client", clock=lambda: now[0])
    tokens.token("EDS")
    now[0] += timedelta(hours=23)
    tokens.token("EDS")
    assert tokens.fetched == 1
    now[0] += timedelta(hours=1)
    tokens.token("EDS")
    assert tokens.fetched == 2


@pytest.mark.parametrize("bundle", [
    {"resourceType": "Bundle", "entry": None},
    {"resourceType": "Bundle", "entry": 5},
    {"resourceType": "Bundle", "entry": "x"},
])
def test_a_search_bundle_whose_entries_are_no_list_is_a_typed_error(
        bundle: dict[str, object]) -> None:
    eds = EdsClient(_http(lambda r: httpx.Response(200, json=bundle)), "https://eds",
                    FixedTokens())
    with pytest.raises(EhmiUnavailable, match="entry"):
        eds.find(_event("env-1"), "SOR:1 GLN:2")


def test_entries_of_the_wrong_shape_are_passed_over() -> None:
    entries = [5, None, {"resource": 7}, {"resource": {"source": "x"}},
               {"resource": {"source": {"observer": ["Device/adapter"]}}}]
    eds = EdsClient(_http(lambda r: httpx.Response(
        200, json={"resourceType": "Bundle", "entry": entries})), "https://eds", FixedTokens())
    assert eds.find(_event("env-1"), "SOR:1 GLN:2") is None


def test_a_body_that_says_gzip_and_is_not_is_a_typed_error() -> None:
    http = _http(lambda r: httpx.Response(200, content=b"not gzip",
                                          headers={"Content-Encoding": "gzip"}))
    with pytest.raises(EhmiUnavailable, match="cannot read"):
        call(http, "GET", "https://eds/AuditEvent", what="EDS")


def _fault() -> httpx.Response:
    raise RuntimeError("a fault no check foresaw")


@pytest.mark.parametrize("poison", [
    lambda r: httpx.Response(200, json={"resourceType": "Bundle", "entry": None}),
    lambda r: httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000),
    lambda r: httpx.Response(200, content=b"x", headers={"Content-Encoding": "gzip"}),
    lambda r: _fault(),
])
def test_a_poisoned_report_does_not_stop_the_others_in_the_same_round(
        poison: Handler) -> None:
    now = [T0]
    queue = MemoryEdsQueue(clock=lambda: now[0])
    for n in (1, 2, 3):
        queue.enqueue(f"env-{n}:msg-sent", _event(f"env-{n}"), subtype="msg-sent",
                      context="SOR:1 GLN:2", message=f"m{n}")
    [first] = queue.claim("w0", 1, lease_seconds=1)  # its attempt's outcome is unknown:
    assert first.key == "env-1:msg-sent"  # the next worker searches EDS for it first
    assert queue.attempt(first.id, "w0")
    now[0] += timedelta(seconds=2)

    def eds_server(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return poison(request)
        return httpx.Response(201, headers={"Location": "https://eds/AuditEvent/a/_history/1"})

    client = EdsClient(_http(eds_server), "https://eds", FixedTokens())
    assert eds_worker.deliver(queue, client, owner="w1", lease_seconds=60) == \
        eds_worker.EdsRun(delivered=2, retried=1)
    [poisoned] = queue.of_message("m1")
    assert poisoned.status is ReportStatus.QUEUED and poisoned.last_error
    assert [s.status for m in ("m2", "m3") for s in queue.of_message(m)] == \
        [ReportStatus.DELIVERED] * 2
    # it waits its back-off: the next round at once claims nothing
    assert eds_worker.deliver(queue, client, owner="w1", lease_seconds=60) == \
        eds_worker.EdsRun()
