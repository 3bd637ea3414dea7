"""The test protocol's checks: a correct peer passes every scenario, faulty peers fail exactly
the scenarios their fault touches, with a reason."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest

from medcom_adapter.certify.answering import Answerer
from medcom_adapter.certify.deliveries import on_the_wire, renew
from medcom_adapter.certify.scenarios import (
    SCENARIOS,
    Direction,
    Scenario,
    ThreadRule,
    check_receive,
    check_send,
)
from medcom_adapter.detect import check
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.fhir import carecommunication, wire
from medcom_adapter.fhir.threads import forward, reply
from medcom_adapter.model.carecommunication import CareCommunication
from tests import catalogue

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=1)))
RECEIVE = [s for s in SCENARIOS if s.direction is Direction.RECEIVE]
Peer = Callable[[bytes], list[bytes]]


def good_peer() -> Peer:
    """What the adapter's core answers to one delivered file (receipts, VANS receipts, acks)."""
    return Answerer(clock=lambda: NOW).answer


def play(scenario: Scenario, peer: Peer) -> list[str]:
    fixtures = [(catalogue.ROOT / d.fixture).read_bytes() for d in scenario.deliveries]
    delivered = [on_the_wire(data, sent=NOW) for data in renew(fixtures)]
    answers = [a for wire in delivered for a in peer(wire.data)]
    return check_receive(scenario, delivered, answers)


def skips_receipts() -> Peer:
    answer = good_peer()
    return lambda data: [a for a in answer(data) if b"PositiveReceipt" not in a]


def acks_twice() -> Peer:
    answer = good_peer()
    return lambda data: [*answer(data), *answer(data)[1:]] if b"VANSEnvelope" in data[:200] \
        else answer(data)


def answers_everything_positively() -> Peer:
    answer = good_peer()

    def peer(data: bytes) -> list[bytes]:
        out = []
        for a in answer(data):
            if b"VANSEnvelope" in a[:200] and b"<Data>" in a:
                inner = vans.parse(a).message
                assert inner is not None
                a = vans.build(fhir_payload.wrap(inner.data.replace(b"fatal-error", b"ok"),
                                                 sent=NOW))
            out.append(a)
        return out
    return peer


@pytest.mark.parametrize("scenario", RECEIVE, ids=[s.id for s in RECEIVE])
def test_the_adapter_passes_every_receive_scenario(scenario: Scenario) -> None:
    assert play(scenario, good_peer()) == []


@pytest.mark.parametrize(
    ("peer", "failing"),
    [(skips_receipts, {"R-XDIS91-new", "R-XBIN01", "R-XDIS91-duplicate", "R-XREF01",
                           "R-XREF01-XH0130R", "R-XBIN02"}),
     (acks_twice, {"R-CC-new", "R-CC-out-of-order", "R-CC-duplicate", "R-CC-forward",
                   "R-CC-x-ecpr", "R-CC-d-ecpr", "R-CC-deceased", "R-CC-invalid"})],
    ids=["skips-receipts", "acknowledges-twice"],
)
def test_faulty_peer_fails_exactly_its_scenarios(peer: Callable[[], Peer],
                                                 failing: set[str]) -> None:
    results = {s.id: play(s, peer()) for s in RECEIVE}
    assert {k for k, v in results.items() if v} == failing
    assert all("expected" in reason for k in failing for reason in results[k])


def test_a_peer_accepting_an_invalid_message_fails_with_the_reason() -> None:
    scenario = next(s for s in RECEIVE if s.id == "R-CC-invalid")
    failures = play(scenario, answers_everything_positively())
    assert any("expected 1 x fatal-error, got 0" in f for f in failures)
    assert any("unexpected 1 x ok" in f for f in failures)


def test_an_answer_that_is_no_answer_is_named() -> None:
    scenario = next(s for s in RECEIVE if s.id == "R-XBIN01")
    failures = play(scenario, lambda data: [*good_peer()(data), b"%PDF-1.4"])
    assert any("not a valid receipt or acknowledgement" in f for f in failures)


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


def test_a_vans_receipt_is_allowed_once_and_a_negative_one_fails() -> None:
    scenario = next(s for s in RECEIVE if s.id == "R-CC-new")

    def with_receipts(kind: vans.VansReceiptKind, times: int) -> Peer:
        answer = good_peer()

        def peer(data: bytes) -> list[bytes]:
            error = vans.VansError("Afvist") if kind.negative else None
            receipt = vans.build(vans.receipt_for(
                vans.parse(data), kind, envelope_id=str(uuid.uuid4()), sent=NOW, error=error))
            return [a for a in answer(data) if b"<Receipt>" not in a] + [receipt] * times
        return peer

    assert play(scenario, with_receipts(vans.VansReceiptKind.POSITIVE, 0)) == []
    assert play(scenario, with_receipts(vans.VansReceiptKind.POSITIVE, 1)) == []
    (twice,) = play(scenario, with_receipts(vans.VansReceiptKind.POSITIVE, 2))
    assert twice.endswith("unexpected 2 x PositiveMessage")
    (negative,) = play(scenario, with_receipts(vans.VansReceiptKind.NEGATIVE, 1))
    assert negative.endswith("unexpected 1 x NegativeMessage")


def _care_communication(data: bytes) -> CareCommunication:
    message = check(data).message
    assert isinstance(message, CareCommunication)
    return message


def test_renewed_messages_keep_their_references_and_get_new_thread_ids() -> None:
    new, reply_ = (catalogue.ROOT / f"fhir/CareCommunication-5.0-{n}.json"
                   for n in ("new-every-optional-element", "reply"))
    old = [_care_communication(p.read_bytes()) for p in (new, reply_)]
    fresh = [_care_communication(d) for d in renew([new.read_bytes(), reply_.read_bytes()])]
    assert fresh[1].latest.predecessor is not None
    assert fresh[0].thread_id != old[0].thread_id and fresh[0].thread_id == fresh[1].thread_id
    assert fresh[0].message_id != old[0].message_id
    assert fresh[1].latest.predecessor.message_id == fresh[0].message_id
