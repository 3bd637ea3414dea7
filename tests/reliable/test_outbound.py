"""The outbound state machine: answers, timeouts and MedCom's resend rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from medcom_adapter.errors import InvalidValue, RefuseCode, ResendRefused
from medcom_adapter.reliable import outbound as ob
from medcom_adapter.reliable.outbound import OutState
from medcom_adapter.reliable.rules import Answer, AnswerKind, Policy, Protocol

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def fhir_sent() -> ob.Outbound:
    return ob.sent(ob.start(Protocol.FHIR, "B1", "MH1", now=T0), at=T0)


def oioxml_sent() -> ob.Outbound:
    return ob.sent(ob.start(Protocol.OIOXML, "ENV1", ("LET1", "LET2"), now=T0), at=T0)


def ack(kind: AnswerKind, message_id: str = "MH1") -> Answer:
    return Answer(Protocol.FHIR, kind, "ACK-B", None, (message_id,), reason="why")


def test_queued_message_is_sent_as_it_is() -> None:
    out = ob.start(Protocol.FHIR, "B1", "MH1", now=T0)
    assert ob.next_step(out, now=T0 + 60 * MIN) == ob.Send("B1")
    assert ob.sent(ob.sent(out, at=T0), at=T0 + MIN).current.sent_at == T0


def test_fhir_waits_120_minutes_then_resends_at_most_3_times_then_gives_up() -> None:
    # conversion rules v3.1.0, 4.5.1: end systems answer within 120 minutes; the regions
    # resend up to three times
    out = fhir_sent()
    assert ob.next_step(out, now=T0 + 119 * MIN) == ob.Wait(T0 + 120 * MIN)
    now = T0
    for number in (1, 2, 3):
        now += 120 * MIN
        assert ob.next_step(out, now=now) == ob.Resend(number)
        out = ob.sent(ob.resend(out, new_envelope_id=f"B{number + 1}", now=now), at=now)
    assert out.resends == 3
    assert ob.next_step(out, now=now + 119 * MIN) == ob.Wait(now + 120 * MIN)
    decision = ob.next_step(out, now=now + 120 * MIN)
    assert isinstance(decision, ob.GiveUp)
    with pytest.raises(ResendRefused, match="at most 3"):
        ob.resend(out, new_envelope_id="B5", now=now + 31 * MIN, deliberate=True)
    out = ob.gave_up(out)
    assert out.state is OutState.GAVE_UP
    out, late = ob.on_answer(out, ack(AnswerKind.POSITIVE))  # a late ack is still taken
    assert isinstance(late, ob.Acknowledged) and out.state is OutState.ACKNOWLEDGED


def test_fhir_automatic_resend_only_when_due() -> None:
    with pytest.raises(ResendRefused, match="due"):
        ob.resend(fhir_sent(), new_envelope_id="B2", now=T0 + 10 * MIN)
    again = ob.resend(fhir_sent(), new_envelope_id="B2", now=T0 + 10 * MIN, deliberate=True)
    assert again.state is OutState.QUEUED and again.envelope_ids == ("B1", "B2")
    with pytest.raises(ResendRefused, match="new envelope id"):
        ob.resend(fhir_sent(), new_envelope_id="B1", now=T0 + 140 * MIN)


def test_timeout_is_configurable() -> None:
    policy = Policy().with_rules(Protocol.FHIR, answer_timeout=timedelta(minutes=45))
    assert ob.next_step(fhir_sent(), now=T0 + 30 * MIN, policy=policy) == ob.Wait(T0 + 45 * MIN)
    manual = Policy().with_rules(Protocol.FHIR, auto_resend=False)
    decision = ob.next_step(fhir_sent(), now=T0 + 120 * MIN, policy=manual)
    assert decision == ob.TimedOut(T0 + 120 * MIN, resend_allowed=True)
    with pytest.raises(InvalidValue, match="at most 3"):
        Policy().with_rules(Protocol.FHIR, max_resends=4)
    with pytest.raises(InvalidValue, match="positive"):
        Policy().with_rules(Protocol.FHIR, resend_interval=timedelta(0))


def test_resend_count_and_interval_are_configurable() -> None:
    policy = Policy().with_rules(Protocol.FHIR, max_resends=1,
                                 resend_interval=timedelta(minutes=60))
    out = fhir_sent()
    assert ob.next_step(out, now=T0 + 120 * MIN, policy=policy) == ob.Resend(1)
    now = T0 + 120 * MIN
    out = ob.sent(ob.resend(out, new_envelope_id="B2", now=now, policy=policy), at=now)
    # the resend's answer is awaited for the interval, then the one resend is used up
    assert ob.next_step(out, now=now + 59 * MIN, policy=policy) == ob.Wait(now + 60 * MIN)
    assert isinstance(ob.next_step(out, now=now + 60 * MIN, policy=policy), ob.GiveUp)


def test_timing_is_a_row_per_channel_and_message_kind() -> None:
    policy = Policy()
    assert policy.of(Protocol.FHIR).answer_timeout == timedelta(minutes=120)
    assert policy.of(Protocol.FHIR, "CareCommunication") == policy.of(Protocol.FHIR)
    assert policy.of(Protocol.FHIR, "Acknowledgement").answer_timeout is None
    assert policy.of(Protocol.OIOXML, "XCTL03").answer_timeout is None
    referral = policy.with_rules(Protocol.OIOXML, "XREF01", answer_timeout=timedelta(hours=4))
    assert referral.of(Protocol.OIOXML, "XREF01").answer_timeout == timedelta(hours=4)
    assert referral.of(Protocol.OIOXML, "XDIS91").answer_timeout == timedelta(hours=24)
    sent = ob.sent(ob.start(Protocol.OIOXML, "E1", "L1", now=T0, kind="XREF01"), at=T0)
    assert ob.next_step(sent, now=T0 + timedelta(hours=4), policy=referral) == ob.TimedOut(
        T0 + timedelta(hours=4), resend_allowed=True)
    answer = ob.sent(ob.start(Protocol.FHIR, "B9", "A9", now=T0, kind="Acknowledgement"),
                     at=T0)
    assert ob.next_step(answer, now=T0 + timedelta(days=30)) == ob.Wait(None)
    assert any("120" in line or "2:00:00" in line for line in policy.describe())


def test_oioxml_resend_is_deliberate_only() -> None:
    out = oioxml_sent()
    decision = ob.next_step(out, now=T0 + timedelta(hours=24))
    assert decision == ob.TimedOut(T0 + timedelta(hours=24), resend_allowed=True)
    out = ob.timed_out(out)
    assert out.state is OutState.TIMED_OUT
    with pytest.raises(ResendRefused, match="deliberate"):
        ob.resend(out, new_envelope_id="ENV2", now=T0 + timedelta(hours=25))
    out = ob.resend(out, new_envelope_id="ENV2", now=T0 + timedelta(hours=25), deliberate=True)
    assert out.current.deliberate and out.message_ids == ("LET1", "LET2")


def test_oioxml_receipt_matches_by_envelope_and_letters() -> None:
    out = ob.resend(oioxml_sent(), new_envelope_id="ENV2", now=T0 + MIN, deliberate=True)
    first = Answer(Protocol.OIOXML, AnswerKind.POSITIVE, "R1", "ENV1", ("LET1",))
    assert ob.matches(out, first)  # a receipt for the first attempt still counts
    assert not ob.matches(out, Answer(Protocol.OIOXML, AnswerKind.POSITIVE, "R2", "ENV3", ()))
    assert not ob.matches(out, Answer(Protocol.OIOXML, AnswerKind.POSITIVE, "R3", "ENV1",
                                      ("OTHER",)))
    assert not ob.matches(out, Answer(Protocol.FHIR, AnswerKind.POSITIVE, "R4", None, ("LET1",)))
    with pytest.raises(InvalidValue):
        ob.on_answer(out, Answer(Protocol.OIOXML, AnswerKind.POSITIVE, "R2", "ENV3", ()))


def test_negative_receipt_rejects_with_the_reason() -> None:
    answer = Answer(Protocol.OIOXML, AnswerKind.NETWORK_NEGATIVE, "R1", "ENV1", (),
                    reason="ukendt modtager", refuse_code=RefuseCode.UNKNOWN_LOCATION_NUMBER)
    out, decision = ob.on_answer(oioxml_sent(), answer)
    assert out.state is OutState.REJECTED
    assert decision == ob.Rejected(answer, "ukendt modtager", RefuseCode.UNKNOWN_LOCATION_NUMBER)
    assert ob.next_step(out, now=T0 + timedelta(days=9)) == ob.Done(OutState.REJECTED)
    out2, again = ob.on_answer(out, answer)
    assert out2 is out and isinstance(again, ob.Ignore)


def test_fatal_error_fhir_message_is_not_resent() -> None:
    out, _ = ob.on_answer(fhir_sent(), ack(AnswerKind.NEGATIVE))
    with pytest.raises(ResendRefused, match="fatal-error"):
        ob.resend(out, new_envelope_id="B2", now=T0 + 40 * MIN, deliberate=True)


def test_transient_error_waits_for_the_receiver_then_ok() -> None:
    out, decision = ob.on_answer(fhir_sent(), ack(AnswerKind.TRANSIENT))
    assert decision == ob.Wait(None) and out.state is OutState.SENT
    assert ob.next_step(out, now=T0 + timedelta(days=1)) == ob.Wait(None)
    out, decision = ob.on_answer(out, ack(AnswerKind.POSITIVE))
    assert isinstance(decision, ob.Acknowledged) and out.state is OutState.ACKNOWLEDGED
    with pytest.raises(ResendRefused, match="acknowledged"):
        ob.resend(out, new_envelope_id="B2", now=T0 + 40 * MIN, deliberate=True)


def test_no_positive_receipt_asked_for_means_no_clock() -> None:
    out = ob.sent(ob.start(Protocol.OIOXML, "E", "L", now=T0, expects_answer=False), at=T0)
    assert ob.next_step(out, now=T0 + timedelta(days=30)) == ob.Wait(None)


def test_unsent_message_is_not_resent() -> None:
    with pytest.raises(ResendRefused, match="not been sent"):
        ob.resend(ob.start(Protocol.FHIR, "B1", "MH1", now=T0), new_envelope_id="B2", now=T0,
                  deliberate=True)


def test_the_operator_sets_timing_by_name() -> None:
    policy = Policy.from_settings({"MEDCOM_FHIR_ACK_TIMEOUT_MINUTES": "90",
                                   "MEDCOM_FHIR_MAX_RESENDS": "2",
                                   "MEDCOM_FHIR_RESEND_INTERVAL_MINUTES": "60",
                                   "MEDCOM_OIOXML_RECEIPT_TIMEOUT_HOURS": "4",
                                   "UNRELATED": "x"})
    fhir = policy.of(Protocol.FHIR)
    assert (fhir.answer_timeout, fhir.max_resends, fhir.resend_interval) == (
        timedelta(minutes=90), 2, timedelta(minutes=60))
    assert policy.of(Protocol.OIOXML).answer_timeout == timedelta(hours=4)
    assert Policy.from_settings({}) == Policy()
    with pytest.raises(InvalidValue, match="MEDCOM_FHIR_MAX_RESENDS"):
        Policy.from_settings({"MEDCOM_FHIR_MAX_RESENDS": "tre"})
    with pytest.raises(InvalidValue, match="at most 3"):
        Policy.from_settings({"MEDCOM_FHIR_MAX_RESENDS": "4"})
