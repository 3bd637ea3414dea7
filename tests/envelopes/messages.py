"""FHIR messages to put in envelopes: a CareCommunication and its acknowledgement."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from medcom_adapter.fhir import wire
from medcom_adapter.fhir.acknowledgement import to_bundle as ack_bundle
from medcom_adapter.fhir.acknowledging import answer
from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.threads import new_message
from medcom_adapter.model.acknowledgement import Acknowledgement
from medcom_adapter.model.carecommunication import (
    Author,
    CareCommunication,
    CarePatient,
    Category,
    Party,
)
from medcom_adapter.model.identifiers import Cpr

CPH = timezone(timedelta(hours=1))
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=CPH)
PPR = Party("953741000016009", "5790000123452", "PPR Eksempel Kommune")
GP = Party("265161000016000", "5790000121526", "Lægehuset Eksempel")
PSYCHOLOGIST = Author("Testsen", ("Sara",), role_text="Psykolog", organisation=PPR)
CHILD = CarePatient(Cpr("2509479989"), "Elmer", ("Bruno", "Test"))

_NUMBERS = itertools.count(1)


def next_id() -> str:
    return f"00000000-0000-4000-8000-{next(_NUMBERS):012d}"


def care_communication(category: Category = Category.REGARDING_REFERRAL) -> CareCommunication:
    return new_message(
        sender=PPR, receiver=GP, patient=CHILD, category=category,
        text="Vi har modtaget henvisningen.", author=PSYCHOLOGIST, phone="+4512345678",
        now=T0, new_id=next_id, topic="Henvisning" if category is Category.OTHER else None,
    )


def cc_bytes(message: CareCommunication | None = None, *, xml: bool = False) -> bytes:
    bundle = to_bundle(message or care_communication())
    return wire.dump_xml(bundle) if xml else wire.dump_json(bundle)


def acknowledgement(message: CareCommunication) -> Acknowledgement:
    ack = answer(to_bundle(message), now=T0 + timedelta(minutes=2), new_id=next_id).ack
    assert ack is not None
    return ack


def ack_bytes(message: CareCommunication | None = None, *, xml: bool = False) -> bytes:
    bundle = ack_bundle(acknowledgement(message or care_communication()))
    return wire.dump_xml(bundle) if xml else wire.dump_json(bundle)
