"""The test protocol's checks: a correct peer passes every scenario, faulty peers fail exactly
the scenarios their fault touches, with a reason."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest

from medcom_adapter.certify.scenarios import (
    SCENARIOS,
    Direction,
    Scenario,
    ThreadRule,
    check_receive,
    check_send,
)
from medcom_adapter.detect import check
from medcom_adapter.fhir import acknowledgement, carecommunication, wire
from medcom_adapter.fhir.acknowledging import answer as ack_answer
from medcom_adapter.fhir.threads import forward, reply
from medcom_adapter.oioxml.receipting import answer as receipt_answer
from tests import catalogue

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=1)))
RECEIVE = [s for s in SCENARIOS if s.direction is Direction.RECEIVE]
Peer = Callable[[bytes], list[bytes]]


def good_peer(data: bytes) -> list[bytes]:
    """What the adapter itself answers to one delivered file."""
    if data.lstrip()[:1] != b"{":
        result = receipt_answer(data, now=NOW.replace(tzinfo=None))
        return [result.build()] if result.receipt is not None else []
    bundle, _ = wire.load(data)
    report = check(data)
    numbers = count(1)
    result = ack_answer(bundle, report.issues, now=NOW,
                        new_id=lambda: f"aaaaaaaa-0000-4000-8000-{next(numbers):012d}")
    return [wire.dump_json(acknowledgement.to_bundle(result.ack))] if result.ack else []


def play(scenario: Scenario, peer: Peer) -> list[str]:
    delivered = [(catalogue.ROOT / d.fixture).read_bytes() for d in scenario.deliveries]
    answers = [a for data in delivered for a in peer(data)]
    return check_receive(scenario, delivered, answers)


def skips_receipts(data: bytes) -> list[bytes]:
    return [a for a in good_peer(data) if b"PositiveReceipt" not in a]


def acks_twice(data: bytes) -> list[bytes]:
    return good_peer(data) * 2 if data.lstrip()[:1] == b"{" else good_peer(data)


def answers_everything_positively(data: bytes) -> list[bytes]:
    out = good_peer(data)
    return [a.replace(b"fatal-error", b"ok") for a in out]


@pytest.mark.parametrize("scenario", RECEIVE, ids=[s.id for s in RECEIVE])
def test_the_adapter_passes_every_receive_scenario(scenario: Scenario) -> None:
    assert play(scenario, good_peer) == []


@pytest.mark.parametrize(
    ("peer", "failing"),
    [(skips_receipts, {"R-XDIS91-new", "R-XBIN01", "R-XDIS91-duplicate"}),
     (acks_twice, {"R-CC-new", "R-CC-out-of-order", "R-CC-duplicate", "R-CC-forward",
                   "R-CC-x-ecpr", "R-CC-d-ecpr", "R-CC-deceased", "R-CC-invalid"})],
    ids=["skips-receipts", "acknowledges-twice"],
)
def test_faulty_peer_fails_exactly_its_scenarios(peer: Peer, failing: set[str]) -> None:
    results = {s.id: play(s, peer) for s in RECEIVE}
    assert {k for k, v in results.items() if v} == failing
    assert all("expected" in reason for k in failing for reason in results[k])


def test_a_peer_accepting_an_invalid_message_fails_with_the_reason() -> None:
    scenario = next(s for s in RECEIVE if s.id == "R-CC-invalid")
    failures = play(scenario, answers_everything_positively)
    assert any("expected 1 x fatal-error, got 0" in f for f in failures)


def _send(rule: ThreadRule) -> Scenario:
    return next(s for s in SCENARIOS if s.thread is rule and s.direction is Direction.SEND)


def test_send_thread_rules() -> None:
    ours, _, _ = catalogue.thread()
    numbers = count(1)

    def ids() -> str:
        return f"bbbbbbbb-0000-4000-8000-{next(numbers):012d}"

    good_reply = reply(ours, text="Svar.", author=catalogue.DOCTOR, phone="44527000",
                       now=NOW, new_id=ids)
    good_forward = forward(ours, to=catalogue.HOSPITAL, text="Videre.",
                           author=catalogue.DOCTOR, phone="44527000", now=NOW, new_id=ids)

    def data(cc: object) -> list[bytes]:
        return [wire.dump_json(carecommunication.to_bundle(cc))]  # type: ignore[arg-type]

    assert check_send(_send(ThreadRule.REPLY), data(good_reply), ours) == []
    assert check_send(_send(ThreadRule.FORWARD), data(good_forward), ours) == []
    assert check_send(_send(ThreadRule.NEW), data(ours)) == []
    # a "reply" that starts a new thread, and a "forward" that keeps the old one
    new_thread = dataclasses.replace(good_reply, thread_id=good_forward.thread_id)
    assert any("keeps the thread id" in f
               for f in check_send(_send(ThreadRule.REPLY), data(new_thread), ours))
    old_thread = dataclasses.replace(good_forward, thread_id=ours.thread_id)
    assert any("new thread id" in f
               for f in check_send(_send(ThreadRule.FORWARD), data(old_thread), ours))
    assert any("expected a reply-message" in f
               for f in check_send(_send(ThreadRule.REPLY), data(good_forward), ours))
    assert check_send(_send(ThreadRule.REPLY), [], ours) == ["expected one message, got 0"]
