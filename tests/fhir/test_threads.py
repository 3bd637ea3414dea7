"""Thread rules: new, reply, forward, resend; every result writes and reads back."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from medcom_adapter.errors import InvalidValue
from medcom_adapter.fhir.carecommunication import from_bundle, to_bundle
from medcom_adapter.fhir.threads import NewAttachment, forward, new_message, reply, resend
from medcom_adapter.model.carecommunication import (
    Activity,
    AttachmentSegment,
    Author,
    CareCommunication,
    CarePatient,
    Category,
    Coding,
    EpisodeOfCareRef,
    Party,
    Priority,
)
from medcom_adapter.model.identifiers import Cpr

CPH = timezone(timedelta(hours=1))
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=CPH)
PPR = Party("953741000016009", "5790000123452", "PPR Eksempel Kommune")
GP = Party("265161000016000", "5790000121526", "Lægehuset Eksempel")
OTHER = Party("330461000016004", "5790000987658", "Eksempel Regionshospital")
PSYCHOLOGIST = Author("Testsen", ("Sara",), role_text="Psykolog", organisation=PPR)
DOCTOR = Author(
    "Testlæge",
    ("Hans",),
    role=Coding(
        "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-PractitionerRoles", "laege"
    ),
)
CHILD = CarePatient(Cpr("2509479989"), "Elmer", ("Bruno", "Test"))


_NUMBERS = itertools.count(1)


def next_id() -> str:
    """Readable ids, unique across every message of the test run."""
    return f"00000000-0000-4000-8000-{next(_NUMBERS):012d}"


def round_trips(message: CareCommunication) -> None:
    assert from_bundle(to_bundle(message)) == message


def first() -> CareCommunication:
    return new_message(
        sender=PPR,
        receiver=GP,
        patient=CHILD,
        category=Category.REGARDING_REFERRAL,
        priority=Priority.ASAP,
        text="Bruno er henvist til BUP.\nVi foreslår en samtale.",
        author=PSYCHOLOGIST,
        now=T0,
        phone="70100000",
        episode_of_care=EpisodeOfCareRef(
            "8f0c4a52-3d1e-4a8b-9c7e-2b5d6f1a0e93", "https://sor2.sum.dsdn.dk/#id=953741000016009"
        ),
        attachments=[NewAttachment("Henvisning", "application/pdf", b"%PDF-1.4 test")],
        sender_detail=PSYCHOLOGIST,
        new_id=next_id,
    )


def test_new_message() -> None:
    message = first()
    round_trips(message)
    assert message.latest.activity is Activity.NEW
    assert message.latest.segment_ids == tuple(s.id for s in message.segments)
    assert message.thread_id.startswith("urn:uuid:")


def test_reply_keeps_thread_and_repeats_attachments_without_data() -> None:
    original = first()
    answer = reply(
        original,
        text="Tak, jeg ringer.",
        author=DOCTOR,
        phone="44527000",
        now=T0 + timedelta(hours=2),
        new_id=next_id,
    )
    round_trips(answer)
    assert answer.thread_id == original.thread_id
    assert (answer.sender, answer.receiver) == (GP, PPR)
    assert answer.bundle_id != original.bundle_id and answer.message_id != original.message_id
    assert answer.recipient_detail == PSYCHOLOGIST  # the specific sender is now the recipient
    earlier = [s for s in answer.segments if isinstance(s, AttachmentSegment)]
    assert earlier and all(s.data is None for s in earlier)
    assert [e.activity for e in answer.history] == [Activity.NEW, Activity.REPLY]
    assert answer.latest.predecessor is not None
    assert answer.latest.predecessor.message_id == original.message_id


def test_forward_starts_a_new_thread_with_selected_segments() -> None:
    original = first()
    text_id = original.segments[0].id
    onward = forward(
        original,
        to=OTHER,
        text="Til orientering.",
        author=DOCTOR,
        phone="44527000",
        now=T0 + timedelta(days=1),
        segment_ids=[text_id],
        new_id=next_id,
    )
    round_trips(onward)
    assert onward.thread_id != original.thread_id
    assert onward.receiver == OTHER and onward.sender == GP
    assert onward.segments[0].id == text_id
    assert not any(isinstance(s, AttachmentSegment) for s in onward.segments)
    assert onward.latest.activity is Activity.FORWARD
    with pytest.raises(InvalidValue, match="no such segment"):
        forward(
            original,
            to=OTHER,
            text="x",
            author=DOCTOR,
            phone="44527000",
            now=T0,
            segment_ids=["nope"],
        )


def test_resend_has_new_bundle_id_and_times_but_same_message() -> None:
    original = first()
    again = resend(original, now=T0 + timedelta(minutes=31), new_id=next_id)
    round_trips(again)
    assert again.message_id == original.message_id
    assert again.bundle_id != original.bundle_id
    assert again.latest.occurred == T0 + timedelta(minutes=31)


def test_model_rules() -> None:
    with pytest.raises(InvalidValue, match="cc-5"):
        new_message(
            sender=PPR,
            receiver=GP,
            patient=CHILD,
            category=Category.OTHER,
            topic="Emne",
            priority=Priority.ASAP,
            text="x",
            author=DOCTOR,
            phone="44527000",
            now=T0,
        )
    with pytest.raises(InvalidValue, match="cc-6"):
        new_message(
            sender=PPR,
            receiver=GP,
            patient=CHILD,
            category=Category.OTHER,
            text="x",
            author=DOCTOR,
            phone="44527000",
            now=T0,
        )
    with pytest.raises(InvalidValue, match="time zone"):
        new_message(
            sender=PPR,
            receiver=GP,
            patient=CHILD,
            category=Category.HEALTHCARE,
            text="x",
            author=DOCTOR,
            phone="44527000",
            now=T0.replace(tzinfo=None),
        )
