"""MedCom's duplicate rules on receive, case by case."""

from __future__ import annotations

import pytest

from medcom_adapter.errors import InboundInvalid, Issue, RefuseCode, UnknownMessage
from medcom_adapter.reliable.inbound import (
    AnswerMode,
    Deliver,
    Duplicate,
    Earlier,
    Reject,
    on_message,
)
from medcom_adapter.reliable.rules import AnswerKind, MessageKey, Protocol

KEY = MessageKey(Protocol.OIOXML, "ENV1", "LET1")


def earlier(envelope: str, message: str, *, ref: str | None = "answer-1",
            protocol: Protocol = Protocol.OIOXML) -> Earlier:
    return Earlier(MessageKey(protocol, envelope, message), AnswerKind.POSITIVE, ref)


def test_new_envelope_and_new_message_is_delivered_and_answered() -> None:
    assert on_message(KEY) == Deliver(KEY, AnswerKind.POSITIVE)
    assert on_message(KEY, answer_requested=False) == Deliver(KEY, None)


def test_seen_envelope_and_message_resends_the_original_answer() -> None:
    decision = on_message(KEY, [earlier("ENV1", "LET1")])
    assert isinstance(decision, Duplicate)
    assert decision.mode is AnswerMode.RESEND_ORIGINAL
    assert decision.answer_with == "answer-1"


def test_new_envelope_with_seen_message_is_a_duplicate_answered_as_before() -> None:
    decision = on_message(KEY, [earlier("ENV0", "LET1", ref=None), earlier("ENV9", "LET1")])
    assert isinstance(decision, Duplicate)
    assert decision.mode is AnswerMode.ANSWER_AS_BEFORE
    assert decision.answer_with == "answer-1"  # the copy that was answered


def test_seen_envelope_with_new_message_is_refused() -> None:
    decision = on_message(KEY, [earlier("ENV1", "LET0")])
    assert isinstance(decision, Reject)
    assert "ENV1" in decision.reason and decision.refuse_code is RefuseCode.NOT_SPECIFIED


def test_a_duplicate_of_an_invalid_message_is_answered_as_before_not_revalidated() -> None:
    problem = InboundInvalid([Issue("xsd.code", "bad code")])
    decision = on_message(KEY, [earlier("ENV1", "LET1")], problem=problem)
    assert isinstance(decision, Duplicate)


@pytest.mark.parametrize(
    ("problem", "code"),
    [(InboundInvalid([Issue("xsd.code", "bad")]), RefuseCode.SYNTAX_ERROR),
     (UnknownMessage("XH0129R"), RefuseCode.VERSION_PROBLEM)],
)
def test_invalid_new_message_is_refused_with_its_receipt_reason(
    problem: InboundInvalid | UnknownMessage, code: RefuseCode
) -> None:
    decision = on_message(KEY, problem=problem)
    assert isinstance(decision, Reject)
    assert decision.refuse_code is code and decision.error is problem


def test_records_of_another_protocol_do_not_count() -> None:
    assert isinstance(on_message(KEY, [earlier("ENV1", "LET1", protocol=Protocol.FHIR)]),
                      Deliver)
