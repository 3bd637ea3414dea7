"""A received CareCommunication from the GP, as the inbox worker would journal it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.threads import new_message
from medcom_adapter.journal.interface import Direction, Journal, NewMessage, Status
from medcom_adapter.model.carecommunication import (
    Author,
    CareCommunication,
    CarePatient,
    Category,
    Party,
)
from medcom_adapter.model.parties import person_id
from tests.service.conftest import CONTEXT, CPR, GP, GP_EAN


def inbound_care_communication(journal: Journal) -> tuple[int, CareCommunication]:
    gp = Party(GP, GP_EAN, "Lægehuset Eksempel")
    unit = Party(CONTEXT["unit"]["sor"], CONTEXT["unit"]["ean"], CONTEXT["unit"]["name"])
    cc = new_message(
        sender=gp, receiver=unit, patient=CarePatient(person_id(CPR), "Elmer", ("Bruno", "Test")),
        category=Category.CARE_COORDINATION, topic="Spørgsmål om forløb",
        text="Kan I sende status på forløbet?", author=Author("Læge", ("Lise",), role_text="Læge"),
        phone="98000000", now=datetime(2026, 11, 19, 14, 0, tzinfo=UTC),
    )
    data = json.dumps(to_bundle(cc)).encode("utf-8")
    journal_id = journal.append(NewMessage(
        direction=Direction.INBOUND, kind="CareCommunication", version="5.0", data=data,
        envelope_id=cc.bundle_id, message_id=cc.message_id, sender_ean=gp.gln,
        receiver_ean=unit.gln, sender_sor=gp.sor, receiver_sor=unit.sor,
        patient=person_id(CPR), episode_id=CONTEXT["episode_id"]), Status.DELIVERED)
    return journal_id, cc
