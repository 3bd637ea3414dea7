"""Handing a message over to the access point: a hand-over it refuses for good (400, 422)
fails the message with the refusal's code and status, reported given up to EDS once; one it
may take later (5xx), or a URL that names no hand-over (404), stays queued for the next
lease; and a hand-over tried again is the same bytes under the same Idempotency-Key."""

from __future__ import annotations

import json

import httpx
import pytest

from medcom_adapter.channels import Channels
from medcom_adapter.channels.ehmi import EhmiChannel
from medcom_adapter.journal.interface import Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.transport.ehmi_ap import AccessPointTransport
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox, OutboxRun
from tests.ehmi.node import ME, Node, outbound_letter
from tests.envelopes.messages import care_communication
from tests.journal.conftest import Clock


def _node(*statuses: int, clock: Clock | None = None) -> tuple[Node, list[httpx.Request]]:
    """A node whose EHMI channel hands over to an access point answering ``statuses`` in
    turn (the last one from then on)."""
    handed: list[httpx.Request] = []

    def access_point(request: httpx.Request) -> httpx.Response:
        handed.append(request)
        return httpx.Response(statuses[min(len(handed), len(statuses)) - 1])

    clock = clock or Clock()
    journal = MemoryJournal(clock=clock)
    transport = AccessPointTransport(httpx.Client(transport=httpx.MockTransport(access_point)),
                                     "https://ap", "5790000000012", publisher="j")
    channels = Channels([EhmiChannel(transport, eds=journal.eds, reporter=ME, clock=clock)])
    node = Node(journal, MemoryTransport(),  # unused: the access point is the transport
                Inbox(journal, None, CollectingHook(), channels=channels, clock=clock),
                Outbox(journal, None, channels=channels, clock=clock))
    return node, handed


@pytest.mark.parametrize("status", [400, 422])
def test_a_hand_over_the_access_point_refuses_fails_once_with_its_reason(status: int) -> None:
    node, handed = _node(status)
    id = outbound_letter(node, care_communication())
    assert node.outbox.run_once() == OutboxRun(failed=1)
    stored = node.journal.get(id)
    assert stored.status is Status.FAILED
    assert stored.history[-1].reason is not None
    assert stored.history[-1].reason.startswith("local.ehmi-refused:")
    assert f"HTTP {status}" in stored.history[-1].reason
    [report] = [json.loads(r.event) for r in node.journal.eds.claim("t", 10, lease_seconds=60)]
    assert (report["subtype"][0]["code"], report["outcome"]) == ("msg-created-and-sent", "8")
    assert node.outbox.run_once() == OutboxRun()  # never handed over again
    assert len(handed) == 1


@pytest.mark.parametrize("status", [404, 503])
def test_a_hand_over_the_access_point_cannot_take_now_stays_queued(status: int) -> None:
    node, handed = _node(status)  # 404: no such endpoint, the operator's URL is wrong
    id = outbound_letter(node, care_communication())
    assert node.outbox.run_once() == OutboxRun(deferred=1)
    assert node.journal.get(id).status is Status.QUEUED and len(handed) == 1
    assert node.journal.eds.claim("t", 10, lease_seconds=60) == []


def test_a_hand_over_tried_again_is_the_same_bytes_under_the_same_key() -> None:
    clock = Clock()
    node, handed = _node(503, 201, clock=clock)
    id = outbound_letter(node, care_communication())
    assert node.outbox.run_once() == OutboxRun(deferred=1)
    clock.advance(hours=1)  # the lease has run out: another run takes it over
    assert node.outbox.run_once() == OutboxRun(sent=1)
    assert node.journal.get(id).status is Status.SENT
    first, again = handed
    assert again.headers["Idempotency-Key"] == first.headers["Idempotency-Key"]
    assert again.content == first.content
