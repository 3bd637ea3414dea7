"""Ids read from real messages, answers correlated to what was sent, resends rebuilt."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.errors import InvalidValue, ResendRefused
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.carecommunication import from_bundle
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import emessage
from medcom_adapter.oioxml.receipting import answer as receipt_owed
from medcom_adapter.reliable import correlate, inbound, rebuild
from medcom_adapter.reliable import outbound as ob
from medcom_adapter.reliable.rules import AnswerKind, Protocol
from tests.envelopes.messages import (
    T0,
    ack_bytes,
    acknowledgement,
    care_communication,
    cc_bytes,
    next_id,
)
from tests.samples import WHEN, minimal_referral


def referral_bytes(envelope_id: str = "ENV00000000001") -> bytes:
    return emessage.build(Emessage(Envelope(envelope_id, WHEN), (minimal_referral(),)),
                          "XH0131R")


def test_oioxml_receipt_correlates_with_the_referral_it_answers() -> None:
    data = referral_bytes()
    message = emessage.parse(data).message
    (key,) = correlate.emessage_keys(message)
    assert (key.protocol, key.envelope_id) == (Protocol.OIOXML, "ENV00000000001")
    out = ob.sent(ob.start(Protocol.OIOXML, key.envelope_id, key.message_id, now=WHEN), at=WHEN)
    receipt = receipt_owed(data, now=WHEN).build()
    parsed = emessage.parse(receipt).message
    assert correlate.emessage_keys(parsed) == ()
    (answer,) = correlate.emessage_answers(parsed)
    assert answer.kind is AnswerKind.POSITIVE and ob.matches(out, answer)
    out, decision = ob.on_answer(out, answer)
    assert isinstance(decision, ob.Acknowledged)


def test_negative_receipt_carries_code_and_text() -> None:
    broken = referral_bytes().replace(b"XH0131R", b"XH0129R")
    receipt = emessage.parse(receipt_owed(broken, now=WHEN).build()).message
    (answer,) = correlate.emessage_answers(receipt)
    assert answer.kind is AnswerKind.NEGATIVE
    assert answer.refuse_code is not None and answer.reason


def test_fhir_ack_correlates_by_message_header_id_across_resends() -> None:
    first = care_communication()
    again = rebuild.fhir_message(first, now=T0 + timedelta(minutes=120), new_id=next_id)
    out = ob.start(Protocol.FHIR, first.bundle_id, first.message_id, now=T0)
    out = ob.sent(out, at=T0)
    out = ob.sent(ob.resend(out, new_envelope_id=again.bundle_id, now=T0 + timedelta(
        minutes=120)), at=T0 + timedelta(minutes=120))
    answer = correlate.ack_answer(acknowledgement(again))
    assert ob.matches(out, answer)
    assert correlate.fhir_key(again).message_id == correlate.fhir_key(first).message_id


def test_fhir_resend_bytes_keep_the_message_id_and_format() -> None:
    for xml in (False, True):
        data = cc_bytes(xml=xml)
        later = T0 + timedelta(minutes=31)
        resent = rebuild.fhir_bytes(data, now=later, new_id=next_id)
        assert resent.lstrip().startswith(b"<") is xml
        before, after = from_bundle(wire.load(data)[0]), from_bundle(wire.load(resent)[0])
        assert after.message_id == before.message_id
        assert after.bundle_id != before.bundle_id
        assert after.timestamp == later and after.latest.occurred == later
        assert after.segments == before.segments


def test_acknowledgements_are_never_resent() -> None:
    with pytest.raises(ResendRefused):
        rebuild.fhir_bytes(ack_bytes(), now=T0, new_id=next_id)
    with pytest.raises(InvalidValue):
        rebuild.fhir_bytes(b"{}", now=T0, new_id=next_id)


def test_oioxml_resend_gets_a_new_envelope_and_is_a_duplicate_at_the_receiver() -> None:
    data = referral_bytes()
    resent = rebuild.oioxml_bytes(data, new_envelope_id="ENV00000000002",
                                  now=datetime(2026, 11, 21, 8, 15, 42))
    first, second = emessage.parse(data).message, emessage.parse(resent).message
    assert second.envelope.identifier == "ENV00000000002"
    assert second.envelope.sent == datetime(2026, 11, 21, 8, 15)
    assert second.letters == first.letters
    (old_key,) = correlate.emessage_keys(first)
    (new_key,) = correlate.emessage_keys(second)
    decision = inbound.on_message(new_key, [inbound.Earlier(old_key, AnswerKind.POSITIVE, "r")])
    assert isinstance(decision, inbound.Duplicate)
    assert decision.mode is inbound.AnswerMode.ANSWER_AS_BEFORE
    with pytest.raises(ResendRefused):
        rebuild.oioxml_bytes(data, new_envelope_id="ENV00000000001", now=WHEN)


def test_vans_keys_answers_and_resend() -> None:
    envelope = fhir_payload.wrap(cc_bytes(), sent=T0)
    key = correlate.vans_key(envelope)
    resent = rebuild.vans_envelope(envelope, new_envelope_id=next_id(), now=T0)
    assert correlate.vans_key(resent).message_id == key.message_id
    assert resent.envelope_id != envelope.envelope_id
    receipt = vans.receipt_for(resent, vans.VansReceiptKind.POSITIVE, envelope_id=next_id(),
                               sent=T0)
    out = ob.sent(ob.start(Protocol.VANS, envelope.envelope_id, key.message_id, now=T0), at=T0)
    out = ob.resend(out, new_envelope_id=resent.envelope_id, now=T0, deliberate=True)
    assert ob.matches(out, correlate.vans_answer(receipt))
    with pytest.raises(InvalidValue):
        correlate.vans_key(receipt)
    with pytest.raises(InvalidValue):
        correlate.vans_answer(envelope)
    with pytest.raises(ResendRefused):
        rebuild.vans_envelope(receipt, new_envelope_id=next_id(), now=T0)
